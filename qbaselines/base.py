"""What the single (not batched) Q agents share: being built for a gymnasium env.

>>> import gymnasium as gym
>>> from qbaselines import QLearningAgent
>>> QLearningAgent.for_env(gym.make("FrozenLake-v1"), seed=0).actions
[0, 1, 2, 3]
"""

from __future__ import annotations

from typing import Any

__all__ = ["DiscreteActionAgent"]


class DiscreteActionAgent:
    """Base of agents constructed as ``cls(actions, observation_space, **hyperparameters)``."""

    def __init__(self, actions: Any, observation_space: Any, **hyperparameters: Any) -> None:
        raise NotImplementedError  # pragma: no cover - subclasses define their own

    @classmethod
    def for_env(cls, env, **hyperparameters: Any):
        """An agent for ``env``'s Discrete action space and its observation space."""
        return cls(env.action_space, env.observation_space, **hyperparameters)
