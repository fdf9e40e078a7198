"""``ps-graph train``: train one agent and save it with its kind's ``save`` (:mod:`ps_graph.registry`).

``--seed S`` trains exactly run 0 of ``ps-graph compare --seed S``.

>>> import argparse
>>> sub = argparse.ArgumentParser(prog="ps-graph").add_subparsers()
>>> args = add_parser(sub).parse_args(["--env", "FrozenLake-v1", "--agent", "ps", "--episodes", "5", "--out", "a.json"])
>>> args.agent, args.seed, args.last
('ps', 0, 100)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..registry import agent_kind
from .args import CommandError, add_budget, add_count, add_seed, add_set, budget, env_id, split_settings
from .kinds import PS_FORMAT, how_to_open, kind_name, saved_kinds

__all__ = ["add_parser", "run"]

HELP = "train one agent and save it"
DESCRIPTION = (
    "Train one agent and save it with its kind's save function: PS agents (ps, ps-fast) with "
    f"ps_graph.save (JSON, format {PS_FORMAT!r}; open it with ps-graph inspect), other kinds in "
    "their own format (the command says how to load the file). --seed S trains exactly run 0 of "
    "`ps-graph compare --seed S`."
)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``train`` to ``subparsers``; returns its parser."""
    parser = subparsers.add_parser("train", help=HELP, description=DESCRIPTION)
    parser.add_argument("--env", type=env_id, required=True, metavar="ID", help="gymnasium environment id")
    parser.add_argument(
        "--agent",
        type=kind_name,
        required=True,
        metavar="KIND",
        help=f"agent kind, one of {', '.join(saved_kinds())} (those with a file format)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="FILE",
        help="where to save the agent (e.g. agent.json; agent.pt for torch weights); replaced if it exists",
    )
    add_budget(parser, runs=False)
    add_seed(parser, "root seed (default 0)")
    add_set(
        parser,
        "PARAM=VALUE",
        "an agent hyperparameter (eta_glow_damping=0.04) or an environment kwarg (env.is_slippery=false)",
    )
    add_count(parser, "--last", 100, "N", "the printed result averages the last N episodes")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Train run 0 of ``--seed``, save it to ``--out`` and print one line: the result and how to open the file."""
    from ..experiments import AgentSpec, EnvSpec, RunSpec, derive_seeds
    from ..experiments.single import validate
    from ..report import rerun

    save = agent_kind(args.agent).saver()
    if save is None:
        raise CommandError(
            f"agent kind {args.agent!r} has no file format to save it in; train one of "
            f"{', '.join(saved_kinds())}, or compare {args.agent!r} with `ps-graph compare`, which "
            "records its learning curves."
        )
    if args.out.is_dir():
        raise CommandError(
            f"--out {args.out} is a folder; give a file name such as agent.json (agent.pt for torch weights)."
        )
    settings = split_settings(args.set, None)
    env = EnvSpec(args.env, {**(args.env_kwargs or {}), **settings["env"]})
    spec = RunSpec(
        AgentSpec(args.agent, settings["agent"]), env, run=0, seed=derive_seeds(args.seed, 1)[0], **budget(args)
    )
    validate([spec])
    agent, result = rerun(spec)
    path = save(agent, args.out) or args.out  # a save that returns nothing wrote args.out
    last = min(args.last, result.episodes)
    print(
        f"{args.agent} on {spec.env.name}: {result.episodes} episodes, {result.steps} steps in "
        f"{result.wall_time:.2f} s; last {last} episodes: mean return {result.returns[-last:].mean():.3f}, "
        f"success {result.success_rate(last=last):.3f}; saved {path}; {how_to_open(args.agent, path)}"
    )
    return 0
