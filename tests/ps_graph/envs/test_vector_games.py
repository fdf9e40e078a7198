"""ps_graph.envs.vector.games: the one-step games as native vector envs, against the single games.

Deterministic parts are compared exactly (one copy replays the single game trial by trial; reward
tables and protocols by hand); random parts by chi-square tests at significance ``ALPHA``.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.registration import load_env_creator
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space
from scipy import stats

import ps_graph.envs
from ps_graph.envs.vector import NativeVectorEnv, games
from ps_graph.errors import ConfigError, EnvError

ALPHA = 0.001  # significance level of every chi-square test below

CASES = {
    "invasion": ("ps_graph/InvasionGame-v0", {}),
    "invasion-protocols": (
        "ps_graph/InvasionGame-v0",
        {"num_symbols": 3, "num_colours": 2, "invert_at": 3, "new_colour_at": 5},
    ),
    "driver": ("ps_graph/DriverGame-v0", {"num_directions": 3, "num_colours": 4}),
    "never-ending": ("ps_graph/NeverEndingColourGame-v0", {"num_colours": 5}),
    "distraction": ("ps_graph/InvasionWithDistraction-v0", {"penalty": -3.0}),
    "deceptive": ("ps_graph/DeceptiveInvasion-v0", {}),
    "rlgl": ("ps_graph/RedLightGreenLight-v0", {"transitions": [[0.7, 0.3], [0.4, 0.6]]}),
}
VECTOR_CLASSES = {
    "ps_graph/InvasionGame-v0": games.InvasionGameVector,
    "ps_graph/DriverGame-v0": games.DriverGameVector,
    "ps_graph/NeverEndingColourGame-v0": games.NeverEndingColourGameVector,
    "ps_graph/InvasionWithDistraction-v0": games.InvasionWithDistractionVector,
    "ps_graph/DeceptiveInvasion-v0": games.DeceptiveInvasionVector,
    "ps_graph/RedLightGreenLight-v0": games.RedLightGreenLightVector,
}
cases = pytest.mark.parametrize("env_id, kwargs", list(CASES.values()), ids=list(CASES))


def _vec(env_id, k, **kwargs):
    return gym.make_vec(env_id, num_envs=k, vectorization_mode="vector_entry_point", **kwargs)


def _rows(obs) -> list[tuple[int, ...]]:
    """A vector env's observations as one tuple of ints per copy."""
    if isinstance(obs, tuple):
        return list(zip(*(part.tolist() for part in obs), strict=True))
    obs = np.asarray(obs)
    return [tuple(row) for row in obs.reshape(len(obs), -1).tolist()]


def _row(obs) -> tuple[int, ...]:
    """A single env's observation as a tuple of ints."""
    return tuple(int(x) for x in np.ravel(np.asarray(obs if not isinstance(obs, tuple) else list(obs))))


def _copy(infos, k) -> dict:
    """Copy k's entries of vector infos (those its masks hold, final_* aside), as a single env's info."""
    entries = {key: value for key, value in infos.items() if key[:1] != "_" and not key.startswith("final_")}
    return {key: value[k].item() for key, value in entries.items() if infos[f"_{key}"][k]}


def _right(env_id, kwargs, row, info) -> float:
    """The reward table by hand: the reward of every action for the trial ``row``/``info``."""
    if env_id == "ps_graph/InvasionWithDistraction-v0":
        door = (row[0] + row[1]) % 2
        return [1.0 if a == door else kwargs.get("penalty", -10.0) for a in range(2)]
    if env_id == "ps_graph/DeceptiveInvasion-v0":
        shown, lie = row[0], (row[0] + row[1]) % 2 == 1
        door = (shown + 1) % 10 if lie else shown
        return [2.0 if a == door else -10.0 if lie and a != shown else -11.0 for a in range(10)]
    n = kwargs.get("num_symbols", kwargs.get("num_directions", 2))
    inverted = env_id == "ps_graph/InvasionGame-v0" and info["trial"] >= kwargs.get("invert_at", 10**9)
    door = n - 1 - row[0] if inverted else row[0]  # symbol, direction or light is row[0]
    return [float(a == door) for a in range(n)]


# ----------------------------------------------------------------------------- registration, spaces, infos
def test_every_id_has_a_vector_entry_point_and_the_games_build_theirs():
    for env_id in ps_graph.envs.ENV_IDS:
        entry_point = gym.spec(env_id).vector_entry_point
        assert entry_point.startswith("ps_graph.envs.vector.")
        assert issubclass(load_env_creator(entry_point), NativeVectorEnv)
    for env_id, cls in VECTOR_CLASSES.items():
        envs = _vec(env_id, 3)
        assert type(envs) is cls and envs.num_envs == 3
        assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP


