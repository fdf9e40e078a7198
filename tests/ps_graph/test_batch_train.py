"""train_batch on every kind of environment: tabular MDPs, gymnasium's SyncVectorEnv and native
vector envs in each autoreset mode; per-copy episodes, budgets, finished agents, the observation
index, LockstepAgents.for_env, the compiled dispatch and bad input."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from ps_graph.batch import BatchedTwoLayerPS, train_batch
from ps_graph.envs.vector import NativeVectorEnv
from ps_graph.errors import ConfigError, EnvError, UnsupportedSpaceError
from ps_graph.lockstep import LockstepAgents, StateIndex, env_sizes
from ps_graph.tabular import VectorMDP, from_env, from_id
from qbaselines.batch import BatchedQLearning

MODES = [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP, AutoresetMode.DISABLED]
MODE_IDS = [m.value for m in MODES]
SEEDS = [3, 14, 15]


# ---------------------------------------------------------------------- small envs and agents
class Corridor(NativeVectorEnv):
    """Copy i walks a corridor of ``lengths[i]`` cells: action ``start + 1`` steps forward (reward 1
    when it reaches the end, which terminates), ``start + 0`` stays. Observations: the position,
    or ``(position, position % 2)`` as a MultiDiscrete or a Tuple (``obs``)."""

    def __init__(self, lengths, *, obs="discrete", action_start=0, **kwargs):
        self.lengths = np.asarray(lengths, np.int64)
        n = int(self.lengths.max()) + 1
        space = {
            "discrete": spaces.Discrete(n, start=5),
            "multi": spaces.MultiDiscrete([n, 2]),
            "tuple": spaces.Tuple((spaces.Discrete(n), spaces.Discrete(2))),
        }[obs]
        super().__init__(len(self.lengths), space, spaces.Discrete(2, start=action_start), **kwargs)
        self.kind, self.action_start = obs, action_start
        self.pos = np.zeros(self.num_envs, np.int64)
        self.env_steps = 0

    def step(self, actions):
        self.env_steps += 1
        return super().step(actions)

    def _reset_copies(self, mask):
        self.pos[mask] = 0

    def _step_copies(self, actions, mask):
        self.pos = np.where(mask, self.pos + (actions - self.action_start), self.pos)
        done = self.pos >= self.lengths
        return done.astype(np.float64), done

    def _observations(self):
        if self.kind == "discrete":
            return self.pos + 5
        if self.kind == "multi":
            return np.stack([self.pos, self.pos % 2], axis=1)
        return (self.pos.copy(), self.pos % 2)


class Scripted(LockstepAgents):
    """Agents that play a fixed action and record what the loop shows them."""

    def _configure(self, config, hyperparameters):
        return dict(hyperparameters)

    def _allocate(self):
        self.acts, self.observed = [], []

    def act(self, states, active=None):
        self.acts.append((np.array(states), self.active_mask(active).copy()))
        return np.full(self.num_agents, self.config.get("action", 1))

    def observe(self, rewards, next_states, terminated, truncated, active=None):
        mask = self.active_mask(active).copy()
        self.observed.append((np.array(rewards), np.array(next_states), terminated.copy(), truncated.copy(), mask))


def frozenlake(k, mode=AutoresetMode.NEXT_STEP):
    return gym.make_vec(
        "FrozenLake-v1",
        num_envs=k,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": mode},
        is_slippery=False,
    )


def same_results(a, b):
    np.testing.assert_array_equal(a.returns, b.returns)
    np.testing.assert_array_equal(a.lengths, b.lengths)
    np.testing.assert_array_equal(a.terminated, b.terminated)
    np.testing.assert_array_equal(a.episode_counts, b.episode_counts)


AGENTS = {
    "ps": lambda env: BatchedTwoLayerPS.for_env(env, len(SEEDS), gamma_damping=0.01, eta_glow_damping=0.1, seed=SEEDS),
    "q": lambda env: BatchedQLearning.for_env(env, len(SEEDS), learning_rate=0.5, gamma=0.9, seed=SEEDS),
}


def tables(agent):
    return agent.h_values() if isinstance(agent, BatchedTwoLayerPS) else agent.q


# ---------------------------------------------------------------------- equivalences
@pytest.mark.parametrize("kind", list(AGENTS))
@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_sync_frozenlake_and_its_tabular_mdp_train_identically(kind, mode):
    """Deterministic FrozenLake: only the agents' streams matter, so the same agents on the
    tabular MDP (Python loop), on its SyncVectorEnv in each autoreset mode and on a step budget
    behave identically (max_steps=8 cuts episodes, which the vector env restarts by reset_mask)."""
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    for budget in (dict(episodes=80), dict(total_steps=400, max_steps=8)):
        tab_agent, vec_agent = AGENTS[kind](mdp), AGENTS[kind](frozenlake(3, mode))
        tab = train_batch(tab_agent, mdp, **budget, seed=0, compiled=False)
        same_results(tab, train_batch(vec_agent, frozenlake(3, mode), **budget, seed=0))
        np.testing.assert_allclose(tables(tab_agent), tables(vec_agent), rtol=0, atol=1e-12)
        assert tab.returns.sum() > 0 if "episodes" in budget else (tab.lengths == 8).any()  # goals; cuts


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_native_grid_world_matches_its_tabular_mdp(mode):
    """A real native vector env (the Dyna maze) against the table of its single env."""
    try:
        envs = gym.make_vec(
            "ps_graph/DynaMaze-v0", num_envs=3, vectorization_mode="vector_entry_point", autoreset_mode=mode
        )
    except Exception as err:  # pragma: no cover - the native vector envs are being registered
        pytest.skip(f"ps_graph/DynaMaze-v0 has no native vector env yet: {err}")
    mdp = from_env(gym.make("ps_graph/DynaMaze-v0"))
    tab_agent, vec_agent = AGENTS["ps"](mdp), AGENTS["ps"](envs)
    tab = train_batch(tab_agent, mdp, 8, seed=0, max_steps=300, compiled=False)
    same_results(tab, train_batch(vec_agent, envs, 8, seed=0, max_steps=300))
    np.testing.assert_allclose(tab_agent.h_values(), vec_agent.h_values(), rtol=0, atol=1e-12)


@pytest.mark.parametrize(("time_limit", "max_steps"), [(4, None), (None, 3)])
def test_autoreset_modes_give_the_same_episodes_on_a_native_env(time_limit, max_steps):
    def run(mode):
        env = Corridor([2, 3, 5], autoreset_mode=mode, max_episode_steps=time_limit)
        agent = BatchedTwoLayerPS.for_env(env, gamma_damping=0.02, eta_glow_damping=0.3, seed=SEEDS)
        return train_batch(agent, env, 30, seed=1, max_steps=max_steps), agent.h_values()

    (first, h), *others = [run(mode) for mode in MODES]
    for result, h_other in others:
        same_results(first, result)
        np.testing.assert_array_equal(h, h_other)
    assert first.terminated.any() and not first.terminated.all()  # reached ends, and truncations


def test_next_step_reset_steps_are_neither_acted_nor_observed():
    env = Corridor([1, 2], autoreset_mode=AutoresetMode.NEXT_STEP)
    agent = Scripted.for_env(env, seed=0)
    result = train_batch(agent, env, episodes=3)
    assert result.lengths.tolist() == [[1, 1, 1], [2, 2, 2]]
    assert result.returns.tolist() == [[1.0] * 3, [1.0] * 3]
    observed = np.array([mask for *_, mask in agent.observed]).sum(axis=0)
    assert observed.tolist() == [3, 6]  # one observation per real step, none of the reset steps
    assert env.env_steps == 3 * 2 + 2  # the slowest copy's steps and its two reset steps
    for states, mask in agent.acts:
        assert (states[mask] < env.lengths[mask]).all()  # acting copies never see a corridor's end


def test_same_step_agents_observe_the_final_state_then_start_again():
    env = Corridor([2], obs="multi", autoreset_mode=AutoresetMode.SAME_STEP)
    agent = Scripted.for_env(env, seed=0)
    train_batch(agent, env, episodes=2)
    assert [s.tolist() for s, _ in agent.acts] == [[0], [3], [0], [3]]  # (pos, pos % 2) -> 2 pos + parity
    assert [o[1].tolist() for o in agent.observed] == [[3], [4], [3], [4]]  # the final state (2, 0) -> 4


# ---------------------------------------------------------------------- episodes, budgets, finished agents
def test_copies_run_their_own_episodes():
    env = Corridor([1, 2, 4])
    result = train_batch(Scripted.for_env(env, seed=0), env, total_steps=8, seed=0)
    assert result.counts.tolist() == [8, 4, 2]  # the short corridor does not wait for the long one
    assert [run.lengths.tolist() for run in result.runs()] == [[1] * 8, [2] * 4, [4] * 2]


def test_step_budget_truncates_the_last_episode_and_max_steps_cuts():
    env = Corridor([3], autoreset_mode=AutoresetMode.SAME_STEP)
    run = train_batch(Scripted.for_env(env, seed=0), env, total_steps=7).runs()[0]
    assert run.lengths.tolist() == [3, 3, 1] and run.terminated.tolist() == [True, True, False]
    assert run.returns.tolist() == [1.0, 1.0, 0.0]
    staying = Scripted.for_env(Corridor([3]), action=0, seed=0)
    result = train_batch(staying, Corridor([3]), episodes=3, max_steps=5)
    assert result.lengths.tolist() == [[5, 5, 5]] and not result.terminated.any()
    assert sum(o[3][0] for o in staying.observed) == 3  # the agent saw each cut as truncated
    limited = train_batch(Scripted.for_env(Corridor([3]), action=0, seed=0), Corridor([3], max_episode_steps=4), 2)
    assert limited.lengths.tolist() == [[4, 4]]  # the env's time limit


def test_finished_agents_stop_acting_and_learning():
    """Each agent of a batch ends with the h-values it has when trained alone with its seed:
    after its last episode it neither acts nor learns (no damping either) while the others go on."""
    params = dict(gamma_damping=0.05, eta_glow_damping=0.2)
    batch = BatchedTwoLayerPS.for_env(frozenlake(3), seed=SEEDS, **params)
    result = train_batch(batch, frozenlake(3), 15, seed=0, max_steps=20)
    assert len(set(result.lengths.sum(axis=1))) > 1  # the agents finish at different steps
    for k, seed in enumerate(SEEDS):
        alone = BatchedTwoLayerPS.for_env(frozenlake(1), seed=[seed], **params)
        single = train_batch(alone, frozenlake(1), 15, seed=0, max_steps=20)
        np.testing.assert_array_equal(single.lengths[0], result.lengths[k])
        np.testing.assert_allclose(alone.h_values()[0], batch.h_values()[k], rtol=0, atol=1e-12)
    spy = Scripted.for_env(Corridor([1, 3]), seed=0)
    train_batch(spy, Corridor([1, 3]), 2)
    assert [mask.tolist() for _, mask in spy.acts][-3:] == [[False, True]] * 3


def test_vector_mdp_input_and_its_seed():
    mdp = from_id("FrozenLake-v1", is_slippery=True)

    def run(env, seed):
        return train_batch(BatchedTwoLayerPS.for_mdp(mdp, 3, seed=0), env, 20, seed=seed, compiled=False)

    same_results(run(mdp, 5), run(VectorMDP(mdp, 3, seed=99), 5))  # a seed replaces the Generator
    same_results(run(mdp, 5), run(VectorMDP(mdp, 3, seed=5), None))  # no seed: the VectorMDP's own


def test_progress_bar_counts_episodes_or_steps(capsys):
    env = Corridor([2, 2])
    train_batch(Scripted.for_env(env, seed=0), env, 3, progress=True)
    assert "6/6" in capsys.readouterr().err
    train_batch(Scripted.for_env(env, seed=0), env, total_steps=5, progress=True)
    assert "10/10" in capsys.readouterr().err


# ---------------------------------------------------------------------- compiled dispatch
class Compiled(Scripted):
    def run_tabular(self, vec, log, *, episodes, total_steps, max_steps, progress):
        self.call = (vec, episodes, total_steps, max_steps, progress)
        log.record(np.arange(self.num_agents), np.ones(self.num_agents), np.full(self.num_agents, 9), np.ones(2, bool))


def test_compiled_agents_run_their_own_loop_unless_compiled_is_false():
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    agent = Compiled.for_mdp(mdp, 2, seed=0)
    result = train_batch(agent, mdp, 1, seed=4, max_steps=9, progress=True)
    vec, episodes, total_steps, max_steps, progress = agent.call
    assert isinstance(vec, VectorMDP) and vec.states is None and vec.num_envs == 2  # fresh, not reset
    assert (episodes, total_steps, max_steps) == (1, None, 9) and callable(progress)
    assert vec.rng.random() == np.random.default_rng(4).random()  # seeded with the seed
    assert result.lengths.tolist() == [[9], [9]]
    reference = Compiled.for_mdp(mdp, 2, seed=0)  # down, down, down: into the hole
    assert train_batch(reference, mdp, 1, seed=4, compiled=False).lengths.tolist() == [[3], [3]]  # walked
    assert not hasattr(reference, "call")
    env = frozenlake(2)
    assert train_batch(Compiled.for_env(env, seed=0), env, 1).lengths.tolist() == [[3], [3]]


@pytest.mark.parametrize("kind", list(AGENTS))
def test_compiled_and_python_loops_agree(kind):
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    if not hasattr(AGENTS[kind](mdp), "run_tabular"):
        pytest.skip("this agent has no compiled loop yet")
    for budget in (dict(episodes=60), dict(total_steps=500)):
        fast, slow = AGENTS[kind](mdp), AGENTS[kind](mdp)
        same_results(
            train_batch(fast, mdp, **budget, seed=0, max_steps=9),
            train_batch(slow, mdp, **budget, seed=0, max_steps=9, compiled=False),
        )
        np.testing.assert_allclose(tables(fast), tables(slow), rtol=0, atol=1e-9)


# ---------------------------------------------------------------------- observations and sizes
def test_state_index_of_finite_spaces():
    assert StateIndex(spaces.Discrete(3, start=-1))(np.array([-1, 1])).tolist() == [0, 2]
    md = StateIndex(spaces.MultiDiscrete([[2, 3], [2, 2]], start=[[1, 0], [0, 0]]))
    assert md.num_states == 24 and md(np.array([[[2, 2], [1, 1]]])).tolist() == [23]
    assert StateIndex(spaces.MultiBinary(3))(np.array([[1, 0, 1]])).tolist() == [5]
    d = StateIndex(spaces.Dict({"a": spaces.Discrete(2), "b": spaces.Discrete(3)}))
    assert d.num_states == 6 and d({"a": np.array([1]), "b": np.array([2])}).tolist() == [5]
    with pytest.raises(EnvError, match="outside the observation space"):
        StateIndex(spaces.Discrete(3))(np.array([0, 3]))
    with pytest.raises(UnsupportedSpaceError, match="too many"):
        StateIndex(spaces.MultiDiscrete([1000] * 8))


@pytest.mark.parametrize("obs", ["multi", "tuple"])
def test_multi_discrete_and_tuple_observations_are_indexed(obs):
    env = Corridor([3, 2], obs=obs, action_start=4, autoreset_mode=AutoresetMode.DISABLED)
    agent = Scripted.for_env(env, seed=0)
    assert (agent.num_states, agent.num_actions) == (8, 2)
    result = train_batch(agent, env, 2)
    assert result.lengths.tolist() == [[3, 3], [2, 2]]  # action 1 is the env's 5: forward
    assert [s.tolist() for s, _ in agent.acts[:3]] == [[0, 0], [3, 3], [4, 0]]  # 2 pos + parity


def test_for_env_reads_sizes_from_every_kind_of_env():
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    assert env_sizes(mdp) == (16, 4, None) and env_sizes(VectorMDP(mdp, 5)) == (16, 4, 5)
    assert BatchedTwoLayerPS.for_env(frozenlake(4)).num_agents == 4
    assert BatchedQLearning.for_env(VectorMDP(mdp, 2)).num_agents == 2
    single = BatchedTwoLayerPS.for_env(gym.make("Taxi-v4"), 3)
    assert (single.num_states, single.num_actions, single.num_agents) == (500, 6, 3)
    assert BatchedTwoLayerPS.for_env(mdp, 2).num_states == 16
    with pytest.raises(ConfigError, match="num_agents is needed"):
        BatchedTwoLayerPS.for_env(mdp)
    with pytest.raises(UnsupportedSpaceError, match="DiscretizeBox"):
        BatchedTwoLayerPS.for_env(gym.make("CartPole-v1"), 2)
    with pytest.raises(ConfigError, match="expected a TabularMDP"):
        BatchedTwoLayerPS.for_env("FrozenLake-v1", 2)


# ---------------------------------------------------------------------- bad input
class BoxActions(gym.Env):
    observation_space = spaces.Discrete(2)
    action_space = spaces.Box(-1.0, 1.0, (1,))


def test_bad_input():
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    agents = BatchedTwoLayerPS.for_mdp(mdp, 2, seed=0)
    with pytest.raises(ConfigError, match="3 copies for 2 agents"):
        train_batch(agents, frozenlake(3), 1)
    with pytest.raises(ConfigError, match="3 copies for 2 agents"):
        train_batch(agents, VectorMDP(mdp, 3), 1)
    cartpole = gym.make_vec("CartPole-v1", num_envs=2, vectorization_mode="sync")
    with pytest.raises(UnsupportedSpaceError, match=r"continuous \(Box\).*DiscretizeBox"):
        train_batch(agents, cartpole, 1)
    with pytest.raises(UnsupportedSpaceError, match="Discrete action space"):
        train_batch(agents, SyncVectorEnv([BoxActions, BoxActions]), 1)
    with pytest.raises(ConfigError, match="exactly one budget"):
        train_batch(agents, mdp, 2, total_steps=10)
    with pytest.raises(ConfigError, match="exactly one budget"):
        train_batch(agents, mdp)
    with pytest.raises(ConfigError, match="gym.make_vec"):
        train_batch(agents, gym.make("FrozenLake-v1"), 1)
    odd = Corridor([1, 1])
    odd.metadata = {**odd.metadata, "autoreset_mode": "Sometimes"}
    with pytest.raises(ConfigError, match="autoreset_mode"):
        train_batch(Scripted.for_env(odd), odd, 1)
    taxi = gym.make_vec("Taxi-v4", num_envs=2, vectorization_mode="sync")
    with pytest.raises(ConfigError, match=r"16 states and 4 actions.*500 states.*for_env"):
        train_batch(agents, taxi, 1)
