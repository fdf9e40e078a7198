"""The compiled kernels of the batched PS agent: the same numbers as the numpy reference
(today's vectorized code, kept here), the tabular helpers equal VectorMDP, run_tabular equals
the Python loop on deterministic MDPs and agrees statistically on slippery FrozenLake."""

import copy

import numpy as np
import pytest

from ps_graph import ConfigError, rules
from ps_graph.batch import BatchedTwoLayerPS, train_batch
from ps_graph.batch_train import EpisodeLog
from ps_graph.kernels import tabular_arrays, tabular_reset, tabular_step
from ps_graph.streams import AgentStreams
from ps_graph.tabular import VectorMDP, from_id

CONFIGS = {
    "standard": dict(eta_glow_damping=0.04),
    "damped": dict(gamma_damping=0.01, eta_glow_damping=0.1),
    "softmax": dict(gamma_damping=0.002, eta_glow_damping=0.1, policy="softmax", beta_softmax=2.0),
    "accumulate-reflections": dict(gamma_damping=0.005, eta_glow_damping=0.2, glow="accumulate", num_reflections=2),
    "softmax-reflections": dict(eta_glow_damping=0.3, policy="softmax", num_reflections=3, h_floor=0.5),
    "initial-h": dict(gamma_damping=0.05, eta_glow_damping=0.1, initial_h=np.linspace(0.5, 2.0, 64).reshape(16, 4)),
}


class NumpyReference(BatchedTwoLayerPS):
    """The numpy act/observe the kernels replaced, kept as the reference they must equal."""

    def act(self, states, active=None, explore=True):
        cfg, k = self.config, self._agents
        states = np.asarray(states, dtype=np.int64)
        every = active is None
        active = self.active_mask(active)
        sel = slice(None) if every else active
        weights = rules.hopping_weights(self._rows(states), cfg.policy, cfg.beta_softmax)
        j = rules.sample_index(weights, self.streams.uniform(None if every else active))
        for _ in range(cfg.num_reflections):
            negative = active & ~self._emotion[k, states, j]
            if not negative.any():
                break
            j = np.where(negative, rules.sample_index(weights, self.streams.uniform(negative)), j)
        glow_clock = self._store.glow_clock
        glow_clock += 1 if every else active
        ka, sa, ja = k[sel], states[sel], j[sel]
        if cfg.glow == "accumulate":
            current = self._store.decayed(self._glow[ka, sa, ja], self._glow_time[ka, sa, ja], glow_clock[ka])
        else:
            current = np.zeros(len(ja))
        self._glow[ka, sa, ja] = rules.glow_after_traversal(current, cfg.glow)
        self._glow_time[ka, sa, ja] = glow_clock[ka]
        self._pending_states[sel] = sa
        self._pending_actions[sel] = ja
        return j

    def observe(self, rewards, next_states, terminated, truncated, active=None):
        cfg, r = self.config, np.asarray(rewards, float)
        every = active is None
        active = self.active_mask(active)
        store = self._store
        clock = store.clock
        clock += 1 if every else active
        rewarded = np.flatnonzero(active & (r != 0.0))
        if len(rewarded):
            h = store.damped(self._h[rewarded], self._stamp[rewarded][..., None], clock[rewarded, None, None], self._h0)
            g = store.decayed(self._glow[rewarded], self._glow_time[rewarded], store.glow_clock[rewarded, None, None])
            self._h[rewarded] = rules.floor_h(rules.reward_step(h, g, r[rewarded, None, None]), cfg.h_floor)
            self._stamp[rewarded] = clock[rewarded, None]
        if cfg.num_reflections:
            ka = self._agents[active]
            self._emotion[ka, self._pending_states[active], self._pending_actions[active]] = r[active] > 0
        ended = active & (np.asarray(terminated, bool) | np.asarray(truncated, bool))
        if ended.any():
            self._glow[ended] = 0.0


def glow_now(agents):
    """Every agent's current glow (K, S, A)."""
    clock = agents._store.glow_clock[:, None, None]
    return agents._store.decayed(agents._glow, agents._glow_time, clock)


