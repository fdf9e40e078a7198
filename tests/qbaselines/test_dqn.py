"""DQN: targets by hand, bootstrapping, replay ring, schedules, determinism, files, bad input."""

import gymnasium as gym
import numpy as np
import pytest
import torch

import ps_graph
from ps_graph import ConfigError, PSGraphError, RewardError, UnsupportedSpaceError
from qbaselines import DQNAgent
from qbaselines.dqn import bootstrap_values, observation_encoder
from qbaselines.replay import ReplayBuffer


def test_td_and_double_dqn_targets_on_a_hand_computed_batch():
    target_q = np.array([[1.0, 5.0], [2.0, 0.5], [3.0, 4.0]])
    online_q = np.array([[9.0, 0.0], [0.0, 9.0], [0.0, 1.0]])
    rewards = np.array([1.0, 0.0, 2.0])
    terminated = np.array([0.0, 0.0, 1.0])
    # DQN: r + 0.5 * max target: 1 + 2.5, 0 + 1, terminated: 2
    np.testing.assert_allclose(bootstrap_values(target_q, 0.5, rewards, terminated), [3.5, 1.0, 2.0])
    # double DQN: online argmax picks a'=0, 1, 1; the target values them: 1, 0.5, (4, terminated)
    np.testing.assert_allclose(bootstrap_values(target_q, 0.5, rewards, terminated, online_q), [1.5, 0.25, 2.0])
    t = bootstrap_values(
        torch.tensor(target_q), 0.5, torch.tensor(rewards), torch.tensor(terminated), torch.tensor(online_q)
    )
    np.testing.assert_allclose(t.numpy(), [1.5, 0.25, 2.0])


def test_terminated_stops_bootstrapping_and_truncated_does_not():
    env = gym.make("CartPole-v1")
    agent = DQNAgent.for_env(env, learning_starts=10**6, seed=0)
    obs, _ = env.reset(seed=0)
    for terminated, truncated in ((True, False), (False, True)):
        agent.act(obs)
        agent.observe(1.0, obs, terminated, truncated)
    assert agent.buffer.terminated[:2].tolist() == [1.0, 0.0]


def test_ring_buffer_wraps_and_samples_with_the_agents_generator():
    buf = ReplayBuffer(capacity=4, obs_dim=2)
    for t in range(6):
        buf.add([t, -t], t % 2, float(t), [t + 1, 0], terminated=t == 5)
    assert len(buf) == 4
    assert sorted(buf.rewards.tolist()) == [2.0, 3.0, 4.0, 5.0]
    assert buf.actions[buf.rewards.tolist().index(5.0)] == 1 and buf.terminated.sum() == 1.0
    a = buf.sample(8, np.random.default_rng(1))
    b = buf.sample(8, np.random.default_rng(1))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert set(a[2].tolist()) <= {2.0, 3.0, 4.0, 5.0}


def test_epsilon_schedules():
    env = gym.make("CartPole-v1")
    lin = DQNAgent.for_env(env, exploration_fraction=0.1, total_timesteps=1000, exploration_final_eps=0.05)
    assert lin.epsilon == 1.0
    lin.num_timesteps = 50
    assert lin.epsilon == pytest.approx(0.525)
    lin.num_timesteps = 500
    assert lin.epsilon == pytest.approx(0.05)
    exp = DQNAgent.for_env(
        env, exploration_schedule="exponential", exploration_decay_steps=500, exploration_final_eps=0.05
    )
    exp.num_timesteps = 500
    assert exp.epsilon == pytest.approx(0.05 + 0.95 / np.e)


def test_observations():
    size, enc = observation_encoder(gym.spaces.Discrete(4))
    assert size == 4 and enc(2).tolist() == [0.0, 0.0, 1.0, 0.0]  # the blog's one-hot
    size, enc = observation_encoder(gym.spaces.Tuple((gym.spaces.Discrete(2), gym.spaces.MultiDiscrete([2, 3]))))
    assert size == 7 and enc((1, np.array([0, 2]))).tolist() == [0, 1, 1, 0, 0, 0, 1]
    size, enc = observation_encoder(gym.spaces.Box(-1, 1, (2, 2)))
    assert size == 4 and enc(np.ones((2, 2))).dtype == np.float32
    with pytest.raises(UnsupportedSpaceError):
        observation_encoder(gym.spaces.Text(5))
    with pytest.raises(UnsupportedSpaceError, match="Discrete action space"):
        DQNAgent(gym.spaces.Box(-1, 1, (1,)), gym.spaces.Box(-1, 1, (2,)))


def small(env, seed):
    return DQNAgent.for_env(
        env,
        learning_starts=50,
        train_freq=4,
        batch_size=16,
        target_update_interval=50,
        net_arch=[32],
        total_timesteps=600,
        seed=seed,
    )


def test_deterministic_on_cpu():
    def run(seed):
        env = gym.make("CartPole-v1")
        agent = small(env, seed)
        return ps_graph.train(agent, env, total_steps=600, seed=seed).returns, agent

    (r1, a1), (r2, _), (r3, _) = run(0), run(0), run(1)
    np.testing.assert_array_equal(r1, r2)
    assert not np.array_equal(r1, r3)
    assert a1.num_updates > 0


def test_save_load_round_trip_acts_identically(tmp_path):
    env = gym.make("CartPole-v1")
    agent = small(env, 3)
    ps_graph.train(agent, env, total_steps=300, seed=3)
    path = agent.save(tmp_path / "dqn.pt")
    loaded = DQNAgent.load(path, env)
    assert loaded.config == agent.config and loaded.num_timesteps == agent.num_timesteps
    obs = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    for o in obs:
        assert loaded.act(o, explore=False) == agent.act(o, explore=False)
        np.testing.assert_array_equal(loaded.q_values(o), agent.q_values(o))
    assert [loaded.act(o) for o in obs] == [agent.act(o) for o in obs]  # same rng state too
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_hostile_and_foreign_files_are_refused(tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (exec, (f"open({str(tmp_path / 'pwned')!r}, 'w').write('pwned')",))

    hostile = tmp_path / "hostile.pt"
    hostile.write_bytes(pickle.dumps({"format": "qbaselines.DQNAgent", "x": Evil()}))
    env = gym.make("CartPole-v1")
    with pytest.raises(PSGraphError, match="not a saved DQNAgent"):
        DQNAgent.load(hostile, env)
    assert not (tmp_path / "pwned").exists()
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    with pytest.raises(PSGraphError, match="format marker"):
        DQNAgent.load(foreign, env)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a file at all")
    with pytest.raises(PSGraphError, match="not a saved DQNAgent"):
        DQNAgent.load(garbage, env)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"learning_rate": 0}, "learning_rate"),
        ({"gamma": 1.5}, "gamma"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"tau": 0}, "tau"),
        ({"net_arch": []}, "net_arch"),
        ({"net_arch": [64, -1]}, "net_arch"),
        ({"loss": "l1"}, "loss must be one of 'huber', 'mse'"),
        ({"double_dqn": "yes"}, "double_dqn"),
        ({"device": "tpu"}, "device"),
        ({"exploration_schedule": "cosine"}, "exploration_schedule"),
        ({"lr": 0.1}, "unknown DQN hyperparameter"),
    ],
)
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        DQNAgent.for_env(gym.make("CartPole-v1"), **kwargs)


def test_non_finite_reward():
    env = gym.make("CartPole-v1")
    agent = small(env, 0)
    obs, _ = env.reset(seed=0)
    agent.act(obs)
    with pytest.raises(RewardError):
        agent.observe(float("nan"), obs, False, False)
    assert len(agent.buffer) == 0
