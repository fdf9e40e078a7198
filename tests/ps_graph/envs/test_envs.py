"""ps_graph.envs: the registered PS-literature environments."""

from __future__ import annotations

import warnings
from collections import deque

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import ps_graph
from ps_graph import envs, tabular
from ps_graph.envs import (
    DYNA_MAZE,
    ENV_IDS,
    DiscretizeBox,
    DriverGame,
    EnvError,
    GridWorld,
    InvasionGame,
    NeverEndingColourGame,
    open_grid,
)
from ps_graph.errors import ConfigError, UnsupportedSpaceError
from qbaselines import QLearningAgent

GAME_IDS = ("ps_graph/InvasionGame-v0", "ps_graph/DriverGame-v0", "ps_graph/NeverEndingColourGame-v0")
GRID_IDS = ("ps_graph/GridWorld-v0", "ps_graph/DynaMaze-v0")
MOUNTAIN_CAR = "ps_graph/MountainCarDiscrete-v0"
SEARCH_IDS = ("ps_graph/Reset1D-v0", "ps_graph/Reset2D-v0", "ps_graph/TurnReset2D-v0", "ps_graph/Foraging-v0")
MEPS_IDS = ("ps_graph/InvasionWithDistraction-v0", "ps_graph/DeceptiveInvasion-v0", "ps_graph/RedLightGreenLight-v0")
WRAPPED = "is different from the unwrapped version"  # check_env's note on any wrapped env


def test_every_id_is_registered_and_registering_again_is_quiet():
    assert set(ENV_IDS) == {*GAME_IDS, *GRID_IDS, MOUNTAIN_CAR, *SEARCH_IDS, *MEPS_IDS}
    specs = [gym.spec(env_id) for env_id in ENV_IDS]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # gymnasium warns when an id is registered twice
        envs.register_envs()
    assert [gym.spec(env_id) for env_id in ENV_IDS] == specs


# ----------------------------------------------------------------------------- check_env
CHECKED = [(env_id, {}) for env_id in ENV_IDS] + [
    ("ps_graph/InvasionGame-v0", {"num_symbols": 3, "num_colours": 2, "invert_at": 1, "new_colour_at": 2}),
    ("ps_graph/InvasionGame-v0", {"new_colour_at": 0}),
    ("ps_graph/GridWorld-v0", {"rows": 1, "cols": 2, "render_mode": "ansi"}),
    (MOUNTAIN_CAR, {"bins": (4, 5), "multidiscrete": False}),
]


@pytest.mark.parametrize("env_id, kwargs", CHECKED)
def test_check_env_passes_without_warnings(env_id, kwargs):
    # MountainCar's own render modes need pygame (gymnasium[classic-control]), so its render
    # check is skipped; everything else is checked.
    skip_render = env_id == MOUNTAIN_CAR
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make(env_id, **kwargs)
        check_env(env.unwrapped, skip_render_check=skip_render)
        warnings.filterwarnings("ignore", message=f".*{WRAPPED}")
        check_env(gym.make(env_id, **kwargs), skip_render_check=skip_render)


# ----------------------------------------------------------------------------- seeding
def _observations(env, seed, n=20):
    obs = [env.reset(seed=seed)[0]] + [env.reset()[0] for _ in range(n - 1)]
    return [np.asarray(o).tolist() for o in obs]


@pytest.mark.parametrize("env_id", (*GAME_IDS, MOUNTAIN_CAR))
def test_same_seed_same_observations_different_seeds_differ(env_id):
    env = gym.make(env_id)
    first = _observations(env, seed=1)
    assert _observations(gym.make(env_id), seed=1) == first
    assert _observations(env, seed=1) == first  # a seeded reset restarts the same sequence
    assert _observations(env, seed=2) != first


def test_grid_reset_is_always_the_start():
    env = gym.make("ps_graph/DynaMaze-v0")
    assert [env.reset(seed=s)[0] for s in (0, 1)] + [env.reset()[0]] == [18, 18, 18]


