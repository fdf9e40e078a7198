"""Target search with resetting and foraging as gymnasium environments (one walker each).

The dynamics are those of :mod:`ps_graph.envs.search` with one walker; the observation is the
walker's counter, an ordinary ``Discrete`` observation, so PSAgent, TwoLayerPS and Q-learning
run these environments unchanged. Episodes last a fixed number of steps and end truncated.

* ``ps_graph/Reset1D-v0``: :class:`Reset1D` (continue / reset; counter since the last reset or find).
* ``ps_graph/Reset2D-v0``: :class:`Reset2D` (the same in the plane, a target disc).
* ``ps_graph/TurnReset2D-v0``: :class:`TurnReset2D` (continue / turn / reset; two counters).
* ``ps_graph/Foraging-v0``: :class:`Foraging` (continue / turn in a periodic box of targets).

The random stream is the env's own (``reset(seed=...)``), never a global one.

>>> import gymnasium as gym, ps_graph.envs
>>> env = gym.make("ps_graph/Reset1D-v0", distance=1.0, episode_steps=3)
>>> obs, info = env.reset(seed=0)
>>> int(obs), int(env.action_space.n)
(0, 2)
>>> for action in (0, 0, 1):
...     obs, reward, terminated, truncated, info = env.step(action)
>>> int(obs), terminated, truncated
(0, False, True)
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ..checks import check_int
from .search import ForagingWalk, ResetWalk1D, ResetWalk2D, TurnResetWalk2D, _World

__all__ = ["Foraging", "Reset1D", "Reset2D", "TurnReset2D"]

MAX_EPISODE_STEPS = 10**9


class _SearchEnv(gym.Env):
    """One walker of a :mod:`~ps_graph.envs.search` world (``world``), stepped for ``episode_steps``
    steps; every other keyword is a parameter of the world (see its class)."""

    metadata = {"render_modes": []}  # noqa: RUF012  (gymnasium declares it this way)
    world_class: type[_World]
    default_episode_steps = 10_000

    def __init__(self, episode_steps: int | None = None, **params: Any) -> None:
        steps = self.default_episode_steps if episode_steps is None else episode_steps
        self.episode_steps = check_int("episode_steps", steps, 1, MAX_EPISODE_STEPS)
        self._params = params
        self.world: Any = self.world_class(1, rng=np.random.default_rng(0), **params)  # checks the parameters now
        self.action_space = spaces.Discrete(self.world.num_actions)
        self.observation_space = self._space()
        self._t = 0

    def _space(self) -> spaces.Space:
        return spaces.Discrete(self.world.max_counter + 1)

    @staticmethod
    def observations(world: Any) -> np.ndarray:
        """Every walker's observation: its counter (shape (n,))."""
        return world.counter

    @staticmethod
    def positions(world: Any) -> np.ndarray:
        """Every walker's position: ``x`` (n,) on the line, else (n, 2) in the plane."""
        return world.x if isinstance(world, ResetWalk1D) else world.position

    def _observation(self) -> Any:
        return np.int64(self.observations(self.world)[0])

    def _info(self) -> dict[str, Any]:
        where = self.positions(self.world)[0]
        return {"step": self._t, "position": where.tolist() if np.ndim(where) else where}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.world = self.world_class(1, rng=self.np_random, **self._params)
        self.world.reset()
        self._t = 0
        return self._observation(), self._info()

    def step(self, action):
        fast = type(action) in (int, np.int64) and 0 <= action < self.world.num_actions  # the common case
        if not fast and not self.action_space.contains(action):
            raise gym.error.InvalidAction(f"action {action!r} is not in {self.action_space}")
        reward = float(self.world.step(np.array([int(action)]))[0])
        self._t += 1
        return self._observation(), reward, False, self._t >= self.episode_steps, self._info()


class Reset1D(_SearchEnv):
    """A diffusing walker with a target at ``distance``; actions 0 continue, 1 reset.

    The observation is the counter, steps since the last reset or find, in
    ``Discrete(max_counter + 1)``; at ``max_counter`` the walker is reset whatever the action.
    Keywords: ``diffusion`` (D, 0.5), ``distance`` (L, 5), ``max_counter`` (2,000), as
    :class:`~ps_graph.envs.search.ResetWalk1D`, and ``episode_steps`` (10,000): the
    learning-to-reset tutorial of ``qic-ibk/projective_simulation``.
    """

    world_class = ResetWalk1D


class Reset2D(_SearchEnv):
    """A diffusing walker in the plane with a target disc; actions 0 continue, 1 reset.

    Observation as :class:`Reset1D`. Keywords: ``diffusion`` (1), ``distance`` (5), ``radius`` (1),
    ``max_counter`` (2,000), as :class:`~ps_graph.envs.search.ResetWalk2D`, and ``episode_steps``
    (10,000).
    """

    world_class = ResetWalk2D


class TurnReset2D(_SearchEnv):
    """Unit steps that continue (0), turn (1) or reset (2), with a target disc.

    The observation is ``(turn counter, reset counter)`` in ``MultiDiscrete([m + 1, m + 1])``
    with ``m = max_counter`` (both saturate at ``m``; a reset counter of ``m`` forces a reset).
    Keywords: ``distance`` (6), ``radius`` (1), ``step_length`` (1), ``max_counter`` (100), as
    :class:`~ps_graph.envs.search.TurnResetWalk2D`, and ``episode_steps`` (10,000): the
    tutorial's Turn-Reset setting.
    """

    world_class = TurnResetWalk2D

    def _space(self) -> spaces.Space:
        return spaces.MultiDiscrete([self.world.max_counter + 1] * 2)

    @staticmethod
    def observations(world: Any) -> np.ndarray:
        """Every walker's ``(turn counter, reset counter)`` (shape (n, 2))."""
        return np.stack([world.turn_counter, world.reset_counter], axis=1).astype(np.int64)

    def _observation(self) -> Any:
        return self.observations(self.world)[0]


class Foraging(_SearchEnv):
    """The foraging world of Muñoz-Gil et al. (New J. Phys. 2024); actions 0 continue, 1 turn.

    The observation is the counter since the last turn (or kick), saturating at ``max_counter``.
    Keywords (the learning-to-forage tutorial's defaults): ``num_targets`` (100), ``radius`` (0.5),
    ``size`` (100, the periodic box's side), ``cutoff`` (1: the kick length, constant or drawn, see
    :func:`ps_graph.envs.search.check_cutoff`), ``destructive`` (False), ``max_counter`` (1,000), as
    :class:`~ps_graph.envs.search.ForagingWalk`, and ``episode_steps`` (200).
    """

    world_class = ForagingWalk
    default_episode_steps = 200
