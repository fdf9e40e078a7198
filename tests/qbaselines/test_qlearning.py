"""Tabular Q-learning and SARSA: hand-computed updates, bootstrapping, exploration, bad input."""

import dataclasses
import json

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import ps_graph
from ps_graph import ConfigError, RewardError, UnsupportedSpaceError
from ps_graph.errors import FileFormatError
from ps_graph.experiments import AgentSpec, EnvSpec, expand
from ps_graph.experiments.single import validate
from qbaselines import BatchedQLearning, DQNConfig, QLearningAgent, QLearningConfig, td_target, td_update
from qbaselines.qconfig import MAX_DECAY_EPISODES
from qbaselines.qlearning import RENAMED
from qbaselines.schedules import exponential_schedule, linear_schedule


def test_td_math_by_hand():
    assert td_target(1.0, 3.0, 0.9, False) == pytest.approx(3.7)
    assert td_target(1.0, 3.0, 0.9, True) == pytest.approx(1.0)
    assert td_update(2.0, 3.7, 0.5) == pytest.approx(2.85)
    np.testing.assert_allclose(
        td_target(np.array([1.0, 1.0]), np.array([2.0, 2.0]), 0.5, np.array([0.0, 1.0])), [2.0, 1.0]
    )


def greedy_agent(**kw):
    """epsilon 0, constant: always greedy (random tie-breaking between equal values)."""
    return QLearningAgent(
        2, spaces.Discrete(3), exploration_initial_eps=0.0, exploration_schedule="constant", seed=0, **kw
    )


def test_hand_computed_3x2_q_learning_sequence():
    agent = greedy_agent(learning_rate=0.5, gamma=0.9)
    q = lambda s: agent.q_table([s])[0]
    agent._pending = (0, 1)
    agent.observe(1.0, 1, False, False)  # Q(0,1) = 0 + 0.5 (1 + 0.9 * 0 - 0) = 0.5
    np.testing.assert_allclose(q(0), [0.0, 0.5])
    agent._pending = (1, 0)
    agent.observe(2.0, 0, False, False)  # Q(1,0) = 0.5 (2 + 0.9 * 0.5) = 1.225
    np.testing.assert_allclose(q(1), [1.225, 0.0])
    agent._pending = (2, 1)
    agent.observe(0.0, 1, False, True)  # truncated: bootstraps, Q(2,1) = 0.5 * 0.9 * 1.225
    np.testing.assert_allclose(q(2), [0.0, 0.55125])
    agent._pending = (0, 1)
    agent.observe(0.0, 2, True, False)  # terminated: no bootstrap, Q(0,1) = 0.5 + 0.5 (0 - 0.5)
    np.testing.assert_allclose(q(0), [0.0, 0.25])
    assert agent.episode == 2  # truncated and terminated both ended an episode
    assert agent.act(1, explore=False) == 0 and agent.act(2, explore=False) == 1


def test_sarsa_uses_the_action_it_will_take():
    agent = greedy_agent(learning_rate=1.0, gamma=0.5, sarsa=True)
    agent.q[1] = np.array([4.0, 2.0])
    agent.q[0] = np.array([0.0, 0.0])
    a = agent.act(0)
    agent.observe(1.0, 1, False, False)  # greedy next action is 0 -> target 1 + 0.5 * 4
    assert agent.q[0][a] == pytest.approx(3.0)
    assert agent.act(1) == 0  # the pre-chosen next action is the one taken


def test_sarsa_differs_from_q_learning_under_exploration():
    agent = QLearningAgent(
        2,
        spaces.Discrete(2),
        learning_rate=1.0,
        gamma=1.0,
        sarsa=True,
        exploration_initial_eps=1.0,
        exploration_schedule="constant",
        seed=1,
    )
    agent.q[1] = np.array([10.0, 0.0])
    targets = set()
    for _ in range(20):
        agent.q[0] = np.array([0.0, 0.0])
        a = agent.act(0)
        agent.observe(0.0, 1, False, False)
        targets.add(agent.q[0][a])
        agent._next = None
    assert targets == {0.0, 10.0}  # Q-learning would always give 10


def test_epsilon_schedules():
    agent = QLearningAgent(
        2,
        spaces.Discrete(1),
        exploration_initial_eps=1.0,
        exploration_final_eps=0.1,
        exploration_decay_episodes=10,
        exploration_schedule="linear",
    )
    assert agent.epsilon == 1.0
    agent.episode = 5
    assert agent.epsilon == pytest.approx(0.55)
    agent.episode = 50
    assert agent.epsilon == pytest.approx(0.1)
    assert linear_schedule(1.0, 0.0, 4)(1) == pytest.approx(0.75)
    assert exponential_schedule(1.0, 0.1, 2.0)(2.0) == pytest.approx(0.1 + 0.9 / np.e)
    assert exponential_schedule(1.0, 0.1, 0)(3) == 0.1


def test_noisy_argmax_noise_shrinks_with_episodes():
    agent = QLearningAgent(2, spaces.Discrete(1), exploration="noisy_argmax", seed=0)
    agent.q[0] = np.array([0.0, 0.05])
    picks_early = [agent._explore(agent.q[0]) for _ in range(400)]
    agent.episode = 999
    picks_late = [agent._explore(agent.q[0]) for _ in range(400)]
    assert 0.2 < np.mean(picks_early) < 0.8
    assert np.mean(picks_late) == 1.0


