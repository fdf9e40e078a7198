"""Sutton & Barto's Dyna maze: steps per episode for PS (several eta_glow_damping values,
standard and softmax policies) beside tabular Q-learning, K agents per curve in lockstep.

What it mirrors
---------------
Mautner, Makmal, Manzano, Tiersch & Briegel, "Projective simulation for classical learning
agents: a comprehensive investigation", New Gener. Comput. 33, 69 (2015), and Melnikov,
Makmal & Briegel, "Benchmarking projective simulation in navigation problems", IEEE Access
(2018): the figures showing PS learning curves in grid-world navigation (steps per episode
over episodes, averaged over agents) for several glow damping values eta and for the
standard and softmax policies; Mautner et al. also compare PS with Q-learning. The maze is
Sutton & Barto's Dyna maze (Reinforcement Learning: An Introduction, 2nd ed., Fig. 8.2: 6 x 9
cells, 7 walls, start (2, 0), goal (0, 8), reward 1 on reaching the goal, shortest path 14
steps), ``gymnasium.make("ps_graph/DynaMaze-v0")``. We could not open the PS papers' figures
through the tools available here, so their figure numbers and exact parameter values are
not given, and the curves here are not claimed to match theirs number for number.

Settings
--------
From Sutton & Barto's Dyna maze example (as in the widely used reproduction
ShangtongZhang/reinforcement-learning-an-introduction, chapter08/maze.py): Q-learning with
learning_rate 0.1, discount gamma 0.95, epsilon-greedy with epsilon 0.1 (constant, random
tie-breaking) and Q initialised to 0 -- Dyna-Q with 0 planning steps.

From the PS papers: the two-layer PS agent, h0 = 1, no forgetting (gamma_damping = 0) in a
stationary task, glow to pass the delayed reward back along the path, and the two policies.

Chosen here (and why): eta_glow_damping in {0.02, 0.05, 0.1, 0.2} (the range where the
agents learn within a few hundred episodes; smaller eta spreads the reward over longer
paths, larger eta reinforces only the last steps); beta_softmax = 1 for the softmax policy
(the library default); 100 agents per curve and 300 episodes (smooth curves in about ten
seconds); the env's own limit of 3000 steps per episode (three times a random walker's mean
time to the goal, so the first episodes end).

What is measured
----------------
Steps per episode, averaged over the agents of each curve (log scale), with the shortest
path (14 steps, computed here by value iteration) as a reference line. The curves level off
above 14: an exploring policy keeps taking some detours (epsilon-greedy Q-learning about
17.5 steps), and a softmax PS agent with a small eta tends to settle on the first path it
has reinforced, often 16 steps long. The printed report also gives, per curve, the median
length of the agents' greedy paths after training (``act(..., explore=False)``: the most
probable action, or argmax Q) and the fraction of agents whose greedy path is a shortest one.

Run:  python examples/dyna_maze.py --out results/dyna_maze
Writes OUT/dyna_maze.png and OUT/dyna_maze.csv (tidy: setting, agent, episode, value, ci95,
measure; episode counts from 1; value is the mean steps over the agents, ci95 the half-width
of its 95 % interval).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import gymnasium as gym
import numpy as np
from _common import agents_command_line, finish_axes, parse, print_summary, write_outputs
from tqdm.auto import tqdm

import ps_graph.envs  # noqa: F401  (registers "ps_graph/DynaMaze-v0")
from ps_graph import BatchedTwoLayerPS, ConfigError, train_batch
from ps_graph.inspection.plots import mean_and_ci
from ps_graph.tabular import TabularMDP, VectorMDP, from_env, value_iteration
from qbaselines import BatchedQLearning

NAME = "dyna_maze"
FIELDS = ("setting", "agent", "episode", "value", "ci95", "measure")
ETAS = (0.02, 0.05, 0.1, 0.2)
POLICIES = ("standard", "softmax")
#: Sutton & Barto's Dyna maze example: alpha 0.1, gamma 0.95, epsilon 0.1, Q0 = 0.
Q_SETTINGS = {
    "learning_rate": 0.1,
    "gamma": 0.95,
    "exploration": "epsilon_greedy",
    "exploration_schedule": "constant",
    "exploration_initial_eps": 0.1,
    "exploration_final_eps": 0.1,
    "q_init": 0.0,
}
Q_NAME = "Q-learning (lr 0.1, gamma 0.95, eps 0.1)"


def dyna_maze_mdp() -> TabularMDP:
    """The Dyna maze as a TabularMDP (from the env's own transition table; 3000-step limit)."""
    env = gym.make("ps_graph/DynaMaze-v0")
    try:
        return from_env(env)
    finally:
        env.close()


def shortest_path(mdp: TabularMDP) -> int:
    """Steps of the shortest path from the start to a goal, from value iteration.

    With reward 1 only on reaching the goal, V*(start) = gamma**(n - 1) for the shortest
    path of n steps, so n = 1 + log V / log gamma.

    >>> shortest_path(dyna_maze_mdp())
    14
    """
    gamma = 0.9
    values, _ = value_iteration(mdp, gamma=gamma)
    start = int(np.argmax(mdp.initial))
    if values[start] <= 0:
        raise ConfigError(f"no goal is reachable from the start of {mdp.name}.")
    return 1 + round(math.log(values[start]) / math.log(gamma))


def greedy_lengths(agent, mdp: TabularMDP, limit: int | None = None) -> np.ndarray:
    """Steps each agent's greedy policy takes from the start to a goal (``limit`` if it
    does not arrive within ``limit`` steps). Acting with ``explore=False`` changes nothing."""
    limit = limit or mdp.max_episode_steps or 10 * mdp.num_states
    vec = VectorMDP(mdp, agent.num_agents, seed=0)  # deterministic maze: the seed does not matter
    states = vec.reset()
    lengths = np.full(agent.num_agents, limit)
    walking = np.ones(agent.num_agents, bool)
    for step in range(1, limit + 1):
        states, _, terminated, _ = vec.step(agent.act(states, explore=False))
        arrived = walking & terminated
        lengths[arrived] = step
        walking &= ~terminated
        if not walking.any():
            break
    return lengths


def settings(etas: Sequence[float], beta_softmax: float) -> list[tuple[str, str, dict]]:
    """(panel, label, hyperparameters) of every PS curve."""
    out = []
    for policy in POLICIES:
        for eta in etas:
            extra = {"beta_softmax": beta_softmax} if policy == "softmax" else {}
            out.append(
                (
                    policy,
                    f"PS {policy}, eta_glow_damping = {eta:g}",
                    dict(gamma_damping=0.0, eta_glow_damping=eta, policy=policy, **extra),
                )
            )
    return out


def run(
    out: Path,
    agents: int = 100,
    episodes: int = 300,
    etas: Sequence[float] = ETAS,
    beta_softmax: float = 1.0,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Train every curve's agents and write OUT/dyna_maze.png and .csv.

    Returns ``{"csv", "png", "shortest_path", "steps": {label: mean steps per episode},
    "final_steps": {label: mean steps over the last 10 episodes}, "greedy_shortest":
    {label: fraction of agents whose greedy path is a shortest path}, "greedy_median": {label:
    median length of the agents' greedy paths}}``.
    """
    if not etas:
        raise ConfigError("give at least one eta_glow_damping value.")
    mdp = dyna_maze_mdp()
    best = shortest_path(mdp)
    runs = [
        (panel, label, lambda hp=hp: BatchedTwoLayerPS.for_mdp(mdp, agents, seed=seed, **hp))
        for panel, label, hp in settings(etas, beta_softmax)
    ]
    runs.append(("both", Q_NAME, lambda: BatchedQLearning.for_mdp(mdp, agents, seed=seed, **Q_SETTINGS)))
    steps, bands, final, greedy, greedy_median, panels, rows = {}, {}, {}, {}, {}, {}, []
    for panel, label, make in tqdm(runs, desc="Dyna maze", disable=not progress):
        agent = make()
        result = train_batch(agent, mdp, episodes, seed=seed + 1)
        mean, half = mean_and_ci(result.lengths)
        steps[label], bands[label], panels[label] = mean, half, panel
        final[label] = float(result.lengths[:, -10:].mean())
        walked = greedy_lengths(agent, mdp)
        greedy[label] = float((walked == best).mean())
        greedy_median[label] = float(np.median(walked))
        kind = "Q-learning" if panel == "both" else "PS"
        rows += [(label, kind, e, m, h, "steps") for e, (m, h) in enumerate(zip(mean, half), start=1)]
    fig = plot(steps, bands, panels, best=best, agents=agents, beta_softmax=beta_softmax)
    return {
        **write_outputs(out, NAME, FIELDS, rows, fig),
        "shortest_path": best,
        "steps": steps,
        "final_steps": final,
        "greedy_shortest": greedy,
        "greedy_median": greedy_median,
    }


def plot(steps: dict, bands: dict, panels: dict, *, best: int, agents: int, beta_softmax: float):
    """Two panels (standard, softmax policy), each with its PS curves and Q-learning; log y."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.8), layout="constrained")
    axes = dict(zip(POLICIES, fig.subplots(1, 2, sharey=True)))
    titles = {
        "standard": "PS, standard policy (h / sum h)",
        "softmax": f"PS, softmax policy (beta_softmax = {beta_softmax:g})",
    }
    for policy, ax in axes.items():
        for label, mean in steps.items():
            if panels[label] not in (policy, "both"):
                continue
            episode = np.arange(1, len(mean) + 1)
            style = {"color": "black", "linewidth": 1.6} if panels[label] == "both" else {"linewidth": 1.2}
            (line,) = ax.plot(episode, mean, label=label.replace(f"PS {policy}, ", ""), **style)
            lo = np.maximum(mean - bands[label], 1.0)
            ax.fill_between(episode, lo, mean + bands[label], color=line.get_color(), alpha=0.15, linewidth=0)
        ax.axhline(best, color="grey", linestyle="--", linewidth=1.0, label=f"shortest path ({best} steps)")
        ax.set_yscale("log")
        ticks = [10, best, 20, 50, 100, 200, 500, 1000]
        ax.set_yticks(ticks, [str(v) for v in ticks])
        ax.set_ylim(best * 0.85, None)
        ax.set_title(titles[policy])
        finish_axes(ax, "episode", "upper right", which="both")
    axes["standard"].set_ylabel("steps per episode (mean over agents)")
    fig.suptitle(
        f"Dyna maze (Sutton & Barto, 6 x 9): mean over {agents} agents per curve, 95 % band; PS gamma_damping = 0"
    )
    return fig


def main(argv=None) -> None:
    parser = agents_command_line(
        __doc__,
        "results/dyna_maze",
        agents=100,
        unit="episode",
        count=300,
        seed_help="root seed of the agents' streams",
    )
    parser.add_argument("--etas", type=float, nargs="+", default=list(ETAS), help="eta_glow_damping values")
    parser.add_argument("--beta", type=float, default=1.0, help="beta_softmax of the softmax policy")
    args = parse(parser, argv, agents=1, episodes=1)
    if not all(0.0 < eta <= 1.0 for eta in args.etas):
        parser.error("--etas must lie in (0, 1]")
    if not (args.beta > 0 and math.isfinite(args.beta)):
        parser.error("--beta must be a positive number")
    report = run(args.out, args.agents, args.episodes, args.etas, args.beta, args.seed)
    rows = [
        f"{label:42s} {value:8.1f}               | {report['greedy_median'][label]:6.0f} steps, "
        f"{report['greedy_shortest'][label]:4.0%} of agents"
        for label, value in report["final_steps"].items()
    ]
    header = f"{'agent':42s} steps, last 10 episodes | greedy path: median, shortest ({report['shortest_path']})"
    print_summary(header, rows, report)


if __name__ == "__main__":
    main()