@cases
def test_one_copy_replays_the_single_game_trial_by_trial(env_id, kwargs):
    single, envs = gym.make(env_id, **kwargs).unwrapped, _vec(env_id, 1, **kwargs)
    actions = np.random.default_rng(0).integers(single.action_space.n, size=60)
    obs, info = single.reset(seed=11)
    vobs, vinfos = envs.reset(seed=11)
    for a in actions:
        assert (_rows(vobs), _copy(vinfos, 0)) == ([_row(obs)], info)
        obs, reward, terminated, truncated, info = single.step(int(a))
        vobs, rewards, vterm, vtrunc, vinfos = envs.step(np.array([a]))
        assert (_rows(vobs), _copy(vinfos, 0)) == ([_row(obs)], info)
        assert (rewards.tolist(), vterm.tolist(), vtrunc.tolist()) == ([reward], [terminated], [truncated])
        obs, info = single.reset()
        vobs, rewards, vterm, _, vinfos = envs.step(np.array([a]))  # NEXT_STEP: the next trial
        assert (rewards.tolist(), vterm.tolist()) == ([0.0], [False])


@cases
def test_spaces_are_the_single_spaces_batched(env_id, kwargs):
    single, envs = gym.make(env_id, **kwargs), _vec(env_id, 5, **kwargs)
    sync = gym.make_vec(env_id, num_envs=5, vectorization_mode="sync", **kwargs)
    assert envs.single_observation_space == single.observation_space
    assert envs.single_action_space == single.action_space
    assert envs.observation_space == batch_space(single.observation_space, 5) == sync.observation_space
    assert envs.action_space == batch_space(single.action_space, 5) == sync.action_space
    obs, _ = envs.reset(seed=0)
    for _ in range(4):
        assert envs.observation_space.contains(obs)
        obs, *_ = envs.step(envs.action_space.sample())


def _shape(infos) -> dict:
    """Each info entry's dtype, and the shape of nested ones."""
    return {key: _shape(value) if isinstance(value, dict) else np.asarray(value).dtype for key, value in infos.items()}


@cases
@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_infos_hold_the_entries_sync_vector_env_gives(env_id, kwargs, mode):
    envs = _vec(env_id, 4, autoreset_mode=mode, **kwargs)
    sync = gym.make_vec(env_id, num_envs=4, vectorization_mode="sync", vector_kwargs={"autoreset_mode": mode}, **kwargs)
    actions = np.zeros(4, dtype=np.int64)
    for env in (envs, sync):
        env.reset(seed=0)
    for _ in range(3):
        mine, theirs = envs.step(actions)[4], sync.step(actions)[4]
        theirs.pop("final_obs", None)  # an object array in SyncVectorEnv, the batched observations here
        assert {k: v for k, v in _shape(mine).items() if k != "final_obs"} == _shape(theirs)


# ----------------------------------------------------------------------------- rules and protocols
@pytest.mark.parametrize(
    "env_id, kwargs",
    [*CASES.values(), ("ps_graph/InvasionGame-v0", {"num_symbols": 3, "invert_at": 0})],
)
def test_reward_tables_by_hand(env_id, kwargs):
    envs = _vec(env_id, 200, autoreset_mode="Disabled", **kwargs)
    obs, infos = envs.reset(seed=5)
    table = np.array([_right(env_id, kwargs, row, _copy(infos, k)) for k, row in enumerate(_rows(obs))])
    for a in range(envs.single_action_space.n):
        envs.reset(seed=5)  # the same trials again
        assert envs.step(np.full(200, a))[1].tolist() == table[:, a].tolist()
    assert table.max(axis=1).tolist() == [table.max()] * 200  # every trial has its right door


def _advance(envs, copies):
    """One more trial for the copies of ``copies`` only (a Disabled-autoreset env)."""
    return envs.reset(options={"reset_mask": np.asarray(copies)})


def test_inversion_happens_at_trial_t_in_every_copy_on_its_own_counter():
    envs = _vec("ps_graph/InvasionGame-v0", 6, num_symbols=3, invert_at=3, autoreset_mode="Disabled")
    envs.reset(seed=0)
    for i in range(5):
        _advance(envs, np.arange(6) < 5 - i)  # copy k moves on 5 - k trials in all
    obs, infos = _advance(envs, np.ones(6, bool))
    trials = infos["trial"]
    assert trials.tolist() == [6, 5, 4, 3, 2, 1]
    assert infos["inverted"].tolist() == (trials >= 3).tolist()
    assert infos["correct_action"].tolist() == np.where(trials >= 3, 2 - obs, obs).tolist()


