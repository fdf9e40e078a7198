"""Robust statistics over seeds: interquartile mean (IQM) with stratified bootstrap confidence
intervals, and performance profiles with bootstrap bands.

The method of Agarwal et al., "Deep Reinforcement Learning at the Edge of the Statistical
Precipice" (NeurIPS 2021), as the ``rliable`` library implements it: the IQM is the mean of the
middle 50 % of the scores (``scipy.stats.trim_mean(x, 0.25)``); the bootstrap resamples the runs
of each task (environment) independently, the "stratified" bootstrap, through
``scipy.stats.bootstrap`` with several samples (one per task), percentile intervals. All runs of
all tasks are pooled for the statistic, as rliable does with its runs x tasks score matrix.

Randomness is explicit: pass a seed or a ``numpy.random.Generator``; the global RNG is never used.
scipy is imported when a function runs, not when :mod:`ps_graph` is imported.

>>> iqm([1, 2, 3, 4, 5, 6, 7, 100])  # drops 1, 2 and 7, 100: mean of 3, 4, 5, 6
4.5
>>> point, low, high = iqm_interval([[1, 2, 3, 4, 5, 6, 7, 100]], seed=0)
>>> point, bool(low <= point <= high)
(4.5, True)
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..checks import check_int, check_real, check_seed
from ..errors import ConfigError

__all__ = ["ProfileResult", "generator", "iqm", "iqm_interval", "performance_profile", "stratified_bootstrap"]

#: Bootstrap resamples by default (rliable uses 2,000 for its intervals).
RESAMPLES = 2000


def generator(seed) -> np.random.Generator:
    """A Generator from ``seed``: a Generator is used as is, a non-negative int seeds a new one,
    None draws fresh entropy.

    >>> rng = np.random.default_rng(0)
    >>> generator(rng) is rng, float(generator(0).random()) == float(np.random.default_rng(0).random())
    (True, True)
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_seed("seed", seed))


def _scores(name: str, values) -> np.ndarray:
    """A 1-D float array of at least one finite score, or a clear error."""
    try:
        x = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a sequence of numbers (one score per run); got {values!r}.") from None
    if x.ndim != 1 or x.size == 0:
        raise ConfigError(
            f"{name} must be a non-empty 1-D sequence of scores (one per run); got shape {x.shape}. "
            "Pass at least one run's score."
        )
    if not np.isfinite(x).all():
        raise ConfigError(
            f"{name} holds {int((~np.isfinite(x)).sum())} NaN or infinite score(s); "
            "drop or fix the failed runs before summarizing."
        )
    return x


def _tasks(scores_by_task) -> list[np.ndarray]:
    """One score array per task from a sequence of per-task sequences (a 1-D list is one task)."""
    if isinstance(scores_by_task, np.ndarray) and scores_by_task.ndim == 1:
        scores_by_task = [scores_by_task]
    if not isinstance(scores_by_task, Sequence | np.ndarray) or len(scores_by_task) == 0:
        raise ConfigError(
            f"scores_by_task must be a non-empty list with one list of run scores per task; got {scores_by_task!r}."
        )
    if all(np.isscalar(s) for s in scores_by_task):
        scores_by_task = [scores_by_task]
    return [_scores(f"scores_by_task[{i}]", s) for i, s in enumerate(scores_by_task)]


def _iqm(x: np.ndarray, axis: int = -1):
    from scipy.stats import trim_mean

    return trim_mean(x, 0.25, axis=axis)


def iqm(scores) -> float:
    """Interquartile mean of ``scores``: the mean after dropping the lowest and the highest 25 %
    (``scipy.stats.trim_mean(scores, 0.25)``; with n scores, floor(n / 4) are dropped at each end).

    >>> iqm([0, 1, 1, 1, 2, 2, 9, 10])  # mean of 1, 1, 2, 2
    1.5
    """
    return float(_iqm(_scores("scores", scores)))