@pytest.mark.parametrize("slippery", [False, True], ids=["deterministic", "slippery"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_kernels_equal_the_numpy_reference(name, slippery):
    """Same seeds, same environment draws: the same actions at every step, the same h and glow."""
    mdp = from_id("FrozenLake-v1", is_slippery=slippery)
    k, params = 12, CONFIGS[name]
    compiled = BatchedTwoLayerPS.for_mdp(mdp, k, seed=7, **params)
    reference = NumpyReference.for_mdp(mdp, k, seed=7, **params)
    env = VectorMDP(mdp, k, seed=1)
    states = env.reset()
    masks = np.random.default_rng(2)
    rewarded = 0
    for step in range(1500):
        active = None if step % 3 else masks.random(k) < 0.7  # some steps with agents masked out
        actions = compiled.act(states, active)
        expected = reference.act(states, active)
        np.testing.assert_array_equal(actions, expected)
        next_states, rewards, terminated, truncated = env.step(actions)
        rewards = rewards - 0.1 * (next_states == states)  # negative rewards too (walls): the floor
        compiled.observe(rewards, next_states, terminated, truncated, active)
        reference.observe(rewards, next_states, terminated, truncated, active)
        ended = terminated | truncated
        rewarded += int((rewards > 0).sum())
        states = np.where(ended, env.reset(mask=ended), next_states) if ended.any() else next_states
    assert rewarded > 0  # the reward path ran
    np.testing.assert_allclose(compiled.h_values(), reference.h_values(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(glow_now(compiled), glow_now(reference), rtol=1e-12, atol=0)
    np.testing.assert_array_equal(compiled._emotion, reference._emotion)
    np.testing.assert_array_equal(compiled.act(states, explore=False), reference._rows(states).argmax(axis=1))


def test_tabular_helpers_step_as_vector_mdp():
    mdp = from_id("FrozenLake-v1", is_slippery=True)
    env = VectorMDP(mdp, 64, seed=3)
    cdf, initial_cdf = tabular_arrays(env)
    rng = copy.deepcopy(env.rng)
    start = env.reset()
    u = rng.random(64)
    assert [tabular_reset(initial_cdf, x) for x in u] == start.tolist()
    for _ in range(30):
        actions = np.arange(64) % 4
        before, u = env.states.copy(), rng.random(64)
        next_states, rewards, terminated, _ = env.step(actions)
        for i in range(64):
            got = tabular_step(cdf, mdp.next_states, mdp.rewards, mdp.terminated, before[i], actions[i], u[i])
            assert got == (next_states[i], rewards[i], terminated[i])
    # the edges of [0, 1): the first and the last outcome with positive probability
    assert tabular_step(cdf, mdp.next_states, mdp.rewards, mdp.terminated, 0, 1, 0.0)[0] == mdp.next_states[0, 1, 0]
    assert (
        tabular_step(cdf, mdp.next_states, mdp.rewards, mdp.terminated, 0, 1, 1 - 1e-16)[0] == mdp.next_states[0, 1, 2]
    )


def run_both(mdp, k, params, **budget):
    """run_tabular and train_batch's Python loop on the same MDP with the same seeds."""
    compiled, log = BatchedTwoLayerPS.for_mdp(mdp, k, seed=5, **params), EpisodeLog(k, capacity=4)
    compiled.run_tabular(VectorMDP(mdp, k, seed=0), log, **budget)
    python = BatchedTwoLayerPS.for_mdp(mdp, k, seed=5, **params)
    result = train_batch(python, mdp, seed=0, compiled=False, **budget)
    return compiled, log, python, result


@pytest.mark.parametrize("name", ["standard", "softmax", "accumulate-reflections", "initial-h"])
@pytest.mark.parametrize(
    "budget", [dict(episodes=120, max_steps=40), dict(total_steps=1500)], ids=["episodes", "total_steps"]
)
def test_run_tabular_equals_the_python_loop_on_deterministic_frozenlake(name, budget):
    compiled, log, python, result = run_both(from_id("FrozenLake-v1", is_slippery=False), 6, CONFIGS[name], **budget)
    n = result.episode_counts
    np.testing.assert_array_equal(log.counts, n)
    for k in range(6):  # the same episodes, in the same order, with the same ends
        np.testing.assert_array_equal(log.lengths[k, : n[k]], result.lengths[k, : n[k]])
        np.testing.assert_array_equal(log.returns[k, : n[k]], result.returns[k, : n[k]])
        np.testing.assert_array_equal(log.terminated[k, : n[k]], result.terminated[k, : n[k]])
    np.testing.assert_allclose(compiled.h_values(), python.h_values(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(glow_now(compiled), glow_now(python), rtol=1e-12, atol=0)
    if "total_steps" in budget:
        assert log.lengths.sum(axis=1).tolist() == [1500] * 6  # the last episode truncated at the budget


def test_run_tabular_equals_the_python_loop_on_cliffwalking():
    params = dict(gamma_damping=0.001, eta_glow_damping=0.1, policy="softmax", beta_softmax=0.5)
    compiled, log, python, result = run_both(from_id("CliffWalking-v1"), 4, params, episodes=30, max_steps=200)
    np.testing.assert_array_equal(log.returns[:, :30], result.returns)
    np.testing.assert_array_equal(log.lengths[:, :30], result.lengths)
    np.testing.assert_allclose(compiled.h_values(), python.h_values(), rtol=1e-12, atol=0)


def test_run_tabular_agrees_with_the_python_loop_on_slippery_frozenlake():
    """Different environment draws: the mean success of 400 agents over 150 episodes agrees
    within 4 standard errors of the difference (agents are independent)."""
    mdp = from_id("FrozenLake-v1", is_slippery=True)
    params = dict(eta_glow_damping=0.05)
    k, episodes = 400, 150
    compiled, log = BatchedTwoLayerPS.for_mdp(mdp, k, seed=11, **params), EpisodeLog(k)
    compiled.run_tabular(VectorMDP(mdp, k, seed=11), log, episodes=episodes)
    result = train_batch(BatchedTwoLayerPS.for_mdp(mdp, k, seed=12, **params), mdp, episodes, seed=12, compiled=False)
    a, b = (log.returns[:, :episodes] > 0).mean(axis=1), (result.returns > 0).mean(axis=1)
    bound = 4 * np.sqrt(a.var(ddof=1) / k + b.var(ddof=1) / k)
    assert abs(a.mean() - b.mean()) <= bound, (a.mean(), b.mean(), bound)
    assert (log.returns[:, 100:150] > 0).mean() > (log.returns[:, :50] > 0).mean()  # it learned
    lengths = log.lengths[:, :episodes]
    assert abs(lengths.mean() - result.lengths.mean()) <= 4 * np.sqrt(
        lengths.mean(axis=1).var(ddof=1) / k + result.lengths.mean(axis=1).var(ddof=1) / k
    )


def test_run_tabular_progress_and_growing_log():
    mdp = from_id("FrozenLake-v1", is_slippery=True)
    agents, log, seen = BatchedTwoLayerPS.for_mdp(mdp, 5, seed=0), EpisodeLog(5, capacity=1), []
    agents.run_tabular(VectorMDP(mdp, 5, seed=0), log, total_steps=700, max_steps=20, progress=seen.append)
    assert sum(seen) == 5 * 700 and log.lengths.sum() == 5 * 700
    assert log.lengths.max() <= 20 and log.capacity >= log.counts.max() > 1
    seen.clear()
    agents.run_tabular(VectorMDP(mdp, 5, seed=1), log, episodes=3, progress=seen.append)  # more of the same log
    assert sum(seen) == 15 and (log.counts >= 3).all()


def test_run_tabular_bad_input():
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    agents = BatchedTwoLayerPS.for_mdp(mdp, 3, seed=0)
    with pytest.raises(ConfigError, match="VectorMDP of 3 copies"):
        agents.run_tabular(VectorMDP(mdp, 2, seed=0), EpisodeLog(3), episodes=1)
    with pytest.raises(ConfigError, match="VectorMDP of 3 copies"):
        agents.run_tabular(mdp, EpisodeLog(3), episodes=1)
    with pytest.raises(ConfigError, match="EpisodeLog\\(3\\)"):
        agents.run_tabular(VectorMDP(mdp, 3, seed=0), EpisodeLog(2), episodes=1)
    with pytest.raises(ConfigError, match="exactly one budget"):
        agents.run_tabular(VectorMDP(mdp, 3, seed=0), EpisodeLog(3))
    with pytest.raises(ConfigError, match="states must be one value per agent"):
        agents.act(np.array([0, 1, 16]))


def test_policy_with_reflections_by_hand_and_by_sampling():
    """p = (0.1, 0.2, 0.3, 0.4), actions 1 and 3 tagged negative: q = 0.6; with R = 2,
    P = p * (1 + q + q**2) = p * 1.96 for the positive ones, p * q**2 = p * 0.36 for the others."""
    agents = BatchedTwoLayerPS(1, 4, 2, num_reflections=2, initial_h=[[0.1, 0.2, 0.3, 0.4]], seed=0)
    agents._emotion[:, 0, [1, 3]] = False
    expected = [0.1 * 1.96, 0.2 * 0.36, 0.3 * 1.96, 0.4 * 0.36]
    np.testing.assert_allclose(agents.policy()[:, 0], [expected, expected], rtol=1e-12)
    np.testing.assert_allclose(agents.policy().sum(axis=2), 1.0)
    n = 40_000
    counts = np.zeros(4)
    for _ in range(n):
        counts += np.bincount(agents.act(np.zeros(2, np.int64)), minlength=4)
        agents._glow[:] = 0.0  # glow does not change the policy; keep the tables small
    freq = counts / (2 * n)
    assert np.all(np.abs(freq - expected) <= 4 * np.sqrt(np.array(expected) * (1 - np.array(expected)) / (2 * n)))


def test_policy_without_reflections_is_the_hopping_probabilities():
    agents = BatchedTwoLayerPS(2, 3, 2, policy="softmax", initial_h=[[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], seed=0)
    agents._emotion[:] = False  # tags do not matter without reflections
    np.testing.assert_allclose(agents.policy()[0, 0], rules.hopping_probabilities(np.array([1.0, 2.0, 3.0]), "softmax"))


def test_streams_reserve_keeps_each_stream_in_order():
    seeds = [3, 4, 5]
    streams = AgentStreams.from_seeds(seeds, block=4)
    taken = [[], [], []]
    for step in range(9):
        mask = np.array([True, step % 2 == 0, step % 3 == 0])
        u = streams.uniform(mask)
        for k in np.flatnonzero(mask):
            taken[k].append(u[k])
        if step == 4:
            streams.reserve(7)  # need above the width: the width grows to 7
        if step == 6:
            streams.reserve(3, mask=np.array([False, True, True]))
    u, pos = streams.uniforms
    for k, seed in enumerate(seeds):
        reference = np.random.default_rng(seed).random(len(taken[k]) + u.shape[1] - pos[k])
        np.testing.assert_array_equal(taken[k], reference[: len(taken[k])])
        np.testing.assert_array_equal(u[k, pos[k] :], reference[len(taken[k]) :])


def test_many_reflections_widen_the_uniform_buffer():
    """300 reflections need up to 301 uniforms a step, more than a block of 256."""
    compiled = BatchedTwoLayerPS(1, 3, 2, num_reflections=300, seed=[1, 2])
    reference = NumpyReference(1, 3, 2, num_reflections=300, seed=[1, 2])
    for agents in (compiled, reference):
        agents._emotion[:, 0, :2] = False  # actions 0 and 1 negative: most decisions re-walk
    for _ in range(20):
        np.testing.assert_array_equal(compiled.act(np.zeros(2, np.int64)), reference.act(np.zeros(2, np.int64)))
    assert compiled.streams.uniforms[0].shape[1] >= 301
