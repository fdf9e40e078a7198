"""Robust statistics over seeds: IQM, stratified bootstrap intervals, performance profiles."""

import csv

import numpy as np
import pytest
from scipy import stats

from ps_graph.errors import ConfigError
from ps_graph.experiments import summarize, write_summary_csv
from ps_graph.experiments.robust import iqm, iqm_interval, performance_profile
from ps_graph.report.sections import summary_section
from ps_graph.report.table import format_summary
from ps_graph.training import TrainResult
from tests.factories import modules_loaded_by


def run(returns):
    r = np.asarray(returns, dtype=float)
    return TrainResult(r, np.ones(len(r), dtype=np.int64), np.ones(len(r), dtype=bool))


def scipy_iqm_ci(samples, rng, resamples=2000):
    """The interval scipy gives when called directly: all tasks pooled, each resampled on its own."""
    pooled = lambda *s, axis: stats.trim_mean(np.concatenate(s, axis=axis), 0.25, axis=axis)
    res = stats.bootstrap(samples, pooled, vectorized=True, n_resamples=resamples, method="percentile", rng=rng)
    return res.confidence_interval.low, res.confidence_interval.high


def test_iqm_by_hand():
    # 8 scores: drop the 2 lowest (1, 2) and the 2 highest (7, 100): (3 + 4 + 5 + 6) / 4
    assert iqm([100, 1, 7, 2, 3, 6, 4, 5]) == 4.5
    assert iqm([5.0]) == 5.0
    x = np.random.default_rng(1).normal(size=13)
    assert iqm(x) == pytest.approx(stats.trim_mean(x, 0.25))


def test_interval_matches_scipy_called_directly():
    x = np.random.default_rng(2).normal(size=10)
    point, low, high = iqm_interval([x], seed=np.random.default_rng(7))
    assert (low, high) == tuple(map(float, scipy_iqm_ci((x,), np.random.default_rng(7))))
    assert point == stats.trim_mean(x, 0.25) and low < point < high
    a, b = x[:6], x[6:] + 3
    _, low, high = iqm_interval([a, b], seed=np.random.default_rng(7), resamples=500)
    assert (low, high) == tuple(map(float, scipy_iqm_ci((a, b), np.random.default_rng(7), 500)))


def test_resampling_is_stratified_by_task():
    # Each task is constant: resampled within itself it stays 4 zeros and 4 ones, so every
    # resample's IQM is the mean of 0, 0, 1, 1. Pooled resampling would vary.
    zeros, ones = [0.0] * 4, [1.0] * 4
    assert iqm_interval([zeros, ones], seed=0) == (0.5, 0.5, 0.5)
    profile = performance_profile([zeros, ones], taus=[-1, 0.5, 2], seed=0)
    assert profile.fraction.tolist() == profile.low.tolist() == profile.high.tolist() == [1.0, 0.5, 0.0]
    # A task with one run stays fixed; the other is resampled as usual.
    x = np.random.default_rng(3).normal(size=6)
    _, low, high = iqm_interval([x, [10.0]], seed=4)
    fixed = lambda s, axis: stats.trim_mean(np.concatenate([s, np.full((*s.shape[:-1], 1), 10.0)], axis), 0.25, axis)
    ci = stats.bootstrap(
        (x,), fixed, vectorized=True, n_resamples=2000, method="percentile", rng=np.random.default_rng(4)
    )
    assert (low, high) == (ci.confidence_interval.low, ci.confidence_interval.high)


def test_performance_profile_by_hand_and_against_scipy():
    scores = [[0.0, 1.0, 2.0, 3.0], [1.0, 5.0, 6.0]]
    profile = performance_profile(scores, taus=[0.5, 2.5], seed=np.random.default_rng(0), resamples=300)
    assert profile.fraction.tolist() == [6 / 7, 3 / 7]  # above 0.5: all but 0; above 2.5: 3, 5, 6
    rng = np.random.default_rng(0)
    for i, tau in enumerate([0.5, 2.5]):
        above = lambda a, b, axis, tau=tau: np.mean(np.concatenate([a, b], axis) > tau, axis=axis)
        ci = stats.bootstrap(
            tuple(map(np.array, scores)), above, vectorized=True, n_resamples=300, method="percentile", rng=rng
        )
        assert (profile.low[i], profile.high[i]) == (ci.confidence_interval.low, ci.confidence_interval.high)
    default = performance_profile(scores, seed=0, resamples=50)
    assert len(default.taus) == 101 and default.taus[0] == 0 and default.taus[-1] == 6
    assert np.all(np.diff(default.fraction) <= 0) and np.all(default.low <= default.fraction + 1e-12)


