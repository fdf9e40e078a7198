"""``ps-graph inspect SAVED.json``: summarize, explain and draw a saved PS agent.

The file's ``format`` field says which agent kind wrote it (:func:`ps_graph.registry.kind_for_format`);
PS agents (``"ps_graph.agent"``) open with their kind's ``load``, any other format gets a
one-line error that says how to load it in Python.

>>> import argparse
>>> sub = argparse.ArgumentParser(prog="ps-graph").add_subparsers()
>>> add_parser(sub).parse_args(["agent.json", "--rows", "3"]).rows
3
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from ..checks import printable
from ..fileformat import load_file
from ..registry import agent_kind, kind_for_format, kinds
from .args import PERCEPT_HELP, CommandError, _tuples, add_count, parse_percept, probability
from .kinds import PS_FORMAT, loader_call, ps_kinds

__all__ = ["add_parser", "load_ps_agent", "run"]

_ZIP_MAGIC = b"PK\x03\x04"
#: The most characters of one label (percept, action, clip) that ``inspect`` prints.
LABEL_LIMIT = 80

HELP = "summarize, explain and draw a saved PS agent"
DESCRIPTION = (
    "Open a PS agent (ps, ps-fast) saved with ps_graph.save or ps-graph train: print a "
    "summary of its policy, explain one percept exactly, and/or write the interactive offline ECM "
    "page. Other agents' files load in Python with their kind's load function (inspect says "
    "which when given one)."
)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``inspect`` to ``subparsers``; returns its parser."""
    parser = subparsers.add_parser("inspect", help=HELP, description=DESCRIPTION)
    parser.add_argument("saved", type=Path, metavar="SAVED.json", help="a file written by ps_graph.save")
    parser.add_argument(
        "--html", type=Path, metavar="OUT.html", help="write the interactive ECM view (one self-contained page) here"
    )
    parser.add_argument(
        "--explain",
        metavar="PERCEPT",
        help=f"print the exact action probabilities and most probable paths of {PERCEPT_HELP}",
    )
    add_count(parser, "--paths", 5, "K", "how many most probable paths --explain lists")
    add_count(parser, "--rows", 20, "N", "how many percepts the summary lists")
    parser.add_argument(
        "--percepts",
        nargs="+",
        metavar="PERCEPT",
        help="--html shows only what these percepts reach (each as for --explain)",
    )
    parser.add_argument(
        "--min-probability",
        type=probability,
        default=0.0,
        metavar="P",
        help="--html hides edges whose hopping probability is below P (default 0)",
    )
    parser.set_defaults(run=run)
    return parser


def _file_format(data: bytes) -> tuple[str | None, bool]:
    """The ``format`` field of a JSON file (None when the data is not a JSON object with one),
    and whether the data is a zip archive."""
    try:
        value = json.loads(data).get("format")
    except (ValueError, AttributeError, RecursionError):
        value = None
    return (value if isinstance(value, str) else None), data.startswith(_ZIP_MAGIC)


def _loaders(file_format: str | None) -> str:
    """How to load the files of ``file_format`` in Python, or (None) of every saveable kind that is not PS."""
    loaders = {
        name: loader_call(kind)
        for name, kind in kinds().items()
        if kind.load is not None and kind.file_format != PS_FORMAT and file_format in (None, kind.file_format)
    }
    if file_format is not None and len(set(loaders.values())) == 1:
        return next(iter(loaders.values()))
    shown = "; ".join(f"{name}: {call}" for name, call in loaders.items())
    return shown or "its kind's load function (none is registered)"


