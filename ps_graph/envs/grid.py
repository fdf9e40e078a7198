"""Grid worlds with obstacles given as data: an open grid and Sutton's Dyna maze.

A layout is a list of equal-length strings, one per row, as in toy-text's ``desc``:
``"S"`` the start (exactly one), ``"G"`` a goal (at least one), ``"."`` a free cell and
``"#"`` a wall. The state is ``s = row * ncols + col`` (walls are states too, never
reached); the four actions follow FrozenLake's order: 0 left, 1 down, 2 right, 3 up. A
move into a wall or off the grid leaves the agent in place. Entering a goal gives reward 1
and terminates; every other step gives 0. Each episode starts at ``"S"``.

Options (all off by default, which keeps the layout fixed): ``periodic=True`` wraps moves
around the edges (walls still block); ``random_goal`` / ``random_start`` draw the goal /
start uniformly among the layout's non-wall cells at each reset (start != goal); and
``obstacle_density=p`` turns each other free cell into a wall with probability ``p``. The
draws come from the env's own Generator (``reset(seed=...)``) and are repeated until a goal
is reachable from the start. ``desc``, ``start``, ``goals``, ``walls``, ``P`` and
``initial_state_distrib`` always describe the current layout, so ``from_env`` after a reset
gives that episode's exact MDP; ``base_desc`` keeps the layout the env was made with.

The dynamics are also a toy-text transition table ``env.P[s][a] = [(1.0, next_state,
reward, terminated)]`` (a goal's own rows: ``(1.0, s, 0.0, True)``, as in FrozenLake) with
``env.initial_state_distrib``, so :func:`ps_graph.tabular.from_env` turns the env into a
:class:`~ps_graph.tabular.TabularMDP` for the batched agents and exact planning.

Registered ids: ``"ps_graph/GridWorld-v0"`` (open ``rows x cols`` grid, default 10 x 10,
start top-left, goal bottom-right; 2000 steps per episode) and ``"ps_graph/DynaMaze-v0"``
(Sutton & Barto, Fig. 8.2: :data:`DYNA_MAZE`; 3000 steps per episode).

>>> import gymnasium as gym, ps_graph.envs
>>> env = gym.make("ps_graph/DynaMaze-v0")
>>> env.reset(seed=0)[0]           # start (2, 0): 2 * 9 + 0
18
>>> env.step(2)[:3]                # right: (2, 1)
(19, 0.0, False)
>>> env.step(2)[:3]                # right again: the wall at (2, 2) blocks
(19, 0.0, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ..checks import check_bool, check_int, check_real
from ..errors import ConfigError
from ._trials import EnvError, check_render_mode

__all__ = [
    "ACTIONS",
    "DYNA_MAZE",
    "GridWorld",
    "Layouts",
    "draw_layouts",
    "goal_reachable",
    "move_targets",
    "open_grid",
    "parse_layout",
]

#: Action names in action order (FrozenLake's convention).
ACTIONS = ("left", "down", "right", "up")
_MOVES = ((0, -1), (1, 0), (0, 1), (-1, 0))
_CELLS = "SG.#"

#: Most obstacle_density: a larger one rarely leaves a path from the start to a goal.
MAX_OBSTACLE_DENSITY = 0.5
#: How many random layouts a reset draws before giving up on finding a reachable goal.
MAX_LAYOUT_DRAWS = 1000

#: Sutton & Barto's Dyna maze (Fig. 8.2): 6 x 9, start (2, 0), goal (0, 8), walls at
#: (1, 2), (2, 2), (3, 2), (4, 5), (0, 7), (1, 7), (2, 7).
DYNA_MAZE = (
    ".......#G",
    "..#....#.",
    "S.#....#.",
    "..#......",
    ".....#...",
    ".........",
)


def open_grid(rows: int, cols: int) -> tuple[str, ...]:
    """The layout of an open ``rows x cols`` grid: start top-left, goal bottom-right.

    >>> open_grid(2, 3)
    ('S..', '..G')
    """
    rows = check_int("rows", rows, 1)
    cols = check_int("cols", cols, 1)
    if rows * cols < 2:
        raise ConfigError(
            f"an open grid needs two cells, one for the start and one for the goal; got {rows} x {cols}. "
            "Use rows * cols >= 2."
        )
    cells = [["."] * cols for _ in range(rows)]
    cells[0][0], cells[-1][-1] = "S", "G"
    return tuple("".join(row) for row in cells)


def _check_desc(desc) -> tuple[str, ...]:
    if isinstance(desc, str) or not isinstance(desc, Sequence) or not desc:
        raise ConfigError(f"desc must be a non-empty list of strings, one per row (e.g. ['S.', '.G']); got {desc!r}.")
    rows = tuple(desc)
    if not all(isinstance(r, str) for r in rows) or len({len(r) for r in rows}) != 1 or not rows[0]:
        raise ConfigError(
            f"desc must be non-empty strings of one length, one per row; got {list(rows)!r}. "
            "Pad the rows so that every one has the same number of cells."
        )
    bad = sorted({ch for r in rows for ch in r} - set(_CELLS))
    if bad:
        raise ConfigError(f"desc cells must be 'S' (start), 'G' (goal), '.' (free) or '#' (wall); got {bad!r}.")
    starts = sum(r.count("S") for r in rows)
    goals = sum(r.count("G") for r in rows)
    if starts != 1 or goals < 1:
        raise ConfigError(f"desc needs exactly one 'S' and at least one 'G'; got {starts} 'S' and {goals} 'G'.")
    return rows


def move_targets(nrow: int, ncol: int, periodic: bool) -> np.ndarray:
    """``(nrow * ncol, 4)`` int64: the state each action leads to from each state, walls
    ignored; a move off the grid stays put, unless ``periodic``, when it wraps around.

    >>> move_targets(2, 3, periodic=False)[1].tolist()     # from (0, 1): left, down, right, up
    [0, 4, 2, 1]
    >>> move_targets(2, 3, periodic=True)[0].tolist()
    [2, 3, 1, 3]
    """
    rows, cols = np.divmod(np.arange(nrow * ncol), ncol)
    targets = np.empty((nrow * ncol, len(_MOVES)), np.int64)
    for a, (dr, dc) in enumerate(_MOVES):
        nr, nc = rows + dr, cols + dc
        if periodic:
            nr, nc = nr % nrow, nc % ncol
        inside = (nr >= 0) & (nr < nrow) & (nc >= 0) & (nc < ncol)
        targets[:, a] = np.where(inside, nr * ncol + nc, rows * ncol + cols)
    return targets


@dataclass(frozen=True)
class Layouts:
    """``m`` layouts of one grid as arrays over the states ``s = row * ncol + col``.

    ``walls`` and ``goals`` (m, S) bool, ``starts`` (m,) int64, ``ncol`` the row length.
    """

    walls: np.ndarray
    goals: np.ndarray
    starts: np.ndarray
    ncol: int

    def desc(self, i: int) -> tuple[str, ...]:
        """Layout ``i`` as rows of ``"S"``, ``"G"``, ``"."`` and ``"#"`` cells."""
        cells = np.where(self.walls[i], "#", ".")
        cells[self.goals[i]] = "G"
        cells[self.starts[i]] = "S"
        return tuple("".join(row) for row in cells.reshape(-1, self.ncol))


def parse_layout(desc: Sequence[str]) -> Layouts:
    """One layout (``m = 1``) from ``desc`` rows (a checked layout, see the module docstring).

    >>> parse_layout(("S#", ".G")).desc(0)
    ('S#', '.G')
    """
    flat = np.array(list("".join(desc)))
    return Layouts((flat == "#")[None], (flat == "G")[None], np.flatnonzero(flat == "S")[:1], len(desc[0]))


def goal_reachable(targets: np.ndarray, walls: np.ndarray, goals: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """(m,) bool: whether some goal of each layout can be reached from its start.

    ``targets`` is :func:`move_targets`' table, whose neighbour relation is symmetric, so a
    state joins the reached set when it is open and a neighbour is reached (a flood fill).

    >>> targets = move_targets(1, 3, periodic=False)
    >>> walls = np.array([[False, True, False], [False, False, False]])
    >>> goal_reachable(targets, walls, np.array([[False, False, True]] * 2), np.array([0, 0])).tolist()
    [False, True]
    """
    reached = np.zeros(walls.shape, bool)
    reached[np.arange(len(starts)), starts] = True
    while True:
        grown = reached | (reached[:, targets].any(axis=2) & ~walls)
        if (grown == reached).all():
            return (reached & goals).any(axis=1)
        reached = grown


def _draw_once(base: Layouts, m: int, rng: np.random.Generator, options: dict[str, Any]) -> Layouts:
    """``m`` candidate layouts from ``base`` (one layout): goals, then starts, then obstacles."""
    open_cells = np.flatnonzero(~base.walls[0])  # row-major
    rows = np.arange(m)
    goals = np.repeat(base.goals, m, axis=0)
    starts = np.repeat(base.starts, m)
    if options["random_goal"]:
        choices = open_cells if options["random_start"] else open_cells[open_cells != base.starts[0]]
        drawn = choices[rng.integers(len(choices), size=m)]
        goals[:] = False
        goals[rows, drawn] = True
    if options["random_start"] and options["random_goal"]:  # the open cells but the goal
        index = rng.integers(len(open_cells) - 1, size=m)
        starts = open_cells[index + (index >= np.searchsorted(open_cells, drawn))]
    elif options["random_start"]:
        choices = open_cells[~base.goals[0, open_cells]]
        starts = choices[rng.integers(len(choices), size=m)]
    walls = np.repeat(base.walls, m, axis=0)
    if options["obstacle_density"] > 0:
        free = ~walls & ~goals
        free[rows, starts] = False  # every layout has as many free cells, in row-major order
        cells = np.nonzero(free)[1].reshape(m, -1)
        walls[rows[:, None], cells] = rng.random(cells.shape) < options["obstacle_density"]
    return Layouts(walls, goals, starts, base.ncol)


def draw_layouts(base_desc: Sequence[str], m: int, rng: np.random.Generator, **options: Any) -> Layouts:
    """``m`` random layouts from ``base_desc``, as :class:`GridWorld`'s resets draw them.

    ``options``: ``obstacle_density``, ``random_goal``, ``random_start``, ``periodic``. Each
    layout draws its goal, start and obstacles (in that order) until a goal is reachable from
    its start; one layout (``m = 1``) takes the same draws from ``rng`` as a GridWorld reset.

    >>> draws = draw_layouts(open_grid(2, 3), 2, np.random.default_rng(0), obstacle_density=0.0,
    ...                      random_goal=True, random_start=False, periodic=False)
    >>> draws.desc(0), draws.desc(1)
    (('S..', '..G'), ('S..', '.G.'))
    """
    base = parse_layout(base_desc)
    ncol = base.ncol
    targets = move_targets(len(base_desc), ncol, options["periodic"])
    walls, goals = np.repeat(base.walls, m, axis=0), np.repeat(base.goals, m, axis=0)
    starts = np.repeat(base.starts, m)
    pending = np.arange(m)
    for _ in range(MAX_LAYOUT_DRAWS):
        draws = _draw_once(base, pending.size, rng, options)
        ok = goal_reachable(targets, draws.walls, draws.goals, draws.starts)
        done = pending[ok]
        walls[done], goals[done], starts[done] = draws.walls[ok], draws.goals[ok], draws.starts[ok]
        pending = pending[~ok]
        if not pending.size:
            return Layouts(walls, goals, starts, ncol)
    raise ConfigError(
        f"no layout with a goal reachable from the start in {MAX_LAYOUT_DRAWS} random draws "
        f"(obstacle_density={options['obstacle_density']}, random_goal={options['random_goal']}, "
        f"random_start={options['random_start']}, periodic={options['periodic']}). "
        "Lower obstacle_density, or use a layout whose open cells are connected."
    )


class GridWorld(gym.Env):
    """A deterministic grid world; see the module docstring for layout, actions and rewards.

    Parameters
    ----------
    desc : list of str, optional
        The layout (e.g. :data:`DYNA_MAZE`). Without it, an open grid :func:`open_grid`.
    rows, cols : int, default 10 each
        Size of the open grid (only without ``desc``).
    render_mode : None or "ansi"
        "ansi" renders the layout as text with the agent's cell shown as "A".
    obstacle_density : float in [0, 0.5], default 0
        At each reset, every free cell other than the start and the goals becomes a wall
        with this probability (re-drawn until a goal is reachable from the start).
    random_goal, random_start : bool, default False
        At each reset, draw one goal / the start uniformly among the layout's non-wall cells
        (the start never on a goal).
    periodic : bool, default False
        Moves wrap around the edges (a torus); walls still block.

    Attributes: ``desc`` (the current layout), ``base_desc`` (the given one), ``nrow``,
    ``ncol``, ``start`` and ``goals`` (as (row, col)), ``walls`` (list of (row, col)), ``P``,
    ``initial_state_distrib``, ``s`` (current state). Until the first reset the current
    layout is the given one.

    >>> env = GridWorld(["S.#", "..G"], render_mode="ansi")
    >>> env.reset(seed=0)[0], env.P[1][2]      # from (0, 1) right: the wall keeps it in place
    (0, [(1.0, 1, 0.0, False)])
    >>> env.step(1)[0], env.step(2)[0], env.step(2)[:3]
    (3, 4, (5, 1.0, True))
    >>> print(env.render(), end="")
    S.#
    ..A

    A periodic grid whose obstacles and goal are drawn at each reset:

    >>> env = GridWorld(rows=4, cols=4, obstacle_density=0.2, random_goal=True, periodic=True)
    >>> _ = env.reset(seed=0)
    >>> env.P[env.to_state(0, 0)][0][0][1] in (env.to_state(0, 3), env.to_state(0, 0))  # left wraps
    True
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}  # noqa: RUF012  (gymnasium declares it this way)

    def __init__(
        self,
        desc: Sequence[str] | None = None,
        *,
        rows: int | None = None,
        cols: int | None = None,
        render_mode: str | None = None,
        obstacle_density: float = 0.0,
        random_goal: bool = False,
        random_start: bool = False,
        periodic: bool = False,
    ):
        check_render_mode(self, render_mode)
        self.obstacle_density = check_real(
            "obstacle_density",
            obstacle_density,
            0.0,
            MAX_OBSTACLE_DENSITY,
            hint="Use 0 for no random obstacles.",
        )
        self.random_goal = check_bool("random_goal", random_goal)
        self.random_start = check_bool("random_start", random_start)
        self.periodic = check_bool("periodic", periodic)
        if desc is None:
            desc = open_grid(10 if rows is None else rows, 10 if cols is None else cols)
        elif rows is not None or cols is not None:
            raise ConfigError(
                f"give either desc or rows/cols, not both; got desc and rows={rows!r}, cols={cols!r}. "
                "The size of a desc layout is its own."
            )
        self.base_desc = _check_desc(desc)
        self.render_mode = render_mode
        self.nrow, self.ncol = len(self.base_desc), len(self.base_desc[0])
        self.observation_space = spaces.Discrete(self.nrow * self.ncol)
        self._targets = move_targets(self.nrow, self.ncol, self.periodic)
        self.action_space = spaces.Discrete(len(ACTIONS))
        self._set_layout(self.base_desc)

    @property
    def randomized(self) -> bool:
        """Whether each reset draws a new layout (random obstacles, goal or start)."""
        return self.obstacle_density > 0 or self.random_goal or self.random_start

    def _set_layout(self, desc: tuple[str, ...]) -> None:
        """Make ``desc`` the current layout: its cells, transition table and start state."""
        self.desc = desc
        cells = {(r, c): ch for r, row in enumerate(desc) for c, ch in enumerate(row)}
        self.start = next(rc for rc, ch in cells.items() if ch == "S")
        self.goals = [rc for rc, ch in cells.items() if ch == "G"]
        self.walls = [rc for rc, ch in cells.items() if ch == "#"]
        num_states = self.nrow * self.ncol
        self.initial_state_distrib = np.zeros(num_states)
        self.initial_state_distrib[self.to_state(*self.start)] = 1.0
        self.P = {s: {a: [self._outcome(cells, s, a)] for a in range(len(ACTIONS))} for s in range(num_states)}
        self.s = self.to_state(*self.start)

    def _draw_layout(self) -> tuple[str, ...]:
        """A random layout from the base one (see the class docstring), drawn with ``np_random``."""
        options = {"obstacle_density": self.obstacle_density, "periodic": self.periodic}
        draws = draw_layouts(
            self.base_desc, 1, self.np_random, random_goal=self.random_goal, random_start=self.random_start, **options
        )
        return draws.desc(0)

    def to_state(self, row: int, col: int) -> int:
        """State index of cell (row, col): ``row * ncol + col``."""
        return row * self.ncol + col

    def to_cell(self, state: int) -> tuple[int, int]:
        """(row, col) of a state index."""
        return divmod(int(state), self.ncol)

    def _move(self, cells, r: int, c: int, a: int) -> tuple[int, int]:
        """The cell action ``a`` leads to from (r, c): off the grid (unless periodic) or into a
        wall it stays put; periodic moves wrap around, so they always stay on the grid."""
        nr, nc = self.to_cell(self._targets[self.to_state(r, c), a])
        return (r, c) if cells[nr, nc] == "#" else (nr, nc)

    def _outcome(self, cells, s: int, a: int) -> tuple[float, int, float, bool]:
        r, c = self.to_cell(s)
        if cells[r, c] == "G":
            return (1.0, s, 0.0, True)
        if cells[r, c] == "#":
            return (1.0, s, 0.0, False)
        nr, nc = self._move(cells, r, c, a)
        goal = cells[nr, nc] == "G"
        return (1.0, self.to_state(nr, nc), 1.0 if goal else 0.0, goal)

    def reset(self, *, seed: int | None = None, options=None):
        super().reset(seed=seed)
        if self.randomized:
            self._set_layout(self._draw_layout())
        self.s = self.to_state(*self.start)
        return self.s, {"prob": 1.0}

    def step(self, action):
        if not self.action_space.contains(action):
            raise EnvError(f"action must be in {self.action_space} (0 left, 1 down, 2 right, 3 up); got {action!r}.")
        prob, self.s, reward, terminated = self.P[self.s][int(action)][0]
        return self.s, reward, terminated, False, {"prob": prob}

    def render(self):
        if self.render_mode != "ansi":
            return None
        r, c = self.to_cell(self.s)
        rows = [list(row) for row in self.desc]
        rows[r][c] = "A"
        return "\n".join("".join(row) for row in rows) + "\n"