# ----------------------------------------------------------------------------- one-step games
def test_invasion_game_inverts_at_trial_T_and_a_seeded_reset_restarts_the_protocol():
    env = InvasionGame(invert_at=5)
    assert env.observation_space == gym.spaces.Discrete(2) and env.trial == -1
    for seed in (7, 8):  # the second seeded reset starts again at trial 0, not inverted
        for t in range(9):
            symbol, info = env.reset(seed=seed) if t == 0 else env.reset()
            assert info["trial"] == env.trial == t
            assert info["inverted"] == (t >= 5)
            # before T the symbol names the door; from T on the other door
            right_door = symbol if t < 5 else 1 - symbol
            assert info["correct_action"] == right_door
            action = right_door if t % 2 else 1 - right_door  # odd trials right, even ones wrong
            obs, reward, terminated, truncated, step_info = env.step(action)
            assert (obs, reward, terminated, truncated) == (symbol, float(t % 2), True, False)
            assert step_info["action"] == action and step_info["trial"] == t


def test_inversion_with_three_symbols_reverses_their_order():
    env = InvasionGame(3, invert_at=0)
    seen = {}
    for t in range(60):
        symbol, info = env.reset(seed=0) if t == 0 else env.reset()
        seen[symbol] = info["correct_action"]
    assert seen == {0: 2, 1: 1, 2: 0}  # door n - 1 - s


def test_a_plain_reset_counts_an_unplayed_trial():
    env = InvasionGame(invert_at=2)
    assert [env.reset(seed=0)[1]["trial"], env.reset()[1]["trial"], env.reset()[1]["inverted"]] == [0, 1, True]


def test_oracle_through_train_sees_the_inversion_after_T_trials():
    class FollowTheSymbol:  # always guards the door the symbol names
        def act(self, observation, explore=True):
            return int(observation)

        def observe(self, reward, next_observation, terminated, truncated):
            pass

    env = gym.make("ps_graph/InvasionGame-v0", invert_at=30)
    result = ps_graph.train(FollowTheSymbol(), env, episodes=50, seed=0)
    assert result.lengths.tolist() == [1] * 50 and result.terminated.all()
    assert result.returns.tolist() == [1.0] * 30 + [0.0] * 20


def test_new_colour_appears_at_trial_T_and_never_before():
    env = InvasionGame(num_colours=3, new_colour_at=40)
    assert env.observation_space == gym.spaces.Tuple((gym.spaces.Discrete(2), gym.spaces.Discrete(4)))
    colours = [(env.reset(seed=5) if t == 0 else env.reset())[0][1] for t in range(60)]
    assert set(colours[:40]) == {0, 1, 2}  # the old colours, drawn at random
    assert colours[40:] == [3] * 20
    default = InvasionGame(new_colour_at=1)  # one old colour (0), then the new one (1)
    assert [default.reset(seed=0)[0][1], default.reset()[0][1], default.reset()[0][1]] == [0, 1, 1]


def test_colour_never_changes_the_rewarded_action():
    env = InvasionGame(num_colours=2, new_colour_at=3)
    for t in range(10):
        (symbol, colour), info = env.reset(seed=1) if t == 0 else env.reset()
        assert info["correct_action"] == symbol and info["colour"] == colour
        assert env.step(1 - symbol)[1] == 0.0


def test_driver_game_rewards_the_direction_whatever_the_colour():
    env = DriverGame(num_directions=3, num_colours=4)
    assert env.observation_space == gym.spaces.Tuple((gym.spaces.Discrete(3), gym.spaces.Discrete(4)))
    pairs, rewards = set(), []
    for t in range(200):
        (direction, colour), info = env.reset(seed=2) if t == 0 else env.reset()
        pairs.add((direction, colour))
        assert (info["direction"], info["colour"], info["correct_action"]) == (direction, colour, direction)
        action = (direction + t) % 3  # right on every third trial
        rewards.append(env.step(action)[1])
        assert rewards[-1] == (1.0 if action == direction else 0.0)
    assert len(pairs) == 12  # every (direction, colour) pair shows up, each rewarded by direction only
    assert rewards.count(1.0) == len(range(0, 200, 3))


