"""Evenly binned Box observations, and the mountain car for tabular agents.

:class:`DiscretizeBox` is gymnasium's own ``DiscretizeObservation`` wrapper with checked
arguments, errors in this package's style, and ``MultiDiscrete`` output by default.
Dimension i of a Box with bounds ``[low_i, high_i]`` is cut into ``bins_i`` equal intervals;
a value x falls in bin ``floor((x - low_i) / width_i)`` with ``width_i = (high_i - low_i) /
bins_i``, clipped to ``0 .. bins_i - 1`` (so values at or beyond the bounds land in the edge
bins). The observation is the vector of bin indices, ``MultiDiscrete(bins)`` (a PS agent's
percept key is then the tuple of indices); with ``multidiscrete=False`` it is the single
index ``Discrete(prod(bins))`` that flattens them row-major (the last dimension varies
fastest), which array-based agents such as ``qbaselines.BatchedQLearning`` need.

``"ps_graph/MountainCarDiscrete-v0"`` is gymnasium's MountainCar (position in [-1.2, 0.6],
velocity in [-0.07, 0.07], actions push left / none / right, reward -1 per step, 200 steps
per episode) observed through ``DiscretizeBox(bins=10)``; pass ``bins=(n_pos, n_vel)`` or
``multidiscrete=False`` to ``gymnasium.make`` to change it.

>>> import gymnasium as gym, ps_graph.envs
>>> env = gym.make("ps_graph/MountainCarDiscrete-v0", bins=(18, 7))
>>> env.observation_space
MultiDiscrete([18  7])
>>> obs, _ = env.reset(seed=0)     # position -0.4726: bin 7 of width 0.1; velocity 0: bin 3 of width 0.02
>>> obs.tolist()
[7, 3]
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.wrappers import DiscretizeObservation

from ..checks import check_int
from ..errors import ConfigError, UnsupportedSpaceError

__all__ = ["DiscretizeBox", "discrete_mountain_car"]


def _check_bins(bins, dims: int) -> int | tuple[int, ...]:
    hint = f"Give one int >= 1 for every dimension, or a sequence of {dims} of them."
    if isinstance(bins, numbers.Integral) and not isinstance(bins, bool):
        return check_int("bins", bins, 1, hint=hint)
    if isinstance(bins, (Sequence, np.ndarray)) and not isinstance(bins, str):
        values = list(bins)
        if len(values) != dims:
            raise ConfigError(f"bins must give one count per observation dimension ({dims}); got {bins!r}. {hint}")
        return tuple(check_int(f"bins[{i}]", b, 1, hint=hint) for i, b in enumerate(values))
    raise ConfigError(f"bins must be an int >= 1 or a sequence of {dims} ints; got {bins!r}. {hint}")


class DiscretizeBox(DiscretizeObservation):
    """Bin every dimension of a bounded Box observation into evenly spaced intervals.

    Parameters
    ----------
    env : gymnasium.Env with a Box observation space with finite bounds
    bins : int or sequence of ints >= 1, default 10 -- bins per dimension
    multidiscrete : bool, default True -- ``MultiDiscrete(bins)`` observations; False gives
        one flat index in ``Discrete(prod(bins))``

    >>> import gymnasium as gym
    >>> env = DiscretizeBox(gym.make("MountainCar-v0"), bins=(18, 14), multidiscrete=False)
    >>> env.observation_space
    Discrete(252)
    >>> env.observation(np.array([-0.45, 0.015]))   # bins (7, 8): 7 * 14 + 8
    106
    """

    def __init__(self, env: gym.Env, bins: int | Sequence[int] = 10, multidiscrete: bool = True):
        space = env.observation_space
        if not isinstance(space, spaces.Box):
            raise UnsupportedSpaceError(
                f"DiscretizeBox bins a Box observation space; got {space}. "
                "Discrete, MultiDiscrete and Tuple observations need no binning."
            )
        low, high = np.ravel(space.low), np.ravel(space.high)
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise UnsupportedSpaceError(
                f"DiscretizeBox needs finite bounds to cut into bins; got low={low}, "
                f"high={high}. Clip the observations first (e.g. wrap the env in "
                "gymnasium.wrappers.TransformObservation with a finite Box)."
            )
        if not isinstance(multidiscrete, bool):
            raise ConfigError(f"multidiscrete must be True or False; got {multidiscrete!r}.")
        super().__init__(env, bins=_check_bins(bins, low.size), multidiscrete=multidiscrete)


def discrete_mountain_car(
    bins: int | Sequence[int] = 10,
    multidiscrete: bool = True,
    *,
    render_mode: str | None = None,
    goal_velocity: float = 0.0,
) -> DiscretizeBox:
    """MountainCar observed through :class:`DiscretizeBox` (the entry point of
    ``"ps_graph/MountainCarDiscrete-v0"``; ``gymnasium.make`` adds the 200-step limit).

    >>> discrete_mountain_car(bins=(6, 4), multidiscrete=False).observation_space
    Discrete(24)
    """
    from gymnasium.envs.classic_control.mountain_car import MountainCarEnv

    return DiscretizeBox(MountainCarEnv(render_mode=render_mode, goal_velocity=goal_velocity), bins, multidiscrete)
