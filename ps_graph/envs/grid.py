"""Grid worlds with obstacles given as data: an open grid and Sutton's Dyna maze.

A layout is a list of equal-length strings, one per row, as in toy-text's ``desc``:
``"S"`` the start (exactly one), ``"G"`` a goal (at least one), ``"."`` a free cell and
``"#"`` a wall. The state is ``s = row * ncols + col`` (walls are states too, never
reached); the four actions follow FrozenLake's order: 0 left, 1 down, 2 right, 3 up. A
move into a wall or off the grid leaves the agent in place. Entering a goal gives reward 1
and terminates; every other step gives 0. Each episode starts at ``"S"``.

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

from ..checks import check_int
from ..errors import ConfigError
from ._trials import EnvError, check_render_mode

__all__ = ["ACTIONS", "DYNA_MAZE", "GridWorld", "open_grid"]

#: Action names in action order (FrozenLake's convention).
ACTIONS = ("left", "down", "right", "up")
_MOVES = ((0, -1), (1, 0), (0, 1), (-1, 0))
_CELLS = "SG.#"

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

    Attributes: ``desc``, ``nrow``, ``ncol``, ``start`` and ``goals`` (as (row, col)),
    ``walls`` (list of (row, col)), ``P``, ``initial_state_distrib``, ``s`` (current state).

    >>> env = GridWorld(["S.#", "..G"], render_mode="ansi")
    >>> env.reset(seed=0)[0], env.P[1][2]      # from (0, 1) right: the wall keeps it in place
    (0, [(1.0, 1, 0.0, False)])
    >>> env.step(1)[0], env.step(2)[0], env.step(2)[:3]
    (3, 4, (5, 1.0, True))
    >>> print(env.render(), end="")
    S.#
    ..A
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}  # noqa: RUF012  (gymnasium declares it this way)

    def __init__(
        self,
        desc: Sequence[str] | None = None,
        *,
        rows: int | None = None,
        cols: int | None = None,
        render_mode: str | None = None,
    ):
        check_render_mode(self, render_mode)
        if desc is None:
            desc = open_grid(10 if rows is None else rows, 10 if cols is None else cols)
        elif rows is not None or cols is not None:
            raise ConfigError(
                f"give either desc or rows/cols, not both; got desc and rows={rows!r}, cols={cols!r}. "
                "The size of a desc layout is its own."
            )
        self.desc = _check_desc(desc)
        self.render_mode = render_mode
        self.nrow, self.ncol = len(self.desc), len(self.desc[0])
        cells = {(r, c): ch for r, row in enumerate(self.desc) for c, ch in enumerate(row)}
        self.start = next(rc for rc, ch in cells.items() if ch == "S")
        self.goals = [rc for rc, ch in cells.items() if ch == "G"]
        self.walls = [rc for rc, ch in cells.items() if ch == "#"]
        num_states = self.nrow * self.ncol
        self.observation_space = spaces.Discrete(num_states)
        self.action_space = spaces.Discrete(len(ACTIONS))
        self.initial_state_distrib = np.zeros(num_states)
        self.initial_state_distrib[self.to_state(*self.start)] = 1.0
        self.P = {s: {a: [self._outcome(cells, s, a)] for a in range(len(ACTIONS))} for s in range(num_states)}
        self.s = self.to_state(*self.start)

    def to_state(self, row: int, col: int) -> int:
        """State index of cell (row, col): ``row * ncol + col``."""
        return row * self.ncol + col

    def to_cell(self, state: int) -> tuple[int, int]:
        """(row, col) of a state index."""
        return divmod(int(state), self.ncol)

    def _outcome(self, cells, s: int, a: int) -> tuple[float, int, float, bool]:
        r, c = self.to_cell(s)
        if cells[r, c] == "G":
            return (1.0, s, 0.0, True)
        if cells[r, c] == "#":
            return (1.0, s, 0.0, False)
        dr, dc = _MOVES[a]
        nr, nc = r + dr, c + dc
        if not (0 <= nr < self.nrow and 0 <= nc < self.ncol) or cells[nr, nc] == "#":
            nr, nc = r, c
        goal = cells[nr, nc] == "G"
        return (1.0, self.to_state(nr, nc), 1.0 if goal else 0.0, goal)

    def reset(self, *, seed: int | None = None, options=None):
        super().reset(seed=seed)
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
