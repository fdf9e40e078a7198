"""Summaries of a comparison: final performance (mean and normal interval, and the robust
interquartile mean with a bootstrap interval), area under the curve, episodes to a threshold."""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..checks import check_choice, check_int, check_real
from ..errors import ConfigError
from ..files import atomic_write_text
from ..inspection.plots import mean_and_ci, moving_average
from ..training import TrainResult
from .robust import RESAMPLES, generator, iqm_interval

__all__ = [
    "SummaryRow",
    "check_results",
    "final_scores",
    "held",
    "plot_comparison",
    "summarize",
    "write_rows_csv",
    "write_summary_csv",
]

METRICS = ("return", "success")


@dataclass(frozen=True)
class SummaryRow:
    """One (agent, environment) of :func:`summarize`.

    Attributes
    ----------
    agent, env : names
    runs : number of runs (seeds)
    metric : "return" (undiscounted return per episode) or "success" (1 if the return is > 0)
    last : episodes the final performance averages (fewer if a run is shorter)
    final_mean, final_ci : mean over runs of each run's mean metric over its last ``last``
        episodes, and the half-width of its normal 95 % confidence interval (0 for one run)
    auc, auc_ci : area under the learning curve as the mean metric per episode over each
        run's whole curve, then mean and 95 % half-width over runs
    threshold, window : the threshold (None if not asked) and the moving-average window
    episodes_to_threshold : median over runs of the first episode (counting from 1) that
        ends a full ``window`` of episodes whose mean metric reaches ``threshold``; a run that
        never does counts as infinitely late, so this is None unless more than half the runs
        got there (or when no threshold was asked)
    reached : number of runs that reached the threshold
    iqm, iqm_low, iqm_high : interquartile mean over runs of the same per-run final scores as
        ``final_mean`` and its 95 % percentile bootstrap interval over runs
        (:func:`ps_graph.experiments.robust.iqm_interval`; None in rows built without them)
    stopped : number of runs a stopping rule ended before their budget (None in rows built
        without it)

    Runs of different lengths (a stopping rule, or a ``total_steps`` budget): "the last
    ``last`` episodes" are each run's own last episodes, whichever episode numbers those are
    (for a stopped run, the episodes that met the rule), and the AUC is the mean over the
    episodes each run ran.
    """

    agent: str
    env: str
    runs: int
    metric: str
    last: int
    final_mean: float
    final_ci: float
    auc: float
    auc_ci: float
    threshold: float | None = None
    window: int | None = None
    episodes_to_threshold: float | None = None
    reached: int | None = None
    iqm: float | None = None
    iqm_low: float | None = None
    iqm_high: float | None = None
    stopped: int | None = None


def _episodes_to(values: np.ndarray, threshold: float, window: int) -> float:
    """First episode (1-based) ending a full window whose mean reaches ``threshold``; inf if none."""
    if len(values) < window:
        return math.inf
    means = moving_average(values, window)[window - 1 :]
    hits = np.flatnonzero(means >= threshold)
    return float(hits[0] + window) if len(hits) else math.inf


def check_results(results) -> dict[tuple[str, str], list[TrainResult]]:
    """``results`` (``{(agent, env): [TrainResult, ...]}``) checked: a ConfigError unless every key
    is a pair and every value a non-empty list of runs with at least one episode each."""
    if not isinstance(results, Mapping):
        raise ConfigError(
            f"results must be a dict {{(agent, env): [TrainResult, ...]}} as compare() returns; "
            f"got {type(results).__name__}."
        )
    checked = {}
    for key, runs in results.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise ConfigError(f"results keys must be (agent, env) pairs; got {key!r}.")
        runs = list(runs)
        if not runs or not all(isinstance(r, TrainResult) and r.episodes for r in runs):
            raise ConfigError(f"results[{key!r}] must be a non-empty list of TrainResults with at least one episode.")
        checked[key] = runs
    return checked


