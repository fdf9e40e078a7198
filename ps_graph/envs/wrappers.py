"""Gymnasium wrappers that reshape tasks for the course and literature experiments.

>>> import gymnasium as gym
>>> env = CliffWalkingBlogReward(gym.make("CliffWalking-v1"))
>>> _ = env.reset(seed=0)
>>> env.step(1)[1:3]   # "right" from the start steps off the cliff: episode over, reward 0
(0.0, True)
"""

from __future__ import annotations

import gymnasium as gym

from ..errors import ConfigError

__all__ = ["CliffWalkingBlogReward"]


class CliffWalkingBlogReward(gym.Wrapper):
    """The blog's reward processing for CliffWalking: stepping off the cliff ends the
    episode with reward 0, reaching the goal gives 1, every other step gives 0.

    Gymnasium's CliffWalking gives -1 per step and -100 for the cliff, sending the agent
    back to the start without ending the episode; this wrapper makes the task a sparse,
    terminating one, so the agent learns to reach the goal without falling.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        unwrapped = env.unwrapped
        spec, space = getattr(unwrapped, "spec", None), getattr(unwrapped, "observation_space", None)
        if (
            not hasattr(unwrapped, "shape")
            or spec is None
            or "CliffWalking" not in spec.id
            or not isinstance(space, gym.spaces.Discrete)
        ):
            raise ConfigError(f"CliffWalkingBlogReward wraps CliffWalking; got {spec.id if spec else env}.")
        self.goal = int(space.n) - 1

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        if reward == -100:  # fell off the cliff
            return obs, 0.0, True, truncated, {**info, "fell": True}
        return obs, 1.0 if int(obs) == self.goal else 0.0, terminated, truncated, info
