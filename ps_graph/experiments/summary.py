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

__all__ = ["SummaryRow", "plot_comparison", "summarize", "write_summary_csv"]

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


def _episodes_to(values: np.ndarray, threshold: float, window: int) -> float:
    """First episode (1-based) ending a full window whose mean reaches ``threshold``; inf if none."""
    if len(values) < window:
        return math.inf
    means = moving_average(values, window)[window - 1 :]
    hits = np.flatnonzero(means >= threshold)
    return float(hits[0] + window) if len(hits) else math.inf


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
    if not isinstance(results, Mapping):
        raise ConfigError(
            f"results must be a dict {{(agent, env): [TrainResult, ...]}} as compare() returns; "
            f"got {type(results).__name__}."
        )
    rows = []
    for key, runs in results.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise ConfigError(f"results keys must be (agent, env) pairs; got {key!r}.")
        runs = list(runs)
        if not runs or not all(isinstance(r, TrainResult) and r.episodes for r in runs):
            raise ConfigError(f"results[{key!r}] must be a non-empty list of TrainResults with at least one episode.")
        curves = [r.returns if metric == "return" else (r.returns > 0).astype(float) for r in runs]
        finals = np.array([c[-last:].mean() for c in curves])
        if not np.isfinite(finals).all():
            raise ConfigError(
                f"results[{key!r}] has runs whose final {metric} is NaN or infinite; drop or fix those runs first."
            )
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
            )
        )
    return rows


def write_summary_csv(path: str | os.PathLike, rows: Sequence[SummaryRow]) -> Path:
    """Write :func:`summarize` rows as CSV (one column per :class:`SummaryRow` field; None is empty), atomically."""
    names = [f.name for f in dataclasses.fields(SummaryRow)]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        if not isinstance(row, SummaryRow):
            raise ConfigError(f"rows must be SummaryRows from summarize(); got {type(row).__name__}.")
        writer.writerow(["" if v is None else v for v in dataclasses.astuple(row)])
    return atomic_write_text(path, buf.getvalue())


def plot_comparison(
    results: Mapping[tuple[str, str], Sequence[TrainResult]],
    *,
    window: int = 1,
    panels: Sequence[str] = ("reward", "steps"),
    x: str = "episode",
) -> dict:
    """One learning-curve figure per environment (every agent on it), via
    :func:`ps_graph.inspection.plots.plot_learning_curves`: ``{env name: Figure}``.

    Nothing is shown or written; save with ``ps_graph.files.save_figure(fig, path)``.

    >>> run = TrainResult(np.array([0.0, 1.0]), np.array([3, 2]), np.array([True, True]))
    >>> figures = plot_comparison({("ps", "A"): [run], ("q", "A"): [run], ("ps", "B"): [run]})
    >>> list(figures), len(figures["A"].axes)
    (['A', 'B'], 2)
    """
    from ..inspection.plots import plot_learning_curves

    by_env: dict[str, dict[str, Sequence[TrainResult]]] = {}
    for (agent, env), runs in results.items():
        by_env.setdefault(env, {})[agent] = runs
    return {
        env: plot_learning_curves(agents, window=window, panels=panels, title=env, x=x)
        for env, agents in by_env.items()
    }
