"""Native vector envs of the grids, the mountain car and the search worlds against their single envs.

Deterministic parts are compared exactly (every state and action of a grid layout; mountain car
states bit for bit; one copy with the single env's seed draws the single env's stream, step for
step). Random parts of many copies are compared statistically with the single env: each test
states its alpha, the probability that it fails although the vector env is right.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space
from scipy import stats

import ps_graph.envs  # noqa: F401  (registers the ids)
from ps_graph import tabular
from ps_graph.envs import DYNA_MAZE, GridWorld
from ps_graph.envs.vector.grids import GridWorldVector
from ps_graph.envs.vector.mountain_car import MountainCarDiscreteVector
from ps_graph.envs.vector.search import Reset1DVector
from ps_graph.errors import ConfigError, EnvError

ALPHA = 1e-3  # every statistical test below fails with probability <= ALPHA when the env is right

CASES = [
    ("ps_graph/GridWorld-v0", {}),
    ("ps_graph/GridWorld-v0", {"rows": 4, "cols": 5, "periodic": True}),
    ("ps_graph/GridWorld-v0", {"rows": 4, "cols": 5, "obstacle_density": 0.3, "random_goal": True}),
    ("ps_graph/DynaMaze-v0", {}),
    ("ps_graph/DynaMaze-v0", {"random_start": True, "periodic": True}),
    ("ps_graph/MountainCarDiscrete-v0", {}),
    ("ps_graph/MountainCarDiscrete-v0", {"bins": (6, 4), "multidiscrete": False}),
    ("ps_graph/Reset1D-v0", {"distance": 1.0, "episode_steps": 40}),
    ("ps_graph/Reset2D-v0", {"distance": 2.0, "episode_steps": 40}),
    ("ps_graph/TurnReset2D-v0", {"distance": 2.0, "max_counter": 10, "episode_steps": 40}),
    ("ps_graph/Foraging-v0", {"num_targets": 30, "size": 10.0, "episode_steps": 40}),
]
IDS = [f"{env_id.split('/')[1]}{kwargs or ''}" for env_id, kwargs in CASES]


def make_vec(env_id: str, num_envs: int, **kwargs):
    return gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs)


def run_single(env, seed: int, actions) -> list:
    """The single env under gymnasium's NEXT_STEP autoreset: (obs, reward, terminated, truncated) per step."""
    obs, _ = env.reset(seed=seed)
    out, ended = [(np.asarray(obs).tolist(), 0.0, False, False)], False
    for a in actions:
        if ended:
            obs, reward, terminated, truncated = env.reset()[0], 0.0, False, False
        else:
            obs, reward, terminated, truncated, _ = env.step(int(a))
        ended = terminated or truncated
        out.append((np.asarray(obs).tolist(), float(reward), bool(terminated), bool(truncated)))
    return out


def run_vector(envs, seed: int, actions) -> list:
    obs, _ = envs.reset(seed=seed)
    out = [(obs[0].tolist(), 0.0, False, False)]
    for a in actions:
        obs, reward, terminated, truncated, _ = envs.step(np.array([a]))
        out.append((obs[0].tolist(), float(reward[0]), bool(terminated[0]), bool(truncated[0])))
    return out


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_spaces_are_the_batched_spaces_of_the_single_env(env_id, kwargs):
    single, envs = gym.make(env_id, **kwargs), make_vec(env_id, 7, **kwargs)
    assert envs.single_observation_space == single.observation_space
    assert envs.single_action_space == single.action_space
    assert envs.observation_space == batch_space(single.observation_space, 7)
    assert envs.action_space == batch_space(single.action_space, 7)
    obs, _ = envs.reset(seed=0)
    assert envs.observation_space.contains(obs)
    obs = envs.step(envs.action_space.sample())[0]
    assert envs.observation_space.contains(obs)
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_one_copy_draws_the_single_envs_stream_through_autoresets(env_id, kwargs):
    """With the same seed, one copy's observations, rewards and ends are the single env's, step for step."""
    single, envs = gym.make(env_id, **kwargs), make_vec(env_id, 1, **kwargs)
    n = int(single.action_space.n)
    for seed in (0, 5):
        actions = np.random.default_rng(seed).integers(n, size=300)
        assert run_vector(envs, seed, actions) == run_single(single, seed, actions)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_same_seed_same_copies_other_seed_other_copies(env_id, kwargs):
    envs = make_vec(env_id, 50, **kwargs)
    actions = np.random.default_rng(0).integers(int(envs.single_action_space.n), size=(30, 50))

    def trace(seed):
        steps = [envs.reset(seed=seed)[0]]
        steps += [envs.step(a)[0] for a in actions]
        return np.stack(steps)

    first = trace(1)
    np.testing.assert_array_equal(trace(1), first)
    random_starts = "Mountain" in env_id or "Foraging" in env_id or "TurnReset" in env_id or "random" in str(kwargs)
    if random_starts or "Reset" in env_id:
        assert not np.array_equal(trace(2), first)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_bad_actions_are_env_errors(env_id, kwargs):
    envs = make_vec(env_id, 3, **kwargs)
    with pytest.raises(EnvError, match="reset"):
        envs.step(np.zeros(3, np.int64))
    envs.reset(seed=0)
    n = int(envs.single_action_space.n)
    for bad in (np.array([0, n, 0]), np.array([-1, 0, 0]), np.zeros(2, np.int64), np.zeros(3)):
        with pytest.raises(EnvError, match="actions"):
            envs.step(bad)


