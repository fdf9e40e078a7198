"""Native vectorized versions of ps_graph's environments (gymnasium's ``vector_entry_point``).

``gym.make_vec(id, num_envs=K, vectorization_mode="vector_entry_point")`` returns K copies of
a ``ps_graph/...`` environment stepped as arrays: same semantics and protocols as the single
environment, gymnasium's autoreset (``NEXT_STEP`` by default). :class:`NativeVectorEnv` is the
base they share.
"""

from __future__ import annotations

from ._base import NativeVectorEnv

__all__ = ["NativeVectorEnv"]
