"""Marching locusts: collectives of PS agents that learn to align with their neighbours.

What it mirrors
---------------
Ried, Müller & Briegel, "Modelling collective motion based on the principle of agency",
PLoS ONE 14(2): e0212044 (2019), as its reference code runs it (``qic-ibk/projectivesimulation``,
``simple_interaction_multiple.py`` with ``environments/env_locust.py``): 20 locusts on a ring of
200 sites, sensory range 5, two actions (turn around, keep going), PS with gamma_damping = 0.01,
eta_glow_damping = 1 and the standard policy, 100 trials of 10 steps per locust; the output is the
mean reward per step in each trial (the script prints it for one collective). Here many
independent collectives are averaged, each through :func:`ps_graph.train_multi` on
:class:`ps_graph.envs.locusts.Locusts` (PettingZoo AEC).

Run:  python examples/locusts.py --out results/locusts
Writes OUT/locusts.png and OUT/locusts.csv (tidy: collective, trial, mean_reward).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _common import command_line, finish_axes, parse, print_summary, write_outputs
from joblib import Parallel, delayed

from ps_graph import TwoLayerPS, train_multi
from ps_graph.envs.locusts import Locusts
from ps_graph.inspection.plots import mean_and_ci

NAME = "locusts"
FIELDS = ("collective", "trial", "mean_reward")
WORLD = {"num_agents": 20, "world_size": 200, "sensory_range": 5, "steps_per_trial": 10}
PS = {"gamma_damping": 0.01, "eta_glow_damping": 1.0, "policy": "standard"}


def collective(index: int, trials: int, seed: int) -> np.ndarray:
    """One collective's mean reward per step in each trial."""
    env = Locusts(**WORLD)
    first = seed + index * WORLD["num_agents"]
    names = env.possible_agents
    agents = {name: TwoLayerPS(2, env.observation_space(name), seed=first + i, **PS) for i, name in enumerate(names)}
    return train_multi(agents, env, episodes=trials, seed=seed + index).mean_reward_per_step


def run(out: Path, collectives: int = 20, trials: int = 100, seed: int = 0, jobs: int = -1) -> dict:
    """Train the collectives (on ``jobs`` processes; -1: every core) and write OUT/locusts.png and .csv."""
    curves = np.stack(Parallel(n_jobs=jobs)(delayed(collective)(c, trials, seed) for c in range(collectives)))
    rows = [(c, t, float(r)) for c, curve in enumerate(curves) for t, r in enumerate(curve)]
    return {**write_outputs(out, NAME, FIELDS, rows, plot(curves)), "curves": curves}


def plot(curves: np.ndarray):
    """Mean reward per step against the trial, mean over collectives with its 95 % band."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.6), layout="constrained")
    ax = fig.subplots()
    mean, half = mean_and_ci(curves)
    trial = np.arange(1, curves.shape[1] + 1)
    ax.plot(trial, mean, label=f"PS locusts, {curves.shape[0]} collectives of {WORLD['num_agents']}")
    ax.fill_between(trial, mean - half, mean + half, alpha=0.2, linewidth=0)
    ax.axhline(0.5, color="grey", linestyle=":", label="no net flow (0.5)")
    ax.set_ylabel("mean reward per step")
    ax.set_title("Locusts on a ring of 200 sites, sensory range 5; gamma = 0.01, eta = 1")
    finish_axes(ax, "trial (10 steps per locust)", "lower right")
    return fig


def main(argv=None) -> None:
    parser = command_line(__doc__, f"results/{NAME}", seed_help="root seed")
    parser.add_argument("--collectives", type=int, default=20, help="independent collectives")
    parser.add_argument("--trials", type=int, default=100, help="trials per collective")
    args = parse(parser, argv, collectives=1, trials=1)
    report = run(args.out, args.collectives, args.trials, args.seed)
    curves = report["curves"]
    tail = curves[:, -min(10, curves.shape[1]) :].mean()
    print_summary(
        "mean reward per step", [f"trial 1: {curves[:, 0].mean():.3f}", f"last 10 trials: {tail:.3f}"], report
    )


if __name__ == "__main__":
    main()
