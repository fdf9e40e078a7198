"""What the example scripts share: their command line, and the tidy CSV + PNG they write.

Not part of ps_graph: the scripts import it as ``_common`` (``python examples/<script>.py``
puts this folder first on ``sys.path``).

>>> parser = command_line(__doc__, "results/demo", seed_help="root seed")
>>> _ = parser.add_argument("--agents", type=int, default=10)
>>> args = parse(parser, ["--agents", "3"], agents=1)
>>> args.out, args.agents, args.seed
(PosixPath('results/demo'), 3, 0)
"""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ps_graph.files import atomic_write_text, save_figure

__all__ = [
    "agents_command_line",
    "SearchRun",
    "search_main",
    "command_line",
    "finish_axes",
    "parse",
    "print_summary",
    "steps_command_line",
    "train_search_agents",
    "write_outputs",
    "write_table",
    "wrote",
]


def command_line(doc: str, out: str, *, seed_help: str | None = None) -> argparse.ArgumentParser:
    """A parser described by the first paragraph of ``doc``, with ``--out`` (default ``out``) and ``--seed``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(out), help="output folder")
    parser.add_argument("--seed", type=int, default=0, help=seed_help)
    return parser


def agents_command_line(
    doc: str, out: str, *, agents: int, unit: str, count: int, seed_help: str
) -> argparse.ArgumentParser:
    """:func:`command_line` plus ``--agents`` (agents per curve, default ``agents``) and
    ``--<unit>s`` (``<unit>``s per agent, default ``count``), for the examples that average
    many agents per curve."""
    parser = command_line(doc, out, seed_help=seed_help)
    parser.add_argument("--agents", type=int, default=agents, help="agents per curve")
    parser.add_argument(f"--{unit}s", type=int, default=count, help=f"{unit}s per agent")
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None, **minimum: int) -> argparse.Namespace:
    """``parser.parse_args(argv)``; a usage error (exit 2) names every option below its minimum.

    ``--seed`` must be >= 0 in every example.
    """
    args = parser.parse_args(argv)
    low = [
        f"--{name.replace('_', '-')} must be >= {least} (got {getattr(args, name)})"
        for name, least in {**minimum, "seed": 0}.items()
        if getattr(args, name) < least
    ]
    if low:
        parser.error("; ".join(low))
    return args


def steps_command_line(doc: str, out: str, steps: int, argv: Sequence[str] | None) -> argparse.Namespace:
    """The DQN examples' options: ``--out``, ``--steps`` (training steps, default ``steps``), ``--seed``."""
    parser = command_line(doc, out)
    parser.add_argument("--steps", type=int, default=steps, help="training steps")
    return parse(parser, argv, steps=1)


def finish_axes(ax, xlabel: str, legend: str, *, which: str = "major") -> None:
    """The examples' axes style: ``xlabel``, a light grid (``which`` ticks), a small legend at ``legend``.

    Call it once everything is drawn: the legend lists the labelled artists there are.
    """
    ax.set_xlabel(xlabel)
    ax.grid(True, which=which, alpha=0.3)
    ax.legend(loc=legend, fontsize=9)


