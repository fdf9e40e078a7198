"""Early stopping (ps_graph.stopping) in every loop: train, train_batch, train_multi, run_spec."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import ps_graph
from ps_graph.batch_train import train_batch
from ps_graph.errors import ConfigError
from ps_graph.multi import train_multi
from ps_graph.stopping import STOP, StopTraining, StopWhenMeanReturn
from ps_graph.tabular import TabularMDP


class Counting(gym.Env):
    """One-step episodes; episode e (from 1) pays e - 1, so the returns are 0, 1, 2, ..."""

    observation_space = spaces.Discrete(1)
    action_space = spaces.Discrete(1)

    def __init__(self) -> None:
        self.resets = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.resets += 1
        return 0, {}

    def step(self, action):
        return 0, float(self.resets - 1), True, False, {}


class Idle:
    def act(self, observation, explore=True):
        return 0

    def observe(self, reward, next_observation, terminated, truncated):
        pass


def test_train_stops_where_the_mean_return_rule_says():
    # last 3 returns after episode e: e-3, e-2, e-1, mean e-2 >= 2 first at e = 4
    result = ps_graph.train(Idle(), Counting(), 20, callback=StopWhenMeanReturn(last=3, at_least=2.0))
    assert result.returns.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert result.lengths.tolist() == [1, 1, 1, 1] and result.terminated.tolist() == [True] * 4
    assert result.stopped == "the mean return over the last 3 episodes reached 2"


def test_train_stops_by_return_value_and_by_exception():
    by_value = ps_graph.train(Idle(), Counting(), 20, callback=lambda episode, agent: STOP if episode == 5 else None)
    assert by_value.returns.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0] and "STOP after episode 5" in by_value.stopped
    assert ps_graph.train(Idle(), Counting(), 20, callback=lambda e, a: e == 2).episodes == 2  # True stops too

    def raising(episode, agent):
        if episode == 3:
            raise StopTraining("enough")

    by_raise = ps_graph.train(Idle(), Counting(), total_steps=50, callback=raising)
    assert by_raise.episodes == 3 and by_raise.stopped == "enough"


def test_train_goes_on_for_other_return_values_and_reports_no_stop():
    result = ps_graph.train(Idle(), Counting(), 6, callback=lambda e, a: [e])  # truthy, but not a stop signal
    assert result.episodes == 6 and result.stopped is None


# ---------------------------------------------------------------------- train_batch
ONE_STEP = TabularMDP(1, 2, [[[1.0], [1.0]]], [[[0], [0]]], [[[0.0], [1.0]]], [[[True], [True]]], [1.0])


class Waking:
    """K agents on ONE_STEP: agent k takes the paying action 1 from its episode 2 + k on."""

    num_agents = 2

    def __init__(self) -> None:
        self.episode = np.zeros(self.num_agents, np.int64)

    def act(self, states, mask=None):
        return (self.episode >= 2 + np.arange(self.num_agents)).astype(np.int64)

    def observe(self, rewards, next_states, terminated, truncated, mask=None):
        self.episode += 1


def test_train_batch_stops_when_every_agent_meets_the_rule():
    # returns: agent 0 0,0,1,1,...; agent 1 0,0,0,1,1,... The last 2 average 1 at episode 4 for
    # agent 0, at episode 5 for agent 1: the run stops after the 5th lockstep iteration.
    result = train_batch(Waking(), ONE_STEP, 30, seed=0, callback=StopWhenMeanReturn(last=2, at_least=1.0))
    assert result.counts.tolist() == [5, 5]
    assert result.returns.tolist() == [[0, 0, 1, 1, 1], [0, 0, 0, 1, 1]]
    assert result.stopped is not None and [r.episodes for r in result.runs()] == [5, 5]


def test_train_batch_stops_by_return_value_and_by_exception():
    seen = []

    def on_finish(log, agent):
        seen.append(log.counts.tolist())
        return STOP if log.counts.min() == 3 else None

    result = train_batch(Waking(), ONE_STEP, total_steps=100, seed=0, callback=on_finish)
    assert seen == [[1, 1], [2, 2], [3, 3]] and result.counts.tolist() == [3, 3]
    assert result.lengths.sum() == 6

    def raising(log, agent):
        raise StopTraining("first")

    result = train_batch(Waking(), ONE_STEP, 10, seed=0, callback=raising)
    assert result.counts.tolist() == [1, 1] and result.stopped == "first" and result.returns.shape == (2, 1)


def test_train_batch_without_a_stop_keeps_its_shape():
    result = train_batch(Waking(), ONE_STEP, 4, seed=0, callback=lambda log, agent: None)
    assert result.counts is None and result.returns.shape == (2, 4) and result.stopped is None


def test_the_compiled_loops_stop_between_chunks():
    from qbaselines import BatchedQLearning

    mdp = ps_graph.tabular.from_id("FrozenLake-v1", is_slippery=False)
    q = BatchedQLearning.for_mdp(mdp, 4, learning_rate=0.8, gamma=0.9, exploration="noisy_argmax", seed=0)
    rule = StopWhenMeanReturn(last=50, at_least=0.9)
    result = train_batch(q, mdp, 100_000, seed=0, max_steps=99, callback=rule)
    assert result.stopped == rule.reason() and int(result.counts.max()) < 100_000
    assert all(run.returns[-50:].mean() >= 0.9 for run in result.runs())

    ps = ps_graph.BatchedTwoLayerPS.for_mdp(mdp, 2, seed=0)
    result = train_batch(ps, mdp, total_steps=2**20, seed=0, max_steps=99, callback=lambda log, agent: STOP)
    assert result.stopped is not None and (result.lengths.sum(axis=1) < 2**20).all()


# ---------------------------------------------------------------------- train_multi
def _locusts():
    from ps_graph.envs.locusts import Locusts

    env = Locusts(num_agents=3, world_size=20, sensory_range=3)
    agents = {n: ps_graph.TwoLayerPS(2, env.observation_space(n), seed=i) for i, n in enumerate(env.possible_agents)}
    return agents, env


def test_train_multi_stops_by_return_value_exception_and_rule():
    agents, env = _locusts()
    result = train_multi(agents, env, 10, seed=0, callback=lambda episode, agents: STOP if episode == 3 else None)
    assert result.episodes == 3 and all(r.episodes == 3 for r in result.per_agent.values())
    assert "after episode 3" in result.stopped

    def raising(episode, agents):
        raise StopTraining("trial over")

    result = train_multi(agents, env, 10, seed=0, callback=raising)
    assert result.episodes == 1 and result.stopped == "trial over"

    result = train_multi(agents, env, 10, seed=0, callback=StopWhenMeanReturn(last=2, at_least=-1e9))
    assert result.episodes == 2  # any two episodes meet a mean of at least -1e9
    assert train_multi(agents, env, 2, seed=0).stopped is None


# ---------------------------------------------------------------------- the runner
def test_run_spec_stops_by_a_rule():
    from ps_graph.experiments import AgentSpec, EnvSpec, RunSpec, run_spec

    spec = RunSpec(AgentSpec("q"), EnvSpec("FrozenLake-v1"), run=0, seed=0, episodes=30)
    result = run_spec(spec, stop=StopWhenMeanReturn(last=4, at_least=-1.0))
    assert result.episodes == 4 and len(result.info["episode_wall_time"]) == 4 and result.stopped is not None
    with pytest.raises(ConfigError, match="StoppingRule"):
        run_spec(spec, stop=lambda e, a: STOP)


# ---------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    "kwargs", [{"last": 0, "at_least": 1.0}, {"last": 2.5, "at_least": 1.0}, {"last": True, "at_least": 1.0},
               {"last": 3, "at_least": float("nan")}, {"last": 3, "at_least": "high"}, {"last": 3, "at_least": np.inf}]
)  # fmt: skip
def test_bad_rule_arguments_raise_config_error(kwargs):
    with pytest.raises(ConfigError, match="last|at_least"):
        StopWhenMeanReturn(**kwargs)


def test_a_callback_that_is_not_callable_is_refused_in_every_loop():
    agents, env = _locusts()
    with pytest.raises(ConfigError, match="callback"):
        train_batch(Waking(), ONE_STEP, 3, callback=3)
    with pytest.raises(ConfigError, match="callback"):
        train_multi(agents, env, 3, callback="stop")
