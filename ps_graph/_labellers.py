"""The built-in percept labellers of :mod:`ps_graph.labels`, and which one fits an environment.

A labeller is a frozen dataclass whose fields are plain values (its ``params`` in a file), so
that a saved agent names it and a reloaded one labels new percepts again: :class:`Cells` (grid
cells), :class:`Taxi` (Taxi's decoded state), :class:`Blackjack`, :class:`Bins` (discretized
Box values) and :class:`Fields` (named features, e.g. counters or symbol and colour).
Calling one on a percept key gives its label, or None for a key it does not know.

>>> Cells(4, 4)(14), Taxi()(328), Fields(("symbol", "colour"))((1, 0))
('row 3, col 2', 'taxi (3, 1), passenger at Y, destination R', 'symbol 1, colour 0')
>>> labeller_from_json("labeller", {"name": "cells", "params": {"rows": 4, "cols": 0}})
Traceback (most recent call last):
...
ps_graph.errors.ConfigError: labeller.params.cols must be an integer >= 1 and <= 1000000; got 0.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import numpy as np

from .checks import check_bool, check_int, check_real, check_str, fail
from .errors import ConfigError, PSGraphError
from .fileformat import check_entries, check_object

__all__ = ["LABELLERS", "MAX_LABEL", "Bins", "Blackjack", "Cells", "Fields", "Labeller", "Taxi"]
__all__ += ["check_label", "env_labeller", "labeller_from_json"]

#: The most characters of one label (an action name, a percept label) an agent file holds.
MAX_LABEL = 1000
_MAX_COUNT = 10**6  # rows, columns, bins
_MAX_NAMES = 10_000  # names of a labeller's features or of one feature's values


def check_label(where: str, value) -> str:
    """A label: a string of at most :data:`MAX_LABEL` characters (kept as data, never run or rendered)."""
    label = check_str(where, value)
    if len(label) > MAX_LABEL:
        raise ConfigError(f"{where} has {len(label)} characters; a label has at most {MAX_LABEL}. Shorten it.")
    return label


def _int(key) -> bool:
    return isinstance(key, numbers.Integral) and not isinstance(key, bool)


def _ints(key, n: int) -> bool:
    return isinstance(key, tuple) and len(key) == n and all(map(_int, key))


# ---------------------------------------------------------------------- the labellers
class Labeller:
    """Base of the built-in labellers: ``labeller(key)`` labels a percept key (None: not
    one it knows), ``labeller.feature(i, value)`` the ``(feature, value)`` key of factorized
    percepts, and ``to_json()`` names it with its parameters."""

    name: ClassVar[str]
    #: each parameter's kind: "count", "names", "floats", "counts", "flag" or "values"
    params: ClassVar[dict[str, str]] = {}

    def __call__(self, key: Any) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def feature(self, index: int, value: Any) -> str | None:
        """The label of feature ``index`` taking ``value`` (one feature: the percept itself)."""
        return self(value) if index == 0 else None

    def to_json(self) -> dict[str, Any]:
        """``{"name": ..., "params": {...}}`` (see :func:`labeller_from_json`)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(cast(Any, self))}
        return {"name": self.name, "params": {k: _listed(v) for k, v in fields.items()}}


def _joined(parts: list[str | None]) -> str | None:
    """The labels of a key's parts joined by ", ", or None if any part has none."""
    return None if None in parts else ", ".join(cast("list[str]", parts))


def _listed(value):
    return [_listed(v) for v in value] if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Cells(Labeller):
    """The cells of a ``rows x cols`` grid, state ``row * cols + col``: "row r, col c"."""

    rows: int
    cols: int
    name: ClassVar[str] = "cells"
    params: ClassVar[dict[str, str]] = {"rows": "count", "cols": "count"}

    def cell(self, key: Any) -> tuple[int, int] | None:
        """``(row, col)`` of state ``key``, or None."""
        if not (_int(key) and 0 <= key < self.rows * self.cols):
            return None
        row, col = divmod(int(key), self.cols)
        return row, col

    def __call__(self, key: Any) -> str | None:
        cell = self.cell(key)
        return None if cell is None else f"row {cell[0]}, col {cell[1]}"


