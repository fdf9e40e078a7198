"""Files written before issue 11's restructuring (format version 2, commit cca24ea) still load.

``tests/fixtures/format_v2`` holds one saved agent of every kind and, next to each, the facts
the agent that wrote it answered (see ``make_fixtures.py`` there). Today's code must load each
file and answer the same, exactly: greedy actions, h-values and action probabilities, the
actions of an exploring continuation on a seeded env (so the rng and the lazy store came back
too), and for Q-learning the config under today's names. Fields that later format versions
added take their defaults (version 4: ``votes`` 1, ``percepts`` "whole", no priming).
"""

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import ps_graph
import ps_graph.envs
from ps_graph.keys import encode_key
from tests.fixtures.format_v2.make_fixtures import play  # the steps that wrote the facts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "format_v2"
DRIVER = dict(id="ps_graph/DriverGame-v0", num_directions=3, num_colours=4)
SLIPPERY = dict(id="FrozenLake-v1", is_slippery=True)


def facts(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.facts.json").read_text())


@pytest.mark.parametrize(
    "name, cls, env, seed",
    [
        ("ps_agent", ps_graph.PSAgent, SLIPPERY, 99),
        ("two_layer_reflections", ps_graph.TwoLayerPS, SLIPPERY, 99),
        ("ps_generalization", ps_graph.PSAgent, DRIVER, 7),
    ],
)
def test_ps_agent_files_load_and_answer_as_before(name, cls, env, seed):
    expected = facts(name)
    agent = ps_graph.load(FIXTURES / f"{name}.json")
    assert type(agent) is cls and type(agent).__name__ == expected["agent"]
    # fields later versions added take their defaults (format version 4: votes, percepts, priming)
    assert (agent.config.votes, agent.config.percepts, agent.priming) == (1, "whole", {})
    observations = [tuple(o) if isinstance(o, list) else o for o in expected["observations"]]
    assert observations
    assert [agent.greedy_action(o) for o in observations] == expected["greedy"]
    assert [[[encode_key(t), h] for t, h in agent.h_values(o).items()] for o in observations] == expected["h"]
    assert [[[a, p] for a, p in agent.action_probabilities(o).items()] for o in observations] == expected[
        "probabilities"
    ]
    if "growth" in expected:
        assert json.loads(json.dumps(agent.growth.to_json())) == expected["growth"]
        assert agent.growth.num_hidden == expected["num_hidden"] > 0
    assert play(agent, gym.make(**env), seed, len(expected["continuation"])) == expected["continuation"]


def test_q_learning_file_loads_with_todays_config_names():
    from qbaselines import QLearningAgent
    from qbaselines.qlearning import RENAMED  # old config field name -> today's

    expected = facts("q_agent")
    agent = QLearningAgent.load(FIXTURES / "q_agent.json")
    assert agent.config.to_dict() == {RENAMED.get(k, k): v for k, v in expected["config"].items()}
    assert agent.episode == expected["episode"] and agent.epsilon == expected["epsilon"]
    assert agent.q_table(expected["observations"]).tolist() == expected["q"]
    assert [agent.act(s, explore=False) for s in expected["observations"]] == expected["greedy"]
    assert play(agent, gym.make(**SLIPPERY), 99, len(expected["continuation"])) == expected["continuation"]


def test_dqn_file_loads():
    pytest.importorskip("torch")
    from qbaselines import DQNAgent

    expected = facts("dqn_agent")
    agent = DQNAgent.load(FIXTURES / "dqn_agent.pt", gym.make("FrozenLake-v1", is_slippery=False))
    assert (agent.num_timesteps, agent.num_updates) == (expected["num_timesteps"], expected["num_updates"])
    assert [int(agent.act(s, explore=False)) for s in expected["observations"]] == expected["greedy"]
    np.testing.assert_allclose([agent.q_values(s) for s in expected["observations"]], expected["q"], rtol=1e-6)
