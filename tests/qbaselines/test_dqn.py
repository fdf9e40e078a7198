"""DQN: targets by hand, bootstrapping, replay ring, schedules, determinism, files, bad input."""

import os

import gymnasium as gym
import numpy as np
import pytest
import torch

import ps_graph
from ps_graph import ConfigError, PSGraphError, RewardError, UnsupportedSpaceError
from ps_graph.errors import EnvError
from qbaselines import DQNAgent, DQNConfig
from qbaselines.dqn import bootstrap_values, observation_encoder
from qbaselines.dqnconfig import MEMORY_BUDGET, check_memory
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
    with pytest.raises(PSGraphError, match="no .format. field"):
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


# ---------------------------------------------------------------------- issue 12: bounds and observations
@pytest.fixture
def torch_threads():
    """Restores torch's thread count, which building an agent sets for the process."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


# the error message each oversized or malformed setting gets
BOUNDED = [
    [{"batch_size": 10**9}, "batch_size must be an integer >= 1 and <= 65536; got 1000000000"],
    [{"buffer_size": 10**12}, "buffer_size must be an integer >= 1 and <= 100000000"],
    [{"torch_threads": 10**6}, "torch_threads must be an integer >= 0 and <= 1024"],
    [{"net_arch": [10**6]}, r"net_arch\[0\] must be an integer >= 1 and <= 65536"],
    [{"net_arch": [8] * 33}, "net_arch must be a list of 1 to 32 hidden layer widths"],
    [{"net_arch": "64"}, "net_arch must be a list"],
    [{"gradient_steps": 10**6}, "gradient_steps must be an integer >= 0 and <= 1000"],
    [{"gradient_steps": 1000, "batch_size": 2**11}, r"gradient_steps \* batch_size must be <= 1048576"],
    [{"learning_starts": 10**13}, "learning_starts must be an integer >= 0 and <= 1000000000000"],
    [{"total_timesteps": 10**13}, "total_timesteps"],
    [{"train_freq": 10**13}, "train_freq"],
    [{"target_update_interval": 10**13}, "target_update_interval"],
    [{"learning_rate": 2.0}, "learning_rate must be a finite number in"],
    [{"total_timesteps": "300"}, "total_timesteps must be an integer"],
]


@pytest.mark.parametrize("kwargs, match", BOUNDED)
def test_every_size_is_bounded(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        DQNConfig(**kwargs)


def test_a_buffer_over_the_memory_budget_is_refused_before_it_is_allocated():
    env = gym.make("FrozenLake-v1")  # 16 one-hot inputs: 10**8 transitions take 14.4 GB
    with pytest.raises(ConfigError, match=r"DQN needs 14,400,\d{3},\d{3} bytes \(a replay buffer of buffer_size"):
        DQNAgent.for_env(env, buffer_size=10**8)
    assert check_memory(DQNConfig(buffer_size=10**6), 16, 4) < MEMORY_BUDGET
    with pytest.raises(ConfigError, match="two networks of"):
        DQNAgent.for_env(env, net_arch=[65536, 65536], buffer_size=10)


def test_torch_threads_never_exceed_the_cores(torch_threads):
    DQNAgent.for_env(gym.make("CartPole-v1"), torch_threads=1024, seed=0)
    assert torch.get_num_threads() <= (os.cpu_count() or 1)


@pytest.mark.parametrize("obs", [-1, 7, 1.5, 2.0, "2", None, np.array([1]), (1,)])
def test_discrete_observations_outside_the_space_are_refused(obs):
    agent = DQNAgent(2, gym.spaces.Discrete(4), learning_starts=0, net_arch=[8], seed=0)
    with pytest.raises(EnvError, match=r"observation .* not in its observation space Discrete\(4\)"):
        agent.act(obs)
    with pytest.raises(EnvError, match=r"an integer in 0 \.\. 3"):
        agent.q_values(obs)
    agent.act(3)
    with pytest.raises(EnvError):
        agent.observe(0.0, obs, False, False)
    assert len(agent.buffer) == 0 and agent._pending is not None  # nothing half-stored


def test_encoders_check_every_space_kind():
    _, enc = observation_encoder(gym.spaces.Discrete(3, start=-1))
    assert enc(-1).tolist() == [1.0, 0.0, 0.0] and enc(np.int64(1)).tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(EnvError, match=r"an integer in -1 \.\. 1"):
        enc(2)
    _, enc = observation_encoder(gym.spaces.Box(-1, 1, (2,)))
    assert enc([0.5, 5.0]).tolist() == [0.5, 5.0]  # Box bounds are not checked (loose in many envs)
    for bad in ([1.0, np.nan], [1.0], [[1.0, 2.0]], ["a", "b"], [1e39, 0.0], "xy"):
        with pytest.raises(EnvError, match=r"Box\(shape=\(2,\), float32\).*finite numbers"):
            enc(bad)
    _, enc = observation_encoder(gym.spaces.MultiDiscrete([2, 3]))
    assert enc(np.array([1, 2])).tolist() == [0, 1, 0, 0, 1]
    for bad in (np.array([2, 0]), np.array([0, -1]), 5):
        with pytest.raises(EnvError, match="MultiDiscrete"):
            enc(bad)


class OutOfSpace(gym.Wrapper):
    """FrozenLake whose second step reports state 7 of a Discrete(4) space (-1 at reset, if asked)."""

    def __init__(self, env, first=0, later=7):
        super().__init__(env)
        self.observation_space = gym.spaces.Discrete(4)
        self.first, self.later = first, later

    def reset(self, **kwargs):
        _, info = self.env.reset(**kwargs)
        return self.first, info

    def step(self, action):
        _, r, term, trunc, info = self.env.step(action)
        return self.later, r, term, trunc, info


@pytest.mark.parametrize("first, later", [(0, 7), (-1, 0)])
def test_the_train_loop_stops_at_an_observation_outside_the_space(first, later):
    env = OutOfSpace(gym.make("FrozenLake-v1", is_slippery=False), first, later)
    agent = DQNAgent.for_env(env, learning_starts=0, batch_size=4, net_arch=[8], seed=0)
    with pytest.raises(EnvError, match=str(later if first == 0 else first)):
        ps_graph.train(agent, env, episodes=2, seed=0)


def test_a_reward_beyond_float32_is_refused():
    env = gym.make("CartPole-v1")
    agent = small(env, 0)
    obs, _ = env.reset(seed=0)
    agent.act(obs)
    with pytest.raises(RewardError, match="float32"):
        agent.observe(1e39, obs, False, False)


def test_a_diverged_network_raises_instead_of_spreading_nan():
    env = gym.make("CartPole-v1")
    agent = DQNAgent.for_env(env, loss="mse", learning_starts=0, batch_size=4, net_arch=[8], seed=0)
    with torch.no_grad():
        for p in agent.q_net.parameters():
            p.fill_(1e30)
    obs, _ = env.reset(seed=0)
    for _ in range(4):
        agent.act(obs)
        agent.buffer.add(agent.encode(obs), 0, 1.0, agent.encode(obs), False)
    with pytest.raises(PSGraphError, match="diverged"):
        agent.train_round(1)
