"""Several agents in one world: the train loop for PettingZoo AEC environments.

:func:`train_multi` runs a dict of agents, keyed by the env's agent names, through any
PettingZoo AEC environment (agents act in turn, as :func:`pettingzoo.AECEnv.agent_iter`
selects them). Each agent speaks the ordinary protocol (``act``, ``observe``), so PS agents
(graph or fast path) and Q-learning agents learn in a collective unchanged: an agent learns
from its own reward, which the AEC API hands it at its next turn (``env.last()``).

>>> from ps_graph.envs.locusts import Locusts
>>> from ps_graph import TwoLayerPS
>>> env = Locusts(num_agents=4, world_size=20, sensory_range=3)
>>> agents = {name: TwoLayerPS(2, env.observation_space(name), seed=i) for i, name in enumerate(env.possible_agents)}
>>> result = train_multi(agents, env, episodes=5, seed=0)
>>> result.mean_reward_per_step.shape, result.per_agent["locust_0"].lengths.tolist()
((5,), [10, 10, 10, 10, 10])
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .checks import check_int, check_reward, check_seed
from .errors import ConfigError, EnvError
from .stopping import StoppingRule, StopTraining, ask, check_callback
from .training import TrainResult

__all__ = ["MultiResult", "train_multi"]


@dataclass(frozen=True)
class MultiResult:
    """What :func:`train_multi` measured.

    Attributes
    ----------
    per_agent : dict of TrainResult
        Each agent's per-episode return (sum of its rewards) and length (its own steps).
    mean_reward_per_step : float64 array
        Per episode: every agent's rewards summed, divided by every agent's steps.
    wall_time : float
    stopped : str or None
        Why a callback ended the run early (:mod:`ps_graph.stopping`), None if it used its budget.
    """

    per_agent: dict[str, TrainResult]
    mean_reward_per_step: np.ndarray
    wall_time: float = 0.0
    stopped: str | None = None

    @property
    def episodes(self) -> int:
        return len(self.mean_reward_per_step)


class _Episode:
    """One episode's bookkeeping: rewards, steps and the agents awaiting ``observe``."""

    def __init__(self, names: list[str]) -> None:
        self.returns = dict.fromkeys(names, 0.0)
        self.steps = dict.fromkeys(names, 0)
        self.pending: set[str] = set()


def _check_agents(agents: Mapping[str, Any], env) -> list[str]:
    names = list(getattr(env, "possible_agents", []))
    if not names or not callable(getattr(env, "agent_iter", None)):
        raise ConfigError(
            f"env must be a PettingZoo AEC environment (agent_iter, last, step); got {type(env).__name__}."
        )
    if not isinstance(agents, Mapping) or set(agents) != set(names):
        got = sorted(agents) if isinstance(agents, Mapping) else type(agents).__name__
        raise ConfigError(f"agents must be a dict with one agent per env agent name {names}; got {got}.")
    for name, agent in agents.items():
        if not (callable(getattr(agent, "act", None)) and callable(getattr(agent, "observe", None))):
            raise ConfigError(
                f"agent {name!r} must have act(observation) and observe(...); got {type(agent).__name__}."
            )
    return names


def _learn(agent, ep: _Episode, name: str, reward: float, obs: Any, terminated: bool, truncated: bool) -> None:
    ep.returns[name] += reward
    agent.observe(reward, obs, terminated, truncated)
    ep.pending.discard(name)


def _cut(agents: Mapping[str, Any], env, ep: _Episode) -> None:
    """``max_steps`` reached: every agent still awaiting its reward observes it now, truncated."""
    for name in list(ep.pending):
        reward = check_reward(env._cumulative_rewards[name])  # what env.last() would give it at its turn
        _learn(agents[name], ep, name, reward, env.observe(name), False, True)


def _run_episode(agents: Mapping[str, Any], env, names: list[str], seed: int | None, max_steps: int | None) -> _Episode:
    ep = _Episode(names)
    env.reset(seed=seed)
    for name in env.agent_iter():
        obs, reward, terminated, truncated, _ = env.last()
        if name in ep.pending:
            _learn(agents[name], ep, name, check_reward(reward), obs, bool(terminated), bool(truncated))
        if terminated or truncated:
            env.step(None)
            continue
        if max_steps is not None and ep.steps[name] >= max_steps:
            _cut(agents, env, ep)
            break
        if not env.observation_space(name).contains(obs):
            raise EnvError(f"{type(env).__name__} gave {name} the observation {obs!r}, outside its space.")
        env.step(agents[name].act(obs))
        ep.pending.add(name)
        ep.steps[name] += 1
    return ep


def train_multi(
    agents: Mapping[str, Any],
    env,
    episodes: int,
    *,
    max_steps: int | None = None,
    seed: int | None = None,
    callback: Callable[[int, Mapping[str, Any]], object] | StoppingRule | None = None,
) -> MultiResult:
    """Train ``agents`` (a dict keyed by ``env.possible_agents``) together on the AEC ``env``.

    Every episode resets the env (with ``seed`` the first time, so a run is reproducible from
    it and the agents' own seeds) and steps it until every agent is terminated or truncated, or
    until an agent's turn comes after it has taken ``max_steps`` steps: then every agent still
    awaiting its reward observes it, truncated. PS agents reset their glow when an episode ends,
    as in :func:`~ps_graph.train`.

    ``callback(episode, agents)``, if given, is called after each episode (trial) with the
    number of episodes finished; it stops the run by returning :data:`~ps_graph.stopping.STOP`
    (or True) or raising :class:`~ps_graph.stopping.StopTraining`. A
    :class:`~ps_graph.stopping.StoppingRule` reads the agents' mean return per episode. The
    result then holds the episodes completed and its ``stopped`` reason.
    """
    names = _check_agents(agents, env)
    check_callback(callback, "callback(episode, agents) called after each episode")
    episodes = check_int("episodes", episodes, 1, 10**9)
    if max_steps is not None:
        max_steps = check_int("max_steps", max_steps, 1, 10**9)
    seed = check_seed("seed", seed)
    returns = {name: np.zeros(episodes) for name in names}
    lengths = {name: np.zeros(episodes, np.int64) for name in names}
    mean = np.zeros(episodes)
    team: list[float] = []  # the agents' mean return per episode, for a StoppingRule
    start, done, stopped = time.perf_counter(), 0, None
    try:
        for e in range(episodes):
            ep = _run_episode(agents, env, names, seed if e == 0 else None, max_steps)
            for name in names:
                returns[name][e], lengths[name][e] = ep.returns[name], ep.steps[name]
            total_steps = sum(ep.steps.values())
            mean[e] = sum(ep.returns.values()) / total_steps if total_steps else 0.0
            team.append(sum(ep.returns.values()) / len(names))
            done = e + 1
            if callback is not None:
                ask(callback, team, done, agents)
    except StopTraining as stop:
        stopped = stop.reason
    wall = time.perf_counter() - start
    per_agent = {
        name: TrainResult(returns[name][:done], lengths[name][:done], np.zeros(done, bool), wall) for name in names
    }
    return MultiResult(per_agent, mean[:done], wall, stopped)
