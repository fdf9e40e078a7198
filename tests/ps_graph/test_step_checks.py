"""The train loop checks every env result (issue 12, reproducer 4): a 5-tuple from step, an
(obs, info) pair from reset, a finite real reward, an observation inside the observation space;
the error names the env and the step, and no agent learns from the bad step."""

from fractions import Fraction

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import ps_graph
from ps_graph import PSAgent, TwoLayerPS, evaluate, train
from ps_graph.errors import EnvError, RewardError
from ps_graph.training import step_checker
from qbaselines import QLearningAgent

AGENTS = {
    "ps": lambda env: PSAgent.for_env(env, seed=0),
    "ps-fast": lambda env: TwoLayerPS.for_env(env, seed=0),
    "q": lambda env: QLearningAgent.for_env(env, seed=0),
}


class Tamper(gym.Wrapper):
    """An env whose step number ``at`` (counted from 1 over the run) returns ``change(result)``
    and whose reset number ``reset_at`` (counted from 1) returns ``change_reset(result)``."""

    def __init__(self, env, at=0, change=None, reset_at=0, change_reset=None):
        super().__init__(env)
        self.at, self.change, self.reset_at, self.change_reset = at, change, reset_at, change_reset
        self.steps = self.resets = 0

    def step(self, action):
        result = self.env.step(action)
        self.steps += 1
        return self.change(result) if self.steps == self.at else result

    def reset(self, **kwargs):
        result = self.env.reset(**kwargs)
        self.resets += 1
        return self.change_reset(result) if self.resets == self.reset_at else result


def lake(**tamper) -> Tamper:
    return Tamper(gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False), **tamper)


def with_reward(reward):
    return lambda result: (result[0], reward, *result[2:])


def with_obs(obs):
    return lambda result: (obs, *result[1:])


def percepts_of(agent) -> set:
    if isinstance(agent, QLearningAgent):
        return set(agent.q)
    if isinstance(agent, TwoLayerPS):
        return set(agent.percept_keys)
    return {clip[1] for clip in agent.ecm.clips("percept")}


# ---------------------------------------------------------------------- the step's tuple
@pytest.mark.parametrize(
    "change, got",
    [
        (lambda r: r[:4], "a 4-tuple"),
        (lambda r: (*r, None), "a 6-tuple"),
        (lambda r: None, "None"),
        (lambda r: 3, "3"),
    ],
)
def test_a_step_that_is_not_a_5_tuple_names_the_env_and_the_step(change, got):
    with pytest.raises(EnvError) as err:
        train(PSAgent.for_env(lake(), seed=0), lake(at=12, change=change), episodes=50, seed=0)
    assert str(err.value).startswith(
        f"env.step must return (obs, reward, terminated, truncated, info); FrozenLake-v1 returned {got} at step 12. "
    )


@pytest.mark.parametrize("change", [lambda r: r[0], lambda r: (r[0], {}, 1)])
def test_a_reset_that_is_not_an_obs_info_pair_is_refused(change):
    with pytest.raises(EnvError, match=r"env.reset must return \(obs, info\); FrozenLake-v1 returned"):
        train(PSAgent.for_env(lake(), seed=0), lake(reset_at=2, change_reset=change), episodes=5, seed=0)


# ---------------------------------------------------------------------- rewards
BAD_REWARDS = {
    "None": None,
    "complex": 1 + 0j,
    "str": "1",
    "1-element array": np.array([1.0]),
    "0-d array": np.array(1.0),
    "bool": True,
    "numpy bool": np.bool_(False),
    "nan": float("nan"),
    "inf": -np.inf,
    "huge int": 10**400,
}


@pytest.mark.parametrize("kind", AGENTS)
@pytest.mark.parametrize("reward", BAD_REWARDS.values(), ids=BAD_REWARDS)
def test_bad_rewards_raise_reward_error_naming_the_env_and_step(kind, reward):
    agent = AGENTS[kind](lake())
    with pytest.raises(RewardError, match="reward must be .* from FrozenLake-v1 at step 3. "):
        train(agent, lake(at=3, change=with_reward(reward)), episodes=20, seed=0)


def test_evaluate_checks_rewards_too():
    agent = PSAgent.for_env(lake(), seed=0)
    with pytest.raises(RewardError, match=r"got '1' \(a str\) from FrozenLake-v1 at step 2"):
        evaluate(agent, lake(at=2, change=with_reward("1")), episodes=5, seed=0)


@pytest.mark.parametrize("reward", [1, 0.5, np.float32(0.5), np.int64(2), np.float64(-1.5), Fraction(1, 4)])
def test_real_rewards_of_every_type_reach_the_agent_as_python_numbers(reward):
    seen = []

    class Record:
        def act(self, observation, explore=True):
            return 2

        def observe(self, reward, next_observation, terminated, truncated):
            seen.append(reward)

    result = train(Record(), lake(at=1, change=with_reward(reward)), episodes=1, seed=0)
    assert type(seen[0]) is (int if type(reward) is int else float) and seen[0] == reward
    assert result.returns[0] == float(reward)