# ---------------------------------------------------------------------------------------- grids
GRIDS = [
    {},
    {"rows": 3, "cols": 4, "periodic": True},
    {"desc": DYNA_MAZE},
    {"desc": DYNA_MAZE, "periodic": True},
    {"desc": ("S.#G", "..#.", "G..#")},
]


def every_state_and_action(envs):
    """Step copy s * 4 + a from state s with action a (autoreset disabled): (next, reward, terminated)."""
    S = envs.nrow * envs.ncol
    envs.states[:] = np.repeat(np.arange(S), 4)
    obs, rewards, terminated, _, _ = envs.step(np.tile(np.arange(4), S))
    return obs, rewards, terminated


@pytest.mark.parametrize("kwargs", GRIDS)
def test_fixed_grid_steps_every_state_and_action_as_the_single_env(kwargs):
    single = GridWorld(**kwargs)
    S = single.nrow * single.ncol
    envs = GridWorldVector(4 * S, **kwargs, autoreset_mode="Disabled")
    envs.reset(seed=0)
    obs, rewards, terminated = every_state_and_action(envs)
    for s in range(S):
        for a in range(4):
            single.s = s
            expected = single.step(a)[:3]
            assert (obs[4 * s + a], rewards[4 * s + a], terminated[4 * s + a]) == expected
    mdp = tabular.from_env(single)
    np.testing.assert_array_equal(envs.mdp.next_states, mdp.next_states)
    np.testing.assert_array_equal(envs.mdp.terminated, mdp.terminated)


@pytest.mark.parametrize(
    "options",
    [
        {"obstacle_density": 0.4},
        {"random_goal": True, "random_start": True, "periodic": True},
        {"obstacle_density": 0.3, "random_goal": True, "periodic": True},
    ],
)
def test_each_copys_layout_steps_as_a_single_env_of_that_layout(options):
    K, S = 12, 20
    envs = GridWorldVector(K * 4 * S, rows=4, cols=5, autoreset_mode="Disabled", **options)
    envs.reset(seed=3)
    assert envs.mdp is None
    layouts = [envs.layout(i) for i in range(0, envs.num_envs, 4 * S)]  # copy blocks of 4 S steps
    keep = np.repeat(np.arange(0, envs.num_envs, 4 * S), 4 * S)
    for name in ("walls", "goals", "starts"):
        array = getattr(envs._layouts, name)
        array[:] = array[keep]
    envs.states[:] = np.tile(np.repeat(np.arange(S), 4), K)
    obs, rewards, terminated, _, _ = envs.step(np.tile(np.arange(4), K * S))
    for k, desc in enumerate(layouts):
        single = GridWorld(desc, periodic=options.get("periodic", False))
        for s in range(S):
            for a in range(4):
                i = k * 4 * S + 4 * s + a
                single.s = s
                assert (obs[i], rewards[i], terminated[i]) == single.step(a)[:3]


def chi2_same(counts_a: np.ndarray, counts_b: np.ndarray) -> float:
    """p-value of a chi-square test that two count vectors come from one distribution."""
    table = np.stack([counts_a, counts_b])
    table = table[:, table.sum(axis=0) > 0]
    return float(stats.chi2_contingency(table)[1])


