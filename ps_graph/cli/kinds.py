"""The agent kinds as the command line sees them, all read from :mod:`ps_graph.registry`.

The command line knows no agent by name: ``--agents`` and ``--agent`` accept the registered
kinds, ``train`` saves with a kind's ``save``, ``inspect`` opens a file by its ``format``
field, and the hints that say how to open a saved file are written from the kind's ``load``.

>>> kind_names("ps,ps-fast")
['ps', 'ps-fast']
>>> how_to_open("ps", "agent.json")
'open it with: ps-graph inspect agent.json'
>>> loader_call(agent_kind("ps"))
'ps_graph.saving.load(path)'
"""

from __future__ import annotations

import argparse
import inspect

from ..errors import PSGraphError
from ..registry import AgentKind, agent_kind, kind_for_format, kinds
from .args import did_you_mean

__all__ = [
    "PS_FORMAT",
    "describe_kinds",
    "how_to_open",
    "kind_name",
    "kind_names",
    "loader_call",
    "ps_kinds",
    "saved_kinds",
]

#: The file format ``inspect`` reads: PS agents, as ``ps_graph.save`` writes them.
PS_FORMAT = "ps_graph.agent"


def kind_name(text: str) -> str:
    """A registered agent kind (argparse type): an unknown one is a usage error naming the known ones."""
    kind = text.strip()
    known = list(kinds())
    if kind not in known:
        raise argparse.ArgumentTypeError(
            f"unknown agent kind {kind!r}{did_you_mean(kind, known)} (known kinds: {', '.join(known)})"
        )
    return kind


def kind_names(text: str) -> list[str]:
    """Comma-separated registered agent kinds, each once (argparse type)."""
    names = [kind_name(part) for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated agent kinds such as ps,q,dqn, got {text!r}")
    twice = sorted({k for k in names if names.count(k) > 1})
    if twice:
        raise argparse.ArgumentTypeError(f"agent kind(s) {', '.join(twice)} given twice in {text!r}")
    return names


def describe_kinds() -> str:
    """``"ps: description; ps-fast: ..."`` for every registered kind (for ``--help``)."""
    return "; ".join(f"{name}: {kind.description}" for name, kind in kinds().items())


def saved_kinds() -> list[str]:
    """The registered kinds that can be saved (those with a ``save``), in registry order."""
    return [name for name, kind in kinds().items() if kind.save is not None]


def ps_kinds() -> list[str]:
    """The registered kinds saved as PS agents, the files ``inspect`` reads."""
    return kind_for_format(PS_FORMAT)


def loader_call(kind: AgentKind) -> str:
    """How to call ``kind``'s ``load`` in Python, e.g. ``"ps_graph.saving.load(path)"``.

    The name is the one registered (``"module:attr"`` is shown as ``module.attr``); the
    arguments are the loader's positional parameters (``path``, or ``path, env``).
    """
    target = kind.load
    if isinstance(target, str):
        name = target.replace(":", ".")
    else:
        name = f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', repr(target))}"
    try:
        loader = kind.loader()
        params = (
            []
            if loader is None  # a kind that cannot be saved: no loader to describe
            else [
                p.name
                for p in inspect.signature(loader).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
        )
    except (PSGraphError, TypeError, ValueError):  # not importable here, or no signature: name it only
        params = []
    return f"{name}({', '.join(params) or 'path'})"


def how_to_open(name: str, path: object) -> str:
    """What to do with the file ``path`` kind ``name`` saved: ``inspect`` it (PS agents) or load it in Python."""
    kind = agent_kind(name)
    if kind.file_format == PS_FORMAT:
        return f"open it with: ps-graph inspect {path}"
    if kind.load is None:
        return f"agent kind {name!r} registers no load function"
    return f"load it with {loader_call(kind)}"