def test_never_ending_colours_do_not_repeat_within_the_wrap_around():
    env = NeverEndingColourGame(num_colours=5)
    colours = [(env.reset(seed=0) if t == 0 else env.reset())[0][1] for t in range(12)]
    assert colours == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]
    default = gym.make("ps_graph/NeverEndingColourGame-v0")
    first = [(default.reset(seed=0) if t == 0 else default.reset())[0][1] for t in range(500)]
    assert len(set(first)) == 500


def test_games_refuse_steps_out_of_order_and_bad_actions():
    env = InvasionGame()
    with pytest.raises(EnvError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(EnvError, match="action must be in Discrete"):
        env.step(2)
    env.step(0)
    with pytest.raises(EnvError, match="one-step episode"):
        env.step(0)  # the trial is over


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: InvasionGame(1), "num_symbols must be an integer >= 2"),
        (lambda: InvasionGame(invert_at=-1), "invert_at must be an integer >= 0"),
        (lambda: InvasionGame(num_colours=0), "num_colours must be an integer >= 1"),
        (lambda: InvasionGame(new_colour_at=1.5), "new_colour_at must be an integer"),
        (lambda: InvasionGame(render_mode="human"), "render_mode must be one of None"),
        (lambda: DriverGame(num_directions=1), "num_directions must be an integer >= 2"),
        (lambda: NeverEndingColourGame(num_colours=0), "num_colours must be an integer >= 1"),
    ],
)
def test_game_configs_are_checked(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


# ----------------------------------------------------------------------------- grid worlds
def test_open_grid_dynamics_by_hand():
    # 2 x 3 grid, states 0 1 2 / 3 4 5, start 0, goal 5; actions 0 left, 1 down, 2 right, 3 up
    env = GridWorld(open_grid(2, 3))
    assert env.desc == ("S..", "..G") and env.observation_space.n == 6
    assert env.reset(seed=0) == (0, {"prob": 1.0})
    assert env.step(0)[:3] == (0, 0.0, False)  # left edge blocks
    assert env.step(3)[:3] == (0, 0.0, False)  # top edge blocks
    assert env.step(2)[:3] == (1, 0.0, False)
    assert env.step(1)[:3] == (4, 0.0, False)
    assert env.step(1)[:3] == (4, 0.0, False)  # bottom edge blocks
    assert env.step(2)[:4] == (5, 1.0, True, False)  # the goal: reward 1, terminated
    assert env.reset()[0] == 0  # back to the start


def test_dyna_maze_is_the_books_layout():
    # Sutton & Barto, Fig. 8.2: 6 rows x 9 columns, start (2, 0), goal (0, 8)
    env = gym.make("ps_graph/DynaMaze-v0").unwrapped
    assert (env.nrow, env.ncol, env.start, env.goals) == (6, 9, (2, 0), [(0, 8)])
    book_walls = [(1, 2), (2, 2), (3, 2), (4, 5), (0, 7), (1, 7), (2, 7)]
    assert sorted(env.walls) == sorted(book_walls)
    assert env.desc == DYNA_MAZE


def test_dyna_maze_walls_and_goal_by_hand():
    env = GridWorld(DYNA_MAZE, render_mode="ansi")
    env.reset(seed=0)
    env.s = env.to_state(2, 1)
    assert env.step(2)[0] == env.to_state(2, 1)  # wall (2, 2) to the right
    env.s = env.to_state(0, 6)
    assert env.step(2)[0] == env.to_state(0, 6)  # wall (0, 7) to the right
    env.s = env.to_state(5, 5)
    assert env.step(3)[0] == env.to_state(5, 5)  # wall (4, 5) above
    env.s = env.to_state(1, 8)
    assert env.step(3)[:3] == (env.to_state(0, 8), 1.0, True)  # up into the goal
    env.reset()
    assert env.render().splitlines()[2] == "A.#....#."


def _bfs_steps(desc):
    """Fewest moves from S to a G, by breadth-first search on the layout strings alone."""
    cells = {(r, c): ch for r, row in enumerate(desc) for c, ch in enumerate(row)}
    start = next(rc for rc, ch in cells.items() if ch == "S")
    dist, queue = {start: 0}, deque([start])
    while queue:
        r, c = queue.popleft()
        if cells[r, c] == "G":
            return dist[r, c]
        for nxt in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if cells.get(nxt, "#") != "#" and nxt not in dist:
                dist[nxt] = dist[r, c] + 1
                queue.append(nxt)
    raise AssertionError("no path")


@pytest.mark.parametrize("env_id, book_steps", [("ps_graph/DynaMaze-v0", 14), ("ps_graph/GridWorld-v0", 18)])
def test_tabular_from_env_plans_the_shortest_path(env_id, book_steps):
    steps = _bfs_steps(gym.make(env_id).unwrapped.desc)
    assert steps == book_steps  # the book's 14 for the maze; 9 + 9 for the open 10 x 10 grid
    mdp = tabular.from_env(gym.make(env_id))
    assert mdp.max_episode_steps == gym.spec(env_id).max_episode_steps
    V, Q = tabular.value_iteration(mdp, gamma=0.9)
    # reward 1 on the last of `steps` moves, discounted: 0.9 ** (steps - 1)
    assert V[int(mdp.initial.argmax())] == pytest.approx(0.9 ** (steps - 1))
    policy = tabular.greedy_policy(Q)
    assert tabular.evaluate_policy(mdp, policy, horizon=steps).success_probability == 1.0
    assert tabular.evaluate_policy(mdp, policy, horizon=steps - 1).success_probability == 0.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"desc": ["S.", ".."]}, "exactly one 'S' and at least one 'G'"),
        ({"desc": ["SS", ".G"]}, "exactly one 'S'"),
        ({"desc": ["S..", ".G"]}, "of one length"),
        ({"desc": ["S.", "xG"]}, r"got \['x'\]"),
        ({"desc": "S.G"}, "list of strings"),
        ({"desc": []}, "non-empty"),
        ({"desc": DYNA_MAZE, "rows": 3}, "either desc or rows/cols"),
        ({"rows": 1, "cols": 1}, "two cells"),
        ({"rows": 0}, "rows must be an integer >= 1"),
        ({"render_mode": "human"}, "render_mode must be one of None, 'ansi'"),
    ],
)
def test_grid_configs_are_checked(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        GridWorld(**kwargs)


def test_grid_refuses_bad_actions():
    env = GridWorld(open_grid(2, 2))
    env.reset(seed=0)
    with pytest.raises(EnvError, match="0 left, 1 down, 2 right, 3 up"):
        env.step(4)


# ----------------------------------------------------------------------------- mountain car
def test_mountain_car_bins_by_hand():
    # position [-1.2, 0.6] in 18 bins of 0.1, velocity [-0.07, 0.07] in 14 bins of 0.01
    env = DiscretizeBox(gym.make("MountainCar-v0"), bins=(18, 14))
    assert env.observation_space == gym.spaces.MultiDiscrete([18, 14])
    cases = {
        (-0.45, 0.015): [7, 8],
        (-1.2, -0.07): [0, 0],
        (0.6, 0.07): [17, 13],
        (0.55, -0.065): [17, 0],
        (5.0, -1.0): [17, 0],
    }  # the last one is beyond the bounds: clipped to the edge bins
    for obs, expected in cases.items():
        assert env.observation(np.array(obs, dtype=np.float32)).tolist() == expected
    flat = DiscretizeBox(gym.make("MountainCar-v0"), bins=(18, 14), multidiscrete=False)
    assert flat.observation_space == gym.spaces.Discrete(252)
    assert flat.observation(np.array([-0.45, 0.015])) == 7 * 14 + 8  # row-major, velocity fastest
    square = DiscretizeBox(gym.make("MountainCar-v0"))  # 10 bins each by default
    assert square.observation_space == gym.spaces.MultiDiscrete([10, 10])


def test_registered_mountain_car_takes_bins_and_can_be_remade_from_its_spec():
    env = gym.make(MOUNTAIN_CAR, bins=(6, 4))
    assert env.observation_space == gym.spaces.MultiDiscrete([6, 4])
    assert env.spec.max_episode_steps == 200
    again = gym.make(env.spec)  # the discretization is not applied twice
    assert again.observation_space == env.observation_space
    assert np.array_equal(again.reset(seed=3)[0], env.reset(seed=3)[0])


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: DiscretizeBox(gym.make("FrozenLake-v1")), UnsupportedSpaceError, "bins a Box"),
        (lambda: DiscretizeBox(gym.make("CartPole-v1")), UnsupportedSpaceError, "finite bounds"),
        (lambda: DiscretizeBox(gym.make("MountainCar-v0"), bins=0), ConfigError, "bins must be an integer >= 1"),
        (lambda: DiscretizeBox(gym.make("MountainCar-v0"), bins=(3,)), ConfigError, "one count per observation"),
        (lambda: DiscretizeBox(gym.make("MountainCar-v0"), bins=(3, 0)), ConfigError, r"bins\[1\] must be"),
        (lambda: DiscretizeBox(gym.make("MountainCar-v0"), bins="10"), ConfigError, "bins must be an int"),
        (lambda: DiscretizeBox(gym.make("MountainCar-v0"), multidiscrete=1), ConfigError, "True or False"),
    ],
)
def test_discretize_box_arguments_are_checked(make, error, match):
    with pytest.raises(error, match=match):
        make()


