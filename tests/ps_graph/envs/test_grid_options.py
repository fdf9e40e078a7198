"""GridWorld's options: random obstacles, random goal and start, periodic edges.

Every option's transition table (read by ``tabular.from_env``) is checked, after each seeded
reset, against stepping the env from every state with every action and against a reference
model computed here from the current layout strings alone.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from ps_graph import tabular
from ps_graph.envs import DYNA_MAZE, GridWorld, open_grid
from ps_graph.envs.grid import MAX_LAYOUT_DRAWS
from ps_graph.errors import ConfigError

MOVES = ((0, -1), (1, 0), (0, 1), (-1, 0))  # left, down, right, up
SEEDS = (0, 1, 2, 3, 7)

OPTIONS = [
    {},
    {"periodic": True},
    {"obstacle_density": 0.3},
    {"random_goal": True},
    {"random_start": True},
    {"random_goal": True, "random_start": True},
    {"obstacle_density": 0.5, "random_goal": True, "random_start": True, "periodic": True},
    {"obstacle_density": 0.2, "periodic": True},
]
LAYOUTS = {"open 4x5": {"rows": 4, "cols": 5}, "dyna maze": {"desc": DYNA_MAZE}}


def reference(desc, s, a, periodic):
    """(next_state, reward, terminated) of action a from state s, from the layout strings."""
    nrow, ncol = len(desc), len(desc[0])
    r, c = divmod(s, ncol)
    if desc[r][c] in "G#":
        return s, 0.0, desc[r][c] == "G"
    nr, nc = r + MOVES[a][0], c + MOVES[a][1]
    if periodic:
        nr, nc = nr % nrow, nc % ncol
    if not (0 <= nr < nrow and 0 <= nc < ncol) or desc[nr][nc] == "#":
        nr, nc = r, c
    goal = desc[nr][nc] == "G"
    return nr * ncol + nc, float(goal), goal


def reachable(desc, periodic):
    """Whether a G can be reached from the S, searching the layout strings alone."""
    ncol = len(desc[0])
    start = next(r * ncol + row.index("S") for r, row in enumerate(desc) if "S" in row)
    seen, todo = {start}, [start]
    while todo:
        s = todo.pop()
        for a in range(4):
            nxt, _, done = reference(desc, s, a, periodic)
            if done:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o) or "defaults")
def test_table_is_the_exact_mdp_of_the_current_layout(layout, options):
    env = GridWorld(**layout, **options)
    periodic = options.get("periodic", False)
    for seed in SEEDS:
        state, _ = env.reset(seed=seed)
        desc = env.desc
        mdp = tabular.from_env(env)
        assert mdp.initial[state] == 1.0 and state == env.to_state(*env.start)
        assert desc[env.start[0]][env.start[1]] == "S" and env.start not in env.goals
        assert reachable(desc, periodic)
        for s in range(env.observation_space.n):
            for a in range(4):
                env.s = s
                next_state, reward, terminated, truncated, _ = env.step(a)
                expected = reference(desc, s, a, periodic)
                assert (next_state, reward, terminated) == expected, (seed, s, a)
                assert not truncated
                table = (int(mdp.next_states[s, a, 0]), float(mdp.rewards[s, a, 0]), bool(mdp.terminated[s, a, 0]))
                assert mdp.probs[s, a, 0] == 1.0 and table == expected, (seed, s, a)


@pytest.mark.parametrize("options", OPTIONS[2:7], ids=lambda o: ",".join(o))
def test_layouts_follow_the_seed(options):
    env = GridWorld(rows=5, cols=5, **options)
    layouts = []
    for seed in range(6):
        env.reset(seed=seed)
        first = env.desc
        env.reset(seed=seed)
        assert env.desc == first  # the same seed, the same layout
        layouts.append(first)
    assert len(set(layouts)) > 1  # other seeds, other layouts
    env.reset(seed=0)
    assert env.reset()[0] == env.to_state(*env.start)  # an unseeded reset draws from the same stream


def test_obstacles_keep_the_layout_and_spare_start_and_goal():
    env = GridWorld(DYNA_MAZE, obstacle_density=0.3)
    for seed in SEEDS:
        env.reset(seed=seed)
        assert env.start == (2, 0) and env.goals == [(0, 8)]
        base_walls = {(r, c) for r, row in enumerate(DYNA_MAZE) for c, ch in enumerate(row) if ch == "#"}
        assert base_walls <= set(env.walls)  # the layout's own walls stay
    assert env.base_desc == DYNA_MAZE


def test_obstacle_density_is_about_right():
    env = GridWorld(rows=20, cols=20, obstacle_density=0.25)
    env.reset(seed=0)
    assert 0.15 < len(env.walls) / (400 - 2) < 0.35


def test_random_start_and_goal_cover_the_open_cells_and_never_meet():
    env = GridWorld(["S.#", "..G"], random_goal=True, random_start=True)
    pairs = set()
    for seed in range(200):
        env.reset(seed=seed)
        (goal,) = env.goals
        assert env.start != goal and "#" not in (env.desc[goal[0]][goal[1]], env.desc[env.start[0]][env.start[1]])
        pairs.add((env.start, goal))
    assert len(pairs) == 5 * 4  # every ordered pair of the five open cells


def test_random_start_alone_never_lands_on_a_goal():
    env = GridWorld(["S.", "GG"], random_start=True)
    starts = set()
    for seed in range(50):
        env.reset(seed=seed)
        assert env.goals == [(1, 0), (1, 1)] and env.start not in env.goals
        starts.add(env.start)
    assert starts == {(0, 0), (0, 1)}


def test_periodic_moves_wrap_and_stay_on_the_grid():
    env = GridWorld(open_grid(3, 4), periodic=True)
    env.reset(seed=0)
    assert env.step(0)[0] == env.to_state(0, 3)  # left from (0, 0) wraps to (0, 3)
    assert env.step(2)[0] == env.to_state(0, 0)  # right from (0, 3) wraps to (0, 0), not off the grid
    assert env.step(3)[0] == env.to_state(2, 0)  # up from (0, 0) wraps to (2, 0)
    assert env.step(1)[0] == env.to_state(0, 0)  # down from (2, 0) wraps to (0, 0)
    walled = GridWorld(["S.#", "..G"], periodic=True)
    walled.reset(seed=0)
    assert walled.step(0)[0] == 0  # left from (0, 0) wraps into the wall at (0, 2): stays
    assert walled.step(3)[0] == walled.to_state(1, 0)  # up wraps to (1, 0)
    assert walled.step(0)[:3] == (walled.to_state(1, 2), 1.0, True)  # left wraps into the goal


def test_defaults_are_todays_grid():
    for kwargs in ({"desc": DYNA_MAZE}, {"rows": 3, "cols": 4}):
        plain, explicit = GridWorld(**kwargs), GridWorld(**kwargs, obstacle_density=0.0, periodic=False)
        assert not plain.randomized
        for seed in SEEDS:
            plain.reset(seed=seed)
            assert plain.desc == plain.base_desc and plain.P == explicit.P


def test_registered_ids_take_the_options():
    env = gym.make("ps_graph/GridWorld-v0", rows=4, cols=4, obstacle_density=0.3, random_goal=True, periodic=True)
    env.reset(seed=3)
    mdp = tabular.from_env(env)
    assert mdp.max_episode_steps == 2000 and "obstacle_density=0.3" in mdp.name
    V, _ = tabular.value_iteration(mdp, gamma=0.9)
    assert V[int(mdp.initial.argmax())] > 0  # the goal is reachable
    check_env(GridWorld(rows=3, cols=3, obstacle_density=0.3, random_start=True, periodic=True), skip_render_check=True)


def test_unreachable_goals_fail_clearly():
    corridor = GridWorld(["S" + "." * 40 + "G"], obstacle_density=0.5)
    with pytest.raises(ConfigError, match=f"no layout with a goal reachable from the start in {MAX_LAYOUT_DRAWS}"):
        corridor.reset(seed=0)
    split = GridWorld(["S#G"], random_goal=True)
    with pytest.raises(ConfigError, match="Lower obstacle_density"):
        split.reset(seed=0)
    # periodic, the same split layout is connected through the edges
    assert GridWorld(["S#G"], random_goal=True, periodic=True).reset(seed=0)[0] == 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"obstacle_density": 0.6}, r"obstacle_density must be a finite number in \[0.0, 0.5\]"),
        ({"obstacle_density": -0.1}, "obstacle_density must be"),
        ({"obstacle_density": float("nan")}, "obstacle_density must be"),
        ({"obstacle_density": "0.2"}, "obstacle_density must be"),
        ({"random_goal": 1}, "random_goal must be True or False"),
        ({"random_start": "yes"}, "random_start must be True or False"),
        ({"periodic": None}, "periodic must be True or False"),
    ],
)
def test_option_values_are_checked(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        GridWorld(rows=3, cols=3, **kwargs)


def test_obstacles_are_drawn_with_the_envs_generator():
    env = GridWorld(rows=6, cols=6, obstacle_density=0.4)
    env.reset(seed=5)
    first = env.desc
    np.random.seed(0)  # the global stream plays no part
    env.reset(seed=5)
    assert env.desc == first
