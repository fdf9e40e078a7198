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

The loop trusts no env: :func:`step_checker` checks every ``reset`` and ``step`` result
(an ``(obs, info)`` pair, an ``(obs, reward, terminated, truncated, info)`` 5-tuple, a
finite real reward as :func:`~ps_graph.checks.check_reward` defines it, an observation
inside ``env.observation_space``) and names the env and the step in its error.

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

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from gymnasium import spaces

from .checks import check_int, check_reward, check_seed, show
from .errors import ConfigError, EnvError
from .progress import progress_bar
from .stopping import StoppingRule, StopTraining, ask, check_callback

__all__ = ["Agent", "TrainResult", "evaluate", "step_checker", "train"]


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
    info : dict, extras; ``info["stopped"]`` is why a callback ended the run early (see :attr:`stopped`)
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
    def stopped(self) -> str | None:
        """Why a callback stopped the run before its budget (:mod:`ps_graph.stopping`), or None."""
        return self.info.get("stopped")

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


# ---------------------------------------------------------------------- checking the env
_STEP_API = "env.step must return (obs, reward, terminated, truncated, info)"
_OLD_GYM = (
    "Port the env to the gymnasium API; an old gym env that returns (obs, reward, done, info) can be "
    "wrapped with shimmy.GymV21CompatibilityV0."
)


def _env_name(env) -> str:
    """The env's registered id, or else its (unwrapped) class name."""
    spec = getattr(env, "spec", None)
    return str(getattr(spec, "id", None) or type(getattr(env, "unwrapped", env)).__name__)


def _anything(obs) -> bool:
    return True


_INTS = frozenset((int, np.int64, np.int32))  # Discrete observations as envs return them (numpy's from gymnasium)


def _observation_test(space) -> tuple[int, int, Callable[[Any], bool]]:
    """``(lo, hi, contains)``: an observation ``obs`` is inside ``space`` when it is an int (Python's
    or numpy's int64/int32) with ``lo <= obs < hi``, or else when ``contains(obs)``. For a Discrete space the range test
    decides every int at once (``space.contains`` is slow); for other spaces the range is empty.
    A Box observation needs the space's shape and finite values (its bounds and dtype are not
    enforced: many envs declare loose bounds, or float64 observations in a float32 Box). An env
    without an observation space (a duck-typed one) gets no check."""
    space_contains = getattr(space, "contains", None)
    if not callable(space_contains):
        return 0, 0, _anything

    def contains(obs) -> bool:
        try:
            return bool(space_contains(obs))
        except Exception:  # e.g. MultiDiscrete.contains("3") raises a numpy TypeError: not an observation
            return False

    if isinstance(space, spaces.Discrete):
        return int(space.start), int(space.start) + int(space.n), contains
    if isinstance(space, spaces.Box):  # shape and finiteness: many envs declare loose bounds or another dtype
        shape = space.shape

        def box_contains(obs) -> bool:
            try:
                values = np.asarray(obs, dtype=np.float64)
            except (TypeError, ValueError):
                return False
            return values.shape == shape and bool(np.isfinite(values).all())

        return 0, 0, box_contains
    return 0, 0, contains


