"""ps_graph.envs.meps_games: InvasionWithDistraction, DeceptiveInvasion, RedLightGreenLight."""

from __future__ import annotations

import math
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import ps_graph
from ps_graph.envs import DeceptiveInvasion, InvasionWithDistraction, RedLightGreenLight
from ps_graph.errors import ConfigError

MEPS_IDS = ("ps_graph/InvasionWithDistraction-v0", "ps_graph/DeceptiveInvasion-v0", "ps_graph/RedLightGreenLight-v0")
WRAPPED = "is different from the unwrapped version"


@pytest.mark.parametrize("env_id", MEPS_IDS)
def test_check_env_passes_without_warnings(env_id):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gym.make(env_id).unwrapped)
        warnings.filterwarnings("ignore", message=f".*{WRAPPED}")
        check_env(gym.make(env_id))


def _replay(env, seed, action):
    """Show the trial of ``reset(seed=seed)`` again and answer it with ``action``."""
    obs, _ = env.reset(seed=seed)
    return np.asarray(obs).tolist(), env.step(action)[1]


# ----------------------------------------------------------------------------- invasion with distraction
def test_invasion_with_distraction_right_door_is_the_parity_of_obs0_plus_obs1():
    env = InvasionWithDistraction()
    assert env.observation_space == gym.spaces.MultiDiscrete([10, 10, 10]) and env.action_space.n == 2
    seen = set()
    for seed in range(60):
        obs, info = env.reset(seed=seed)
        o0, o1, o2 = (int(x) for x in obs)
        assert info["correct_action"] == (o0 + o1) % 2  # obs2 plays no part
        seen.add(info["correct_action"])
        right = (o0 + o1) % 2
        assert _replay(env, seed, right) == ([o0, o1, o2], 1.0)
        assert _replay(env, seed, 1 - right) == ([o0, o1, o2], -10.0)
    assert seen == {0, 1}


def test_invasion_with_distraction_penalty_and_by_hand_examples():
    env = InvasionWithDistraction(penalty=-3)
    assert env.penalty == -3.0
    # (obs0, obs1) -> right door, by hand: 3 + 4 = 7 odd -> 1; 9 + 9 = 18 even -> 0; 0 + 1 -> 1
    wanted = {(3, 4): 1, (9, 9): 0, (0, 1): 1}
    found = {}
    for seed in range(1000):
        obs, info = env.reset(seed=seed)
        key = (int(obs[0]), int(obs[1]))
        if key in wanted and key not in found:
            found[key] = info["correct_action"]
            assert env.step(1 - wanted[key])[1] == -3.0
    assert found == wanted


def test_invasion_with_distraction_observables_are_uniform_and_independent_of_the_door():
    env = InvasionWithDistraction()
    obs = np.array([env.reset(seed=0)[0]] + [env.reset()[0] for _ in range(4999)])
    for column in obs.T:  # each value 500 times expected; sd ~ 21, 5 sd bound
        assert np.abs(np.bincount(column, minlength=10) - 500).max() < 5 * math.sqrt(5000 * 0.1 * 0.9)


# ----------------------------------------------------------------------------- deceptive invasion
def _door_by_hand(shown: int, truth: int) -> tuple[int, bool]:
    lie = (shown + truth) % 2 == 1
    return ((shown + 1) % 10 if lie else shown), lie


def test_deceptive_invasion_space_and_the_lie_rule():
    env = DeceptiveInvasion()
    assert env.action_space.n == 10
    assert env.observation_space == gym.spaces.MultiDiscrete([10, 4, 10], start=[0, 10, 0])
    lies = set()
    for seed in range(100):
        obs, info = env.reset(seed=seed)
        shown, truth, distraction = (int(x) for x in obs)
        assert 0 <= shown <= 9 and 10 <= truth <= 13 and 0 <= distraction <= 9
        door, lie = _door_by_hand(shown, truth)
        assert (info["correct_action"], info["lie"], info["shown"]) == (door, lie, shown)
        lies.add(lie)
    assert lies == {True, False}


def test_deceptive_invasion_by_hand_examples_including_the_wrap():
    # 3 + 10 = 13 odd: a lie, door 4; 9 + 11 = 20 even: the truth, door 9; 9 + 12 = 21: a lie, door 0
    wanted = {(3, 10): 4, (9, 11): 9, (9, 12): 0, (0, 13): 1, (6, 12): 6}
    env = DeceptiveInvasion()
    found = {}
    for seed in range(2000):
        obs, info = env.reset(seed=seed)
        key = (int(obs[0]), int(obs[1]))
        if key in wanted:
            found[key] = info["correct_action"]
    assert found == wanted


def test_deceptive_invasion_every_reward_value():
    env = DeceptiveInvasion()
    cases = set()
    for seed in range(40):
        obs, info = env.reset(seed=seed)
        shown, truth, _ = (int(x) for x in obs)
        door, lie = _door_by_hand(shown, truth)
        for action in range(10):
            reward = _replay(env, seed, action)[1]
            if action == door:
                expected = 2.0
            elif lie and action == shown:
                expected = -11.0  # fell for the lie
            elif lie:
                expected = -10.0
            else:
                expected = -11.0  # the attacker told the truth and the agent went elsewhere
            assert reward == expected, (seed, obs, action)
            cases.add((lie, expected))
    assert cases == {(False, 2.0), (False, -11.0), (True, 2.0), (True, -11.0), (True, -10.0)}


