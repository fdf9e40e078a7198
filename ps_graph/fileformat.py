"""What every saved agent file shares: reading the JSON safely, the header, the field checks,
and the JSON codecs of the observation space, the actions and the rng.

:mod:`ps_graph.saving` (PS agents) and ``qbaselines`` (Q-learning agents) build their files
from these public pieces; a new kind of agent file should too.

Field checks follow :mod:`ps_graph.checks`: ``check_x(where, value, ...)``, where ``where``
is the value's place in the file (such as ``ecm.clips[3].visits``); they return the value
or raise :class:`~ps_graph.errors.ConfigError` saying what was expected and what the file
holds. :func:`load_file` turns any such error into a
:class:`~ps_graph.errors.FileFormatError` that names the file.

Bounds. A file is read only if it is a regular file of at most :data:`MAX_FILE_BYTES`
(directories, FIFOs and devices such as ``/dev/zero`` are refused before anything is read).
Loaded numbers must be finite and in range, so that an agent loaded from an edited file
cannot overflow while it keeps learning: h-values in (0, :data:`MAX_H`], glow in [0, 1]
("replace") or [0, :data:`MAX_GLOW`] ("accumulate"), Q-values within
+-:data:`MAX_Q`, counts and steps 64-bit integers; percept keys must be observations of the
file's observation space (or their ``(feature, value)`` keys, for factorized percepts), and no
JSON object may list a key twice.

>>> check_int64("ecm.clips[3].visits", -1)
Traceback (most recent call last):
...
ps_graph.errors.ConfigError: ecm.clips[3].visits must be a 64-bit integer >= 0; got -1.
>>> space_from_json("observation_space", space_to_json(spaces.Discrete(4)))
Discrete(4)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
from gymnasium import spaces

from ._fileread import MAX_FILE_BYTES, check_path, load_file, parse_json, read_agent_file
from .checks import (
    check_bool,
    check_each,
    check_fields,
    check_int,
    check_list,
    check_real,
    check_str,
    check_table,
    fail,
    make_config,
    show,
)
from .errors import ConfigError, FileFormatError, PSGraphError, UnsupportedSpaceError
from .keys import decode_key

__all__ = [
    "BIT_GENERATORS",
    "MAX_FILE_BYTES",
    "MAX_GLOW",
    "MAX_H",
    "MAX_Q",
    "actions_from_json",
    "check_agree",
    "check_entries",
    "check_flag",
    "check_glow",
    "check_h",
    "check_header",
    "check_int64",
    "check_key",
    "check_number",
    "check_object",
    "check_path",
    "check_percept_key",
    "check_positive",
    "check_q",
    "check_rows",
    "check_stamp",
    "config_from_json",
    "feature_in_space",
    "key_in_space",
    "load_file",
    "parse_json",
    "plain",
    "read_agent_file",
    "rng_from_json",
    "rng_to_json",
    "space_from_json",
    "space_to_json",
]

T = TypeVar("T")

#: The numpy bit generators whose state a file can hold, by name.
BIT_GENERATORS = {name: getattr(np.random, name) for name in ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")}
_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
_INT64 = (-(2**63), 2**63 - 1)

#: The largest h-value a PS file may hold. Rewards of 1 per step would need 1e15 steps to
#: get there; far below it, learning on (h + g R, sums of a clip's h) cannot overflow.
MAX_H = 1e15
#: The largest glow of an "accumulate" agent: an edge traversed a billion times in one
#: episode ("replace" glow is at most 1).
MAX_GLOW = 1e9
#: The largest magnitude of a Q-value in a file (as :data:`MAX_H`: far from overflow).
MAX_Q = 1e15


# ---------------------------------------------------------------------- the header
def check_header(
    doc, file_format: str, version: int, what: str, reader: str, hints: Mapping[str, str] | None = None
) -> tuple[dict, int]:
    """The file's top object and its format version, after checking its ``format`` is
    ``file_format`` (else: "this is not <what>", plus ``hints[found format]`` if any) and its
    ``version`` at most ``version`` (else: upgrade; ``reader`` names the package that reads)."""
    top = check_object("the file", doc, ("format",))
    if top["format"] != file_format:
        hint = (hints or {}).get(top["format"], "") if isinstance(top["format"], str) else ""
        raise FileFormatError(f"format is {show(top['format'])}, expected {file_format!r}: this is not {what}.{hint}")
    found = check_int64("version", check_object("the file", top, ("version",))["version"], 1)
    if found > version:
        raise FileFormatError(
            f"format version {found} is newer than this {reader} reads (up to {version}); upgrade ps_graph."
        )
    return top, found


# ---------------------------------------------------------------------- field checks
def check_object(where: str, value, fields: Sequence[str] = ()) -> dict:
    """A JSON object holding every field in ``fields``."""
    return check_fields(where, value, fields, allowed="a JSON object")


def check_entries(where: str, value, check: Callable[[str, Any], T], length: int | None = None) -> list[T]:
    """``check(f"{where}[i]", entry)`` for each entry of the JSON list ``value`` (of ``length`` entries, if given)."""
    return check_each(where, value, check, length, allowed="a JSON list")


def check_rows(where: str, value, rows: int, columns: int, check: Callable[[str, Any], T]) -> list[list[T]]:
    """A JSON list of ``rows`` lists of ``columns`` entries, each checked by ``check``."""
    return check_table(where, value, rows, columns, check, allowed="a JSON list")


def check_int64(where: str, value, low: int | None = 0) -> int:
    """An integer >= ``low`` (None: any) that fits in 64 bits (counts, stamps and sizes all do)."""
    return check_int(
        where,
        value,
        _INT64[0] if low is None else low,
        _INT64[1],
        allowed="a 64-bit integer" + ("" if low is None else f" >= {low}"),
    )


def check_number(
    where: str,
    value,
    low: float | None = 0.0,
    *,
    positive: bool = False,
    below: float | None = None,
    high: float | None = None,
) -> float:
    """A finite number >= ``low`` (> ``low`` if ``positive``; None: any), and < ``below``
    or <= ``high`` if given."""
    bounds = ([] if low is None else [f"{'>' if positive else '>='} {_num(low)}"]) + (
        [f"< {_num(below)}"] if below is not None else [] if high is None else [f"<= {_num(high)}"]
    )
    allowed = " ".join(["a finite number", " and ".join(bounds)]).strip()
    top = below if below is not None else high
    return check_real(where, value, low, top, low_open=positive, high_open=below is not None, allowed=allowed)


def _num(x: float) -> str:
    return repr(x) if abs(x) < 1e6 else f"{x:g}"


def check_positive(where: str, value) -> float:
    """A finite number > 0 (stored h-values and glow in the lazy store)."""
    return check_number(where, value, positive=True)


def check_h(where: str, value) -> float:
    """A current h-value: a finite number in (0, :data:`MAX_H`]."""
    return check_number(where, value, positive=True, high=MAX_H)


def check_glow(where: str, value, glow: str, *, positive: bool = False) -> float:
    """A glow value of an agent whose glow mode is ``glow``: in [0, 1] ("replace") or
    [0, :data:`MAX_GLOW`] ("accumulate"); > 0 if ``positive`` (the lazy store keeps only
    glowing edges).

    >>> check_glow("ecm.edges[0].glow", 1e308, "replace")
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: ecm.edges[0].glow must be a finite number >= 0.0 and <= 1.0; got 1e+308.
    """
    return check_number(where, value, positive=positive, high=1.0 if glow == "replace" else MAX_GLOW)


def check_q(where: str, value) -> float:
    """A Q-value: a finite number in [-:data:`MAX_Q`, :data:`MAX_Q`]."""
    return check_number(where, value, -MAX_Q, high=MAX_Q)


def check_flag(where: str, value) -> bool:
    """JSON ``true`` or ``false``."""
    return check_bool(where, value, allowed="true or false")


def check_key(where: str, value):
    """The clip or percept key that :func:`ps_graph.keys.encode_key` wrote."""
    try:
        return decode_key(value)
    except PSGraphError as err:
        raise ConfigError(f"{where}: {err}") from None


def check_stamp(where: str, value, clock: int) -> int:
    """A step count (of the lazy store) at most ``clock``."""
    stamp = check_int64(where, value)
    if stamp > clock:
        raise ConfigError(f"{where} is {stamp}, after the clock {clock}: values cannot be current at a later step.")
    return stamp


def check_agree(where: str, stored_now: float, current: float, what: str) -> None:
    """A stored value brought up to date must equal the file's current value (else the file was edited)."""
    if not math.isclose(stored_now, current, rel_tol=1e-9, abs_tol=1e-12):
        raise ConfigError(
            f"{where}: the stored {what} brought up to date is {stored_now!r}, but the file's current {what} is "
            f"{current!r}, so the file was edited. Delete the 'lazy' part to load the current values as they are."
        )


