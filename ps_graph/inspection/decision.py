"""Which clips decide under multi-excitation, and how much of the decision each one holds.

An agent with factorized percepts (``PSConfig.percepts = "factorized"``) excites one percept
clip per ``(feature, value)`` of an observation; the *deciders* are those clips (no growth
rule) or the growth rule's clips for them (:class:`~ps_graph.growth.Conjunctions`:
conjunction clips). One decision picks one edge among all decider -> action edges, edge
``j`` with probability ``P_j = w_j / sum_k w_k`` (``w`` the hopping weight:
:func:`ps_graph.rules.hopping_weights`, priming included). A decider's *share* is the sum of
its edges' ``P_j``: the chance that it is the one that decides. Everything is read through
:mod:`ps_graph.deliberation`; no clip is created (a decider not created yet counts with h0
on every edge, as deliberation does).

>>> import ps_graph
>>> from gymnasium import spaces
>>> from ps_graph.growth import Conjunctions
>>> agent = ps_graph.PSAgent(2, spaces.MultiDiscrete([2, 2]), percepts="factorized",
...                          growth=Conjunctions(k=2), seed=0)
>>> clips = excited_clips(agent, [1, 0])
>>> [label_of(agent.ecm, c) for c in clips]
['x0=1', 'x1=0']
>>> probabilities, shares = decider_shares(agent, clips)
>>> probabilities
{('action', 0): 0.5, ('action', 1): 0.5}
>>> [(label_of(agent.ecm, s.clip), s.created, s.share) for s in shares]   # not created yet: h0
[('x0=1 & x1=0', False, 1.0)]
>>> len(agent.ecm)   # nothing was created
2
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import deliberation, rules
from ..agent import percept_clip
from ..ecm import ECM

__all__ = ["DeciderShare", "decider_shares", "excited_clips", "is_factorized", "label_of"]


def is_factorized(agent: object | None) -> bool:
    """Whether ``agent`` decides by multi-excitation (``config.percepts == "factorized"``)."""
    return getattr(getattr(agent, "config", None), "percepts", "whole") == "factorized"


def excited_clips(agent: Any, observation: object) -> list[Hashable]:
    """The percept clips ``observation`` excites, one per ``(feature, value)``, without creating
    any (the keys :meth:`PSAgent.percepts <ps_graph.PSAgent.percepts>` would create)."""
    return [percept_clip(key) for key in deliberation.feature_keys(agent.encode(observation))]


def label_of(ecm: ECM, clip: Hashable) -> str:
    """The label ``clip`` has, or would have once created: ``x<i>=<v>`` for a feature clip
    ``("percept", (i, v))``, ``x<i>=<v> & x<j>=<w>`` for a conjunction clip, as the agent and
    :class:`~ps_graph.growth.Conjunctions` name them; else ``str(clip)``."""
    if clip in ecm:
        return ecm.label(clip)
    kind, key = clip if isinstance(clip, tuple) and len(clip) == 2 else (None, None)
    if kind == "percept" and isinstance(key, tuple) and len(key) == 2:
        return f"x{key[0]}={key[1]}"
    if kind == "hidden" and isinstance(key, tuple) and len(key) == 2 and key[0] == "conjunction":
        return " & ".join(f"x{i}={v}" for i, v in key[1])
    return str(clip)


@dataclass(frozen=True)
class DeciderShare:
    """One decider of a multi-excitation decision (see the module).

    Attributes
    ----------
    clip : the decider clip (a conjunction clip, or a feature's percept clip)
    created : bool, False when the clip does not exist yet (its edges count with h0)
    edges : tuple of ``(action clip, h, probability)``, its edges to the actions in edge
        order; ``probability`` is the edge's ``w / sum w`` over all decider -> action edges
    share : float, the sum of its edges' probabilities: the chance that it decides
    """

    clip: Hashable
    created: bool
    edges: tuple[tuple[Hashable, float, float], ...]
    share: float


def decider_shares(agent: Any, clips: Sequence[Hashable]) -> tuple[dict[Hashable, float], tuple[DeciderShare, ...]]:
    """The exact action probabilities of the excited percept ``clips`` (action clip -> p, as
    :func:`ps_graph.deliberation.multi_excitation_probabilities` gives them, so they equal
    :meth:`PSAgent.action_probabilities <ps_graph.PSAgent.action_probabilities>`), and the
    deciders, largest share first (ties keep the deliberation's order). Changes nothing."""
    ecm = agent.ecm
    found = deliberation.deciders(agent, clips, create=False)
    sources, targets, h = deliberation.decision_edges(agent, found)
    edge_p = rules.hopping_probabilities(h, ecm.policy, ecm.beta_softmax, ecm.prime_row(tuple(targets)))
    rows: dict[Hashable, list[tuple[Hashable, float, float]]] = {clip: [] for clip in found}
    for source, target, value, p in zip(sources, targets, h, edge_p):
        rows[source].append((target, float(value), float(p)))
    shares = [
        DeciderShare(clip, clip in ecm, tuple(row), math.fsum(p for _, _, p in row)) for clip, row in rows.items()
    ]
    shares.sort(key=lambda s: -s.share)  # stable
    return deliberation.multi_excitation_probabilities(agent, clips, create=False), tuple(shares)
