"""``ps-graph compare``: agents on environments over many seeds, resumably, with a report.

>>> import argparse
>>> sub = argparse.ArgumentParser(prog="ps-graph").add_subparsers()
>>> args = add_parser(sub).parse_args(["--env", "FrozenLake-v1", "--agents", "ps", "--episodes", "5", "--out", "x"])
>>> args.agents, args.runs, budget(args)
(['ps'], 10, {'episodes': 5, 'total_steps': None, 'max_steps': None})
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path
from typing import Any

from ..errors import CommandError
from .args import (
    add_budget,
    add_jobs,
    add_quiet,
    add_seed,
    add_set,
    add_summary,
    budget,
    env_id,
    positive_int,
    positive_real,
    real,
    split_settings,
)
from .kinds import describe_kinds, kind_names

__all__ = ["add_parser", "finish", "run", "stop_rule"]

HELP = "compare agents on environments over many seeds, with a report"
DESCRIPTION = (
    "Train every agent on every environment for --runs seeds (run i uses the same seed for "
    "every agent), locally on all cores or on a Dask cluster, and write OUT/ as documented in "
    "ps_graph.experiments (runs/<agent>/<env>/seed-<seed>/, episodes.csv) plus the report: "
    "report.html (self-contained, works offline), summary.csv, curves-<env>.png and "
    "ps_agent.json (run 0 of the first PS agent). Resume: run the same command again; finished "
    "runs are kept and skipped, interrupted ones redone. One compare writes a folder at a time "
    "(OUT/compare.lock), and a folder keeps one setting of each agent and environment: other "
    "settings, another --seed, budget or stopping rule on the same --out is an error, never "
    "overwritten or mixed. With --stop-last N --stop-at X a run ends once the mean return over its "
    "last N episodes reaches X (its config.json says so; its episodes.csv has the episodes it ran)."
)
EPILOG = (
    "example: ps-graph compare --env FrozenLake-v1 --set env.is_slippery=false --agents ps,q "
    "--runs 30 --episodes 500 --max-steps 99 --set ps.eta_glow_damping=0.04 --out results/fl"
)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``compare`` to ``subparsers``; returns its parser."""
    from ..experiments import BACKENDS
    from ..experiments.cluster import CONNECT_TIMEOUT

    parser = subparsers.add_parser("compare", help=HELP, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument(
        "--env",
        type=env_id,
        action="append",
        required=True,
        metavar="ID",
        help="gymnasium environment id (repeat for several; `ps-graph envs` lists some)",
    )
    parser.add_argument(
        "--agents",
        type=kind_names,
        required=True,
        metavar="KINDS",
        help=f"comma-separated agent kinds: {describe_kinds()}",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="results and report folder")
    add_budget(parser, runs=True)
    add_seed(parser, "root seed the run seeds derive from (default 0)")
    parser.add_argument(
        "--stop-last",
        type=positive_int,
        metavar="N",
        help="with --stop-at X: end a run once the mean return over its last N episodes is at least X",
    )
    parser.add_argument(
        "--stop-at", type=real, metavar="X", help="with --stop-last N: the mean return that ends a run early"
    )
    add_set(
        parser,
        "NAME.PARAM=VALUE",
        "a hyperparameter of one of the --agents (ps.eta_glow_damping=0.04, dqn.total_timesteps=5000, "
        'ps.growth=\'{"rule": "Generalization"}\') or an environment kwarg (env.is_slippery=false)',
    )
    add_jobs(parser)
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        help="loky: local worker processes (default); serial: this process, in order; dask: a "
        "Dask cluster (default with --scheduler; without one, a local cluster of --jobs)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address such as tcp://10.0.0.1:8786 (needs pip install 'ps_graph[cluster]'); "
        "checked before connecting",
    )
    parser.add_argument(
        "--connect-timeout",
        type=positive_real,
        default=CONNECT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on reaching the --scheduler after SECONDS (default {CONNECT_TIMEOUT:g})",
    )
    add_summary(parser)
    parser.add_argument(
        "--no-report",
        action="store_true",
        help="write only the results, not report.html, summary.csv, the PNGs and ps_agent.json",
    )
    add_quiet(parser)
    parser.set_defaults(run=run)
    return parser