# ---------------------------------------------------------------------- config, actions and observation spaces
def config_from_json(cls: type[T], value, what: str, renamed: Mapping[str, str] | None = None) -> T:
    """The config dataclass ``cls`` that the file's ``config`` holds (every field, no unknown
    one); ``renamed`` maps the field names of older files (old -> new) to today's.

    >>> from ps_graph import PSConfig
    >>> config_from_json(PSConfig, {**PSConfig().to_dict(), "eval": 1}, "PS")
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: config: unknown PS hyperparameter(s) ['eval']; allowed: ...
    """
    given = check_object("config", value)
    renamed = renamed or {}
    given = {(renamed[k] if k in renamed and renamed[k] not in given else k): v for k, v in given.items()}
    check_object("config", given, [f.name for f in dataclasses.fields(cls)])  # type: ignore[arg-type]
    try:
        return make_config(cls, None, given, what, renamed=renamed)
    except PSGraphError as err:
        raise ConfigError(f"config: {err}") from None


def actions_from_json(value) -> spaces.Discrete:
    """The Discrete action space whose values the file lists (``actions``: consecutive integers)."""
    actions = check_entries("actions", value, lambda where, a: check_int64(where, a, None))
    if not actions or actions != list(range(actions[0], actions[0] + len(actions))):
        raise fail("actions", "consecutive integers (the values of a Discrete space)", value)
    return spaces.Discrete(len(actions), start=actions[0])


