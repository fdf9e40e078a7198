"""The agent kinds qbaselines adds to ps_graph's registry: ``"q"`` and ``"dqn"``.

``pyproject.toml`` declares them as entry points in the group ``ps_graph.agents``, so
:func:`ps_graph.registry.kinds` finds them without ``ps_graph`` importing qbaselines. The
builders take a :class:`~ps_graph.experiments.RunSpec` and import the agents on use (so
asking the registry for the kinds does not import torch).

>>> from ps_graph.registry import agent_kind
>>> agent_kind("q").file_format, agent_kind("dqn").file_format
('qbaselines.QLearningAgent', 'qbaselines.DQNAgent')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ps_graph.registry import AgentKind

if TYPE_CHECKING:
    from pathlib import Path

    from ps_graph.experiments import RunSpec

    from .dqn import DQNAgent
    from .qlearning import QLearningAgent

__all__ = [
    "build_dqn",
    "build_q",
    "check_dqn",
    "dqn",
    "dqn_hyperparameters",
    "load_dqn",
    "load_q",
    "q",
    "save_dqn",
    "save_q",
]


def build_q(env, spec: RunSpec) -> QLearningAgent:
    """A fresh :class:`~qbaselines.QLearningAgent` for ``env``, seeded from ``spec.agent_seed``."""
    from .qlearning import QLearningAgent

    return QLearningAgent.for_env(env, seed=spec.agent_seed, **spec.agent.hyperparameters)


def dqn_hyperparameters(spec: RunSpec) -> dict[str, Any]:
    """The DQN keywords of ``spec``: its hyperparameters and seed; ``total_timesteps`` (the
    budget the linear exploration schedule is laid over) defaults to ``spec.total_steps``."""
    hp = dict(spec.agent.hyperparameters)
    if spec.total_steps is not None:
        hp.setdefault("total_timesteps", spec.total_steps)
    return {**hp, "seed": spec.agent_seed}


def build_dqn(env, spec: RunSpec) -> DQNAgent:
    """A fresh :class:`~qbaselines.DQNAgent` for ``env`` (see :func:`dqn_hyperparameters`)."""
    from .dqn import DQNAgent

    return DQNAgent.for_env(env, **dqn_hyperparameters(spec))


def check_dqn(env, spec: RunSpec) -> None:
    """Validate the DQN hyperparameters and ``env``'s spaces without importing torch."""
    from ps_graph.checks import make_config
    from ps_graph.percepts import action_list

    from .dqn import DQNConfig, observation_encoder
    from .dqnconfig import check_memory

    config = make_config(DQNConfig, None, dqn_hyperparameters(spec), "DQN")
    obs_dim, _ = observation_encoder(env.observation_space)
    check_memory(config, obs_dim, len(action_list(env.action_space)))


def save_q(agent: QLearningAgent, path) -> Path:
    """:meth:`QLearningAgent.save <qbaselines.QLearningAgent.save>`."""
    return agent.save(path)


def load_q(path) -> QLearningAgent:
    """:meth:`QLearningAgent.load <qbaselines.QLearningAgent.load>`."""
    from .qlearning import QLearningAgent

    return QLearningAgent.load(path)


def save_dqn(agent: DQNAgent, path) -> Path:
    """:meth:`DQNAgent.save <qbaselines.DQNAgent.save>` (a torch file of weights only)."""
    return agent.save(path)


def load_dqn(path, env=None, *, actions=None, observation_space=None) -> DQNAgent:
    """:meth:`DQNAgent.load <qbaselines.DQNAgent.load>`: a DQN file holds no spaces, so pass
    the ``env`` it was trained on (or ``actions`` and ``observation_space``)."""
    from ps_graph.errors import ConfigError

    from .dqn import DQNAgent

    if env is None and (actions is None or observation_space is None):
        raise ConfigError(
            f"a saved DQNAgent ({path}) holds no action or observation space; load it with "
            "load_dqn(path, env) or qbaselines.DQNAgent.load(path, env)."
        )
    return DQNAgent.load(path, env, actions=actions, observation_space=observation_space)


q = AgentKind(
    "qbaselines.kinds:build_q",
    description="qbaselines.QLearningAgent (tabular Q-learning / SARSA)",
    file_format="qbaselines.QLearningAgent",
    save="qbaselines.kinds:save_q",
    load="qbaselines.kinds:load_q",
)

dqn = AgentKind(
    "qbaselines.kinds:build_dqn",
    check="qbaselines.kinds:check_dqn",
    description="qbaselines.DQNAgent (total_timesteps defaults to a total_steps budget)",
    file_format="qbaselines.DQNAgent",
    save="qbaselines.kinds:save_dqn",
    load="qbaselines.kinds:load_dqn",
)
