"""Search spaces: override text, errors, and default spaces that build every agent kind."""

import pytest

from ps_graph.errors import ConfigError
from ps_graph.experiments import AgentSpec, EnvSpec, RunSpec, make_env
from ps_graph.registry import agent_kind
from ps_graph.tuning import Param, default_space, make_space, parse_param
from ps_graph.tuning.space import sample, space_text

optuna = pytest.importorskip("optuna")


@pytest.mark.parametrize(
    ("text", "name", "param"),
    [
        ("eta_glow_damping=log:0.001:1", "eta_glow_damping", Param("log", 0.001, 1.0)),
        ("gamma=float:0.5:0.99", "gamma", Param("float", 0.5, 0.99)),
        ("batch_size=int:16:128", "batch_size", Param("int", 16.0, 128.0)),
        ("policy=choice:standard,softmax", "policy", Param("choice", choices=("standard", "softmax"))),
        ("gamma_damping=choice:0,1e-4", "gamma_damping", Param("choice", choices=(0, 1e-4))),
        ("policy=softmax", "policy", Param("fixed", value="softmax")),
        ("eta_glow_damping=0.04", "eta_glow_damping", Param("fixed", value=0.04)),
        ("net_arch=[32, 32]", "net_arch", Param("fixed", value=[32, 32])),
        ("sarsa=fixed:true", "sarsa", Param("fixed", value=True)),
        ("device=cuda:0", "device", Param("fixed", value="cuda:0")),
    ],
)
def test_parse_param(text, name, param):
    assert parse_param(text) == (name, param)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("eta_glow_damping", "expected name=log:LO:HI"),
        ("=log:0.1:1", "expected name=log:LO:HI"),
        ("eta_glow_damping=log:0:1", "0 < LO < HI"),
        ("eta_glow_damping=log:1:0.1", "LO < HI"),
        ("eta_glow_damping=float:0.5:0.5", "LO < HI"),
        ("eta_glow_damping=float:a:b", "two numbers"),
        ("eta_glow_damping=float:0.1", "two numbers"),
        ("votes=int:1.5:3", "whole numbers"),
        ("policy=choice:", "non-empty"),
        ("policy=choice:a,,b", "non-empty"),
    ],
)
def test_parse_param_errors(text, words):
    with pytest.raises(ConfigError, match=words):
        parse_param(text)


def test_param_checks_its_own_fields():
    with pytest.raises(ConfigError, match="kind must be one of"):
        Param("uniform", 0.0, 1.0)
    with pytest.raises(ConfigError, match="at least one choice"):
        Param("choice", choices=())
    with pytest.raises(ConfigError, match="numbers, strings"):
        Param("choice", choices=([1], 2))


def test_make_space_overrides_fixes_and_drops_conditionals():
    space = make_space("ps", {"eta_glow_damping": Param("float", 0.01, 0.1), "policy": "standard"})
    assert space["eta_glow_damping"] == Param("float", 0.01, 0.1)
    assert space["policy"] == Param("fixed", value="standard")
    assert "beta_softmax" not in space  # only sampled with the softmax policy
    assert "beta_softmax" in make_space("ps", ["policy=choice:softmax,standard"])
    assert "beta_softmax" not in make_space("ps", ["policy=choice:standard"])
    fixed = make_space("q", None, fixed={"gamma": 0.9})
    assert fixed["gamma"].value == 0.9 and fixed["learning_rate"] == default_space("q")["learning_rate"]


def test_make_space_errors():
    with pytest.raises(ConfigError, match="did you mean 'eta_glow_damping'"):
        make_space("ps", ["eta_glow_dampin=log:0.01:1"])
    with pytest.raises(ConfigError, match="no hyperparameter 'seed'"):
        make_space("q", fixed={"seed": 3})
    every = {name: 1 for name in default_space("q")}
    with pytest.raises(ConfigError, match="varies nothing"):
        make_space("q", fixed=every)


def test_space_text_is_override_text():
    for kind in ("ps", "q", "dqn"):
        for name, text in space_text(default_space(kind)).items():
            assert parse_param(f"{name}={text.split(' if ')[0]}")[1].text() == text.split(" if ")[0]


ENVS = {"ps": "FrozenLake-v1", "ps-fast": "FrozenLake-v1", "q": "FrozenLake-v1", "dqn": "CartPole-v1"}


@pytest.mark.parametrize("kind", list(ENVS))
def test_default_spaces_sample_valid_agents(kind):
    if kind == "dqn":
        pytest.importorskip("torch")
    space = make_space(kind)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    env = make_env(EnvSpec(ENVS[kind]))
    build = agent_kind(kind).builder()
    seen = set()
    for _ in range(8):
        params = sample(space, study.ask())
        assert set(params) <= set(space)
        seen |= set(params)
        build(env, RunSpec(AgentSpec(kind, params), EnvSpec(ENVS[kind]), run=0, seed=0, episodes=1))
    env.close()
    assert {n for n, p in space.items() if p.when is None} <= seen
