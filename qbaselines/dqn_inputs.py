"""Observations as DQN's network inputs: flat float32 vectors, checked to be in the observation space.

>>> size, encode = observation_encoder(spaces.Box(-1, 1, (2,)))
>>> size, encode([0.5, -0.5]).tolist()
(2, [0.5, -0.5])
"""

from __future__ import annotations

import math
import operator

import numpy as np
from gymnasium import spaces

from ps_graph.checks import show
from ps_graph.errors import EnvError, UnsupportedSpaceError

__all__ = ["describe_space", "observation_encoder"]


def describe_space(space) -> str:
    """A short description of an observation space for messages (a Box by its shape and dtype)."""
    if isinstance(space, spaces.Box):
        return f"Box(shape={space.shape}, {space.dtype})"
    text = str(space)
    return text if len(text) <= 80 else text[:77] + "..."


def _outside(space, obs, expected: str) -> EnvError:
    return EnvError(
        f"DQN got the observation {show(obs)}, which is not in its observation space {describe_space(space)}: "
        f"expected {expected}. Check that the env returns observations of its observation_space, or build the "
        "agent for this env."
    )


def _discrete_encoder(space: spaces.Discrete):
    n, start = int(space.n), int(space.start)
    expected = f"an integer in {start} .. {start + n - 1}"

    def encode(obs) -> np.ndarray:  # the blog's one-hot ``state_to_dqn_input``
        try:
            i = operator.index(obs) - start
        except TypeError:
            i = -1
        if not 0 <= i < n:
            raise _outside(space, obs, expected)
        x = np.zeros(n, np.float32)
        x[i] = 1.0
        return x

    return n, encode


def _box_encoder(space: spaces.Box):
    shape, size = space.shape, math.prod(space.shape)
    expected = f"an array of shape {shape} of finite numbers (within float32's range)"

    def encode(obs) -> np.ndarray:
        if type(obs) is np.ndarray and obs.dtype == np.float32 and obs.shape == shape:  # the usual case, fast
            x = obs.reshape(size)
        else:
            x = _cast(obs)
        if not np.isfinite(x).all():
            raise _outside(space, obs, expected)
        return x

    def _cast(obs) -> np.ndarray:
        try:
            x = np.asarray(obs)
        except (TypeError, ValueError):
            raise _outside(space, obs, expected) from None
        if x.shape != shape or x.dtype.kind not in "biuf":
            raise _outside(space, obs, expected)
        with np.errstate(over="ignore"):  # beyond float32's range becomes inf, refused as such
            return x.astype(np.float32).reshape(size)

    return size, encode


def _flat_encoder(space: spaces.Space):
    def encode(obs) -> np.ndarray:
        try:
            inside = bool(space.contains(obs))
        except (TypeError, ValueError, AttributeError):
            inside = False
        if not inside:
            raise _outside(space, obs, "a value of that space")
        return np.asarray(spaces.flatten(space, obs), dtype=np.float32)

    return int(spaces.flatdim(space)), encode


def observation_encoder(space: spaces.Space):
    """(size, encode): observations as flat float32 vectors. Box is cast, Discrete is
    one-hot (the blog's ``state_to_dqn_input``), MultiDiscrete / Tuple / Dict are flattened
    with gymnasium's space utilities (one-hot for their discrete parts).

    ``encode`` raises :class:`~ps_graph.errors.EnvError` for an observation outside ``space``:
    a Discrete one must be an integer in range, a Box one an array of the space's shape of
    finite numbers (its bounds are not checked: many envs' are loose), any other one must be
    in the space (``space.contains``).

    >>> size, encode = observation_encoder(spaces.Discrete(4))
    >>> encode(2).tolist()
    [0.0, 0.0, 1.0, 0.0]
    >>> encode(-1)
    Traceback (most recent call last):
    ...
    ps_graph.errors.EnvError: DQN got the observation -1, which is not in its observation space Discrete(4): ...
    """
    if isinstance(space, spaces.Box):
        return _box_encoder(space)
    if isinstance(space, spaces.Discrete):
        return _discrete_encoder(space)
    if isinstance(space, (spaces.MultiDiscrete, spaces.MultiBinary, spaces.Tuple, spaces.Dict)):
        return _flat_encoder(space)
    raise UnsupportedSpaceError(
        f"observation space {describe_space(space)} ({type(space).__name__}) is not supported by DQN; expected Box, "
        "Discrete, MultiDiscrete, MultiBinary, or a Tuple/Dict of those."
    )
