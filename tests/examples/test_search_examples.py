"""The search and collective reproductions (examples/learning_to_reset.py, examples/locusts.py):
tiny-budget runs that write their files, and the qualitative results as slow tests."""

import csv
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))
import foraging  # noqa: E402
import learning_to_reset  # noqa: E402
import locusts  # noqa: E402
from _common import SearchRun  # noqa: E402

sys.path.pop(0)


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_learning_to_reset_quick_writes_its_csv_and_png(tmp_path):
    report = learning_to_reset.run(tmp_path, SearchRun(agents=2, episodes=2, steps=1500, quick=True, jobs=1))
    rows = read_rows(report["csv"])
    assert list(rows[0]) == ["kind", "parameter", "episode", "reward"]
    assert {row["kind"] for row in rows} == {"sharp", "exponential", "ps"}
    assert sum(row["kind"] == "ps" for row in rows) == 2 * 2
    assert all(row["episode"] == "" for row in rows if row["kind"] != "ps")
    assert report["png"].read_bytes()[:4] == b"\x89PNG"
    assert report["policies"].shape == (2, 101)


def test_locusts_quick_writes_its_csv_and_png(tmp_path):
    report = locusts.run(tmp_path, collectives=2, trials=3, seed=0, jobs=1)
    rows = read_rows(report["csv"])
    assert list(rows[0]) == ["collective", "trial", "mean_reward"] and len(rows) == 6
    assert all(0.0 <= float(row["mean_reward"]) <= 1.0 for row in rows)


def test_foraging_quick_writes_its_csv_and_png(tmp_path):
    report = foraging.run(tmp_path, SearchRun(agents=2, episodes=3, steps=100, quick=True, jobs=1))
    rows = read_rows(report["csv"])
    assert {row["kind"] for row in rows} == {"levy", "biexponential", "ps"} and report["curves"].shape == (2, 3)


@pytest.mark.parametrize("module", [learning_to_reset, foraging, locusts], ids=lambda m: m.__name__)
def test_bad_command_lines_exit_2(module, capsys):
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--seed", "-1", "--out", "never-written"])
    assert exit_info.value.code == 2 and "--seed" in capsys.readouterr().err


@pytest.mark.slow
def test_locust_collectives_learn_clearly(tmp_path):
    """Trial 1 against trials 91-100, over 8 collectives of the paper's setting. With 20 collectives
    we measured 0.553 in trial 1 and 0.765 over the last 10 trials; the margins leave room for other seeds."""
    curves = locusts.run(tmp_path, collectives=8, trials=100, seed=3, jobs=1)["curves"]
    first, last = curves[:, 0].mean(), curves[:, 90:].mean()
    assert last > first + 0.12 and last > 0.7, (first, last)


@pytest.mark.slow
def test_ps_agents_learn_to_reset_better_than_the_best_exponential_reset():
    """Two PS agents (the example's settings), episodes 100-149 of 150, against the best exponential
    reset measured in the same test. The example's full run (4 agents x 300 episodes) measured 115.7
    targets per episode over its last 30 episodes against 100.9 for the best exponential reset (117.7
    for the best sharp one), and its learning curve passes 105 by episode 100; requiring 2 targets
    per episode above the exponential optimum (its standard error here is about 0.3, that of 100
    agent-episodes about 1.1) leaves room for other seeds while an agent that has not learned
    (about 23 per episode at the start) fails by far."""
    import numpy as np

    from ps_graph.envs.strategies import efficiency, exponential_reset

    expo = max(
        efficiency("Reset1D", exponential_reset(rate), walkers=1000, steps=10_000, seed=5).per_episode
        for rate in (0.03, 0.04, 0.05)
    )
    curves = np.stack([learning_to_reset.learn(seed, 150, 10_000)[0] for seed in (11, 12)])
    assert curves[:, 100:].mean() > expo + 2.0, (curves[:, 100:].mean(), expo)
