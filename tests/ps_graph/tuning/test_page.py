"""The results page of a study (ps_graph.tuning.page), on studies built in memory with create_trial."""

from __future__ import annotations

import re

import pytest

optuna = pytest.importorskip("optuna")
pytest.importorskip("matplotlib")

from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution  # noqa: E402
from optuna.trial import TrialState, create_trial  # noqa: E402

from ps_graph.errors import ConfigError, PSGraphError  # noqa: E402
from ps_graph.tuning.page import tuning_page, write_tuning_page  # noqa: E402

SPACE = {
    "eta_glow_damping": FloatDistribution(0.0, 1.0),
    "beta": IntDistribution(1, 5),
    "policy": CategoricalDistribution(["softmax", "standard"]),
}
ATTRS = {
    "env": "FrozenLake-v1",
    "env_kwargs": {"is_slippery": False},
    "agent": "ps",
    "episodes": 30,
    "seeds": [0, 1, 2],
    "objective": "mean return over all training episodes, averaged over the seeds",
    "space": {"eta_glow_damping": "float in [0, 1]", "beta": "int in [1, 5]", "policy": "softmax or standard"},
}


def _value(params: dict) -> float:
    penalty = 0.05 * params.get("beta", 1) + 0.2 * (params.get("policy") == "standard")
    return 1.0 - abs(params["eta_glow_damping"] - 0.04) - penalty


