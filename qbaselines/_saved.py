"""The file format behind :meth:`QLearningAgent.save` and :meth:`QLearningAgent.load`.

Versioned JSON, written atomically; loading never unpickles and checks every field,
raising :class:`~ps_graph.errors.PSGraphError` that names the file and the problem. The
field checks, the observation space and rng codecs and the JSON reader are those of
ps_graph's PS agent files (:mod:`ps_graph._saved_schema`, :mod:`ps_graph.saving`).

File layout (version 1), a JSON object::

    format "qbaselines.QLearningAgent", version 1, ps_graph_version
    config             QLearningConfig.to_dict()
    actions            the action values, e.g. [0, 1, 2, 3]
    observation_space  {"type": "Discrete", "n": 16, "start": 0, "dtype": "int64"}, or null
    rng                numpy bit generator state ("bit_generator": "PCG64", ...)
    state              episode: the episode counter the exploration schedules read;
                       q: [{key, values}], one row per percept key in first-seen order;
                       pending: {key, action} | null, the step still awaiting observe();
                       next: {key, action} | null, SARSA's action already chosen for the
                       next state. ``action`` is an index into ``actions``.

Percept keys are written with :func:`ps_graph.keys.encode_key` (tuples become lists).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path

import numpy as np

from ps_graph._saved_schema import _BIT_GENERATORS, _each, _fail, _int, _key, _obj, _plain, _rng, _show, _space, \
    _space_to_json
from ps_graph._validate import make_config
from ps_graph.errors import ConfigError, PSGraphError
from ps_graph.io import atomic_write_text
from ps_graph.keys import encode_key
from ps_graph.saving import FORMAT as PS_FORMAT
from ps_graph.saving import _actions, _check_path, _parse

from .qlearning import QLearningAgent, QLearningConfig

__all__ = ["FORMAT", "VERSION", "save_agent", "load_agent"]

#: The ``format`` marker of a saved QLearningAgent.
FORMAT = "qbaselines.QLearningAgent"
#: The file layout version written; files of versions 1 .. VERSION load.
VERSION = 1


# ---------------------------------------------------------------------- saving
def save_agent(agent: QLearningAgent, path: str | os.PathLike) -> Path:
    """Write ``agent`` to ``path`` (see the module docstring); the agent is only read."""
    if type(agent) is not QLearningAgent:
        raise ConfigError(f"QLearningAgent.save writes a QLearningAgent; got {type(agent).__name__}, whose extra "
                          "state this format does not hold.")
    path = _check_path(path)
    bits = type(getattr(agent.rng, "bit_generator", None)).__name__
    if not isinstance(agent.rng, np.random.Generator) or bits not in _BIT_GENERATORS:
        raise ConfigError(f"the agent's rng must be a numpy Generator on one of {', '.join(_BIT_GENERATORS)}; got "
                          f"{type(agent.rng).__name__} ({bits}). Create the agent with seed=... (PCG64).")
    from ps_graph import __version__

    def step(pair):
        return None if pair is None else {"key": encode_key(pair[0]), "action": int(pair[1])}

    try:
        doc = {
            "format": FORMAT, "version": VERSION, "ps_graph_version": __version__,
            "config": agent.config.to_dict(),
            "actions": list(agent.actions),
            "observation_space": _space_to_json(agent.observation_space),
            "rng": _plain(agent.rng.bit_generator.state),
            "state": {"episode": int(agent.episode),
                      "q": [{"key": encode_key(k), "values": row.tolist()} for k, row in agent.q.items()],
                      "pending": step(agent._pending), "next": step(agent._next)},
        }
        text = json.dumps(doc, allow_nan=False, separators=(",", ":"))
    except (PSGraphError, ValueError) as err:
        raise PSGraphError(f"cannot save the Q-learning agent to {path}: {err}") from None
    return atomic_write_text(path, text + "\n")


# ---------------------------------------------------------------------- loading
def load_agent(cls, path: str | os.PathLike) -> QLearningAgent:
    """The agent :func:`save_agent` wrote to ``path``, as ``cls``; it continues exactly where it was."""
    path = _check_path(path)
    data = path.read_bytes()
    try:
        if data[:4] == b"PK\x03\x04":
            raise PSGraphError("this is a zip archive (torch files such as DQNAgent.save writes are), not a "
                               "Q-learning agent file; load DQN agents with qbaselines.DQNAgent.load(path, env).")
        return _from_document(cls, _parse(data))
    except PSGraphError as err:
        problem = str(err)
    except RecursionError:
        problem = "the JSON is nested too deeply to be a Q-learning agent file."
    except (TypeError, ValueError, KeyError, IndexError, OverflowError) as err:
        problem = f"malformed Q-learning agent file ({type(err).__name__}: {err})."
    raise PSGraphError(f"cannot load {path}: {problem}")


def _from_document(cls, doc) -> QLearningAgent:
    top = _obj(doc, "the file", ("format",))
    if top["format"] != FORMAT:
        hint = " It is a PS agent file: load it with ps_graph.load(path)." if top["format"] == PS_FORMAT else ""
        raise PSGraphError(f"format is {_show(top['format'])}, expected {FORMAT!r}: this is not a saved "
                           f"QLearningAgent.{hint}")
    version = _int(_obj(top, "the file", ("version",))["version"], "version", 1)
    if version > VERSION:
        raise PSGraphError(f"format version {version} is newer than this qbaselines reads (up to {VERSION}); "
                           "upgrade ps_graph.")
    _obj(top, "the file", ("config", "actions", "observation_space", "rng", "state"))
    names = [f.name for f in dataclasses.fields(QLearningConfig)]
    try:
        config = make_config(QLearningConfig, None, _obj(top["config"], "config", names), "Q-learning")
    except PSGraphError as err:
        raise PSGraphError(f"config: {err}") from None
    actions = _actions(top["actions"])
    space, rng = _space(top["observation_space"], "observation_space"), _rng(top["rng"])
    try:
        agent = cls(actions, space, config=config, rng=rng)
    except PSGraphError as err:
        raise PSGraphError(f"observation_space: {err}") from None
    n = len(agent.actions)
    state = _obj(top["state"], "state", ("episode", "q", "pending", "next"))

    def row(entry, where: str):
        entry = _obj(entry, where, ("key", "values"))
        return _key(entry["key"], f"{where}.key"), np.array(_each(entry["values"], f"{where}.values", _finite, n))

    def step(value, where: str):
        if value is None:
            return None
        value = _obj(value, where, ("key", "action"))
        action = _int(value["action"], f"{where}.action")
        if action >= n:
            raise _fail(f"{where}.action", f"an index into the {n} actions (0 .. {n - 1})", action)
        return _key(value["key"], f"{where}.key"), action

    rows = _each(state["q"], "state.q", row)
    agent.q = dict(rows)
    if len(agent.q) != len(rows):
        raise PSGraphError("state.q lists a percept key twice.")
    agent.episode = _int(state["episode"], "state.episode")
    agent._pending, agent._next = step(state["pending"], "state.pending"), step(state["next"], "state.next")
    return agent


def _finite(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(where, "a finite number", value)
    return float(value)
