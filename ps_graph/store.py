"""The lazy h/glow store: clocks, stamps, back-dated rewards and the glowing set, written once.

Damping touches every edge every step and glow decays every step (DESIGN contract 3). The
store does neither: it counts learning steps (``clock``) and glow steps (``glow_clock``),
remembers the step each stored value is current at (a :class:`Row`'s ``stamp``, a glowing
edge's stamp), and brings a value forward in closed form when it is read
(:func:`ps_graph.rules.damp`, :func:`ps_graph.rules.decay_glow`). A reward visits only the
edges that still glow; a positive one is back-dated onto the stored value
(:func:`ps_graph.rules.backdated_reward_step`) so the row's other edges stay lazy.

The same :class:`LazyStore` serves the three agents that keep h-values:

* the graph core (:class:`~ps_graph.ecm.ECM`): one :class:`Row` per clip with out-edges;
* the 2-layer fast path (:class:`~ps_graph.fast.TwoLayerPS`): one flat :class:`Table` of
  equal rows (8 bytes per h-value), whose rows a glowing edge refers to through a small
  :class:`TableRow` view;
* the batched agents (:class:`~ps_graph.batch.BatchedTwoLayerPS`): numpy tables whose clocks
  and stamps are arrays, read through :meth:`LazyStore.damped` / :meth:`LazyStore.decayed`,
  which work on numbers and arrays alike.

The equations themselves live in :mod:`ps_graph.rules`.

Example
-------
>>> store = LazyStore(gamma_damping=0.5, eta_glow_damping=1.0, h0=1.0, h_floor=1e-3)
>>> row = store.new_row([1.0, 1.0])
>>> store.decay_glow(); store.traverse("edge", row, 1, "replace")
>>> store.learn(2.0)                # h <- h - gamma (h - 1) + g R on every edge
>>> list(store.current(row))
[1.0, 3.0]
>>> store.learn(0.0); list(store.current(row))
[1.0, 2.0]
>>> row.stamp, list(row.h)     # the row was never touched: the reward was back-dated to step 0
(0, [1.0, 5.0])
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Iterable
from typing import Any, Generic, TypeVar

from . import rules
from .checks import check_reward

__all__ = ["LazyStore", "Row", "Table", "TableRow"]

#: The key of a glowing edge, chosen by the owner: an ECM edge ``(source, target)``, a flat index.
Key = TypeVar("Key", bound=Hashable)


class Row:
    """Stored h-values of one clip's out-edges (an ``array('d')``), current at learning step ``stamp``.

    ``h0`` is None (every edge damps towards the store's h0) or an ``array('d')`` parallel to
    ``h``: each edge's own initial value. Rows without per-edge values hold no array.
    """

    __slots__ = ("h", "h0", "stamp")

    def __init__(self, stamp: int, h: Iterable[float] = (), h0: Iterable[float] | None = None) -> None:
        self.h = array("d", h)
        self.stamp = stamp
        self.h0: array | None = None if h0 is None else array("d", h0)

    def add(self, h: float, h0: float, default: float) -> None:
        """Append an edge with stored value ``h`` and initial value ``h0`` (``default``: the
        store's h0; the row keeps an h0 array only once an edge's differs from it)."""
        self.h.append(h)
        if self.h0 is None and h0 != default:
            self.h0 = array("d", [default]) * (len(self.h) - 1)
        if self.h0 is not None:
            self.h0.append(h0)

    def set_h0(self, j: int, h0: float, default: float) -> None:
        """Set edge ``j``'s initial value (bring the row up to date first: its past damping used the old one)."""
        if self.h0 is None and h0 != default:
            self.h0 = array("d", [default]) * len(self.h)
        if self.h0 is not None:
            self.h0[j] = h0

    def remove(self, j: int) -> None:
        """Drop edge ``j`` (its stored value and initial value); the others stay lazy."""
        del self.h[j]
        if self.h0 is not None:
            del self.h0[j]

    def damp(self, gamma: float, h0: float, steps: int) -> None:
        """Apply ``steps`` damping steps to the stored values (the stamp is the caller's), towards
        the row's own ``h0`` values if it has them, else ``h0``."""
        self.h = array("d", rules.damp(self.h, gamma, h0 if self.h0 is None else self.h0, steps))


class Table:
    """Rows of equal width in one flat ``array('d')`` (row i at ``[i * width, (i + 1) * width)``)
    with the learning step each row is current at: the fast path's compact h-table.

    ``h0`` is None (every edge damps towards the store's h0) or a flat ``array('d')`` parallel
    to ``h`` holding each edge's own initial value (``Table(width, per_edge_h0=True)``).
    """

    __slots__ = ("h", "h0", "stamps", "width")

    def __init__(self, width: int, per_edge_h0: bool = False) -> None:
        self.h = array("d")
        self.stamps = array("q")
        self.width = width
        self.h0: array | None = array("d") if per_edge_h0 else None

    def __len__(self) -> int:
        return len(self.stamps)

    def add_row(self, values: array, stamp: int, h0: array | None = None) -> int:
        """Append a row (``width`` values current at ``stamp``; with per-edge h0, their initial
        values ``h0``, default ``values``); returns its index."""
        self.h.extend(values)  # array growth is amortized O(1) per value
        if self.h0 is not None:
            self.h0.extend(values if h0 is None else h0)
        self.stamps.append(stamp)
        return len(self.stamps) - 1

    def stored(self, i: int) -> array:
        """Row ``i``'s stored values (a copy)."""
        base = i * self.width
        return self.h[base : base + self.width]

    def row_h0(self, i: int, h0: float) -> float | array:
        """Row ``i``'s initial values (a copy), or ``h0`` when the table has no per-edge values."""
        if self.h0 is None:
            return h0
        base = i * self.width
        return self.h0[base : base + self.width]


class TableRow:
    """Row ``i`` of a :class:`Table`, seen as a :class:`Row` whose ``h`` is the whole flat
    array (so a glowing edge's position is its flat index)."""

    __slots__ = ("i", "table")

    def __init__(self, table: Table, i: int) -> None:
        self.table = table
        self.i = i

    @property
    def h(self) -> array:
        return self.table.h

    @property
    def stamp(self) -> int:
        return self.table.stamps[self.i]

    @stamp.setter
    def stamp(self, value: int) -> None:
        self.table.stamps[self.i] = value

    def damp(self, gamma: float, h0: float, steps: int) -> None:
        """Apply ``steps`` damping steps to this row's stored values only."""
        t, base = self.table, self.i * self.table.width
        h0s = t.row_h0(self.i, h0)
        t.h[base : base + t.width] = array("d", rules.damp(t.h[base : base + t.width], gamma, h0s, steps))


class LazyStore(Generic[Key]):
    """Clocks, back-dated rewards and the glowing set over :class:`Row` objects.

    Parameters
    ----------
    gamma_damping, eta_glow_damping, h0, h_floor : float
        As in :class:`~ps_graph.agent.PSConfig` (checked there; the store trusts them).

    Attributes
    ----------
    clock : int
        Learning steps applied (one per :meth:`learn` or :meth:`tick`). The batched agents
        set it (and ``glow_clock``) to an int64 array, one clock per agent, and read their
        tables through :meth:`damped` and :meth:`decayed` only.
    glow_clock : int
        Glow decays applied (one per :meth:`decay_glow`).
    glowing : dict
        ``edge key -> [glow, glow step it was current at, row, position in the row]`` for
        the edges that still glow; the key is the owner's (an ECM edge, a flat index).
    """

    __slots__ = ("clock", "eta", "gamma", "glow_clock", "glowing", "h0", "h_floor", "max_backdate")

    def __init__(self, gamma_damping: float, eta_glow_damping: float, h0: float, h_floor: float) -> None:
        self.gamma = gamma_damping
        self.eta = eta_glow_damping
        self.h0 = h0
        self.h_floor = h_floor
        self.max_backdate = rules.max_backdate_steps(gamma_damping)
        # Any: an int, or the batched agents' int64 array of one clock per agent
        self.clock: Any = 0
        self.glow_clock: Any = 0
        self.glowing: dict[Key, list[Any]] = {}

    # ------------------------------------------------------------------ closed forms
    def damped(self, h, stamp, clock, h0=None):
        """``h`` stored at learning step ``stamp``, brought to ``clock`` (numbers or arrays),
        towards ``h0`` (per-edge values broadcasting against ``h``; default: the store's h0)."""
        return rules.damp(h, self.gamma, self.h0 if h0 is None else h0, clock - stamp)

    def decayed(self, glow, stamp, glow_clock):
        """``glow`` stored at glow step ``stamp``, brought to ``glow_clock`` (numbers or arrays)."""
        return rules.decay_glow(glow, self.eta, glow_clock - stamp)

    # ------------------------------------------------------------------ rows
    def new_row(self, h: Iterable[float] = (), h0: Iterable[float] | None = None) -> Row:
        """A row current now (``h0``: its edges' own initial values, if not the store's)."""
        return Row(self.clock, h, h0)

    def current(self, row: Row):
        """``row``'s current h-values, computed; the stored row stays lazy.

        Reading never writes: a value brought forward and stored would round differently
        from one damped later in a single closed-form step, so looking at an agent would
        change its future in the last bits.
        """
        return self.bring(row.h, row.stamp, row.h0)

    def bring(self, h, stamp: int, h0=None):
        """Values ``h`` stored at learning step ``stamp``, brought to now (``h`` itself if current),
        towards ``h0`` (per-edge values; default: the store's h0)."""
        behind = self.clock - stamp
        if behind and self.gamma:
            return rules.damp(h, self.gamma, self.h0 if h0 is None else h0, behind)
        return h

    def table_row(self, table: Table, i: int):
        """Row ``i`` of ``table``, current now (computed; the table stays lazy)."""
        behind = self.clock - table.stamps[i]
        if behind and self.gamma:  # the per-edge h0, if any, is read only when something decays
            return rules.damp(table.stored(i), self.gamma, table.row_h0(i, self.h0), behind)
        return table.stored(i)

    def sync(self, row: Row, to: int | None = None) -> None:
        """Apply the damping steps that ``row`` missed (closed form), up to ``to`` (default: now)."""
        to = self.clock if to is None else to
        steps = to - row.stamp
        if steps and self.gamma:
            row.damp(self.gamma, self.h0, steps)
        row.stamp = to

    # ------------------------------------------------------------------ glow
    def glow(self, key: Key) -> float:
        """The current glow of the edge ``key`` (0.0 unless it glows)."""
        entry = self.glowing.get(key)
        if entry is None:
            return 0.0
        return rules.decay_glow(entry[0], self.eta, self.glow_clock - entry[1])

    def glowing_now(self) -> dict[Key, float]:
        """Every edge whose current glow is not zero, with that glow (reading only)."""
        current = {key: self.glow(key) for key in self.glowing}
        return {key: g for key, g in current.items() if g}

    def decay_glow(self) -> None:
        """One step of glow decay on every edge, ``g <- (1 - eta) g``, in O(1)."""
        self.glow_clock += 1

    def traverse(self, key: Key, row: Row | TableRow, position: int, mode: str) -> None:
        """The edge ``key`` (``row.h[position]``) was walked: its glow becomes 1, or grows by 1."""
        current = self.glow(key) if mode == "accumulate" else 0.0
        self.glowing[key] = [rules.glow_after_traversal(current, mode), self.glow_clock, row, position]

    def set_glow(self, key: Key, row: Row | TableRow, position: int, glow: float, stamp: int | None = None) -> None:
        """Store ``glow`` for the edge ``key`` as current at glow step ``stamp`` (default: now)."""
        if glow == 0.0:
            self.glowing.pop(key, None)
        else:
            self.glowing[key] = [glow, self.glow_clock if stamp is None else stamp, row, position]

    def reset_glow(self) -> None:
        """Set every glow to zero (done at every episode start)."""
        self.glowing.clear()

    # ------------------------------------------------------------------ learning
    def tick(self) -> None:
        """A learning step without reward: only damping, which stays lazy (O(1))."""
        self.clock += 1

    def learn(self, reward: float) -> None:
        """One learning step on every edge: ``h <- h - gamma (h - h0) + g R`` (floored).

        Costs O(1), plus O(edges still glowing) when ``reward != 0``. Edges whose glow has
        decayed to exactly zero leave the glowing set.
        """
        reward = check_reward(reward)
        new_clock = self.clock + 1
        if reward != 0.0 and self.glowing:
            eta, now, gamma = self.eta, self.glow_clock, self.gamma
            floor, max_backdate = self.h_floor, self.max_backdate
            dead = []
            for key, (glow, stamp, row, j) in self.glowing.items():
                g = rules.decay_glow(glow, eta, now - stamp)
                if g == 0.0:
                    dead.append(key)
                    continue
                behind = new_clock - row.stamp
                if reward > 0.0 and behind <= max_backdate:
                    # leave the siblings lazy: reward the stored value, back-dated
                    row.h[j] = rules.backdated_reward_step(row.h[j], g, reward, gamma, behind)
                else:  # the floor needs the current value
                    self.sync(row, to=new_clock)
                    row.h[j] = rules.floor_h(rules.reward_step(row.h[j], g, reward), floor)
            for key in dead:
                del self.glowing[key]
        self.clock = new_clock
