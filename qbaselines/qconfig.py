"""The hyperparameters of tabular Q-learning / SARSA: :class:`QLearningConfig`.

Its own module so that the agent (:mod:`qbaselines.qlearning`), the batched agents
(:mod:`qbaselines.batch`) and the file format (``qbaselines._saved``) all read it without
importing one another. The exploration names are Stable-Baselines3's, as
:class:`~qbaselines.DQNConfig`'s; :data:`RENAMED` maps the names used before.

>>> q_config(None, {"learning_rate": 0.5}).learning_rate
0.5
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from ps_graph.checks import check_choice, check_real, check_seed, make_config
from ps_graph.errors import ConfigError

from .schedules import SCHEDULES, Schedule, make_schedule

__all__ = ["EXPLORATIONS", "MAX_DECAY_EPISODES", "RENAMED", "QLearningConfig", "q_config"]

EXPLORATIONS = ("epsilon_greedy", "noisy_argmax")

#: The longest epsilon schedule, in episodes (1e9): a longer one never leaves its start in
#: any run this toolkit makes (a billion episodes), so it is a typo (an exponent too many).
MAX_DECAY_EPISODES = 1e9

#: Hyperparameters renamed to Stable-Baselines3's exploration names: old name -> new name.
#: Keywords with an old name are refused with the new one; Q-learning files saved with the
#: old names still load (``qbaselines._saved`` maps their config keys).
RENAMED = {
    "epsilon_initial": "exploration_initial_eps",
    "epsilon_final": "exploration_final_eps",
    "epsilon_decay_episodes": "exploration_decay_episodes",
    "epsilon_schedule": "exploration_schedule",
}


@dataclass(frozen=True)
class QLearningConfig:
    """Hyperparameters of tabular Q-learning / SARSA, validated on creation (each documented below).

    >>> QLearningConfig(exploration_final_eps=0.1).exploration_final_eps
    0.1
    """

    learning_rate: float = 0.1
    """Step size of the TD update, in (0, 1]."""
    gamma: float = 0.99
    """Discount factor, in [0, 1]."""
    exploration: str = "epsilon_greedy"
    """``"epsilon_greedy"`` (with the epsilon schedule below) or ``"noisy_argmax"``."""
    exploration_schedule: str = "linear"
    """The epsilon schedule: ``"constant"`` (stays at the initial epsilon), ``"linear"`` or ``"exponential"``."""
    exploration_initial_eps: float = 1.0
    """Epsilon at the first episode, in [0, 1]."""
    exploration_final_eps: float = 0.05
    """Epsilon at the end of the schedule, in [0, 1]."""
    exploration_decay_episodes: float = 100.0
    """Length (linear) or time constant (exponential) of the schedule, in episodes, in [0, 1e9]
    (:data:`MAX_DECAY_EPISODES`; the number of actions is bounded by :data:`ps_graph.percepts.MAX_ACTIONS`)."""
    noise_scale: float = 1.0
    """Noisy argmax adds ``noise_scale * randn / (episode + 1)`` to the Q-values; >= 0."""
    q_init: float = 0.0
    """Initial value of every Q entry."""
    sarsa: bool = False
    """On-policy SARSA target (the next action taken) instead of the max."""
    seed: int | None = None
    """Seed of the agent's Generator (an int >= 0), or None for fresh entropy."""

    def __post_init__(self) -> None:
        fix = object.__setattr__
        fix(self, "learning_rate", check_real("learning_rate", self.learning_rate, 0.0, 1.0, low_open=True))
        fix(self, "gamma", check_real("gamma", self.gamma, 0.0, 1.0))
        check_choice("exploration", self.exploration, EXPLORATIONS)
        for name in ("exploration_initial_eps", "exploration_final_eps"):
            fix(self, name, check_real(name, getattr(self, name), 0.0, 1.0))
        fix(
            self,
            "exploration_decay_episodes",
            check_real(
                "exploration_decay_episodes",
                self.exploration_decay_episodes,
                0.0,
                MAX_DECAY_EPISODES,
                hint="The schedule's length in episodes; the default is 100.",
            ),
        )
        check_choice("exploration_schedule", self.exploration_schedule, SCHEDULES)
        fix(self, "noise_scale", check_real("noise_scale", self.noise_scale, 0.0))
        fix(self, "q_init", check_real("q_init", self.q_init))
        if not isinstance(self.sarsa, (bool, np.bool_)):
            raise ConfigError(f"sarsa must be True or False; got {self.sarsa!r}.")
        fix(self, "sarsa", bool(self.sarsa))
        fix(self, "seed", check_seed("seed", self.seed))

    def to_dict(self) -> dict[str, Any]:
        """The hyperparameters by name (JSON-ready)."""
        return dataclasses.asdict(self)

    def epsilon_by_episode(self) -> Schedule:
        """Epsilon as a function of the episode counter (numbers or arrays)."""
        return make_schedule(
            self.exploration_schedule,
            self.exploration_initial_eps,
            self.exploration_final_eps,
            self.exploration_decay_episodes,
        )


def q_config(config: QLearningConfig | None, hyperparameters: dict[str, Any]) -> QLearningConfig:
    """``config``, or a :class:`QLearningConfig` of the keywords; an old name (:data:`RENAMED`)
    raises a :class:`~ps_graph.errors.ConfigError` that names the new one.

    >>> try:
    ...     q_config(None, {"epsilon_final": 0.1})
    ... except ConfigError as err:
    ...     print(str(err).rsplit(". ", 1)[-1])
    'epsilon_final' was renamed to 'exploration_final_eps'.
    """
    return make_config(QLearningConfig, config, hyperparameters, "Q-learning", renamed=RENAMED)