def step_checker(env) -> tuple[Callable[[Any, int], Any], Callable[[Any, int], Any]]:
    """``(check_reset, check_step)`` for ``env``, built once per run.

    ``check_reset(result, steps)`` returns the observation of an ``env.reset()`` result;
    ``check_step(result, step)`` returns the ``env.step`` result ``(obs, reward, terminated,
    truncated, info)`` with the reward a Python int or float (any other real reward converted
    by :func:`~ps_graph.checks.check_reward`). Both raise :class:`~ps_graph.errors.EnvError`
    for a result that is not an ``(obs, info)`` pair or a 5-tuple, or an observation outside
    ``env.observation_space``, and :class:`~ps_graph.errors.RewardError` for a reward
    check_reward refuses (a bool too); the message names the env and the step (counted from
    1 over the run). Their common cases cost a few comparisons: a Discrete space's
    observations are tested as an int range, not with the slow ``space.contains``.

    >>> import gymnasium as gym
    >>> env = gym.make("FrozenLake-v1", map_name="4x4")
    >>> check_reset, check_step = step_checker(env)
    >>> check_reset(env.reset(seed=0), 0), check_step(env.step(1), 1)[1:4]
    (0, (0, False, False))
    >>> try:
    ...     check_step((16, 0.0, False, False, {}), 12)  # states are 0..15
    ... except EnvError as err:
    ...     print(str(err).split(". ")[0])
    FrozenLake-v1 returned the observation 16 at step 12, outside its observation space Discrete(16)
    """
    name, space = _env_name(env), getattr(env, "observation_space", None)
    lo, hi, contains = _observation_test(space)
    inf, big = math.inf, int(sys.float_info.max)

    def outside(obs, where: str) -> EnvError:
        return EnvError(
            f"{name} returned the observation {show(obs)} {where}, outside its observation space {show(space)}. Fix "
            "the env or its wrappers, or declare the observations it returns in observation_space."
        )

    def check_reset(result, steps: int):
        try:
            obs, _ = result
        except (TypeError, ValueError):
            raise EnvError(f"env.reset must return (obs, info); {name} returned {show(result)}. {_OLD_GYM}") from None
        if not (type(obs) in _INTS and lo <= obs < hi) and not contains(obs):
            raise outside(obs, f"from reset() after step {steps}" if steps else "from its first reset()")
        return obs

    def check_step(result, step: int):
        try:
            obs, reward, terminated, truncated, info = result
        except (TypeError, ValueError):
            got = f"a {len(result)}-tuple" if isinstance(result, tuple) else show(result)
            raise EnvError(f"{_STEP_API}; {name} returned {got} at step {step}. {_OLD_GYM}") from None
        kind = type(reward)  # the common cases (an int a float can hold, a finite float) skip check_reward
        if not ((kind is int and -big < reward < big) or (kind is float and -inf < reward < inf)):
            result = obs, check_reward(reward, f" from {name} at step {step}"), terminated, truncated, info
        if (type(obs) not in _INTS or not lo <= obs < hi) and not contains(obs):
            raise outside(obs, f"at step {step}")
        return result

    return check_reset, check_step


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
    check_callback(callback, "callback(episode, agent) called after each episode")
    episodes, total_steps, max_steps = check_budget(episodes, total_steps, max_steps)
    seed = check_seed("seed", seed)

    bar = None
    if progress:
        unit = "ep" if episodes is not None else "step"
        bar = progress_bar(
            True, total=episodes if episodes is not None else total_steps, unit=unit, desc=type(agent).__name__
        )
    returns: list[float] = []
    lengths: list[int] = []
    terminals: list[bool] = []
    act, observe = agent.act, agent.observe
    check_reset, check_step = step_checker(env)
    ep_limit, step_limit = max_steps or sys.maxsize, total_steps or sys.maxsize  # no budget: never reached
    steps, stopped = 0, None
    start = time.perf_counter()
    obs = check_reset(env.reset(seed=seed) if seed is not None else env.reset(), steps)
    try:
        while (episodes is None or len(returns) < episodes) and (total_steps is None or steps < total_steps):
            ep_start, ep_return = steps, 0.0
            stop = min(steps + ep_limit, step_limit)  # the step that cuts the episode (max_steps or the budget)
            while True:
                action = act(obs, explore=learn)
                steps += 1
                obs, reward, terminated, truncated, _ = check_step(env.step(action), steps)
                ep_return += reward
                cut = steps >= stop
                if learn:
                    observe(reward, obs, terminated, truncated or cut)
                if terminated or truncated or cut:
                    break
            ep_len = steps - ep_start
            returns.append(ep_return)
            lengths.append(ep_len)
            terminals.append(bool(terminated))
            if bar is not None:
                bar.update(1 if episodes is not None else ep_len)
                if len(returns) % 10 == 0:
                    bar.set_postfix(mean_return=f"{np.mean(returns[-100:]):.3g}", refresh=False)
            if callback is not None:
                ask(callback, returns, len(returns), agent)
            obs = check_reset(env.reset(), steps)
    except StopTraining as stop:
        stopped = stop.reason
    finally:
        if bar is not None:
            bar.close()
    return TrainResult(
        returns=np.asarray(returns, dtype=np.float64),
        lengths=np.asarray(lengths, dtype=np.int64),
        terminated=np.asarray(terminals, dtype=bool),
        wall_time=time.perf_counter() - start,
        info={} if stopped is None else {"stopped": stopped},
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
    callback: Callable[[int, Any], object] | StoppingRule | None = None,
) -> TrainResult:
    """Train ``agent`` on ``env`` for a budget of ``episodes`` or ``total_steps`` (exactly one).

    The env is seeded once, at the first reset (``env.reset(seed=int(seed))``); later
    resets continue its random stream. ``max_steps`` cuts episodes after that many steps
    (reported to the agent as ``truncated``), on top of the env's own time limit; a
    ``total_steps`` budget that ends mid-episode truncates that last episode the same way.
    ``callback(episode, agent)``, if given, is called after each episode with the number of
    episodes finished so far (e.g. :class:`ps_graph.inspection.timeline.Timeline` snapshots h-values).
    It stops the run early by returning :data:`~ps_graph.stopping.STOP` (or True) or by raising
    :class:`~ps_graph.stopping.StopTraining`; a :class:`~ps_graph.stopping.StoppingRule` reads
    the returns so far. The result then holds the episodes completed, and its ``stopped`` the
    reason (:mod:`ps_graph.stopping`).

    >>> import gymnasium as gym
    >>> from ps_graph.stopping import STOP
    >>> class Right:  # FrozenLake, not slippery: always right reaches no goal, return 0
    ...     def act(self, observation, explore=True): return 2
    ...     def observe(self, reward, next_observation, terminated, truncated): pass
    >>> env = gym.make("FrozenLake-v1", is_slippery=False)
    >>> result = train(Right(), env, 10, max_steps=5, callback=lambda episode, agent: STOP if episode == 3 else None)
    >>> result.episodes, result.stopped
    (3, 'the callback returned STOP after episode 3')
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
