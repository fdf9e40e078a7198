"""Three one-step games from the multi-excitation PS (MEPS) and ``projective_simulation`` sources.

Each trial is one one-step episode (see :class:`~ps_graph.envs.OneStepGame`): the game shows
a percept at ``reset``, the agent answers with one ``step``. ``info`` holds ``trial`` and
``correct_action`` (and each game's own entries below); the step's info adds the ``action``.

:class:`InvasionWithDistraction`
    Three observables, each uniform on 0..9, ``MultiDiscrete([10, 10, 10])``; two doors. The
    right door is ``(obs0 + obs1) % 2``, obs2 is a distraction. Reward +1 for the right door,
    ``penalty`` (-10) otherwise: chance level ``(1 - 10) / 2 = -4.5`` (Krumm et al., MEPS,
    ``InvasionGameWithDistraction/Invasion_MEPSfinal.ipynb`` in MariusKrumm/ManyBodyMEPS).
:class:`DeceptiveInvasion`
    obs0 is the door shown (0..9), obs1 a "truth number" in 10..13, obs2 a distraction in 0..9:
    ``MultiDiscrete([10, 4, 10], start=[0, 10, 0])``; ten doors. The attacker lies exactly when
    ``obs0 + obs1`` is odd, and then goes to door ``(obs0 + 1) % 10``; otherwise to obs0.
    Reward +2 for the right door; -11 for a wrong door when the attacker told the truth and for
    the shown door when it lied (falling for the lie); -10 for any other wrong door. Chance
    level ``(-9.7 - 8.9) / 2 = -9.3`` (``DeceptiveInvasionGame/Deceptive_Invasion_MEPS_PL.ipynb``).
:class:`RedLightGreenLight`
    A symbol, red (0) or green (1), ``Discrete(2)``, follows a 2 x 2 Markov chain
    (``transitions[s][t]`` is the chance of ``s -> t``); it starts red at trial 0 and moves one
    step at every later trial, whatever the agent did. Two actions; reward 1 when the action
    equals the symbol, else 0 (the RLGL env of qic-ibk/projective_simulation, ``envs/core.py``).

>>> import gymnasium as gym, ps_graph.envs
>>> env = gym.make("ps_graph/DeceptiveInvasion-v0")
>>> obs, info = env.reset(seed=0)
>>> shown, truth, _ = obs.tolist()
>>> info["lie"] == bool((shown + truth) % 2), info["correct_action"] == (shown + info["lie"]) % 10
(True, True)
>>> env.step(info["correct_action"])[1]
2.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ..checks import check_real
from ..errors import ConfigError
from ._trials import OneStepGame

__all__ = [
    "DeceptiveInvasion",
    "InvasionWithDistraction",
    "RedLightGreenLight",
    "deceptive_door",
    "deceptive_payoff",
    "distraction_door",
    "distraction_payoff",
    "next_light",
]

# The games' rules, on one trial or on arrays of trials (one per copy of a vector env).


def distraction_door(obs):
    """InvasionWithDistraction's right door: ``(obs0 + obs1) % 2`` of observations ``obs[..., :3]``.

    >>> distraction_door(np.array([3, 4, 9])), distraction_door(np.array([[9, 9, 0], [0, 1, 5]]))
    (np.int64(1), array([0, 1]))
    """
    return (obs[..., 0] + obs[..., 1]) % 2


def distraction_payoff(action, door, penalty: float):
    """InvasionWithDistraction's reward: +1 for the right ``door``, ``penalty`` otherwise.

    >>> distraction_payoff(np.array([0, 1]), np.array([0, 0]), -10.0)
    array([  1., -10.])
    """
    return np.where(action == door, 1.0, penalty)


def deceptive_door(obs):
    """DeceptiveInvasion's ``(shown, lie, door)`` for observations ``obs[..., :3]``.

    The attacker shows door obs0 and lies when obs0 + obs1 is odd, going to ``(obs0 + 1) % 10``.

    >>> shown, lie, door = deceptive_door(np.array([[4, 11, 0], [9, 10, 3], [9, 11, 3]]))
    >>> shown.tolist(), lie.tolist(), door.tolist()
    ([4, 9, 9], [True, True, False], [5, 0, 9])
    """
    shown = obs[..., 0]
    lie = (shown + obs[..., 1]) % 2 == 1
    return shown, lie, (shown + lie) % 10


def deceptive_payoff(action, door, shown, lie):
    """DeceptiveInvasion's reward: +2 right door; -10 a wrong door other than the shown one after
    a lie; -11 otherwise (fooled by the lie, or disbelieved the truth).

    >>> deceptive_payoff(np.array([5, 4, 7, 3]), 5, 4, np.array([True, True, True, False]))
    array([  2., -11., -10., -11.])
    """
    return np.where(action == door, 2.0, np.where(lie & (action != shown), -10.0, -11.0))


def next_light(symbol, uniform, transitions):
    """RedLightGreenLight's light after ``symbol``: green (1) when ``uniform < transitions[symbol][1]``.

    >>> next_light(0, 0.3, [[0.9, 0.1], [0.2, 0.8]]), next_light(np.array([0, 1]), 0.3, [[0.9, 0.1], [0.2, 0.8]])
    (np.int64(0), array([0, 1]))
    """
    return (uniform < np.asarray(transitions)[symbol, 1]) * 1


class _PayoffGame(OneStepGame):
    """A one-step game with array observations whose reward is ``_payoff(action, info)``, not 1 / 0.

    ``reset`` and ``step`` hand out copies of the trial's observation array, so a caller that
    changes one changes neither the other nor the trial.
    """

    def _payoff(self, action: int, info: dict[str, Any]) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = super().reset(seed=seed, options=options)
        return obs.copy(), info

    def step(self, action):
        obs, _, terminated, truncated, info = super().step(action)
        return obs.copy(), self._payoff(info["action"], info), terminated, truncated, info


class InvasionWithDistraction(_PayoffGame):
    """Two doors; the right one is the parity of the first two observables, the third distracts.

    Parameters
    ----------
    penalty : float < 1, default -10.0
        Reward for the wrong door (the right door gives +1).
    render_mode : None (the only mode)

    >>> env = InvasionWithDistraction()
    >>> obs, info = env.reset(seed=4)
    >>> info["correct_action"] == int(obs[0] + obs[1]) % 2
    True
    >>> env.step(1 - info["correct_action"])[1]
    -10.0
    """

    def __init__(self, penalty: float = -10.0, *, render_mode: str | None = None):
        self.penalty = check_real(
            "penalty", penalty, high=1.0, high_open=True, hint="The wrong door must pay less than the right one (+1)."
        )
        super().__init__(2, spaces.MultiDiscrete([10, 10, 10]), render_mode)

    def _present(self, trial: int):
        obs = self.np_random.integers(10, size=3)
        return obs, {"trial": trial, "correct_action": int(distraction_door(obs))}

    def _payoff(self, action: int, info: dict[str, Any]) -> float:
        return float(distraction_payoff(action, info["correct_action"], self.penalty))


class DeceptiveInvasion(_PayoffGame):
    """Ten doors; the attacker shows door obs0 and lies (goes one door on) when obs0 + obs1 is odd.

    The observation is ``[door shown 0..9, truth number 10..13, distraction 0..9]`` in
    ``MultiDiscrete([10, 4, 10], start=[0, 10, 0])``. ``info`` adds ``shown`` (obs0) and
    ``lie``. Rewards: +2 right door; -11 the shown door after a lie, or any wrong door after
    the truth; -10 any other wrong door.

    >>> env = DeceptiveInvasion()
    >>> env.observation_space
    MultiDiscrete([10  4 10], start=[ 0 10  0])
    """

    def __init__(self, *, render_mode: str | None = None):
        space = spaces.MultiDiscrete([10, 4, 10], start=[0, 10, 0])
        super().__init__(10, space, render_mode)

    def _present(self, trial: int):
        obs = self.np_random.integers(0, 10, size=3)
        obs[1] = 10 + self.np_random.integers(4)
        shown, lie, door = deceptive_door(obs)
        return obs, {"trial": trial, "correct_action": int(door), "shown": int(shown), "lie": bool(lie)}

    def _payoff(self, action: int, info: dict[str, Any]) -> float:
        return float(deceptive_payoff(action, info["correct_action"], info["shown"], info["lie"]))


def _check_transitions(transitions) -> tuple[tuple[float, float], tuple[float, float]]:
    hint = "Give a 2 x 2 row-stochastic matrix, e.g. [[0.9, 0.1], [0.2, 0.8]] (row: from red, from green)."
    try:
        rows = [list(row) for row in transitions]
    except TypeError:
        raise ConfigError(f"transitions must be a 2 x 2 matrix; got {transitions!r}. {hint}") from None
    if len(rows) != 2 or any(len(row) != 2 for row in rows):
        raise ConfigError(f"transitions must be a 2 x 2 matrix; got {transitions!r}. {hint}")
    checked = [
        [check_real(f"transitions[{i}][{j}]", p, 0.0, 1.0, hint=hint) for j, p in enumerate(row)]
        for i, row in enumerate(rows)
    ]
    for i, (a, b) in enumerate(checked):
        if abs(a + b - 1.0) > 1e-9:
            raise ConfigError(f"transitions[{i}] must sum to 1; got {a!r} + {b!r} = {a + b!r}. {hint}")
    (a, b), (c, d) = checked
    return (a, b), (c, d)


class RedLightGreenLight(OneStepGame):
    """Name the light: a red (0) / green (1) symbol on a Markov chain; reward 1 for the same action.

    Parameters
    ----------
    transitions : 2 x 2 row-stochastic matrix, default [[0.5, 0.5], [0.5, 0.5]]
        ``transitions[s][t]``: chance that symbol ``s`` at one trial becomes ``t`` at the next.
    render_mode : None (the only mode)

    ``info`` adds ``symbol`` (also the ``correct_action``).

    >>> env = RedLightGreenLight(transitions=[[0.0, 1.0], [1.0, 0.0]])   # alternates
    >>> [env.reset(seed=7)[0], env.reset()[0], env.reset()[0]]
    [0, 1, 0]
    """

    def __init__(self, transitions=((0.5, 0.5), (0.5, 0.5)), *, render_mode: str | None = None):
        self.transitions = _check_transitions(transitions)
        self.symbol = 0
        super().__init__(2, spaces.Discrete(2), render_mode)

    def _present(self, trial: int):
        if trial == 0:
            self.symbol = 0
        else:
            self.symbol = int(next_light(self.symbol, self.np_random.random(), self.transitions))
        return self.symbol, {"trial": trial, "symbol": self.symbol, "correct_action": self.symbol}
