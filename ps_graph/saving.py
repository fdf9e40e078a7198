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

    initial_h          (version 3, only when the agent has one) the per-edge initial h:
                       {"table": rows} or {"entries": [{percept, action, h}]}; the ECM then
                       lists its edges' own initial values in ecm.h0 [{source, target, h0}]

Version 2 added ``growth``, version 3 ``initial_h``; an agent without ``initial_h`` is still
written as version 2, and versions 1 (no growth) and 2 still load.

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

from . import rules
from ._ecm_walks import longest_walk
from .agent import InitialH, PSAgent, PSConfig, action_clip
from .checks import check_str, fail, show
from .ecm import ECM, KINDS
from .errors import ConfigError, PSGraphError
from .fast import TwoLayerPS
from .fileformat import (
    MAX_FILE_BYTES,
    actions_from_json,
    check_agree,
    check_entries,
    check_flag,
    check_glow,
    check_h,
    check_header,
    check_int64,
    check_key,
    check_number,
    check_object,
    check_path,
    check_percept_key,
    check_positive,
    check_rows,
    check_stamp,
    config_from_json,
    load_file,
    parse_json,
    rng_from_json,
    rng_to_json,
    space_from_json,
    space_to_json,
)
from .files import atomic_write_text
from .growth import RULES
from .keys import encode_key

__all__ = ["FORMAT", "VERSION", "load", "save"]

#: The ``format`` marker of every agent file.
FORMAT = "ps_graph.agent"
#: The newest file layout version, written for agents with ``initial_h`` (2 for the others); it reads 1 .. VERSION.
VERSION = 3

_AGENTS = {"PSAgent": PSAgent, "TwoLayerPS": TwoLayerPS}


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
    path = check_path(path)
    growth = getattr(agent, "growth", None)
    if growth is not None and type(growth) not in RULES.values():
        raise ConfigError(
            f"cannot save the agent's growth rule {type(growth).__name__}: only the built-in growth rules "
            f"({', '.join(RULES)}) can be saved, since a file never holds code. Save the ECM alone with "
            "ps_graph.write_node_link_json(agent.ecm, path), or keep your rule's state yourself."
        )
    rng = rng_to_json(agent.rng)
    initial_h = None if agent.initial_h is None else agent.initial_h.to_json()  # refuses a callable
    from . import __version__

    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": 2 if initial_h is None else VERSION,
        "agent": type(agent).__name__,
        "ps_graph_version": __version__,
        "config": agent.config.to_dict(),
        "actions": [int(a) for a in agent.actions],
        "observation_space": space_to_json(agent.observation_space),
        "rng": rng,
        **({} if initial_h is None else {"initial_h": initial_h}),
    }
    if isinstance(agent, PSAgent):
        doc["ecm"] = _ecm_to_json(agent.ecm.snapshot())
        pending = agent._pending
        doc["state"] = {
            "emotions": [
                {"source": encode_key(s), "target": encode_key(t), "positive": bool(v)}
                for (s, t), v in agent.emotions.items()
            ],
            "pending": None
            if pending is None
            else {"source": encode_key(pending[0]), "target": encode_key(pending[1])},
        }
        doc["growth"] = None if growth is None else growth.to_json()
    else:
        doc["state"] = _two_layer_to_json(agent.snapshot())
    try:
        text = json.dumps(doc, allow_nan=False, separators=(",", ":"))
    except ValueError as err:
        raise PSGraphError(f"cannot save the agent: it holds a value JSON cannot store ({err}).") from None
    return atomic_write_text(path, text + "\n")


