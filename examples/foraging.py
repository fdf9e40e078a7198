"""Learning to forage: PS foragers in the target world beside the fixed turning strategies.

What it mirrors
---------------
Muñoz-Gil, López-Incera, Fiderer & Briegel, "Optimal foraging strategies can be learned",
New J. Phys. 26, 013010 (2024), in the setting of the ``01_learning_to_forage`` tutorial of
``qic-ibk/projective_simulation`` (the paper's runs use 20,000-step episodes and 12,000 episodes):
100 targets of radius 0.5 in a periodic box of side 100, non-destructive targets with a kick of
length 1 after a find, unit steps that continue or turn; PS foragers with gamma = 1e-5,
eta = 0.1, accumulating glow and a per-edge initial h of 0.99 for continue and 0.01 for turn
(an initial turning probability of 0.01), against the paper's fixed strategies, the discrete
Lévy walks (run lengths ~ L^(-1-beta)) and bi-exponential walks, measured with many walkers at
once (``ps_graph.envs.strategies``).

The agents
----------
10 agents by default, the paper's count: the ``rl_opts`` repository (``gorkamunoz/rl_opts``,
which the ``01_learning_to_forage`` tutorial names as the one developed for the paper) says in
its ``tutorial_learning`` notebook that each of the paper's experiments was run with 10
independent agents. They are one :class:`ps_graph.BatchedTwoLayerPS` (the initial h table
shared by the 10) trained in lockstep by :func:`ps_graph.train_batch` on 10 walkers of
``ps_graph/Foraging-v0``, each in its own box of targets (``gym.make_vec(...,
vectorization_mode="vector_entry_point")``). The episodes are the tutorial's (1,200 of 200
steps): the paper's 12,000 of 20,000 steps are 1,000 times as many steps, far beyond a
few minutes here (a step of the 10 walkers costs about 0.2 ms).

What we measured
----------------
With the defaults (10 agents x 1,200 episodes of 200 steps; 55 s on 2 cores): the foragers find
0.0115 targets per step over their first 100 episodes and 0.0119 over their last 120 (the
agents' own means there: 0.0111-0.0132), against 0.0132 for the best discrete Lévy walk
(beta 0.64) and 0.0124 for the best bi-exponential walk measured (short mode 0.5), both with
2,000-step walks: in episodes of 200 steps the foragers do not reach the fixed strategies (an
earlier run of 8 agents measured 0.0117 over the last 120 episodes).

Run:  python examples/foraging.py --out results/foraging
(``--agents``, ``--episodes``, ``--steps`` change the run's size; ``--quick`` shrinks the scans.)
Writes OUT/foraging.png and OUT/foraging.csv (tidy: kind = levy | biexponential | ps, parameter
= beta, the short mode's length, or agent index, episode (empty for fixed strategies), reward =
targets found per step in the episode, for fixed strategies the mean over walkers).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _common import SearchRun, finish_axes, search_main, train_search_agents, write_outputs

from ps_graph.envs.strategies import biexponential_turning, efficiency, levy_turning
from ps_graph.inspection.plots import mean_and_ci, moving_average

NAME = "foraging"
FIELDS = ("kind", "parameter", "episode", "reward")
WORLD = {"num_targets": 100, "size": 100.0, "radius": 0.5, "cutoff": 1.0, "max_counter": 1000}
PS = {"gamma_damping": 1e-5, "eta_glow_damping": 0.1, "glow": "accumulate"}
AGENTS = 10  # the paper's agent count (see the docstring)


def initial_h(max_counter: int) -> np.ndarray:
    """The tutorial's per-edge initial h: 0.99 for continue, 0.01 for turn, at every counter."""
    return np.tile([0.99, 0.01], (max_counter + 1, 1))


def scan(steps: int, walkers: int, seed: int, quick: bool) -> dict[str, list[tuple[float, float]]]:
    """Targets per step of the fixed strategies: Lévy walks over beta, bi-exponential over the short mode."""
    m = WORLD["max_counter"]
    world = {"walkers": walkers, "steps": steps, "seed": seed, **WORLD}
    betas = np.linspace(0.1, 1.0, 2 if quick else 6)
    short = np.array([1.0, 5.0]) if quick else np.array([0.5, 1.0, 2.0, 5.0, 10.0])
    levy = [(float(b), efficiency("Foraging", levy_turning(b, m), **world).per_step) for b in betas]
    biexp = [
        (float(d), efficiency("Foraging", biexponential_turning(d, 100.0, 0.5, m), **world).per_step) for d in short
    ]
    return {"levy": levy, "biexponential": biexp}


def learn(size: SearchRun) -> np.ndarray:
    """``size.agents`` PS foragers in lockstep on as many walkers of ``ps_graph/Foraging-v0``, every
    agent starting from :func:`initial_h`: their targets per step in each episode, shape (K, episodes)."""
    table = initial_h(WORLD["max_counter"])
    _, result = train_search_agents("ps_graph/Foraging-v0", size, WORLD, initial_h=table, **PS)
    return result.returns / size.steps


def run(out: Path, size: SearchRun) -> dict:
    """Measure the fixed strategies, train the foragers, write OUT/foraging.png and .csv."""
    steps = size.steps
    fixed = scan(max(steps, 2000), 20 if size.quick else 200, size.seed, size.quick)
    curves = learn(size)
    rows = [(kind, p, "", r) for kind, points in fixed.items() for p, r in points]
    rows += [("ps", i, e, float(r)) for i, curve in enumerate(curves) for e, r in enumerate(curve)]
    best = {kind: max(points, key=lambda point: point[1]) for kind, points in fixed.items()}
    return {**write_outputs(out, NAME, FIELDS, rows, plot(curves, best, steps)), "best": best, "curves": curves}


def plot(curves: np.ndarray, best: dict, steps: int):
    """The foragers' learning curve (mean, 95 % band) with the best fixed strategies."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.6), layout="constrained")
    ax = fig.subplots()
    window = max(1, curves.shape[1] // 24)
    mean, half = mean_and_ci(moving_average(curves, window))
    episode = np.arange(curves.shape[1])
    ax.plot(episode, mean, label=f"PS foragers, {curves.shape[0]} agents (moving average of {window} episodes)")
    ax.fill_between(episode, mean - half, mean + half, alpha=0.2, linewidth=0)
    for (kind, (parameter, value)), style in zip(best.items(), ("--", ":")):
        ax.axhline(value, color="black", linestyle=style, label=f"best {kind} ({parameter:.3g}): {value:.4f}")
    ax.set_ylabel("targets per step")
    ax.set_title(f"Foraging: 100 targets, box 100, radius 0.5, kick 1; episodes of {steps} steps")
    finish_axes(ax, "episode", "lower right")
    return fig


def main(argv=None) -> None:
    search_main(__doc__, NAME, run, argv, agents=AGENTS, episodes=1200, steps=200, unit="targets per step")


if __name__ == "__main__":
    main()
