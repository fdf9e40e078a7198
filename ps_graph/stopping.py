"""Early stopping: a callback ends a training run before its budget, cleanly.

Every train loop (:func:`~ps_graph.train`, :func:`~ps_graph.batch_train.train_batch`,
:func:`~ps_graph.multi.train_multi`, :func:`~ps_graph.experiments.run_spec`) takes a
``callback``; it stops the run in one of two ways:

* it returns :data:`STOP` (or ``True``; any other value, ``None`` included, goes on), or
* it raises :class:`StopTraining` (with a reason), which the loop catches.

Either way the loop ends after the episode (or lockstep iteration, or compiled chunk) that
called the callback and returns the result of the episodes completed so far; the result's
``stopped`` says why (``None`` for a run that used its whole budget).

A :class:`StoppingRule` such as :class:`StopWhenMeanReturn` is a ready-made callback: the loop
hands it the returns recorded so far instead of calling it with the episode count.

>>> import numpy as np
>>> rule = StopWhenMeanReturn(last=3, at_least=0.5)
>>> rule.done([0.0, 1.0, 0.0, 1.0])   # the last 3: mean 2/3
True
>>> rule.done([1.0, 0.0, 0.0, 1.0])   # the last 3: mean 1/3
False
>>> rule.done([1.0, 1.0])             # fewer than 3 episodes
False
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .checks import check_int, check_real
from .errors import ConfigError

__all__ = ["STOP", "StopTraining", "StopWhenMeanReturn", "StoppingRule", "ask", "check_callback", "is_stop"]


class _Stop:
    """The type of :data:`STOP` (one instance, truthy)."""

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "STOP"


#: What a callback returns to stop the run it is called from.
STOP = _Stop()


class StopTraining(Exception):  # a signal, not an error: the loop catches it and ends cleanly
    """Raised by a callback to end training early; the loop catches it and returns the result so far,
    with ``reason`` as the result's ``stopped``.

    >>> StopTraining("plateau").reason
    'plateau'
    """

    def __init__(self, reason: str = "the callback raised StopTraining") -> None:
        super().__init__(reason)
        self.reason = str(reason)


def is_stop(value: object) -> bool:
    """Whether a callback's return value asks to stop: :data:`STOP`, ``True`` or ``numpy.True_``.
    Other values go on, so a callback such as ``lambda e, a: log.append(e)`` never stops a run.

    >>> is_stop(STOP), is_stop(True), is_stop(None), is_stop(1), is_stop([0])
    (True, True, False, False, False)
    """
    return value is STOP or value is True or (isinstance(value, np.bool_) and bool(value))


class StoppingRule:
    """A callback that decides from the returns recorded so far (:meth:`done`), not from the
    episode count: the loops call ``rule.done(history)`` instead of ``rule(episode, agent)``.

    ``history`` is one run's returns (a sequence of floats: :func:`~ps_graph.train`; for
    :func:`~ps_graph.multi.train_multi` the agents' mean return per episode), or an
    :class:`~ps_graph.batch_train.EpisodeLog` of K agents (``counts``, ``returns``) for
    :func:`~ps_graph.batch_train.train_batch`.
    """

    def done(self, history: Any) -> bool:
        raise NotImplementedError

    def reason(self) -> str:
        return f"{self!r} was met"


@dataclass(frozen=True)
class StopWhenMeanReturn(StoppingRule):
    """Stop when the mean return over the last ``last`` episodes is at least ``at_least``.

    A run with fewer than ``last`` episodes never stops. On a batch of K agents
    (:func:`~ps_graph.batch_train.train_batch`) the rule holds when it holds for every agent:
    each has ``last`` episodes and its own last-``last`` mean is ``>= at_least``.

    Parameters
    ----------
    last : int >= 1, the number of most recent episodes averaged
    at_least : finite float, the mean return that ends the run

    >>> StopWhenMeanReturn(last=2, at_least=1.0).done([1.0, 1.0])
    True
    >>> StopWhenMeanReturn(last=0, at_least=1.0)
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: last must be an integer >= 1; got 0...
    """

    last: int
    at_least: float

    def __post_init__(self) -> None:
        hint = "It counts the most recent episodes the mean return is taken over."
        object.__setattr__(self, "last", check_int("last", self.last, 1, hint=hint))
        object.__setattr__(self, "at_least", check_real("at_least", self.at_least))

    def done(self, history: Any) -> bool:
        n = self.last
        counts = getattr(history, "counts", None)
        if counts is None:  # one run's returns
            return len(history) >= n and float(np.mean(np.asarray(history[-n:], dtype=np.float64))) >= self.at_least
        counts = np.asarray(counts)
        if len(counts) == 0 or int(counts.min()) < n:
            return False
        rows = np.arange(len(counts))[:, None]
        window = history.returns[rows, counts[:, None] - n + np.arange(n)]  # each agent's last n episodes
        return bool((window.mean(axis=1) >= self.at_least).all())

    def reason(self) -> str:
        return f"the mean return over the last {self.last} episodes reached {self.at_least:g}"


def check_callback(callback: object, signature: str) -> None:
    """A ConfigError unless ``callback`` is None, a :class:`StoppingRule` or callable."""
    if callback is not None and not callable(callback) and not isinstance(callback, StoppingRule):
        raise ConfigError(
            f"callback must be a function {signature}, a StoppingRule such as StopWhenMeanReturn(last=100, "
            f"at_least=0.9), or None; got {callback!r}."
        )


def ask(callback: Callable[..., object] | StoppingRule, history: Sequence[float] | Any, *args: Any) -> None:
    """Consult ``callback`` once: a :class:`StoppingRule` reads ``history``, any other callback is
    called with ``args``. Raises :class:`StopTraining` when it asks to stop (a rule that is met,
    a return value :func:`is_stop` accepts); a StopTraining the callback raises goes through.

    >>> ask(lambda episode, agent: None, [], 1, None)
    >>> try:
    ...     ask(lambda episode, agent: STOP, [], 4, None)
    ... except StopTraining as stop:
    ...     print(stop.reason)
    the callback returned STOP after episode 4
    """
    if isinstance(callback, StoppingRule):
        if callback.done(history):
            raise StopTraining(callback.reason())
        return
    verdict = callback(*args)
    if is_stop(verdict):
        where = f" after episode {args[0]}" if args and isinstance(args[0], int) else ""
        raise StopTraining(f"the callback returned {verdict!r}{where}")