def _ecm_to_json(snap: dict[str, Any]) -> dict[str, Any]:
    lazy, h0 = snap["lazy"], snap.get("h0")
    return {
        **({"h0": [{"source": encode_key(s), "target": encode_key(t), "h0": v} for s, t, v in h0]} if h0 else {}),
        "clips": [
            {"key": encode_key(c), "kind": kind, "layer": layer, "label": label, "visits": visits}
            for c, kind, layer, label, visits in snap["clips"]
        ],
        "edges": [
            {"source": encode_key(s), "target": encode_key(t), "h": h, "glow": g} for s, t, h, g in snap["edges"]
        ],
        "lazy": {
            "clock": lazy["clock"],
            "glow_clock": lazy["glow_clock"],
            "rows": [{"clip": encode_key(c), "stamp": stamp, "h": h} for c, stamp, h in lazy["rows"]],
            "glowing": [
                {"source": encode_key(s), "target": encode_key(t), "glow": g, "stamp": stamp}
                for s, t, g, stamp in lazy["glowing"]
            ],
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
def load(path: str | os.PathLike, *, max_bytes: int = MAX_FILE_BYTES) -> PSAgent | TwoLayerPS:
    """The agent that :func:`save` wrote to ``path``; it continues exactly where it was.

    Reads JSON only (never pickle) and checks every field; a file that is not a ps_graph
    agent file, comes from a newer version, is truncated or has been edited into
    inconsistency raises :class:`~ps_graph.errors.FileFormatError` (a
    :class:`~ps_graph.errors.PSGraphError`) naming the file and the problem. (A missing file
    raises the usual ``FileNotFoundError``.) Values are checked against the bounds of
    :mod:`ps_graph.fileformat` (h, glow, counts; percept keys inside the observation space);
    only a regular file of at most ``max_bytes`` bytes is read.

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "not-an-agent.json"
    ...     _ = path.write_text('{"format": "something else"}')
    ...     load(path)
    Traceback (most recent call last):
    ...
    ps_graph.errors.FileFormatError: cannot load .../not-an-agent.json: format is 'something else', ...
    """
    return load_file(path, lambda data: _from_document(parse_json(data)), "agent file", max_bytes=max_bytes)


def _from_document(doc):
    top, version = check_header(doc, FORMAT, VERSION, "a ps_graph agent file", "ps_graph")
    check_object("the file", top, ("agent", "config", "actions", "observation_space", "rng", "state"))
    name = top["agent"]
    if not isinstance(name, str) or name not in _AGENTS:
        raise ConfigError(f"agent is {show(name)}; expected one of {', '.join(map(repr, _AGENTS))}.")
    config = config_from_json(PSConfig, top["config"], "PS")
    actions = actions_from_json(top["actions"])
    space = space_from_json("observation_space", top["observation_space"])
    rng = rng_from_json(top["rng"])
    try:
        agent = _AGENTS[name](actions, space, config=config, rng=rng)
    except PSGraphError as err:
        raise ConfigError(f"observation_space: {err}") from None
    if version < 3 and "initial_h" in top:
        raise ConfigError(f"initial_h came in version 3, but the file says version {version}: it was edited.")
    if top.get("initial_h") is not None:
        try:
            initial_h = InitialH.from_json(top["initial_h"], space)
            agent = _AGENTS[name](actions, space, config=config, rng=rng, initial_h=initial_h)
        except PSGraphError as err:
            raise ConfigError(str(err) if str(err).startswith("initial_h") else f"initial_h: {err}") from None
    if name == "PSAgent":
        check_object("the file", top, ("ecm",) + (("growth",) if version >= 2 else ()))
        _restore_ps_agent(agent, top["ecm"], top["state"])
        _restore_growth(agent, top.get("growth"))
    else:
        _restore_two_layer(agent, top["state"])
    return agent


# ---------------------------------------------------------------------- sections
class _Clips:
    """The clips ``ecm.clips`` lists, by key, to check the clips other fields name."""

    def __init__(self, space) -> None:
        self.kinds: dict = {}
        self.keys: dict = {}  # each clip as listed: a key naming it as 0.0 or true still gets the listed 0 or 1
        self.space = space  # percept clips ("percept", key) need keys of this observation space

    def entry(self, where: str, value) -> tuple:
        """One entry of ``ecm.clips``, as ECM.from_snapshot takes it."""
        c = check_object(where, value, ("key", "kind", "layer", "label", "visits"))
        clip = check_key(f"{where}.key", c["key"])
        if c["kind"] not in KINDS:
            raise fail(f"{where}.kind", f"one of {', '.join(map(repr, KINDS))}", c["kind"])
        if clip in self.kinds:
            raise ConfigError(f"ecm.clips lists the clip {show(clip)} twice.")
        if c["kind"] == "percept" and isinstance(clip, tuple) and len(clip) == 2 and clip[0] == "percept":
            check_percept_key(f"{where}.key[1]", c["key"][1], self.space)
        if c["kind"] == "action" and not (isinstance(clip, tuple) and len(clip) == 2 and type(clip[1]) is int):
            raise fail(f"{where}.key", '["action", an integer action]', c["key"])  # 0.0 would pass as 0
        self.kinds[clip], self.keys[clip] = c["kind"], clip
        return (
            clip,
            c["kind"],
            check_int64(f"{where}.layer", c["layer"]),
            check_str(f"{where}.label", c["label"]),
            check_int64(f"{where}.visits", c["visits"]),
        )

    def of(self, where: str, value, kind: str | None = None):
        """The listed clip (of ``kind``, if given) that ``value`` names."""
        clip = check_key(where, value)
        if clip not in self.kinds:
            raise ConfigError(f"{where} names the clip {show(value)}, which ecm.clips does not list.")
        if kind is not None and self.kinds[clip] != kind:
            raise ConfigError(
                f"{where} names the {self.kinds[clip]} clip {show(value)}; expected a clip of kind {kind!r}."
            )
        return self.keys[clip]

    def edge(self, where: str, value, *fields: str) -> tuple:
        """(source, target) of an object that names an edge by its clips."""
        e = check_object(where, value, ("source", "target", *fields))
        return self.of(f"{where}.source", e["source"]), self.of(f"{where}.target", e["target"])

    def percept_action(self, where: str, value, *fields: str) -> tuple:
        """(percept, action) of an object that names a percept -> action edge (emotions, pending)."""
        p = check_object(where, value, ("source", "target", *fields))
        return self.of(f"{where}.source", p["source"], "percept"), self.of(f"{where}.target", p["target"], "action")


def _restore_ps_agent(agent: PSAgent, value, state_value) -> None:
    ecm = check_object("ecm", value, ("clips", "edges"))
    known = _Clips(agent.observation_space)

    def edge_entry(where: str, e) -> tuple:
        return (
            *known.edge(where, e, "h", "glow"),
            check_h(f"{where}.h", e["h"]),
            check_glow(f"{where}.glow", e["glow"], agent.config.glow),
        )

    clips = check_entries("ecm.clips", ecm["clips"], known.entry)
    edges = check_entries("ecm.edges", ecm["edges"], edge_entry)
    h0 = check_entries("ecm.h0", ecm.get("h0", []), lambda w, e: (*known.edge(w, e, "h0"), check_h(f"{w}.h0", e["h0"])))
    lazy = ecm.get("lazy")
    if lazy is not None:
        lazy = _ecm_lazy(agent.config, lazy, edges, known, {(s, t): v for s, t, v in h0})
    snap = {"clips": clips, "edges": edges, "lazy": lazy, "h0": h0}
    try:
        agent.ecm = ECM.from_snapshot(snap, **agent.config.ecm_kwargs())
    except PSGraphError as err:
        raise ConfigError(f"ecm: {err}") from None
    longest = longest_walk(edges)
    if longest is not None and longest > agent.config.max_hops:
        raise ConfigError(
            f"config.max_hops is {agent.config.max_hops}, but walks through the ECM's hidden clips take up to "
            f"{longest} hops, so some walks would fail; raise max_hops to at least {longest}."
        )
    expected = {action_clip(a) for a in agent.actions}
    listed = {clip for clip, kind in known.kinds.items() if kind == "action"}
    if listed != expected:
        raise ConfigError(
            f"the action clips in ecm.clips do not match actions: missing {show(sorted(expected - listed))}, "
            f"extra {show(sorted(listed - expected, key=repr))}."
        )
    state = check_object("state", state_value, ("emotions", "pending"))
    emotions = check_entries(
        "state.emotions",
        state["emotions"],
        lambda w, e: (known.percept_action(w, e, "positive"), check_flag(f"{w}.positive", e["positive"])),
    )
    pending = state["pending"]
    agent.emotions = dict(emotions)
    agent._pending = None if pending is None else known.percept_action("state.pending", pending)  # no setter


def _ecm_lazy(cfg: PSConfig, value, edges: list[tuple], known: _Clips, h0: dict) -> dict[str, Any]:
    """``ecm.lazy``, checked against the current values in ``edges`` (``h0``: edges' own initial values)."""
    lazy = check_object("ecm.lazy", value, ("clock", "glow_clock", "rows", "glowing"))
    clock, glow_clock = (
        check_int64("ecm.lazy.clock", lazy["clock"]),
        check_int64("ecm.lazy.glow_clock", lazy["glow_clock"]),
    )
    out: dict = {}
    own: dict = {}  # each source's initial values, in row order
    for edge in edges:
        out.setdefault(edge[0], []).append(edge[2])
        own.setdefault(edge[0], []).append(h0.get(edge[:2], cfg.h0))
    glow_now = {(s, t): g for s, t, _, g in edges}

    def row_entry(where: str, r) -> tuple:
        r = check_object(where, r, ("clip", "stamp", "h"))
        clip, stamp = known.of(f"{where}.clip", r["clip"]), check_stamp(f"{where}.stamp", r["stamp"], clock)
        current = out.get(clip, [])
        stored = check_entries(f"{where}.h", r["h"], check_positive, len(current))
        for j, (now, h) in enumerate(
            zip(rules.damp(stored, cfg.gamma_damping, own.get(clip, cfg.h0), clock - stamp), current)
        ):
            check_agree(f"{where}.h[{j}]", now, h, "h")
        return clip, stamp, stored

    def glow_entry(where: str, g) -> tuple:
        s, t = known.edge(where, g, "glow", "stamp")
        glow = check_glow(f"{where}.glow", g["glow"], cfg.glow, positive=True)
        stamp = check_stamp(f"{where}.stamp", g["stamp"], glow_clock)
        check_agree(
            where, rules.decay_glow(glow, cfg.eta_glow_damping, glow_clock - stamp), glow_now.get((s, t), 0.0), "glow"
        )
        return s, t, glow, stamp

    return {
        "clock": clock,
        "glow_clock": glow_clock,
        "rows": check_entries("ecm.lazy.rows", lazy["rows"], row_entry),
        "glowing": check_entries("ecm.lazy.glowing", lazy["glowing"], glow_entry),
    }


def _restore_growth(agent: PSAgent, value) -> None:
    if value is None:
        return
    rule = check_object("growth", value, ("rule",))["rule"]
    if not isinstance(rule, str) or rule not in RULES:
        raise fail("growth.rule", f"one of {', '.join(map(repr, RULES))}", rule)
    try:
        RULES[rule].from_json(value, agent)
    except PSGraphError as err:
        message = str(err)
        raise ConfigError(message if message.startswith("growth") else f"growth: {message}") from None


def _restore_two_layer(agent: TwoLayerPS, value) -> None:
    cfg, a = agent.config, len(agent.actions)
    fields = (
        "percept_keys",
        "h",
        "visits",
        "action_visits",
        "emotions",
        "glowing",
        "pending",
        "uniforms",
        "next_uniform",
    )
    state = check_object("state", value, fields)
    keys = check_entries(
        "state.percept_keys", state["percept_keys"], lambda w, k: check_percept_key(w, k, agent.observation_space)
    )
    n = len(keys)
    h = check_rows("state.h", state["h"], n, a, check_h)

    def cell(where: str, g, *fields: str) -> tuple:
        g = check_object(where, g, ("row", "column", *fields))
        i, j = check_int64(f"{where}.row", g["row"]), check_int64(f"{where}.column", g["column"])
        if i >= n or j >= a:
            raise ConfigError(f"{where} names row {i}, column {j}, outside the {n} x {a} table of percepts x actions.")
        return (i, j, *(g[f] for f in fields))

    glowing = check_entries(
        "state.glowing",
        state["glowing"],
        lambda w, g: (*cell(w, g, "glow")[:2], check_glow(f"{w}.glow", g["glow"], cfg.glow)),
    )
    pending = state["pending"]
    snap: dict[str, Any] = {
        "percept_keys": keys,
        "h": h,
        "visits": check_entries("state.visits", state["visits"], check_int64, n),
        "action_visits": check_entries("state.action_visits", state["action_visits"], check_int64, a),
        "emotions": check_rows("state.emotions", state["emotions"], n, a, check_flag),
        "glowing": glowing,
        "pending": None if pending is None else cell("state.pending", pending),
        "uniforms": check_entries("state.uniforms", state["uniforms"], lambda w, u: check_number(w, u, below=1.0)),
        "next_uniform": check_int64("state.next_uniform", state["next_uniform"]),
        "lazy": None,
    }
    lazy = state.get("lazy")
    if lazy is not None:
        lazy = check_object("state.lazy", lazy, ("clock", "glow_clock", "stamps", "h", "glowing"))
        clock = check_int64("state.lazy.clock", lazy["clock"])
        glow_clock = check_int64("state.lazy.glow_clock", lazy["glow_clock"])
        stamps = check_entries("state.lazy.stamps", lazy["stamps"], lambda w, s: check_stamp(w, s, clock), n)
        stored = check_rows("state.lazy.h", lazy["h"], n, a, check_positive)
        for i, (row, stamp) in enumerate(zip(stored, stamps)):
            for j, now in enumerate(rules.damp(row, cfg.gamma_damping, agent._initial_row(keys[i]), clock - stamp)):
                check_agree(f"state.lazy.h[{i}][{j}]", now, h[i][j], "h")
        glow_now = {(i, j): g for i, j, g in glowing}

        def glow_entry(where: str, g) -> tuple:
            i, j, glow, stamp = cell(where, g, "glow", "stamp")
            glow = check_glow(f"{where}.glow", glow, cfg.glow, positive=True)
            stamp = check_stamp(f"{where}.stamp", stamp, glow_clock)
            check_agree(
                where,
                rules.decay_glow(glow, cfg.eta_glow_damping, glow_clock - stamp),
                glow_now.get((i, j), 0.0),
                "glow",
            )
            return i, j, glow, stamp

        snap["lazy"] = {
            "clock": clock,
            "glow_clock": glow_clock,
            "stamps": stamps,
            "h": stored,
            "glowing": check_entries("state.lazy.glowing", lazy["glowing"], glow_entry),
        }
    try:
        agent.restore(snap)
    except PSGraphError as err:
        raise ConfigError(f"state: {err}") from None
