"""TwoLayerPS read out and rebuilt exactly: the functions behind
:meth:`TwoLayerPS.snapshot <ps_graph.fast.TwoLayerPS.snapshot>` and
:meth:`TwoLayerPS.restore <ps_graph.fast.TwoLayerPS.restore>` (which document the format).

Both work on the lazy store itself (the flat table with its stamps, the glowing edges with
theirs), so an agent read out and rebuilt here continues bit for bit. Every value is checked
with :mod:`ps_graph.checks` before anything changes.
"""

from __future__ import annotations

from array import array
from typing import Any

from .checks import check_bool, check_each, check_int, check_real, check_table
from .errors import ConfigError
from .store import TableRow


def snapshot(agent) -> dict[str, Any]:
    """The snapshot of ``agent`` (see ``TwoLayerPS.snapshot``), read without changing anything."""
    a, store, table = agent._a, agent._store, agent._table
    rows = range(len(table))
    glowing = [(*divmod(edge, a), entry[0], entry[1]) for edge, entry in store.glowing.items()]
    return {
        "percept_keys": agent.percept_keys,
        "h": [list(agent._row_h(i)) for i in rows],
        "visits": list(agent._visits),
        "action_visits": list(agent._action_visits),
        "emotions": [[bool(e) for e in agent._emotion[i * a : (i + 1) * a]] for i in rows],
        "glowing": [(i, j, store.glow(i * a + j)) for i, j, _, _ in glowing],
        "pending": divmod(agent._pending, a) if agent._pending >= 0 else None,
        "priming": agent.priming,
        "uniforms": list(agent._u),
        "next_uniform": agent._next_u,
        "lazy": {
            "clock": store.clock,
            "glow_clock": store.glow_clock,
            "stamps": list(table.stamps),
            "h": [list(table.stored(i)) for i in rows],
            "glowing": glowing,
        },
    }


def _positive(name: str, value) -> float:
    return check_real(name, value, 0.0, low_open=True)


def _count(name: str, value) -> int:
    return check_int(name, value, 0)


def _flag(name: str, value) -> int:
    return int(check_bool(name, value, allowed="true or false"))


class _Checked:
    """The parts of a snapshot for an agent with ``a`` actions, each checked."""

    def __init__(self, agent, snap: dict[str, Any]) -> None:
        a = self.a = agent._a
        keys = self.keys = list(snap["percept_keys"])
        n = self.n = len(keys)
        lazy = snap.get("lazy") or {"clock": 0, "glow_clock": 0, "stamps": [0] * n, "h": snap["h"], "glowing": []}
        self.clock, self.glow_clock = _count("clock", lazy["clock"]), _count("glow_clock", lazy["glow_clock"])
        check_table("h", list(map(list, snap["h"])), n, a, _positive)  # current values: used only without lazy
        self.stored = [v for row in check_table("stored h", list(map(list, lazy["h"])), n, a, _positive) for v in row]
        self.stamps = check_each("stamps", list(lazy["stamps"]), _count, n)
        if any(s > self.clock for s in self.stamps):
            raise ConfigError(f"a stamp is after the clock {self.clock}.")
        self.emotions = [
            v for row in check_table("emotions", list(map(list, snap["emotions"])), n, a, _flag) for v in row
        ]
        self.glowing = self._glowing(lazy["glowing"], snap["glowing"])
        self.uniforms = [check_real("uniform", u, 0.0, 1.0, high_open=True) for u in snap["uniforms"]]
        self.next_u = _count("next_uniform", snap["next_uniform"])
        if self.next_u > len(self.uniforms):
            raise ConfigError(f"next_uniform {self.next_u} is past the {len(self.uniforms)} uniforms drawn ahead.")
        self.pending = -1 if snap["pending"] is None else self.edge("pending edge", snap["pending"])
        if len(set(keys)) != n:
            raise ConfigError("percept keys must be distinct; a key is listed twice.")
        self.visits = check_each("visits", list(snap["visits"]), _count, n)
        self.action_visits = check_each("action_visits", list(snap["action_visits"]), _count, a)
        priming = snap.get("priming")  # absent from older snapshots: the agent keeps its own
        self.priming = None if priming is None else agent._checked_priming(priming)

    def edge(self, name: str, pair) -> int:
        """The flat index of the edge ``(row, column)``."""
        i, j = (_count(name, x) for x in pair)
        if i >= self.n or j >= self.a:
            raise ConfigError(f"{name} ({i}, {j}) is outside the {self.n} x {self.a} table.")
        return i * self.a + j

    def _glowing(self, stored, current) -> dict[int, list]:
        """Glowing edges with their stored glow and stamp (``lazy`` wins over current values)."""
        glowing = {
            self.edge("glowing edge", g[:2]): [check_real("glow", g[2], 0.0), _count("glow stamp", g[3])]
            for g in stored
        }
        for i, j, g in current:
            glowing.setdefault(self.edge("glowing edge", (i, j)), [check_real("glow", g, 0.0), self.glow_clock])
        if any(s > self.glow_clock for _, s in glowing.values()):
            raise ConfigError(f"a glow stamp is after the glow clock {self.glow_clock}.")
        return glowing


def restore(agent, snap: dict[str, Any]) -> None:
    """Put ``snap`` back onto ``agent``, a freshly created TwoLayerPS (see ``TwoLayerPS.restore``)."""
    if len(agent._keys) or agent._store.clock or agent._store.glow_clock or agent._u:
        raise ConfigError("restore() needs a freshly created TwoLayerPS; this one has already acted.")
    c = _Checked(agent, snap)
    agent._index.check_keys(c.keys, agent.observation_space)
    for key in c.keys:
        agent._index.add(key)
    store, table = agent._store, agent._table
    table.h, table.stamps = array("d", c.stored), array("q", c.stamps)
    if agent.initial_h is not None:  # each row's initial values come from the agent's initial_h
        table.h0 = array("d", [v for key in c.keys for v in agent.initial_h.row(key)])
    agent._visits, agent._action_visits, agent._emotion = array("q", c.visits), c.action_visits, bytearray(c.emotions)
    for edge, (glow, stamp) in c.glowing.items():
        if glow:
            store.glowing[edge] = [glow, stamp, TableRow(table, edge // c.a), edge]
    store.clock, store.glow_clock, agent._pending = c.clock, c.glow_clock, c.pending
    agent._u, agent._next_u = c.uniforms, c.next_u
    if c.priming is not None:
        agent.set_priming(c.priming)
