"""Multi-excitation PS with a k-body cutoff (k = 1, 2, 3) on the invasion game with distraction
and the deceptive invasion game: mean reward per 100-round window over 10,000 rounds.

What it mirrors
---------------
LeMaitre, Krumm & Briegel, "Multi-Excitation Projective Simulation with a Many-Body
Physics-Inspired Inductive Bias", arXiv:2402.10192: the training curves of its two toy games
(the mean reward per 100 rounds of 10 agents for each k, with a +-std band), as the
repository MariusKrumm/ManyBodyMEPS plots and stores them:
``InvasionGameWithDistraction/InvasionGame_training.png`` with the data files
``InvasionGameWithDistraction/invasion_data/means{1,2,3}.txt`` (and ``stds{1,2,3}.txt``), and
``DeceptiveInvasionGame/Deceptive_Invasion_training.png`` with
``DeceptiveInvasionGame/deceptive_invasion_data/means{1,2,3}.txt``. Their values that the closing
table quotes are in ``REFERENCE`` below (read from those files, HEAD db3d9ee).

Settings
--------
From the source: the games of :mod:`ps_graph.envs.meps_games` (chance -4.5 and -9.3, maximum +1
and +2); percepts factorized into one clip per (observable, value), conjunction clips of exactly
k observables (:class:`ps_graph.growth.Conjunctions`), each wired to every door with h0 = 1; one
decision samples one edge among all excited conjunctions' edges with the softmax at beta = 1;
``h += reward`` on that edge only (``eta_glow_damping = 1``, ``gamma_damping = 0``: no glow
carried over, no damping); every round is one one-step episode; 10,000 rounds per agent,
10 agents per curve, the same percept sequence for the k = 1, 2, 3 agents of one index.

One difference: our h never drops below ``h_floor`` (1e-6), while the source lets h go
negative (its k = 1 edges end near h = -730). A punished edge here keeps a softmax weight
``exp(1e-6)``, about 1/e of a fresh edge's, where the source's weight after one -10 is about
``exp(-9)``; wrong conjunctions fade more slowly, so our agents learn somewhat later than the
source's (the table shows by how much).

Seeds: :func:`ps_graph.streams.spawn_seeds` of ``--seed`` gives agent index j the agent seed
``seeds[2 j]`` and the env seed ``seeds[2 j + 1]``, shared by every k and both games.

What we measured
----------------
``python examples/meps_invasion.py --out results/meps_invasion`` (seed 0; 60 agents x 10,000
rounds in 39 s wall clock, one process on the 2-core development machine), beside the
source's files (mean over 10 agents of the last window; end round of the first window whose
mean reaches 0.9, or 1.5 for the deceptive game)::

    game                     k   last window: ours / source   first window reaching: ours / source
    InvasionWithDistraction  1     -4.610   -4.225    >= 0.9    never   never
    InvasionWithDistraction  2      1.000    1.000    >= 0.9     2600    1700
    InvasionWithDistraction  3      0.989    1.000    >= 0.9     7000    5300
    DeceptiveInvasion        1     -8.980   -8.791    >= 1.5    never   never
    DeceptiveInvasion        2      2.000    2.000    >= 1.5     2900    2100
    DeceptiveInvasion        3      1.888    2.000    >= 1.5     7900    5000

The curves have the source's shape: k = 1 stays at chance (no single observable tells the
door), k = 2 reaches the maximum, k = 3 gets there later (ten times as many conjunctions to
learn, each seen ten times less often). Ours cross the levels about 1.3 to 1.6 times later
(the h floor above); the k = 3 agents are still a little short of the maximum at 10,000 rounds.

Run:  python examples/meps_invasion.py --out results/meps_invasion  (``--quick``: 2 agents x
1,000 rounds.) Writes OUT/meps_invasion.csv (tidy: game, k, agent, window,
mean_reward; window w holds rounds 100 (w - 1) + 1 .. 100 w) and OUT/meps_invasion.png.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
from _common import agents_command_line, finish_axes, parse, print_summary, write_outputs
from tqdm.auto import tqdm

import ps_graph.envs  # noqa: F401  (registers the games)
from ps_graph import PSAgent, train
from ps_graph.growth import Conjunctions
from ps_graph.streams import spawn_seeds

NAME = "meps_invasion"
FIELDS = ("game", "k", "agent", "window", "mean_reward")
WINDOW = 100
KS = (1, 2, 3)
#: The source's agents: softmax at beta 1, h += reward on the used edge, no glow, no damping.
MEPS = {
    "percepts": "factorized",
    "policy": "softmax",
    "beta_softmax": 1.0,
    "eta_glow_damping": 1.0,
    "gamma_damping": 0.0,
}
#: (agents per curve, rounds per agent) by default, and with --quick
FULL, QUICK = (10, 10_000), (2, 1_000)


@dataclass(frozen=True)
class Game:
    """A game of the figure: its env id, chance and maximum reward per round, and the level
    whose first crossing the closing table reports."""

    env_id: str
    chance: float
    maximum: float
    level: float


GAMES = {
    "InvasionWithDistraction": Game("ps_graph/InvasionWithDistraction-v0", -4.5, 1.0, 0.9),
    "DeceptiveInvasion": Game("ps_graph/DeceptiveInvasion-v0", -9.3, 2.0, 1.5),
}
#: (game, k) -> (mean of the last window, end round of the first window whose mean reaches the
#: game's level, None: never), from MariusKrumm/ManyBodyMEPS (HEAD db3d9ee)
#: ``InvasionGameWithDistraction/invasion_data/means{k}.txt`` and
#: ``DeceptiveInvasionGame/deceptive_invasion_data/means{k}.txt`` with ``turns.txt`` (0-based last turns, + 1 here).
REFERENCE: dict[tuple[str, int], tuple[float, int | None]] = {
    ("InvasionWithDistraction", 1): (-4.225, None),
    ("InvasionWithDistraction", 2): (1.000, 1_700),
    ("InvasionWithDistraction", 3): (1.000, 5_300),
    ("DeceptiveInvasion", 1): (-8.791, None),
    ("DeceptiveInvasion", 2): (2.000, 2_100),
    ("DeceptiveInvasion", 3): (2.000, 5_000),
}


def agent_curve(env_id: str, k: int, rounds: int, agent_seed: int, env_seed: int) -> np.ndarray:
    """One MEPS agent with cutoff ``k`` trained for ``rounds`` one-round episodes of ``env_id``:
    its mean reward in each window of 100 rounds, shape (rounds // 100,).

    >>> agent_curve("ps_graph/InvasionWithDistraction-v0", 2, 200, agent_seed=1, env_seed=2).shape
    (2,)
    """
    env = gym.make(env_id)
    agent = PSAgent.for_env(env, growth=Conjunctions(k), seed=agent_seed, **MEPS)
    returns = train(agent, env, episodes=rounds, seed=env_seed).returns
    return returns[: rounds - rounds % WINDOW].reshape(-1, WINDOW).mean(axis=1)


def first_crossing(curve: np.ndarray, level: float) -> int | None:
    """The end round of the first window whose value reaches ``level`` (None: none does).

    >>> first_crossing(np.array([-4.0, 0.95, 1.0]), 0.9), first_crossing(np.array([-4.0]), 0.9)
    (200, None)
    """
    hits = np.flatnonzero(curve >= level)
    return int(hits[0] + 1) * WINDOW if len(hits) else None


def run(
    out: Path, agents: int = 10, rounds: int = 10_000, ks: Sequence[int] = KS, seed: int = 0, progress: bool = True
) -> dict:
    """Train ``agents`` agents per (game, k) and write OUT/meps_invasion.csv and .png.

    Returns ``{"csv", "png", "curves": {(game, k): array (agents, rounds // 100)}}``.
    """
    seeds = spawn_seeds(seed, 2 * agents)
    todo = [(game, k) for game in GAMES for k in ks]
    curves, rows = {}, []
    for game, k in tqdm(todo, desc="MEPS invasion games", disable=not progress):
        curves[game, k] = np.stack(
            [agent_curve(GAMES[game].env_id, k, rounds, seeds[2 * j], seeds[2 * j + 1]) for j in range(agents)]
        )
        rows += [(game, k, j, w + 1, float(v)) for j, curve in enumerate(curves[game, k]) for w, v in enumerate(curve)]
    return {**write_outputs(out, NAME, FIELDS, rows, plot(curves, agents)), "curves": curves}


def plot(curves: dict, agents: int):
    """One panel per game: the mean over agents per k with a +-std band (the source's band),
    chance and maximum dashed, and the source's first window at the table's level as a cross."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.6), layout="constrained")
    axes = fig.subplots(1, len(GAMES))
    for ax, (game, spec) in zip(axes, GAMES.items()):
        for k in sorted(k for g, k in curves if g == game):
            runs = curves[game, k]
            mean, std = runs.mean(axis=0), runs.std(axis=0)
            end = WINDOW * np.arange(1, runs.shape[1] + 1)
            (line,) = ax.plot(end, mean, label=f"k = {k}")
            ax.fill_between(end, mean - std, mean + std, color=line.get_color(), alpha=0.2, linewidth=0)
            reached = REFERENCE[game, k][1]
            if reached is not None:
                ax.plot([reached], [spec.level], "x", color=line.get_color(), markersize=8)
        ax.axhline(spec.maximum, color="grey", linestyle="--", linewidth=1, label=f"maximum ({spec.maximum:g})")
        ax.axhline(spec.chance, color="black", linestyle="--", linewidth=1, label=f"chance ({spec.chance:g})")
        ax.set_title(f"{game} (x: source's first window >= {spec.level:g})")
        ax.set_ylabel(f"mean reward per {WINDOW} rounds")
        finish_axes(ax, "round", "center right")
    fig.suptitle(f"Multi-excitation PS, k-body cutoff: mean +- std over {agents} agents (softmax beta 1, h0 1)")
    return fig


def comparison(curves: dict) -> list[str]:
    """The closing table's rows: per game and k, our last window and first crossing beside the source's."""
    rows = []
    for (game, k), runs in curves.items():
        mean, level = runs.mean(axis=0), GAMES[game].level
        ref_last, ref_reach = REFERENCE[game, k]
        reach = first_crossing(mean, level)
        cells = [reach, ref_reach]
        rows.append(
            f"{game:24s} {k}  {mean[-1]:8.3f} {ref_last:8.3f}    >= {level:<4g}"
            + "".join(f"{c if c is not None else 'never':>8}" for c in cells)
        )
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    quick = "--quick" in (sys.argv[1:] if argv is None else argv)
    agents, rounds = QUICK if quick else FULL
    parser = agents_command_line(
        __doc__, f"results/{NAME}", agents=agents, unit="round", count=rounds, seed_help="root seed of all seeds"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 agents x 1,000 rounds by default")
    args = parse(parser, argv, agents=1, rounds=WINDOW)
    if args.rounds % WINDOW:
        parser.error(f"--rounds must be a multiple of the window, {WINDOW} (got {args.rounds})")
    report = run(args.out, args.agents, args.rounds, seed=args.seed)
    header = f"{'game':24s} k  last window: ours / source    first window reaching: ours / source (end round)"
    print_summary(header, comparison(report["curves"]), report)


if __name__ == "__main__":
    main()