def stratified_bootstrap(statistic, scores_by_task, *, seed=None, confidence: float = 0.95, resamples: int = RESAMPLES):
    """Percentile interval ``(low, high)`` of ``statistic(pooled scores, axis=-1)`` under the
    stratified bootstrap: ``scipy.stats.bootstrap`` resamples each task's runs independently
    (a task with one run stays fixed: it has nothing to resample).

    ``statistic`` takes the scores of every task concatenated along ``axis`` and reduces that
    axis; ``seed`` is an int, a ``numpy.random.Generator`` (used as is) or None (fresh entropy).

    >>> low, high = stratified_bootstrap(lambda x, axis: x.mean(axis=axis), [[1.0], [3.0]], seed=0)
    >>> float(low), float(high)  # nothing to resample: the interval is the point
    (2.0, 2.0)
    """
    from scipy.stats import bootstrap

    tasks = _tasks(scores_by_task)
    confidence = check_real(
        "confidence", confidence, 0, 1, low_open=True, high_open=True, hint="e.g. 0.95 for a 95 % interval."
    )
    resamples = check_int("resamples", resamples, 1)
    rng = generator(seed)
    varying = [i for i, t in enumerate(tasks) if t.size > 1]
    if not varying:
        point = statistic(np.concatenate(tasks), axis=-1)
        return point, point

    def pooled(*samples, axis=-1):
        parts = [np.moveaxis(s, axis, -1) for s in samples]
        shape = parts[0].shape[:-1]
        fixed = [np.broadcast_to(t, (*shape, 1)) for t in tasks if t.size == 1]
        return statistic(np.concatenate([*parts, *fixed], axis=-1), axis=-1)

    rng_name = "rng" if "rng" in inspect.signature(bootstrap).parameters else "random_state"
    result = bootstrap(
        tuple(tasks[i] for i in varying),
        pooled,
        vectorized=True,
        n_resamples=resamples,
        confidence_level=confidence,
        method="percentile",
        **{rng_name: rng},
    )
    return result.confidence_interval.low, result.confidence_interval.high


def iqm_interval(
    scores_by_task, *, seed=None, confidence: float = 0.95, resamples: int = RESAMPLES
) -> tuple[float, float, float]:
    """``(iqm, low, high)``: the IQM of all runs of all tasks and its stratified bootstrap
    percentile interval (see :func:`stratified_bootstrap`). One task: a list of run scores.

    >>> iqm_interval([[1.0, 1.0, 1.0], [5.0]], seed=0)  # drops 1 and 5; every resample is the same
    (1.0, 1.0, 1.0)
    """
    tasks = _tasks(scores_by_task)
    low, high = stratified_bootstrap(_iqm, tasks, seed=seed, confidence=confidence, resamples=resamples)
    return float(_iqm(np.concatenate(tasks))), float(low), float(high)


@dataclass(frozen=True)
class ProfileResult:
    """A performance profile: for each ``tau``, the fraction of runs (all tasks pooled) with a
    score above it, and its stratified bootstrap percentile band ``[low, high]``."""

    taus: np.ndarray
    fraction: np.ndarray
    low: np.ndarray
    high: np.ndarray


def performance_profile(
    scores_by_task, taus=None, *, seed=None, confidence: float = 0.95, resamples: int = RESAMPLES
) -> ProfileResult:
    """The run-score distribution of Agarwal et al.: fraction of runs with score > tau, over a
    grid ``taus`` (default: 101 points from the lowest to the highest score), with bootstrap
    bands from :func:`stratified_bootstrap` (one interval per tau, drawn in turn from one
    Generator, so a seed gives the same bands).

    >>> p = performance_profile([[0.0, 1.0, 1.0, 2.0]], taus=[0.5, 1.5], seed=0)
    >>> p.fraction.tolist()
    [0.75, 0.25]
    """
    tasks = _tasks(scores_by_task)
    pooled = np.concatenate(tasks)
    if taus is None:
        taus = np.linspace(pooled.min(), pooled.max(), 101)
    taus = _scores("taus", taus)
    rng = generator(seed)
    fraction, low, high = (np.empty(len(taus)) for _ in range(3))
    for i, tau in enumerate(taus):
        above = lambda x, axis, tau=tau: np.mean(x > tau, axis=axis)
        fraction[i] = above(pooled, axis=-1)
        low[i], high[i] = stratified_bootstrap(above, tasks, seed=rng, confidence=confidence, resamples=resamples)
    return ProfileResult(taus, fraction, low, high)
