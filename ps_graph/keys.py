"""Clip keys as JSON values and as strings, for files, exports and pages.

ECM node keys are any hashable value; in ps_graph they are tuples such as
``("percept", 3)``, ``("percept", (1, 0))`` or ``("action", 2)``. Files need plain values:
:func:`encode_key` turns a key made of ``None``, bools, ints, finite floats, strings and
tuples into JSON (tuples become lists), :func:`decode_key` turns it back, and
:func:`key_id` gives the canonical string used as a node id where a format needs strings
(GraphML, GEXF, HTML pages).

>>> key_id(("percept", (1, 0)))
'["percept",[1,0]]'
>>> decode_key(encode_key(("action", 2))) == ("action", 2)
True
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable

import numpy as np

from .checks import show
from .errors import PSGraphError

__all__ = ["decode_key", "encode_key", "key_from_id", "key_id"]

_HINT = "Keys must be built from None, bools, ints, finite floats, strings and tuples of these."


def encode_key(key: Hashable):
    """``key`` as a JSON value (tuples become lists); other types raise :class:`PSGraphError`."""
    if key is None or isinstance(key, (bool, int, str)):
        return int(key) if isinstance(key, int) and not isinstance(key, bool) else key
    if isinstance(key, np.generic):
        return encode_key(key.item())
    if isinstance(key, float):
        if not math.isfinite(key):
            raise PSGraphError(f"clip key {show(key)} is not a finite number and cannot be written. {_HINT}")
        return key
    if isinstance(key, tuple):
        return [encode_key(k) for k in key]
    raise PSGraphError(f"clip key {show(key)} of type {type(key).__name__} cannot be written to a file. {_HINT}")


def decode_key(value) -> Hashable:
    """The key that :func:`encode_key` wrote as ``value`` (lists become tuples)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PSGraphError(f"clip key {show(value)} in the file is not a finite number. {_HINT}")
        return value
    if isinstance(value, list):
        return tuple(decode_key(v) for v in value)
    raise PSGraphError(f"a clip key in the file is a {type(value).__name__} ({show(value)}); {_HINT}")


def key_id(key: Hashable) -> str:
    """The canonical string id of ``key`` (compact JSON of :func:`encode_key`); one-to-one."""
    return json.dumps(encode_key(key), separators=(",", ":"), allow_nan=False)


def key_from_id(text: str) -> Hashable:
    """The key whose :func:`key_id` is ``text``."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        raise PSGraphError(f"{show(text)} is not a clip id (compact JSON such as '[\"percept\",3]').") from None
    return decode_key(value)
