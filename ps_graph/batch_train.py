"""The batched train loop: K agents in lockstep on K environment copies (:func:`train_batch`).

A batched agent (:class:`~ps_graph.batch.BatchedTwoLayerPS`, ``qbaselines.BatchedQLearning``)
speaks the agent protocol on arrays (:mod:`ps_graph.lockstep`); :func:`train_batch` runs it
and returns a :class:`BatchResult` with each agent's per-episode returns and lengths.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .checks import check_int
from .training import TrainResult

__all__ = ["BatchResult", "train_batch"]


@dataclass(frozen=True)
class BatchResult:
    """Per-agent, per-episode statistics of :func:`train_batch`: arrays of shape (K, E)."""

    returns: np.ndarray
    lengths: np.ndarray
    terminated: np.ndarray
    wall_time: float = 0.0

    @property
    def steps(self) -> int:
        """Environment steps over all agents and episodes."""
        return int(self.lengths.sum())

    def runs(self) -> list[TrainResult]:
        """One :class:`~ps_graph.TrainResult` per agent (for plots and CSV)."""
        return [
            TrainResult(self.returns[k], self.lengths[k], self.terminated[k], self.wall_time)
            for k in range(len(self.returns))
        ]

    def success_rate(self, last: int | None = None) -> np.ndarray:
        """Per agent: the fraction of (the ``last``) episodes with a positive return."""
        r = self.returns if last is None else self.returns[:, -last:]
        return (r > 0).mean(axis=1)


def train_batch(
    agent,
    mdp,
    episodes: int,
    *,
    seed: int | None = None,
    max_steps: int | None = None,
    progress: bool = False,
) -> BatchResult:
    """Train a batched agent on K copies of ``mdp`` until every agent has run ``episodes``.

    Copies are stepped in lockstep by one :class:`~ps_graph.tabular.VectorMDP` seeded with
    ``seed``; the MDP's time limit truncates episodes, ``max_steps`` (if given) cuts them
    sooner, and both reach the agent as ``truncated``. Agents that finish early stop
    learning (``active`` is False for them) while the others go on.
    """
    from .tabular import VectorMDP

    episodes = check_int("episodes", episodes, 1)
    if max_steps is not None:
        max_steps = check_int("max_steps", max_steps, 1)
    k = agent.num_agents
    env = VectorMDP(mdp, k, seed=seed)
    returns = np.zeros((k, episodes))
    lengths = np.zeros((k, episodes), np.int64)
    terminals = np.zeros((k, episodes), bool)
    done_episodes = np.zeros(k, np.int64)
    ep_return = np.zeros(k)
    ep_length = np.zeros(k, np.int64)
    active = np.ones(k, bool)
    every = True  # all agents still within their budget
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=k * episodes, unit="ep", desc=f"{type(agent).__name__} x{k}")
    start = time.perf_counter()
    states = env.reset()
    try:
        while active.any():
            mask = None if every else active
            actions = agent.act(states, mask)
            next_states, rewards, terminated, truncated = env.step(actions)
            ep_length += active
            ep_return += rewards * active
            if max_steps is not None:
                truncated = truncated | ((ep_length >= max_steps) & ~terminated)
            agent.observe(rewards, next_states, terminated, truncated, mask)
            ended = terminated | truncated
            finished = np.flatnonzero(ended & active)
            if finished.size:
                slot = done_episodes[finished]
                returns[finished, slot] = ep_return[finished]
                lengths[finished, slot] = ep_length[finished]
                terminals[finished, slot] = terminated[finished]
                done_episodes[finished] += 1
                active = done_episodes < episodes
                every = bool(active.all())
                if bar is not None:
                    bar.update(finished.size)
            ep_return[ended] = 0.0
            ep_length[ended] = 0
            states = np.where(ended, env.reset(mask=ended), next_states) if ended.any() else next_states
    finally:
        if bar is not None:
            bar.close()
    return BatchResult(returns, lengths, terminals, time.perf_counter() - start)
