"""Across environments: one robust score per agent, and performance profiles.

Scores are put on one scale per environment before they are pooled (:func:`normalized_scores`):

* each run's final score is its mean metric over its own last ``last`` episodes (as
  :func:`~ps_graph.experiments.summarize`'s ``final_mean``), then
* min-max normalization per environment: ``(score - lowest) / (highest - lowest)``, where
  lowest and highest are the worst and best final scores of any run of any agent on that
  environment. 0 is the worst run seen there, 1 the best; an environment where every run
  scored the same (no spread) gives every run 0.5.

The scale is relative to the agents compared (add or drop an agent and it moves): it says
which agent does better across environments, not how close any gets to the optimum (the
report's exact-optimum column says that, where there is one).

:func:`aggregate` then gives each agent the interquartile mean of its normalized scores over
all its runs on all environments, with a stratified bootstrap interval whose strata (tasks)
are the environments, as ``rliable`` does (:func:`~ps_graph.experiments.robust.iqm_interval`);
:func:`plot_performance_profile` draws, per agent, the fraction of runs whose normalized
score is above each tau, with its bootstrap band
(:func:`~ps_graph.experiments.robust.performance_profile`).

>>> def run(r): return TrainResult(np.array(r, float), np.ones(len(r), int), np.ones(len(r), bool))
>>> results = {("a", "e1"): [run([0]), run([2])], ("b", "e1"): [run([4]), run([4])],
...            ("a", "e2"): [run([10]), run([10])], ("b", "e2"): [run([10]), run([20])]}
>>> {agent: {env: s.tolist() for env, s in by_env.items()} for agent, by_env in normalized_scores(results, 1).items()}
{'a': {'e1': [0.0, 0.5], 'e2': [0.0, 0.0]}, 'b': {'e1': [1.0, 1.0], 'e2': [0.0, 1.0]}}
>>> [(row.agent, row.envs, row.runs, row.mean, row.iqm) for row in aggregate(results, last=1)]
[('a', 2, 4, 0.125, 0.0), ('b', 2, 4, 0.75, 1.0)]
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..checks import check_choice, check_int
from ..training import TrainResult
from .robust import RESAMPLES, ProfileResult, generator, iqm_interval, performance_profile
from .summary import METRICS, check_results, final_scores, write_rows_csv

__all__ = [
    "NORMALIZATION",
    "AggregateRow",
    "aggregate",
    "normalized_scores",
    "plot_performance_profile",
    "profiles",
    "write_aggregate_csv",
]

#: How :func:`normalized_scores` puts every environment on one scale, in one sentence (the report shows it).
NORMALIZATION = (
    "each run's final score (its mean over its own last episodes) min-max normalized per environment: "
    "(score - lowest) / (highest - lowest), lowest and highest over every run of every agent on that "
    "environment (0 = the worst run seen there, 1 = the best; 0.5 for every run where all scored the same)"
)

#: Default grid of a performance profile over normalized scores.
TAUS = np.linspace(0.0, 1.0, 51)


@dataclass(frozen=True)
class AggregateRow:
    """One agent across every environment of a comparison (:func:`aggregate`).

    Attributes
    ----------
    agent : name
    envs, runs : environments and runs (all environments together) pooled
    metric, last : as :func:`~ps_graph.experiments.summarize`: the final score of a run is its
        mean ``metric`` over its last ``last`` episodes
    mean : mean of the runs' normalized final scores (see :func:`normalized_scores`)
    iqm, iqm_low, iqm_high : their interquartile mean and its 95 % stratified bootstrap
        percentile interval (strata: the environments)
    """

    agent: str
    envs: int
    runs: int
    metric: str
    last: int
    mean: float
    iqm: float
    iqm_low: float
    iqm_high: float


def normalized_scores(
    results: Mapping[tuple[str, str], Sequence[TrainResult]], last: int = 100, metric: str = "return"
) -> dict[str, dict[str, np.ndarray]]:
    """``{agent: {env: normalized final score of each run}}``, min-max per environment over
    every agent's runs (see the module docstring; :data:`NORMALIZATION` says it in one sentence)."""
    last = check_int("last", last, 1)
    check_choice("metric", metric, METRICS, hint="'success' counts episodes with a positive return.")
    finals = {key: final_scores(runs, last, metric, key) for key, runs in check_results(results).items()}
    bounds: dict[str, tuple[float, float]] = {}
    for (_, env), scores in finals.items():
        low, high = bounds.get(env, (np.inf, -np.inf))
        bounds[env] = (min(low, float(scores.min())), max(high, float(scores.max())))
    normalized: dict[str, dict[str, np.ndarray]] = {}
    for (agent, env), scores in finals.items():
        low, high = bounds[env]
        scaled = np.full(len(scores), 0.5) if high == low else (scores - low) / (high - low)
        normalized.setdefault(str(agent), {})[str(env)] = scaled
    return normalized