@pytest.mark.parametrize("kw", [dict(), dict(sarsa=True), dict(exploration="noisy_argmax")])
def test_deterministic_given_seed(kw):
    def run(seed):
        env = gym.make("FrozenLake-v1", is_slippery=True)
        agent = QLearningAgent.for_env(env, seed=seed, **kw)
        return ps_graph.train(agent, env, episodes=150, seed=seed)

    np.testing.assert_array_equal(run(3).lengths, run(3).lengths)
    assert not np.array_equal(run(3).lengths, run(4).lengths)


def test_greedy_act_changes_nothing():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = QLearningAgent.for_env(env, seed=0)
    ps_graph.train(agent, env, episodes=20, seed=0)
    table = {k: v.copy() for k, v in agent.q.items()}
    state = agent.rng.bit_generator.state
    ps_graph.evaluate(agent, env, episodes=3)
    assert agent.act(15, explore=False) == 0
    assert set(agent.q) == set(table) and all(np.array_equal(agent.q[k], table[k]) for k in table)
    assert agent.rng.bit_generator.state == state


def test_bad_input():
    with pytest.raises(ConfigError, match="learning_rate must be a finite number in \\(0.0, 1.0\\]"):
        QLearningConfig(learning_rate=0)
    with pytest.raises(ConfigError, match="gamma"):
        QLearningConfig(gamma=1.2)
    with pytest.raises(ConfigError, match="exploration must be one of"):
        QLearningConfig(exploration="boltzmann")
    with pytest.raises(ConfigError, match="exploration_schedule"):
        QLearningConfig(exploration_schedule="cosine")
    with pytest.raises(ConfigError, match="sarsa must be True or False"):
        QLearningConfig(sarsa="yes")
    with pytest.raises(ConfigError, match="unknown Q-learning hyperparameter"):
        QLearningAgent(2, spaces.Discrete(2), alpha=0.1)
    with pytest.raises(UnsupportedSpaceError, match="DiscretizeObservation"):
        QLearningAgent.for_env(gym.make("CartPole-v1"))
    agent = QLearningAgent(2, spaces.Discrete(2), seed=0)
    agent.act(0)
    with pytest.raises(RewardError):
        agent.observe(float("inf"), 1, False, False)
    assert not agent.q[0].any()


@pytest.mark.parametrize("old, new", sorted(RENAMED.items()))
@pytest.mark.parametrize(
    "make",
    [lambda **kw: QLearningAgent(2, spaces.Discrete(2), **kw), lambda **kw: BatchedQLearning(2, 2, 3, **kw)],
    ids=["agent", "batched"],
)
def test_old_exploration_names_say_the_new_ones(make, old, new):
    """Q-learning uses DQN's (Stable-Baselines3's) exploration names; the old ones are refused by name."""
    with pytest.raises(ConfigError, match=f"'{old}' was renamed to '{new}'"):
        make(**{old: 0.5})
    assert new in fields_of(QLearningConfig)
    assert new in fields_of(DQNConfig) or new == "exploration_decay_episodes"  # DQN's schedule runs over env steps


def fields_of(cls):
    return [f.name for f in dataclasses.fields(cls)]


# ---------------------------------------------------------------------- bounds (issue 12)
@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: QLearningConfig(**kw),
        lambda **kw: QLearningAgent(2, spaces.Discrete(2), **kw),
        lambda **kw: BatchedQLearning(2, 2, 3, **kw),
    ],
    ids=["config", "agent", "batched"],
)
def test_the_schedule_length_is_bounded(make):
    with pytest.raises(
        ConfigError, match=r"exploration_decay_episodes must be a finite number in \[0.0, 1000000000.0\]"
    ):
        make(exploration_decay_episodes=1e12)
    assert make(exploration_decay_episodes=MAX_DECAY_EPISODES) is not None


@pytest.mark.parametrize("actions", [2**70, 2**20 + 1, spaces.Discrete(2**40)], ids=["2**70", "2**20+1", "space"])
def test_too_many_actions_is_a_config_error(actions):
    with pytest.raises(ConfigError, match="<= 1048576"):
        QLearningAgent(actions, spaces.Discrete(3))


def test_validate_and_files_refuse_a_huge_schedule(tmp_path):
    specs = expand(
        AgentSpec("q", {"exploration_decay_episodes": 1e12}), EnvSpec("FrozenLake-v1"), runs=1, seed=0, episodes=5
    )
    with pytest.raises(ConfigError, match="exploration_decay_episodes must be"):
        validate(specs)
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = QLearningAgent.for_env(env, seed=0)
    ps_graph.train(agent, env, episodes=3, seed=0)
    path = agent.save(tmp_path / "q.json")
    data = json.loads(path.read_text())
    data["config"]["exploration_decay_episodes"] = 1e12
    path.write_text(json.dumps(data))
    with pytest.raises(FileFormatError, match="exploration_decay_episodes must be"):
        QLearningAgent.load(path)