def space_to_json(space) -> dict | None:
    """An observation space as JSON (None stays None); see :func:`space_from_json`."""
    if space is None:
        return None
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start), "dtype": space.dtype.name}
    if isinstance(space, spaces.MultiDiscrete):
        return {
            "type": "MultiDiscrete",
            "nvec": space.nvec.tolist(),
            "start": space.start.tolist(),
            "dtype": space.dtype.name,
        }
    if isinstance(space, spaces.MultiBinary):
        return {"type": "MultiBinary", "n": plain(space.n)}
    if isinstance(space, spaces.Tuple):
        return {"type": "Tuple", "spaces": [space_to_json(s) for s in space.spaces]}
    if isinstance(space, spaces.Dict) and all(isinstance(k, str) for k in space.spaces):
        return {"type": "Dict", "spaces": [[k, space_to_json(s)] for k, s in space.spaces.items()]}
    raise UnsupportedSpaceError(
        f"cannot save the observation space {space} ({type(space).__name__}): files hold Discrete, MultiDiscrete, "
        "MultiBinary, and Tuple/Dict (string keys) of these, or None."
    )


def _int_array(where: str, value) -> np.ndarray:
    try:
        array = np.array(value)
    except (ValueError, TypeError, OverflowError):
        array = None
    if array is None or array.dtype.kind not in "iu" or array.ndim == 0 or array.size == 0:
        raise fail(where, "a (nested) non-empty list of integers", value)
    return array


