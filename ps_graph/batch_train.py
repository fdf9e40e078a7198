"""The batched train loop: K agents in lockstep on K environment copies (:func:`train_batch`).

A batched agent (:class:`~ps_graph.batch.BatchedTwoLayerPS`, ``qbaselines.BatchedQLearning``)
speaks the agent protocol on arrays (:mod:`ps_graph.lockstep`); :func:`train_batch` runs it
and returns a :class:`BatchResult` with each agent's per-episode returns and lengths.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .training import TrainResult

__all__ = ["BatchResult", "EpisodeLog", "train_batch"]


@dataclass(frozen=True)
class BatchResult:
    """Per-agent, per-episode statistics of :func:`train_batch`: arrays of shape (K, E).

    With an ``episodes`` budget every agent has E episodes. With a ``total_steps`` budget agents
    finish different numbers of episodes: ``counts[k]`` of row k are agent k's, the rest of the
    row is padding (zeros), and :meth:`runs` / :meth:`success_rate` read only the recorded ones.
    """

    returns: np.ndarray
    lengths: np.ndarray
    terminated: np.ndarray
    wall_time: float = 0.0
    counts: np.ndarray | None = None

    @property
    def episode_counts(self) -> np.ndarray:
        """Episodes recorded per agent, shape (K,)."""
        if self.counts is None:
            return np.full(len(self.returns), self.returns.shape[1], np.int64)
        return self.counts

    @property
    def steps(self) -> int:
        """Environment steps over all agents and episodes."""
        return int(self.lengths.sum())

    def runs(self) -> list[TrainResult]:
        """One :class:`~ps_graph.TrainResult` per agent (for plots and CSV)."""
        n = self.episode_counts
        return [
            TrainResult(self.returns[k, : n[k]], self.lengths[k, : n[k]], self.terminated[k, : n[k]], self.wall_time)
            for k in range(len(self.returns))
        ]

    def success_rate(self, last: int | None = None) -> np.ndarray:
        """Per agent: the fraction of (the ``last``) episodes with a positive return."""
        if self.counts is None:
            r = self.returns if last is None else self.returns[:, -last:]
            return (r > 0).mean(axis=1)
        rows = [run.returns if last is None else run.returns[-last:] for run in self.runs()]
        return np.array([(r > 0).mean() if len(r) else 0.0 for r in rows])


class EpisodeLog:
    """Each agent's finished episodes during a batched run: return, length and whether it
    terminated, in (K, capacity) arrays that grow as needed (``counts[k]`` recorded for agent k).

    Compiled loops write into the arrays directly, after :meth:`ensure` made room.

    >>> log = EpisodeLog(2, capacity=1)
    >>> log.record(np.array([1]), np.array([2.0]), np.array([7]), np.array([True]))
    >>> log.record(np.array([1]), np.array([0.5]), np.array([3]), np.array([False]))
    >>> log.counts.tolist(), log.returns.tolist()
    ([0, 2], [[0.0, 0.0], [2.0, 0.5]])
    """

    def __init__(self, num_agents: int, capacity: int = 64) -> None:
        self.counts = np.zeros(num_agents, np.int64)
        self.returns = np.zeros((num_agents, capacity))
        self.lengths = np.zeros((num_agents, capacity), np.int64)
        self.terminated = np.zeros((num_agents, capacity), bool)

    @property
    def capacity(self) -> int:
        return self.returns.shape[1]

    def ensure(self, extra: int) -> None:
        """Room for ``extra`` more episodes in every row (capacity at least doubles when it grows)."""
        need = int(self.counts.max(initial=0)) + extra
        if need <= self.capacity:
            return
        cap = max(need, 2 * self.capacity)
        grow = cap - self.capacity
        self.returns = np.pad(self.returns, ((0, 0), (0, grow)))
        self.lengths = np.pad(self.lengths, ((0, 0), (0, grow)))
        self.terminated = np.pad(self.terminated, ((0, 0), (0, grow)))

    def record(self, agents: np.ndarray, returns: np.ndarray, lengths: np.ndarray, terminated: np.ndarray) -> None:
        """One finished episode for each of ``agents`` (distinct indices)."""
        self.ensure(1)
        slot = self.counts[agents]
        self.returns[agents, slot] = returns
        self.lengths[agents, slot] = lengths
        self.terminated[agents, slot] = terminated
        self.counts[agents] += 1

    def result(self, wall_time: float, episodes: int | None = None) -> BatchResult:
        """The :class:`BatchResult`: (K, episodes) arrays for an episode budget, else padded with counts."""
        width = episodes if episodes is not None else int(self.counts.max(initial=0))
        counts = None if episodes is not None else self.counts.copy()
        return BatchResult(
            np.ascontiguousarray(self.returns[:, :width]),
            np.ascontiguousarray(self.lengths[:, :width]),
            np.ascontiguousarray(self.terminated[:, :width]),
            wall_time=wall_time,
            counts=counts,
        )


def train_batch(
    agent,
    mdp,
    episodes: int | None = None,
    *,
    total_steps: int | None = None,
    seed: int | None = None,
    max_steps: int | None = None,
    progress: bool = False,
) -> BatchResult:
    """Train a batched agent on K copies of ``mdp`` for a budget per agent: ``episodes``, or
    ``total_steps`` environment steps (exactly one; a step budget that ends mid-episode
    truncates that episode, as :func:`~ps_graph.train` does).

    Copies are stepped in lockstep by one :class:`~ps_graph.tabular.VectorMDP` seeded with
    ``seed``; the MDP's time limit truncates episodes, ``max_steps`` (if given) cuts them
    sooner, and both reach the agent as ``truncated``. Agents that finish early stop
    learning (``active`` is False for them) while the others go on.

    >>> from ps_graph import BatchedTwoLayerPS, tabular
    >>> mdp = tabular.from_id("FrozenLake-v1", is_slippery=False)
    >>> result = train_batch(BatchedTwoLayerPS.for_mdp(mdp, 3, seed=0), mdp, total_steps=50, seed=0)
    >>> result.lengths.sum(axis=1).tolist(), len(result.runs()[0].returns) == int(result.counts[0])
    ([50, 50, 50], True)
    """
    from .tabular import VectorMDP
    from .training import check_budget

    episodes, total_steps, max_steps = check_budget(episodes, total_steps, max_steps)
    k = agent.num_agents
    env = VectorMDP(mdp, k, seed=seed)
    log = EpisodeLog(k, episodes if episodes is not None else 64)
    ep_return = np.zeros(k)
    ep_length = np.zeros(k, np.int64)
    used = np.zeros(k, np.int64)  # steps per agent, for a total_steps budget
    active = np.ones(k, bool)
    every = True  # all agents still within their budget
    bar = None
    if progress:
        from tqdm.auto import tqdm

        unit, total = ("ep", k * episodes) if episodes is not None else ("step", k * total_steps)
        bar = tqdm(total=total, unit=unit, desc=f"{type(agent).__name__} x{k}")
    start = time.perf_counter()
    states = env.reset()
    try:
        while active.any():
            mask = None if every else active
            actions = agent.act(states, mask)
            next_states, rewards, terminated, truncated = env.step(actions)
            stepped = k if every else int(np.count_nonzero(active))
            ep_length += active
            used += active
            ep_return += rewards * active
            if max_steps is not None:
                truncated = truncated | ((ep_length >= max_steps) & ~terminated)
            if total_steps is not None:
                truncated = truncated | ((used >= total_steps) & ~terminated & active)
            agent.observe(rewards, next_states, terminated, truncated, mask)
            ended = terminated | truncated
            finished = np.flatnonzero(ended & active)
            if finished.size:
                log.record(finished, ep_return[finished], ep_length[finished], terminated[finished])
                active = log.counts < episodes if episodes is not None else used < total_steps
                every = bool(active.all())
                if bar is not None and episodes is not None:
                    bar.update(finished.size)
            if bar is not None and total_steps is not None:
                bar.update(stepped)
            ep_return[ended] = 0.0
            ep_length[ended] = 0
            states = np.where(ended, env.reset(mask=ended), next_states) if ended.any() else next_states
    finally:
        if bar is not None:
            bar.close()
    return log.result(time.perf_counter() - start, episodes)