# ----------------------------------------------------------------------------- agents
AGENT_RUNS = [(env_id, {}) for env_id in GAME_IDS] + [
    ("ps_graph/GridWorld-v0", {"rows": 4, "cols": 4, "max_episode_steps": 100}),
    ("ps_graph/DynaMaze-v0", {"max_episode_steps": 100}),
    (MOUNTAIN_CAR, {"max_episode_steps": 50}),
]


@pytest.mark.parametrize("env_id, kwargs", AGENT_RUNS)
@pytest.mark.parametrize(
    "make_agent",
    [
        lambda env: ps_graph.PSAgent.for_env(env, eta_glow_damping=0.1, seed=0),
        lambda env: QLearningAgent.for_env(env, seed=0),
    ],
    ids=["ps", "qlearning"],
)
def test_ps_and_q_learning_train_through_the_one_loop(env_id, kwargs, make_agent):
    env = gym.make(env_id, **kwargs)
    result = ps_graph.train(make_agent(env), env, episodes=4, seed=0)
    assert result.episodes == 4
    if env_id in GAME_IDS:
        assert result.lengths.tolist() == [1, 1, 1, 1] and set(result.returns) <= {0.0, 1.0}
        assert env.unwrapped.trial == 4  # four trials played, the fifth shown by train's last reset
    else:
        assert (result.lengths <= kwargs["max_episode_steps"]).all()


def test_never_ending_colours_give_plain_ps_a_new_percept_every_trial():
    # without generalization every percept is new, so a PS agent stays at chance level (1/2)
    env = gym.make("ps_graph/NeverEndingColourGame-v0")
    agent = ps_graph.PSAgent.for_env(env, seed=0)
    result = ps_graph.train(agent, env, episodes=400, seed=0)
    assert 0.4 < result.returns.mean() < 0.6
    assert len(agent.ecm.clips("percept")) == 400  # one percept clip per trial played


def test_batched_agents_train_on_a_grid_through_its_table():
    mdp = tabular.from_env(gym.make("ps_graph/GridWorld-v0", rows=3, cols=4, max_episode_steps=50))
    assert (mdp.num_states, mdp.num_actions, mdp.max_episode_steps) == (12, 4, 50)
    agents = ps_graph.BatchedTwoLayerPS.for_mdp(mdp, num_agents=5, eta_glow_damping=0.1, seed=0)
    result = ps_graph.train_batch(agents, mdp, episodes=6, seed=0)
    assert result.returns.shape == (5, 6) and set(np.unique(result.returns)) <= {0.0, 1.0}
