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

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ..checks import check_bool, check_int, check_real
from ..errors import ConfigError
from ._trials import EnvError, check_render_mode

__all__ = ["ACTIONS", "DYNA_MAZE", "GridWorld", "open_grid"]

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
        rng = self.np_random
        base = {(r, c): ch for r, row in enumerate(self.base_desc) for c, ch in enumerate(row)}
        open_cells = [rc for rc, ch in base.items() if ch != "#"]  # row-major order
        for _ in range(MAX_LAYOUT_DRAWS):
            start = next(rc for rc, ch in base.items() if ch == "S")
            goals = [rc for rc, ch in base.items() if ch == "G"]
            if self.random_goal:
                choices = open_cells if self.random_start else [rc for rc in open_cells if rc != start]
                goals = [choices[int(rng.integers(len(choices)))]]
            if self.random_start:
                choices = [rc for rc in open_cells if rc not in goals]
                start = choices[int(rng.integers(len(choices)))]
            cells = {rc: "#" if ch == "#" else "." for rc, ch in base.items()}
            free = [rc for rc in open_cells if rc != start and rc not in goals]
            if self.obstacle_density > 0:
                for rc, blocked in zip(free, rng.random(len(free)) < self.obstacle_density, strict=True):
                    if blocked:
                        cells[rc] = "#"
            cells[start] = "S"
            for goal in goals:
                cells[goal] = "G"
            if self._goal_reachable(cells, start):
                return tuple("".join(cells[r, c] for c in range(self.ncol)) for r in range(self.nrow))
        raise ConfigError(
            f"no layout with a goal reachable from the start in {MAX_LAYOUT_DRAWS} random draws "
            f"(obstacle_density={self.obstacle_density}, random_goal={self.random_goal}, "
            f"random_start={self.random_start}, periodic={self.periodic}). "
            "Lower obstacle_density, or use a layout whose open cells are connected."
        )

    def _goal_reachable(self, cells, start: tuple[int, int]) -> bool:
        """Whether some goal can be reached from ``start`` (a search over the moves; goals end it)."""
        seen, frontier = {start}, [start]
        while frontier:
            r, c = frontier.pop()
            if cells[r, c] == "G":
                return True
            for a in range(len(ACTIONS)):
                nxt = self._move(cells, r, c, a)
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        return False

    def to_state(self, row: int, col: int) -> int:
        """State index of cell (row, col): ``row * ncol + col``."""
        return row * self.ncol + col

    def to_cell(self, state: int) -> tuple[int, int]:
        """(row, col) of a state index."""
        return divmod(int(state), self.ncol)

    def _move(self, cells, r: int, c: int, a: int) -> tuple[int, int]:
        """The cell action ``a`` leads to from (r, c): off the grid (unless periodic) or into a
        wall it stays put; periodic moves wrap around, so they always stay on the grid."""
        dr, dc = _MOVES[a]
        nr, nc = r + dr, c + dc
        if self.periodic:
            nr, nc = nr % self.nrow, nc % self.ncol
        if not (0 <= nr < self.nrow and 0 <= nc < self.ncol) or cells[nr, nc] == "#":
            return r, c
        return nr, nc

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
