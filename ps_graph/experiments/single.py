"""Running one run spec in this process: make the env, build the agent, train; no files."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..registry import agent_kind
from ..training import TrainResult, train
from .specs import AgentSpec, EnvSpec, RunSpec  # noqa: F401  (AgentSpec: for the doctest)

__all__ = ["make_env", "run_spec", "validate"]


def make_env(env: EnvSpec):
    """``gymnasium.make(env.id, **env.kwargs)``, with a ConfigError that says what went wrong."""
    import gymnasium as gym

    from .. import envs as _register  # noqa: F401  (registers ps_graph/*-v0)

    try:
        return gym.make(env.id, **env.kwargs)
    except gym.error.Error as exc:
        raise ConfigError(
            f"cannot make environment {env.name!r}: {str(exc).rstrip('.')}. Use an id gymnasium.make accepts, "
            "e.g. 'FrozenLake-v1' or 'ps_graph/GridWorld-v0', or 'module:EnvId' to import your own."
        ) from None
    except TypeError as exc:
        raise ConfigError(f"cannot make environment {env.name!r} with kwargs {env.kwargs}: {exc}.") from None


def validate(specs: Sequence[RunSpec]) -> None:
    """Check every agent's hyperparameters against every environment, before any run starts.

    Builds one agent per (agent, environment) pair (or calls the kind's ``check``), so a
    typo raises the agent's own ConfigError here.
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
                try:
                    check = kind.checker() or kind.builder()  # building one validates too
                    check(env, spec)
                except Exception as exc:
                    exc.add_note(f"(agent {spec.agent.name!r} of kind {spec.agent.kind!r} on {spec.env.name!r})")
                    raise
        finally:
            env.close()


def run_spec(spec: RunSpec, build: Callable[[Any, RunSpec], Any] | None = None) -> TrainResult:
    """Run one spec in this process and return its result; writes nothing.

    ``build`` defaults to the registered kind's. The result's ``info`` holds
    ``episode_wall_time`` (seconds from the start of training to the end of each episode)
    and ``agent_config`` (the agent's resolved hyperparameters, ``agent.config.to_dict()``,
    or None for agents without one).

    >>> spec = RunSpec(AgentSpec("ps-fast"), EnvSpec("FrozenLake-v1"), run=0, seed=3, episodes=5)
    >>> a, b = run_spec(spec), run_spec(spec)
    >>> a.episodes, bool((a.returns == b.returns).all() and (a.lengths == b.lengths).all())
    (5, True)
    """
    if build is None:
        build = agent_kind(spec.agent.kind).builder()
    env = make_env(spec.env)
    try:
        agent = build(env, spec)
        agent_config = _agent_config(agent)
        times: list[float] = []
        start = time.perf_counter()
        result = train(
            agent,
            env,
            spec.episodes,
            total_steps=spec.total_steps,
            seed=spec.seed,
            max_steps=spec.max_steps,
            callback=lambda *_: times.append(time.perf_counter() - start),
        )
    finally:
        env.close()
    return TrainResult(
        result.returns,
        result.lengths,
        result.terminated,
        result.wall_time,
        info={"episode_wall_time": np.asarray(times, dtype=np.float64), "agent_config": agent_config},
    )


def _agent_config(agent) -> dict[str, Any] | None:
    to_dict = getattr(getattr(agent, "config", None), "to_dict", None)
    if not callable(to_dict):
        return None
    return json.loads(json.dumps(to_dict(), default=repr, allow_nan=True))