def test_inversion_and_new_colour_at_trial_t_under_autoreset():
    envs = _vec("ps_graph/InvasionGame-v0", 50, invert_at=4, new_colour_at=6, num_colours=3)
    obs, infos = envs.reset(seed=1)
    for trial in range(10):
        symbol, colour = obs
        assert infos["trial"].tolist() == [trial] * 50
        assert (colour == 3).all() if trial >= 6 else colour.max() < 3
        _, rewards, *_ = envs.step(symbol)  # "symbol means its own door" pays until the inversion
        assert rewards.tolist() == [float(trial < 4)] * 50
        obs, _, _, _, infos = envs.step(symbol)
    first = np.concatenate([_vec("ps_graph/InvasionGame-v0", 50, num_colours=3).reset(seed=s)[0][1] for s in range(4)])
    assert set(first.tolist()) == {0, 1, 2}


def test_colour_games_and_rlgl_protocols_per_copy():
    envs = _vec("ps_graph/NeverEndingColourGame-v0", 4, num_colours=3, autoreset_mode="Disabled")
    envs.reset(seed=0)
    infos = _advance(envs, [True, True, False, False])[1]
    infos = _advance(envs, [True, False, False, False])[1]
    assert infos["trial"].tolist() == [2, 1, 0, 0] and infos["colour"].tolist() == [2, 1, 0, 0]
    for _ in range(2):
        infos = _advance(envs, [True, True, True, True])[1]
    assert infos["colour"].tolist() == (infos["trial"] % 3).tolist() == [1, 0, 2, 2]
    rlgl = _vec("ps_graph/RedLightGreenLight-v0", 5, transitions=[[0.0, 1.0], [1.0, 0.0]], autoreset_mode="Disabled")
    assert rlgl.reset(seed=0)[0].tolist() == [0] * 5  # every copy starts red
    _advance(rlgl, [True, True, True, False, False])
    obs, infos = _advance(rlgl, [True, False, False, False, False])
    assert obs.tolist() == [0, 1, 1, 0, 0] == (infos["trial"] % 2).tolist()


def test_a_seeded_reset_restarts_the_protocol_of_the_copies_it_resets():
    envs = _vec("ps_graph/InvasionGame-v0", 4, invert_at=2, autoreset_mode="Disabled")
    envs.reset(seed=0)
    for _ in range(3):
        infos = envs.reset()[1]
    assert infos["trial"].tolist() == [3] * 4 and infos["inverted"].all()
    infos = envs.reset(seed=1, options={"reset_mask": np.array([True, False, True, False])})[1]
    assert envs.unwrapped.trial.tolist() == [0, 3, 0, 3] and infos["_trial"].tolist() == [True, False, True, False]
    assert envs.reset()[1]["inverted"].tolist() == [False, True, False, True]


# ----------------------------------------------------------------------------- random parts
def _components(space) -> list[tuple[int, int]]:
    """``(start, n)`` of each discrete component of a single game's observation space."""
    if isinstance(space, gym.spaces.Tuple):
        return [(int(part.start), int(part.n)) for part in space.spaces]
    if isinstance(space, gym.spaces.MultiDiscrete):
        return list(zip(space.start.tolist(), space.nvec.tolist(), strict=True))
    return [(int(space.start), int(space.n))]


def _trial_counts(rows_by_trial, components):
    """Per observation component: the counts of its values at each trial, as one flat vector."""
    return [
        np.concatenate([np.bincount([row[c] - start for row in rows], minlength=n) for rows in rows_by_trial])
        for c, (start, n) in enumerate(components)
    ]


@cases
def test_observation_frequencies_match_the_single_game(env_id, kwargs):
    """Chi-square homogeneity (alpha = ALPHA) of each observation component at each of 6 trials:
    300 single-game runs against 1000 vector copies."""
    single, envs = gym.make(env_id, **kwargs).unwrapped, _vec(env_id, 1000, autoreset_mode="Disabled", **kwargs)
    mine = [_rows(envs.reset(seed=3)[0])] + [_rows(envs.reset()[0]) for _ in range(5)]
    theirs = [[] for _ in range(6)]
    for seed in range(300):
        theirs[0].append(_row(single.reset(seed=seed)[0]))
        for trial in range(1, 6):
            theirs[trial].append(_row(single.reset()[0]))
    components = _components(single.observation_space)
    for counts_mine, counts_theirs in zip(
        _trial_counts(mine, components), _trial_counts(theirs, components), strict=True
    ):
        table = np.stack([counts_theirs, counts_mine])
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] > 1:
            assert stats.chi2_contingency(table)[1] > ALPHA


def test_rlgl_transitions_follow_the_matrix():
    """Chi-square goodness of fit (alpha = ALPHA) of 20,000 light changes from each colour."""
    transitions = np.array([[0.7, 0.3], [0.4, 0.6]])
    envs = _vec("ps_graph/RedLightGreenLight-v0", 2000, transitions=transitions, autoreset_mode="Disabled")
    before = envs.reset(seed=9)[0]
    counts = np.zeros((2, 2))
    for _ in range(20):
        after = envs.reset()[0]
        np.add.at(counts, (before, after), 1)
        before = after
    for s in range(2):
        assert stats.chisquare(counts[s], counts[s].sum() * transitions[s]).pvalue > ALPHA


