"""BatchedQLearning's compiled kernels: the same numbers as the numpy code they replaced (kept
here as the reference), as single agents where the streams are the same, and compiled runs on
tabular MDPs equal to train_batch's Python loop (exactly on deterministic MDPs)."""

import gymnasium as gym
import numpy as np
import pytest

import ps_graph
from ps_graph.batch_train import EpisodeLog, train_batch
from ps_graph.checks import check_rewards
from ps_graph.errors import ConfigError, TabularError
from ps_graph.tabular import VectorMDP, from_id
from qbaselines import QLearningAgent, batch, td_target, td_update
from qbaselines.batch import RUN_BLOCK_VALUES, BatchedQLearning
from tests.factories import modules_loaded_by
from tests.ps_graph.test_batch import assert_same_curves


class NumpyBatchedQLearning(BatchedQLearning):
    """The numpy act/observe that the kernels replaced: the reference of their numbers."""

    def _explore(self, rows, mask):
        c, n = self.config, self.num_actions
        if c.exploration == "noisy_argmax":
            scale = c.noise_scale / (self.episode + 1.0)
            return np.argmax(rows + self.streams.normal(mask, n) * scale[:, None], axis=1)
        best = rows == rows.max(axis=1, keepdims=True)
        ties = best.sum(axis=1)
        randomly = self.streams.uniform(mask) < self._epsilon(self.episode)
        choice = np.where(randomly, self.streams.uniform(mask & randomly) * n, 0.0)
        pick_tie = mask & ~randomly & (ties > 1)
        rank = np.floor(self.streams.uniform(pick_tie) * ties).astype(np.int64)
        greedy = np.argmax(np.cumsum(best, axis=1) > rank[:, None], axis=1)
        return np.where(randomly, np.minimum(choice.astype(np.int64), n - 1), greedy)

    def act(self, states, active=None, explore=True):
        states = np.asarray(states, dtype=np.int64)
        rows = self.q[self._agents, states]
        if not explore:
            return np.argmax(rows, axis=1)
        active = self.active_mask(active)
        preset = self._next_actions >= 0
        actions = np.where(preset, self._next_actions, self._explore(rows, active & ~preset))
        self._next_actions[:] = -1
        self._pending_states[active] = states[active]
        self._pending_actions[active] = actions[active]
        return actions

    def observe(self, rewards, next_states, terminated, truncated, active=None):
        c = self.config
        r = check_rewards(rewards)
        active = self.active_mask(active)
        terminated = np.asarray(terminated, bool)
        ended = terminated | np.asarray(truncated, bool)
        next_rows = self.q[self._agents, np.asarray(next_states, dtype=np.int64)]
        if c.sarsa:
            chosen = self._explore(next_rows, active & ~terminated)
            next_value = next_rows[self._agents, chosen]
            self._next_actions = np.where(active & ~ended, chosen, -1)
        else:
            next_value = next_rows.max(axis=1)
        k, s, a = self._agents[active], self._pending_states[active], self._pending_actions[active]
        target = td_target(r[active], next_value[active], c.gamma, terminated[active].astype(np.float64))
        self.q[k, s, a] = td_update(self.q[k, s, a], target, c.learning_rate)
        self.episode += active & ended


CASES = {
    "linear": dict(exploration_decay_episodes=30),
    "exponential": dict(exploration_schedule="exponential", exploration_decay_episodes=20),
    "constant": dict(exploration_schedule="constant", exploration_initial_eps=0.3),
    "greedy-ties": dict(exploration_schedule="constant", exploration_initial_eps=0.0),
    "noisy": dict(exploration="noisy_argmax", noise_scale=0.5),
    "sarsa": dict(sarsa=True, exploration_decay_episodes=30),
    "sarsa-noisy": dict(sarsa=True, exploration="noisy_argmax"),
}


