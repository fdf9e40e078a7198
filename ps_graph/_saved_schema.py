"""Field checks and JSON codecs of the agent files that :mod:`ps_graph.saving` reads and writes.

Every check takes a decoded JSON value and ``where``, its place in the file (such as
``ecm.clips[3].visits``), and returns the value, or raises
:class:`~ps_graph.errors.PSGraphError` saying what was expected and what the file holds.
The observation space and the rng's bit generator state go to JSON and back here too:
:func:`_space_to_json` / :func:`_space` and :func:`_plain` / :func:`_rng`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from gymnasium import spaces

from .errors import PSGraphError, UnsupportedSpaceError
from .keys import decode_key

_BIT_GENERATORS = {name: getattr(np.random, name) for name in ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")}
_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


# ---------------------------------------------------------------------- field checks
def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fail(where: str, expected: str, value) -> PSGraphError:
    return PSGraphError(f"{where} must be {expected}; got {_show(value)}.")


def _obj(value, where: str, fields=()) -> dict:
    if not isinstance(value, dict):
        raise _fail(where, "a JSON object", value)
    missing = [f for f in fields if f not in value]
    if missing:
        raise PSGraphError(f"{where} lacks the field(s) {', '.join(map(repr, missing))}.")
    return value


def _list(value, where: str, length: int | None = None) -> list:
    if not isinstance(value, list):
        raise _fail(where, "a JSON list", value)
    if length is not None and len(value) != length:
        raise PSGraphError(f"{where} must hold {length} entries; it holds {len(value)}.")
    return value


def _each(value, where: str, check, length: int | None = None) -> list:
    """``check(entry, where[i])`` for each entry of the list ``value``."""
    return [check(v, f"{where}[{i}]") for i, v in enumerate(_list(value, where, length))]


def _table(value, where: str, rows: int, columns: int, check) -> list[list]:
    return _each(value, where, lambda row, w: _each(row, w, check, columns), rows)


def _int(value, where: str, low: int | None = 0) -> int:
    """An integer >= ``low`` that fits in 64 bits (counts, stamps and sizes all do)."""
    bottom = -(2**63) if low is None else low
    if isinstance(value, bool) or not isinstance(value, int) or not bottom <= value < 2**63:
        raise _fail(where, "a 64-bit integer" + ("" if low is None else f" >= {low}"), value)
    return value


def _num(value, where: str, low: float = 0.0, *, positive: bool = False, below: float | None = None) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if positive else value >= low) and (below is None or value < below)
    if not ok:
        span = f"{'>' if positive else '>='} {low}" + ("" if below is None else f" and < {below}")
        raise _fail(where, f"a finite number {span}", value)
    return float(value)


def _positive(value, where: str) -> float:
    return _num(value, where, positive=True)


def _stamp(value, where: str, clock: int) -> int:
    stamp = _int(value, where)
    if stamp > clock:
        raise PSGraphError(f"{where} is {stamp}, after the clock {clock}: values cannot be current at a later step.")
    return stamp


def _str(value, where: str) -> str:
    if not isinstance(value, str):
        raise _fail(where, "a string", value)
    return value


def _bool(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, "true or false", value)
    return value


def _key(value, where: str):
    try:
        return decode_key(value)
    except PSGraphError as err:
        raise PSGraphError(f"{where}: {err}") from None


def _agree(where: str, stored_now: float, current: float, what: str) -> None:
    if not math.isclose(stored_now, current, rel_tol=1e-9, abs_tol=1e-12):
        raise PSGraphError(
            f"{where}: the stored {what} brought up to date is {stored_now!r}, but the file's current {what} is "
            f"{current!r}, so the file was edited. Delete the 'lazy' part to load the current values as they are."
        )


# ---------------------------------------------------------------------- observation spaces
def _space_to_json(space) -> dict | None:
    if space is None:
        return None
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start), "dtype": space.dtype.name}
    if isinstance(space, spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "nvec": space.nvec.tolist(), "start": space.start.tolist(),
                "dtype": space.dtype.name}
    if isinstance(space, spaces.MultiBinary):
        return {"type": "MultiBinary", "n": _plain(space.n)}
    if isinstance(space, spaces.Tuple):
        return {"type": "Tuple", "spaces": [_space_to_json(s) for s in space.spaces]}
    if isinstance(space, spaces.Dict) and all(isinstance(k, str) for k in space.spaces):
        return {"type": "Dict", "spaces": [[k, _space_to_json(s)] for k, s in space.spaces.items()]}
    raise UnsupportedSpaceError(
        f"cannot save the observation space {space} ({type(space).__name__}): files hold Discrete, MultiDiscrete, "
        "MultiBinary, and Tuple/Dict (string keys) of these, or None."
    )


def _int_array(value, where: str) -> np.ndarray:
    try:
        array = np.array(value)
    except (ValueError, TypeError, OverflowError):
        array = None
    if array is None or array.dtype.kind not in "iu" or array.ndim == 0 or array.size == 0:
        raise _fail(where, "a (nested) non-empty list of integers", value)
    return array


def _dtype(value, where: str) -> str:
    if value not in _INT_DTYPES:
        raise _fail(where, f"one of {', '.join(_INT_DTYPES)}", value)
    return value


def _space(value, where: str):
    if value is None:
        return None
    desc = _obj(value, where, ("type",))
    kind = desc["type"]
    fields = {"Discrete": ("n", "start", "dtype"), "MultiDiscrete": ("nvec", "start", "dtype"), "MultiBinary": ("n",),
              "Tuple": ("spaces",), "Dict": ("spaces",)}
    if not isinstance(kind, str) or kind not in fields:
        raise PSGraphError(
            f"{where}.type is {_show(kind)}; files hold 'Discrete', 'MultiDiscrete', 'MultiBinary', 'Tuple' or "
            "'Dict' spaces (or null)."
        )
    _obj(desc, where, fields[kind])
    at = {name: f"{where}.{name}" for name in fields[kind]}
    try:
        if kind == "Discrete":
            return spaces.Discrete(_int(desc["n"], at["n"], 1), start=_int(desc["start"], at["start"], None),
                                   dtype=_dtype(desc["dtype"], at["dtype"]))
        if kind == "MultiDiscrete":
            return spaces.MultiDiscrete(_int_array(desc["nvec"], at["nvec"]), dtype=_dtype(desc["dtype"], at["dtype"]),
                                        start=_int_array(desc["start"], at["start"]))
        if kind == "MultiBinary":
            n = desc["n"]
            return spaces.MultiBinary(_int_array(n, at["n"]) if isinstance(n, list) else _int(n, at["n"], 1))
        if kind == "Tuple":
            return spaces.Tuple(_each(desc["spaces"], at["spaces"], _space))
        pairs = _each(desc["spaces"], at["spaces"],
                      lambda p, w: (_str(_list(p, w, 2)[0], f"{w}[0]"), _space(p[1], f"{w}[1]")))
        if len({k for k, _ in pairs}) != len(pairs):
            raise PSGraphError(f"{where} lists a Dict key twice.")
        return spaces.Dict(pairs)
    except (ValueError, TypeError, AssertionError) as err:
        raise PSGraphError(f"{where} does not describe a valid {kind} space: {err}") from None


# ---------------------------------------------------------------------- rng states
def _plain(value):
    """numpy arrays and scalars (in a bit generator's state) as JSON lists and numbers."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (np.ndarray, list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _rng(value) -> np.random.Generator:
    state = _obj(value, "rng", ("bit_generator",))
    name = state["bit_generator"]
    if not isinstance(name, str) or name not in _BIT_GENERATORS:
        raise _fail("rng.bit_generator", f"one of {', '.join(_BIT_GENERATORS)}", name)
    bit_generator = _BIT_GENERATORS[name](0)
    try:
        bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as err:
        raise PSGraphError(f"rng is not a valid {name} state ({type(err).__name__}: {err}).") from None
    if _plain(bit_generator.state) != state:
        raise PSGraphError(f"rng holds values a {name} state cannot take exactly (out of range?); the file was edited.")
    return np.random.Generator(bit_generator)