_TAXI_PLACES = "RGYB"


@dataclass(frozen=True)
class Taxi(Labeller):
    """Taxi's 500 states, decoded as ``env.unwrapped.decode`` does: ``((row * 5 + col) * 5 +
    passenger) * 4 + destination``; passenger 4 rides in the taxi; places R, G, Y, B."""

    name: ClassVar[str] = "taxi"

    def __call__(self, key: Any) -> str | None:
        if not (_int(key) and 0 <= key < 500):
            return None
        rest, destination = divmod(int(key), 4)
        rest, passenger = divmod(rest, 5)
        row, col = divmod(rest, 5)
        where = "in taxi" if passenger == 4 else f"at {_TAXI_PLACES[passenger]}"
        return f"taxi ({row}, {col}), passenger {where}, destination {_TAXI_PLACES[destination]}"


@dataclass(frozen=True)
class Blackjack(Labeller):
    """Blackjack's ``(player sum, dealer card, usable ace)``: "player 14, dealer 10, usable ace"."""

    name: ClassVar[str] = "blackjack"

    def feature(self, index: int, value: Any) -> str | None:
        if not _int(value):
            return None
        if index == 0:
            return f"player {value}"
        if index == 1:
            return "dealer ace" if value == 1 else f"dealer {value}"
        return ("usable ace" if value else "no usable ace") if index == 2 and value in (0, 1) else None

    def __call__(self, key: Any) -> str | None:
        if not _ints(key, 3):
            return None
        return _joined([self.feature(i, v) for i, v in enumerate(key)])


@dataclass(frozen=True)
class Fields(Labeller):
    """Named features: "name value" for each (a single value for one feature), joined by
    ", "; ``values[i]``, if given, names feature i's values 0, 1, ...; an empty name shows
    the value alone.

    >>> Fields(("",), (("red", "green"),))(1), Fields(("turn counter", "reset counter"))((3, 14))
    ('green', 'turn counter 3, reset counter 14')
    """

    names: tuple[str, ...]
    values: tuple[tuple[str, ...] | None, ...] = ()
    name: ClassVar[str] = "fields"
    params: ClassVar[dict[str, str]] = {"names": "names", "values": "values"}

    def __post_init__(self) -> None:
        if self.values and len(self.values) != len(self.names):
            raise ConfigError(f"values names the values of {len(self.values)} features; there are {len(self.names)}.")

    def feature(self, index: int, value: Any) -> str | None:
        if not (_int(index) and 0 <= index < len(self.names)):
            return None
        named = self.values[index] if self.values else None
        shown = named[value] if named is not None and _int(value) and 0 <= value < len(named) else value
        return f"{self.names[index]} {shown}" if self.names[index] else str(shown)

    def __call__(self, key: Any) -> str | None:
        parts = key if len(self.names) > 1 else (key,)
        if not (isinstance(parts, tuple) and len(parts) == len(self.names)):
            return None
        return ", ".join(str(self.feature(i, v)) for i, v in enumerate(parts))


