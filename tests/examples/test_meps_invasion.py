"""examples/meps_invasion.py: a --quick run writes its tidy CSV and PNG; its doctests; bad command lines."""

import csv
import doctest
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))
import meps_invasion  # noqa: E402

sys.path.pop(0)


def test_doctests_pass():
    result = doctest.testmod(meps_invasion)
    assert result.attempted > 0 and result.failed == 0


def test_quick_run_writes_the_csv_and_png_and_prints_the_comparison(tmp_path, capsys):
    meps_invasion.main(["--quick", "--out", str(tmp_path)])
    agents, rounds = meps_invasion.QUICK
    with open(tmp_path / "meps_invasion.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["game", "k", "agent", "window", "mean_reward"]
    windows = rounds // meps_invasion.WINDOW
    assert len(rows) == len(meps_invasion.GAMES) * len(meps_invasion.KS) * agents * windows
    assert {r["game"] for r in rows} == set(meps_invasion.GAMES)
    assert {r["k"] for r in rows} == {"1", "2", "3"}
    assert {r["agent"] for r in rows} == {str(j) for j in range(agents)}
    assert {r["window"] for r in rows} == {str(w) for w in range(1, windows + 1)}
    for r in rows:  # a window's mean lies between the worst penalty and the maximum
        assert -11.0 <= float(r["mean_reward"]) <= meps_invasion.GAMES[r["game"]].maximum
    assert (tmp_path / "meps_invasion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "1700" in out and "5000" in out and "meps_invasion.png" in out  # the source's values beside ours


def test_reference_values_cover_every_curve():
    assert set(meps_invasion.REFERENCE) == {(g, k) for g in meps_invasion.GAMES for k in meps_invasion.KS}


@pytest.mark.parametrize(
    ("argv", "match"),
    [(["--rounds", "150"], "multiple"), (["--rounds", "50"], "--rounds"), (["--agents", "0"], "--agents")],
)
def test_bad_command_lines_exit_2(argv, match, capsys):
    with pytest.raises(SystemExit) as exit_info:
        meps_invasion.main([*argv, "--out", "never-written"])
    assert exit_info.value.code == 2 and match in capsys.readouterr().err