def load_ps_agent(path: Path) -> Any:
    """The PS agent saved at ``path``, loaded by a kind registered for :data:`PS_FORMAT`.

    The file is read through :func:`ps_graph.fileformat.load_file`, so a directory, a device
    (``/dev/zero``), a FIFO or a file over the size limit is refused before it is read. A
    file of another kind (its ``format`` field names it; a zip archive, as torch-based agents
    write, has none) raises a :class:`CommandError` that says how to load it instead; any
    other unreadable file gets the PS loader's own error.
    """
    readers = ", ".join(ps_kinds())
    then = f"inspect reads PS agents ({readers}), the files ps_graph.save writes."
    # read as every agent file is (a regular file under the size limit), so /dev/zero or a FIFO is refused
    file_format, zipped = load_file(path, _file_format, "agent file")
    if file_format is not None and file_format != PS_FORMAT:
        writers = kind_for_format(file_format)
        if not writers:
            raise CommandError(
                f"{path} has format {file_format!r}, which no registered agent kind reads; "
                f"expected {PS_FORMAT!r}. {then}"
            )
        raise CommandError(
            f"{path} holds a {', '.join(writers)} agent (format {file_format!r}, not {PS_FORMAT!r}): "
            f"load it in Python with {_loaders(file_format)}. {then}"
        )
    if file_format is None and zipped:
        raise CommandError(
            f"{path} is a zip archive (as torch.save writes), not a JSON agent file: load it in "
            f"Python with its kind's loader ({_loaders(None)}). {then}"
        )
    loaders = [loader for loader in (agent_kind(name).loader() for name in ps_kinds()) if loader is not None]
    if not loaders:
        raise CommandError(
            f"no registered agent kind loads {PS_FORMAT!r} files; register one with "
            f"ps_graph.register_agent(kind, build, file_format={PS_FORMAT!r}, load=...)."
        )
    return loaders[0](path)


def _print_summary(agent, rows_shown: int, out) -> None:
    from ..inspection.decision import is_factorized
    from ..inspection.explain import policy_summary

    rows = policy_summary(agent)
    what = "decider" if is_factorized(agent) else "percept"  # multi-excitation: a row per deciding clip
    print(f"{len(rows)} {what}s; most likely action per {what} (first {min(len(rows), rows_shown)}):", file=out)
    for row in rows[:rows_shown]:
        print(
            f"  {printable(row.label, LABEL_LIMIT):>12} -> {printable(row.most_likely_label, LABEL_LIMIT)}  "
            f"(p = {row.probabilities[row.most_likely]:.3f}, "
            f"entropy {row.entropy:.3f} nats, visits {row.visits})",
            file=out,
        )


def _printable_explanation(explanation):
    """``explanation`` with every clip's name (its label, else its key) escaped for the terminal."""
    names = {clip: printable(explanation.labels.get(clip, str(clip)), LABEL_LIMIT) for clip in explanation.clips()}
    return dataclasses.replace(explanation, labels=names)


def _explained(agent, text: str, keys: list) -> object:
    """What ``--explain`` names: a percept clip, or for an agent with factorized percepts an observation."""
    from ..inspection.decision import is_factorized

    if not is_factorized(agent):
        return ("percept", parse_percept(text, keys))
    try:
        return _tuples(json.loads(text))
    except ValueError:
        raise CommandError(
            f"--explain {text!r} is not JSON; this agent factorizes its percepts, so give an observation "
            "as JSON, e.g. [1,0,1]."
        ) from None


def run(args: argparse.Namespace) -> int:
    """Print the summary (or ``--explain``) of the saved agent; write ``--html``."""
    from ..inspection.explain import explain

    agent = load_ps_agent(args.saved)
    ecm = agent.ecm if hasattr(agent, "ecm") else agent.to_ecm()
    out = sys.stdout
    print(f"{printable(args.saved, 300)}: {type(agent).__name__}, {printable(repr(ecm), 300)}", file=out)
    keys = [clip[1] for clip in ecm.clips("percept")]
    if args.explain is not None:
        explanation = explain(agent, _explained(agent, args.explain, keys), k=args.paths)
        print(_printable_explanation(explanation).to_text(), file=out)
    else:
        _print_summary(agent, args.rows, out)
    if args.html is not None:
        from ..inspection.viz import write_html

        percepts = None
        if args.percepts:
            percepts = [("percept", parse_percept(text, keys)) for text in args.percepts]
        path = write_html(
            ecm,
            args.html,
            percepts=percepts,
            min_probability=args.min_probability,
            title=f"ECM of {Path(args.saved).name}",
        )
        print(f"wrote {printable(path, 300)}", file=out)
    return 0
