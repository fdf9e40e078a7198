"""Save and load PS agents as versioned JSON: no pickle, and loading never runs code.

:func:`save` writes a :class:`~ps_graph.PSAgent` or :class:`~ps_graph.TwoLayerPS`
atomically; :func:`load` reads it back, checks every field and raises
:class:`~ps_graph.errors.PSGraphError` naming the file and the problem when something is
off (wrong format or version, truncated or hand-edited file, a pickle, ...).

A loaded agent continues exactly as the saved one would have: the same actions and
bit-identical h-values, for the same environment stream. Values are updated lazily
(damping and glow decay are applied in closed form when a value is read), so besides the
current values (``h``, ``glow``) the file keeps the store behind them under ``lazy``: the
stored values and the step each is current at. Rebuilding from current values alone would
give the same values, but later closed-form damping would then start from a different step
and round differently, so h-values would drift apart in the last bits (some 1e-16 relative)
when ``gamma_damping > 0`` or glow decays over several steps. A file whose ``lazy`` part
was deleted still loads, from the current values, with that caveat.

File layout (version 2), a JSON object::

    format "ps_graph.agent", version 2, agent "PSAgent" | "TwoLayerPS", ps_graph_version
    config             PSConfig.to_dict()
    actions            the action values, e.g. [0, 1, 2, 3]
    observation_space  {"type": "Discrete", "n": 16, "start": 0, "dtype": "int64"}, or null
    rng                numpy bit generator state ("bit_generator": "PCG64", ...)
    ecm (PSAgent)      clips [{key, kind, layer, label, visits}], edges [{source, target, h,
                       glow}], lazy {clock, glow_clock, rows [{clip, stamp, h}], glowing
                       [{source, target, glow, stamp}]}
    state              PSAgent: emotions [{source, target, positive}], pending {source,
                       target} | null. TwoLayerPS: the fields of TwoLayerPS.snapshot().
    growth (PSAgent)   null, or the growth rule: {rule: "Generalization", params, state}
                       (Generalization.to_json(): its parameters, the percept keys in the order
                       seen, from which its counts are rebuilt, its wildcard clips with their
                       creation steps, its step count). Only built-in rules can be saved.

Version 2 added ``growth``; version 1 files (no growth) still load.

Clip keys are written with :func:`ps_graph.keys.encode_key` (tuples become lists).

Example
-------
>>> import pathlib, tempfile, ps_graph
>>> agent = ps_graph.TwoLayerPS(2, seed=0)
>>> agent.act("s"); agent.observe(1.0, "s", False, False)
1
>>> with tempfile.TemporaryDirectory() as folder:
...     twin = load(save(agent, pathlib.Path(folder) / "agent.json"))
>>> twin.h_values("s"), [twin.act("s") for _ in range(5)] == [agent.act("s") for _ in range(5)]
({0: 1.0, 1: 2.0}, True)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from . import rules
from ._saved_schema import (
    _BIT_GENERATORS,
    _agree,
    _bool,
    _each,
    _fail,
    _int,
    _key,
    _num,
    _obj,
    _plain,
    _positive,
    _rng,
    _show,
    _space,
    _space_to_json,
    _stamp,
    _str,
    _table,
)
from .agent import PSAgent, PSConfig, action_clip
from .ecm import ECM, KINDS
from .errors import ConfigError, PSGraphError
from .fast import TwoLayerPS
from .growth import Generalization
from .io import atomic_write_text
from .keys import encode_key

__all__ = ["save", "load", "FORMAT", "VERSION"]

#: The ``format`` marker of every agent file.
FORMAT = "ps_graph.agent"
#: The file layout version this module writes; it reads versions 1 .. VERSION.
VERSION = 2

_AGENTS = {"PSAgent": PSAgent, "TwoLayerPS": TwoLayerPS}
_GROWTH_RULES = {"Generalization": Generalization}  # the growth rules files can hold


# ---------------------------------------------------------------------- saving
def save(agent: PSAgent | TwoLayerPS, path: str | os.PathLike) -> Path:
    """Write ``agent`` to ``path`` as versioned JSON, atomically; returns the path.

    The agent is only read: saving never changes how it continues.

    >>> import pathlib, tempfile, ps_graph
    >>> agent = ps_graph.PSAgent(3, seed=1)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save(agent, pathlib.Path(folder) / "ps.json")
    ...     type(load(path)).__name__
    'PSAgent'
    """
    if type(agent) not in (PSAgent, TwoLayerPS):
        raise ConfigError(
            f"save() writes a PSAgent or a TwoLayerPS; got {type(agent).__name__}. Subclasses and other agents "
            "(Q-learning, DQN) have state this format does not hold."
        )
    path = _check_path(path)
    growth = getattr(agent, "growth", None)
    if growth is not None and type(growth) not in _GROWTH_RULES.values():
        raise ConfigError(
            f"cannot save the agent's growth rule {type(growth).__name__}: only the built-in growth rules "
            f"({', '.join(_GROWTH_RULES)}) can be saved, since a file never holds code. Save the ECM alone with "
            "ps_graph.write_node_link_json(agent.ecm, path), or keep your rule's state yourself."
        )
    if not isinstance(agent.rng, np.random.Generator):
        raise ConfigError(f"the agent's rng must be a numpy Generator; got {type(agent.rng).__name__}.")
    bit_generator = type(agent.rng.bit_generator).__name__
    if bit_generator not in _BIT_GENERATORS:
        raise ConfigError(
            f"the agent's rng uses the bit generator {bit_generator}; saving supports {', '.join(_BIT_GENERATORS)}. "
            "Create the agent with seed=... (PCG64) or rng=numpy.random.Generator(numpy.random.PCG64(seed))."
        )
    from . import __version__

    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "agent": type(agent).__name__,
        "ps_graph_version": __version__,
        "config": agent.config.to_dict(),
        "actions": [int(a) for a in agent.actions],
        "observation_space": _space_to_json(agent.observation_space),
        "rng": _plain(agent.rng.bit_generator.state),
    }
    if isinstance(agent, PSAgent):
        doc["ecm"] = _ecm_to_json(agent.ecm.snapshot())
        pending = agent._pending
        doc["state"] = {
            "emotions": [{"source": encode_key(s), "target": encode_key(t), "positive": bool(v)}
                         for (s, t), v in agent.emotions.items()],
            "pending": None if pending is None else {"source": encode_key(pending[0]),
                                                     "target": encode_key(pending[1])},
        }
        doc["growth"] = None if growth is None else growth.to_json()
    else:
        doc["state"] = _two_layer_to_json(agent.snapshot())
    try:
        text = json.dumps(doc, allow_nan=False, separators=(",", ":"))
    except ValueError as err:
        raise PSGraphError(f"cannot save the agent: it holds a value JSON cannot store ({err}).") from None
    return atomic_write_text(path, text + "\n")


def _check_path(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise ConfigError(f"path must be a str or os.PathLike; got {type(path).__name__}.")
    return Path(path)


def _ecm_to_json(snap: dict[str, Any]) -> dict[str, Any]:
    lazy = snap["lazy"]
    return {
        "clips": [{"key": encode_key(c), "kind": kind, "layer": layer, "label": label, "visits": visits}
                  for c, kind, layer, label, visits in snap["clips"]],
        "edges": [{"source": encode_key(s), "target": encode_key(t), "h": h, "glow": g}
                  for s, t, h, g in snap["edges"]],
        "lazy": {
            "clock": lazy["clock"],
            "glow_clock": lazy["glow_clock"],
            "rows": [{"clip": encode_key(c), "stamp": stamp, "h": h} for c, stamp, h in lazy["rows"]],
            "glowing": [{"source": encode_key(s), "target": encode_key(t), "glow": g, "stamp": stamp}
                        for s, t, g, stamp in lazy["glowing"]],
        },
    }


def _two_layer_to_json(snap: dict[str, Any]) -> dict[str, Any]:
    lazy, pending = snap["lazy"], snap["pending"]
    return {
        **{k: snap[k] for k in ("h", "visits", "action_visits", "emotions", "uniforms", "next_uniform")},
        "percept_keys": [encode_key(k) for k in snap["percept_keys"]],
        "glowing": [{"row": i, "column": j, "glow": g} for i, j, g in snap["glowing"]],
        "pending": None if pending is None else {"row": pending[0], "column": pending[1]},
        "lazy": {
            **{k: lazy[k] for k in ("clock", "glow_clock", "stamps", "h")},
            "glowing": [{"row": i, "column": j, "glow": g, "stamp": s} for i, j, g, s in lazy["glowing"]],
        },
    }


# ---------------------------------------------------------------------- loading
def load(path: str | os.PathLike) -> PSAgent | TwoLayerPS:
    """The agent that :func:`save` wrote to ``path``; it continues exactly where it was.

    Reads JSON only (never pickle) and checks every field; a file that is not a ps_graph
    agent file, comes from a newer version, is truncated or has been edited into
    inconsistency raises :class:`~ps_graph.errors.PSGraphError` naming the file and the
    problem. (A missing file raises the usual ``FileNotFoundError``.)

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "not-an-agent.json"
    ...     _ = path.write_text('{"format": "something else"}')
    ...     load(path)
    Traceback (most recent call last):
    ...
    ps_graph.errors.PSGraphError: cannot load .../not-an-agent.json: format is 'something else', ...
    """
    path = _check_path(path)
    data = path.read_bytes()
    try:
        return _from_document(_parse(data))
    except PSGraphError as err:
        raise PSGraphError(f"cannot load {path}: {err}") from None
    except RecursionError:
        raise PSGraphError(f"cannot load {path}: the JSON is nested too deeply to be a ps_graph agent file.") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, AssertionError) as err:
        raise PSGraphError(f"cannot load {path}: malformed agent file ({type(err).__name__}: {err}).") from None


def _parse(data: bytes):
    if data[:1] == b"\x80":
        raise PSGraphError(
            "this is a Python pickle, not a ps_graph agent file; ps_graph never unpickles (unpickling can run code)."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PSGraphError("the file is not UTF-8 text, so not a ps_graph agent file (those are JSON).") from None
    if not text.strip():
        raise PSGraphError("the file is empty.")

    def reject(constant: str):
        raise PSGraphError(f"the file holds the non-finite number {constant}; agent files hold finite numbers only.")

    try:
        return json.loads(text, parse_constant=reject)
    except json.JSONDecodeError as err:
        end = text.rstrip()
        if err.pos >= len(end) or (end.startswith("{") and not end.endswith("}")):  # agent files end with }
            raise PSGraphError(f"the JSON ends early (line {err.lineno}): the file is truncated.") from None
        raise PSGraphError(f"not valid JSON ({err.msg} at line {err.lineno}, column {err.colno}).") from None


def _from_document(doc):
    top = _obj(doc, "the file", ("format",))
    if top["format"] != FORMAT:
        raise PSGraphError(f"format is {_show(top['format'])}, expected {FORMAT!r}: this is not a ps_graph agent file.")
    version = _int(_obj(top, "the file", ("version",))["version"], "version", 1)
    if version > VERSION:
        raise PSGraphError(
            f"format version {version} is newer than this ps_graph reads (up to {VERSION}); upgrade ps_graph."
        )
    _obj(top, "the file", ("agent", "config", "actions", "observation_space", "rng", "state"))
    name = top["agent"]
    if not isinstance(name, str) or name not in _AGENTS:
        raise PSGraphError(f"agent is {_show(name)}; expected one of {', '.join(map(repr, _AGENTS))}.")
    config = _config(top["config"])
    actions = _actions(top["actions"])
    space = _space(top["observation_space"], "observation_space")
    rng = _rng(top["rng"])
    try:
        agent = _AGENTS[name](actions, space, config=config, rng=rng)
    except PSGraphError as err:
        raise PSGraphError(f"observation_space: {err}") from None
    if name == "PSAgent":
        _obj(top, "the file", ("ecm",) + (("growth",) if version >= 2 else ()))
        _restore_ps_agent(agent, top["ecm"], top["state"])
        _restore_growth(agent, top.get("growth"))
    else:
        _restore_two_layer(agent, top["state"])
    return agent


# ---------------------------------------------------------------------- sections
def _config(value) -> PSConfig:
    fields = set(PSConfig.__dataclass_fields__)
    given = _obj(value, "config", sorted(fields))
    unknown = sorted(set(given) - fields)
    if unknown:
        raise PSGraphError(f"config has unknown field(s) {', '.join(map(repr, unknown))}.")
    try:
        return PSConfig(**given)
    except PSGraphError as err:
        raise PSGraphError(f"config: {err}") from None


def _actions(value) -> spaces.Discrete:
    actions = _each(value, "actions", lambda a, where: _int(a, where, None))
    if not actions or actions != list(range(actions[0], actions[0] + len(actions))):
        raise _fail("actions", "consecutive integers (the values of a Discrete space)", value)
    return spaces.Discrete(len(actions), start=actions[0])


def _restore_ps_agent(agent: PSAgent, value, state_value) -> None:
    cfg = agent.config
    ecm = _obj(value, "ecm", ("clips", "edges"))
    kinds: dict = {}

    def clip_entry(c, where: str) -> tuple:
        c = _obj(c, where, ("key", "kind", "layer", "label", "visits"))
        clip = _key(c["key"], f"{where}.key")
        if c["kind"] not in KINDS:
            raise _fail(f"{where}.kind", f"one of {', '.join(map(repr, KINDS))}", c["kind"])
        if clip in kinds:
            raise PSGraphError(f"ecm.clips lists the clip {clip!r} twice.")
        kinds[clip] = c["kind"]
        return clip, c["kind"], _int(c["layer"], f"{where}.layer"), _str(c["label"], f"{where}.label"), \
            _int(c["visits"], f"{where}.visits")

    def clip_of(v, where: str, kind: str | None = None):
        clip = _key(v, where)
        if clip not in kinds:
            raise PSGraphError(f"{where} names the clip {_show(v)}, which ecm.clips does not list.")
        if kind is not None and kinds[clip] != kind:
            raise PSGraphError(f"{where} names the {kinds[clip]} clip {_show(v)}; expected a clip of kind {kind!r}.")
        return clip

    def edge_entry(e, where: str) -> tuple:
        e = _obj(e, where, ("source", "target", "h", "glow"))
        return (clip_of(e["source"], f"{where}.source"), clip_of(e["target"], f"{where}.target"),
                _positive(e["h"], f"{where}.h"), _num(e["glow"], f"{where}.glow"))

    def pair(p, where: str, *fields: str) -> tuple:
        p = _obj(p, where, ("source", "target", *fields))
        return clip_of(p["source"], f"{where}.source", "percept"), clip_of(p["target"], f"{where}.target", "action")

    clips = _each(ecm["clips"], "ecm.clips", clip_entry)
    edges = _each(ecm["edges"], "ecm.edges", edge_entry)
    lazy = ecm.get("lazy")
    if lazy is not None:
        lazy = _obj(lazy, "ecm.lazy", ("clock", "glow_clock", "rows", "glowing"))
        clock, glow_clock = _int(lazy["clock"], "ecm.lazy.clock"), _int(lazy["glow_clock"], "ecm.lazy.glow_clock")
        out: dict = {}
        for edge in edges:
            out.setdefault(edge[0], []).append(edge[2])
        glow_now = {(s, t): g for s, t, _, g in edges}

        def row_entry(r, where: str) -> tuple:
            r = _obj(r, where, ("clip", "stamp", "h"))
            clip, stamp = clip_of(r["clip"], f"{where}.clip"), _stamp(r["stamp"], f"{where}.stamp", clock)
            current = out.get(clip, [])
            stored = _each(r["h"], f"{where}.h", _positive, len(current))
            for j, (now, h) in enumerate(zip(rules.damp(stored, cfg.gamma_damping, cfg.h0, clock - stamp), current)):
                _agree(f"{where}.h[{j}]", now, h, "h")
            return clip, stamp, stored

        def glow_entry(g, where: str) -> tuple:
            g = _obj(g, where, ("source", "target", "glow", "stamp"))
            s, t = clip_of(g["source"], f"{where}.source"), clip_of(g["target"], f"{where}.target")
            glow, stamp = _positive(g["glow"], f"{where}.glow"), _stamp(g["stamp"], f"{where}.stamp", glow_clock)
            now = rules.decay_glow(glow, cfg.eta_glow_damping, glow_clock - stamp)
            _agree(where, now, glow_now.get((s, t), 0.0), "glow")
            return s, t, glow, stamp

        lazy = {"clock": clock, "glow_clock": glow_clock, "rows": _each(lazy["rows"], "ecm.lazy.rows", row_entry),
                "glowing": _each(lazy["glowing"], "ecm.lazy.glowing", glow_entry)}
    try:
        agent.ecm = ECM.from_snapshot({"clips": clips, "edges": edges, "lazy": lazy}, **cfg.ecm_kwargs())
    except PSGraphError as err:
        raise PSGraphError(f"ecm: {err}") from None
    expected = {action_clip(a) for a in agent.actions}
    listed = {clip for clip, kind in kinds.items() if kind == "action"}
    if listed != expected:
        raise PSGraphError(
            f"the action clips in ecm.clips do not match actions: missing {sorted(expected - listed)}, "
            f"extra {sorted(listed - expected, key=repr)}."
        )
    state = _obj(state_value, "state", ("emotions", "pending"))
    emotions = _each(state["emotions"], "state.emotions",
                     lambda e, w: (pair(e, w, "positive"), _bool(e["positive"], f"{w}.positive")))
    pending = state["pending"]
    agent.emotions = dict(emotions)
    agent._pending = None if pending is None else pair(pending, "state.pending")  # PSAgent has no setter for it


def _restore_growth(agent: PSAgent, value) -> None:
    if value is None:
        return
    rule = _obj(value, "growth", ("rule",))["rule"]
    if not isinstance(rule, str) or rule not in _GROWTH_RULES:
        raise _fail("growth.rule", f"one of {', '.join(map(repr, _GROWTH_RULES))}", rule)
    try:
        _GROWTH_RULES[rule].from_json(value, agent)
    except PSGraphError as err:
        message = str(err)
        raise PSGraphError(message if message.startswith("growth") else f"growth: {message}") from None


def _restore_two_layer(agent: TwoLayerPS, value) -> None:
    cfg, a = agent.config, len(agent.actions)
    fields = ("percept_keys", "h", "visits", "action_visits", "emotions", "glowing", "pending", "uniforms",
              "next_uniform")
    state = _obj(value, "state", fields)
    keys = _each(state["percept_keys"], "state.percept_keys", _key)
    n = len(keys)
    h = _table(state["h"], "state.h", n, a, _positive)

    def cell(g, where: str, *fields: str) -> tuple:
        g = _obj(g, where, ("row", "column", *fields))
        i, j = _int(g["row"], f"{where}.row"), _int(g["column"], f"{where}.column")
        if i >= n or j >= a:
            raise PSGraphError(f"{where} names row {i}, column {j}, outside the {n} x {a} table of percepts x actions.")
        return (i, j, *(g[f] for f in fields))

    glowing = _each(state["glowing"], "state.glowing",
                    lambda g, w: (*cell(g, w, "glow")[:2], _num(g["glow"], f"{w}.glow")))
    pending = state["pending"]
    snap = {
        "percept_keys": keys,
        "h": h,
        "visits": _each(state["visits"], "state.visits", _int, n),
        "action_visits": _each(state["action_visits"], "state.action_visits", _int, a),
        "emotions": _table(state["emotions"], "state.emotions", n, a, _bool),
        "glowing": glowing,
        "pending": None if pending is None else cell(pending, "state.pending"),
        "uniforms": _each(state["uniforms"], "state.uniforms", lambda u, w: _num(u, w, below=1.0)),
        "next_uniform": _int(state["next_uniform"], "state.next_uniform"),
        "lazy": None,
    }
    lazy = state.get("lazy")
    if lazy is not None:
        lazy = _obj(lazy, "state.lazy", ("clock", "glow_clock", "stamps", "h", "glowing"))
        clock, glow_clock = _int(lazy["clock"], "state.lazy.clock"), _int(lazy["glow_clock"], "state.lazy.glow_clock")
        stamps = _each(lazy["stamps"], "state.lazy.stamps", lambda s, w: _stamp(s, w, clock), n)
        stored = _table(lazy["h"], "state.lazy.h", n, a, _positive)
        for i, (row, stamp) in enumerate(zip(stored, stamps)):
            for j, now in enumerate(rules.damp(row, cfg.gamma_damping, cfg.h0, clock - stamp)):
                _agree(f"state.lazy.h[{i}][{j}]", now, h[i][j], "h")
        glow_now = {(i, j): g for i, j, g in glowing}

        def glow_entry(g, where: str) -> tuple:
            i, j, glow, stamp = cell(g, where, "glow", "stamp")
            glow, stamp = _positive(glow, f"{where}.glow"), _stamp(stamp, f"{where}.stamp", glow_clock)
            now = rules.decay_glow(glow, cfg.eta_glow_damping, glow_clock - stamp)
            _agree(where, now, glow_now.get((i, j), 0.0), "glow")
            return i, j, glow, stamp

        snap["lazy"] = {"clock": clock, "glow_clock": glow_clock, "stamps": stamps, "h": stored,
                        "glowing": _each(lazy["glowing"], "state.lazy.glowing", glow_entry)}
    try:
        agent.restore(snap)
    except PSGraphError as err:
        raise PSGraphError(f"state: {err}") from None
