"""Reading a :class:`~ps_graph.growth.Generalization` rule back from an agent file.

:meth:`Generalization.to_json` writes ``{"rule", "params", "state"}``; :func:`read_state`
checks such a document against the agent's restored ECM, field by field with
:mod:`ps_graph.checks` (errors name the field, e.g. ``growth.state.wildcards[2].born``), and
returns the new rule with the state to put back (:meth:`Generalization.from_json` does both).
This module knows the rule only through the class it is given, so it imports nothing of it.

>>> import ps_graph
>>> from ps_graph.growth import Generalization
>>> rule = Generalization()
>>> agent = ps_graph.PSAgent(2, growth=rule, seed=0)
>>> _ = agent.percept((0, 0)), agent.percept((0, 1))
>>> doc = rule.to_json()
>>> doc["state"]["wildcards"][0]["born"] = 7
>>> read_state(Generalization, doc, agent, 12)
Traceback (most recent call last):
...
ps_graph.errors.ConfigError: growth.state.wildcards[0].born must be an integer in 0..steps=0; got 7.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

from ..checks import check_int, show
from ..errors import ConfigError, PSGraphError
from ..fileformat import check_entries, check_flag, check_key, check_object, key_in_space

if TYPE_CHECKING:
    from ..agent import PSAgent

__all__ = ["read_state"]

_STATE_FIELDS = ("features", "percepts", "wildcards", "steps", "warned")


def read_state(make: Callable[..., Any], doc: Any, agent: PSAgent, max_features: int) -> tuple[Any, dict[str, Any]]:
    """``(make(**params), state)`` for the rule that ``doc`` describes, after checking the
    document against ``agent``'s ECM; ``state`` holds ``features``, ``percepts`` (keys in
    the order seen), ``wildcards`` (``(clip, born)`` pairs), ``steps`` and ``warned``.
    Raises :class:`~ps_graph.errors.ConfigError` naming the field when they disagree."""
    doc = check_object("growth", doc, ("params", "state"))
    params = doc["params"]
    names = list(make().params())
    if not isinstance(params, dict) or set(params) != set(names):
        raise ConfigError(f"growth.params must hold exactly {', '.join(names)}; got {show(params)}.")
    try:
        rule = make(**params)
    except PSGraphError as err:
        raise ConfigError(f"growth.params: {err}") from None
    state = check_object("growth.state", doc["state"], _STATE_FIELDS)
    steps = check_int("growth.state.steps", state["steps"], 0, 2**63 - 1, allowed="an integer >= 0 (64-bit)")
    warned = check_flag("growth.state.warned", state["warned"])
    features = state["features"]
    if features is not None:
        features = check_int(
            "growth.state.features", features, 1, max_features, allowed=f"null or an integer in 1..{max_features}"
        )
        if agent.config.max_hops <= features:  # percept -> 1 wildcard -> ... -> `features` wildcards -> action
            raise ConfigError(
                f"growth.state.features is {features}, so walks through wildcard clips may take up to {features + 1} "
                f"hops, more than config.max_hops = {agent.config.max_hops}; raise max_hops."
            )
    ecm = agent.ecm

    def percept(where: str, value) -> tuple:
        key = check_key(where, value)
        clip = ("percept", key)
        if (
            not isinstance(key, tuple)
            or len(key) != features
            or None in key
            or not key_in_space(key, agent.observation_space)
            or clip not in ecm
            or ecm.kind(clip) != "percept"
        ):
            raise ConfigError(f"{where} = {show(value)} is not a percept of the ECM with {features} features.")
        return key

    seen: set[Hashable] = set()

    def wildcard(where: str, entry) -> tuple[Hashable, int]:
        entry = check_object(where, entry, ("pattern", "born"))
        if set(entry) != {"pattern", "born"}:
            raise ConfigError(f"{where} must be an object with 'pattern' and 'born' only; got {show(entry)}.")
        pattern = check_key(f"{where}.pattern", entry["pattern"])
        wild = ("hidden", pattern)
        if (
            not isinstance(pattern, tuple)
            or len(pattern) != features
            or wild not in ecm
            or ecm.kind(wild) != "hidden"
            or wild in seen
        ):
            raise ConfigError(
                f"{where}.pattern = {show(entry['pattern'])} is not a hidden clip of the ECM "
                f"(listed once, {features} features)."
            )
        seen.add(wild)
        return wild, check_int(f"{where}.born", entry["born"], 0, steps, allowed=f"an integer in 0..steps={steps}")

    percepts = check_entries("growth.state.percepts", state["percepts"], percept)
    wildcards = check_entries("growth.state.wildcards", state["wildcards"], wildcard)
    if (
        len(percepts) != len(set(percepts))
        or len(percepts) != len(ecm.clips("percept"))
        or len(wildcards) != len(ecm.clips("hidden"))
    ):
        raise ConfigError(
            "growth.state does not list the ECM's percept and hidden clips, each once; the file was edited."
        )
    return rule, {"features": features, "percepts": percepts, "wildcards": wildcards, "steps": steps, "warned": warned}