def _dtype(where: str, value) -> str:
    if value not in _INT_DTYPES:
        raise fail(where, f"one of {', '.join(_INT_DTYPES)}", value)
    return value


_SPACE_FIELDS = {
    "Discrete": ("n", "start", "dtype"),
    "MultiDiscrete": ("nvec", "start", "dtype"),
    "MultiBinary": ("n",),
    "Tuple": ("spaces",),
    "Dict": ("spaces",),
}


def space_from_json(where: str, value):
    """The observation space :func:`space_to_json` wrote at ``where`` (null: None)."""
    if value is None:
        return None
    desc = check_object(where, value, ("type",))
    kind = desc["type"]
    if not isinstance(kind, str) or kind not in _SPACE_FIELDS:
        raise ConfigError(
            f"{where}.type is {show(kind)}; files hold 'Discrete', 'MultiDiscrete', 'MultiBinary', 'Tuple' or "
            "'Dict' spaces (or null)."
        )
    check_object(where, desc, _SPACE_FIELDS[kind])
    at = {name: f"{where}.{name}" for name in _SPACE_FIELDS[kind]}
    try:
        if kind == "Discrete":
            n, start = check_int64(at["n"], desc["n"], 1), check_int64(at["start"], desc["start"], None)
            return spaces.Discrete(n, start=start, dtype=_dtype(at["dtype"], desc["dtype"]))
        if kind == "MultiDiscrete":
            return spaces.MultiDiscrete(
                _int_array(at["nvec"], desc["nvec"]),
                dtype=_dtype(at["dtype"], desc["dtype"]),
                start=_int_array(at["start"], desc["start"]),
            )
        if kind == "MultiBinary":
            n = desc["n"]
            return spaces.MultiBinary(_int_array(at["n"], n) if isinstance(n, list) else check_int64(at["n"], n, 1))
        if kind == "Tuple":
            return spaces.Tuple(check_entries(at["spaces"], desc["spaces"], space_from_json))
        pairs = check_entries(at["spaces"], desc["spaces"], _dict_entry)
        if len({k for k, _ in pairs}) != len(pairs):
            raise ConfigError(f"{where} lists a Dict key twice.")
        return spaces.Dict(pairs)
    except (ValueError, TypeError, AssertionError) as err:
        if isinstance(err, PSGraphError):
            raise
        raise ConfigError(f"{where} does not describe a valid {kind} space: {err}") from None


def key_in_space(key, space) -> bool:
    """Whether ``key`` is the percept key of an observation of ``space`` (see
    :func:`ps_graph.percepts.percept_encoder`: an int for Discrete, a flat tuple of ints for
    MultiDiscrete and MultiBinary, a tuple of the parts' keys for Tuple and Dict); any key
    belongs to no space (None).

    >>> key_in_space(3, spaces.Discrete(4)), key_in_space(-1, spaces.Discrete(4)), key_in_space(2**63, None)
    (True, False, True)
    """
    if space is None:
        return True
    if isinstance(space, spaces.Discrete):
        return _int_in(key, int(space.start), int(space.n))
    parts = _parts(space)
    return isinstance(key, tuple) and len(key) == len(parts) and all(map(_in_part, key, parts))


def feature_in_space(key, space) -> bool:
    """Whether ``key`` is a ``(feature, value)`` key of factorized percepts (see
    :func:`ps_graph.deliberation.feature_keys`) of an observation of ``space``: feature 0 of a
    Discrete space, feature i of a MultiDiscrete or MultiBinary (flattened), Tuple or Dict
    space; of no space (None), any feature i >= 0.

    >>> feature_in_space((1, 4), spaces.MultiDiscrete([2, 5])), feature_in_space((2, 0), spaces.MultiDiscrete([2, 5]))
    (True, False)
    """
    if not (isinstance(key, tuple) and len(key) == 2 and _int_in(key[0], 0, _INT64[1])):
        return False
    feature, value = key
    if space is None:
        return True
    if isinstance(space, spaces.Discrete):
        return feature == 0 and key_in_space(value, space)
    parts = _parts(space)
    return feature < len(parts) and _in_part(value, parts[feature])


