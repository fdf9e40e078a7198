"""BatchedQLearning: K tabular Q-learning (or SARSA) agents in lockstep, vectorized.

Runs through :func:`ps_graph.batch.train_batch` like the batched PS agent. Each agent has
its own random stream and behaves statistically like a single
:class:`~qbaselines.QLearningAgent` with the same hyperparameters.

>>> from ps_graph.tabular import from_id
>>> from ps_graph.batch import train_batch
>>> mdp = from_id("FrozenLake-v1", is_slippery=False)
>>> agents = BatchedQLearning.for_mdp(mdp, 30, learning_rate=0.8, gamma=0.9, exploration="noisy_argmax", seed=0)
>>> result = train_batch(agents, mdp, episodes=500, seed=0, max_steps=99)
>>> float(result.success_rate(last=100).mean())
1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ps_graph.checks import check_rewards
from ps_graph.lockstep import LockstepAgents

from .qconfig import QLearningConfig, q_config
from .rules import td_target, td_update

__all__ = ["BatchedQLearning"]


class BatchedQLearning(LockstepAgents):
    """K independent tabular Q-learning / SARSA agents over S states and A actions.

    Parameters
    ----------
    num_states, num_actions, num_agents : int
    config : QLearningConfig, or the hyperparameters as keywords
    seed : int (root seed), sequence of K ints (one per agent), or None
    """

    config: QLearningConfig

    def _configure(self, config: QLearningConfig | None, hyperparameters: dict[str, Any]) -> QLearningConfig:
        return q_config(config, hyperparameters)

    def _allocate(self) -> None:
        c, k = self.config, self.num_agents
        self._epsilon = c.epsilon_by_episode()
        self.q = np.full((k, self.num_states, self.num_actions), c.q_init)
        self.episode = np.zeros(k, np.int64)
        self._next_actions = np.full(k, -1)  # SARSA: the action already chosen for the next state

    def _explore(self, rows: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Exploratory actions for the rows (K, A) of agents in ``mask``."""
        c, n = self.config, self.num_actions
        if c.exploration == "noisy_argmax":
            scale = c.noise_scale / (self.episode + 1.0)
            return np.argmax(rows + self.streams.normal(mask, n) * scale[:, None], axis=1)
        best = rows == rows.max(axis=1, keepdims=True)
        ties = best.sum(axis=1)
        randomly = self.streams.uniform(mask) < self._epsilon(self.episode)
        choice = np.where(randomly, self.streams.uniform(mask & randomly) * n, 0.0)
        pick_tie = mask & ~randomly & (ties > 1)
        rank = np.floor(self.streams.uniform(pick_tie) * ties).astype(np.int64)
        greedy = np.argmax(np.cumsum(best, axis=1) > rank[:, None], axis=1)
        return np.where(randomly, np.minimum(choice.astype(np.int64), n - 1), greedy)

    def act(self, states, active: np.ndarray | None = None, explore: bool = True) -> np.ndarray:
        """One action per agent; ``explore=False`` is greedy (first of ties) and changes nothing."""
        states = np.asarray(states, dtype=np.int64)
        rows = self.q[self._agents, states]
        if not explore:
            return np.argmax(rows, axis=1)
        active = self.active_mask(active)
        preset = self._next_actions >= 0
        actions = np.where(preset, self._next_actions, self._explore(rows, active & ~preset))
        self._next_actions[:] = -1
        self._pending_states[active] = states[active]
        self._pending_actions[active] = actions[active]
        return actions

    def observe(self, rewards, next_states, terminated, truncated, active: np.ndarray | None = None) -> None:
        """TD update of each active agent's last (state, action); no bootstrap after ``terminated``."""
        c = self.config
        r = check_rewards(rewards)
        active = self.active_mask(active)
        terminated = np.asarray(terminated, bool)
        ended = terminated | np.asarray(truncated, bool)
        next_rows = self.q[self._agents, np.asarray(next_states, dtype=np.int64)]
        if c.sarsa:
            chosen = self._explore(next_rows, active & ~terminated)
            next_value = next_rows[self._agents, chosen]
            self._next_actions = np.where(active & ~ended, chosen, -1)
        else:
            next_value = next_rows.max(axis=1)
        k, s, a = self._agents[active], self._pending_states[active], self._pending_actions[active]
        target = td_target(r[active], next_value[active], c.gamma, terminated[active].astype(np.float64))
        self.q[k, s, a] = td_update(self.q[k, s, a], target, c.learning_rate)
        self.episode += active & ended

    def policy(self) -> np.ndarray:
        """Each agent's greedy policy as one-hot probabilities, shape (K, S, A)."""
        return np.eye(self.num_actions)[np.argmax(self.q, axis=2)]

    def __repr__(self) -> str:
        sizes = f"agents={self.num_agents}, states={self.num_states}, actions={self.num_actions}"
        return f"BatchedQLearning({sizes}, {self.config})"