def _study(settings=(), *, direction="maximize", attrs=ATTRS, space=SPACE):
    """A study holding one completed trial per ``settings`` entry (values from :func:`_value`)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=direction, storage=optuna.storages.InMemoryStorage(), study_name="t")
    for name, value in attrs.items():
        study.set_user_attr(name, value)
    for params in settings:
        params = {name: params[name] for name in space}
        value = _value(params)
        curve = [value * k / 29 for k in range(30)]
        distributions = {name: space[name] for name in params}
        study.add_trial(
            create_trial(params=params, distributions=distributions, value=value, user_attrs={"curve": curve})
        )
    return study


SETTINGS = [
    {"eta_glow_damping": eta, "beta": beta, "policy": policy}
    for eta, beta, policy in [
        (0.9, 5, "standard"),
        (0.04, 1, "softmax"),
        (0.5, 2, "standard"),
        (0.2, 3, "softmax"),
        (0.7, 1, "softmax"),
        (0.1, 4, "standard"),
        (0.3, 2, "softmax"),
    ]
]


@pytest.fixture
def study():
    study = _study(SETTINGS)
    params = {"eta_glow_damping": 0.6, "beta": 3, "policy": "softmax"}
    study.add_trial(
        create_trial(
            params=params,
            distributions=SPACE,
            state=TrialState.PRUNED,
            intermediate_values={9: 0.1},
            user_attrs={"curve": [0.1] * 10},
        )
    )
    study.add_trial(create_trial(state=TrialState.FAIL))
    return study


def _write(study, tmp_path, **kwargs) -> str:
    return write_tuning_page(study, tmp_path / "tuning.html", **kwargs).read_text(encoding="utf-8")


def test_page_shows_what_was_tuned_the_best_settings_and_the_top_trials(study, tmp_path):
    text = _write(study, tmp_path, top=3)
    assert "<title>Tuning ps on FrozenLake-v1: t</title>" in text
    assert "<tr><th>env_kwargs</th><td>{&quot;is_slippery&quot;: false}</td></tr>" in text
    assert "<tr><th>seeds</th><td>[0, 1, 2]</td></tr>" in text
    assert ATTRS["objective"] in text
    assert "<tr><th>beta</th><td>int in [1, 5]</td></tr>" in text
    best = max(SETTINGS, key=_value)
    best_section = text.split("<h2>Best settings</h2>")[1].split("</table>")[0]
    assert f"<tr><th>value</th><td>{_value(best):.5g}</td></tr>" in best_section
    assert "<tr><th>eta_glow_damping</th><td>0.04</td></tr>" in best_section
    assert "<tr><th>policy</th><td>softmax</td></tr>" in best_section
    top = text.split("<h3>Top 3 trials</h3>")[1].split("</table>")[0]
    assert top.count("<tr>") == 4  # header + 3 trials
    assert re.search(r'<tr><td class="num">1</td><td class="num">1</td>', top)  # rank 1 is trial 1


def test_page_counts_the_trials_by_state(study, tmp_path):
    page = tuning_page(study)
    assert dict(page.counts) == {"complete": 7, "pruned": 1, "fail": 1, "running": 0, "waiting": 0}
    text = _write(study, tmp_path)
    assert "<th>complete</th><th>pruned</th><th>fail</th><th>running</th>" in text
    all_trials = text.split("<h2>All trials</h2>")[1]
    assert all_trials.count("<tr>") == 1 + 9
    assert "<td>pruned</td>" in all_trials and "<td>fail</td>" in all_trials


def test_importances_of_a_multi_parameter_study(study, tmp_path):
    page = tuning_page(study)
    assert sorted(name for name, _ in page.importance) == ["beta", "eta_glow_damping", "policy"]
    assert abs(sum(float(share) for _, share in page.importance) - 1.0) < 0.01
    assert page.importance_png
    text = _write(study, tmp_path)
    assert 'alt="parameter importances"' in text
    assert "over 7 completed trials" in text


@pytest.mark.parametrize(
    ("settings", "space", "says"),
    [
        (SETTINGS[:1], SPACE, "Importances need at least 2 completed trials; this study has 1."),
        (SETTINGS, {"eta_glow_damping": SPACE["eta_glow_damping"]}, "Only one parameter was tuned (eta_glow_damping)"),
    ],
)
def test_importances_fall_back_to_a_sentence(settings, space, says, tmp_path):
    study = _study(settings, space=space)
    page = tuning_page(study)
    assert page.importance == [] and page.importance_png == ""
    assert says in page.importance_note
    text = _write(study, tmp_path)
    assert says in text and 'alt="parameter importances"' not in text


def test_no_completed_trial_gives_a_note_not_a_crash(tmp_path):
    study = _study()
    study.add_trial(create_trial(state=TrialState.FAIL))
    text = _write(study, tmp_path)
    assert "No trial has completed yet" in text
    assert "<h2>Best settings</h2>" not in text
    assert _write(_study(), tmp_path).count("<tr>") > 0  # an empty study too


def test_learning_curves_of_the_top_trials(study, tmp_path):
    page = tuning_page(study, top=2, window=5)
    assert page.curves_png
    assert "trailing mean of 5 episodes; the 2 best completed trials" in page.curves_note
    assert 'alt="learning curves of the top trials"' in _write(study, tmp_path)


def test_a_study_not_made_by_ps_graph_still_gets_a_page():
    study = optuna.create_study(storage=optuna.storages.InMemoryStorage(), direction="maximize")
    study.add_trial(create_trial(params={"x": 1.0}, distributions={"x": FloatDistribution(0, 2)}, value=1.0))
    page = tuning_page(study)
    assert page.curves_png == "" and "No learning curve was recorded" in page.curves_note
    assert ("agent", "(not recorded)") in page.tuned
    assert page.space == [("x", repr(FloatDistribution(0, 2)))]  # from the trials' distributions


def test_minimize_ranks_the_lowest_value_first():
    study = _study(SETTINGS, direction="minimize")
    page = tuning_page(study)
    worst = min(SETTINGS, key=_value)
    assert ("value", f"{_value(worst):.5g}") == page.best[0]


def test_same_study_gives_the_same_bytes(study, tmp_path):
    first = write_tuning_page(study, tmp_path / "a.html").read_bytes()
    second = write_tuning_page(study, tmp_path / "b.html").read_bytes()
    assert first == second


def test_page_is_self_contained_and_escaped(tmp_path):
    attrs = {**ATTRS, "objective": '<script src="https://cdn.example/x.js"></script>'}
    text = _write(_study(SETTINGS, attrs=attrs), tmp_path)
    assert "<script" not in text and "&lt;script" in text
    for tag in re.findall(r"<[^>]+>", text):  # no tag loads or links anything from outside
        assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", tag), tag
    assert re.findall(r'src="([a-z]+):', text) == ["data"] * 3  # importances, objective, curves


def test_write_is_atomic(study, tmp_path, monkeypatch):
    import ps_graph.files

    path = tmp_path / "tuning.html"
    path.write_text("old page", encoding="utf-8")
    monkeypatch.setattr(ps_graph.files.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        write_tuning_page(study, path)
    assert path.read_text(encoding="utf-8") == "old page"
    assert [p.name for p in tmp_path.iterdir()] == ["tuning.html"]  # no temporary file left
    monkeypatch.undo()
    assert write_tuning_page(study, path) == path and "<!DOCTYPE html>" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("study_of", "path_of", "kwargs", "match"),
    [
        (lambda s: {"best": 1}, lambda tmp: tmp / "t.html", {}, "study must be an optuna.Study"),
        (lambda s: s, lambda tmp: tmp / "missing" / "t.html", {}, "folder that does not exist"),
        (lambda s: s, lambda tmp: tmp, {}, "is a folder"),
        (lambda s: s, lambda tmp: 3, {}, "path must be a file path"),
        (lambda s: s, lambda tmp: tmp / "t.html", {"top": 0}, "top must be"),
        (lambda s: s, lambda tmp: tmp / "t.html", {"window": 0}, "window must be"),
    ],
)
def test_bad_input_raises_a_clear_error(study, tmp_path, study_of, path_of, kwargs, match):
    with pytest.raises(ConfigError, match=match) as err:
        write_tuning_page(study_of(study), path_of(tmp_path), **kwargs)
    assert isinstance(err.value, PSGraphError)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_multi_objective_study_is_refused(tmp_path):
    study = optuna.create_study(directions=["maximize", "minimize"], storage=optuna.storages.InMemoryStorage())
    with pytest.raises(ConfigError, match="single-objective"):
        write_tuning_page(study, tmp_path / "t.html")
