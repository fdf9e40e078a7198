"""The temporal-difference math of the Q baselines, in one place.

Written with plain arithmetic so the same functions serve Python floats, numpy arrays
and torch tensors (pass ``terminated`` as 0/1 floats for tensors).

>>> td_target(1.0, next_value=2.0, gamma=0.5, terminated=False)   # 1 + 0.5 * 2
2.0
>>> td_target(1.0, next_value=2.0, gamma=0.5, terminated=True)    # no bootstrap
1.0
>>> td_update(0.0, target=2.0, learning_rate=0.8)
1.6
"""

from __future__ import annotations

__all__ = ["td_target", "td_update"]


def td_target(reward, next_value, gamma: float, terminated):
    """``y = r + gamma * (1 - terminated) * V(s')``.

    ``V(s')`` is ``max_a' Q(s', a')`` for Q-learning, ``Q(s', a')`` of the next action for
    SARSA, and ``Q_target(s', argmax_a' Q(s', a'))`` for double DQN. After ``truncated``
    the episode was cut off, not finished, so it still bootstraps.
    """
    return reward + gamma * (1.0 - terminated) * next_value


def td_update(q, target, learning_rate: float):
    """``Q(s, a) <- Q(s, a) + lr * (y - Q(s, a))``."""
    return q + learning_rate * (target - q)