def finish(results, args: argparse.Namespace, summary: dict[str, Any], report: Path | None) -> None:
    """Print the summary table (unless ``--quiet``; with several environments also each agent
    across them) and where the results and the report are."""
    from ..experiments import aggregate, summarize
    from ..report import format_summary
    from ..report.table import aggregate_table, format_table

    if not args.quiet:
        print(format_summary(summarize(results, **summary)))
        if len({env for _, env in results}) > 1:
            across = aggregate(results, summary["last"], metric=summary["metric"])
            print("\nacross environments (IQM of min-max normalized final scores):")
            print(format_table(*aggregate_table(across)))
    print(
        f"wrote the results to {args.out}"
        + (f" and the report to {report} (self-contained, works offline)" if report is not None else "")
    )


def _settings_shown(args: argparse.Namespace, agents, envs) -> dict[str, str]:
    """The report's table of what ran: the command, the agents' settings, the budget and the seeds."""
    return {
        "command": shlex.join(["ps-graph", *args.argv]),
        "agents": "; ".join(
            f"{a.name}: {json.dumps(a.hyperparameters) if a.hyperparameters else 'defaults'}" for a in agents
        ),
        "environments": ", ".join(e.name for e in envs),
        "budget per run": (f"{args.episodes} episodes" if args.episodes else f"{args.total_steps} steps")
        + (f", at most {args.max_steps} steps per episode" if args.max_steps else "")
        + (
            f"; a run stops once the mean return over its last {args.stop_last} episodes is at least {args.stop_at:g}"
            if args.stop_last is not None
            else ""
        ),
        "runs": f"{args.runs} per agent and environment, seeds derived from root seed {args.seed} "
        "(run i uses the same seed for every agent)",
    }


def stop_rule(args: argparse.Namespace):
    """The stopping rule of ``--stop-last N --stop-at X`` (both or neither), or None.

    >>> stop_rule(argparse.Namespace(stop_last=50, stop_at=0.9))
    StopWhenMeanReturn(last=50, at_least=0.9)
    >>> stop_rule(argparse.Namespace(stop_last=50, stop_at=None))
    Traceback (most recent call last):
    ...
    ps_graph.errors.CommandError: --stop-last 50 needs --stop-at X too ...
    """
    from ..stopping import StopWhenMeanReturn

    last, at = args.stop_last, args.stop_at
    if last is None and at is None:
        return None
    if last is None or at is None:
        given, missing = ("--stop-last", "--stop-at X") if at is None else ("--stop-at", "--stop-last N")
        raise CommandError(
            f"{given} {last if at is None else at:g} needs {missing} too (a run stops once the mean return over "
            "its last N episodes is at least X); give both, or neither to run every budget in full."
        )
    return StopWhenMeanReturn(last=last, at_least=at)


def run(args: argparse.Namespace) -> int:
    """Run the comparison (resuming finished runs), then write the report unless ``--no-report``."""
    from ..experiments import AgentSpec, EnvSpec, compare
    from ..report import report_comparison

    stop = stop_rule(args)
    settings = split_settings(args.set, args.agents)
    env_kwargs = {**(args.env_kwargs or {}), **settings.pop("env")}
    agents = [AgentSpec(kind, settings[kind]) for kind in args.agents]
    envs = [EnvSpec(env, env_kwargs) for env in dict.fromkeys(args.env)]
    where = {name: getattr(args, name) for name in ("runs", "seed", "jobs", "backend", "scheduler", "connect_timeout")}
    results = compare(agents, envs, args.out, progress=not args.quiet, stop=stop, **where, **budget(args))
    summary = {"last": args.last, "threshold": args.threshold, "window": args.window, "metric": args.metric}
    report = None
    if not args.no_report:
        report = report_comparison(
            results,
            agents,
            envs,
            args.out,
            seed=args.seed,
            stop=stop,
            **budget(args),
            title=f"{', '.join(a.name for a in agents)} on {', '.join(e.name for e in envs)}",
            settings=_settings_shown(args, agents, envs),
            **summary,
        )
    finish(results, args, summary, report)
    return 0
