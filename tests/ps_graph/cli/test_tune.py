"""``ps-graph tune``: help, a tiny study, resuming it, and one-line errors for bad input."""

import importlib.util

import pytest

from ps_graph.cli import main

optuna = pytest.importorskip("optuna")

BASE = ["tune", "--env", "FrozenLake-v1", "--env-set", "is_slippery=false", "--agent", "ps-fast", "--episodes", "20",
        "--seeds", "2", "--max-steps", "50"]  # fmt: skip


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["tune", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--storage" in out and "eta_glow_damping=log:0.001:1" in out


def test_a_tiny_study_runs_and_resumes(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    args = [*BASE, "--storage", url, "--study", "tiny", "--space", "policy=standard", "--set", "glow=replace"]
    assert main([*args, "--trials", "2"]) == 0
    out = capsys.readouterr().out
    assert "'tiny'" in out and "2 finished trials" in out and "glow=replace" in out and "eta_glow_damping=" in out
    assert main([*args, "--trials", "3"]) == 0
    assert "3 finished trials" in capsys.readouterr().out
    study = optuna.load_study(study_name="tiny", storage=url)
    assert len(study.trials) == 3 and study.user_attrs["env_kwargs"] == {"is_slippery": False}


@pytest.mark.skipif(importlib.util.find_spec("ps_graph.tuning.page") is None, reason="the page module is not there")
def test_page(tmp_path, capsys):
    page = tmp_path / "tuning.html"
    args = [*BASE, "--storage", f"sqlite:///{tmp_path / 's.db'}", "--trials", "2", "--page", str(page)]
    assert main(args) == 0
    assert f"page: {page}" in capsys.readouterr().out and page.is_file()


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--trials", "0"], "expected a positive whole number"),
        (["--trials", "2", "--space", "eta_glow_damping=log:0:1"], "0 < LO < HI"),
        (["--trials", "2", "--space", "eta=log:0.1:1"], "has no hyperparameter 'eta'"),
        (["--trials", "2", "--set", "votes=0"], "votes must be"),
        (["--trials", "2", "--env-set", "is_slipery=false"], "did you mean 'is_slippery'"),
        (["--trials", "2", "--agent", "nope"], "unknown agent kind"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, extra, words):
    args = [*BASE, "--storage", f"sqlite:///{tmp_path / 's.db'}", *extra]
    try:
        status = main(args)
    except SystemExit as exit_:  # argparse's usage errors
        status = exit_.code
    err = capsys.readouterr().err
    assert status == 2 and words in err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("ps-graph tune: error:")


def test_bad_storage(capsys):
    assert main([*BASE, "--storage", "study.db", "--trials", "1"]) == 2
    assert "database URL such as 'sqlite:///study.db'" in capsys.readouterr().err


def test_a_range_outside_the_agents_bounds_fails_before_any_trial(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert main([*BASE, "--storage", url, "--trials", "2", "--space", "eta_glow_damping=float:0.5:2"]) == 2
    assert "eta_glow_damping must be a finite number in (0.0, 1.0]; got 2.0" in capsys.readouterr().err
    assert not (tmp_path / "s.db").exists()  # checked before the study is made
