"""``ps-graph tune``: an Optuna hyperparameter search of one agent kind on one environment.

>>> import argparse
>>> sub = argparse.ArgumentParser(prog="ps-graph").add_subparsers()
>>> args = add_parser(sub).parse_args(["--env", "FrozenLake-v1", "--agent", "ps", "--trials", "3",
...                                    "--storage", "sqlite:///s.db", "--space", "eta_glow_damping=log:0.01:1"])
>>> args.episodes, args.seeds, args.jobs, args.space[0][1].text()
(200, 3, 1, 'log:0.01:1')
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..tuning.space import cli_param, default_space, space_text
from .args import add_count, add_seed, env_id, jobs, parse_setting, positive_int
from .kinds import kind_name

__all__ = ["add_parser", "run"]

HELP = "search an agent's hyperparameters with Optuna (resumable)"
DESCRIPTION = (
    "Run (or continue) an Optuna study: each trial trains --agent on --env for --episodes on each of "
    "--seeds seeds (the same seeds for every trial) and scores the mean return over all those episodes. "
    "Poor trials are pruned while they train. The study lives in --storage, a database URL: running the "
    "same command again continues it until --trials trials have finished; several processes (--jobs) or "
    "machines (a shared postgresql:// or mysql:// URL and the same --study) can run it at once. "
    'Needs optuna: pip install "ps_graph[tune]".'
)
EPILOG = (
    "example: ps-graph tune --env FrozenLake-v1 --env-set is_slippery=false --agent ps --trials 30 "
    "--episodes 200 --max-steps 100 --storage sqlite:///study.db --page tuning.html"
)


def _spaces() -> str:
    return "; ".join(f"{k}: " + ", ".join(f"{n}={t}" for n, t in space_text(default_space(k)).items())
                     for k in ("ps", "q", "dqn"))  # fmt: skip


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``tune`` to ``subparsers``; returns its parser."""
    parser = subparsers.add_parser("tune", help=HELP, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--env", type=env_id, required=True, metavar="ID", help="gymnasium environment id")
    parser.add_argument("--agent", type=kind_name, required=True, metavar="KIND", help="agent kind (ps, q, dqn, ...)")
    parser.add_argument("--trials", type=positive_int, required=True, metavar="N", help="finished trials to reach")
    parser.add_argument(
        "--storage", required=True, metavar="URL", help="study database, e.g. sqlite:///study.db or postgresql://..."
    )
    parser.add_argument("--study", metavar="NAME", help="study name (default '<agent> on <env name>')")
    add_count(parser, "--episodes", 200, "E", "training episodes per seed in every trial")
    add_count(parser, "--seeds", 3, "S", "seeds every trial trains on")
    parser.add_argument(
        "--jobs", type=jobs, default=1, metavar="J", help="worker processes (default 1; -1: one per CPU core)"
    )
    parser.add_argument(
        "--space",
        type=cli_param,
        action="append",
        metavar="NAME=SPEC",
        help="override the searched range of a hyperparameter: NAME=log:LO:HI, NAME=float:LO:HI, NAME=int:LO:HI, "
        f"NAME=choice:a,b,c, or NAME=VALUE to fix it; repeatable. Defaults: {_spaces()}",
    )
    parser.add_argument(
        "--set", type=parse_setting, action="append", metavar="NAME=VALUE", help="fix a hyperparameter; repeatable"
    )
    parser.add_argument(
        "--env-set", type=parse_setting, action="append", metavar="K=V", help="environment kwarg; repeatable"
    )
    parser.add_argument("--max-steps", type=positive_int, metavar="T", help="cut every episode after T steps")
    add_seed(parser, "root of the run seeds and of the sampler (default 0)")
    parser.add_argument("--page", metavar="PATH", help="write the results page (HTML) there")
    parser.add_argument("--progress", action="store_true", help="show a progress bar (--jobs 1)")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the study and print the best settings (and where the page is)."""
    from ..tuning import tune

    n_jobs = (os.cpu_count() or 1) if args.jobs == -1 else args.jobs
    kwargs: dict[str, Any] = dict(
        trials=args.trials,
        storage=args.storage,
        study_name=args.study,
        episodes=args.episodes,
        seeds=args.seeds,
        jobs=n_jobs,
        space=dict(args.space or []),
        fixed=dict(args.set or []),
        env_kwargs=dict(args.env_set or []),
        max_steps=args.max_steps,
        seed=args.seed,
        page=args.page,
        progress=args.progress,
    )
    result = tune(args.env, args.agent, **kwargs)
    print(f"study {result.study_name!r} in {result.storage}: {result.finished} finished trials")
    if result.best_params is None:
        print("no trial completed yet")
    else:
        settings = " ".join(f"{k}={v}" for k, v in result.best_params.items())
        print(f"best objective {result.best_value:.4f} (mean return per episode) with: {settings}")
    if result.page:
        print(f"page: {result.page}")
    return 0