def single_layouts(n: int, **kwargs) -> list:
    env = GridWorld(**kwargs)
    env.reset(seed=0)
    out = []
    for _ in range(n):
        env.reset()
        out.append(env.desc)
    return out


def cell_counts(layouts, char: str) -> np.ndarray:
    return np.sum([[cell == char for cell in "".join(desc)] for desc in layouts], axis=0)


@pytest.mark.parametrize(
    "options",
    [{"random_goal": True, "random_start": True}, {"random_start": True}, {"obstacle_density": 0.45}],
)
def test_random_layouts_of_many_copies_are_distributed_as_the_single_envs(options):
    """Start, goal and wall frequencies per cell: chi-square tests at ALPHA (Bonferroni over the three)."""
    n = 3000
    kwargs = {"desc": ("S..", ".#.", "..G"), **options}
    envs = GridWorldVector(n, **kwargs)
    envs.reset(seed=11)
    vector = [envs.layout(i) for i in range(n)]
    single = single_layouts(n, **kwargs)
    for char in "SG#":
        a, b = cell_counts(vector, char), cell_counts(single, char)
        if (a == n).all() or a.sum() == 0 or np.array_equal(a, b):
            continue
        if char == "#":  # independent walls: per cell, a 2 x 2 table of walls and open cells
            p = min(chi2_same(np.array([x, n - x]), np.array([y, n - y])) * a.size for x, y in zip(a, b))
        else:
            p = chi2_same(a, b)
        assert p > ALPHA / 3, (char, a, b)


def test_autoreset_next_step_same_step_and_time_limits():
    envs = GridWorldVector(2, ["SG"])
    envs.reset(seed=0)
    _, rewards, terminated, _, _ = envs.step(np.array([2, 0]))
    assert rewards.tolist() == [1.0, 0.0] and terminated.tolist() == [True, False]
    obs, rewards, terminated, truncated, infos = envs.step(np.array([0, 2]))  # copy 0 resets, ignores its action
    assert obs.tolist() == [0, 1] and rewards.tolist() == [0.0, 1.0] and terminated.tolist() == [False, True]
    same = GridWorldVector(2, ["SG"], autoreset_mode=AutoresetMode.SAME_STEP)
    same.reset(seed=0)
    obs, rewards, terminated, _, infos = same.step(np.array([2, 0]))
    assert obs.tolist() == [0, 0] and terminated.tolist() == [True, False]
    assert infos["final_obs"][0] == 1 and infos["_final_obs"].tolist() == [True, False]
    limited = make_vec("ps_graph/GridWorld-v0", 2, rows=2, cols=2, max_episode_steps=3)
    limited.reset(seed=0)
    truncated = [limited.step(np.array([0, 3]))[3].tolist() for _ in range(4)]
    assert truncated == [[False, False], [False, False], [True, True], [False, False]]
    assert make_vec("ps_graph/DynaMaze-v0", 1).max_episode_steps == 3000


def test_grid_options_are_checked():
    with pytest.raises(ConfigError, match="obstacle_density"):
        GridWorldVector(2, obstacle_density=0.9)
    with pytest.raises(ConfigError, match="render"):
        GridWorldVector(2, render_mode="ansi")
    with pytest.raises(ConfigError, match="reachable"):
        GridWorldVector(2, ["S#G"], random_start=False, obstacle_density=0.1).reset(seed=0)


# ---------------------------------------------------------------------------------- mountain car
@pytest.mark.parametrize("multidiscrete", [True, False])
def test_mountain_car_steps_every_state_as_gymnasium_bit_for_bit(multidiscrete):
    K = 3000
    envs = MountainCarDiscreteVector(K, bins=(18, 7), multidiscrete=multidiscrete, autoreset_mode="Disabled")
    envs.reset(seed=0)
    rng = np.random.default_rng(1)
    envs.position[:] = rng.uniform(-1.25, 0.65, K)
    envs.velocity[:] = rng.uniform(-0.075, 0.075, K)
    envs.position[:20], envs.velocity[:20] = -1.2, -0.001  # the inelastic wall
    envs.position[20:40], envs.velocity[20:40] = 0.499, 0.01  # reaching the goal
    before = envs.position.copy(), envs.velocity.copy()
    actions = rng.integers(3, size=K)
    obs, rewards, terminated, _, _ = envs.step(actions)
    single = gym.make("ps_graph/MountainCarDiscrete-v0", bins=(18, 7), multidiscrete=multidiscrete)
    single.reset(seed=0)
    for i in range(K):
        single.unwrapped.state = (before[0][i], before[1][i])
        o, r, t, _, _ = single.step(int(actions[i]))
        assert tuple(single.unwrapped.state) == (envs.position[i], envs.velocity[i])
        assert (np.asarray(o).tolist(), r, t) == (obs[i].tolist(), rewards[i], terminated[i])
    assert terminated[20:40].all()


