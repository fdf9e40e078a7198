"""Conjunction clips of multi-excitation PS with a k-body cutoff.

LeMaitre, Krumm & Briegel, "Multi-Excitation Projective Simulation with a many-body physics
inspired inductive bias" (arXiv:2402.10192; code: MariusKrumm/ManyBodyMEPS). An agent with
factorized percepts (``PSConfig.percepts = "factorized"``) excites one percept clip per
(feature, value). :class:`Conjunctions` gives every combination of ``order`` excited
features, for each order from ``min_order`` to ``k``, a hidden clip of its own, the
*conjunction clip* ``("hidden", ("conjunction", ((i, v), (j, w), ...)))`` (features in
increasing order), created the first time those values are excited together: its member
percept clips point to it and it points to every action. The agent then decides among the
edges of all excited conjunction clips to the actions (:mod:`ps_graph.deliberation`), and
the edge it used learns.

The paper's k-body agents use conjunctions of exactly k features (``min_order = k``, the
default); ``min_order = 1`` adds lower orders, a 1-body "conjunction" being the feature's
percept clip itself (wired to the actions).

>>> import ps_graph
>>> from gymnasium import spaces
>>> agent = ps_graph.PSAgent(2, spaces.MultiDiscrete([2, 2, 2]), percepts="factorized",
...                          growth=Conjunctions(k=2), seed=0)
>>> _ = agent.act([1, 0, 1])
>>> [agent.ecm.label(c) for c in agent.ecm.clips("hidden")]
['x0=1 & x1=0', 'x0=1 & x2=1', 'x1=0 & x2=1']
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from itertools import combinations
from math import comb
from typing import TYPE_CHECKING, Any

from ..checks import check_int, show
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..agent import PSAgent

__all__ = ["MAX_CONJUNCTIONS", "MAX_ORDER", "Conjunctions", "conjunction_clip"]

#: The largest cutoff k: beyond it the number of conjunctions per observation explodes.
MAX_ORDER = 16
#: The most deciders one observation may excite (sum over orders of C(features, order)).
MAX_CONJUNCTIONS = 100_000


def conjunction_clip(members: tuple[tuple[int, Hashable], ...]) -> tuple[str, tuple]:
    """The key of the conjunction clip of ``members`` (``(feature, value)`` pairs, features increasing)."""
    return ("hidden", ("conjunction", tuple(members)))


class Conjunctions:
    """Growth rule for multi-excitation agents: conjunction clips of ``min_order`` .. ``k``
    excited features (see the module).

    Parameters
    ----------
    k : int in [1, MAX_ORDER], default 2
        The k-body cutoff: the most features one conjunction joins.
    min_order : int in [1, k] or None
        The fewest features; None (the default) means ``k``, the paper's agents.
    """

    def __init__(self, k: int = 2, min_order: int | None = None) -> None:
        self.k = check_int("k", k, 1, MAX_ORDER, hint="The paper's agents use k = 1, 2 or 3.")
        low = self.k if min_order is None else min_order
        self.min_order = check_int("min_order", low, 1, self.k, hint="None means k (conjunctions of exactly k).")

    def params(self) -> dict[str, Any]:
        """The constructor's arguments."""
        return {"k": self.k, "min_order": self.min_order}

    def __repr__(self) -> str:
        return f"Conjunctions(k={self.k}, min_order={self.min_order})"

    # ------------------------------------------------------------------ protocol
    def on_percept(self, agent: PSAgent, clip: Hashable) -> None:
        """A new feature clip: wired to the actions when 1-body conjunctions decide."""
        if agent.config.percepts != "factorized":
            raise ConfigError(
                "Conjunctions joins the clips of factorized percepts; create the agent with percepts='factorized'."
            )
        if self.min_order == 1:
            agent.ecm.connect(clip, agent.action_clips)

    def deciders(self, agent: PSAgent, clips: Sequence[Any]) -> list[Hashable]:
        """The deciding clips for the excited feature ``clips`` (created or not), by order then
        feature; changes nothing."""
        members = sorted((c[1] for c in clips), key=lambda m: m[0])
        total = sum(comb(len(members), r) for r in range(self.min_order, self.k + 1))
        if total > MAX_CONJUNCTIONS:
            raise ConfigError(
                f"{len(members)} excited features with orders {self.min_order}..{self.k} make {total} conjunctions "
                f"per decision, more than MAX_CONJUNCTIONS = {MAX_CONJUNCTIONS}; lower k."
            )
        out: list[Hashable] = []
        for order in range(self.min_order, self.k + 1):
            for combo in combinations(members, order):
                out.append(("percept", combo[0]) if order == 1 else conjunction_clip(combo))
        if not out:
            raise ConfigError(
                f"the observation has {len(members)} feature(s), fewer than min_order = {self.min_order}, so no "
                "conjunction can decide; lower min_order or k."
            )
        return out

    def on_excitation(self, agent: PSAgent, clips: Sequence[Any]) -> list[Hashable]:
        """:meth:`deciders`, creating the conjunction clips that do not exist yet."""
        found = self.deciders(agent, clips)
        ecm = agent.ecm
        for clip in found:
            if clip in ecm:  # a conjunction seen before, or a 1-body feature clip
                continue
            members = clip[1][1]  # type: ignore[index]  # a conjunction clip ("hidden", ("conjunction", members))
            ecm.add_hidden(clip, layer=1, label=" & ".join(f"x{i}={v}" for i, v in members))
            for member in members:
                ecm.connect(("percept", member), [clip])
            ecm.connect(clip, agent.action_clips)
        return found

    def preview(self, agent: PSAgent, clip: Hashable) -> dict:
        """Nothing: conjunctions are created on excitation, not with a percept clip."""
        return {}

    # ------------------------------------------------------------------ files
    def to_json(self) -> dict[str, Any]:
        """The rule as JSON data; its state is the ECM's conjunction clips, saved with the ECM."""
        return {"rule": "Conjunctions", "params": self.params(), "state": {}}

    @classmethod
    def from_json(cls, doc: Any, agent: PSAgent) -> Conjunctions:
        """The rule :meth:`to_json` described, attached to ``agent`` after its ECM was restored,
        checked against it: every hidden clip must be a conjunction of ``min_order`` .. ``k``
        of the ECM's percept clips."""
        from ..fileformat import check_object

        doc = check_object("growth", doc, ("params", "state"))
        params = check_object("growth.params", doc["params"], ("k", "min_order"))
        if set(params) != {"k", "min_order"} or doc["state"] != {}:
            raise ConfigError(f"growth must hold params {{k, min_order}} and an empty state; got {show(doc)}.")
        rule = cls(**params)
        if agent.config.percepts != "factorized":
            raise ConfigError("growth is Conjunctions but config.percepts is not 'factorized'.")
        ecm = agent.ecm
        for clip in ecm.clips("hidden"):
            key = clip[1] if isinstance(clip, tuple) and len(clip) == 2 else None
            members = key[1] if isinstance(key, tuple) and len(key) == 2 and key[0] == "conjunction" else None
            if (
                not isinstance(members, tuple)
                or not rule.min_order <= len(members) <= rule.k
                or len(members) < 2
                or any(("percept", m) not in ecm for m in members)
            ):
                raise ConfigError(
                    f"growth is Conjunctions(k={rule.k}, min_order={rule.min_order}) but the ECM holds the hidden "
                    f"clip {show(clip)}, which is not a conjunction of {rule.min_order}..{rule.k} of its percept clips."
                )
        agent.growth = rule
        return rule
