"""Per-edge initial h: an agent's ``initial_h=`` checked once (:class:`InitialH`).

The projective_simulation library's Forager starts each percept -> action edge at its own
value (``initial_prob_distr``); :class:`~ps_graph.PSAgent` and
:class:`~ps_graph.fast.TwoLayerPS` take such values as a table, a mapping or a callable,
and damping pulls each edge back to its own initial value.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from gymnasium import spaces

from .checks import check_real
from .errors import ConfigError

if TYPE_CHECKING:
    from .agent import PSConfig

__all__ = ["MAX_H0", "InitialH"]

#: The largest h0 or initial h of an edge: it keeps a row's sum of h finite (1e308 would make
#: every hopping probability 0).
MAX_H0 = 1e100


class InitialH:
    """An agent's ``initial_h=`` checked once: the initial h of each percept -> action edge,
    which is also the value damping pulls that edge back to (``h <- h - gamma (h - h0_edge)``).

    ``value`` is a table (array of shape ``(n, num_actions)`` for a ``Discrete(n, start)``
    observation space: row ``observation - start``, column the action's index), a mapping
    ``{(percept_key, action): h}`` (``config.h0`` for the pairs it leaves out) or a callable
    ``(percept_key, action) -> h``. Every value must be finite and in ``[h_floor, MAX_H0]``;
    a callable's are checked when a percept's row is created. :meth:`row` gives a percept's
    values in action order.

    >>> from gymnasium import spaces
    >>> from ps_graph import PSConfig
    >>> InitialH({(0, 1): 0.5}, [0, 1], spaces.Discrete(2), PSConfig()).row(0)
    [1.0, 0.5]
    """

    def __init__(self, value: Any, actions: Sequence[int], space: spaces.Space | None, config: PSConfig) -> None:
        self.actions, self.h0, self.floor = list(actions), config.h0, config.h_floor
        self.table: np.ndarray | None = None
        self.mapping: dict[tuple[Hashable, int], float] | None = None
        self.function: Any = None
        if isinstance(value, Mapping):
            self.mapping = {self._pair(k): self.check(v, f"initial_h[{k!r}]") for k, v in value.items()}
        elif callable(value):
            self.function = value
        else:
            self.table = self._table(value, space)

    def check(self, value: Any, where: str) -> float:
        hint = "An edge's initial h must be positive and finite, at least h_floor and at most MAX_H0."
        return check_real(where, value, self.floor, MAX_H0, hint=hint)

    def _pair(self, key: Any) -> tuple[Hashable, int]:
        action = key[1] if isinstance(key, tuple) and len(key) == 2 else None
        if (
            isinstance(action, (bool, np.bool_))
            or not isinstance(action, (int, np.integer))
            or action not in self.actions
        ):
            raise ConfigError(
                f"initial_h keys must be (percept_key, action) pairs with an action among {self.actions}; got {key!r}."
            )
        return key[0], int(action)

    def _table(self, value: Any, space: spaces.Space | None) -> np.ndarray:
        if not isinstance(space, spaces.Discrete):
            raise ConfigError(
                f"initial_h as a table needs a Discrete observation space (rows are observations); got {space}. "
                "Pass a mapping {(percept_key, action): h} or a callable (percept_key, action) -> h instead."
            )
        self.start = int(space.start)
        shape = (int(space.n), len(self.actions))
        try:
            table = np.array(value, dtype=float)
        except (TypeError, ValueError):
            table = None
        if table is None or table.shape != shape:
            got = type(value).__name__ if table is None else f"shape {table.shape}"
            raise ConfigError(
                f"initial_h must be None, a mapping, a callable or a table of shape {shape} "
                f"(num_percepts, num_actions); got {got}."
            )
        bad = ~(np.isfinite(table) & (table >= self.floor) & (table <= MAX_H0))
        if bad.any():
            i, j = (int(x) for x in np.argwhere(bad)[0])
            self.check(float(table[i, j]), f"initial_h[{i}, {j}]")
        return table

    def row(self, key: Hashable) -> list[float]:
        """The initial h of ``key``'s edges to the actions, in action order (checked)."""
        if self.table is not None:
            return self.table[cast(int, key) - self.start].tolist()
        if self.mapping is not None:
            return [self.mapping.get((key, a), self.h0) for a in self.actions]
        return [self.check(self.function(key, a), f"initial_h({key!r}, {a!r})") for a in self.actions]

    def to_json(self) -> dict[str, Any]:
        """The values as JSON data: ``{"table": rows}`` or ``{"entries": [{percept, action, h}]}``;
        a callable cannot be saved."""
        from .keys import encode_key

        if self.table is not None:
            return {"table": self.table.tolist()}
        if self.mapping is None:
            raise ConfigError(
                "cannot save an agent whose initial_h is a callable: a file never holds code. Pass initial_h as "
                "a table (numpy array of shape (num_percepts, num_actions)) or a mapping {(percept_key, action): h}."
            )
        return {"entries": [{"percept": encode_key(k), "action": a, "h": h} for (k, a), h in self.mapping.items()]}

    @staticmethod
    def from_json(value: Any, space: spaces.Space | None) -> np.ndarray | dict[tuple[Hashable, int], float]:
        """The table or mapping :meth:`to_json` wrote, its fields checked (the values again by the agent)."""
        from .fileformat import check_entries, check_h, check_int64, check_object, check_percept_key

        spec = check_object("initial_h", value)
        if "table" in spec:
            if not isinstance(space, spaces.Discrete):
                raise ConfigError(f"initial_h.table needs a Discrete observation_space; the file's is {space}.")
            n = int(space.n)
            rows = check_entries("initial_h.table", spec["table"], lambda w, r: check_entries(w, r, check_h), n)
            return np.array(rows, dtype=float).reshape(n, -1)

        def entry(where: str, e: Any) -> tuple[tuple[Hashable, int], float]:
            e = check_object(where, e, ("percept", "action", "h"))
            key = check_percept_key(f"{where}.percept", e["percept"], space)
            return (key, check_int64(f"{where}.action", e["action"], None)), check_h(f"{where}.h", e["h"])

        entries = check_entries("initial_h.entries", check_object("initial_h", spec, ("entries",))["entries"], entry)
        if len(dict(entries)) != len(entries):
            raise ConfigError("initial_h.entries lists a (percept, action) pair twice.")
        return dict(entries)