def test_deceptive_invasion_chance_level_is_minus_9_3():
    # truth: (2 - 9 * 11) / 10 = -9.7; lie: (2 - 11 - 8 * 10) / 10 = -8.9; half each -> -9.3
    env = DeceptiveInvasion()
    per_trial = [np.mean([_replay(env, seed, a)[1] for a in range(10)]) for seed in range(500)]
    # a trial's mean over the ten doors is -9.7 or -8.9 (a lie with chance 1/2): sd 0.4 per
    # trial, 0.018 over 500 trials; allow 5 sd
    assert abs(float(np.mean(per_trial)) + 9.3) < 5 * 0.4 / math.sqrt(500)
    assert set(np.round(per_trial, 6)) == {-9.7, -8.9}


# ----------------------------------------------------------------------------- red light, green light
def test_rlgl_starts_red_and_rewards_naming_the_symbol():
    env = RedLightGreenLight()
    for seed in range(10):
        obs, info = env.reset(seed=seed)
        assert (obs, info["symbol"], info["correct_action"], info["trial"]) == (0, 0, 0, 0)
        assert env.step(0)[1] == 1.0
        obs, info = env.reset()
        assert env.step(1 - obs)[1] == 0.0


def test_rlgl_transition_frequencies_match_the_matrix():
    p = [[0.9, 0.1], [0.3, 0.7]]
    env = RedLightGreenLight(transitions=p)
    n = 20_000
    symbols = [env.reset(seed=5)[0]]
    for _ in range(n - 1):
        env.step(0)
        symbols.append(env.reset()[0])
    counts = np.zeros((2, 2))
    for s, t in zip(symbols, symbols[1:], strict=False):
        counts[s, t] += 1
    for s in (0, 1):
        visits = counts[s].sum()  # about 15,000 from red and 5,000 from green (stationary 3/4, 1/4)
        assert visits > 3000
        # binomial bound: the estimate of p[s][1] from `visits` draws has sd sqrt(p(1-p)/visits);
        # allow 5 sd (a two-sided normal tail of about 6e-7; the seed is fixed anyway)
        sd = math.sqrt(p[s][1] * (1 - p[s][1]) / visits)
        assert abs(counts[s, 1] / visits - p[s][1]) < 5 * sd


def test_rlgl_symbols_do_not_depend_on_the_actions():
    def run(policy):
        env = RedLightGreenLight(transitions=[[0.6, 0.4], [0.2, 0.8]])
        obs = env.reset(seed=11)[0]
        out = [obs]
        for t in range(200):
            env.step(policy(t, obs))
            obs = env.reset()[0]
            out.append(obs)
        return out

    assert run(lambda t, o: 0) == run(lambda t, o: 1) == run(lambda t, o: (t * 7) % 2) == run(lambda t, o: o)


def test_rlgl_a_deterministic_chain():
    env = RedLightGreenLight(transitions=[[0, 1], [0, 1]])  # red once, then green for ever
    assert [env.reset(seed=0)[0]] + [env.reset()[0] for _ in range(5)] == [0, 1, 1, 1, 1, 1]
    assert env.reset(seed=1)[0] == 0  # a seeded reset starts red again


# ----------------------------------------------------------------------------- parameters
@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: InvasionWithDistraction(penalty=1.0), "penalty"),
        (lambda: InvasionWithDistraction(penalty=float("nan")), "penalty"),
        (lambda: InvasionWithDistraction(penalty="-10"), "penalty"),
        (lambda: InvasionWithDistraction(render_mode="human"), "render_mode"),
        (lambda: DeceptiveInvasion(render_mode="rgb_array"), "render_mode"),
        (lambda: RedLightGreenLight(transitions=[[0.5, 0.6], [0.5, 0.5]]), r"transitions\[0\] must sum to 1"),
        (lambda: RedLightGreenLight(transitions=[[0.5, 0.5], [1.5, -0.5]]), r"transitions\[1\]\[0\]"),
        (lambda: RedLightGreenLight(transitions=[[0.5, 0.5]]), "2 x 2"),
        (lambda: RedLightGreenLight(transitions=[[1.0], [1.0]]), "2 x 2"),
        (lambda: RedLightGreenLight(transitions=3), "2 x 2"),
        (lambda: RedLightGreenLight(transitions=[[0.5, None], [0.5, 0.5]]), r"transitions\[0\]\[1\]"),
        (lambda: gym.make("ps_graph/RedLightGreenLight-v0", transitions=[[1, 0], [0, 0]]), "sum to 1"),
    ],
)
def test_bad_parameters_are_refused(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


# ----------------------------------------------------------------------------- agents
REWARDS = {
    "ps_graph/InvasionWithDistraction-v0": {1.0, -10.0},
    "ps_graph/DeceptiveInvasion-v0": {2.0, -10.0, -11.0},
    "ps_graph/RedLightGreenLight-v0": {0.0, 1.0},
}


@pytest.mark.parametrize("env_id", MEPS_IDS)
@pytest.mark.parametrize(
    "make_agent",
    [lambda env: ps_graph.PSAgent.for_env(env, seed=0), lambda env: ps_graph.TwoLayerPS.for_env(env, seed=0)],
    ids=["ps", "two-layer"],
)
def test_ps_agents_train_on_each_game(env_id, make_agent):
    env = gym.make(env_id)
    result = ps_graph.train(make_agent(env), env, episodes=300, seed=0)
    assert result.episodes == 300 and (result.lengths == 1).all()
    assert set(result.returns.tolist()) <= REWARDS[env_id]
    assert env.unwrapped.trial == 300
    if env_id == "ps_graph/RedLightGreenLight-v0":  # two percepts: learned well within 300 trials
        assert result.returns[-100:].mean() > 0.8
