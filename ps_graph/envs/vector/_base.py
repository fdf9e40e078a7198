"""The base of the native vector environments: K copies as arrays, gymnasium's autoreset.

A subclass keeps each copy's state in arrays and implements three methods, each over the
copies in a boolean ``mask`` (shape ``(K,)``), drawing randomness from ``self.np_random``
(one Generator for all copies, seeded by ``reset(seed=...)``):

``_reset_copies(mask)``
    start new episodes in the copies of ``mask``;
``_step_copies(actions, mask) -> (rewards, terminated)``
    advance the copies of ``mask`` by their ``actions`` (arrays of shape (K,); entries outside
    ``mask`` are ignored);
``_observations() -> array``
    every copy's current observation, batched as ``observation_space`` says.

Optionally ``_infos(mask) -> dict`` (gymnasium's vector info: arrays of shape (K,) with a
``"_name"`` boolean mask each). The base counts steps per episode and truncates at
``max_episode_steps`` (the registered time limit, passed by ``gym.make_vec``), and applies the
autoreset mode: ``NEXT_STEP`` (gymnasium's default: the step after an episode's end resets
that copy, ignores its action and returns reward 0), ``SAME_STEP`` (the copy resets in the
step that ended it and returns the new episode's first observation; the last one is in
``infos["final_obs"]``) or ``DISABLED`` (``reset(options={"reset_mask": mask})`` resets).
As in gymnasium's ``SyncVectorEnv``, a copy that resets within ``step`` reports its new
episode's ``_infos`` (called after the reset), and under ``SAME_STEP`` the ended episode's
step infos are in ``infos["final_info"]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ...checks import check_choice, check_int, check_seed
from ...errors import EnvError

__all__ = ["NativeVectorEnv"]

_MODES = {mode.value: mode for mode in AutoresetMode}


def _mode(value: Any) -> AutoresetMode:
    if isinstance(value, AutoresetMode):
        return value
    return _MODES[check_choice("autoreset_mode", value, tuple(_MODES))]


def _merge_infos(infos: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Vector infos ``infos`` updated by ``new`` where ``new``'s ``"_key"`` masks say so."""
    for key, value in new.items():
        if key[:1] == "_" and key[1:] in new:
            continue  # a mask: merged with its entry
        mask = new.get(f"_{key}")
        if mask is None or key not in infos:
            infos[key] = value
            if mask is not None:
                infos[f"_{key}"] = mask
            continue
        where = mask.reshape(mask.shape + (1,) * (np.ndim(value) - 1))
        infos[key] = np.where(where, value, infos[key])
        infos[f"_{key}"] = infos[f"_{key}"] | mask
    return infos


def _restrict_infos(infos: dict[str, Any], mask: np.ndarray) -> dict[str, Any]:
    """The vector infos of the copies in ``mask`` only (an entry left with no copy is dropped)."""
    kept: dict[str, Any] = {}
    for key, value in infos.items():
        if key[:1] == "_" and key[1:] in infos:
            continue  # a mask: restricted with its entry
        has = infos.get(f"_{key}")
        if has is None:
            kept[key] = value
        elif (has & mask).any():
            kept[key], kept[f"_{key}"] = value, has & mask
    return kept


