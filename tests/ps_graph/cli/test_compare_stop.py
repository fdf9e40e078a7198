"""``ps-graph compare --stop-last N --stop-at X``: both or neither; stopped runs say why."""

import json

import pytest

from ps_graph.cli import main

LAKE = ["--env", "FrozenLake-v1", "--set", "env.is_slippery=false"]
BASE = ["compare", *LAKE, *"--agents ps-fast,q --runs 2 --episodes 10 --max-steps 20 --jobs 1".split()]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--stop-last", "3"], "--stop-last 3 needs --stop-at X too"),
        (["--stop-at", "0.5"], "--stop-at 0.5 needs --stop-last N too"),
    ],
)
def test_stop_needs_both_options(tmp_path, capsys, extra, message):
    assert main([*BASE, *extra, "--quiet", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ps-graph compare: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()  # refused before anything ran


def test_stop_ends_runs_early_and_is_part_of_the_run(tmp_path, capsys):
    out = tmp_path / "out"
    # every return on the lake is >= 0: each run stops after exactly 3 episodes
    assert main([*BASE, "--stop-last", "3", "--stop-at", "0", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "stopped early" in printed and printed.count("2/2 runs") == 2
    configs = [json.loads(p.read_text()) for p in sorted(out.glob("runs/*/*/seed-*/config.json"))]
    assert [c["episodes"] for c in configs] == [3, 3, 3, 3]
    assert all(c["stopped"] == "the mean return over the last 3 episodes reached 0" for c in configs)
    assert configs[0]["spec"]["stop"] == {"rule": "StopWhenMeanReturn", "last": 3, "at_least": 0.0}
    page = (out / "report.html").read_text()
    assert "a run stops once the mean return over its last 3 episodes is at least 0" in page
    assert "its 3 episodes match run 0&#x27;s recorded episodes exactly" in page  # the ECM is re-trained with the rule
    assert main([*BASE, "--quiet", "--no-report", "--out", str(out)]) == 2  # another rule (none) on the same --out
    assert '"stop": {"at_least": 0, "last": 3' in capsys.readouterr().err
