"""Batched agents: exact agreement with single agents where the MDP is deterministic,
statistical agreement where it is not, the course exercise in one call, bad input."""

import gymnasium as gym
import numpy as np
import pytest

import ps_graph
from ps_graph import ConfigError, RewardError, TwoLayerPS
from ps_graph.batch import BatchedTwoLayerPS, train_batch
from ps_graph.tabular import from_id
from qbaselines import QLearningAgent
from qbaselines.batch import BatchedQLearning

PS_CASES = [
    dict(gamma_damping=0.0, eta_glow_damping=0.04),
    dict(gamma_damping=0.01, eta_glow_damping=0.1, policy="softmax", beta_softmax=2.0),
    dict(gamma_damping=0.005, eta_glow_damping=0.2, glow="accumulate", num_reflections=2),
]


@pytest.mark.parametrize("compiled", [True, False], ids=["run_tabular", "python-loop"])
@pytest.mark.parametrize("params", PS_CASES, ids=["standard", "softmax-damped", "accumulate-reflections"])
def test_batch_agent_k_equals_twolayerps_with_its_seed_on_a_deterministic_mdp(params, compiled):
    """FrozenLake 4x4 non-slippery is deterministic, so only the agents' streams matter:
    agent k of the batch and TwoLayerPS(seed=seeds[k]) must act identically, in the
    compiled loop (run_tabular) and in the Python loop (the act / observe kernels)."""
    seeds = [3, 14, 15]
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    batch = BatchedTwoLayerPS.for_mdp(mdp, len(seeds), seed=seeds, **params)
    result = train_batch(batch, mdp, episodes=150, seed=0, max_steps=99, compiled=compiled)
    env = gym.make("FrozenLake-v1", is_slippery=False)
    h = batch.h_values()
    for k, seed in enumerate(seeds):
        single = TwoLayerPS.for_env(env, seed=seed, **params)
        res = ps_graph.train(single, env, episodes=150, seed=0, max_steps=99)
        np.testing.assert_array_equal(result.lengths[k], res.lengths)
        np.testing.assert_array_equal(result.returns[k], res.returns)
        for row, state in enumerate(single.percept_keys):
            np.testing.assert_allclose(h[k, state], single.h_matrix()[row], rtol=0, atol=1e-9)
    assert result.returns.sum() > 0  # they learned: the comparison can fail


