"""Running one run spec in this process: make the env, build the agent, train; no files."""

from __future__ import annotations

import importlib
import inspect
import json
import numbers
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..checks import printable, show
from ..errors import ConfigError, PSGraphError
from ..registry import agent_kind
from ..stopping import StoppingRule
from ..training import TrainResult, train
from .specs import AgentSpec, EnvSpec, RunSpec  # noqa: F401  (AgentSpec: for the doctest)

__all__ = ["check_env_kwargs", "make_env", "run_spec", "validate"]

#: What ``gymnasium.make`` itself takes besides the env's own keywords, with a default of the type it wants.
_MAKE_KEYWORDS: dict[str, Any] = {"max_episode_steps": 0, "disable_env_checker": False}
_TYPES = ((bool, "true or false"), (numbers.Integral, "an integer"), (numbers.Real, "a number"), (str, "a string"))


def _cause(exc: BaseException) -> str:
    """``"KeyError: '9x9'"``: an exception as one short line."""
    return f"{type(exc).__name__}: {printable(str(exc), 200)}" if str(exc) else type(exc).__name__


def _keywords(env: EnvSpec) -> dict[str, inspect.Parameter] | None:
    """The keyword parameters of ``env.id``'s constructor (from its registered entry point), their
    defaults replaced by the registered kwargs; None when it takes any keyword (``**kwargs``) or
    its signature cannot be read."""
    import gymnasium as gym

    module, _, name = env.id.rpartition(":")
    if module:
        importlib.import_module(module)  # as gymnasium.make does: the module registers the id
    spec = gym.spec(name)
    entry = spec.entry_point
    if entry is None:  # gymnasium.make says what is wrong with it
        return None
    creator = entry if callable(entry) else gym.envs.registration.load_env_creator(entry)
    try:
        params = list(inspect.signature(creator).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    found = {p.name: p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    found |= {k: inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v) for k, v in _MAKE_KEYWORDS.items()}
    return {k: p.replace(default=spec.kwargs[k]) if k in spec.kwargs else p for k, p in found.items()}


def _type_problem(value: Any, param: inspect.Parameter) -> str | None:
    """What is wrong with ``value`` for ``param`` judged by the type of its default, or None."""
    default = param.default
    if default is param.empty or default is None:  # no default to judge by
        return None
    if value is None:
        optional = any(s in str(param.annotation) for s in ("None", "Optional"))
        return None if optional else f"a value, not None (default {show(default)})"
    if isinstance(default, (list, tuple)):
        return None if isinstance(value, list) else f"a list like its default {show(default)}"
    for kind, words in _TYPES:
        if isinstance(default, kind):
            wrong_bool = isinstance(value, bool) and kind is not bool  # True is an int to Python, not here
            shown = "" if param.name in _MAKE_KEYWORDS else f" (default {show(default)})"
            return None if isinstance(value, kind) and not wrong_bool else f"{words}{shown}"
    return None


def check_env_kwargs(env: EnvSpec) -> None:
    """Check ``env.kwargs`` against the constructor of ``env.id``: an unknown keyword, or a value
    whose type is not that of the keyword's default (``is_slippery="maybe"`` for a boolean),
    raises ConfigError. Keywords of a constructor that takes ``**kwargs`` are not checked.

    >>> check_env_kwargs(EnvSpec("FrozenLake-v1", {"is_slippery": "maybe"}))
    Traceback (most recent call last):
    ...
    ps_graph.errors.ConfigError: cannot make environment ...: is_slippery must be true or false (default True); got ...
    """
    params = _keywords(env)
    if params is None:
        return
    where = f"cannot make environment {env.name!r}"
    for key, value in env.kwargs.items():
        if key not in params:
            import difflib

            close = difflib.get_close_matches(key, list(params), n=1)
            raise ConfigError(
                f"{where}: it takes no keyword {show(key)}{f' (did you mean {close[0]!r}?)' if close else ''}; "
                f"its keywords: {', '.join(params)}."
            )
        problem = _type_problem(value, params[key])
        if problem:
            raise ConfigError(f"{where}: {key} must be {problem}; got {show(value)}.")


def make_env(env: EnvSpec):
    """``gymnasium.make(env.id, **env.kwargs)`` after :func:`check_env_kwargs`; anything that goes
    wrong making it (an unknown id, a bad kwarg, an error inside the env's constructor) is one
    ConfigError naming the env, its kwargs and the cause."""
    import gymnasium as gym

    from .. import envs as _register  # noqa: F401  (registers ps_graph/*-v0)

    try:
        check_env_kwargs(env)
        return gym.make(env.id, **env.kwargs)
    except PSGraphError:
        raise
    except gym.error.Error as exc:
        text = printable(str(exc), 300).rstrip(".")
        raise ConfigError(
            f"cannot make environment {env.name!r}: {text}{' ' if text.endswith('?') else '. '}Use an id "
            "gymnasium.make accepts, e.g. 'FrozenLake-v1' or 'ps_graph/GridWorld-v0', or 'module:EnvId' to "
            "import your own."
        ) from None
    except Exception as exc:  # the env's own constructor: any error there comes from the kwargs given
        raise ConfigError(
            f"cannot make environment {env.name!r} with kwargs {show(env.kwargs)}: {_cause(exc)}. "
            "Check the id and the kwargs against the environment's documentation."
        ) from None


def validate(specs: Sequence[RunSpec]) -> None:
    """Check every agent's hyperparameters against every environment, before any run starts.

    Builds one agent per (agent, environment) pair (or calls the kind's ``check``), so a
    typo raises the agent's own ConfigError here; any other error building it (a MemoryError
    for a huge buffer) becomes a ConfigError naming the agent, the env and the cause.
    """
    firsts: dict[tuple[str, str], RunSpec] = {}
    for spec in specs:
        firsts.setdefault((spec.agent.name, spec.env.name), spec)
    by_env: dict[str, list[RunSpec]] = {}
    for spec in firsts.values():
        by_env.setdefault(spec.env.name, []).append(spec)
    for group in by_env.values():
        env = make_env(group[0].env)
        try:
            for spec in group:
                kind = agent_kind(spec.agent.kind)
                where = f"agent {spec.agent.name!r} of kind {spec.agent.kind!r} on {spec.env.name!r}"
                try:
                    check = kind.checker() or kind.builder()  # building one validates too
                    check(env, spec)
                except PSGraphError as exc:
                    exc.add_note(f"({where})")
                    raise
                except Exception as exc:  # MemoryError, a raw error of the agent's own: the hyperparameters
                    raise ConfigError(
                        f"{where} cannot be built with hyperparameters {show(spec.agent.hyperparameters)}: "
                        f"{_cause(exc)}. Check them against the agent's documented ranges."
                    ) from None
        finally:
            env.close()


class _Clock(StoppingRule):
    """Records each episode's end time (seconds since ``start``) and asks ``rule``, if any."""

    def __init__(self, rule: StoppingRule | None) -> None:
        self.rule, self.start = rule, time.perf_counter()
        self.times: list[float] = []

    def done(self, history: Any) -> bool:
        self.times.append(time.perf_counter() - self.start)
        return self.rule is not None and self.rule.done(history)

    def reason(self) -> str:
        return self.rule.reason() if self.rule is not None else super().reason()


def run_spec(
    spec: RunSpec, build: Callable[[Any, RunSpec], Any] | None = None, *, stop: StoppingRule | None = None
) -> TrainResult:
    """Run one spec in this process and return its result; writes nothing.

    ``build`` defaults to the registered kind's. The result's ``info`` holds
    ``episode_wall_time`` (seconds from the start of training to the end of each episode)
    and ``agent_config`` (the agent's resolved hyperparameters, ``agent.config.to_dict()``,
    or None for agents without one). ``stop``, a :class:`~ps_graph.stopping.StoppingRule`
    such as ``StopWhenMeanReturn(last=100, at_least=0.9)`` (default: the spec's own
    :attr:`RunSpec.stop`), ends the run early when it holds: the result then has the
    episodes completed and ``info["stopped"]`` (its ``stopped``).

    >>> spec = RunSpec(AgentSpec("ps-fast"), EnvSpec("FrozenLake-v1"), run=0, seed=3, episodes=5)
    >>> a, b = run_spec(spec), run_spec(spec)
    >>> a.episodes, bool((a.returns == b.returns).all() and (a.lengths == b.lengths).all())
    (5, True)
    >>> from ps_graph.stopping import StopWhenMeanReturn
    >>> early = run_spec(spec, stop=StopWhenMeanReturn(last=2, at_least=0.0))
    >>> early.episodes, early.stopped
    (2, 'the mean return over the last 2 episodes reached 0')
    """
    if stop is not None and not isinstance(stop, StoppingRule):
        raise ConfigError(
            f"stop must be a StoppingRule such as StopWhenMeanReturn(last=100, at_least=0.9), or None; got {stop!r}."
        )
    if stop is None:
        stop = spec.stop
    if build is None:
        build = agent_kind(spec.agent.kind).builder()
    env = make_env(spec.env)
    try:
        agent = build(env, spec)
        agent_config = _agent_config(agent)
        clock = _Clock(stop)
        result = train(
            agent,
            env,
            spec.episodes,
            total_steps=spec.total_steps,
            seed=spec.seed,
            max_steps=spec.max_steps,
            callback=clock,
        )
    finally:
        env.close()
    info: dict[str, Any] = {
        "episode_wall_time": np.asarray(clock.times, dtype=np.float64),
        "agent_config": agent_config,
    }
    if result.stopped is not None:
        info["stopped"] = result.stopped
    return TrainResult(result.returns, result.lengths, result.terminated, result.wall_time, info=info)


def _agent_config(agent) -> dict[str, Any] | None:
    to_dict = getattr(getattr(agent, "config", None), "to_dict", None)
    if not callable(to_dict):
        return None
    return json.loads(json.dumps(to_dict(), default=repr, allow_nan=True))
