"""The agent protocol and the one train loop every agent in this project runs through.

The protocol has two verbs, so a comparison differs only in the agent:

``act(observation, explore=True) -> action``
    Choose an action. With ``explore=False`` the agent returns its most probable (greedy)
    action and changes nothing: no glow, no learning, no exploration schedule.
``observe(reward, next_observation, terminated, truncated) -> None``
    Learn from the step that followed the last ``act``. ``terminated`` means the episode
    reached a terminal state (no bootstrapping); ``truncated`` means it was cut off (by a
    time limit, or by the loop's own budget) and the next state still has value. Either
    one ends the episode: agents reset their per-episode state (PS: the glow).

Any object with these two methods runs through :func:`train` and :func:`evaluate`.

Example
-------
>>> import gymnasium as gym, numpy as np
>>> class RandomAgent:
...     def __init__(self, n, seed): self.n, self.rng = n, np.random.default_rng(seed)
...     def act(self, observation, explore=True): return int(self.rng.integers(self.n))
...     def observe(self, reward, next_observation, terminated, truncated): pass
>>> env = gym.make("FrozenLake-v1", is_slippery=False)
>>> result = train(RandomAgent(4, seed=0), env, episodes=5, seed=0)
>>> result.returns.shape, result.lengths.dtype
((5,), dtype('int64'))
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .checks import check_int, check_seed
from .errors import ConfigError

__all__ = ["Agent", "TrainResult", "evaluate", "train"]


@runtime_checkable
class Agent(Protocol):
    """What :func:`train` needs from an agent (see the module docstring)."""

    def act(self, observation: Any, explore: bool = True) -> Any: ...

    def observe(self, reward: float, next_observation: Any, terminated: bool, truncated: bool) -> None: ...


@dataclass(frozen=True)
class TrainResult:
    """Per-episode statistics of a :func:`train` or :func:`evaluate` run.

    Attributes
    ----------
    returns : float64 array, one undiscounted return per episode
    lengths : int64 array, environment steps per episode
    terminated : bool array, whether each episode ended in a terminal state (not cut off)
    wall_time : float, seconds the whole run took
    """

    returns: np.ndarray
    lengths: np.ndarray
    terminated: np.ndarray
    wall_time: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def episodes(self) -> int:
        return len(self.returns)

    @property
    def steps(self) -> int:
        """Environment steps over all episodes."""
        return int(self.lengths.sum())

    @property
    def env_steps(self) -> np.ndarray:
        """Cumulative environment steps at the end of each episode (an x axis for plots)."""
        return np.cumsum(self.lengths)

    def success_rate(self, last: int | None = None) -> float:
        """Fraction of episodes (of the ``last`` ones, if given) with a positive return."""
        r = self.returns if last is None else self.returns[-last:]
        return float(np.mean(r > 0)) if len(r) else float("nan")


def _check_agent(agent: object) -> None:
    missing = [m for m in ("act", "observe") if not callable(getattr(agent, m, None))]
    if missing:
        raise ConfigError(
            f"{type(agent).__name__} is not an agent: it lacks {', '.join(m + '()' for m in missing)}. Agents need "
            "act(observation, explore=True) and observe(reward, next_observation, terminated, truncated)."
        )


def check_budget(episodes, total_steps, max_steps) -> tuple[int | None, int | None, int | None]:
    """Exactly one of ``episodes`` / ``total_steps`` (positive ints), and ``max_steps`` (None
    or a positive int): the budget of a training run, checked; returns the three."""
    if (episodes is None) == (total_steps is None):
        raise ConfigError(
            f"give exactly one budget: episodes={episodes!r}, total_steps={total_steps!r}. "
            "Pass episodes=N to run N episodes, or total_steps=N to run N environment steps."
        )
    if episodes is not None:
        episodes = check_int("episodes", episodes, 1)
    if total_steps is not None:
        total_steps = check_int("total_steps", total_steps, 1)
    if max_steps is not None:
        max_steps = check_int("max_steps", max_steps, 1, hint="None keeps only the environment's own time limit.")
    return episodes, total_steps, max_steps


def _run(agent, env, *, episodes, total_steps, seed, max_steps, progress, learn, callback=None) -> TrainResult:
    _check_agent(agent)
    if callback is not None and not callable(callback):
        raise ConfigError(
            f"callback must be a function callback(episode, agent) called after each episode; got {callback!r}."
        )
    episodes, total_steps, max_steps = check_budget(episodes, total_steps, max_steps)
    seed = check_seed("seed", seed)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=episodes if episodes is not None else total_steps,
            unit="ep" if episodes is not None else "step",
            desc=type(agent).__name__,
        )
    returns: list[float] = []
    lengths: list[int] = []
    terminals: list[bool] = []
    act, observe = agent.act, agent.observe
    steps = 0
    start = time.perf_counter()
    obs, _ = env.reset(seed=seed) if seed is not None else env.reset()
    try:
        while (episodes is None or len(returns) < episodes) and (total_steps is None or steps < total_steps):
            ep_return, ep_len = 0.0, 0
            while True:
                action = act(obs, explore=learn)
                obs, reward, terminated, truncated, _ = env.step(action)
                ep_return += float(reward)
                ep_len += 1
                steps += 1
                cut = (max_steps is not None and ep_len >= max_steps) or (
                    total_steps is not None and steps >= total_steps
                )
                if learn:
                    observe(reward, obs, terminated, truncated or cut)
                if terminated or truncated or cut:
                    break
            returns.append(ep_return)
            lengths.append(ep_len)
            terminals.append(bool(terminated))
            if bar is not None:
                bar.update(1 if episodes is not None else ep_len)
                if len(returns) % 10 == 0:
                    bar.set_postfix(mean_return=f"{np.mean(returns[-100:]):.3g}", refresh=False)
            if callback is not None:
                callback(len(returns), agent)
            obs, _ = env.reset()
    finally:
        if bar is not None:
            bar.close()
    return TrainResult(
        returns=np.asarray(returns, dtype=np.float64),
        lengths=np.asarray(lengths, dtype=np.int64),
        terminated=np.asarray(terminals, dtype=bool),
        wall_time=time.perf_counter() - start,
    )


def train(
    agent: Agent,
    env,
    episodes: int | None = None,
    *,
    total_steps: int | None = None,
    seed: int | None = None,
    max_steps: int | None = None,
    progress: bool = False,
    callback: Callable[[int, Any], object] | None = None,
) -> TrainResult:
    """Train ``agent`` on ``env`` for a budget of ``episodes`` or ``total_steps`` (exactly one).

    The env is seeded once, at the first reset (``env.reset(seed=int(seed))``); later
    resets continue its random stream. ``max_steps`` cuts episodes after that many steps
    (reported to the agent as ``truncated``), on top of the env's own time limit; a
    ``total_steps`` budget that ends mid-episode truncates that last episode the same way.
    ``callback(episode, agent)``, if given, is called after each episode with the number of
    episodes finished so far (e.g. :class:`ps_graph.inspection.timeline.Timeline` snapshots h-values).
    """
    return _run(
        agent,
        env,
        episodes=episodes,
        total_steps=total_steps,
        seed=seed,
        max_steps=max_steps,
        progress=progress,
        learn=True,
        callback=callback,
    )


def evaluate(
    agent: Agent,
    env,
    episodes: int,
    *,
    seed: int | None = None,
    max_steps: int | None = None,
    progress: bool = False,
) -> TrainResult:
    """Run ``episodes`` greedy episodes (``act(obs, explore=False)``) without learning."""
    return _run(
        agent, env, episodes=episodes, total_steps=None, seed=seed, max_steps=max_steps, progress=progress, learn=False
    )
