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

File layout (version 5), a JSON object::

    format "ps_graph.agent", version 2..5, agent "PSAgent" | "TwoLayerPS", ps_graph_version
    config             PSConfig.to_dict() (before version 4 without votes and percepts)
    actions            the action values, e.g. [0, 1, 2, 3]
    observation_space  {"type": "Discrete", "n": 16, "start": 0, "dtype": "int64"}, or null
    rng                numpy bit generator state ("bit_generator": "PCG64", ...)
    ecm (PSAgent)      clips [{key, kind, layer, label, visits}], edges [{source, target, h,
                       glow}], lazy {clock, glow_clock, rows [{clip, stamp, h}], glowing
                       [{source, target, glow, stamp}]}. Under percepts="factorized" a
                       percept clip's key is ["percept", [feature, value]].
    state              PSAgent: emotions [{source, target, positive}], pending {source,
                       target} | null (source: the deciding clip, under factorized percepts
                       a percept or conjunction clip). TwoLayerPS: the fields of
                       TwoLayerPS.snapshot().
    growth (PSAgent)   null, or the growth rule: {rule, params, state}, e.g.
                       Generalization.to_json() (its parameters, the percept keys in the order
                       seen, from which its counts are rebuilt, its wildcard clips with their
                       creation steps, its step count) or Conjunctions.to_json() (k and
                       min_order; its clips are the ECM's). Only built-in rules can be saved.

    initial_h          (version 3, only when the agent has one) the per-edge initial h:
                       {"table": rows} or {"entries": [{percept, action, h}]}; the ECM then
                       lists its edges' own initial values in ecm.h0 [{source, target, h0}]
    priming            (version 4, only when the agent primes actions) [{action, term}]
    labels             (version 5, only when the agent has labels, see ps_graph.labels)
                       {actions: [name per action, or none], percepts: [{key, label}] (the
                       percepts seen, and every key the labels map), labeller: null |
                       {name, params} (a built-in labeller, which labels new percepts after
                       loading; a function is saved as its labels of the percepts seen)}

Version 2 added ``growth``, version 3 ``initial_h``, version 4 ``config.votes``,
``config.percepts`` and ``priming``, version 5 ``labels``. An agent is written with the
lowest version that holds it, so that older ps_graph versions read it: version 5 when it has
labels, else version 4 when votes, percepts or priming differ from the defaults (1,
"whole", none), else version 3 with ``initial_h``, else version 2. Every version from 1 (no
growth) on still loads, an older file with the defaults of the fields it lacks (no labels).

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
from ._saving_ps import (
    ecm_to_json,
    labels_from_json,
    labels_to_json,
    priming_from_json,
    priming_to_json,
    restore_growth,
    restore_ps_agent,
)
from .agent import InitialH, PSAgent, PSConfig
from .checks import show
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
#: The newest file layout version; it reads 1 .. VERSION, and writes the lowest that holds the agent.
VERSION = 5

_AGENTS = {"PSAgent": PSAgent, "TwoLayerPS": TwoLayerPS}
#: The version that added each optional top-level field, and each PSConfig field (older files
#: lack them: they load with the field's default).
_SINCE = {"initial_h": 3, "priming": 4, "labels": 5}
_CONFIG_SINCE = {"votes": 4, "percepts": 4}


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
    extra = {
        "initial_h": initial_h,
        "priming": priming_to_json(agent.priming, agent.actions),
        "labels": labels_to_json(agent),
    }
    extra = {k: v for k, v in extra.items() if v}
    config, default = agent.config.to_dict(), PSConfig().to_dict()
    # the lowest version holding the agent: older ps_graph versions read it
    version = max([2, *(_SINCE[k] for k in extra), *(v for k, v in _CONFIG_SINCE.items() if config[k] != default[k])])
    from . import __version__

    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": version,
        "agent": type(agent).__name__,
        "ps_graph_version": __version__,
        "config": {k: v for k, v in config.items() if _CONFIG_SINCE.get(k, 0) <= version},
        "actions": [int(a) for a in agent.actions],
        "observation_space": space_to_json(agent.observation_space),
        "rng": rng,
        **extra,
    }
    if isinstance(agent, PSAgent):
        doc["ecm"] = ecm_to_json(agent.ecm.snapshot())
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
    for field, since in _SINCE.items():
        _check_since(field, since, version, top)
    config = _config_from_json(top["config"], version)
    actions = actions_from_json(top["actions"])
    space = space_from_json("observation_space", top["observation_space"])
    rng = rng_from_json(top["rng"])
    try:
        agent = _AGENTS[name](actions, space, config=config, rng=rng)
    except PSGraphError as err:
        raise ConfigError(f"config and observation_space make no {name}: {err}") from None
    priming = priming_from_json(top.get("priming", []), agent.actions, config.policy)
    if top.get("initial_h") is not None:
        try:
            initial_h = InitialH.from_json(top["initial_h"], space)
            agent = _AGENTS[name](actions, space, config=config, rng=rng, initial_h=initial_h)
        except PSGraphError as err:
            raise ConfigError(str(err) if str(err).startswith("initial_h") else f"initial_h: {err}") from None
    if name == "PSAgent":
        check_object("the file", top, ("ecm",) + (("growth",) if version >= 2 else ()))
        restore_ps_agent(agent, top["ecm"], top["state"])
        restore_growth(agent, top.get("growth"))
    else:
        _restore_two_layer(agent, top["state"])
    agent.labels = labels_from_json(top.get("labels"), agent)
    if priming:  # after the ECM or table is restored, which it is part of
        try:
            agent.set_priming(priming)
        except PSGraphError as err:
            raise ConfigError(f"priming: {err}") from None
    return agent


def _check_since(field: str, since: int, version: int, section: dict) -> None:
    """A file of a ``version`` before ``since`` cannot hold ``field`` (the last part of its name) in ``section``."""
    if version < since and field.rsplit(".", 1)[-1] in section:
        raise ConfigError(f"{field} came in version {since}, but the file says version {version}: it was edited.")


def _config_from_json(value, version: int) -> PSConfig:
    """The file's ``config``; a field added after the file's ``version`` takes its default."""
    given, default = check_object("config", value), PSConfig().to_dict()
    for field, since in _CONFIG_SINCE.items():
        if version < since:
            _check_since(f"config.{field}", since, version, given)
            given = {**given, field: default[field]}
    return config_from_json(PSConfig, given, "PS")


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
