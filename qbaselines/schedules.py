"""Exploration schedules: epsilon as a function of progress (episodes or steps).

Schedules accept a number or a numpy array of progress values (batched agents).

>>> float(linear_schedule(1.0, 0.1, 10)(5))
0.55
>>> round(float(exponential_schedule(1.0, 0.0, 10)(10)), 4)   # e^-1
0.3679
>>> linear_schedule(1.0, 0.0, 4)(np.array([0, 2, 8])).tolist()
[1.0, 0.5, 0.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import numpy as np

__all__ = ["SCHEDULES", "Progress", "Schedule", "exponential_schedule", "linear_schedule", "make_schedule"]

SCHEDULES = ("constant", "linear", "exponential")

Progress: TypeAlias = float | np.ndarray
"""A progress value (episodes or steps) or an array of them; a schedule answers in kind."""

Schedule: TypeAlias = Callable[[Progress], Progress]
"""Epsilon as a function of progress: a number for a number, an array for an array."""


def linear_schedule(initial: float, final: float, duration: float) -> Schedule:
    """Straight line from ``initial`` at t=0 to ``final`` at t=duration, then constant."""
    if duration <= 0:
        return lambda t: final + 0.0 * np.asarray(t, dtype=float)
    return lambda t: initial + (final - initial) * np.minimum(np.asarray(t, dtype=float) / duration, 1.0)


def exponential_schedule(initial: float, final: float, decay: float) -> Schedule:
    """``final + (initial - final) * exp(-t / decay)``: the course's smooth decay."""
    if decay <= 0:
        return lambda t: final + 0.0 * np.asarray(t, dtype=float)
    return lambda t: final + (initial - final) * np.exp(-np.asarray(t, dtype=float) / decay)


def make_schedule(kind: str, initial: float, final: float, duration: float) -> Schedule:
    """The schedule named ``kind`` ("constant" keeps ``initial``)."""
    if kind == "constant":
        return lambda t: initial + 0.0 * np.asarray(t, dtype=float)
    if kind == "linear":
        return linear_schedule(initial, final, duration)
    return exponential_schedule(initial, final, duration)
