"""Tabular Q-learning (and SARSA) speaking the ps_graph agent protocol.

Q-learning: ``Q(s,a) <- Q(s,a) + lr [r + gamma max_a' Q(s',a') - Q(s,a)]``; SARSA uses the
next action actually taken instead of the max. No bootstrap after ``terminated``; after
``truncated`` (a time limit) the next state still has value and the target bootstraps.

Exploration:

* ``"epsilon_greedy"``: a random action with probability epsilon, where epsilon follows a
  per-episode schedule (``exploration_schedule``: "constant", "linear" or "exponential",
  from ``exploration_initial_eps`` to ``exploration_final_eps`` over
  ``exploration_decay_episodes``); greedy ties are broken at random.

The exploration names are Stable-Baselines3's, as :class:`~qbaselines.DQNConfig`'s (whose
schedule runs over env steps, Q-learning's over episodes). The names before that
(``epsilon_initial``, ...) are listed in :data:`RENAMED`; passing one raises a
:class:`~ps_graph.errors.ConfigError` naming its new name.
* ``"noisy_argmax"``: the course's ``argmax(Q[s] + randn / (episode + 1))``, scaled by
  ``noise_scale``.

Example
-------
>>> import gymnasium as gym, ps_graph
>>> from qbaselines import QLearningAgent
>>> env = gym.make("FrozenLake-v1", is_slippery=False)
>>> agent = QLearningAgent.for_env(env, learning_rate=0.8, gamma=0.9, exploration="noisy_argmax", seed=0)
>>> result = ps_graph.train(agent, env, episodes=400, seed=0)
>>> result.success_rate(last=50) > 0.9
True
>>> float(ps_graph.evaluate(agent, env, episodes=1).returns[0])   # greedy: reaches the goal
1.0
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from ps_graph.checks import check_reward
from ps_graph.fileformat import MAX_FILE_BYTES
from ps_graph.percepts import action_list, percept_encoder

from .base import DiscreteActionAgent
from .qconfig import RENAMED, QLearningConfig, q_config
from .rules import td_target, td_update

__all__ = ["RENAMED", "QLearningAgent", "QLearningConfig", "q_config"]  # the config's names, re-exported


class QLearningAgent(DiscreteActionAgent):
    """Tabular Q-learning / SARSA agent (rows created for each new observation).

    Parameters
    ----------
    actions : gymnasium.spaces.Discrete or int
    observation_space : gymnasium.spaces.Space
        Discrete, MultiDiscrete, MultiBinary or Tuple/Dict of those (see
        :func:`ps_graph.percepts.percept_encoder`).
    config : QLearningConfig, optional; or the hyperparameters as keywords
    rng : numpy.random.Generator, optional (default: seeded from ``config.seed``)
    """

    def __init__(
        self,
        actions: int | spaces.Discrete,
        observation_space: spaces.Space,
        *,
        config: QLearningConfig | None = None,
        rng: np.random.Generator | None = None,
        **hyperparameters: Any,
    ) -> None:
        self.config = q_config(config, hyperparameters)
        self.actions = action_list(actions)
        self.observation_space = observation_space
        self.encode = percept_encoder(observation_space)
        self.rng = rng if rng is not None else np.random.default_rng(self.config.seed)
        self._epsilon = self.config.epsilon_by_episode()
        self.q: dict[Hashable, np.ndarray] = {}
        self.episode = 0
        self._pending: tuple[Hashable, int] | None = None
        self._next: tuple[Hashable, int] | None = None  # SARSA: the action already chosen for s'

    @property
    def epsilon(self) -> float:
        """Current exploration rate of the epsilon-greedy schedule."""
        return float(self._epsilon(self.episode))

    def _row(self, key: Hashable) -> np.ndarray:
        row = self.q.get(key)
        if row is None:
            row = self.q[key] = np.full(len(self.actions), self.config.q_init)
        return row

    def _explore(self, row: np.ndarray) -> int:
        rng = self.rng
        if self.config.exploration == "noisy_argmax":
            noise = rng.standard_normal(len(row)) * (self.config.noise_scale / (self.episode + 1))
            return int(np.argmax(row + noise))
        if rng.random() < self._epsilon(self.episode):
            return int(rng.integers(len(row)))
        best = np.flatnonzero(row == row.max())
        return int(best[0]) if len(best) == 1 else int(best[rng.integers(len(best))])

    def act(self, observation: object, explore: bool = True) -> int:
        """Choose an action; ``explore=False`` is greedy (first of ties) and changes nothing."""
        key = self.encode(observation)
        if not explore:
            row = self.q.get(key)
            return self.actions[0 if row is None else int(np.argmax(row))]
        if self._next is not None and self._next[0] == key:
            a = self._next[1]
        else:
            a = self._explore(self._row(key))
        self._next = None
        self._pending = (key, a)
        return self.actions[a]

    def observe(self, reward: float, next_observation: object, terminated: bool, truncated: bool) -> None:
        """TD update of the last (state, action); no bootstrap after ``terminated``."""
        if self._pending is None:
            return
        reward = check_reward(reward)
        key, a = self._pending
        next_row = self._row(self.encode(next_observation))
        if terminated:
            next_value = 0.0
        elif self.config.sarsa:
            a_next = self._explore(next_row)
            next_value = next_row[a_next]
            if not truncated:
                self._next = (self.encode(next_observation), a_next)
        else:
            next_value = next_row.max()
        row = self._row(key)
        row[a] = td_update(
            row[a], td_target(reward, next_value, self.config.gamma, terminated), self.config.learning_rate
        )
        self._pending = None
        if terminated or truncated:
            self.episode += 1
            self._next = None

    def q_table(self, observations=None) -> np.ndarray:
        """Q-values as an array: rows in first-seen order, or for the given observations."""
        if observations is None:
            return np.array(list(self.q.values())) if self.q else np.empty((0, len(self.actions)))
        return np.array(
            [self.q.get(self.encode(o), np.full(len(self.actions), self.config.q_init)) for o in observations]
        )

    def save(self, path: str | os.PathLike) -> Path:
        """Write the agent to ``path`` as versioned JSON, atomically; returns the path.

        The file holds the config, the spaces, the Q-table, the episode counter, the step
        awaiting :meth:`observe` and the rng state, so :meth:`load` continues exactly (the
        layout is in ``qbaselines._saved``). Saving only reads the agent.

        >>> import pathlib, tempfile
        >>> agent = QLearningAgent(2, spaces.Discrete(3), seed=0)
        >>> agent.act(1); agent.observe(1.0, 2, False, False)
        1
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     twin = QLearningAgent.load(agent.save(pathlib.Path(folder) / "q.json"))
        >>> twin.q_table().tolist(), [twin.act(0) for _ in range(9)] == [agent.act(0) for _ in range(9)]
        ([[0.0, 0.1], [0.0, 0.0]], True)
        """
        from ._saved import save_agent

        return save_agent(self, path, QLearningAgent)

    @classmethod
    def load(cls, path: str | os.PathLike, *, max_bytes: int = MAX_FILE_BYTES) -> QLearningAgent:
        """The agent :meth:`save` wrote to ``path``: same actions, Q-values bit for bit.

        Reads JSON only (never pickle) and checks every field; a file that is not a saved
        QLearningAgent, comes from a newer version, is truncated or holds a bad value raises
        :class:`~ps_graph.errors.PSGraphError` naming the file and the problem. (A missing
        file raises the usual ``FileNotFoundError``.)
        """
        from ._saved import load_agent

        return load_agent(cls, path, max_bytes=max_bytes)

    def __repr__(self) -> str:
        return f"QLearningAgent({self.config}, states={len(self.q)})"