def block_means(success: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean over agents of each block's success rate, and its standard error."""
    per_agent = success.reshape(len(success), -1, block).mean(axis=2)
    return per_agent.mean(axis=0), per_agent.std(axis=0, ddof=1) / np.sqrt(len(success))


def assert_same_curves(batch_success, single_success, block=50, z=4.0):
    """Two-sample check per block of episodes: |mean_b - mean_s| <= z * combined s.e.
    (z = 4: a false alarm in any of the blocks has probability well under 0.1 %)."""
    mb, eb = block_means(batch_success, block)
    ms, es = block_means(single_success, block)
    bound = z * np.sqrt(eb**2 + es**2) + 1e-9
    assert np.all(np.abs(mb - ms) <= bound), (mb, ms, bound)


def single_agent_returns(make_agent, k: int, episodes: int, first_seed: int) -> np.ndarray:
    """Returns (k, episodes) of k single agents on slippery FrozenLake, seeds first_seed, first_seed + 1, ..."""
    env = gym.make("FrozenLake-v1", is_slippery=True)
    runs = [
        ps_graph.train(make_agent(env, first_seed + i), env, episodes=episodes, seed=first_seed + i) for i in range(k)
    ]
    return np.array([run.returns for run in runs])


@pytest.mark.slow
def test_batched_ps_matches_single_agents_on_slippery_frozenlake():
    k, episodes = 60, 300
    mdp = from_id("FrozenLake-v1", is_slippery=True)
    params = dict(gamma_damping=0.0, eta_glow_damping=0.05)
    batch = train_batch(BatchedTwoLayerPS.for_mdp(mdp, k, seed=1, **params), mdp, episodes, seed=1)
    single = single_agent_returns(lambda env, seed: TwoLayerPS.for_env(env, seed=seed, **params), k, episodes, 1000)
    assert_same_curves(batch.returns > 0, single > 0)
    assert batch.returns[:, -100:].mean() > batch.returns[:, :100].mean()  # learning happened


@pytest.mark.slow
@pytest.mark.parametrize("exploration", ["epsilon_greedy", "noisy_argmax"])
def test_batched_q_learning_matches_single_agents(exploration):
    k, episodes = 60, 300
    mdp = from_id("FrozenLake-v1", is_slippery=True)
    params = dict(learning_rate=0.1, gamma=0.99, exploration=exploration, exploration_decay_episodes=200)
    batch = train_batch(BatchedQLearning.for_mdp(mdp, k, seed=2, **params), mdp, episodes, seed=2)
    single = single_agent_returns(lambda env, seed: QLearningAgent.for_env(env, seed=seed, **params), k, episodes, 2000)
    assert_same_curves(batch.returns > 0, single > 0)


def test_course_exercise_is_one_batched_call_with_the_single_loop_curves():
    """FrozenLake 4x4 non-slippery, 30 runs x 500 episodes, PS and Q-learning."""
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    ps = train_batch(
        BatchedTwoLayerPS.for_mdp(mdp, 30, gamma_damping=0.0, eta_glow_damping=0.04, seed=30),
        mdp,
        500,
        seed=0,
        max_steps=99,
    )
    q = train_batch(
        BatchedQLearning.for_mdp(mdp, 30, learning_rate=0.8, gamma=0.9, exploration="noisy_argmax", seed=0),
        mdp,
        500,
        seed=0,
        max_steps=99,
    )
    assert ps.returns.shape == q.returns.shape == (30, 500)
    assert q.success_rate(last=100).mean() >= 0.95
    assert ps.success_rate(last=100).mean() >= 0.9
    env = gym.make("FrozenLake-v1", is_slippery=False)
    single_q = np.array(
        [
            ps_graph.train(
                QLearningAgent.for_env(env, learning_rate=0.8, gamma=0.9, exploration="noisy_argmax", seed=s),
                env,
                episodes=500,
                seed=s,
                max_steps=99,
            ).returns
            for s in range(30)
        ]
    )
    assert_same_curves(q.returns > 0, single_q > 0, block=100)
    runs = ps.runs()
    assert len(runs) == 30 and runs[0].episodes == 500


def test_sarsa_batch_learns_and_greedy_act_changes_nothing():
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    agents = BatchedQLearning.for_mdp(
        mdp, 8, learning_rate=0.5, gamma=0.9, sarsa=True, exploration_decay_episodes=100, seed=0
    )
    result = train_batch(agents, mdp, 300, seed=0)
    assert result.success_rate(last=50).mean() > 0.8
    q = agents.q.copy()
    agents.act(np.zeros(8, np.int64), explore=False)
    np.testing.assert_array_equal(q, agents.q)
    assert agents.policy().shape == (8, 16, 4)


def test_batches_are_deterministic():
    mdp = from_id("FrozenLake-v1", is_slippery=True)

    def run(seed):
        return train_batch(BatchedTwoLayerPS.for_mdp(mdp, 5, eta_glow_damping=0.1, seed=seed), mdp, 40, seed=seed)

    np.testing.assert_array_equal(run(4).lengths, run(4).lengths)
    assert not np.array_equal(run(4).lengths, run(5).lengths)


def test_policy_rows_are_distributions():
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    agents = BatchedTwoLayerPS.for_mdp(mdp, 4, eta_glow_damping=0.04, seed=0)
    train_batch(agents, mdp, 50, seed=0)
    np.testing.assert_allclose(agents.policy().sum(axis=2), 1.0)


def test_bad_input():
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    with pytest.raises(ConfigError, match="num_agents"):
        BatchedTwoLayerPS.for_mdp(mdp, 0)
    with pytest.raises(ConfigError, match="3 seeds for 2 agents"):
        BatchedTwoLayerPS.for_mdp(mdp, 2, seed=[1, 2, 3])
    agents = BatchedTwoLayerPS.for_mdp(mdp, 2, seed=0)
    agents.act(np.array([0, 0]))
    with pytest.raises(RewardError, match="finite"):
        agents.observe(np.array([0.0, np.nan]), np.array([1, 1]), np.zeros(2, bool), np.zeros(2, bool))
    with pytest.raises(ConfigError, match=r"rewards must be one value per agent, shape \(2,\)"):
        agents.observe(np.zeros(3), np.array([1, 1]), np.zeros(2, bool), np.zeros(2, bool))
    with pytest.raises(ConfigError, match="active must be one value per agent"):
        agents.act(np.array([0, 0]), active=np.ones(3, bool))
    with pytest.raises(ConfigError, match=r"integers in \[0, 16\); got shape \(2,\), dtype float64"):
        agents.act(np.array([0.0, 1.0]))
    with pytest.raises(ConfigError, match="episodes"):
        train_batch(agents, mdp, 0)
