"""K copies of :class:`~ps_graph.envs.grid.GridWorld` stepped as arrays: :class:`GridWorldVector`.

The native vector env of ``"ps_graph/GridWorld-v0"`` and ``"ps_graph/DynaMaze-v0"``. Every
option of the single env works the same way. A fixed layout (no random obstacles, goal or
start) has one transition table, :attr:`GridWorldVector.mdp` (the
:class:`~ps_graph.tabular.TabularMDP` that :func:`~ps_graph.tabular.from_env` reads from the
single env), and every copy steps through it. With random layouts each copy draws its own at
every reset (:func:`~ps_graph.envs.grid.draw_layouts`, the single env's draws) and steps on its
own walls and goals. Observations, rewards, ``terminated`` and the ``"prob"`` info are the
single env's.

>>> import gymnasium as gym, ps_graph.envs
>>> envs = gym.make_vec("ps_graph/DynaMaze-v0", num_envs=3, vectorization_mode="vector_entry_point")
>>> envs.reset(seed=0)[0]                              # the start (2, 0) in every copy
array([18, 18, 18])
>>> obs, rewards, terminated, truncated, infos = envs.step(np.array([2, 3, 1]))   # right, up, down
>>> obs, infos["prob"]
(array([19,  9, 27]), array([1., 1., 1.]))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from ...errors import ConfigError
from ...tabular import TabularMDP, from_env
from ..grid import GridWorld, Layouts, draw_layouts, move_targets, parse_layout
from ._base import NativeVectorEnv

__all__ = ["GridWorldVector", "no_rendering", "single_spaces"]


def no_rendering(render_mode: str | None, single: str) -> None:
    """Vector envs do not render: a clear error for any ``render_mode`` but None."""
    if render_mode is not None:
        raise ConfigError(
            f"the native vector envs do not render; got render_mode={render_mode!r}. "
            f"Render one copy: make the single env ({single}) with render_mode."
        )


def single_spaces(env: gym.Env) -> tuple[spaces.Space, spaces.Discrete]:
    """A single env's observation space and its (Discrete) action space, for :class:`NativeVectorEnv`."""
    if not isinstance(env.action_space, spaces.Discrete):  # pragma: no cover - every env here has Discrete actions
        raise ConfigError(f"native vector envs take Discrete actions; got {env.action_space}.")
    return env.observation_space, env.action_space


class GridWorldVector(NativeVectorEnv):
    """``num_envs`` copies of :class:`~ps_graph.envs.grid.GridWorld` (same keywords).

    Parameters
    ----------
    num_envs : int >= 1
    desc, and the keywords rows, cols, obstacle_density, random_goal, random_start, periodic
        As :class:`~ps_graph.envs.grid.GridWorld`.
    max_episode_steps : int or None
        Truncate each copy's episode here (``gym.make_vec`` passes the registered limit).
    autoreset_mode : gymnasium AutoresetMode, default NEXT_STEP

    Attributes: ``states`` (K,) the copies' states, ``base_desc``, ``nrow``, ``ncol``,
    ``randomized``, ``mdp`` (the table of a fixed layout; None with random layouts) and
    :meth:`layout` (copy i's current layout as ``desc`` rows).

    >>> envs = GridWorldVector(4, rows=3, cols=3, random_goal=True)
    >>> _ = envs.reset(seed=1)
    >>> envs.mdp is None, len({envs.layout(i) for i in range(4)}) > 1
    (True, True)
    """

    def __init__(
        self,
        num_envs: int,
        desc: Sequence[str] | None = None,
        *,
        render_mode: str | None = None,
        max_episode_steps: int | None = None,
        autoreset_mode: Any = AutoresetMode.NEXT_STEP,
        **options: Any,
    ) -> None:
        no_rendering(render_mode, "ps_graph.envs.GridWorld")
        single = GridWorld(desc, **options)  # checks every option
        names = ("obstacle_density", "random_goal", "random_start", "periodic")
        self._options = {name: getattr(single, name) for name in names}
        super().__init__(
            num_envs,
            *single_spaces(single),
            max_episode_steps=max_episode_steps,
            autoreset_mode=autoreset_mode,
        )
        self.base_desc, self.nrow, self.ncol = single.base_desc, single.nrow, single.ncol
        self.randomized = single.randomized
        self._targets = move_targets(self.nrow, self.ncol, single.periodic)
        base = parse_layout(self.base_desc)
        copies = [np.repeat(a, self.num_envs, axis=0) for a in (base.walls, base.goals, base.starts)]
        self._layouts = Layouts(copies[0], copies[1], copies[2], self.ncol)
        self.mdp: TabularMDP | None = None
        if not self.randomized:
            self.mdp = dataclasses.replace(from_env(single), max_episode_steps=self.max_episode_steps)
            self._table = (self.mdp.next_states[..., 0], self.mdp.rewards[..., 0], self.mdp.terminated[..., 0])
        self.states = np.zeros(self.num_envs, np.int64)
        self._copies = np.arange(self.num_envs)

    def layout(self, i: int) -> tuple[str, ...]:
        """Copy ``i``'s current layout, as the single env's ``desc``."""
        return self._layouts.desc(i) if self.randomized else self.base_desc

    def _reset_copies(self, mask: np.ndarray) -> None:
        if self.randomized:
            draws = draw_layouts(self.base_desc, int(mask.sum()), self.np_random, **self._options)
            for name in ("walls", "goals", "starts"):
                getattr(self._layouts, name)[mask] = getattr(draws, name)
        self.states[mask] = self._layouts.starts[mask]

    def _step_copies(self, actions: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = self.states
        if self.randomized:
            nxt, rewards, terminated = self._step_layouts(s, actions)
        else:
            nxt, rewards, terminated = (table[s, actions] for table in self._table)
        self.states = np.where(mask, nxt, s)
        return rewards, terminated

    def _step_layouts(self, s: np.ndarray, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every copy's step on its own layout: the single env's table, computed for (s, a)."""
        k, walls, goals = self._copies, self._layouts.walls, self._layouts.goals
        target = self._targets[s, actions]
        in_goal = goals[k, s]
        stay = in_goal | walls[k, s] | walls[k, target]  # a goal ends the episode; walls block
        nxt = np.where(stay, s, target)
        reached = goals[k, nxt] & ~in_goal
        return nxt, reached.astype(np.float64), reached | in_goal

    def _observations(self) -> np.ndarray:
        return self.states.copy()

    def _infos(self, mask: np.ndarray) -> dict[str, Any]:
        return {"prob": mask.astype(np.float64), "_prob": mask.copy()}
