"""K discretized mountain cars stepped as arrays: :class:`MountainCarDiscreteVector`.

The native vector env of ``"ps_graph/MountainCarDiscrete-v0"``: gymnasium's ``MountainCarEnv``
equations on float64 arrays (the same operations in the same order, so from the same state a
copy's next state is the single env's bit for bit), observed as float32 and binned by the
single env's own :class:`~ps_graph.envs.mountain_car.DiscretizeBox` edges. Reward -1 per step;
a copy terminates at ``position >= 0.5`` with ``velocity >= goal_velocity``; the registered
200-step limit truncates (``max_episode_steps``). ``reset(options={"low": ..., "high": ...})``
draws the start positions in other bounds, as gymnasium's env does; autoresets use the defaults.

>>> envs = MountainCarDiscreteVector(2, bins=(18, 7))
>>> envs.reset(seed=0)[0].tolist()                 # positions in bin 6 or 7 of width 0.1; velocity bin 3
[[7, 3], [6, 3]]
>>> envs.step(np.array([2, 0]))[1]
array([-1., -1.])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium.envs.classic_control import utils
from gymnasium.vector import AutoresetMode

from ..mountain_car import discrete_mountain_car
from ._base import NativeVectorEnv
from .grids import no_rendering, single_spaces

__all__ = ["MountainCarDiscreteVector"]

#: gymnasium's start positions are uniform in these bounds.
START_LOW, START_HIGH = -0.6, -0.4


class MountainCarDiscreteVector(NativeVectorEnv):
    """``num_envs`` copies of ``discrete_mountain_car(bins, multidiscrete, goal_velocity=...)``.

    Parameters
    ----------
    num_envs : int >= 1
    bins, multidiscrete, goal_velocity
        As :func:`~ps_graph.envs.mountain_car.discrete_mountain_car`.
    max_episode_steps : int or None
        Truncate each copy's episode here (``gym.make_vec`` passes the registered 200).
    autoreset_mode : gymnasium AutoresetMode, default NEXT_STEP

    Attributes: ``position`` and ``velocity`` (K,) float64, every copy's continuous state.
    """

    def __init__(
        self,
        num_envs: int,
        bins: int | Sequence[int] = 10,
        multidiscrete: bool = True,
        *,
        render_mode: str | None = None,
        goal_velocity: float = 0.0,
        max_episode_steps: int | None = None,
        autoreset_mode: Any = AutoresetMode.NEXT_STEP,
    ) -> None:
        no_rendering(render_mode, "ps_graph.envs.discrete_mountain_car")
        self._binning = discrete_mountain_car(bins, multidiscrete, goal_velocity=goal_velocity)  # checks them
        self._car: Any = self._binning.unwrapped  # gymnasium's MountainCarEnv: its constants
        super().__init__(
            num_envs,
            *single_spaces(self._binning),
            max_episode_steps=max_episode_steps,
            autoreset_mode=autoreset_mode,
        )
        self.position = np.zeros(self.num_envs)
        self.velocity = np.zeros(self.num_envs)
        self._bounds = (START_LOW, START_HIGH)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Reset as :class:`NativeVectorEnv` does; ``options`` may also give ``"low"`` and ``"high"``,
        the bounds of this reset's start positions (gymnasium's ``MountainCarEnv`` option)."""
        self._bounds = utils.maybe_parse_reset_bounds(options, START_LOW, START_HIGH)
        try:
            return super().reset(seed=seed, options=options)
        finally:
            self._bounds = (START_LOW, START_HIGH)

    def _reset_copies(self, mask: np.ndarray) -> None:
        self.position[mask] = self.np_random.uniform(*self._bounds, size=int(mask.sum()))
        self.velocity[mask] = 0.0

    def _step_copies(self, actions: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        car = self._car
        p, v = self.position, self.velocity
        v = v + ((actions - 1) * car.force + np.cos(3 * p) * (-car.gravity))  # gymnasium's equations
        v = np.clip(v, -car.max_speed, car.max_speed)
        p = np.clip(p + v, car.min_position, car.max_position)
        v = np.where((p == car.min_position) & (v < 0), 0.0, v)
        self.position = np.where(mask, p, self.position)
        self.velocity = np.where(mask, v, self.velocity)
        terminated = (p >= car.goal_position) & (v >= car.goal_velocity)
        return np.full(self.num_envs, -1.0), terminated

    def _observations(self) -> np.ndarray:
        """The float32 observations binned as ``DiscretizeObservation.observation`` bins one."""
        wrapper = self._binning
        observations = np.stack([self.position, self.velocity], axis=1).astype(np.float32)
        clipped = np.clip(observations, wrapper.low, wrapper.high - 1e-8)
        indices = [np.digitize(clipped[:, i], edges) for i, edges in enumerate(wrapper.bin_edges)]
        if wrapper.multidiscrete:
            return np.stack(indices, axis=1).astype(np.int64)
        flat = np.zeros(self.num_envs, np.int64)
        for size, index in zip(wrapper.bins, indices, strict=True):
            flat = flat * size + index
        return flat
