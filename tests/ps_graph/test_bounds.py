"""Every count-like PS hyperparameter has a documented upper bound (issue 12, reproducer 1),
checked when the config is built: by the constructors, by validate (so compare's --set), and on
load (a saved file edited to carry a huge value)."""

import json

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import ps_graph
from ps_graph import PSAgent, PSConfig, TwoLayerPS
from ps_graph.agent import MAX_H0, MAX_HOPS, MAX_REFLECTIONS
from ps_graph.batch import BatchedTwoLayerPS
from ps_graph.cli import main
from ps_graph.errors import ConfigError, FileFormatError
from ps_graph.experiments import AgentSpec, EnvSpec, expand
from ps_graph.experiments.single import validate
from ps_graph.percepts import MAX_ACTIONS, action_list, discrete_actions

TOO_BIG = {
    "num_reflections": (10**18, "num_reflections must be an integer >= 0 and <= 1000; got 1000000000000000000."),
    "max_hops": (10**18, "max_hops must be an integer >= 1 and <= 1000000; got 1000000000000000000."),
    "h0": (1e308, "h0 must be a finite number in (0.0, 1e+100]; got 1e+308."),
}


def lake():
    return gym.make("FrozenLake-v1", is_slippery=False)


@pytest.mark.parametrize("name", TOO_BIG)
@pytest.mark.parametrize(
    "build",
    [
        lambda **kw: PSConfig(**kw),
        lambda **kw: PSAgent.for_env(lake(), **kw),
        lambda **kw: TwoLayerPS.for_env(lake(), **kw),
        lambda **kw: BatchedTwoLayerPS(16, 4, 2, **kw),
    ],
    ids=["PSConfig", "PSAgent", "TwoLayerPS", "BatchedTwoLayerPS"],
)
def test_huge_settings_are_refused_at_construction(build, name):
    value, message = TOO_BIG[name]
    with pytest.raises(ConfigError) as err:
        build(**{name: value})
    assert str(err.value).startswith(message)


def test_the_bounds_themselves_are_allowed_and_documented():
    config = PSConfig(num_reflections=MAX_REFLECTIONS, max_hops=MAX_HOPS, h0=MAX_H0, h_floor=1.0)
    assert (config.num_reflections, config.max_hops, config.h0) == (1000, 1_000_000, 1e100)
    for documented in (
        "num_reflections : int in [0, 1000]",
        "max_hops : int in [1, 1000000]",
        "h0 : float in (0, 1e100]",
    ):
        assert documented in PSConfig.__doc__


def test_the_bounded_fields_are_stored_as_ints():
    config = PSConfig(num_reflections=np.int64(3), max_hops=np.int32(50))
    assert type(config.num_reflections) is int and type(config.max_hops) is int
    assert json.dumps(config.to_dict())


def test_reflections_at_the_bound_finish_an_episode_quickly():
    """The reproducer hung the first episode; at the bound (every pair negative) it finishes."""
    env = lake()
    agent = TwoLayerPS.for_env(env, num_reflections=MAX_REFLECTIONS, seed=0)
    result = ps_graph.train(agent, env, episodes=3, seed=0, max_steps=50)
    assert result.episodes == 3


# ---------------------------------------------------------------------- actions
@pytest.mark.parametrize("actions", [2**70, MAX_ACTIONS + 1, spaces.Discrete(2**40)], ids=["2**70", "2**20+1", "space"])
@pytest.mark.parametrize("cls", [PSAgent, TwoLayerPS])
def test_too_many_actions_is_a_config_error_not_an_overflow(cls, actions):
    with pytest.raises(
        ConfigError, match=r"must be an integer >= 1 and <= 1048576; got .* Give at most 1048576 \(2\*\*20\)"
    ):
        cls(actions)


def test_the_action_bound_itself_is_allowed():
    assert len(action_list(MAX_ACTIONS)) == MAX_ACTIONS == 2**20
    assert discrete_actions(spaces.Discrete(3, start=5)) == [5, 6, 7]


# ---------------------------------------------------------------------- validate, the command line, files
@pytest.mark.parametrize("kind", ["ps", "ps-fast"])
def test_validate_refuses_a_huge_setting_before_any_run(kind):
    spec = expand(AgentSpec(kind, {"num_reflections": 10**18}), EnvSpec("FrozenLake-v1"), runs=1, seed=0, episodes=5)
    with pytest.raises(ConfigError, match="num_reflections must be an integer >= 0 and <= 1000"):
        validate(spec)


@pytest.mark.parametrize("setting", ["ps.num_reflections=1000000000000000000", "ps.max_hops=1000000000000000000"])
def test_compare_set_refuses_a_huge_setting_in_one_line(setting, tmp_path, capsys):
    argv = ["compare", "--env", "FrozenLake-v1", "--agents", "ps", "--episodes", "5", "--set", setting]
    assert main([*argv, "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{setting.split('.')[1].split('=')[0]} must be an integer >= " in err


@pytest.mark.parametrize("cls", [PSAgent, TwoLayerPS])
@pytest.mark.parametrize("name", TOO_BIG)
def test_a_saved_file_edited_to_carry_a_huge_setting_is_refused(cls, name, tmp_path):
    env = lake()
    agent = cls.for_env(env, seed=0)
    ps_graph.train(agent, env, episodes=3, seed=0)
    path = ps_graph.save(agent, tmp_path / "agent.json")
    data = json.loads(path.read_text())
    data["config"][name] = TOO_BIG[name][0]
    path.write_text(json.dumps(data))
    with pytest.raises(FileFormatError, match=f"{name} must be"):
        ps_graph.load(path)


def test_an_ecm_built_directly_bounds_max_hops_too():
    from ps_graph import ECM
    from ps_graph.ecm import MAX_HOPS

    assert ECM(max_hops=MAX_HOPS).max_hops == MAX_HOPS
    with pytest.raises(ConfigError, match="max_hops"):
        ECM(max_hops=MAX_HOPS + 1)


def test_q_learning_files_honour_a_size_limit(tmp_path):
    from gymnasium import spaces

    from qbaselines import QLearningAgent

    agent = QLearningAgent(2, spaces.Discrete(3), seed=0)
    path = agent.save(tmp_path / "q.json")
    with pytest.raises(FileFormatError, match="10"):
        QLearningAgent.load(path, max_bytes=10)
    assert QLearningAgent.load(path, max_bytes=10**6).config == agent.config