def _curve(run: TrainResult, metric: str) -> np.ndarray:
    return run.returns if metric == "return" else (run.returns > 0).astype(float)


def final_scores(runs: Sequence[TrainResult], last: int, metric: str = "return", key=None) -> np.ndarray:
    """Each run's final score: its mean ``metric`` over its own last ``last`` episodes (all of
    them when it has fewer); a ConfigError if one is NaN or infinite.

    >>> def run(r): return TrainResult(np.array(r, float), np.ones(len(r), int), np.ones(len(r), bool))
    >>> final_scores([run([0, 1, 1]), run([3])], last=2).tolist()
    [1.0, 3.0]
    """
    finals = np.array([_curve(r, metric)[-last:].mean() for r in runs])
    if not np.isfinite(finals).all():
        where = f"results[{key!r}] has runs" if key is not None else "some runs have"
        raise ConfigError(f"{where} whose final {metric} is NaN or infinite; drop or fix those runs first.")
    return finals


def summarize(
    results: Mapping[tuple[str, str], Sequence[TrainResult]],
    last: int = 100,
    threshold: float | None = None,
    *,
    window: int = 10,
    metric: str = "return",
    seed: int | np.random.Generator | None = 0,
    resamples: int = RESAMPLES,
) -> list[SummaryRow]:
    """One :class:`SummaryRow` per (agent, environment) of ``results`` (from ``compare`` or
    ``load_results``).

    Hand-checkable example: two runs, returns [0, 1, 1] and [0, 0, 1]. Final over the last
    2 episodes: run means 1 and 0.5, so 0.75. AUC: run means 2/3 and 1/3, so 0.5. With
    window 1 and threshold 1 the runs reach it at episodes 2 and 3; the median is 2.5.

    Beside the mean and its normal interval, each row has the interquartile mean of the per-run
    final scores and its bootstrap interval (``resamples`` resamples of the runs, drawn from one
    Generator made from ``seed`` (an int, a Generator used as is, or None for fresh entropy), row
    after row; the default seed 0 makes a summary reproducible).

    >>> def run(r): return TrainResult(np.array(r, float), np.ones(len(r), int), np.ones(len(r), bool))
    >>> row, = summarize({("ps", "env"): [run([0, 1, 1]), run([0, 0, 1])]}, last=2, threshold=1, window=1)
    >>> row.final_mean, row.auc, row.episodes_to_threshold, row.reached
    (0.75, 0.5, 2.5, 2)
    >>> row.iqm, row.iqm_low, row.iqm_high
    (0.75, 0.5, 1.0)
    """
    last = check_int("last", last, 1)
    window = check_int("window", window, 1)
    check_choice("metric", metric, METRICS, hint="'success' counts episodes with a positive return.")
    if threshold is not None:
        threshold = check_real("threshold", threshold, hint="None skips episodes-to-threshold.")
    rng = generator(seed)
    resamples = check_int("resamples", resamples, 1)
    rows = []
    for key, runs in check_results(results).items():
        curves = [_curve(r, metric) for r in runs]
        finals = final_scores(runs, last, metric, key)
        final, final_ci = mean_and_ci(finals)
        iqm = iqm_interval([finals], seed=rng, resamples=resamples)
        auc, auc_ci = mean_and_ci(np.array([c.mean() for c in curves]))
        to = reached = None
        if threshold is not None:
            times = np.array([_episodes_to(c, threshold, window) for c in curves])
            reached = int(np.isfinite(times).sum())
            median = float(np.median(times))  # inf unless more than half the runs reached it
            to = median if math.isfinite(median) else None
        rows.append(
            SummaryRow(
                str(key[0]),
                str(key[1]),
                len(runs),
                metric,
                last,
                float(final),
                float(final_ci),
                float(auc),
                float(auc_ci),
                threshold,
                window if threshold is not None else None,
                to,
                reached,
                *iqm,
                sum(r.stopped is not None for r in runs),
            )
        )
    return rows