@dataclass(frozen=True)
class Bins(Labeller):
    """Bins of a discretized Box (:class:`~ps_graph.envs.DiscretizeBox`): dimension i of
    ``[low[i], high[i]]`` cut into ``bins[i]`` equal intervals, each bin shown as its range,
    "position [0.06, 0.24)"; keys are bin index tuples, or with ``multidiscrete=False`` the
    flat row-major index.

    >>> Bins(("x",), (0.0,), (1.0,), (4,), False)(3)
    'x [0.75, 1]'
    """

    names: tuple[str, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    bins: tuple[int, ...]
    multidiscrete: bool = True
    name: ClassVar[str] = "bins"
    params: ClassVar[dict[str, str]] = {
        "names": "names",
        "low": "floats",
        "high": "floats",
        "bins": "counts",
        "multidiscrete": "flag",
    }

    def __post_init__(self) -> None:
        if not len(self.names) == len(self.low) == len(self.high) == len(self.bins):
            raise ConfigError(
                f"names, low, high and bins give {len(self.names)}, {len(self.low)}, {len(self.high)} and "
                f"{len(self.bins)} dimensions; give each dimension's name, bounds and bin count."
            )
        if not all(lo < hi for lo, hi in zip(self.low, self.high)):
            raise ConfigError(f"each low must be below its high; got low {list(self.low)}, high {list(self.high)}.")

    def feature(self, index: int, value: Any) -> str | None:
        if not self.multidiscrete:
            return self(value) if index == 0 else None
        if not (_int(index) and 0 <= index < len(self.bins) and _int(value) and 0 <= value < self.bins[index]):
            return None
        low, high, n = self.low[index], self.high[index], self.bins[index]
        edges = np.linspace(low, high, n + 1)
        width = (high - low) / n
        closing = "]" if value == n - 1 else ")"
        lower, upper = _number(edges[value], width), _number(edges[value + 1], width)
        return f"{self.names[index]} [{lower}, {upper}{closing}"

    def __call__(self, key: Any) -> str | None:
        if not self.multidiscrete:
            if not (_int(key) and 0 <= key < math.prod(self.bins)):
                return None
            key = tuple(int(i) for i in np.unravel_index(int(key), self.bins))
        if not _ints(key, len(self.bins)):
            return None
        as_tuple = dataclasses.replace(self, multidiscrete=True)
        return _joined([as_tuple.feature(i, v) for i, v in enumerate(key)])


def _number(x: float, width: float) -> str:
    """``x`` with enough decimals to tell bins of ``width`` apart (and no float noise)."""
    decimals = max(0, 2 - math.floor(math.log10(width)))
    text = f"{round(float(x), decimals) + 0.0:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


#: The built-in labellers by the name a file gives them.
LABELLERS: dict[str, type[Labeller]] = {c.name: c for c in (Cells, Taxi, Blackjack, Fields, Bins)}


# ---------------------------------------------------------------------- files
def _names(where: str, value, most: int = _MAX_NAMES) -> tuple[str, ...]:
    if isinstance(value, list) and len(value) > most:
        raise ConfigError(f"{where} lists {len(value)} names; at most {most}.")
    return tuple(check_entries(where, value, check_label))


_PARAM: dict[str, Callable[[str, Any], Any]] = {
    "count": lambda where, v: check_int(where, v, 1, _MAX_COUNT),
    "names": _names,
    "floats": lambda where, v: tuple(check_entries(where, v, lambda w, x: check_real(w, x))),
    "counts": lambda where, v: tuple(check_entries(where, v, lambda w, x: check_int(w, x, 1, _MAX_COUNT))),
    "flag": lambda where, v: check_bool(where, v, allowed="true or false"),
    "values": lambda where, v: tuple(check_entries(where, v, lambda w, x: None if x is None else _names(w, x))),
}


def labeller_from_json(where: str, value) -> Labeller:
    """The built-in labeller that :meth:`Labeller.to_json` wrote at ``where``, each parameter checked."""
    doc = check_object(where, value, ("name", "params"))
    name = doc["name"]
    if not isinstance(name, str) or name not in LABELLERS:
        raise fail(f"{where}.name", f"one of the built-in labellers {', '.join(map(repr, LABELLERS))}", name)
    cls = LABELLERS[name]
    params = check_object(f"{where}.params", doc["params"], tuple(cls.params))
    unknown = sorted(set(params) - set(cls.params))
    if unknown:
        raise ConfigError(f"{where}.params has unknown field(s) {unknown}; a {name!r} labeller has {list(cls.params)}.")
    given = {k: _PARAM[kind](f"{where}.params.{k}", params[k]) for k, kind in cls.params.items()}
    try:
        return cls(**given)
    except PSGraphError as err:
        raise ConfigError(f"{where}.params: {err}") from None


# ---------------------------------------------------------------------- environments
def _doors(n: int) -> tuple[str, ...]:
    return tuple(f"door {i}" for i in range(n))


def _grid_actions(base) -> tuple[str, ...]:
    from .envs.grid import ACTIONS

    return tuple(a.upper() for a in ACTIONS)


def _invasion(base) -> tuple:
    return _doors(base.num_symbols), Fields(("symbol", "colour") if base.coloured else ("symbol",))


def _search(*actions: str, names: tuple[str, ...] = ("counter",)):
    return lambda base: (actions, Fields(names))


#: Unwrapped class name -> base env -> (action names, labeller); only classes of these packages.
_ENVS: dict[str, Any] = {
    "FrozenLakeEnv": lambda base: (("LEFT", "DOWN", "RIGHT", "UP"), Cells(base.nrow, base.ncol)),
    "CliffWalkingEnv": lambda base: (("UP", "RIGHT", "DOWN", "LEFT"), Cells(*map(int, base.shape))),
    "TaxiEnv": lambda base: (("South", "North", "East", "West", "Pickup", "Dropoff"), Taxi()),
    "BlackjackEnv": lambda base: (("Stick", "Hit"), Blackjack()),
    "GridWorld": lambda base: (_grid_actions(base), Cells(base.nrow, base.ncol)),
    "InvasionGame": _invasion,
    "DriverGame": lambda base: (
        tuple(f"go {d}" for d in range(base.num_directions)),
        Fields(("direction", "colour")),
    ),
    "InvasionWithDistraction": lambda base: (_doors(2), Fields(("obs0", "obs1", "distraction"))),
    "DeceptiveInvasion": lambda base: (_doors(10), Fields(("door shown", "truth number", "distraction"))),
    "RedLightGreenLight": lambda base: (("choose red", "choose green"), Fields(("",), (("red", "green"),))),
    "Reset1D": _search("continue", "reset"),
    "Reset2D": _search("continue", "reset"),
    "TurnReset2D": _search("continue", "turn", "reset", names=("turn counter", "reset counter")),
    "Foraging": _search("continue", "turn"),
    "Locusts": lambda base: (("turn around", "keep going"), Fields(("flow",), (("-2", "-1", "0", "+1", "+2"),))),
}
_PACKAGES = ("gymnasium.", "ps_graph.")
#: Box envs by unwrapped class name: (dimension names, action names) for :class:`Bins`.
_BOXES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "MountainCarEnv": (("position", "velocity"), ("Left", "No push", "Right")),
    "CartPoleEnv": (("cart position", "cart velocity", "pole angle", "pole angular velocity"), ("Left", "Right")),
}


