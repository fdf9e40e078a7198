"""The argument checks of both packages: one module, one argument order, one error family.

Every check is ``check_x(name, value, ...)``: it returns the value (converted where that
helps, e.g. a numpy int to an int) or raises :class:`~ps_graph.errors.ConfigError` saying
``"<name> must be <allowed>; got <value>."`` plus an optional hint on how to fix it.
``name`` is what the user knows the value by: a parameter (``gamma_damping``) or a place
in a saved file (``ecm.clips[3].visits``). ``allowed=`` rewords the expectation where a
caller knows better words (files say "true or false", Python says "True or False").

Configs (frozen dataclasses) check their fields in ``__post_init__`` with these and are
built by :func:`make_config`; :mod:`ps_graph.fileformat` reads save files with them.

>>> check_int("episodes", 3, 1), check_real("beta_softmax", 2, 0.0, low_open=True)
(3, 2.0)
>>> check_each("rewards", [1.0, "x"], lambda name, v: check_real(name, v))
Traceback (most recent call last):
...
ps_graph.errors.ConfigError: rewards[1] must be a finite number in (-inf, inf); got 'x'.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
import reprlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from .errors import ConfigError, RewardError

__all__ = [
    "check_bool",
    "check_choice",
    "check_each",
    "check_fields",
    "check_int",
    "check_list",
    "check_real",
    "check_reward",
    "check_rewards",
    "check_seed",
    "check_str",
    "check_table",
    "fail",
    "make_config",
    "printable",
    "show",
]

T = TypeVar("T")


#: About how many characters of a value an error message shows (see :func:`show`, :func:`printable`).
SHOWN = 60

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = SHOWN
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict, _REPR.maxset = 3, 6, 6, 4, 6


def _escaped(text: str, limit: int) -> tuple[str, bool]:
    """``text`` with its non-printable characters escaped as ``repr`` escapes them (``\\n``,
    ``\\x1b``, ...), cut to ``limit`` characters at most; and whether it was cut."""
    pieces: list[str] = []
    used = 0
    for c in text[: limit + 1]:  # escaping never shortens, so the rest of a long text is never read
        piece = c if c.isprintable() else repr(c)[1:-1]
        if used + len(piece) > limit:
            return "".join(pieces), True
        pieces.append(piece)
        used += len(piece)
    return "".join(pieces), len(text) > limit


def printable(text, limit: int = SHOWN) -> str:
    """``text`` safe to print on a terminal line: non-printable characters (newlines, ANSI
    escapes, ...) are shown escaped, and a text longer than ``limit`` characters is cut and
    says its full length. Use it wherever user text (labels, names) meets a terminal.

    >>> print(printable("left\\n\\x1b[31mRED"))
    left\\n\\x1b[31mRED
    >>> print(printable("a" * 1000, 10))
    aaaaaaa... (1000 characters)
    """
    text = str(text)
    head, cut = _escaped(text, limit)
    if not cut:
        return head
    return f"{_escaped(text, max(limit - 3, 0))[0]}... ({len(text)} characters)"


def show(value) -> str:
    """``value`` as an error message shows it: its ``repr``, at most about 60 characters
    (:data:`SHOWN`), so that a message stays one readable line whatever the value. A cut
    string says its full length; non-printable characters appear escaped, as ``repr``
    writes them.

    >>> print(show("x" * 10**7)[-36:])
    xxxxxxxxxx...' (10000000 characters)
    >>> print(show("two\\nlines"), show(3.5))
    'two\\nlines' 3.5
    """
    if isinstance(value, str):
        text = repr(value[: SHOWN + 1])
        if len(value) <= SHOWN and len(text) <= SHOWN:
            return text
        return f"'{_escaped(value, SHOWN - 5)[0]}...' ({len(value)} characters)"
    try:
        text = _REPR.repr(value)
    except ValueError:  # an int too long to write in decimal
        return f"<an integer of {value.bit_length()} bits>" if isinstance(value, int) else f"<a {type(value).__name__}>"
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


def fail(name: str, allowed: str, value, hint: str = "") -> ConfigError:
    """The error every check raises: ``"<name> must be <allowed>; got <value>. <hint>"``.

    >>> fail("seed", "an integer >= 0", -1, "Pass a non-negative int.")
    ConfigError('seed must be an integer >= 0; got -1. Pass a non-negative int.')
    """
    msg = f"{name} must be {allowed}; got {show(value)}."
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
    allowed: str | None = None,
) -> float:
    """Return ``value`` as a float after checking it is a finite number in the interval.

    >>> check_real("gamma", 1.5, 0.0, 1.0)
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: gamma must be a finite number in [0.0, 1.0]; got 1.5.
    """
    if allowed is None:
        lo = "-inf" if low is None else repr(low)
        hi = "inf" if high is None else repr(high)
        interval = f"{'(' if low_open or low is None else '['}{lo}, {hi}{')' if high_open or high is None else ']'}"
        allowed = f"a finite number in {interval}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise fail(name, allowed, value, hint)
    v = float(value)
    if not math.isfinite(v):
        raise fail(name, allowed, value, hint)
    if low is not None and (v < low or (low_open and v == low)):
        raise fail(name, allowed, value, hint)
    if high is not None and (v > high or (high_open and v == high)):
        raise fail(name, allowed, value, hint)
    return v


def check_int(
    name: str, value, low: int | None = None, high: int | None = None, *, hint: str = "", allowed: str | None = None
) -> int:
    """Return ``value`` as an int after checking it is an integer in ``[low, high]`` (bounds
    that are None are open).

    >>> check_int("num_reflections", 2.0, 1)
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: num_reflections must be an integer >= 1; got 2.0.
    >>> check_int("row", 7, 0, 3)
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: row must be an integer >= 0 and <= 3; got 7.
    """
    if allowed is None:
        bounds = ([f">= {low}"] if low is not None else []) + ([f"<= {high}"] if high is not None else [])
        allowed = " ".join(["an integer", " and ".join(bounds)]).strip()
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise fail(name, allowed, value, hint)
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        raise fail(name, allowed, value, hint)
    return v


def check_bool(name: str, value, *, hint: str = "", allowed: str = "True or False") -> bool:
    """Return ``value`` as a bool after checking it is one (numpy bools are accepted).

    >>> check_bool("double_dqn", 1)
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: double_dqn must be True or False; got 1.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise fail(name, allowed, value, hint)
    return bool(value)


def check_str(name: str, value, *, hint: str = "") -> str:
    """Return ``value`` after checking it is a string.

    >>> check_str("label", "s0")
    's0'
    """
    if not isinstance(value, str):
        raise fail(name, "a string", value, hint)
    return value


def check_choice(name: str, value, choices: Sequence[str], *, hint: str = "", allowed: str | None = None) -> str:
    """Return ``value`` after checking it is one of ``choices``.

    >>> check_choice("policy", "greedy", ("standard", "softmax"))
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: policy must be one of 'standard', 'softmax'; got 'greedy'.
    """
    if value not in choices:
        raise fail(name, allowed or "one of " + ", ".join(repr(c) for c in choices), value, hint)
    return value


def check_seed(name: str, value) -> int | None:
    """A seed is None or a non-negative integer (numpy ints are accepted and converted)."""
    if value is None:
        return None
    return check_int(name, value, 0, hint="Pass a non-negative int, or None for fresh entropy.")


# ---------------------------------------------------------------------- containers
def check_fields(name: str, value, fields: Sequence[str] = (), *, allowed: str = "a dict") -> dict:
    """Return ``value`` after checking it is a dict that has every key in ``fields``.

    >>> check_fields("lazy", {"clock": 0}, ("clock", "stamps"))
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: lazy lacks the field(s) 'stamps'.
    """
    if not isinstance(value, dict):
        raise fail(name, allowed, value)
    missing = [f for f in fields if f not in value]
    if missing:
        raise ConfigError(f"{name} lacks the field(s) {', '.join(map(repr, missing))}.")
    return value


def check_list(name: str, value, length: int | None = None, *, allowed: str = "a list") -> list:
    """Return ``value`` after checking it is a list (of ``length`` entries, if given).

    >>> check_list("stamps", [0, 1], 3)
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: stamps must hold 3 entries; it holds 2.
    """
    if not isinstance(value, list):
        raise fail(name, allowed, value)
    if length is not None and len(value) != length:
        raise ConfigError(f"{name} must hold {length} entries; it holds {len(value)}.")
    return value


def check_each(
    name: str, value, check: Callable[[str, Any], T], length: int | None = None, *, allowed: str = "a list"
) -> list[T]:
    """``check(f"{name}[i]", entry)`` for each entry of the list ``value`` (see :func:`check_list`).

    >>> check_each("visits", [3, 0], lambda name, v: check_int(name, v, 0))
    [3, 0]
    """
    return [check(f"{name}[{i}]", v) for i, v in enumerate(check_list(name, value, length, allowed=allowed))]


def check_table(
    name: str, value, rows: int, columns: int, check: Callable[[str, Any], T], *, allowed: str = "a list"
) -> list[list[T]]:
    """A list of ``rows`` lists of ``columns`` entries, each checked by ``check(f"{name}[i][j]", entry)``.

    >>> check_table("h", [[1.0, 2.0]], 1, 2, lambda name, v: check_real(name, v, 0.0, low_open=True))
    [[1.0, 2.0]]
    """
    return check_each(
        name, value, lambda n, row: check_each(n, row, check, columns, allowed=allowed), rows, allowed=allowed
    )


# ---------------------------------------------------------------------- rewards
def check_reward(reward, where: str = "") -> float:
    """``reward`` as a float. It must be a finite real number of a type gymnasium's env
    checker allows: a Python or numpy int or float. A bool (a flag passed where the reward
    belongs, more likely than a reward), a string, a complex number, None or an array
    raises :class:`~ps_graph.errors.RewardError`, as does NaN or an infinite reward.
    ``where`` (e.g. ``" from FrozenLake-v1 at step 12"``) follows the value in the message.

    >>> check_reward(1), check_reward(np.float32(0.5))
    (1.0, 0.5)
    >>> check_reward(float("nan"))
    Traceback (most recent call last):
    ...
    ps_graph.errors.RewardError: reward must be a finite number; got nan. Check the environment or reward wrapper.
    >>> try:
    ...     check_reward("1", " from MyEnv at step 3")
    ... except RewardError as err:
    ...     print(str(err).split(". ")[0])
    reward must be a real number (an int or a float); got '1' (a str) from MyEnv at step 3
    """
    kind = type(reward)
    if (kind is not float and kind is not int) and (  # the common cases skip the type checks
        isinstance(reward, (bool, np.bool_)) or not isinstance(reward, numbers.Real)
    ):
        raise RewardError(
            f"reward must be a real number (an int or a float); got {show(reward)} (a {kind.__name__})"
            f"{where}. Return float(reward) from the environment or reward wrapper (True/False are refused)."
        )
    try:
        value = float(reward)
    except OverflowError:  # an int beyond the floats
        value = math.inf
    if not math.isfinite(value):
        raise RewardError(
            f"reward must be a finite number; got {show(reward)}{where}. Check the environment or reward wrapper."
        )
    return value


def check_rewards(rewards) -> np.ndarray:
    """Rewards (one per agent of a batch) as a float array; NaN or infinite ones raise
    :class:`~ps_graph.errors.RewardError`.

    >>> check_rewards([0, 1.5])
    array([0. , 1.5])
    """
    r = np.asarray(rewards, dtype=np.float64)
    if not np.all(np.isfinite(r)):
        bad = r[~np.isfinite(r)][0]
        raise RewardError(f"rewards must be finite numbers; got {bad!r}. Check the environment or reward wrapper.")
    return r


# ---------------------------------------------------------------------- configs
def make_config(
    cls, config, hyperparameters: dict, what: str, also: Sequence[str] = (), renamed: Mapping[str, str] | None = None
):
    """``config`` if given, else ``cls(**hyperparameters)``; unknown names get a clear error
    that suggests the closest known name (``also``: keywords the caller takes besides the
    config's fields, e.g. PSAgent's ``growth``; ``renamed``: old name -> new name, for
    names a release renamed).

    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Config:
    ...     new: float = 0.0
    >>> make_config(Config, None, {"old": 1.0}, "demo", renamed={"old": "new"})
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: unknown demo hyperparameter(s) ['old']; allowed: new. 'old' was renamed to 'new'.
    """
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
        renamed = renamed or {}
        moved = [f"{show(name)} was renamed to {renamed[name]!r}" for name in map(str, unknown) if name in renamed]
        guesses = []
        for name in (str(n) for n in unknown if n not in renamed and len(str(n)) <= SHOWN):  # difflib is slow
            close = difflib.get_close_matches(name, known, n=1) or [k for k in known if k.startswith(name + "_")][:1]
            guesses += close
        hint = f" {'; '.join(moved)}." if moved else ""
        hint += f" Did you mean {', '.join(repr(g) for g in guesses)}?" if guesses else ""
        shown = f"[{', '.join(map(show, unknown))}]"
        raise ConfigError(f"unknown {what} hyperparameter(s) {shown}; allowed: {', '.join(known)}.{hint}")
    return cls(**hyperparameters)