def assert_same_agents(a, b):
    np.testing.assert_array_equal(a.q, b.q)
    for name in ("episode", "_next_actions", "_pending_states", "_pending_actions"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize("params", CASES.values(), ids=CASES.keys())
def test_act_and_observe_equal_the_numpy_reference(params):
    """Random states, rewards, endings and masks: the same actions and Q tables, bit for bit."""
    k, s, a = 7, 5, 3
    params = dict(learning_rate=0.3, gamma=0.9, **params)
    kernel = BatchedQLearning(s, a, k, seed=11, **params)
    numpy = NumpyBatchedQLearning(s, a, k, seed=11, **params)
    rng = np.random.default_rng(0)
    for step in range(400):
        active = None if step % 3 else rng.random(k) < 0.7
        states = rng.integers(s, size=k)
        np.testing.assert_array_equal(kernel.act(states, active), numpy.act(states, active))
        endings = [rng.random(k) < 0.1, rng.random(k) < 0.05]
        args = (rng.integers(-1, 2, size=k).astype(float), rng.integers(s, size=k), *endings, active)
        kernel.observe(*args)
        numpy.observe(*args)
        assert_same_agents(kernel, numpy)
    np.testing.assert_array_equal(kernel.act(states, explore=False), numpy.act(states, explore=False))


@pytest.mark.parametrize("compiled", [False, True], ids=["loop", "compiled"])
@pytest.mark.parametrize("sarsa", [False, True], ids=["q-learning", "sarsa"])
def test_noisy_argmax_batch_equals_single_agents_on_a_deterministic_mdp(sarsa, compiled):
    """Noisy argmax draws only normals, in the single agent's order: agent k of the batch and
    QLearningAgent(seed=seeds[k]) act identically through train_batch and train."""
    seeds = [3, 14, 15]
    params = dict(learning_rate=0.8, gamma=0.9, exploration="noisy_argmax", sarsa=sarsa)
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    batch = BatchedQLearning.for_mdp(mdp, len(seeds), seed=seeds, **params)
    result = train_batch(batch, mdp, 100, seed=0, max_steps=40, compiled=compiled)
    env = gym.make("FrozenLake-v1", is_slippery=False)
    for k, seed in enumerate(seeds):
        single = QLearningAgent.for_env(env, seed=seed, **params)
        run = ps_graph.train(single, env, episodes=100, seed=0, max_steps=40)
        np.testing.assert_array_equal(result.returns[k], run.returns)
        np.testing.assert_array_equal(result.lengths[k], run.lengths)
        for state, row in single.q.items():
            np.testing.assert_array_equal(batch.q[k, state], row)
    assert result.returns.sum() > 0


def compiled(agent, mdp, seed, **budget):
    """A compiled run of ``agent`` on ``mdp``: its BatchResult and the progress reported."""
    k, reported = agent.num_agents, []
    log = EpisodeLog(k, budget.get("episodes") or 64)
    budget = dict(episodes=None, total_steps=None, max_steps=None) | budget
    agent.run_tabular(VectorMDP(mdp, k, seed=seed), log, progress=reported.append, **budget)
    return log.result(0.0, budget["episodes"]), reported


DETERMINISTIC = {
    "frozenlake": lambda: from_id("FrozenLake-v1", is_slippery=False),
    "cliffwalking": lambda: from_id("CliffWalking-v1"),
}
BUDGETS = {  # and the values drawn ahead: 0 is the smallest block (256 per agent), many chunks
    "episodes": (dict(episodes=60, max_steps=50), RUN_BLOCK_VALUES),
    "steps": (dict(total_steps=1500, max_steps=40), RUN_BLOCK_VALUES),
    "steps-in-chunks": (dict(total_steps=3000, max_steps=40), 0),
}


@pytest.mark.parametrize("budget, block_values", BUDGETS.values(), ids=BUDGETS.keys())
@pytest.mark.parametrize("make_mdp", DETERMINISTIC.values(), ids=DETERMINISTIC.keys())
@pytest.mark.parametrize("params", CASES.values(), ids=CASES.keys())
def test_compiled_run_equals_the_python_loop_on_deterministic_mdps(params, make_mdp, budget, block_values, monkeypatch):
    monkeypatch.setattr(batch, "RUN_BLOCK_VALUES", block_values)
    mdp, k = make_mdp(), 6
    params = dict(learning_rate=0.5, gamma=0.95, **params)
    loop_agents = BatchedQLearning.for_mdp(mdp, k, seed=5, **params)
    loop = train_batch(loop_agents, mdp, seed=1, **budget, compiled=False)
    agents = BatchedQLearning.for_mdp(mdp, k, seed=5, **params)
    result, reported = compiled(agents, mdp, 2, **budget)
    for field in ("returns", "lengths", "terminated", "episode_counts"):
        np.testing.assert_array_equal(getattr(result, field), getattr(loop, field), err_msg=field)
    assert_same_agents(agents, loop_agents)
    states = np.zeros(k, np.int64)  # the streams go on where the loop's do
    for _ in range(50):
        np.testing.assert_array_equal(agents.act(states), loop_agents.act(states))
    assert sum(reported) == (k * budget["episodes"] if "episodes" in budget else result.steps)


@pytest.mark.parametrize("params", [CASES["linear"], CASES["sarsa-noisy"]], ids=["linear", "sarsa-noisy"])
def test_compiled_run_learns_like_the_loop_on_slippery_frozenlake(params):
    mdp, k, episodes = from_id("FrozenLake-v1", is_slippery=True), 150, 300
    params = dict(learning_rate=0.1, gamma=0.99) | params | dict(exploration_decay_episodes=200)
    loop = train_batch(BatchedQLearning.for_mdp(mdp, k, seed=3, **params), mdp, episodes, seed=3, compiled=False)
    result, _ = compiled(BatchedQLearning.for_mdp(mdp, k, seed=4, **params), mdp, 4, episodes=episodes)
    assert_same_curves(result.returns > 0, loop.returns > 0)
    assert result.returns[:, -100:].mean() > result.returns[:, :100].mean()


def test_budgets_truncate_and_are_recorded():
    mdp, k = from_id("FrozenLake-v1", is_slippery=True), 20
    result, reported = compiled(BatchedQLearning.for_mdp(mdp, k, seed=0), mdp, 0, total_steps=5000, max_steps=7)
    counts = result.episode_counts
    assert [int(result.lengths[i, : counts[i]].sum()) for i in range(k)] == [5000] * k
    assert result.lengths.max() <= 7 and sum(reported) == 5000 * k
    cut = result.lengths == 7  # a 7-step episode ended by the cut is truncated, not terminated ...
    assert cut.any() and not (result.terminated & cut & (result.returns == 0)).all()
    for i in range(k):
        assert not result.terminated[i, counts[i] :].any()  # ... and the padding is empty
    run, _ = compiled(BatchedQLearning.for_mdp(mdp, k, seed=0), mdp, 0, episodes=30)
    assert run.returns.shape == (k, 30) and (run.lengths <= mdp.max_episode_steps).all()


def test_compiled_runs_are_deterministic_per_seed():
    mdp = from_id("FrozenLake-v1", is_slippery=True)

    def run(seed):
        return compiled(BatchedQLearning.for_mdp(mdp, 5, seed=seed), mdp, seed, episodes=40)[0].lengths

    np.testing.assert_array_equal(run(4), run(4))
    assert not np.array_equal(run(4), run(5))


def test_bad_input_says_what_to_pass():
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    agents = BatchedQLearning(3, 4, 2, seed=0)
    with pytest.raises(TabularError, match="16 states and 4 actions, the agents 3 and 4"):
        agents.run_tabular(VectorMDP(mdp, 2, seed=0), EpisodeLog(2), episodes=3)
    with pytest.raises(TabularError, match=r"log must record 2 agents; got an EpisodeLog for 3. Pass EpisodeLog\(2\)"):
        BatchedQLearning.for_mdp(mdp, 2).run_tabular(VectorMDP(mdp, 2, seed=0), EpisodeLog(3), episodes=3)
    with pytest.raises(ConfigError, match="exactly one budget"):
        agents.run_tabular(VectorMDP(mdp, 2, seed=0), EpisodeLog(2), episodes=3, total_steps=3)
    with pytest.raises(TabularError, match=r"states must be 2 state indices in \[0, 3\); got shape \(2,\), range"):
        agents.act([0, 3])
    with pytest.raises(TabularError, match=r"next_states must be 2 state indices"):
        agents.observe([0.0, 0.0], [0], [False, False], [False, False])


def test_numba_loads_only_with_the_kernels():
    assert modules_loaded_by("import ps_graph, qbaselines", "m == 'numba'") == []
