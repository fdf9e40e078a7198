"""Small gymnasium environments for tests."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class RandomMDP(gym.Env):
    """A random finite MDP: fixed random transitions, reward 1 on a random subset of
    (state, action) pairs, terminal states, and a time limit. Deterministic given the
    layout seed and the reset seed."""

    metadata = {"render_modes": []}

    def __init__(
        self,
        num_states=50,
        num_actions=4,
        *,
        layout_seed=0,
        terminal_fraction=0.05,
        reward_fraction=0.1,
        max_episode_steps=100,
    ):
        layout = np.random.default_rng(layout_seed)
        self.observation_space = spaces.Discrete(num_states)
        self.action_space = spaces.Discrete(num_actions)
        self.next_state = layout.integers(num_states, size=(num_states, num_actions))
        self.rewarding = layout.random((num_states, num_actions)) < reward_fraction
        self.terminal = layout.random(num_states) < terminal_fraction
        self.terminal[0] = False
        self.max_episode_steps = max_episode_steps
        self.state = 0
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.state = int(self.np_random.integers(self.observation_space.n))
        while self.terminal[self.state]:
            self.state = int(self.np_random.integers(self.observation_space.n))
        self.t = 0
        return self.state, {}

    def step(self, action):
        s = self.state
        # a little noise so the env's own random stream matters
        if self.np_random.random() < 0.1:
            action = int(self.np_random.integers(self.action_space.n))
        self.state = int(self.next_state[s, action])
        self.t += 1
        reward = float(self.rewarding[s, action])
        terminated = bool(self.terminal[self.state])
        truncated = self.t >= self.max_episode_steps
        return self.state, reward, terminated, truncated, {}