def test_same_seed_same_result():
    x = np.random.default_rng(5).normal(size=9)
    assert iqm_interval([x], seed=3) == iqm_interval([x], seed=3) != iqm_interval([x], seed=4)
    a, b = (performance_profile([x], taus=[0.0], seed=3, resamples=100) for _ in range(2))
    assert (a.low, a.high) == (b.low, b.high)
    results = {("a", "e"): [run([0, v]) for v in x]}
    assert summarize(results, seed=1) == summarize(results, seed=1)


@pytest.mark.parametrize(
    "scores, match",
    [
        ([], "non-empty"),
        ([[]], "non-empty"),
        ([[1.0, float("nan")]], "NaN"),
        ([[1.0, np.inf]], "NaN or infinite"),
        ([["a", "b"]], "sequence of numbers"),
        ([[[1.0, 2.0]]], "1-D"),
    ],
)
def test_bad_scores_are_clear_errors(scores, match):
    with pytest.raises(ConfigError, match=match):
        iqm_interval(scores, seed=0)


def test_bad_settings_are_clear_errors():
    with pytest.raises(ConfigError, match="confidence"):
        iqm_interval([[1.0, 2.0]], confidence=1.0)
    with pytest.raises(ConfigError, match="resamples"):
        iqm_interval([[1.0, 2.0]], resamples=0)
    with pytest.raises(ConfigError, match="taus"):
        performance_profile([[1.0, 2.0]], taus=[float("nan")])
    with pytest.raises(ConfigError, match="NaN"):
        iqm([float("nan")])
    with pytest.raises(ConfigError, match=r"results\[\('a', 'e'\)\].*NaN"):
        summarize({("a", "e"): [run([0, float("nan")]), run([1, 1])]})
    with pytest.raises(ConfigError, match="seed"):
        summarize({("a", "e"): [run([0, 1])]}, seed=-1)


def test_summary_rows_csv_and_report_show_the_iqm(tmp_path):
    finals = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 70.0]
    results = {("ps", "E"): [run([9, f]) for f in finals], ("q", "E"): [run([1])]}
    ps, q = summarize(results, last=1, seed=0)
    assert ps.iqm == 3.5 and (ps.iqm, ps.iqm_low, ps.iqm_high) == iqm_interval([finals], seed=np.random.default_rng(0))
    assert (q.iqm, q.iqm_low, q.iqm_high) == (1.0, 1.0, 1.0)  # one run: nothing to resample
    with open(write_summary_csv(tmp_path / "summary.csv", [ps, q]), newline="") as f:
        back = list(csv.DictReader(f))
    assert list(back[0])[-4:] == ["iqm", "iqm_low", "iqm_high", "stopped"] and float(back[0]["iqm"]) == 3.5
    assert float(back[0]["iqm_low"]) == ps.iqm_low and back[1]["iqm_high"] == "1.0"
    text = format_summary([ps, q])
    assert "final IQM [95 % CI]" in text and f"3.500 [{ps.iqm_low:.3f}, {ps.iqm_high:.3f}]" in text
    section = summary_section([ps, q], {})
    assert "final IQM [95 % CI]" in section.header and "interquartile mean" in section.explain
    assert section.rows[1].cells[section.header.index("final IQM [95 % CI]")] == "1.000 [1.000, 1.000]"


def test_scipy_loads_only_when_used():
    scipy = "m.split('.')[0] == 'scipy'"
    assert modules_loaded_by("import ps_graph, ps_graph.experiments, ps_graph.report", scipy) == []
    assert "scipy.stats" in modules_loaded_by("from ps_graph.experiments.robust import iqm; iqm([1])", scipy)
