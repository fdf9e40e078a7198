"""How a :class:`~ps_graph.PSAgent` decides: one walk, majority voting, reflection, and
multi-excitation over factorized percepts.

Whole percepts (``PSConfig.percepts = "whole"``, the default): the observation excites one
percept clip and a random walk (:meth:`ECM.walk <ps_graph.ecm.ECM.walk>`) reaches an action.

Factorized percepts (``percepts = "factorized"``): an observation of several features (a
Tuple, MultiDiscrete or MultiBinary observation; a Discrete one is one feature) excites one
percept clip per ``(feature, value)``, key ``("percept", (i, value))``. The clips they excite
together decide (multi-excitation, LeMaitre, Krumm & Briegel, arXiv:2402.10192): the
*deciders* are the excited percept clips themselves (no growth rule; each wired to every
action) or the clips a growth rule names for them (:class:`~ps_graph.growth.Conjunctions`:
conjunction clips of k features). The agent chooses among the edges of all deciders to the
actions at once, with probability ``w / sum w`` over those edges (``w`` the edge's hopping
weight: h, or ``exp(beta (h + priming))`` under the softmax policy), and the one edge it used
glows and learns, as every edge does (damping and glow included).

Majority voting (``votes = n > 1``) takes n such decisions, keeps the action most of them
reached (the first in action order among ties) and decides again until a decision reaches it,
so the glowing path matches the action taken (:func:`ps_graph.rules.majority_decision`).
Reflection (``num_reflections``) repeats the whole decision while the chosen (source, action)
pair's emotion is negative.

>>> import ps_graph
>>> from gymnasium import spaces
>>> agent = ps_graph.PSAgent(2, spaces.MultiDiscrete([3, 2]), percepts="factorized", seed=0)
>>> agent.percepts([2, 1])
[('percept', (0, 2)), ('percept', (1, 1))]
>>> agent.action_probabilities([2, 1])   # four edges at h0 = 1, two into each action
{0: 0.5, 1: 0.5}
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING

from . import rules
from .ecm import ECM
from .errors import WalkError

if TYPE_CHECKING:
    from .agent import PSAgent

__all__ = ["decide", "decision_edges", "deciders", "would_be_ecm", "feature_keys", "multi_excitation_probabilities"]


def feature_keys(key: Hashable) -> list[tuple[int, Hashable]]:
    """The ``(feature, value)`` keys of a factorized percept key: one per element of a tuple,
    ``[(0, key)]`` for anything else.

    >>> feature_keys((3, 0, 7)), feature_keys(5)
    ([(0, 3), (1, 0), (2, 7)], [(0, 5)])
    """
    if isinstance(key, tuple):
        return list(enumerate(key))
    return [(0, key)]


def deciders(agent: PSAgent, clips: Sequence[Hashable], create: bool) -> list[Hashable]:
    """The clips that decide for the excited percept ``clips``: ``clips`` themselves, or the
    growth rule's (``on_excitation``, which creates those missing, or ``deciders``, which only
    names them, when ``create`` is False)."""
    growth = agent.growth
    if growth is None:
        return list(clips)
    found = growth.on_excitation(agent, clips) if create else growth.deciders(agent, clips)
    return list(found)


def decision_edges(agent: PSAgent, clips: Sequence[Hashable]) -> tuple[list, list, list[float]]:
    """``(sources, targets, h)``: every decider -> action edge of the deciders ``clips``, a
    decider not in the ECM yet (a preview) at h0 to every action."""
    ecm = agent.ecm
    sources: list = []
    targets: list = []
    h: list[float] = []
    for clip in clips:
        row = ecm.out_h(clip) if clip in ecm else dict.fromkeys(agent.action_clips, ecm.h0)
        percept = clip in ecm and ecm.kind(clip) == "percept"
        for target, value in row.items():
            if target not in agent.action_position:
                if percept:  # a feature clip deciding itself also points to its conjunctions
                    continue
                raise WalkError(
                    f"the decider {clip!r} has an edge to {target!r}, which is not an action clip; under "
                    "multi-excitation every hidden decider connects only to actions."
                )
            sources.append(clip)
            targets.append(target)
            h.append(value)
    if not h:
        raise WalkError(f"the excited clips {list(clips)!r} have no edges to actions, so no decision can be made.")
    return sources, targets, h


def multi_excitation_probabilities(agent: PSAgent, clips: Sequence[Hashable], create: bool) -> dict[Hashable, float]:
    """Exact probability of each action clip for the excited percept ``clips`` (see the module)."""
    ecm = agent.ecm
    _, targets, h = decision_edges(agent, deciders(agent, clips, create))
    probs = rules.hopping_probabilities(h, ecm.policy, ecm.beta_softmax, ecm.prime_row(tuple(targets)))
    out: dict[Hashable, float] = dict.fromkeys(agent.action_clips, 0.0)
    for target, p in zip(targets, probs):
        out[target] += p
    return out


def decide(agent: PSAgent, clips: Sequence[Hashable]) -> list[Hashable]:
    """The path of one decision for the excited percept ``clips`` (the walk's clips, or
    ``[decider, action]`` under multi-excitation), voting and reflection included; only read."""
    ecm, rng, config = agent.ecm, agent.rng, agent.config
    if config.percepts == "whole":
        start = clips[0]

        def once() -> list[Hashable]:
            return ecm.walk(start, rng)

    else:
        sources, targets, h = decision_edges(agent, deciders(agent, clips, create=True))
        weights = rules.hopping_weights(h, ecm.policy, ecm.beta_softmax, ecm.prime_row(tuple(targets)))

        def once() -> list[Hashable]:
            j = rules.sample_index(weights, rng.random())
            return [sources[j], targets[j]]

    position = agent.action_position

    def end(path: list[Hashable]) -> int:
        return position[path[-1]]

    path = rules.majority_decision(once, config.votes, end)
    for _ in range(config.num_reflections):
        if agent.emotions.get((path[0], path[-1]), True):
            break
        path = rules.majority_decision(once, config.votes, end)
    return path


def would_be_ecm(
    ecm: ECM, clip: Hashable, actions: Sequence[Hashable], added: Mapping, initial: list[float] | None = None
) -> ECM:
    """A scratch ECM (same policy) holding what a walk from the unseen percept ``clip``
    could reach once it is created: ``clip`` -> ``actions`` and ``added[clip]``; every
    other ``source`` -> its current out-edges in ``ecm`` and ``added[source]``.
    New edges get h0 (``clip``'s edges to the actions ``initial``, if given), an edge that exists
    keeps its h (as ``ECM.connect`` does). ``ecm``
    is only read, so its exact solve is the one the created clip would get."""
    h0, rows, seen, todo = ecm.h0, {}, {clip}, [clip]
    while todo:
        source = todo.pop()
        if source == clip:
            row = dict.fromkeys(actions, h0) if initial is None else dict(zip(actions, initial))
        else:
            row = ecm.out_h(source) if source in ecm else {}
        for target in added.get(source, ()):
            row.setdefault(target, h0)
        rows[source] = row
        for target in row:
            if target not in seen and target not in actions:
                seen.add(target)
                todo.append(target)
    # the values read are >= h_floor; the scratch floor only has to admit them
    floor = min([ecm.h_floor, *(h for row in rows.values() for h in row.values())])
    scratch = ECM(policy=ecm.policy, beta_softmax=ecm.beta_softmax, h0=h0, h_floor=floor)
    for action in actions:
        scratch.add_action(action)
    scratch.set_priming(ecm.priming)
    scratch.add_percept(clip)
    for source in rows:
        if source in ecm and ecm.kind(source) == "percept":
            scratch.add_percept(source)  # not a valid target: add_edge says so
        elif source != clip:
            scratch.add_hidden(source)
    for source, row in rows.items():
        for target, h in row.items():
            scratch.add_edge(source, target, h)
    return scratch
