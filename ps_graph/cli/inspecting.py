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
        "--html",
        type=Path,
        metavar="OUT.html",
        help="write the ECM explorer (one self-contained, offline page: exact explanations, filters, policy map) here",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="B.json",
        help="--html also shows this second saved PS agent (same environment): its hopping probabilities "
        "on the same edges and its explanations",
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


def _labelled(agent, clip, ecm_label: str) -> str:
    """What shows ``clip``: the agent's labels (:mod:`ps_graph.labels`), else the ECM's label."""
    labels = getattr(agent, "labels", None)
    return ecm_label if labels is None else labels.clip(clip, getattr(agent, "ecm", None))


def _print_summary(agent, rows_shown: int, out) -> None:
    from ..inspection.decision import is_factorized
    from ..inspection.explain import policy_summary

    rows = [
        dataclasses.replace(
            row,
            label=_labelled(agent, row.percept, row.label),
            action_labels={a: _labelled(agent, a, name) for a, name in row.action_labels.items()},
        )
        for row in policy_summary(agent)
    ]
    labels = getattr(agent, "labels", None)
    if labels is not None and labels.actions:
        names = ", ".join(f"{a} = {labels.action(a)}" for a in agent.actions)
        print(f"actions: {printable(names, 300)}", file=out)
    what = "decider" if is_factorized(agent) else "percept"  # multi-excitation: a row per deciding clip
    print(f"{len(rows)} {what}s; most likely action per {what} (first {min(len(rows), rows_shown)}):", file=out)
    for row in rows[:rows_shown]:
        print(
            f"  {printable(row.label, LABEL_LIMIT):>12} -> {printable(row.most_likely_label, LABEL_LIMIT)}  "
            f"(p = {row.probabilities[row.most_likely]:.3f}, "
            f"entropy {row.entropy:.3f} nats, visits {row.visits})",
            file=out,
        )


def _printable_explanation(explanation, agent=None):
    """``explanation`` with every clip's name (the agent's label, else the ECM's, else its key)
    escaped for the terminal."""
    names = {
        clip: printable(_labelled(agent, clip, explanation.labels.get(clip, str(clip))), LABEL_LIMIT)
        for clip in explanation.clips()
    }
    return dataclasses.replace(explanation, labels=names)


def _named_percept(text: str, keys: list, agent) -> object:
    """The percept key ``text`` names: as :func:`~ps_graph.cli.args.parse_percept` reads it
    (JSON, or a key as shown), else the one percept the agent's labels label ``text``."""
    try:
        return parse_percept(text, keys)
    except CommandError:
        labels = getattr(agent, "labels", None)
        named = [] if labels is None else [key for key in keys if labels.percept(key) == text]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            shown = ", ".join(printable(repr(k), LABEL_LIMIT) for k in named[:5])
            raise CommandError(
                f"{printable(text, LABEL_LIMIT)!r} labels {len(named)} percepts ({shown}); name one by its key."
            ) from None
        raise


def _explained(agent, text: str, keys: list) -> object:
    """What ``--explain`` names: a percept clip, or for an agent with factorized percepts an observation."""
    from ..inspection.decision import is_factorized

    if not is_factorized(agent):
        return ("percept", _named_percept(text, keys, agent))
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
        print(_printable_explanation(explanation, agent).to_text(), file=out)
    else:
        _print_summary(agent, args.rows, out)
    if args.html is not None:
        _write_explorer(agent, args, keys, out)
    elif args.compare is not None:
        raise CommandError("--compare adds a second agent to the explorer page: give --html OUT.html too.")
    return 0


def _write_explorer(agent, args: argparse.Namespace, keys: list, out) -> None:
    """``--html`` (with ``--compare``, ``--percepts``, ``--min-probability``): write the explorer page."""
    from ..inspection.viz import write_html

    percepts = None
    if args.percepts:
        percepts = [("percept", _named_percept(text, keys, agent)) for text in args.percepts]
    other = None if args.compare is None else load_ps_agent(args.compare)
    path = write_html(
        agent,
        args.html,
        percepts=percepts,
        min_probability=args.min_probability,
        title=f"ECM of {Path(args.saved).name}",
        compare=other,
        compare_title=None if args.compare is None else f"ECM of {Path(args.compare).name}",
    )
    print(f"wrote {printable(path, 300)}", file=out)