def test_mountain_car_time_limit_and_reset_bounds():
    envs = make_vec("ps_graph/MountainCarDiscrete-v0", 3)
    envs.reset(seed=0, options={"low": -0.5, "high": -0.49})
    assert ((envs.position >= -0.5) & (envs.position < -0.49)).all()
    truncated = [envs.step(np.ones(3, np.int64))[3].any() for _ in range(200)]
    assert truncated == [False] * 199 + [True]
    envs.step(np.ones(3, np.int64))  # the autoreset draws in the default bounds
    assert ((envs.position >= -0.6) & (envs.position < -0.4)).all()
    with pytest.raises(ConfigError, match="render"):
        MountainCarDiscreteVector(2, render_mode="human")


# ---------------------------------------------------------------------------------- search worlds
SEARCH = [case for case in CASES if "Reset" in case[0] or "Foraging" in case[0]]


def rewards_and_counters(run, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per run: the total reward and the last counter (first observation entry) over 40 steps."""
    totals, counters = np.zeros(n), np.zeros(n)
    for i, (obs, total) in enumerate(run):
        totals[i], counters[i] = total, np.ravel(obs)[0]
    return totals, counters


@pytest.mark.parametrize(("env_id", "kwargs"), SEARCH, ids=[i for i in IDS if "Reset" in i or "Forag" in i])
def test_many_walkers_step_as_many_single_envs(env_id, kwargs):
    """Total reward and last counter over one 40-step episode under a random policy: Welch t-tests
    at ALPHA / 2 each, 500 vector copies against 500 single envs of seeds 0..499."""
    n, steps = 500, 40
    envs = make_vec(env_id, n, **kwargs)
    num_actions = int(envs.single_action_space.n)
    policy = np.random.default_rng(7).integers(num_actions, size=(steps, n))
    envs.reset(seed=123)
    total = np.zeros(n)
    for a in policy:
        obs, rewards, *_ = envs.step(a)
        total += rewards
    single = gym.make(env_id, **kwargs)
    runs = []
    for i in range(n):
        run = run_single(single, i, policy[:, i])
        runs.append((run[-1][0], sum(step[1] for step in run)))
    vector = (total, np.asarray(obs).reshape(n, -1)[:, 0])
    for a, b in zip(vector, rewards_and_counters(runs, n), strict=True):
        assert a.std() + b.std() > 0
        assert stats.ttest_ind(a, b, equal_var=False).pvalue > ALPHA / 2, (a.mean(), b.mean())


def test_search_infos_truncation_and_partial_resets():
    envs = Reset1DVector(4, distance=1e9, episode_steps=3)
    obs, infos = envs.reset(seed=0)
    assert infos["step"].tolist() == [0] * 4 and infos["position"].tolist() == [0.0] * 4
    envs.step(np.zeros(4, np.int64))
    envs.reset(options={"reset_mask": np.array([True, True, False, False])})
    assert envs.world.x[:2].tolist() == [0.0, 0.0] and (envs.world.x[2:] != 0).all()
    ends = [envs.step(np.zeros(4, np.int64))[3].tolist() for _ in range(3)]
    assert ends == [[False, False, False, False], [False, False, True, True], [True, True, False, False]]
    x = envs.world.x.copy()
    envs._step_copies(np.zeros(4, np.int64), np.array([True, False, True, False]))
    assert envs.world.x[[1, 3]].tolist() == x[[1, 3]].tolist() and (envs.world.x[[0, 2]] != x[[0, 2]]).all()
    assert make_vec("ps_graph/Reset2D-v0", 2, max_episode_steps=5).max_episode_steps == 5
    with pytest.raises(ConfigError, match="radius"):
        make_vec("ps_graph/Reset2D-v0", 2, distance=1.0, radius=2.0)
