"""The report's robust parts: the aggregate across environments (page section and aggregate.csv), the
performance profile (shown with at least 2 runs of every agent), and stopped runs in the summary."""

import csv
import html

import numpy as np

from ps_graph.experiments import aggregate
from ps_graph.report import format_summary, write_report
from ps_graph.training import TrainResult


def run(returns, stopped=None):
    r = np.asarray(returns, dtype=float)
    return TrainResult(r, np.ones(len(r), dtype=np.int64), np.ones(len(r), dtype=bool), info={"stopped": stopped})


TWO_ENVS = {
    ("a", "e1"): [run([0, 0, 1]), run([0, 1, 1])],
    ("b", "e1"): [run([1, 1]), run([0, 1], stopped="the rule was met")],
    ("a", "e2"): [run([5, 5, 5]), run([5, 6, 7])],
    ("b", "e2"): [run([1, 2, 3]), run([3, 3, 3])],
}


def test_two_environments_get_the_aggregate_and_the_profile(tmp_path):
    page = write_report(TWO_ENVS, tmp_path, last=1)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"report.html", "summary.csv", "aggregate.csv", "profile.png", "curves-e1.png", "curves-e2.png"} == names
    text = page.read_text()
    rows = aggregate(TWO_ENVS, 1)
    assert "<h2>Across environments</h2>" in text and "min-max normalized per environment" in text
    for row in rows:
        assert f'<td>{row.agent}</td><td class="num">2</td><td class="num">4</td>' in text
        assert f"{row.iqm:.3f} [{row.iqm_low:.3f}, {row.iqm_high:.3f}]" in text
    with open(tmp_path / "aggregate.csv", newline="") as f:
        assert [r["agent"] for r in csv.DictReader(f)] == ["a", "b"]
    assert "<h2>Performance profile</h2>" in text and "fraction of an agent&#x27;s runs" in text
    # one stopped run of b on e1: the summary says so
    assert "stopped early" in text and "1/2 runs" in text
    assert html.escape("aggregate.csv") in text.split("<h2>Files</h2>")[1]


def test_one_environment_gets_no_aggregate_and_one_run_no_profile(tmp_path):
    one_env = {k: v for k, v in TWO_ENVS.items() if k[1] == "e1"}
    write_report(one_env, tmp_path / "one", last=1)
    assert not (tmp_path / "one" / "aggregate.csv").exists() and (tmp_path / "one" / "profile.png").exists()
    single = {("a", "e1"): TWO_ENVS["a", "e1"], ("b", "e1"): TWO_ENVS["b", "e1"][:1]}
    text = write_report(single, tmp_path / "single", last=1).read_text()
    assert not (tmp_path / "single" / "profile.png").exists() and "Performance profile" not in text


def test_format_summary_counts_stopped_runs():
    from ps_graph.experiments import summarize

    lines = format_summary(summarize(TWO_ENVS, last=1)).splitlines()
    assert lines[0].endswith("stopped early") and lines[2].endswith("1/2 runs") and lines[1].endswith("0/2 runs")