def _parts(space) -> list:
    """The parts of a percept key of ``space`` (not Discrete): ``(start, n)`` of each flat
    element of a MultiDiscrete or MultiBinary space, the subspaces of a Tuple or Dict, or
    ``[None]`` (no key fits) for other spaces."""
    if isinstance(space, spaces.MultiDiscrete):
        return list(zip(space.start.ravel().tolist(), space.nvec.ravel().tolist()))
    if isinstance(space, spaces.MultiBinary):
        return [(0, 2)] * int(np.prod(space.shape))
    if isinstance(space, spaces.Tuple):
        return list(space.spaces)
    if isinstance(space, spaces.Dict):
        return list(space.spaces.values())
    return [None]


def _in_part(value, part) -> bool:
    """Whether ``value`` fits ``part`` of :func:`_parts`."""
    if isinstance(part, tuple):
        return _int_in(value, *part)
    return part is not None and key_in_space(value, part)


def _int_in(value, start: int, n: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and start <= value < start + n


def check_percept_key(where: str, value, space, *, factorized: bool = False):
    """The percept key at ``where`` (see :func:`check_key`), after checking it is the key of an
    observation of ``space``, the file's observation space (:func:`key_in_space`), or with
    ``factorized`` a ``(feature, value)`` key of one (:func:`feature_in_space`).

    >>> check_percept_key("ecm.clips[0].key[1]", [3, 1], spaces.MultiBinary(2), factorized=True)
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: ecm.clips[0].key[1] is [3, 1], which is not a (feature, value) of an observation ...
    """
    key = check_key(where, value)
    if not (feature_in_space if factorized else key_in_space)(key, space):
        raise ConfigError(
            f"{where} is {show(value)}, which is not {'a (feature, value) of ' if factorized else ''}an observation "
            f"of the file's observation_space {show(space)}; the file was edited."
        )
    return key


def _dict_entry(where: str, value) -> tuple[str, Any]:
    pair = check_list(where, value, 2, allowed="a JSON list")
    return check_str(f"{where}[0]", pair[0]), space_from_json(f"{where}[1]", pair[1])


# ---------------------------------------------------------------------- rng states
def plain(value):
    """numpy arrays and scalars (in a bit generator's state) as JSON lists and numbers."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (np.ndarray, list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def rng_to_json(rng) -> dict:
    """The state of an agent's numpy Generator as JSON; refuses other rngs and bit generators."""
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(f"the agent's rng must be a numpy Generator; got {type(rng).__name__}.")
    bit_generator = type(rng.bit_generator).__name__
    if bit_generator not in BIT_GENERATORS:
        raise ConfigError(
            f"the agent's rng uses the bit generator {bit_generator}; saving supports {', '.join(BIT_GENERATORS)}. "
            "Create the agent with seed=... (PCG64) or rng=numpy.random.Generator(numpy.random.PCG64(seed))."
        )
    return plain(rng.bit_generator.state)


def rng_from_json(value) -> np.random.Generator:
    """The numpy Generator whose bit generator state :func:`rng_to_json` wrote (under ``rng``)."""
    state = check_object("rng", value, ("bit_generator",))
    name = state["bit_generator"]
    if not isinstance(name, str) or name not in BIT_GENERATORS:
        raise fail("rng.bit_generator", f"one of {', '.join(BIT_GENERATORS)}", name)
    bit_generator = BIT_GENERATORS[name](0)
    try:
        bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as err:
        raise ConfigError(f"rng is not a valid {name} state ({type(err).__name__}: {err}).") from None
    if plain(bit_generator.state) != state:
        raise ConfigError(f"rng holds values a {name} state cannot take exactly (out of range?); the file was edited.")
    return np.random.Generator(bit_generator)
