"""Growth rules: hidden clips that a :class:`~ps_graph.PSAgent`'s ECM grows while it learns.

The protocol
------------
A growth rule is any object with the method

``on_percept(agent, clip)``
    called by the agent right after it created the new percept clip ``clip`` (its key is
    ``("percept", percept_key)``) and wired it to every action clip with h0;

and optionally

``after_reward(agent, reward)``
    called at the end of every ``agent.observe(...)`` that learned, after the learning
    step (and after the glow reset when the episode ended);

``preview(agent, clip) -> {source: [target, ...]}``
    the edges ``on_percept(agent, clip)`` *would* add for the unseen percept clip
    ``clip`` (all at h0, each source's targets in the order they would be connected),
    computed without changing the agent, the ECM or the rule: ``clip`` -> its targets
    besides the actions (which the agent wires itself), each clip the rule would create
    -> all its targets, each existing clip that would gain edges -> the new targets. A
    source or target not yet in ``agent.ecm`` is a hidden clip the rule would create.
    :meth:`PSAgent.action_probabilities <ps_graph.PSAgent.action_probabilities>` and
    greedy evaluation (``act(obs, explore=False)``) use it to act on an unseen percept
    exactly as the agent would right after creating its clip; without it an unseen
    percept gets the first action.

Pass the rule as ``PSAgent(..., growth=rule)``; give each agent its own rule object. A
rule changes ``agent.ecm`` through the ECM's own methods (``add_hidden``, ``connect``,
``add_edge``, ``remove_clip``), so its lazy bookkeeping stays right and new edges start
at h0; ``agent.actions`` lists the actions and :func:`ps_graph.action_clip` gives their
clips. Deliberation walks over whatever layers a rule builds (``ECM.walk``) and every
traversed edge glows, so hidden clips learn like any other. A rule should check its input
before it changes anything: when ``on_percept`` raises, the agent removes the new percept
clip again and re-raises, so a refused percept leaves the agent as it was.

A complete small rule, grouping percepts by their first feature:

>>> import ps_graph
>>> class FirstFeature:
...     '''percept (f, ...) -> hidden clip ("hidden", ("first", f)) -> every action.'''
...     def on_percept(self, agent, clip):
...         feature = clip[1][0]
...         hidden = ("hidden", ("first", feature))
...         if hidden not in agent.ecm:
...             agent.ecm.add_hidden(hidden, layer=1, label=f"first = {feature}")
...             agent.ecm.connect(hidden, [ps_graph.action_clip(a) for a in agent.actions])
...         agent.ecm.connect(clip, [hidden])
>>> agent = ps_graph.PSAgent(2, growth=FirstFeature(), seed=0)
>>> clip = agent.percept((1, 7))
>>> agent.ecm.out_h(clip)
{('action', 0): 1.0, ('action', 1): 1.0, ('hidden', ('first', 1)): 1.0}
>>> agent.ecm.action_probabilities(clip)
{('action', 0): 0.5, ('action', 1): 0.5}

Agents with factorized percepts (``percepts="factorized"``, multi-excitation) also call

``on_excitation(agent, clips) -> [decider, ...]``
    with the percept clips an observation excites, before every decision: the clips whose
    edges to the actions decide (see :mod:`ps_graph.deliberation`), created as needed;

``deciders(agent, clips) -> [decider, ...]``
    the same clips named without creating anything (a clip not in the ECM yet counts with
    h0 on an edge to every action), for exact probabilities and greedy evaluation.

The rules
---------
:class:`Generalization` (:mod:`ps_graph.growth.generalization`): wildcard hidden clips for
percepts that are tuples of categorical features.

:class:`Conjunctions` (:mod:`ps_graph.growth.conjunctions`): multi-excitation conjunction
clips of up to k features (many-body MEPS).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .conjunctions import Conjunctions, conjunction_clip
from .generalization import MAX_FEATURES, WILDCARD, Generalization, wildcard_clip, wildcard_label

if TYPE_CHECKING:
    from ..agent import PSAgent

__all__ = [
    "MAX_FEATURES",
    "RULES",
    "WILDCARD",
    "Conjunctions",
    "conjunction_clip",
    "Generalization",
    "GrowthRule",
    "wildcard_clip",
    "wildcard_label",
]

#: The built-in growth rules by name: the rules a saved agent (JSON, never code) and a run spec can hold.
RULES: dict[str, Any] = {"Generalization": Generalization, "Conjunctions": Conjunctions}


@runtime_checkable
class GrowthRule(Protocol):
    """What ``PSAgent(growth=...)`` takes: ``on_percept`` (required) and, optionally,
    ``after_reward(agent, reward)`` and ``preview(agent, clip)`` methods (see the module
    docstring)."""

    def on_percept(self, agent: PSAgent, clip: Hashable) -> None:
        """Called right after the new percept clip ``clip`` was created and wired to the actions."""
