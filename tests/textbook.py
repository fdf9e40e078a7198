"""The course's dense ``PS_agent`` (../shared/seeds), kept as the independent reference.

Written from the course, not from ps_graph.rules: the whole h- and g-matrix are updated
every step (O(S x A) per step). Changes from the course, all needed for a like-for-like
comparison: an explicit numpy Generator instead of the global one, one uniform draw per
decision sampled by inverse CDF (as ps_graph does), and the options the course mentions
in comments (softmax policy, accumulating glow).
"""

from __future__ import annotations

import numpy as np


class TextbookPS:
    def __init__(self, gamma, eta, num_states, num_actions, *, policy="standard", beta=1.0, glow="replace", rng=None):
        self.gamma = gamma
        self.eta = eta
        self.policy = policy
        self.beta = beta
        self.glow = glow
        self.rng = rng if rng is not None else np.random.default_rng()
        self.hmatrix = np.ones((num_states, num_actions))
        self.reset_gmatrix()

    def reset_gmatrix(self):
        self.gmatrix = np.zeros_like(self.hmatrix)

    def update_gmatrix(self):
        self.gmatrix *= 1 - self.eta
        return self.gmatrix

    def learn(self, reward):
        self.hmatrix = self.hmatrix - self.gamma * (self.hmatrix - 1) + self.gmatrix * reward

    def probabilities(self, state):
        h = self.hmatrix[state, :]
        if self.policy == "softmax":
            w = np.exp(self.beta * (h - h.max()))
            return w / np.sum(w)
        return h / np.sum(h)

    def deliberate(self, state):
        probs_a = self.probabilities(state)
        action = int(np.searchsorted(np.cumsum(probs_a), self.rng.random(), side="right"))
        action = min(action, len(probs_a) - 1)
        self.update_gmatrix()
        if self.glow == "accumulate":
            self.gmatrix[state, action] += 1
        else:
            self.gmatrix[state, action] = 1
        return action
