"""qbaselines: Q-learning, SARSA and DQN baselines for ps_graph's train loop.

Importing qbaselines loads numpy, gymnasium and ps_graph's core only: the DQN
(:class:`DQNAgent`, :class:`DQNConfig`) loads on first use of its names (PEP 562), and
torch only when a DQNAgent is built. The agent kinds ``"q"`` and ``"dqn"`` that ps_graph's
runner and command line use are in :mod:`qbaselines.kinds`, found through entry points.

>>> import gymnasium as gym, qbaselines
>>> qbaselines.QLearningAgent.for_env(gym.make("FrozenLake-v1"), seed=0).act(0) in range(4)
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .batch import BatchedQLearning
from .qlearning import QLearningAgent, QLearningConfig
from .rules import td_target, td_update
from .schedules import exponential_schedule, linear_schedule

if TYPE_CHECKING:
    from .dqn import DQNAgent, DQNConfig

__all__ = [
    "BatchedQLearning",
    "DQNAgent",
    "DQNConfig",
    "QLearningAgent",
    "QLearningConfig",
    "exponential_schedule",
    "linear_schedule",
    "td_target",
    "td_update",
]

_LAZY = {"DQNAgent": "qbaselines.dqn", "DQNConfig": "qbaselines.dqn"}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'qbaselines' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