# ----------------------------------------------------------------------------- autoreset, errors, seeds
@cases
def test_next_step_autoreset_answers_then_starts_the_next_trial(env_id, kwargs):
    envs = _vec(env_id, 8, **kwargs)
    obs, infos = envs.reset(seed=2)
    actions = np.arange(8) % envs.single_action_space.n
    table = [_right(env_id, kwargs, row, _copy(infos, k)) for k, row in enumerate(_rows(obs))]
    after, rewards, terminated, truncated, step_infos = envs.step(actions)
    assert _rows(after) == _rows(obs) and terminated.all() and not truncated.any()  # the trial's own percept
    assert rewards.tolist() == [table[k][a] for k, a in enumerate(actions)]
    assert step_infos["action"].tolist() == actions.tolist() and step_infos["trial"].tolist() == [0] * 8
    obs, rewards, terminated, truncated, infos = envs.step(actions)
    assert rewards.tolist() == [0.0] * 8 and not (terminated | truncated).any() and "action" not in infos
    assert infos["trial"].tolist() == [1] * 8 and envs.observation_space.contains(obs)
    assert envs.step(actions)[2].all()


@cases
def test_same_step_autoreset_returns_the_next_trial_and_the_last_in_final_obs(env_id, kwargs):
    envs = _vec(env_id, 8, autoreset_mode=AutoresetMode.SAME_STEP, **kwargs)
    obs, infos = envs.reset(seed=2)
    actions = np.arange(8) % envs.single_action_space.n
    table = [_right(env_id, kwargs, row, _copy(infos, k)) for k, row in enumerate(_rows(obs))]
    new, rewards, terminated, _, step_infos = envs.step(actions)
    assert terminated.all() and rewards.tolist() == [table[k][a] for k, a in enumerate(actions)]
    assert _rows(step_infos["final_obs"]) == _rows(obs) and step_infos["_final_obs"].all()
    final = step_infos["final_info"]
    assert final["action"].tolist() == actions.tolist() and final["trial"].tolist() == [0] * 8
    assert step_infos["trial"].tolist() == [1] * 8 and "action" not in step_infos
    nxt = [_right(env_id, kwargs, row, _copy(step_infos, k)) for k, row in enumerate(_rows(new))]
    assert envs.step(actions)[1].tolist() == [nxt[k][a] for k, a in enumerate(actions)]


@pytest.mark.parametrize("env_id", list(VECTOR_CLASSES))
def test_bad_actions_and_out_of_order_steps_raise_env_errors(env_id):
    envs = _vec(env_id, 3, autoreset_mode="Disabled")
    n = envs.single_action_space.n
    with pytest.raises(EnvError, match="reset"):
        envs.step(np.zeros(3, dtype=np.int64))
    envs.reset(seed=0)
    for bad in (np.zeros(4, int), np.zeros((3, 1), int), np.zeros(3), np.array([0, n, 0]), np.array([-1, 0, 0])):
        with pytest.raises(EnvError):
            envs.step(bad)
    envs.step(np.zeros(3, dtype=np.int64))
    with pytest.raises(EnvError, match="already answered"):
        envs.step(np.zeros(3, dtype=np.int64))


def test_bad_game_arguments_are_the_single_games_errors():
    with pytest.raises(ConfigError, match="invert_at"):
        _vec("ps_graph/InvasionGame-v0", 2, invert_at=-1)
    with pytest.raises(ConfigError, match="transitions"):
        _vec("ps_graph/RedLightGreenLight-v0", 2, transitions=[[0.5, 0.6], [0.5, 0.5]])
    with pytest.raises(ConfigError, match="autoreset_mode"):
        _vec("ps_graph/DriverGame-v0", 2, autoreset_mode="Sometimes")


def _trajectory(envs, seed, steps=12):
    rng = np.random.default_rng(0)
    out = [_rows(envs.reset(seed=seed)[0])]
    for _ in range(steps):
        obs, rewards, *_ = envs.step(rng.integers(envs.single_action_space.n, size=envs.num_envs))
        out.append((_rows(obs), rewards.tolist()))
    return out


@cases
def test_same_seed_same_trajectories(env_id, kwargs):
    envs = _vec(env_id, 16, **kwargs)
    first = _trajectory(envs, seed=4)
    assert _trajectory(envs, seed=4) == first == _trajectory(_vec(env_id, 16, **kwargs), seed=4)
    assert _trajectory(envs, seed=5) != first
