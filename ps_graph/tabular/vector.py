"""N copies of a :class:`~ps_graph.tabular.TabularMDP` stepped in lockstep: :class:`VectorMDP`."""

from __future__ import annotations

import numpy as np

from ..checks import check_int, check_seed
from .mdp import TabularMDP, _fail

__all__ = ["VectorMDP"]


def _uniform_cdf(probs: np.ndarray) -> np.ndarray:
    """Cumulative probabilities along the last axis, with the total set to exactly 1.

    Every entry from the last non-zero outcome on is exactly 1.0, so a uniform u in [0, 1)
    never picks a padded outcome: the outcome is ``#{k : cdf_k <= u}``.
    """
    cdf = np.cumsum(probs, axis=-1)
    return np.minimum(cdf / cdf[..., -1:], 1.0)


class VectorMDP:
    """N copies of a :class:`TabularMDP` stepped in lockstep, with one numpy Generator.

    Copies do **not** reset themselves: after ``step`` reports ``terminated | truncated`` for a
    copy, call ``reset(mask)`` for those copies (a copy stepped on keeps walking the table).
    ``truncated`` is True when a copy's step count within its episode reaches
    ``max_episode_steps`` and that step did not terminate (gymnasium's ``TimeLimit`` would set it
    on a terminating last step too).

    Attributes: ``mdp``, ``num_envs``, ``rng``, ``states`` (N,) and ``steps`` (N,) per-copy
    step counts within the current episode.

    >>> from ps_graph.tabular import from_id
    >>> vec = VectorMDP(from_id("FrozenLake-v1", is_slippery=False), 3, seed=0)
    >>> vec.reset()
    array([0, 0, 0])
    >>> vec.step([1, 2, 0])                      # down, right, left (into the wall)
    (array([4, 1, 0]), array([0., 0., 0.]), array([False, False, False]), array([False, False, False]))
    >>> vec.steps
    array([1, 1, 1])
    """

    def __init__(
        self, mdp: TabularMDP, num_envs: int, *, seed: int | None = None, rng: np.random.Generator | None = None
    ):
        if not isinstance(mdp, TabularMDP):
            raise _fail("mdp must be a TabularMDP", type(mdp).__name__, "Build one with from_env or from_id.")
        self.num_envs = check_int("num_envs", num_envs, 1)
        if rng is not None and seed is not None:
            raise _fail("pass a seed or a Generator, not both", f"seed={seed!r} and rng", "Drop one of them.")
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise _fail("rng must be a numpy Generator", type(rng).__name__, "Use np.random.default_rng(seed).")
        self.rng = rng if rng is not None else np.random.default_rng(check_seed("seed", seed))
        self.mdp = mdp
        self._cdf = _uniform_cdf(mdp.probs)
        self._initial_cdf = _uniform_cdf(mdp.initial)
        self.states: np.ndarray | None = None
        self.steps = np.zeros(self.num_envs, dtype=np.int64)

    def _vector(self, name: str, values, dtype_kind: str, high: int | None = None) -> np.ndarray:
        arr = np.asarray(values)
        if arr.shape != (self.num_envs,) or arr.dtype.kind not in dtype_kind:
            raise _fail(
                f"{name} must be an array of shape ({self.num_envs},) with dtype kind {dtype_kind!r}",
                f"shape {arr.shape}, dtype {arr.dtype}",
                "Pass one value per copy.",
            )
        if high is not None and arr.size and (arr.min() < 0 or arr.max() >= high):
            raise _fail(
                f"{name} must lie in [0, {high})",
                f"range [{arr.min()}, {arr.max()}]",
                f"Use {name} of this MDP ({self.mdp.name}).",
            )
        return arr.astype(np.int64) if high is not None else arr

    def reset(self, mask=None, *, states=None) -> np.ndarray:
        """Start new episodes in all copies, or only where ``mask`` is True; returns all states.

        Start states are drawn from ``mdp.initial`` (one uniform per reset copy), unless
        ``states`` (N,) gives them (e.g. exploring starts); then only ``states[mask]`` is used.
        """
        if mask is None:
            mask = np.ones(self.num_envs, dtype=bool)
        mask = self._vector("mask", mask, "b")
        if self.states is None and not mask.all():
            raise _fail(
                "the first reset must reset every copy",
                f"mask with {int((~mask).sum())} False",
                "Call reset() without a mask first.",
            )
        if states is None:
            u = self.rng.random(int(mask.sum()))
            start = np.searchsorted(self._initial_cdf, u, side="right")
        else:
            start = self._vector("states", states, "iu", self.mdp.num_states)[mask]
        if self.states is None:
            self.states = np.zeros(self.num_envs, dtype=np.int64)
        self.states[mask] = start
        self.steps[mask] = 0
        return self.states.copy()

    def step(self, actions):
        """One step of every copy: ``(next_states, rewards, terminated, truncated)``, each (N,).

        The outcome of copy i is the first k with ``cdf[s_i, a_i, k] > u_i`` for one uniform u_i.
        """
        if self.states is None:
            raise _fail("step needs current states", "no reset yet", "Call reset() first.")
        a = self._vector("actions", actions, "iu", self.mdp.num_actions)
        s = self.states
        u = self.rng.random(self.num_envs)
        k = (self._cdf[s, a] <= u[:, None]).sum(axis=1)
        next_states = self.mdp.next_states[s, a, k]
        rewards = self.mdp.rewards[s, a, k]
        terminated = self.mdp.terminated[s, a, k]
        self.steps += 1
        limit = self.mdp.max_episode_steps
        truncated = ~terminated & (self.steps >= limit) if limit is not None else np.zeros_like(terminated)
        self.states = next_states.copy()
        return next_states, rewards, terminated, truncated
