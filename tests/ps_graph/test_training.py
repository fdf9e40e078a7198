"""The one train loop: budgets, seeding, terminated vs truncated, third-party agents."""

import gymnasium as gym
import numpy as np
import pytest

import ps_graph
from ps_graph import ConfigError, TrainResult, evaluate, train


class Recorder:
    """A third-party agent: only act and observe, records what it is told."""

    def __init__(self, n=4, seed=0):
        self.rng = np.random.default_rng(seed)
        self.n = n
        self.calls = []

    def act(self, observation, explore=True):
        self.calls.append(("act", observation, explore))
        return int(self.rng.integers(self.n))

    def observe(self, reward, next_observation, terminated, truncated):
        self.calls.append(("observe", reward, terminated, truncated))


def test_third_party_agent_runs_and_result_shapes():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = Recorder()
    res = train(agent, env, episodes=7, seed=3)
    assert isinstance(res, TrainResult)
    assert res.returns.dtype == np.float64 and res.lengths.dtype == np.int64 and res.terminated.dtype == bool
    assert res.episodes == 7 and res.steps == res.lengths.sum() == sum(c[0] == "act" for c in agent.calls)
    assert isinstance(agent, ps_graph.Agent)
    np.testing.assert_array_equal(res.env_steps, np.cumsum(res.lengths))


def test_total_steps_budget_truncates_the_last_episode():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = Recorder()
    res = train(agent, env, total_steps=25, seed=0)
    assert res.steps == 25
    assert agent.calls[-1][0] == "observe" and agent.calls[-1][3] is True  # told: truncated


def test_max_steps_cuts_episodes_as_truncation():
    env = gym.make("FrozenLake-v1", is_slippery=False, map_name="8x8")
    agent = Recorder(seed=1)
    res = train(agent, env, episodes=20, seed=0, max_steps=3)
    assert res.lengths.max() <= 3
    observed = [c for c in agent.calls if c[0] == "observe"]
    for ep_end in np.cumsum(res.lengths) - 1:
        _, _, term, trunc = observed[ep_end]
        assert term or trunc


def test_terminated_and_truncated_are_reported_separately():
    # FrozenLake 4x4 with a 1-step time limit: every episode is truncated unless it falls in
    env = gym.make("FrozenLake-v1", is_slippery=False, max_episode_steps=1)
    agent = Recorder(seed=2)
    res = train(agent, env, episodes=50, seed=0)
    observed = [c for c in agent.calls if c[0] == "observe"]
    assert not res.terminated.any()  # no hole is one step from the start of the 4x4 map
    assert all(c[3] for c in observed)
    env = gym.make("FrozenLake-v1", is_slippery=False, desc=["SH", "FG"])
    res = train(Recorder(seed=0), env, episodes=40, seed=0)
    assert res.terminated.any()


def test_env_seeded_once_and_results_reproducible():
    def run():
        env = gym.make("FrozenLake-v1", is_slippery=True)
        return train(Recorder(seed=5), env, episodes=30, seed=9)

    a, b = run(), run()
    np.testing.assert_array_equal(a.lengths, b.lengths)
    np.testing.assert_array_equal(a.returns, b.returns)


def test_evaluate_never_observes_and_is_greedy():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = Recorder()
    res = evaluate(agent, env, episodes=3, seed=0)
    assert res.episodes == 3
    assert all(c[0] == "act" and c[2] is False for c in agent.calls)


def test_progress_bar(capsys):
    env = gym.make("FrozenLake-v1", is_slippery=False)
    train(Recorder(), env, episodes=12, seed=0, progress=True)
    assert "12/12" in capsys.readouterr().err


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "exactly one budget"),
        ({"episodes": 3, "total_steps": 3}, "exactly one budget"),
        ({"episodes": 0}, "episodes must be an integer >= 1"),
        ({"total_steps": 2.5}, "total_steps"),
        ({"episodes": 2, "seed": -1}, "seed"),
        ({"episodes": 2, "max_steps": 0}, "max_steps"),
    ],
)
def test_bad_budgets(kwargs, match):
    env = gym.make("FrozenLake-v1")
    with pytest.raises(ConfigError, match=match):
        train(Recorder(), env, **kwargs)


def test_not_an_agent():
    with pytest.raises(ConfigError, match="lacks act\\(\\), observe\\(\\)"):
        train(object(), gym.make("FrozenLake-v1"), episodes=1)


def test_numpy_seed_is_accepted():
    env = gym.make("FrozenLake-v1")
    res = train(Recorder(), env, episodes=2, seed=np.int64(4))
    assert res.episodes == 2


def test_callback_is_called_after_each_episode_with_the_agent():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = ps_graph.PSAgent.for_env(env, seed=0)
    seen = []
    ps_graph.train(agent, env, episodes=5, seed=0, callback=lambda ep, a: seen.append((ep, a is agent)))
    assert seen == [(1, True), (2, True), (3, True), (4, True), (5, True)]


def test_a_callback_that_is_not_callable_is_refused_before_training():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = ps_graph.PSAgent.for_env(env, seed=0)
    with pytest.raises(ps_graph.ConfigError, match="callback"):
        ps_graph.train(agent, env, episodes=5, callback=3)
    assert agent.ecm.num_edges == 0
