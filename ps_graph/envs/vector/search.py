"""K walkers of the search worlds as vector envs: the native vector envs of the reset and foraging ids.

:class:`Reset1DVector`, :class:`Reset2DVector`, :class:`TurnReset2DVector` and
:class:`ForagingVector` step one :mod:`ps_graph.envs.search` world of K walkers (copy i is walker
i), the very world the single envs of :mod:`ps_graph.envs.search_envs` step with one walker.
Observations (the counters), rewards and the ``"step"`` and ``"position"`` infos are the single
env's (a position in the plane is a row of a (K, 2) array); episodes end truncated after
``episode_steps`` steps (or ``max_episode_steps``, when smaller). A copy's new episode starts a
new world for it, as the single env's reset does. With one copy and the same seed a vector env
draws the single env's random stream, step for step.

>>> import gymnasium as gym, ps_graph.envs
>>> envs = gym.make_vec("ps_graph/Reset1D-v0", num_envs=3, vectorization_mode="vector_entry_point", distance=1.0)
>>> envs.reset(seed=0)[0]
array([0, 0, 0])
>>> envs.step(np.array([0, 1, 0]))[0]              # continue, reset, continue
array([1, 0, 1])
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode

from ..search import _World
from ..search_envs import Foraging, Reset1D, Reset2D, TurnReset2D, _SearchEnv
from ._base import NativeVectorEnv
from .grids import single_spaces

__all__ = ["ForagingVector", "Reset1DVector", "Reset2DVector", "TurnReset2DVector"]


class _SearchVector(NativeVectorEnv):
    """``num_envs`` walkers of the single env ``single_class``'s world (see the module docstring).

    Keywords: ``episode_steps`` and the world's parameters, as the single env; ``max_episode_steps``
    (an extra time limit, e.g. from ``gym.make_vec``) and ``autoreset_mode``.
    """

    single_class: type[_SearchEnv]

    def __init__(
        self,
        num_envs: int,
        episode_steps: int | None = None,
        *,
        max_episode_steps: int | None = None,
        autoreset_mode: Any = AutoresetMode.NEXT_STEP,
        **params: Any,
    ) -> None:
        single = self.single_class(episode_steps, **params)  # checks every parameter
        limit = single.episode_steps if max_episode_steps is None else min(single.episode_steps, max_episode_steps)
        super().__init__(
            num_envs,
            *single_spaces(single),
            max_episode_steps=limit,
            autoreset_mode=autoreset_mode,
        )
        self.episode_steps_limit = single.episode_steps
        self._params = params
        self.world: _World = single.world_class(self.num_envs, rng=np.random.default_rng(0), **params)

    def _reset_copies(self, mask: np.ndarray) -> None:
        """New worlds for the copies of ``mask``, as the single env's reset makes one."""
        fresh = self.single_class.world_class(int(mask.sum()), rng=self.np_random, **self._params)
        fresh.reset()
        self.world.rng = self.np_random
        for name in self.world.STATE:
            getattr(self.world, name)[mask] = getattr(fresh, name)

    def _step_copies(self, actions: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every walker steps; those outside ``mask`` get their state back."""
        world = self.world
        kept = None if mask.all() else {name: getattr(world, name)[~mask] for name in world.STATE}
        rewards = world.step(actions)
        for name, values in (kept or {}).items():
            getattr(world, name)[~mask] = values
        return rewards, np.zeros(self.num_envs, bool)

    def _observations(self) -> np.ndarray:
        return np.array(self.single_class.observations(self.world), dtype=np.int64)

    def _infos(self, mask: np.ndarray) -> dict[str, Any]:
        positions = np.array(self.single_class.positions(self.world), dtype=np.float64)
        return {
            "step": np.where(mask, self.episode_steps, 0),
            "_step": mask.copy(),
            "position": np.where(mask.reshape(-1, *(1,) * (positions.ndim - 1)), positions, 0.0),
            "_position": mask.copy(),
        }


class Reset1DVector(_SearchVector):
    """Walkers of :class:`~ps_graph.envs.search_envs.Reset1D` (``"ps_graph/Reset1D-v0"``).

    >>> envs = Reset1DVector(2, distance=1.0, episode_steps=2)
    >>> _ = envs.reset(seed=0)
    >>> [envs.step(np.array([0, 0]))[3].tolist() for _ in range(2)]     # truncated at 2 steps
    [[False, False], [True, True]]
    """

    single_class = Reset1D


class Reset2DVector(_SearchVector):
    """Walkers of :class:`~ps_graph.envs.search_envs.Reset2D` (``"ps_graph/Reset2D-v0"``).

    >>> Reset2DVector(3).reset(seed=0)[1]["position"].shape
    (3, 2)
    """

    single_class = Reset2D


class TurnReset2DVector(_SearchVector):
    """Walkers of :class:`~ps_graph.envs.search_envs.TurnReset2D` (``"ps_graph/TurnReset2D-v0"``).

    >>> envs = TurnReset2DVector(2)
    >>> _ = envs.reset(seed=0)
    >>> envs.step(np.array([0, 1]))[0].tolist()      # (turn counter, reset counter) per copy
    [[1, 1], [0, 1]]
    """

    single_class = TurnReset2D


class ForagingVector(_SearchVector):
    """Walkers of :class:`~ps_graph.envs.search_envs.Foraging` (``"ps_graph/Foraging-v0"``), each
    in its own box of targets.

    >>> envs = ForagingVector(4, num_targets=10)
    >>> envs.reset(seed=0)[0].tolist(), envs.world.targets.shape
    ([0, 0, 0, 0], (4, 10, 2))
    """

    single_class = Foraging
