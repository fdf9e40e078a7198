"""Across environments: min-max normalized scores, IQM with stratified bootstrap intervals, profiles."""

import csv

import numpy as np
import pytest
from matplotlib.figure import Figure

from ps_graph import ConfigError, TrainResult
from ps_graph.experiments import (
    AggregateRow,
    aggregate,
    normalized_scores,
    plot_performance_profile,
    write_aggregate_csv,
)
from ps_graph.experiments.aggregate import profiles
from ps_graph.experiments.robust import iqm_interval


def run(returns):
    r = np.asarray(returns, dtype=float)
    return TrainResult(r, np.ones(len(r), dtype=np.int64), np.ones(len(r), dtype=bool))


# final scores over the last 2 episodes: e1 a: 0, 2, 1; b: 4, 3, 4. e2 a: 10, 10, 10; b: 10, 20, 15
RESULTS = {
    ("a", "e1"): [run([9, 0, 0]), run([9, 2, 2]), run([9, 0, 2])],
    ("b", "e1"): [run([0, 4, 4]), run([0, 2, 4]), run([0, 4, 4])],
    ("a", "e2"): [run([10, 10]), run([10, 10]), run([10, 10])],
    ("b", "e2"): [run([10, 10]), run([20, 20]), run([10, 20])],
}


def test_scores_are_min_max_normalized_per_environment_by_hand():
    scores = normalized_scores(RESULTS, last=2)
    # e1: lowest 0, highest 4; e2: lowest 10, highest 20
    assert scores["a"]["e1"].tolist() == [0.0, 0.5, 0.25] and scores["b"]["e1"].tolist() == [1.0, 0.75, 1.0]
    assert scores["a"]["e2"].tolist() == [0.0, 0.0, 0.0] and scores["b"]["e2"].tolist() == [0.0, 1.0, 0.5]
    same = normalized_scores({("a", "e"): [run([1]), run([1])], ("b", "e"): [run([1])]}, last=1)
    assert same["a"]["e"].tolist() == [0.5, 0.5] and same["b"]["e"].tolist() == [0.5]  # no spread


def test_aggregate_by_hand_and_against_iqm_interval(tmp_path):
    a, b = aggregate(RESULTS, last=2, seed=0)
    # a pooled: 0, .5, .25, 0, 0, 0 -> sorted 0, 0, 0, 0, .25, .5; trim floor(6/4) = 1 each end: mean(0, 0, 0, .25)
    assert (a.agent, a.envs, a.runs, a.metric, a.last) == ("a", 2, 6, "return", 2)
    assert a.mean == pytest.approx(0.75 / 6) and a.iqm == pytest.approx(0.0625)
    # b pooled: 1, .75, 1, 0, 1, .5 -> sorted 0, .5, .75, 1, 1, 1; middle four: mean(.5, .75, 1, 1) = .8125
    assert b.iqm == pytest.approx(0.8125) and b.mean == pytest.approx(4.25 / 6)
    # the interval is rliable's: stratified over the environments, one Generator agent after agent
    rng = np.random.default_rng(0)
    scores = normalized_scores(RESULTS, last=2)
    expected = [iqm_interval(list(scores[agent].values()), seed=rng) for agent in ("a", "b")]
    assert [(r.iqm, r.iqm_low, r.iqm_high) for r in (a, b)] == expected
    assert 0 <= a.iqm_low <= a.iqm <= a.iqm_high <= 0.5
    path = write_aggregate_csv(tmp_path / "aggregate.csv", [a, b])
    with open(path, newline="") as f:
        back = list(csv.DictReader(f))
    assert list(back[0]) == list(AggregateRow.__dataclass_fields__) and back[1]["iqm"] == repr(b.iqm)
    with pytest.raises(ConfigError, match="AggregateRows from aggregate"):
        write_aggregate_csv(tmp_path / "x.csv", [("a",)])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(last=0), "last must be an integer >= 1"),
        (dict(metric="reward"), "metric must be one of"),
        (dict(results=[run([1])]), "results must be a dict"),
        (dict(results={("a", "e"): []}), "non-empty list of TrainResults"),
    ],
)
def test_aggregate_rejects_bad_input(kwargs, match):
    args = dict(results=RESULTS) | kwargs
    with pytest.raises(ConfigError, match=match):
        aggregate(args.pop("results"), **args)


def test_performance_profiles_by_hand_and_their_figure():
    found = profiles(RESULTS, last=2, taus=[0.1, 0.6], resamples=200)
    # a: 2 of 6 normalized scores above 0.1 (.5, .25), none above 0.6; b: 5 of 6 above 0.1, 4 of 6 above 0.6
    assert found["a"].fraction.tolist() == [2 / 6, 0.0]
    assert found["b"].fraction.tolist() == pytest.approx([5 / 6, 4 / 6])
    assert (found["b"].low <= found["b"].fraction).all() and (found["b"].fraction <= found["b"].high).all()
    fig = plot_performance_profile(RESULTS, last=2, resamples=100, title="two envs")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title() == "two envs" and [t.get_text() for t in ax.get_legend().get_texts()] == [
        "a (6 runs)",
        "b (6 runs)",
    ]
    np.testing.assert_allclose(ax.lines[1].get_xdata(), np.linspace(0, 1, 51))
