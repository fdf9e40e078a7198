"""Native vector versions of the one-step games: invasion, driver and colour games, MEPS games, RLGL.

K copies of a one-step game (:class:`~ps_graph.envs.OneStepGame`) as arrays: each copy plays its
own trials, with its own trial counter, so a protocol change "at trial T" (the inversion, the new
colour, the never-ending colours, RLGL's start on red) happens in every copy at its own trial T.
The rules (correct action, reward, protocol schedule) are the single games' own functions, applied
to arrays; observations, spaces, rewards and info entries are the single games' ones, batched as
gymnasium's vector API batches them (``observation_space == batch_space(single, K)``; infos as
arrays with ``"_key"`` masks). With gymnasium's default autoreset (``NEXT_STEP``) a step answers
every copy's trial (terminated, the trial's own percept as observation) and the next step starts
the next trial (reward 0, the action ignored). One Generator (``reset(seed=...)``) draws every
copy's trials: one copy (``num_envs=1``) replays the single game's trials for the same seed
exactly; with more, each copy follows the single game's distribution, not its seed stream.

>>> import gymnasium as gym, numpy as np, ps_graph.envs
>>> envs = gym.make_vec("ps_graph/InvasionGame-v0", num_envs=4, vectorization_mode="vector_entry_point", invert_at=1)
>>> obs, infos = envs.reset(seed=0)
>>> infos["trial"].tolist(), bool((infos["correct_action"] == obs).all())
([0, 0, 0, 0], True)
>>> _, rewards, terminated, _, infos = envs.step(infos["correct_action"])
>>> rewards.tolist(), terminated.tolist()
([1.0, 1.0, 1.0, 1.0], [True, True, True, True])
>>> obs, rewards, _, _, infos = envs.step(np.zeros(4, dtype=int))   # the next trial: inverted
>>> rewards.tolist(), infos["trial"].tolist(), bool((infos["correct_action"] == 1 - obs).all())
([0.0, 0.0, 0.0, 0.0], [1, 1, 1, 1], True)
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from ...errors import EnvError
from .._trials import OneStepGame, hit_reward, protocol_on
from ..generalization import DriverGame, NeverEndingColourGame, never_ending_colour
from ..invasion import InvasionGame, announced_door
from ..meps_games import (
    DeceptiveInvasion,
    InvasionWithDistraction,
    RedLightGreenLight,
    deceptive_door,
    deceptive_payoff,
    distraction_door,
    distraction_payoff,
    next_light,
)
from ._base import NativeVectorEnv

__all__ = [
    "DeceptiveInvasionVector",
    "DriverGameVector",
    "InvasionGameVector",
    "InvasionWithDistractionVector",
    "NeverEndingColourGameVector",
    "OneStepVectorGame",
    "RedLightGreenLightVector",
]


class OneStepVectorGame(NativeVectorEnv):
    """K copies of a one-step game stepped as arrays (the base of this module's games).

    ``self.game`` is one single game built from the keyword arguments (it checks them and gives
    the spaces and the configuration). ``self.trial`` (shape ``(K,)``) counts each copy's trials
    as the single game's ``env.trial`` does: a seeded ``reset`` restarts the copies it resets at
    trial 0, every other reset of a copy (a plain ``reset()``, an autoreset) moves that copy on
    to its next trial. ``self.info`` holds each copy's current trial info (the single game's
    entries, as arrays); infos add ``"action"`` for the copies that answered their trial. A copy
    that answered its trial steps again only after a reset (an :class:`EnvError` otherwise, as
    in the single game; it happens only under ``autoreset_mode="Disabled"``).

    Parameters
    ----------
    num_envs : int >= 1, default 1
    max_episode_steps : int >= 1 or None
        Passed by ``gym.make_vec`` when the spec has one (a trial is one step either way).
    autoreset_mode : AutoresetMode or its value, default NEXT_STEP
    render_mode : None (the only mode)
    **game_kwargs
        The single game's keyword arguments, e.g. ``invert_at=250``.

    Subclasses set ``game_class`` and ``info_dtypes`` (the single game's info entries besides
    ``trial``) and implement ``_present(mask, trials)`` (draw the new trials of the copies in
    ``mask`` with ``self.np_random``, write them with ``_write``) and ``_observations()``; the
    reward is :func:`~ps_graph.envs._trials.hit_reward` unless ``_rewards`` says otherwise.
    """

    game_class: ClassVar[type[OneStepGame]]
    info_dtypes: ClassVar[dict[str, Any]] = {"correct_action": np.int64}

    def __init__(
        self,
        num_envs: int = 1,
        *,
        max_episode_steps: int | None = None,
        autoreset_mode: Any = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
        **game_kwargs: Any,
    ) -> None:
        self.game = self.game_class(render_mode=render_mode, **game_kwargs)
        super().__init__(
            num_envs,
            self.game.observation_space,
            cast(spaces.Discrete, self.game.action_space),  # a OneStepGame's is Discrete(num_actions)
            max_episode_steps=max_episode_steps,
            autoreset_mode=autoreset_mode,
        )
        dtypes = {"trial": np.int64, **self.info_dtypes}
        self.info = {key: np.zeros(self.num_envs, dtype) for key, dtype in dtypes.items()}
        self.trial = self.info["trial"]
        self.trial[:] = -1  # before any reset, as the single game's env.trial
        self.actions = np.zeros(self.num_envs, np.int64)
        self._answered = np.zeros(self.num_envs, bool)
        self._seeding = False

    # ------------------------------------------------------------------ game hooks
    def _present(self, mask: np.ndarray, trials: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _rewards(self, actions: np.ndarray) -> np.ndarray:
        return hit_reward(actions, self.info["correct_action"])

    def _write(self, mask: np.ndarray, **values: Any) -> None:
        for key, value in values.items():
            self.info[key][mask] = value

    # ------------------------------------------------------------------ NativeVectorEnv hooks
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start a new trial in every copy (or those of ``options["reset_mask"]``); a ``seed``
        also restarts their protocols at trial 0."""
        self._seeding = seed is not None
        try:
            return super().reset(seed=seed, options=options)
        finally:
            self._seeding = False

    def _reset_copies(self, mask: np.ndarray) -> None:
        self.trial[mask] = 0 if self._seeding else self.trial[mask] + 1
        self._answered[mask] = False
        self._present(mask, self.trial[mask])

    def _step_copies(self, actions: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        again = mask & self._answered
        if again.any():
            raise EnvError(
                f"{type(self).__name__}.step(): copies {np.flatnonzero(again)[:10].tolist()} already answered "
                "their trial (every trial is a one-step episode); reset them with "
                "reset(options={'reset_mask': mask}) before stepping them again."
            )
        self.actions[mask] = actions[mask]
        self._answered |= mask
        return self._rewards(actions), np.ones(self.num_envs, bool)

    def _infos(self, mask: np.ndarray) -> dict[str, Any]:
        infos: dict[str, Any] = {}
        for key, values in self.info.items():
            infos[key] = values.copy()
            infos[f"_{key}"] = mask.copy()
        answered = mask & self._answered
        if answered.any():
            infos["action"] = self.actions.copy()
            infos["_action"] = answered
        return infos


class InvasionGameVector(OneStepVectorGame):
    """:class:`~ps_graph.envs.InvasionGame` as K copies (inversion and new colour per copy).

    >>> envs = InvasionGameVector(3, num_colours=2, new_colour_at=1)
    >>> envs.single_observation_space
    Tuple(Discrete(2), Discrete(3))
    >>> envs.reset(seed=0)[1]["colour"].max() < 2, envs.reset()[1]["colour"].tolist()
    (np.True_, [2, 2, 2])
    """

    game_class = InvasionGame
    game: InvasionGame
    info_dtypes: ClassVar[dict[str, Any]] = {"symbol": np.int64, "correct_action": np.int64, "inverted": bool}

    def __init__(self, num_envs: int = 1, **kwargs: Any) -> None:
        super().__init__(num_envs, **kwargs)
        if self.game.coloured:
            self.info["colour"] = np.zeros(self.num_envs, np.int64)

    def _present(self, mask: np.ndarray, trials: np.ndarray) -> None:
        game, rng = self.game, self.np_random
        symbol = rng.integers(game.num_symbols, size=trials.size)
        inverted = protocol_on(trials, game.invert_at)
        self._write(
            mask, symbol=symbol, correct_action=announced_door(symbol, inverted, game.num_symbols), inverted=inverted
        )
        if game.num_colours is not None:  # game.coloured
            colour = np.full(trials.size, game.num_colours)  # the new colour, from new_colour_at on
            old = ~protocol_on(trials, game.new_colour_at)
            colour[old] = rng.integers(game.num_colours, size=int(old.sum()))
            self._write(mask, colour=colour)

    def _observations(self) -> Any:
        if self.game.coloured:
            return self.info["symbol"].copy(), self.info["colour"].copy()
        return self.info["symbol"].copy()


class DriverGameVector(OneStepVectorGame):
    """:class:`~ps_graph.envs.DriverGame` as K copies: go in the arrow's direction.

    >>> envs = DriverGameVector(2)
    >>> (direction, colour), _ = envs.reset(seed=0)
    >>> envs.step(direction)[1].tolist()
    [1.0, 1.0]
    """

    game_class = DriverGame
    game: DriverGame
    info_dtypes: ClassVar[dict[str, Any]] = {"direction": np.int64, "colour": np.int64, "correct_action": np.int64}

    def _colours(self, trials: np.ndarray) -> np.ndarray:
        return self.np_random.integers(self.game.num_colours, size=trials.size)

    def _present(self, mask: np.ndarray, trials: np.ndarray) -> None:
        direction = self.np_random.integers(self.game.num_directions, size=trials.size)
        self._write(mask, direction=direction, colour=self._colours(trials), correct_action=direction)

    def _observations(self) -> Any:
        return self.info["direction"].copy(), self.info["colour"].copy()


class NeverEndingColourGameVector(DriverGameVector):
    """:class:`~ps_graph.envs.NeverEndingColourGame` as K copies: colour ``trial % num_colours`` per copy.

    >>> envs = NeverEndingColourGameVector(2, num_colours=3)
    >>> [envs.reset(seed=0)[0][1].tolist()] + [envs.reset()[0][1].tolist() for _ in range(3)]
    [[0, 0], [1, 1], [2, 2], [0, 0]]
    """

    game_class = NeverEndingColourGame

    def _colours(self, trials: np.ndarray) -> np.ndarray:
        return never_ending_colour(trials, self.game.num_colours)


class _TripleObservationGame(OneStepVectorGame):
    """A MEPS game whose observation is three numbers: ``self.obs``, shape ``(K, 3)``."""

    def __init__(self, num_envs: int = 1, **kwargs: Any) -> None:
        super().__init__(num_envs, **kwargs)
        self.obs = np.zeros((self.num_envs, 3), np.int64)

    def _observations(self) -> Any:
        return self.obs.copy()


class InvasionWithDistractionVector(_TripleObservationGame):
    """:class:`~ps_graph.envs.InvasionWithDistraction` as K copies.

    >>> envs = InvasionWithDistractionVector(3)
    >>> obs, infos = envs.reset(seed=1)
    >>> obs.shape, bool((infos["correct_action"] == (obs[:, 0] + obs[:, 1]) % 2).all())
    ((3, 3), True)
    >>> envs.step(1 - infos["correct_action"])[1].tolist()
    [-10.0, -10.0, -10.0]
    """

    game_class = InvasionWithDistraction
    game: InvasionWithDistraction

    def _present(self, mask: np.ndarray, trials: np.ndarray) -> None:
        obs = self.np_random.integers(10, size=(trials.size, 3))
        self.obs[mask] = obs
        self._write(mask, correct_action=distraction_door(obs))

    def _rewards(self, actions: np.ndarray) -> np.ndarray:
        return distraction_payoff(actions, self.info["correct_action"], self.game.penalty)


class DeceptiveInvasionVector(_TripleObservationGame):
    """:class:`~ps_graph.envs.DeceptiveInvasion` as K copies; infos add ``shown`` and ``lie``.

    >>> envs = DeceptiveInvasionVector(3)
    >>> obs, infos = envs.reset(seed=2)
    >>> bool((infos["lie"] == ((obs[:, 0] + obs[:, 1]) % 2 == 1)).all())
    True
    >>> envs.step(infos["correct_action"])[1].tolist()
    [2.0, 2.0, 2.0]
    """

    game_class = DeceptiveInvasion
    info_dtypes: ClassVar[dict[str, Any]] = {"correct_action": np.int64, "shown": np.int64, "lie": bool}

    def _present(self, mask: np.ndarray, trials: np.ndarray) -> None:
        obs = self.np_random.integers(0, 10, size=(trials.size, 3))
        obs[:, 1] = 10 + self.np_random.integers(4, size=trials.size)
        self.obs[mask] = obs
        shown, lie, door = deceptive_door(obs)
        self._write(mask, correct_action=door, shown=shown, lie=lie)

    def _rewards(self, actions: np.ndarray) -> np.ndarray:
        info = self.info
        return deceptive_payoff(actions, info["correct_action"], info["shown"], info["lie"])


class RedLightGreenLightVector(OneStepVectorGame):
    """:class:`~ps_graph.envs.RedLightGreenLight` as K copies, each light on its own Markov chain.

    >>> envs = RedLightGreenLightVector(2, transitions=[[0.0, 1.0], [1.0, 0.0]])   # alternates
    >>> [envs.reset(seed=7)[0].tolist(), envs.reset()[0].tolist(), envs.reset()[0].tolist()]
    [[0, 0], [1, 1], [0, 0]]
    """

    game_class = RedLightGreenLight
    game: RedLightGreenLight
    info_dtypes: ClassVar[dict[str, Any]] = {"symbol": np.int64, "correct_action": np.int64}

    def _present(self, mask: np.ndarray, trials: np.ndarray) -> None:
        symbol = np.zeros(trials.size, np.int64)  # every copy starts red at its trial 0
        later = trials > 0
        before = self.info["symbol"][mask][later]
        symbol[later] = next_light(before, self.np_random.random(before.size), self.game.transitions)
        self._write(mask, symbol=symbol, correct_action=symbol)

    def _observations(self) -> Any:
        return self.info["symbol"].copy()
