"""The ``ps-graph`` command line.

``ps-graph inspect SAVED.json --html OUT.html --explain PERCEPT`` opens an agent saved with
:func:`ps_graph.save` without writing code: a summary of its ECM, the exact explanation of
one percept, and the interactive offline page.

Every subcommand documents its options in ``--help``; a bad option value or an unreadable
file gives a one-line message and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Hashable, Sequence
from pathlib import Path

from .errors import PSGraphError

__all__ = ["main", "build_parser", "parse_percept"]

_PERCEPT_HELP = (
    "a percept as JSON: 3 for a Discrete observation, [1,0] for a MultiDiscrete one, "
    "[2,[1,0]] for a Tuple; lists are read as tuples"
)


class CommandError(Exception):
    """A user error the command reports in one line."""


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a probability between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a probability between 0 and 1, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def parse_percept(text: str, known: Sequence[Hashable]) -> Hashable:
    """The percept key that ``text`` names among ``known`` keys.

    ``text`` is read as JSON (lists become tuples), so ``3``, ``[1,0]`` and ``"s"`` name the
    percepts ``3``, ``(1, 0)`` and ``"s"``; text that is not JSON is matched against the keys'
    ``str`` form (what the ECM's labels show).

    >>> parse_percept("[1,0]", [(0, 0), (1, 0)])
    (1, 0)
    >>> parse_percept("s", ["s", "t"])
    's'
    """
    candidates = []
    try:
        candidates.append(_tuples(json.loads(text)))
    except ValueError:
        pass
    for key in candidates:
        try:
            if key in known:
                return key
        except TypeError:  # an unhashable JSON value (an object) names no percept
            pass
    for key in known:
        if str(key) == text:
            return key
    shown = ", ".join(json.dumps(k) if not isinstance(k, tuple) else str(k) for k in list(known)[:10])
    more = f" (and {len(known) - 10} more)" if len(known) > 10 else ""
    raise CommandError(f"no percept {text!r} in this agent; known percepts: {shown or 'none'}{more}. "
                       f"Give PERCEPT as {_PERCEPT_HELP}.")


def _cmd_inspect(args: argparse.Namespace) -> int:
    from . import saving
    from .explain import explain, policy_summary

    agent = saving.load(args.saved)
    ecm = agent.ecm if hasattr(agent, "ecm") else agent.to_ecm()
    out = sys.stdout
    print(f"{args.saved}: {type(agent).__name__}, {ecm!r}", file=out)
    keys = [clip[1] for clip in ecm.clips("percept")]
    if args.explain is not None:
        key = parse_percept(args.explain, keys)
        print(explain(ecm, ("percept", key), k=args.paths).to_text(), file=out)
    else:
        rows = policy_summary(ecm)
        print(f"{len(rows)} percepts; most likely action per percept (first {min(len(rows), args.rows)}):", file=out)
        for row in rows[: args.rows]:
            print(f"  {row.label:>12} -> {row.most_likely_label}  (p = {row.probabilities[row.most_likely]:.3f}, "
                  f"entropy {row.entropy:.3f} nats, visits {row.visits})", file=out)
    if args.html is not None:
        from .viz import write_html

        percepts = None
        if args.percepts:
            percepts = [("percept", parse_percept(text, keys)) for text in args.percepts]
        path = write_html(ecm, args.html, percepts=percepts, min_probability=args.min_probability,
                          title=f"ECM of {Path(args.saved).name}")
        print(f"wrote {path}", file=out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ps-graph", description="Projective simulation with the ECM as a networkx graph.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    inspect = sub.add_parser(
        "inspect", help="summarize, explain and draw a saved PS agent",
        description="Open an agent saved with ps_graph.save: print a summary of its policy, "
                    "explain one percept exactly, and/or write the interactive offline ECM page.",
    )
    inspect.add_argument("saved", type=Path, metavar="SAVED.json", help="a file written by ps_graph.save")
    inspect.add_argument("--html", type=Path, metavar="OUT.html",
                         help="write the interactive ECM view (one self-contained page) here")
    inspect.add_argument("--explain", metavar="PERCEPT",
                         help=f"print the exact action probabilities and most probable paths of {_PERCEPT_HELP}")
    inspect.add_argument("--paths", type=_positive_int, default=5, metavar="K",
                         help="how many most probable paths --explain lists (default 5)")
    inspect.add_argument("--rows", type=_positive_int, default=20, metavar="N",
                         help="how many percepts the summary lists (default 20)")
    inspect.add_argument("--percepts", nargs="+", metavar="PERCEPT",
                         help="--html shows only what these percepts reach (each as for --explain)")
    inspect.add_argument("--min-probability", type=_probability, default=0.0, metavar="P",
                         help="--html hides edges whose hopping probability is below P (default 0)")
    inspect.set_defaults(run=_cmd_inspect)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ps-graph`` with ``argv`` (default: the process arguments); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (CommandError, PSGraphError, OSError) as exc:
        message = str(exc) if not isinstance(exc, OSError) or not exc.filename else f"{exc.strerror}: {exc.filename}"
        print(f"ps-graph {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