def _chain(env: Any) -> Iterator[Any]:
    """``env`` and every env it wraps, outermost first."""
    seen: set[int] = set()
    while env is not None and id(env) not in seen:
        seen.add(id(env))
        yield env
        env = getattr(env, "env", None)


def env_labeller(env) -> tuple[tuple[str, ...], Labeller, Any] | None:
    """(action names, labeller, the observation space it labels) for a known ``env``, or None."""
    from gymnasium.wrappers import DiscretizeObservation

    base = getattr(env, "unwrapped", env)
    known = [c.__name__ for c in type(base).__mro__ if c.__module__.startswith(_PACKAGES)]
    for wrapper in _chain(env):
        if isinstance(wrapper, DiscretizeObservation):
            box = next((_BOXES[n] for n in known if n in _BOXES), None)
            dims = len(wrapper.bins)
            names, actions = box if box is not None else (tuple(f"x{i}" for i in range(dims)), ())
            low, high = (tuple(float(x) for x in v) for v in (wrapper.low, wrapper.high))
            bins = tuple(int(b) for b in wrapper.bins)
            return actions, Bins(names, low, high, bins, bool(wrapper.multidiscrete)), wrapper.observation_space
    for name in known:
        if name in _ENVS:
            actions, labeller = _ENVS[name](base)
            space = base.observation_space
            return actions, labeller, space
    return None
