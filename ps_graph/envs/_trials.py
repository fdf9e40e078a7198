"""The shared machinery of the one-trial games (see :class:`OneStepGame`)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ..errors import ConfigError, EnvError

__all__ = ["EnvError", "OneStepGame", "hit_reward", "protocol_on"]  # EnvError lives in ps_graph.errors


def protocol_on(trial, at: int | None):
    """Whether a protocol change "at trial ``at``" holds at ``trial``: ``trial >= at`` (never if ``at`` is None).

    ``trial`` is an int or an array of them (one per copy of a vector env); so is the answer.

    >>> protocol_on(3, 2), protocol_on(1, 2), protocol_on(5, None)
    (True, False, False)
    >>> protocol_on(np.array([0, 2, 4]), 2)
    array([False,  True,  True])
    """
    if at is None:
        return np.zeros(np.shape(trial), bool) if np.ndim(trial) else False
    return trial >= at


def hit_reward(action, correct_action):
    """A one-step game's reward: 1.0 when the action is the trial's correct one, else 0.0 (ints or arrays).

    >>> hit_reward(1, 1), hit_reward(np.array([0, 1]), np.array([1, 1]))
    (1.0, array([0., 1.]))
    """
    return 1.0 * (action == correct_action)


def check_render_mode(env: gym.Env, render_mode) -> None:
    """Accept ``render_mode`` only if it is None or one of ``env.metadata["render_modes"]``."""
    modes = env.metadata["render_modes"]
    if render_mode is not None and render_mode not in modes:
        allowed = ", ".join(repr(m) for m in [None, *modes])
        raise ConfigError(f"render_mode must be one of {allowed} for {type(env).__name__}; got {render_mode!r}.")


class OneStepGame(gym.Env):
    """Base of the one-trial games: one trial is one one-step episode.

    A game presents a percept at ``reset``; the agent answers with one ``step``, which is
    rewarded 1 when the action is the trial's ``correct_action`` (0 otherwise) and always
    terminates, so ``ps_graph.train(agent, env, episodes=N)`` plays N trials. The step
    returns the trial's own percept as its (terminal) observation; a second step without a
    reset raises :class:`EnvError`.

    The trial counter: ``env.trial`` numbers the trials since the last *seeded* reset.
    ``reset(seed=s)`` restarts the protocol at trial 0 (and reseeds the env); every plain
    ``reset()`` moves on to the next trial (a trial shown but never played counts too).
    Protocol changes "at trial T" (the inversion, the new colour) hold for every trial with
    ``trial >= T``: the first T trials, 0 .. T-1, follow the original rules. Before any reset
    ``env.trial`` is -1, so a first plain reset also starts at 0.

    >>> from ps_graph.envs import InvasionGame
    >>> env = InvasionGame()
    >>> [env.reset(seed=1)[1]["trial"], env.reset()[1]["trial"], env.reset(seed=1)[1]["trial"]]
    [0, 1, 0]

    Subclasses set ``observation_space`` and implement ``_present(trial)``, which draws the
    trial's percept with ``self.np_random`` and returns ``(observation, info)``; ``info`` must
    hold ``"trial"`` and ``"correct_action"``.
    """

    metadata = {"render_modes": []}  # noqa: RUF012  (gymnasium declares it this way)

    def __init__(self, num_actions: int, observation_space: spaces.Space, render_mode: str | None = None):
        check_render_mode(self, render_mode)
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(num_actions)
        self.observation_space = observation_space
        self.trial = -1
        self._pending: tuple[Any, dict[str, Any]] | None = None

    def _present(self, trial: int) -> tuple[Any, dict[str, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.trial = 0 if seed is not None else self.trial + 1
        obs, info = self._present(self.trial)
        self._pending = (obs, info)
        return obs, dict(info)

    def step(self, action):
        if self._pending is None:
            raise EnvError(
                f"{type(self).__name__}.step() needs a trial to answer, but none is waiting: every trial "
                "is a one-step episode. Call reset() before each step."
            )
        if not self.action_space.contains(action):
            raise EnvError(
                f"action must be in {self.action_space}; got {action!r}. Pass an int in 0..{self.action_space.n - 1}."
            )
        obs, info = self._pending
        self._pending = None
        reward = hit_reward(int(action), info["correct_action"])
        return obs, reward, True, False, {**info, "action": int(action)}
