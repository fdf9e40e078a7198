"""The agent registry: every kind of agent the runner, the CLI and the report can build, by name.

As gymnasium registers environments, an agent kind is registered with ``"module:attr"``
strings that are imported only when the kind is used, so ``ps_graph`` never imports the
packages that sit above it. ``ps_graph`` registers its own kinds (``"ps"``, ``"ps-fast"``);
other packages declare theirs as entry points in the group ``ps_graph.agents`` (qbaselines
declares ``"q"`` and ``"dqn"`` in pyproject.toml), each pointing at an :class:`AgentKind`,
read the first time the registry is asked. A researcher adds a kind with
:func:`register_agent`.

An :class:`AgentKind` says how to build a fresh agent for a run spec (``build(env, spec)``),
optionally how to check a spec without building (``check(env, spec)``), and, for kinds
that can be saved, the file format they are saved in (``file_format``) with the functions
that save and load such a file (``save(agent, path)``, ``load(path)``).

>>> sorted(k for k in ("ps", "ps-fast", "q", "dqn") if k in kinds())
['dqn', 'ps', 'ps-fast', 'q']
>>> agent_kind("ps").file_format
'ps_graph.agent'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from .errors import ConfigError

__all__ = [
    "ENTRY_POINT_GROUP",
    "AgentKind",
    "agent_kind",
    "kind_for_format",
    "kinds",
    "register_agent",
    "resolve",
    "unregister_agent",
]

ENTRY_POINT_GROUP = "ps_graph.agents"

Target = str | Callable[..., Any]  # "module:attr", resolved on use, or the callable itself


def resolve(target: Target) -> Callable[..., Any]:
    """The callable ``target`` names: ``"package.module:attr"`` is imported now; a callable is returned as is.

    >>> resolve("ps_graph.rules:damp").__name__
    'damp'
    """
    if callable(target):
        return target
    if not isinstance(target, str) or target.count(":") != 1:
        raise ConfigError(f"expected 'module:attr' or a callable; got {target!r}.")
    module_name, attr = target.split(":")
    try:
        value: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError) as err:
        raise ConfigError(f"cannot import {target!r}: {err}. Is the package that provides it installed?") from None
    if not callable(value):
        raise ConfigError(f"{target!r} is not callable; got {type(value).__name__}.")
    return value


@dataclass(frozen=True)
class AgentKind:
    """How to build (and, optionally, check, save and load) one kind of agent.

    Parameters
    ----------
    build : "module:attr" or callable ``(env, spec) -> agent``
        A fresh agent for a :class:`~ps_graph.experiments.RunSpec`, seeded from
        ``spec.agent_seed`` with ``spec.agent.hyperparameters``.
    check : "module:attr" or callable ``(env, spec) -> None``, optional
        Validates the hyperparameters and spaces without building (for agents that are
        expensive to build); without it, the runner builds one agent to validate.
    description : str
        One line for ``ps-graph compare --list-agents`` and the report.
    file_format : str, optional
        The ``format`` field of the JSON files this kind is saved in.
    save, load : "module:attr" or callable, optional
        ``save(agent, path)`` and ``load(path) -> agent`` for that format.
    """

    build: Target
    check: Target | None = None
    description: str = ""
    file_format: str | None = None
    save: Target | None = None
    load: Target | None = None

    def builder(self) -> Callable[..., Any]:
        """``build``, imported."""
        return resolve(self.build)

    def checker(self) -> Callable[..., Any] | None:
        """``check``, imported (None when the kind has none)."""
        return None if self.check is None else resolve(self.check)

    def saver(self) -> Callable[..., Any] | None:
        """``save``, imported (None when the kind cannot be saved)."""
        return None if self.save is None else resolve(self.save)

    def loader(self) -> Callable[..., Any] | None:
        """``load``, imported (None when the kind cannot be saved)."""
        return None if self.load is None else resolve(self.load)


_KINDS: dict[str, AgentKind] = {
    "ps": AgentKind(
        "ps_graph.experiments.agents:build_ps",
        description="ps_graph.PSAgent (the ECM graph core; growth as JSON, see growth_rule)",
        file_format="ps_graph.agent",
        save="ps_graph.saving:save",
        load="ps_graph.saving:load",
    ),
    "ps-fast": AgentKind(
        "ps_graph.experiments.agents:build_ps_fast",
        description="ps_graph.TwoLayerPS (2-layer fast path)",
        file_format="ps_graph.agent",
        save="ps_graph.saving:save",
        load="ps_graph.saving:load",
    ),
}
_entry_points_read = False


def _read_entry_points() -> None:
    """Register the kinds other installed packages declare (once, in name order; explicit registrations win)."""
    global _entry_points_read
    if _entry_points_read:
        return
    _entry_points_read = True
    for entry in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if entry.name in _KINDS:
            continue
        try:
            kind = entry.load()
        except Exception as err:  # a broken plug-in must not break the kinds that work
            raise ConfigError(
                f"agent kind {entry.name!r} from entry point {entry.value!r} failed to load: {err}"
            ) from err
        if not isinstance(kind, AgentKind):
            raise ConfigError(
                f"entry point {entry.value!r} (agent kind {entry.name!r}) must name an AgentKind; "
                f"got {type(kind).__name__}."
            )
        _KINDS[entry.name] = kind


def kinds() -> dict[str, AgentKind]:
    """Every registered agent kind by name (a copy: register with :func:`register_agent`)."""
    _read_entry_points()
    return dict(_KINDS)


def agent_kind(kind: str) -> AgentKind:
    """The registered :class:`AgentKind` of ``kind``, or a ConfigError listing the known kinds."""
    _read_entry_points()
    try:
        return _KINDS[kind]
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown agent kind {kind!r}; known kinds: {', '.join(repr(k) for k in _KINDS)}. "
            "Register your own with ps_graph.register_agent(kind, build)."
        ) from None


def kind_for_format(file_format: str) -> list[str]:
    """The names of the kinds saved in ``file_format`` (several kinds may share one format)."""
    return [name for name, kind in kinds().items() if kind.file_format == file_format]


def register_agent(
    kind: str,
    build: Target,
    *,
    check: Target | None = None,
    description: str = "",
    file_format: str | None = None,
    save: Target | None = None,
    load: Target | None = None,
    replace: bool = False,
) -> AgentKind:
    """Make ``kind`` usable in run specs and on the command line; returns its :class:`AgentKind`.

    ``build(env, spec)`` returns a fresh agent; it should seed it from ``spec.agent_seed``
    and pass it ``spec.agent.hyperparameters``. Functions may be given as ``"module:attr"``
    strings, imported when the kind is first used (so worker processes can import them too).

    >>> from ps_graph import PSAgent
    >>> def build(env, spec):
    ...     return PSAgent.for_env(env, seed=spec.agent_seed, eta_glow_damping=1.0, **spec.agent.hyperparameters)
    >>> register_agent("ps-eta1", build).description
    ''
    >>> unregister_agent("ps-eta1")
    """
    if not isinstance(kind, str) or not kind:
        raise ConfigError(f"agent kind must be a non-empty string; got {kind!r}.")
    for name, target in (("build", build), ("check", check), ("save", save), ("load", load)):
        if target is not None and not callable(target) and not (isinstance(target, str) and target.count(":") == 1):
            raise ConfigError(f"{name} must be a function or a 'module:attr' string; got {target!r}.")
    if build is None:
        raise ConfigError("build is required: a function (env, spec) -> agent, or its 'module:attr'.")
    _read_entry_points()
    if kind in _KINDS and not replace:
        raise ConfigError(f"agent kind {kind!r} is already registered; pass replace=True to replace it.")
    _KINDS[kind] = entry = AgentKind(build, check, description, file_format, save, load)
    return entry


def unregister_agent(kind: str) -> None:
    """Remove a kind registered with :func:`register_agent` (a ConfigError if it is unknown)."""
    agent_kind(kind)
    del _KINDS[kind]
