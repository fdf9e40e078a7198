"""The file format behind :meth:`QLearningAgent.save` and :meth:`QLearningAgent.load`.

Versioned JSON, written atomically; loading never unpickles and checks every field,
raising :class:`~ps_graph.errors.FileFormatError` that names the file and the problem. The
field checks, the observation space and rng codecs and the JSON reader are those of
ps_graph's PS agent files (:mod:`ps_graph.fileformat`).

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
Files written before the exploration hyperparameters were renamed (``epsilon_initial``, ...)
load: their config keys are mapped with :data:`qbaselines.qlearning.RENAMED`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ps_graph import fileformat
from ps_graph.checks import fail
from ps_graph.errors import ConfigError, FileFormatError, PSGraphError
from ps_graph.files import atomic_write_text
from ps_graph.keys import encode_key
from ps_graph.saving import FORMAT as PS_FORMAT

from .qconfig import RENAMED, QLearningConfig

if TYPE_CHECKING:
    from .qlearning import QLearningAgent

__all__ = ["FORMAT", "VERSION", "load_agent", "save_agent"]

#: The ``format`` marker of a saved QLearningAgent.
FORMAT = "qbaselines.QLearningAgent"
#: The file layout version written; files of versions 1 .. VERSION load.
VERSION = 1


# ---------------------------------------------------------------------- saving
def save_agent(agent: QLearningAgent, path: str | os.PathLike, cls: type[QLearningAgent]) -> Path:
    """Write ``agent``, a ``cls`` (QLearningAgent), to ``path`` (see the module docstring); the agent is only read."""
    if type(agent) is not cls:
        raise ConfigError(
            f"QLearningAgent.save writes a QLearningAgent; got {type(agent).__name__}, whose extra "
            "state this format does not hold."
        )
    path = fileformat.check_path(path)
    rng = fileformat.rng_to_json(agent.rng)
    from ps_graph import __version__

    def step(pair):
        return None if pair is None else {"key": encode_key(pair[0]), "action": int(pair[1])}

    try:
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "ps_graph_version": __version__,
            "config": agent.config.to_dict(),
            "actions": list(agent.actions),
            "observation_space": fileformat.space_to_json(agent.observation_space),
            "rng": rng,
            "state": {
                "episode": int(agent.episode),
                "q": [{"key": encode_key(k), "values": row.tolist()} for k, row in agent.q.items()],
                "pending": step(agent._pending),
                "next": step(agent._next),
            },
        }
        text = json.dumps(doc, allow_nan=False, separators=(",", ":"))
    except (PSGraphError, ValueError) as err:
        raise PSGraphError(f"cannot save the Q-learning agent to {path}: {err}") from None
    return atomic_write_text(path, text + "\n")


# ---------------------------------------------------------------------- loading
def load_agent(cls, path: str | os.PathLike, *, max_bytes: int = fileformat.MAX_FILE_BYTES) -> QLearningAgent:
    """The agent :func:`save_agent` wrote to ``path``, as ``cls``; it continues exactly where it was.

    Q-values must lie within +-:data:`ps_graph.fileformat.MAX_Q`, percept keys must be
    observations of the file's observation space, and only a regular file of at most
    ``max_bytes`` bytes is read."""

    def read(data: bytes) -> QLearningAgent:
        if data[:4] == b"PK\x03\x04":
            raise FileFormatError(
                "this is a zip archive (torch files such as DQNAgent.save writes are), not a "
                "Q-learning agent file; load DQN agents with qbaselines.DQNAgent.load(path, env)."
            )
        return _from_document(cls, fileformat.parse_json(data))

    return fileformat.load_file(path, read, "Q-learning agent file", max_bytes=max_bytes)


def _from_document(cls, doc) -> QLearningAgent:
    hints = {PS_FORMAT: " It is a PS agent file: load it with ps_graph.load(path)."}
    top, _ = fileformat.check_header(doc, FORMAT, VERSION, "a saved QLearningAgent", "qbaselines", hints)
    fileformat.check_object("the file", top, ("config", "actions", "observation_space", "rng", "state"))
    config = fileformat.config_from_json(QLearningConfig, top["config"], "Q-learning", RENAMED)
    actions = fileformat.actions_from_json(top["actions"])
    space = fileformat.space_from_json("observation_space", top["observation_space"])
    rng = fileformat.rng_from_json(top["rng"])
    try:
        agent = cls(actions, space, config=config, rng=rng)
    except PSGraphError as err:
        raise ConfigError(f"observation_space: {err}") from None
    n = len(agent.actions)
    state = fileformat.check_object("state", top["state"], ("episode", "q", "pending", "next"))

    def key(where: str, value):
        return fileformat.check_percept_key(where, value, space)

    def row(where: str, entry):
        entry = fileformat.check_object(where, entry, ("key", "values"))
        values = fileformat.check_entries(f"{where}.values", entry["values"], fileformat.check_q, n)
        return key(f"{where}.key", entry["key"]), np.array(values)

    def step(where: str, value):
        if value is None:
            return None
        value = fileformat.check_object(where, value, ("key", "action"))
        action = fileformat.check_int64(f"{where}.action", value["action"])
        if action >= n:
            raise fail(f"{where}.action", f"an index into the {n} actions (0 .. {n - 1})", action)
        return key(f"{where}.key", value["key"]), action

    rows = fileformat.check_entries("state.q", state["q"], row)
    agent.q = dict(rows)
    if len(agent.q) != len(rows):
        raise ConfigError("state.q lists a percept key twice.")
    agent.episode = fileformat.check_int64("state.episode", state["episode"])
    agent._pending, agent._next = step("state.pending", state["pending"]), step("state.next", state["next"])
    return agent
