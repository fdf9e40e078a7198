"""A preallocated numpy ring buffer of transitions, sampled with the agent's Generator.

>>> buf = ReplayBuffer(capacity=3, obs_dim=1)
>>> for t in range(5):
...     buf.add([t], 0, float(t), [t + 1], terminated=False)
>>> len(buf), sorted(buf.observations[:, 0].tolist())   # the two oldest were overwritten
(3, [2.0, 3.0, 4.0])
"""

from __future__ import annotations

import numpy as np

from ps_graph.checks import check_int

__all__ = ["MAX_CAPACITY", "ReplayBuffer"]

#: The largest replay buffer (``buffer_size``) in transitions; the memory it takes for a given
#: observation size is :meth:`ReplayBuffer.nbytes`, checked against DQN's memory budget.
MAX_CAPACITY = 10**8


class ReplayBuffer:
    """Fixed-capacity FIFO of (obs, action, reward, next_obs, terminated) as numpy arrays.

    ``terminated`` is stored as 0/1 float: 1 stops bootstrapping. A transition cut off by a
    time limit (``truncated``) is stored with 0, so its target still bootstraps.
    """

    def __init__(self, capacity: int, obs_dim: int) -> None:
        self.capacity = check_int("buffer_size", capacity, 1, MAX_CAPACITY)
        obs_dim = check_int("obs_dim", obs_dim, 1)
        self.observations = np.zeros((self.capacity, obs_dim), np.float32)
        self.next_observations = np.zeros((self.capacity, obs_dim), np.float32)
        self.actions = np.zeros(self.capacity, np.int64)
        self.rewards = np.zeros(self.capacity, np.float32)
        self.terminated = np.zeros(self.capacity, np.float32)
        self._next = 0
        self._size = 0

    @staticmethod
    def nbytes(capacity: int, obs_dim: int) -> int:
        """The bytes a buffer of ``capacity`` transitions of ``obs_dim`` floats preallocates:
        two float32 observations, an int64 action, a float32 reward and a float32 flag each.

        >>> ReplayBuffer.nbytes(1000, 4)
        48000
        """
        return capacity * (2 * 4 * obs_dim + 8 + 4 + 4)

    def __len__(self) -> int:
        return self._size

    def add(self, obs, action: int, reward: float, next_obs, terminated: bool) -> None:
        i = self._next
        self.observations[i] = obs
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_observations[i] = next_obs
        self.terminated[i] = float(terminated)
        self._next = (i + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator):
        """``batch_size`` transitions drawn uniformly with replacement, as numpy arrays."""
        idx = rng.integers(self._size, size=batch_size)
        return (
            self.observations[idx],
            self.actions[idx],
            self.rewards[idx],
            self.next_observations[idx],
            self.terminated[idx],
        )
