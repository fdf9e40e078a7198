"""qbaselines: Q-learning, SARSA (and, later, DQN) baselines for ps_graph's train loop.

Importing qbaselines does not import torch; the DQN loads it when used.
"""

from .batch import BatchedQLearning
from .dqn import DQNAgent, DQNConfig
from .qlearning import QLearningAgent, QLearningConfig
from .rules import td_target, td_update
from .schedules import exponential_schedule, linear_schedule

__all__ = [
    "QLearningAgent",
    "QLearningConfig",
    "BatchedQLearning",
    "DQNAgent",
    "DQNConfig",
    "td_target",
    "td_update",
    "linear_schedule",
    "exponential_schedule",
]
