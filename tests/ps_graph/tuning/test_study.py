"""Studies: determinism, the stored data contract, pruning through the training callback,
parallel workers, resuming a killed study, and the course's FrozenLake setting beaten."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from ps_graph.errors import ConfigError
from ps_graph.tuning import OBJECTIVE, evaluate, make_space, tune
from ps_graph.tuning.study import Objective, Tuning, open_storage

optuna = pytest.importorskip("optuna")

FL = {"env": "FrozenLake-v1", "env_kwargs": {"is_slippery": False}, "max_steps": 100}
SMALL = {**FL, "episodes": 30, "seeds": 2}


def _trials(study, states=None):
    return [(t.number, t.state, t.params, t.value) for t in study.get_trials(states=states)]


def test_same_seed_same_trials():
    runs = [tune(agent="ps-fast", trials=4, storage=None, study_name="s", seed=s, **SMALL) for s in (3, 3, 4)]
    assert runs[0] == runs[1]
    assert runs[0].best_params != runs[2].best_params
    assert runs[0].finished == 4 and "4 finished trials" in repr(runs[0])


def test_stored_data_follows_the_contract(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    result = tune(agent="ps", trials=3, storage=url, space=["policy=standard"], seed=1, **SMALL)
    study = optuna.load_study(study_name=result.study_name, storage=url)
    attrs = study.user_attrs
    assert attrs["env"] == "FrozenLake-v1" and attrs["env_kwargs"] == {"is_slippery": False}
    assert attrs["agent"] == "ps" and attrs["episodes"] == 30 and attrs["objective"] == OBJECTIVE
    assert len(attrs["seeds"]) == 2 and attrs["space"]["eta_glow_damping"] == "log:0.001:1"
    assert attrs["space"]["policy"] == 'fixed:"standard"' and attrs["fixed"] == {"policy": "standard"}
    assert study.direction == optuna.study.StudyDirection.MAXIMIZE
    for trial in study.trials:
        assert trial.user_attrs["seeds"] == attrs["seeds"] and len(trial.user_attrs["curve"]) == 30
        assert trial.value == pytest.approx(np.mean(trial.user_attrs["curve"]))
        assert set(trial.params) == {"eta_glow_damping", "gamma_damping", "glow"}
    best = study.best_trial  # the same objective, on the same seeds, from evaluate
    again = evaluate(agent="ps", params=result.best_params, seed=1, **SMALL)
    assert again.value == pytest.approx(best.value) and again.curve == pytest.approx(best.user_attrs["curve"])
    assert result.best_params == {"policy": "standard", **best.params}


def test_a_poor_trial_is_pruned_through_the_callback():
    tuning = Tuning("FrozenLake-v1", "ps-fast", 60, (11, 12, 13), {"is_slippery": False}, 100)
    objective = Objective(tuning, make_space("ps-fast", ["policy=standard"]), every=5)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=10)
    study = optuna.create_study(direction="maximize", pruner=pruner)
    good = {"eta_glow_damping": 0.05, "gamma_damping": 0.0, "glow": "replace"}
    study.enqueue_trial(good)
    study.enqueue_trial(good | {"eta_glow_damping": 0.1})
    study.enqueue_trial({"eta_glow_damping": 0.001, "gamma_damping": 0.01, "glow": "replace"})  # forgets fast
    study.optimize(objective, n_trials=3)
    states = [t.state for t in study.trials]
    assert states == [optuna.trial.TrialState.COMPLETE] * 2 + [optuna.trial.TrialState.PRUNED]
    pruned = study.trials[2]
    assert len(pruned.user_attrs["curve"]) < 60 and max(pruned.intermediate_values) < 3 * 60


def test_settings_of_a_study_cannot_change(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    tune(agent="q", trials=1, storage=url, study_name="s", **SMALL)
    with pytest.raises(ConfigError, match="was made with episodes=30"):
        tune(agent="q", trials=2, storage=url, study_name="s", **{**SMALL, "episodes": 40})


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"storage": "study.db"}, "database URL"),
        ({"storage": None, "jobs": 2}, "jobs > 1 needs a database"),
        ({"storage": None, "trials": 0}, "trials must be"),
        ({"storage": None, "env": "NoSuchEnv-v0"}, "cannot make environment"),
        ({"storage": None, "agent": "nope"}, "unknown agent kind"),
    ],
)
def test_bad_arguments(kwargs, words):
    args = {"agent": "ps", "trials": 1, **SMALL, **kwargs}
    with pytest.raises(ConfigError, match=words):
        tune(**args)


def test_two_jobs_finish_the_study(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    result = tune(agent="ps-fast", trials=5, storage=url, jobs=2, **SMALL)
    study = optuna.load_study(study_name=result.study_name, storage=url)
    assert result.finished == 5 and len(study.trials) == 5
    assert all(t.state.is_finished() and t.state != optuna.trial.TrialState.FAIL for t in study.trials)


CHILD = """
import sys
from ps_graph.tuning import tune
tune("FrozenLake-v1", "ps", trials=6, storage=sys.argv[1], study_name="r", episodes=400, seeds=3,
     env_kwargs={"is_slippery": False}, max_steps=100, heartbeat=1)