def write_rows_csv(path: str | os.PathLike, rows: Sequence, cls: type, source: str) -> Path:
    """Write dataclass ``rows`` of type ``cls`` as CSV (one column per field; None is empty),
    atomically; ``source`` names the function that makes them, for the error."""
    names = [f.name for f in dataclasses.fields(cls)]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        if not isinstance(row, cls):
            raise ConfigError(f"rows must be {cls.__name__}s from {source}(); got {type(row).__name__}.")
        writer.writerow(["" if v is None else v for v in (getattr(row, name) for name in names)])
    return atomic_write_text(path, buf.getvalue())


def write_summary_csv(path: str | os.PathLike, rows: Sequence[SummaryRow]) -> Path:
    """Write :func:`summarize` rows as CSV (one column per :class:`SummaryRow` field; None is empty), atomically."""
    return write_rows_csv(path, rows, SummaryRow, "summarize")


def _rule_window(run: TrainResult) -> int:
    """The ``last`` of the stopping rule recorded with a run read back from a results folder (1 if none)."""
    stop = ((run.info.get("config") or {}).get("spec") or {}).get("stop") or {}
    return int(stop.get("last", 1))


def held(run: TrainResult, episodes: int) -> TrainResult:
    """A run that a stopping rule ended early, drawn to ``episodes`` episodes: after its last
    episode it holds the mean return and length of the episodes that met the rule (its last
    N, N the rule's ``last`` as recorded in the run's config.json; its last episode when not
    recorded). Runs that used their whole budget, or are long enough, are returned as they are.

    >>> short = TrainResult(np.array([0.0, 1.0]), np.array([4, 2]), np.array([False, True]), info={"stopped": "met"})
    >>> held(short, 4).returns.tolist(), held(short, 4).lengths.tolist()
    ([0.0, 1.0, 1.0, 1.0], [4, 2, 2, 2])
    """
    extra = episodes - run.episodes
    if run.stopped is None or extra <= 0:
        return run
    n = _rule_window(run)
    level, length = float(run.returns[-n:].mean()), max(1, round(float(run.lengths[-n:].mean())))
    return TrainResult(
        np.concatenate([run.returns, np.full(extra, level)]),
        np.concatenate([run.lengths, np.full(extra, length, dtype=run.lengths.dtype)]),
        np.concatenate([run.terminated, np.zeros(extra, dtype=bool)]),
        run.wall_time,
        info=run.info,
    )


def plot_comparison(
    results: Mapping[tuple[str, str], Sequence[TrainResult]],
    *,
    window: int = 1,
    panels: Sequence[str] = ("reward", "steps"),
    x: str = "episode",
) -> dict:
    """One learning-curve figure per environment (every agent on it), via
    :func:`ps_graph.inspection.plots.plot_learning_curves`: ``{env name: Figure}``.

    Nothing is shown or written; save with ``ps_graph.files.save_figure(fig, path)``. Curves
    are drawn as long as the shortest run; a run a stopping rule ended early is first
    extended to its agent's longest run with :func:`held` (holding the level that stopped it),
    so one early stop does not cut every curve short.

    >>> run = TrainResult(np.array([0.0, 1.0]), np.array([3, 2]), np.array([True, True]))
    >>> figures = plot_comparison({("ps", "A"): [run], ("q", "A"): [run], ("ps", "B"): [run]})
    >>> list(figures), len(figures["A"].axes)
    (['A', 'B'], 2)
    """
    from ..inspection.plots import plot_learning_curves

    by_env: dict[str, dict[str, Sequence[TrainResult]]] = {}
    for (agent, env), runs in results.items():
        longest = max((r.episodes for r in runs), default=0)
        by_env.setdefault(env, {})[agent] = [held(r, longest) for r in runs]
    return {
        env: plot_learning_curves(agents, window=window, panels=panels, title=env, x=x)
        for env, agents in by_env.items()
    }
