"""The ``ps-graph`` command line.

* ``ps-graph demo`` runs the course's FrozenLake exercise (PS vs Q-learning vs DQN) and
  writes a report folder: one self-contained HTML page with the learning curves, the
  summary, the exact optimum and the interactive ECM of a trained PS agent.
* ``ps-graph compare --env ID --agents ps,q,dqn --runs N --episodes M --out DIR`` runs
  any comparison (locally on all cores, or on a Dask cluster), resumably, and writes the
  same report.
* ``ps-graph tune --env ID --agent KIND --trials N --storage sqlite:///study.db`` searches
  an agent's hyperparameters with Optuna, resumably, and can write a page of the results.
* ``ps-graph train`` trains and saves one agent; ``ps-graph inspect SAVED.json`` opens a
  saved PS agent without writing code (summary, exact explanation of a percept, the
  interactive offline page); ``ps-graph envs`` lists the environments and which agents
  apply.

Every subcommand documents its options in ``--help``; a bad option value or an unreadable
file gives a one-line message and exit status 2, never a traceback.

Each subcommand is one module (:mod:`.demo`, :mod:`.compare`, :mod:`.tune`, :mod:`.train`,
:mod:`.inspecting`, :mod:`.envs`) with ``add_parser(subparsers)`` and ``run(args)``;
:mod:`.args` holds the option types and shared options, :mod:`.kinds` the agent kinds as
read from :mod:`ps_graph.registry`.

>>> sorted(_commands(build_parser()))
['compare', 'demo', 'envs', 'inspect', 'train', 'tune']
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ..checks import printable
from ..errors import PSGraphError
from . import compare, demo, envs, inspecting, train, tune
from .args import CommandError, parse_percept, parse_setting

__all__ = ["CommandError", "build_parser", "main", "parse_percept", "parse_setting"]

#: The subcommand modules, in the order ``--help`` lists them.
COMMANDS = (demo, compare, tune, train, inspecting, envs)


def build_parser() -> argparse.ArgumentParser:
    """The ``ps-graph`` parser: one subparser per module of :data:`COMMANDS`, each setting ``run``."""
    parser = argparse.ArgumentParser(
        prog="ps-graph",
        description="Projective simulation with the ECM as a networkx graph: compare PS with "
        "Q-learning and DQN, train, and inspect what a PS agent learned.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The subcommands' parsers by name."""
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


#: The longest error line the command prints (longer messages are cut and say their length).
MESSAGE_LIMIT = 2000


def _message(exc: BaseException) -> str:
    """``exc`` as one printable line: whitespace runs become one space, control characters
    (ANSI escapes) are shown escaped, and the line is cut at :data:`MESSAGE_LIMIT` characters."""
    if isinstance(exc, OSError) and exc.filename:
        text = f"{exc.strerror or exc}: {exc.filename}"
    else:
        text = " ".join([str(exc) or type(exc).__name__, *getattr(exc, "__notes__", [])])
    return printable(" ".join(text.split()), MESSAGE_LIMIT)


def _log_warnings_only() -> None:
    """Show warnings and errors of every logger once, as ``ps-graph: LEVEL: message``.

    The handler itself filters at WARNING: libraries that set their own loggers to INFO
    (Dask's scheduler and workers do) would otherwise fill the terminal.
    """
    root = logging.getLogger()
    if any(getattr(h, "_ps_graph", False) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("ps-graph: %(levelname)s: %(message)s"))
    handler._ps_graph = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ps-graph`` with ``argv`` (default: the process arguments); returns the exit status.

    0 on success, 2 for a usage error (argparse exits) or a one-line error, 130 when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    _log_warnings_only()
    try:
        return args.run(args)
    except (CommandError, PSGraphError, OSError, ImportError) as exc:
        print(f"ps-graph {args.command}: error: {_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"ps-graph {args.command}: interrupted"
            + (
                "; finished runs are kept, run the same command again to resume"
                if args.command in ("compare", "demo")
                else ""
            ),
            file=sys.stderr,
        )
        return 130
