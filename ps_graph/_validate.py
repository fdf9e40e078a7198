"""Small argument checks shared by every config: each error names the parameter, what is
allowed, what came, and how to fix it."""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
from collections.abc import Sequence

from .errors import ConfigError

__all__ = ["check_real", "check_int", "check_choice", "check_seed", "make_config"]


def _fail(name: str, allowed: str, value, hint: str = "") -> ConfigError:
    msg = f"{name} must be {allowed}; got {value!r}."
    if hint:
        msg += f" {hint}"
    return ConfigError(msg)


def check_real(
    name: str,
    value,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    hint: str = "",
) -> float:
    """Return ``value`` as a float after checking it is a finite number in the interval."""
    lo = "-inf" if low is None else repr(low)
    hi = "inf" if high is None else repr(high)
    interval = f"{'(' if low_open or low is None else '['}{lo}, {hi}{')' if high_open or high is None else ']'}"
    allowed = f"a finite number in {interval}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _fail(name, allowed, value, hint)
    v = float(value)
    if not math.isfinite(v):
        raise _fail(name, allowed, value, hint)
    if low is not None and (v < low or (low_open and v == low)):
        raise _fail(name, allowed, value, hint)
    if high is not None and (v > high or (high_open and v == high)):
        raise _fail(name, allowed, value, hint)
    return v


def check_int(name: str, value, low: int | None = None, *, hint: str = "") -> int:
    """Return ``value`` as an int after checking it is an integer >= ``low``."""
    allowed = "an integer" + (f" >= {low}" if low is not None else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _fail(name, allowed, value, hint)
    if low is not None and value < low:
        raise _fail(name, allowed, value, hint)
    return int(value)


def check_choice(name: str, value, choices: Sequence[str], *, hint: str = "") -> str:
    """Return ``value`` after checking it is one of ``choices``."""
    if value not in choices:
        allowed = "one of " + ", ".join(repr(c) for c in choices)
        raise _fail(name, allowed, value, hint)
    return value


def check_seed(name: str, value) -> int | None:
    """A seed is None or a non-negative integer (numpy ints are accepted and converted)."""
    if value is None:
        return None
    return check_int(name, value, 0, hint="Pass a non-negative int, or None for fresh entropy.")


def make_config(cls, config, hyperparameters: dict, what: str, also: Sequence[str] = ()):
    """``config`` if given, else ``cls(**hyperparameters)``; unknown names get a clear error
    that suggests the closest known name (``also``: keywords the caller takes besides the
    config's fields, e.g. PSAgent's ``growth``)."""
    if config is not None and hyperparameters:
        raise ConfigError(f"pass hyperparameters either as config={cls.__name__}(...) or as keywords, not both.")
    if config is not None:
        if not isinstance(config, cls):
            raise ConfigError(f"config must be a {cls.__name__}; got {type(config).__name__}.")
        return config
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(hyperparameters) - names)
    if unknown:
        known = sorted(names | set(also))
        guesses = []
        for name in map(str, unknown):
            close = difflib.get_close_matches(name, known, n=1) or [k for k in known if k.startswith(name + "_")][:1]
            guesses += close
        hint = f" Did you mean {', '.join(repr(g) for g in guesses)}?" if guesses else ""
        raise ConfigError(f"unknown {what} hyperparameter(s) {unknown}; allowed: {', '.join(known)}.{hint}")
    return cls(**hyperparameters)
