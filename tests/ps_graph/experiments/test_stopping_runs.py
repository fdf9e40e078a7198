"""compare(..., stop=rule): the rule identifies the run, round-trips through JSON, works on every
backend; stopped runs are shorter, say why, and are summarized and drawn."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from ps_graph import ConfigError, TrainResult
from ps_graph.experiments import (
    EnvSpec,
    RunSpec,
    compare,
    expand,
    plot_comparison,
    run_spec,
    summarize,
)
from ps_graph.experiments.specs import rule_from_dict, rule_to_dict
from ps_graph.experiments.summary import held
from ps_graph.stopping import StoppingRule, StopWhenMeanReturn

LAKE = EnvSpec("FrozenLake-v1", {"is_slippery": False})
SMALL = dict(runs=2, episodes=12, max_steps=20, progress=False)
# every return on the lake is >= 0, so this rule holds after exactly 3 episodes: hand-checkable
AFTER_3 = StopWhenMeanReturn(last=3, at_least=0.0)
NEVER = StopWhenMeanReturn(last=3, at_least=2.0)  # the lake's return is at most 1


def configs(out):
    return [json.loads(p.read_text()) for p in sorted(Path(out).glob("runs/*/*/seed-*/config.json"))]


def csv_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_rules_round_trip_through_json_and_only_provided_rules_are_stored():
    rule = StopWhenMeanReturn(last=5, at_least=0.25)
    data = rule_to_dict(rule)
    assert data == {"rule": "StopWhenMeanReturn", "last": 5, "at_least": 0.25}
    assert rule_from_dict(json.loads(json.dumps(data))) == rule
    spec = expand("q", LAKE, runs=1, episodes=4, stop=rule)[0]
    assert RunSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec and spec.stop == rule

    class Mine(StoppingRule):
        def done(self, history):
            return True

    for bad in (lambda episode, agent: None, Mine(), "StopWhenMeanReturn"):
        with pytest.raises(ConfigError, match="stopping rule that can be saved with the run"):
            expand("q", LAKE, runs=1, episodes=4, stop=bad)
    with pytest.raises(ConfigError, match="not a stopping rule"):
        rule_from_dict({"rule": "Plateau", "last": 3})
    with pytest.raises(ConfigError, match="not a StopWhenMeanReturn"):
        rule_from_dict({"rule": "StopWhenMeanReturn", "last": 3})
    old = spec.to_dict()
    del old["stop"]  # a config.json written before runs could stop
    assert RunSpec.from_dict(old).stop is None


@pytest.mark.parametrize("backend", ["serial", "loky"])
def test_stopped_runs_are_shorter_and_say_why(tmp_path, backend):
    results = compare(["ps-fast", "q"], LAKE, tmp_path, stop=AFTER_3, backend=backend, jobs=2, **SMALL)
    assert {k: [r.episodes for r in v] for k, v in results.items()} == {k: [3, 3] for k in results}
    reason = "the mean return over the last 3 episodes reached 0"
    assert all(r.stopped == reason for runs in results.values() for r in runs)
    for config in configs(tmp_path):
        assert config["stopped"] == reason and config["episodes"] == 3
        assert config["spec"]["stop"] == {"rule": "StopWhenMeanReturn", "last": 3, "at_least": 0.0}
    assert len(csv_rows(tmp_path / "episodes.csv")) == 4 * 3
    for path in tmp_path.glob("runs/*/*/seed-*/episodes.csv"):
        assert [r["episode"] for r in csv_rows(path)] == ["0", "1", "2"]
    # the same seeds without the rule: the stopped runs are the first 3 episodes of the full ones
    full = run_spec(expand("q", LAKE, runs=1, episodes=12, max_steps=20)[0])
    np.testing.assert_array_equal(results["q", LAKE.name][0].returns, full.returns[:3])


def test_a_rule_that_never_holds_runs_the_whole_budget(tmp_path):
    results = compare("q", LAKE, tmp_path, stop=NEVER, backend="serial", **SMALL)
    assert [r.episodes for r in results["q", LAKE.name]] == [12, 12]
    assert [c["stopped"] for c in configs(tmp_path)] == [None, None]


def test_resume_keeps_the_rule_and_refuses_another(tmp_path):
    compare("q", LAKE, tmp_path, stop=AFTER_3, backend="serial", **SMALL)
    before = [p.read_bytes() for p in sorted(tmp_path.glob("runs/*/*/seed-*/config.json"))]
    again = compare("q", LAKE, tmp_path, stop=AFTER_3, backend="serial", **SMALL)
    assert [r.episodes for r in again["q", LAKE.name]] == [3, 3]
    assert [p.read_bytes() for p in sorted(tmp_path.glob("runs/*/*/seed-*/config.json"))] == before
    for other in (None, NEVER):
        with pytest.raises(ConfigError, match=r"ran with .*\"stop\": \{\"at_least\": 0, \"last\": 3"):
            compare("q", LAKE, tmp_path, stop=other, backend="serial", **SMALL)
    assert [p.read_bytes() for p in sorted(tmp_path.glob("runs/*/*/seed-*/config.json"))] == before


def test_stopping_on_a_dask_cluster(tmp_path):
    pytest.importorskip("distributed")
    serial = compare("q", LAKE, tmp_path / "serial", stop=AFTER_3, backend="serial", **SMALL)
    on_dask = compare("q", LAKE, tmp_path / "dask", stop=AFTER_3, backend="dask", jobs=1, **SMALL)
    for a, b in zip(serial["q", LAKE.name], on_dask["q", LAKE.name]):
        assert b.episodes == 3 and b.stopped == a.stopped
        np.testing.assert_array_equal(a.returns, b.returns)


def run(returns, stopped=None, last=None):
    r = np.asarray(returns, dtype=float)
    info = {"stopped": stopped}
    if last is not None:
        info["config"] = {"spec": {"stop": {"rule": "StopWhenMeanReturn", "last": last, "at_least": 0.5}}}
    return TrainResult(r, np.arange(1, len(r) + 1), np.ones(len(r), dtype=bool), info=info)


def test_summaries_and_curves_of_runs_of_different_lengths():
    short, full = run([0, 1, 1], stopped="met", last=2), run([0, 0, 0, 0, 1])
    (row,) = summarize({("a", "e"): [short, full]}, last=2)
    # each run's own last 2 episodes: [1, 1] -> 1 and [0, 1] -> 0.5; AUC over the episodes each ran: 2/3 and 1/5
    assert row.final_mean == 0.75 and row.auc == pytest.approx((2 / 3 + 1 / 5) / 2) and row.stopped == 1
    # the stopped run holds the mean of its rule's last 2 episodes (1) and their mean length (2.5 -> 2)
    extended = held(short, 5)
    assert extended.returns.tolist() == [0, 1, 1, 1, 1] and extended.lengths.tolist() == [1, 2, 3, 2, 2]
    assert held(full, 9) is full and held(short, 3) is short
    ax = plot_comparison({("a", "e"): [short, full]}, panels=("reward",))["e"].axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0, 0.5, 0.5, 0.5, 1])  # all 5 episodes drawn
