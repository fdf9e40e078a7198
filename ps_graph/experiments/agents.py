"""Agent kinds: how :func:`~ps_graph.experiments.compare` builds each agent from a run spec."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from .specs import RunSpec

__all__ = ["AgentKind", "AGENTS", "register_agent", "agent_kind", "growth_rule"]


@dataclass(frozen=True)
class AgentKind:
    """How to build one kind of agent: ``build(env, spec) -> agent``.

    ``check(env, spec)``, if given, validates the hyperparameters and the env's spaces
    without building the agent (for agents that are expensive to build); without it,
    :func:`~ps_graph.experiments.compare` builds one agent per environment in the parent
    process to validate, before any worker starts. Both must be importable functions (or
    picklable with cloudpickle) because workers receive them.
    """

    build: Callable[[Any, RunSpec], Any]
    check: Callable[[Any, RunSpec], None] | None = None
    description: str = ""


def growth_rule(value: Any):
    """A fresh growth rule from its JSON form in a run spec (``None`` gives ``None``).

    Run specs hold JSON only, so the ``"ps"`` kind takes ``growth`` as data: a rule's name,
    ``"Generalization"``, or ``{"rule": "Generalization", "params": {...}}`` with the rule's
    constructor arguments (those of :meth:`~ps_graph.growth.Generalization.params`). Every
    run builds its own rule object.

    >>> growth_rule({"rule": "Generalization", "params": {"max_hidden": 5}}).max_hidden
    5
    >>> growth_rule("Generalization").params() == growth_rule({"rule": "Generalization"}).params()
    True
    """
    from ..saving import _GROWTH_RULES  # the built-in rules, the same ones saved agents may hold

    example = '{"rule": "Generalization", "params": {"max_hidden": 1000}}'
    if value is None:
        return None
    if isinstance(value, str):
        value = {"rule": value}
    if not isinstance(value, dict) or "rule" not in value or not set(value) <= {"rule", "params"}:
        raise ConfigError(
            f"growth must be a growth rule's name or a JSON object with 'rule' and optionally 'params', such as "
            f"{example}; got {value!r:.120}."
        )
    name, params = value["rule"], value.get("params", {})
    if not isinstance(name, str) or name not in _GROWTH_RULES:
        raise ConfigError(f"growth rule {name!r} is unknown; known rules: {', '.join(map(repr, _GROWTH_RULES))}.")
    cls = _GROWTH_RULES[name]
    allowed = list(cls().params())
    if not isinstance(params, dict):
        raise ConfigError(f"growth params must be a JSON object of {name}'s arguments ({', '.join(allowed)}); "
                          f"got {params!r:.120}.")
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ConfigError(f"unknown {name} growth parameter(s) {unknown}; allowed: {', '.join(allowed)}.")
    try:
        return cls(**params)
    except ConfigError as err:
        raise ConfigError(f"growth params of {name}: {err}") from None


def _build_ps(env, spec: RunSpec):
    from ..agent import PSAgent

    hp = dict(spec.agent.hyperparameters)
    if "growth" in hp:
        hp["growth"] = growth_rule(hp["growth"])
    return PSAgent.for_env(env, seed=spec.agent_seed, **hp)


def _build_ps_fast(env, spec: RunSpec):
    from ..fast import TwoLayerPS

    return TwoLayerPS.for_env(env, seed=spec.agent_seed, **spec.agent.hyperparameters)


def _build_q(env, spec: RunSpec):
    from qbaselines import QLearningAgent

    return QLearningAgent.for_env(env, seed=spec.agent_seed, **spec.agent.hyperparameters)


def _dqn_hyperparameters(spec: RunSpec) -> dict[str, Any]:
    hp = dict(spec.agent.hyperparameters)
    if spec.total_steps is not None:
        hp.setdefault("total_timesteps", spec.total_steps)
    return {**hp, "seed": spec.agent_seed}


def _build_dqn(env, spec: RunSpec):
    from qbaselines import DQNAgent

    return DQNAgent.for_env(env, **_dqn_hyperparameters(spec))


def _check_dqn(env, spec: RunSpec) -> None:
    """Validate DQN hyperparameters and spaces without importing torch."""
    from qbaselines.dqn import DQNConfig, observation_encoder

    from .._validate import make_config
    from ..percepts import action_list

    make_config(DQNConfig, None, _dqn_hyperparameters(spec), "DQN")
    observation_encoder(env.observation_space)
    action_list(env.action_space)


AGENTS: dict[str, AgentKind] = {
    "ps": AgentKind(_build_ps, description="ps_graph.PSAgent (the ECM graph core; growth as JSON, see "
                                           "growth_rule)"),
    "ps-fast": AgentKind(_build_ps_fast, description="ps_graph.TwoLayerPS (2-layer fast path)"),
    "q": AgentKind(_build_q, description="qbaselines.QLearningAgent (tabular Q-learning / SARSA)"),
    "dqn": AgentKind(_build_dqn, _check_dqn, description="qbaselines.DQNAgent (total_timesteps defaults to a "
                                                         "total_steps budget)"),
}
"""The agent kinds :func:`~ps_graph.experiments.compare` knows, by name; extend with :func:`register_agent`."""


def register_agent(kind: str, build: Callable[[Any, RunSpec], Any], *, check: Callable | None = None,
                   description: str = "", replace: bool = False) -> AgentKind:
    """Make ``kind`` usable in :class:`AgentSpec`: ``build(env, spec)`` returns a fresh agent.

    ``build`` should seed the agent from ``spec.agent_seed`` and pass it
    ``spec.agent.hyperparameters``.

    >>> from ps_graph import PSAgent
    >>> def build(env, spec):
    ...     return PSAgent.for_env(env, seed=spec.agent_seed, eta_glow_damping=1.0, **spec.agent.hyperparameters)
    >>> register_agent("ps-eta1", build).description
    ''
    >>> del AGENTS["ps-eta1"]
    """
    if not isinstance(kind, str) or not kind:
        raise ConfigError(f"agent kind must be a non-empty string; got {kind!r}.")
    if not callable(build) or (check is not None and not callable(check)):
        raise ConfigError("build (and check, if given) must be functions taking (env, spec).")
    if kind in AGENTS and not replace:
        raise ConfigError(f"agent kind {kind!r} is already registered; pass replace=True to replace it.")
    AGENTS[kind] = entry = AgentKind(build, check, description)
    return entry


def agent_kind(kind: str) -> AgentKind:
    """The registered :class:`AgentKind` of ``kind``, or a ConfigError listing the known kinds."""
    try:
        return AGENTS[kind]
    except KeyError:
        raise ConfigError(
            f"unknown agent kind {kind!r}; known kinds: {', '.join(repr(k) for k in AGENTS)}. "
            "Register your own with ps_graph.experiments.register_agent(kind, build)."
        ) from None
