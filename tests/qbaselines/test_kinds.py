"""qbaselines' agent kinds in ps_graph's registry, and what ``import qbaselines`` loads."""

import subprocess
import sys

import gymnasium as gym
import pytest

from ps_graph import ConfigError
from ps_graph.experiments import AgentSpec, EnvSpec, RunSpec, make_env
from ps_graph.registry import agent_kind, kind_for_format, kinds
from qbaselines import DQNAgent, QLearningAgent
from tests.factories import modules_loaded_by


def spec(kind, **hyperparameters):
    return RunSpec(AgentSpec(kind, hyperparameters), EnvSpec("FrozenLake-v1"), run=0, seed=3, total_steps=50)


def test_the_entry_points_register_q_and_dqn():
    assert {"q", "dqn"} <= set(kinds())
    assert kind_for_format("qbaselines.QLearningAgent") == ["q"]
    assert kind_for_format("qbaselines.DQNAgent") == ["dqn"]
    assert agent_kind("q").checker() is None  # the runner validates by building one (cheap)


def test_the_builders_seed_from_the_spec_and_dqn_takes_the_step_budget():
    env = make_env(spec("q").env)
    q = agent_kind("q").builder()(env, spec("q", learning_rate=0.5))
    assert isinstance(q, QLearningAgent) and q.config.learning_rate == 0.5 and q.config.seed == spec("q").agent_seed
    dqn = agent_kind("dqn").builder()(env, spec("dqn", learning_starts=10))
    assert isinstance(dqn, DQNAgent) and dqn.config.total_timesteps == 50 and dqn.config.seed == spec("dqn").agent_seed
    with pytest.raises(ConfigError, match="'epsilon_final' was renamed to 'exploration_final_eps'"):
        agent_kind("q").builder()(env, spec("q", epsilon_final=0.1))


def test_check_dqn_validates_without_torch():
    code = (
        "import sys\nfrom ps_graph.registry import agent_kind\nfrom tests.qbaselines.test_kinds import spec\n"
        "from ps_graph.experiments import make_env\n"
        "agent_kind('dqn').checker()(make_env(spec('dqn').env), spec('dqn', gamma=0.9))\n"
        "try:\n    agent_kind('dqn').checker()(make_env(spec('dqn').env), spec('dqn', gama=0.9))\n"
        "except Exception as err:\n    print(type(err).__name__, err)\nprint('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("ConfigError unknown DQN hyperparameter(s) ['gama']") and out.endswith("False\n")


@pytest.mark.parametrize("kind", ["q", "dqn"])
def test_save_and_load_through_the_registry(kind, tmp_path):
    env = gym.make("FrozenLake-v1")
    agent = agent_kind(kind).builder()(env, spec(kind))
    agent.act(0)
    agent.observe(1.0, 1, False, False)
    path = agent_kind(kind).saver()(agent, tmp_path / "agent")
    load = agent_kind(kind).loader()
    twin = load(path) if kind == "q" else load(path, env)
    assert type(twin) is type(agent) and twin.config == agent.config
    assert [twin.act(0, explore=False) for _ in range(3)] == [agent.act(0, explore=False) for _ in range(3)]


def test_a_dqn_file_needs_the_env_to_load(tmp_path):
    with pytest.raises(ConfigError, match="holds no action or observation space"):
        agent_kind("dqn").loader()(tmp_path / "agent.pt")


def test_import_qbaselines_loads_neither_torch_nor_the_orchestration():
    heavy = (
        "m in ('torch', 'qbaselines.dqn') or m.split('.')[:2] in "
        "(['ps_graph', 'experiments'], ['ps_graph', 'report'], ['ps_graph', 'cli'], ['ps_graph', 'inspection'], "
        "['ps_graph', 'registry'])"
    )
    assert modules_loaded_by("import qbaselines", heavy) == []
