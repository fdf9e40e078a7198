"""Seeds derived from one root seed, and one random stream per agent for batched agents.

Batched agents keep K independent numpy Generators, one per agent, so agent k of a batch
consumes exactly the uniforms a single agent with the same seed would: the values of
``rng.random(n)`` equal n successive ``rng.random()`` calls.

>>> streams = AgentStreams.from_seeds([3, 4])
>>> u = streams.uniform(np.array([True, False]))
>>> float(u[0]) == float(np.random.default_rng(3).random())
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .checks import check_int, check_seed
from .errors import ConfigError

__all__ = ["AgentStreams", "agent_seeds", "spawn_seeds"]

SEED_BITS = (32, 63)


def spawn_seeds(root: int | None, count: int, *, bits: int = 32) -> list[int]:
    """Integer seeds of children ``0 .. count-1`` of ``numpy.random.SeedSequence(root)``.

    The one seed derivation of the package. Child ``i``'s seed depends only on ``root`` and
    ``i`` (asking for more children later keeps the first ones) and is read from the child's
    first 64-bit state word: its low 32 bits (``bits=32``: run seeds of
    :func:`ps_graph.experiments.derive_seeds`, the agent seed of a run), or the word shifted
    right by one (``bits=63``: per-agent seeds of batched agents, :func:`agent_seeds`).
    ``root=None`` draws fresh entropy from the operating system (not reproducible).

    >>> spawn_seeds(5, 3)[:2] == spawn_seeds(5, 2)
    True
    >>> word = int(np.random.SeedSequence(5).spawn(1)[0].generate_state(1, np.uint64)[0])
    >>> spawn_seeds(5, 1) == [word & 0xFFFFFFFF] and spawn_seeds(5, 1, bits=63) == [word >> 1]
    True
    """
    root = check_seed("seed", root)
    count = check_int("count", count, 1)
    if bits not in SEED_BITS:
        raise ConfigError(f"bits must be 32 (run seeds) or 63 (per-agent seeds of batched agents); got {bits!r}.")
    words = [int(child.generate_state(1, np.uint64)[0]) for child in np.random.SeedSequence(root).spawn(count)]
    return [word & 0xFFFFFFFF if bits == 32 else word >> 1 for word in words]


def agent_seeds(num_agents: int, seed: int | Sequence[int | None] | None) -> Sequence[int | None]:
    """Per-agent integer seeds: a list as given (a None in it: fresh entropy for that agent),
    or derived from one root seed with :func:`spawn_seeds` (63-bit; reproducible, independent streams).

    >>> agent_seeds(2, [3, 4]), len(set(agent_seeds(3, 0)))
    ([3, 4], 3)
    """
    num_agents = check_int("num_agents", num_agents, 1)
    # isinstance first: np.isscalar does not tell type checkers that the other branch has a sequence
    if seed is None or isinstance(seed, int) or np.isscalar(seed):
        return spawn_seeds(check_seed("seed", seed), num_agents, bits=63)
    seeds = [check_seed("seeds[k]", s) for s in seed]
    if len(seeds) != num_agents:
        raise ConfigError(f"got {len(seeds)} seeds for {num_agents} agents; give one seed per agent or one root seed.")
    return seeds


class AgentStreams:
    """K Generators with a block of uniforms (and standard normals) drawn ahead for each."""

    def __init__(self, generators: Sequence[np.random.Generator], block: int = 256) -> None:
        self.generators = list(generators)
        self.block = check_int("block", block, 1)
        k = len(self.generators)
        self._u = np.empty((k, self.block))
        self._pos = np.full(k, self.block)  # empty: drawn on first use
        self._rows = np.arange(k)
        self._n: np.ndarray | None = None  # standard normals, allocated on first use
        self._npos = self._pos.copy()

    @classmethod
    def from_seeds(cls, seeds: Sequence[int | None], block: int = 256) -> AgentStreams:
        return cls([np.random.default_rng(s) for s in seeds], block)

    @property
    def uniforms(self) -> tuple[np.ndarray, np.ndarray]:
        """The drawn-ahead uniforms (K, W) and each agent's next position (K,), for compiled
        kernels: agent k's next uniform is ``u[k, pos[k]]``; a kernel that takes it advances
        ``pos[k]`` in place. Call :meth:`reserve` first so no agent runs past ``W``."""
        return self._u, self._pos

    def reserve(self, need: int, mask: np.ndarray | None = None) -> None:
        """Make sure every agent (in ``mask``) has at least ``need`` unused uniforms drawn ahead.

        An agent with fewer keeps its unused ones (moved to the front) and draws the rest of
        its buffer from its Generator, so the values it reads stay those of successive
        ``rng.random()`` calls. A ``need`` above the buffer's width widens the buffer.

        >>> streams = AgentStreams.from_seeds([3], block=4)
        >>> first = streams.uniform()
        >>> streams.reserve(6)
        >>> u, pos = streams.uniforms
        >>> bool((u[0, pos[0] : pos[0] + 6] == np.random.default_rng(3).random(7)[1:]).all())
        True
        """
        need = check_int("need", need, 0)
        width = self._u.shape[1]
        left = width - self._pos
        if need > width:  # a wider buffer: unused values move to the end (pos = need - left)
            u = np.empty((len(left), need))
            for i in np.flatnonzero(left):
                u[i, need - left[i] :] = self._u[i, self._pos[i] :]
            self._u, self._pos, width = u, need - left, need
        low = left < need if mask is None else (left < need) & np.asarray(mask, bool)
        agents = np.flatnonzero(low)
        for k, keep in zip(agents.tolist(), left[agents].tolist(), strict=True):
            row = self._u[k]
            if keep:
                row[:keep] = row[width - keep :]
            self.generators[k].random(out=row[keep:])  # as random(width - keep), without a copy
        self._pos[agents] = 0

    def uniform(self, mask: np.ndarray | None = None) -> np.ndarray:
        """One uniform per agent; only agents in ``mask`` advance their stream (others get 0)."""
        if (self._pos >= self._u.shape[1]).any():
            self.reserve(1, mask)
        if mask is None:  # every agent draws
            u = self._u[self._rows, self._pos]
            self._pos += 1
            return u
        take = np.asarray(mask, bool)
        u = np.where(take, self._u[self._rows, np.minimum(self._pos, self._u.shape[1] - 1)], 0.0)
        self._pos += take
        return u

    def normal(self, mask: np.ndarray, size: int) -> np.ndarray:
        """``size`` standard normals per agent in ``mask`` (zeros elsewhere), drawn ahead in
        blocks from each agent's Generator like the uniforms."""
        take = np.asarray(mask, bool)
        if self._n is None or self._n.shape[2] != size:
            self._n = np.empty((len(self._pos), self.block, size))
            self._npos = np.full(len(self._pos), self.block)
        for k in np.flatnonzero(take & (self._npos >= self.block)):
            self._n[k] = self.generators[k].standard_normal((self.block, size))
            self._npos[k] = 0
        out = np.where(take[:, None], self._n[self._rows, np.minimum(self._npos, self.block - 1)], 0.0)
        self._npos += take
        return out
