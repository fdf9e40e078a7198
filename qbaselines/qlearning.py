"""Tabular Q-learning (and SARSA) speaking the ps_graph agent protocol.

Q-learning: ``Q(s,a) <- Q(s,a) + lr [r + gamma max_a' Q(s',a') - Q(s,a)]``; SARSA uses the
next action actually taken instead of the max. No bootstrap after ``terminated``; after
``truncated`` (a time limit) the next state still has value and the target bootstraps.

Exploration:

* ``"epsilon_greedy"``: a random action with probability epsilon, where epsilon follows a
  per-episode schedule (``epsilon_schedule``: "constant", "linear" or "exponential",
  from ``epsilon_initial`` to ``epsilon_final`` over ``epsilon_decay_episodes``); greedy
  ties are broken at random.
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

import dataclasses
import math
import os
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from ps_graph._validate import check_choice, check_real, check_seed, make_config
from ps_graph.errors import ConfigError, RewardError
from ps_graph.percepts import action_list, percept_encoder

from .rules import td_target, td_update
from .schedules import SCHEDULES, make_schedule

__all__ = ["QLearningConfig", "QLearningAgent"]

EXPLORATIONS = ("epsilon_greedy", "noisy_argmax")


@dataclass(frozen=True)
class QLearningConfig:
    """Hyperparameters of tabular Q-learning / SARSA, validated on creation.

    Attributes
    ----------
    learning_rate : float in (0, 1], default 0.1
    gamma : float in [0, 1], default 0.99 -- discount factor
    exploration : "epsilon_greedy" | "noisy_argmax", default "epsilon_greedy"
    epsilon_initial, epsilon_final : floats in [0, 1], default 1.0 and 0.05
    epsilon_decay_episodes : float >= 0, default 100 -- length (linear) or time constant
        (exponential) of the schedule, in episodes
    epsilon_schedule : "constant" | "linear" | "exponential", default "linear"
    noise_scale : float >= 0, default 1 -- noisy argmax adds ``noise_scale * randn / (episode + 1)``
    q_init : float, default 0 -- initial value of every Q entry
    sarsa : bool, default False -- on-policy SARSA target instead of the max
    seed : int >= 0 or None
    """

    learning_rate: float = 0.1
    gamma: float = 0.99
    exploration: str = "epsilon_greedy"
    epsilon_initial: float = 1.0
    epsilon_final: float = 0.05
    epsilon_decay_episodes: float = 100.0
    epsilon_schedule: str = "linear"
    noise_scale: float = 1.0
    q_init: float = 0.0
    sarsa: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        fix = object.__setattr__
        fix(self, "learning_rate", check_real("learning_rate", self.learning_rate, 0.0, 1.0, low_open=True))
        fix(self, "gamma", check_real("gamma", self.gamma, 0.0, 1.0))
        check_choice("exploration", self.exploration, EXPLORATIONS)
        fix(self, "epsilon_initial", check_real("epsilon_initial", self.epsilon_initial, 0.0, 1.0))
        fix(self, "epsilon_final", check_real("epsilon_final", self.epsilon_final, 0.0, 1.0))
        fix(self, "epsilon_decay_episodes", check_real("epsilon_decay_episodes", self.epsilon_decay_episodes, 0.0))
        check_choice("epsilon_schedule", self.epsilon_schedule, SCHEDULES)
        fix(self, "noise_scale", check_real("noise_scale", self.noise_scale, 0.0))
        fix(self, "q_init", check_real("q_init", self.q_init))
        if not isinstance(self.sarsa, (bool, np.bool_)):
            raise ConfigError(f"sarsa must be True or False; got {self.sarsa!r}.")
        fix(self, "sarsa", bool(self.sarsa))
        fix(self, "seed", check_seed("seed", self.seed))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class QLearningAgent:
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
        self.config = make_config(QLearningConfig, config, hyperparameters, "Q-learning")
        self.actions = action_list(actions)
        self.observation_space = observation_space
        self.encode = percept_encoder(observation_space)
        self.rng = rng if rng is not None else np.random.default_rng(self.config.seed)
        c = self.config
        self._epsilon = make_schedule(c.epsilon_schedule, c.epsilon_initial, c.epsilon_final, c.epsilon_decay_episodes)
        self.q: dict[Hashable, np.ndarray] = {}
        self.episode = 0
        self._pending: tuple[Hashable, int] | None = None
        self._next: tuple[Hashable, int] | None = None  # SARSA: the action already chosen for s'

    @classmethod
    def for_env(cls, env, **hyperparameters: Any) -> QLearningAgent:
        """An agent for ``env``'s Discrete action space and its observation space."""
        return cls(env.action_space, env.observation_space, **hyperparameters)

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
        reward = float(reward)
        if not math.isfinite(reward):
            raise RewardError(f"reward must be a finite number; got {reward!r}. Check the environment or reward wrapper.")
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
        row[a] = td_update(row[a], td_target(reward, next_value, self.config.gamma, terminated), self.config.learning_rate)
        self._pending = None
        if terminated or truncated:
            self.episode += 1
            self._next = None

    def q_table(self, observations=None) -> np.ndarray:
        """Q-values as an array: rows in first-seen order, or for the given observations."""
        if observations is None:
            return np.array(list(self.q.values())) if self.q else np.empty((0, len(self.actions)))
        return np.array([self.q.get(self.encode(o), np.full(len(self.actions), self.config.q_init)) for o in observations])

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

        return save_agent(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> QLearningAgent:
        """The agent :meth:`save` wrote to ``path``: same actions, Q-values bit for bit.

        Reads JSON only (never pickle) and checks every field; a file that is not a saved
        QLearningAgent, comes from a newer version, is truncated or holds a bad value raises
        :class:`~ps_graph.errors.PSGraphError` naming the file and the problem. (A missing
        file raises the usual ``FileNotFoundError``.)
        """
        from ._saved import load_agent

        return load_agent(cls, path)

    def __repr__(self) -> str:
        return f"QLearningAgent({self.config}, states={len(self.q)})"