# ---------------------------------------------------------------------- observations
class Corridor(gym.Env):
    """States 0..3 in a row, Discrete(4); action 1 moves right, 0 stays; reward 1 at state 3."""

    observation_space = spaces.Discrete(4)
    action_space = spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.state = 0
        return self.state, {}

    def step(self, action):
        self.state = min(self.state + int(action), 3)
        return self.state, float(self.state == 3), self.state == 3, False, {}


BAD_OBSERVATIONS = {"7": 7, "-1": -1, "4": 4, "1.5": 1.5, "numpy 7": np.int64(7), "str": "3", "None": None}


@pytest.mark.parametrize("kind", AGENTS)
@pytest.mark.parametrize("obs", BAD_OBSERVATIONS.values(), ids=BAD_OBSERVATIONS)
def test_observations_outside_the_space_never_become_percepts(kind, obs):
    env = Tamper(Corridor(), at=5, change=with_obs(obs))
    agent = AGENTS[kind](env)
    with pytest.raises(EnvError, match=r"^Corridor returned the observation .* at step 5, outside its observation sp"):
        train(agent, env, episodes=20, seed=0)
    assert percepts_of(agent) <= {0, 1, 2, 3}


def test_the_first_reset_and_later_ones_are_checked():
    def reset_to(obs):
        return lambda result: (obs, result[1])

    with pytest.raises(EnvError, match=r"returned the observation -1 from its first reset\(\), outside"):
        train(PSAgent.for_env(lake(), seed=0), lake(reset_at=1, change_reset=reset_to(-1)), episodes=3, seed=0)
    with pytest.raises(EnvError, match=r"returned the observation 99 from reset\(\) after step \d+, outside"):
        train(PSAgent.for_env(lake(), seed=0), lake(reset_at=3, change_reset=reset_to(99)), episodes=5, seed=0)


def test_numpy_ints_inside_a_discrete_space_with_a_start_pass():
    space = spaces.Discrete(4, start=-2)
    _, check_step = step_checker(type("Env", (), {"observation_space": space})())
    assert check_step((np.int64(-2), 0, False, False, {}), 1) == (-2, 0, False, False, {})
    assert check_step((1, 0, False, False, {}), 2)[0] == 1
    with pytest.raises(EnvError, match=r"Env returned the observation 2 at step 3, outside its observation space"):
        check_step((2, 0, False, False, {}), 3)


@pytest.mark.parametrize(
    "space, good, bad",
    [
        (spaces.MultiDiscrete([2, 3]), np.array([1, 2]), np.array([2, 0])),
        (spaces.Tuple((spaces.Discrete(2), spaces.Discrete(3))), (1, 2), (1, 3)),
        # a Box checks shape and finiteness only: bounds are often loose, dtypes often float64
        (spaces.Box(-1.0, 1.0, (2,), np.float32), np.array([0.0, 2.0]), np.array([0.0, np.nan], np.float32)),
    ],
)
@pytest.mark.filterwarnings("ignore:.*Casting input x to numpy array:UserWarning")  # Box.contains("3")
def test_other_spaces_are_checked_with_contains(space, good, bad):
    _, check_step = step_checker(type("Env", (), {"observation_space": space})())
    assert check_step((good, 1.0, False, False, {}), 1)[1] == 1.0
    for wrong in (bad, "3", None):
        with pytest.raises(EnvError, match="outside its observation space"):
            check_step((wrong, 1.0, False, False, {}), 2)


def test_an_env_without_an_observation_space_gets_the_other_checks():
    class Bare:  # a duck-typed env: reset and step, no spaces
        def reset(self, seed=None):
            return "start", {}

        def step(self, action):
            return "end", "1", True, False, {}

    class Agent:
        def act(self, observation, explore=True):
            return 0

        def observe(self, *args):
            pass

    with pytest.raises(RewardError, match="from Bare at step 1"):
        train(Agent(), Bare(), episodes=1)


def test_checked_runs_equal_the_unchecked_stream():
    """The checks change nothing for a well-behaved env: same returns as the agent run by hand."""
    env = gym.make("FrozenLake-v1", is_slippery=True)
    result = train(TwoLayerPS.for_env(env, seed=1), env, episodes=30, seed=4)
    agent, hand = TwoLayerPS.for_env(env, seed=1), []
    obs, _ = env.reset(seed=4)
    while len(hand) < 30:
        ret, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(agent.act(obs))
            agent.observe(reward, obs, terminated, truncated)
            ret, done = ret + reward, terminated or truncated
        hand.append(ret)
        obs, _ = env.reset()
    np.testing.assert_array_equal(result.returns, hand)
    assert ps_graph.training.step_checker is step_checker