def write_table(path: Path, fields: Sequence[str], rows: Iterable[Sequence]) -> Path:
    """A tidy CSV (header ``fields``, one line per row; floats with 6 significant digits), atomically."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(fields)
    writer.writerows([f"{v:.6g}" if isinstance(v, (float, np.floating)) else v for v in row] for row in rows)
    return atomic_write_text(path, buf.getvalue())


def write_outputs(out: Path, name: str, fields: Sequence[str], rows: Iterable[Sequence], fig) -> dict[str, Path]:
    """Write ``OUT/<name>.csv`` (:func:`write_table`) and ``OUT/<name>.png`` (``fig``, 120 dpi).

    Returns ``{"csv": path, "png": path}``.
    """
    out.mkdir(parents=True, exist_ok=True)
    csv_path = write_table(out / f"{name}.csv", fields, rows)
    return {"csv": csv_path, "png": save_figure(fig, out / f"{name}.png", dpi=120)}


def wrote(report: dict, *keys: str) -> str:
    """The closing line of an example: ``"wrote A, B and C"`` for the paths ``report[key]``.

    >>> wrote({"csv": "out/a.csv", "png": "out/a.png"}, "csv", "png")
    'wrote out/a.csv and out/a.png'
    """
    paths = [str(report[key]) for key in keys]
    return "wrote " + (f"{', '.join(paths[:-1])} and {paths[-1]}" if len(paths) > 1 else paths[0])


def print_summary(header: str, rows: Iterable[str], report: dict, files: Sequence[str] = ("csv", "png")) -> None:
    """An example's closing lines on stdout: ``header``, one line per row, then the files it wrote.

    >>> print_summary("agent  success", ["ps     0.900"], {"csv": "out/a.csv", "png": "out/a.png"})
    agent  success
    ps     0.900
    wrote out/a.csv and out/a.png
    """
    print(header)
    for row in rows:
        print(row)
    print(wrote(report, *files))


@dataclass(frozen=True)
class SearchRun:
    """The size of a search example's run: agents, episodes of ``steps`` steps, the root seed,
    ``quick`` (small scans of the fixed strategies) and ``progress`` (a bar over the agents' episodes)."""

    agents: int
    episodes: int
    steps: int
    seed: int = 0
    quick: bool = False
    progress: bool = False


def train_search_agents(env_id: str, size: SearchRun, world: dict, **ps):
    """Train ``size.agents`` PS agents in lockstep, one :class:`ps_graph.BatchedTwoLayerPS` of K
    agents (``ps`` its keywords; agent seeds derived from the root seed ``size.seed``), on K
    walkers of ``env_id`` (``gym.make_vec(..., vectorization_mode="vector_entry_point")``, the
    native vector env, with episodes of ``size.steps`` steps and the ``world`` keywords; reset
    with seed ``size.seed + 1``), ``size.episodes`` episodes each through :func:`ps_graph.train_batch`.

    Returns ``(agents, result)``: the trained agents and the :class:`ps_graph.BatchResult`
    (returns and lengths of shape (K, episodes)).

    >>> agents, result = train_search_agents("ps_graph/Reset1D-v0", SearchRun(3, 2, 50), {"distance": 1.0})
    >>> agents.num_agents, result.returns.shape, result.lengths.tolist()[0]
    (3, (3, 2), [50, 50])
    """
    import gymnasium as gym

    import ps_graph.envs  # noqa: F401  (registers the ps_graph/... ids)
    from ps_graph import BatchedTwoLayerPS, train_batch

    envs = gym.make_vec(
        env_id, num_envs=size.agents, vectorization_mode="vector_entry_point", episode_steps=size.steps, **world
    )
    agents = BatchedTwoLayerPS.for_env(envs, seed=size.seed, **ps)
    try:
        result = train_batch(agents, envs, episodes=size.episodes, seed=size.seed + 1, progress=size.progress)
    finally:
        envs.close()
    return agents, result


def search_main(doc: str, name: str, run, argv, *, agents: int, episodes: int, steps: int, unit: str) -> None:
    """The search examples' command line: ``--agents``, ``--episodes``, ``--steps`` (per episode),
    ``--quick``, ``--out``, ``--seed``; runs ``run(out, SearchRun(...))`` and
    prints the best fixed strategies (``report["best"]``) and the agents' last tenth (``report["curves"]``),
    in ``unit``s."""
    parser = agents_command_line(
        doc, f"results/{name}", agents=agents, unit="episode", count=episodes, seed_help="root seed"
    )
    parser.add_argument("--steps", type=int, default=steps, help="steps per episode")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small scans of the fixed strategies")
    args = parse(parser, argv, agents=1, episodes=1, steps=10)
    report = run(args.out, SearchRun(args.agents, args.episodes, args.steps, args.seed, args.quick, progress=True))
    last = max(1, args.episodes // 10)
    rows = [f"{kind:14s} best at {p:.3g}: {value:.4g}" for kind, (p, value) in report["best"].items()]
    rows.append(f"{'PS':14s} last {last} episodes: {report['curves'][:, -last:].mean():.4g}")
    print_summary(unit, rows, report)
