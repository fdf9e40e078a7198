"""Native vectorized versions of ps_graph's environments (gymnasium's ``vector_entry_point``).

``gym.make_vec(id, num_envs=K, vectorization_mode="vector_entry_point")`` returns K copies of
a ``ps_graph/...`` environment stepped as arrays: same semantics and protocols as the single
environment, gymnasium's autoreset (``NEXT_STEP`` by default). :class:`NativeVectorEnv` is the
base they share; the classes are in :mod:`.games` (one-step games), :mod:`.grids`,
:mod:`.mountain_car` and :mod:`.search`, loaded by ``gym.make_vec`` when first asked for.

>>> import gymnasium as gym
>>> import ps_graph
>>> envs = gym.make_vec("ps_graph/InvasionGame-v0", num_envs=3, vectorization_mode="vector_entry_point")
>>> envs.reset(seed=0)[0].shape
(3,)
"""

from __future__ import annotations

from ._base import NativeVectorEnv

__all__ = ["NativeVectorEnv"]