def aggregate(
    results: Mapping[tuple[str, str], Sequence[TrainResult]],
    last: int = 100,
    *,
    metric: str = "return",
    seed: int | np.random.Generator | None = 0,
    resamples: int = RESAMPLES,
) -> list[AggregateRow]:
    """One :class:`AggregateRow` per agent of ``results`` (from ``compare`` or ``load_results``):
    the interquartile mean of its normalized final scores over all its runs on all
    environments, with a stratified bootstrap interval (tasks = environments; ``resamples``
    resamples drawn from one Generator made from ``seed``, agent after agent).

    Hand-checked in the module docstring: agent a's normalized scores are 0, 0.5 on e1 and
    0, 0 on e2; pooled and sorted, 0, 0, 0, 0.5: the mean is 0.125 and the IQM (the middle
    two) 0.
    """
    rng = generator(seed)
    resamples = check_int("resamples", resamples, 1)
    rows = []
    for agent, by_env in normalized_scores(results, last, metric).items():
        tasks = list(by_env.values())
        pooled = np.concatenate(tasks)
        point, low, high = iqm_interval(tasks, seed=rng, resamples=resamples)
        rows.append(AggregateRow(agent, len(tasks), len(pooled), metric, last, float(pooled.mean()), point, low, high))
    return rows


def write_aggregate_csv(path: str | os.PathLike, rows: Sequence[AggregateRow]) -> Path:
    """Write :func:`aggregate` rows as CSV (one column per :class:`AggregateRow` field), atomically."""
    return write_rows_csv(path, rows, AggregateRow, "aggregate")


def profiles(
    results: Mapping[tuple[str, str], Sequence[TrainResult]],
    last: int = 100,
    *,
    metric: str = "return",
    taus=None,
    seed: int | np.random.Generator | None = 0,
    resamples: int = RESAMPLES,
) -> dict[str, ProfileResult]:
    """``{agent: performance profile}`` of the normalized final scores (default ``taus``: 0 to 1 in
    steps of 0.02), bands from the stratified bootstrap (tasks = environments).

    >>> def run(r): return TrainResult(np.array(r, float), np.ones(1, int), np.ones(1, bool))
    >>> found = profiles({("a", "e"): [run([0]), run([1])], ("b", "e"): [run([1]), run([1])]}, 1, taus=[0.5])
    >>> found["a"].fraction.tolist(), found["b"].fraction.tolist()
    ([0.5], [1.0])
    """
    return _profiles(normalized_scores(results, last, metric), taus, seed, resamples)


def _profiles(
    normalized: Mapping[str, Mapping[str, np.ndarray]], taus, seed, resamples: int = RESAMPLES
) -> dict[str, ProfileResult]:
    rng = generator(seed)
    grid = TAUS if taus is None else taus
    return {
        agent: performance_profile(list(by_env.values()), grid, seed=rng, resamples=resamples)
        for agent, by_env in normalized.items()
    }


def plot_performance_profile(
    results: Mapping[tuple[str, str], Sequence[TrainResult]],
    last: int = 100,
    *,
    metric: str = "return",
    title: str | None = None,
    **bootstrap,
):
    """The performance profiles of :func:`profiles` in one matplotlib Figure: per agent, the
    fraction of runs with normalized final score > tau, and its 95 % bootstrap band
    (``bootstrap``: ``taus``, ``seed``, ``resamples`` as :func:`profiles` takes them).
    Nothing is shown or written; save with ``ps_graph.files.save_figure(fig, path)``.

    >>> def run(r): return TrainResult(np.array(r, float), np.ones(1, int), np.ones(1, bool))
    >>> fig = plot_performance_profile({("a", "e"): [run([0]), run([1])], ("b", "e"): [run([1]), run([1])]}, 1)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['a (2 runs)', 'b (2 runs)']
    """
    from matplotlib.figure import Figure

    normalized = normalized_scores(results, last, metric)
    found = _profiles(normalized, bootstrap.pop("taus", None), bootstrap.pop("seed", 0), **bootstrap)
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    for agent, profile in found.items():
        runs = sum(len(scores) for scores in normalized[agent].values())
        (line,) = ax.plot(profile.taus, profile.fraction, label=f"{agent} ({runs} runs)")
        ax.fill_between(profile.taus, profile.low, profile.high, color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_xlabel(f"normalized final {metric} (last {last} episodes) tau")
    ax.set_ylabel("fraction of runs with score > tau")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title or "performance profile")
    ax.legend(loc="best")
    return fig