class NativeVectorEnv(VectorEnv):
    """K copies of an environment stepped as arrays (see the module docstring).

    Parameters
    ----------
    num_envs : int >= 1
    single_observation_space, single_action_space : gymnasium spaces of one copy
    max_episode_steps : int >= 1 or None
        Truncate a copy's episode after this many steps (None: never).
    autoreset_mode : AutoresetMode or its value ("NextStep", "SameStep", "Disabled")
    """

    _METADATA = (("autoreset_mode", AutoresetMode.NEXT_STEP), ("render_modes", ()))
    metadata: dict[str, Any] = dict(_METADATA)  # noqa: RUF012 (gymnasium declares metadata a plain dict)

    def __init__(
        self,
        num_envs: int,
        single_observation_space: spaces.Space,
        single_action_space: spaces.Discrete,
        *,
        max_episode_steps: int | None = None,
        autoreset_mode: Any = AutoresetMode.NEXT_STEP,
    ) -> None:
        self.num_envs = check_int("num_envs", num_envs, 1, 10**9)
        self.single_observation_space = single_observation_space
        self.single_action_space = single_action_space
        self.observation_space = batch_space(single_observation_space, self.num_envs)
        self.action_space = batch_space(single_action_space, self.num_envs)
        self.max_episode_steps = (
            None if max_episode_steps is None else check_int("max_episode_steps", max_episode_steps, 1)
        )
        self.metadata = {**type(self).metadata, "autoreset_mode": _mode(autoreset_mode)}
        self.episode_steps = np.zeros(self.num_envs, np.int64)
        self._needs_reset = np.zeros(self.num_envs, bool)  # NEXT_STEP: reset at the next step
        self._all = np.ones(self.num_envs, bool)
        self._started = False

    # ------------------------------------------------------------------ subclass hooks
    def _reset_copies(self, mask: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _step_copies(self, actions: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    def _observations(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _infos(self, mask: np.ndarray) -> dict[str, Any]:
        return {}

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Reset every copy (or those in ``options["reset_mask"]``); ``seed`` seeds the one
        Generator all copies draw from."""
        if seed is not None or not self._started:
            self._np_random = np.random.default_rng(check_seed("seed", seed))
            self._np_random_seed = seed
        mask = self._all
        if options and "reset_mask" in options:
            mask = np.asarray(options["reset_mask"])
            if mask.shape != (self.num_envs,) or mask.dtype != bool:
                raise EnvError(
                    f"options['reset_mask'] must be a boolean array of shape ({self.num_envs},); got "
                    f"shape {mask.shape}, dtype {mask.dtype}."
                )
        self._started = True
        self._reset_copies(mask)
        self.episode_steps[mask] = 0
        self._needs_reset[mask] = False
        return self._observations(), self._infos(mask)

    def step(self, actions):
        """One step of every copy (gymnasium's vector ``step``)."""
        if not self._started:
            raise EnvError("call reset() before step(): the copies have no state yet.")
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,) or actions.dtype.kind not in "iu":
            raise EnvError(
                f"actions must be an integer array of shape ({self.num_envs},), one per copy; got shape "
                f"{actions.shape}, dtype {actions.dtype}."
            )
        n = int(self.single_action_space.n)
        start = int(self.single_action_space.start)
        if actions.size and (actions.min() < start or actions.max() >= start + n):
            raise EnvError(f"actions must lie in {start}..{start + n - 1}; got {actions.min()}..{actions.max()}.")
        mode = self.metadata["autoreset_mode"]
        stepping = ~self._needs_reset if mode == AutoresetMode.NEXT_STEP else self._all
        rewards = np.zeros(self.num_envs)
        terminated = np.zeros(self.num_envs, bool)
        if stepping.any():
            r, t = self._step_copies(actions, stepping)
            rewards[stepping] = r[stepping]
            terminated[stepping] = t[stepping]
            self.episode_steps[stepping] += 1
        truncated = stepping & ~terminated
        if self.max_episode_steps is not None:
            truncated &= self.episode_steps >= self.max_episode_steps
        else:
            truncated[:] = False
        ended = terminated | truncated
        infos = self._infos(stepping)
        if mode == AutoresetMode.NEXT_STEP:
            resetting = self._needs_reset
            if resetting.any():
                self._reset_copies(resetting)
                self.episode_steps[resetting] = 0
                infos = _merge_infos(infos, self._infos(resetting))  # as SyncVectorEnv: the reset's info
            self._needs_reset = ended
        elif mode == AutoresetMode.SAME_STEP and ended.any():
            final_obs = self._observations()
            self._reset_copies(ended)
            self.episode_steps[ended] = 0
            final_info = _restrict_infos(infos, ended)
            infos = _merge_infos(_restrict_infos(infos, ~ended), self._infos(ended))  # as SyncVectorEnv
            infos.update(final_obs=final_obs, _final_obs=ended.copy(), final_info=final_info, _final_info=ended.copy())
        return self._observations(), rewards, terminated, truncated, infos
