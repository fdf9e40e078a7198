"""The builders of ps_graph's own agent kinds, ``"ps"`` and ``"ps-fast"``.

:mod:`ps_graph.registry` names them as ``"ps_graph.experiments.agents:build_ps"`` and
``"...:build_ps_fast"``; :func:`~ps_graph.experiments.compare` calls them with a
:class:`~ps_graph.experiments.RunSpec`. Other packages register their kinds in the
registry (qbaselines' ``"q"`` and ``"dqn"`` are entry points).

>>> from ps_graph.experiments import AgentSpec, EnvSpec, RunSpec, make_env
>>> spec = RunSpec(AgentSpec("ps", {"growth": "Generalization"}), EnvSpec("FrozenLake-v1"), run=0, seed=3, episodes=1)
>>> type(build_ps(make_env(spec.env), spec).growth).__name__
'Generalization'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..agent import PSAgent
    from ..fast import TwoLayerPS
    from .specs import RunSpec

__all__ = ["build_ps", "build_ps_fast", "growth_rule"]


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
    from ..growth import RULES  # the built-in rules, the same ones saved agents may hold

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
    if not isinstance(name, str) or name not in RULES:
        raise ConfigError(f"growth rule {name!r} is unknown; known rules: {', '.join(map(repr, RULES))}.")
    cls = RULES[name]
    allowed = list(cls().params())
    if not isinstance(params, dict):
        raise ConfigError(
            f"growth params must be a JSON object of {name}'s arguments ({', '.join(allowed)}); got {params!r:.120}."
        )
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ConfigError(f"unknown {name} growth parameter(s) {unknown}; allowed: {', '.join(allowed)}.")
    try:
        return cls(**params)
    except ConfigError as err:
        raise ConfigError(f"growth params of {name}: {err}") from None


def build_ps(env, spec: RunSpec) -> PSAgent:
    """A fresh :class:`~ps_graph.PSAgent` for ``env``, seeded from ``spec.agent_seed``; a
    ``growth`` hyperparameter is a rule's JSON form (see :func:`growth_rule`)."""
    from ..agent import PSAgent

    hp = dict(spec.agent.hyperparameters)
    if "growth" in hp:
        hp["growth"] = growth_rule(hp["growth"])
    return PSAgent.for_env(env, seed=spec.agent_seed, **hp)


def build_ps_fast(env, spec: RunSpec) -> TwoLayerPS:
    """A fresh :class:`~ps_graph.TwoLayerPS` for ``env``, seeded from ``spec.agent_seed``."""
    from ..fast import TwoLayerPS

    return TwoLayerPS.for_env(env, seed=spec.agent_seed, **spec.agent.hyperparameters)