"""


def test_a_killed_study_resumes_without_losing_trials(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    child = subprocess.Popen([sys.executable, "-c", CHILD, url], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        finished = []
        while time.monotonic() < deadline and child.poll() is None:
            try:
                trials = optuna.load_study(study_name="r", storage=url).trials
            except KeyError:  # the study is not created yet
                trials = []
            finished = [t for t in trials if t.state in done]
            running = [t for t in trials if t.state == optuna.trial.TrialState.RUNNING]
            if len(finished) >= 2 and running:  # kill inside a trial, never in the gap between two
                time.sleep(0.3)  # after its first heartbeat
                break
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL, child.stderr.read().decode() if child.stderr else ""
    before = _trials(optuna.load_study(study_name="r", storage=url), done)
    assert 2 <= len(before) < 6
    optuna.load_study(study_name="r", storage=open_storage(url, None)).ask()  # a trial left running, no heartbeat
    time.sleep(3.2)  # the killed trial's grace period (2 heartbeats of 1 s) passes
    result = tune("FrozenLake-v1", "ps", trials=6, storage=url, study_name="r", episodes=400, seeds=3,
                  env_kwargs={"is_slippery": False}, max_steps=100, heartbeat=1)  # fmt: skip
    study = optuna.load_study(study_name="r", storage=url)
    after = _trials(study, done)
    assert result.finished == 6 and len(after) == 6
    assert after[: len(before)] == before  # the finished trials are all there, unchanged
    left = [t.state for t in study.trials if t.state not in done]
    assert sorted(left) == [optuna.trial.TrialState.RUNNING, optuna.trial.TrialState.FAIL]  # neither counts
    killed = next(t for t in study.trials if t.state == optuna.trial.TrialState.FAIL)
    retried = [t for t in after if t[0] > killed.number and t[2] == killed.params]
    assert killed.params and retried  # the killed trial became FAIL (stale heartbeat) and ran again


COURSE = {"eta_glow_damping": 0.04}  # the course's PS exercise: eta 0.04, gamma 0 (the PS default)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tuning_beats_the_course_setting_on_frozenlake(seed):
    budget = {**FL, "episodes": 150, "seeds": 3, "seed": seed}
    course = evaluate(agent="ps", params=COURSE, **budget)
    found = tune(agent="ps", trials=15, storage=None, **budget)
    assert found.best_value >= course.value + 0.1, (found, course.value)


def test_without_optuna_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # import optuna now raises ImportError
    with pytest.raises(ConfigError, match=r'pip install "ps_graph\[tune\]"'):
        tune(agent="ps", trials=1, storage=None, **SMALL)
