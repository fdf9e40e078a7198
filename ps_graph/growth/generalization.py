"""Generalization (Melnikov, Makmal, Dunjko & Briegel, Sci. Rep. 2017): wildcard hidden clips.

:class:`Generalization` is the first rule written against the protocol of
:mod:`ps_graph.growth` ("Projective simulation with generalization"). Percepts are tuples of
categorical features. When a new percept arrives, every pattern in which it agrees with some
stored percept exactly (the agreeing components kept, the differing ones replaced by the
wildcard ``#``) becomes a wildcard hidden clip, unless it exists. Wildcard clips are keyed
``("hidden", pattern)`` with the wildcard marker ``None`` in the pattern (:data:`WILDCARD`;
``None`` is JSON-safe for :mod:`ps_graph.keys`, so percept components must not be ``None``)
and labelled like ``"(2, #)"``. A wildcard clip with k wildcards sits in hidden layer k
(more general is deeper; percepts are layer 0, actions one layer past the deepest hidden
clip). Edges, all starting at h0: each percept to the actions and to every wildcard clip
that matches it; each wildcard clip to every more general wildcard clip that matches it and
to the actions. The layers therefore form a DAG and every walk reaches an action.

>>> import ps_graph
>>> rule = Generalization()
>>> agent = ps_graph.PSAgent(2, growth=rule, seed=0)
>>> for key in [(0, 0), (0, 1), (1, 1)]:
...     _ = agent.percept(key)
>>> [agent.ecm.graph.nodes[w]["label"] for w in rule.wildcards]
['(0, #)', '(#, 1)']
>>> agent.ecm.out_h(("percept", (0, 1)))
{('action', 0): 1.0, ('action', 1): 1.0, ('hidden', (0, None)): 1.0, ('hidden', (None, 1)): 1.0}

An unseen percept is judged through the clips it would join (:meth:`Generalization.preview`),
without creating it. With (0, #) -> action 1 at h = 3, the unseen (0, 5) would hop to
action 0, action 1 or (0, #) with 1/3 each: P(action 1) = 1/3 + 1/3 * 3/4 = 7/12.

>>> agent.ecm.add_edge(("hidden", (0, None)), ("action", 1), h=3.0)
>>> {a: round(p, 4) for a, p in agent.action_probabilities((0, 5)).items()}
{0: 0.4167, 1: 0.5833}
>>> agent.act((0, 5), explore=False), ("percept", (0, 5)) in agent.ecm
(1, False)
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

from ..agent import action_clip
from ..checks import check_int, check_real
from ..errors import ConfigError, PSGraphError
from ..keys import encode_key
from .generalization_json import read_state

if TYPE_CHECKING:
    from ..agent import PSAgent

__all__ = ["MAX_FEATURES", "WILDCARD", "Generalization", "wildcard_clip", "wildcard_label"]

logger = logging.getLogger("ps_graph.growth")

#: The wildcard marker in a generalization pattern: ``(2, None)`` reads "(2, #)".
WILDCARD = None
#: Most features a percept may have under :class:`Generalization` (its bookkeeping costs
#: 2**features dictionary entries per stored percept).
MAX_FEATURES = 12

#: A wildcard clip: ``("hidden", pattern)``.
Wildcard = tuple[str, tuple]


def wildcard_clip(pattern: tuple) -> Wildcard:
    """Node key of the wildcard clip for ``pattern`` (``None`` marks a wildcard).

    >>> wildcard_clip((2, None))
    ('hidden', (2, None))
    """
    return ("hidden", tuple(pattern))


def wildcard_label(pattern: tuple) -> str:
    """The label of a wildcard clip: ``#`` for each wildcard, like ``str`` of a tuple.

    >>> wildcard_label((2, None)), wildcard_label(("red", None, 0)), wildcard_label((None,))
    ('(2, #)', "('red', #, 0)", '(#,)')
    """
    parts = ["#" if v is WILDCARD else repr(v) for v in pattern]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _project(key: tuple, positions: tuple[int, ...]) -> tuple:
    return tuple(key[i] for i in positions)


class Generalization:
    """Wildcard hidden clips for percepts that are tuples of categorical features.

    Parameters
    ----------
    max_hidden : int >= 0, default 10000
        Most wildcard clips the rule holds. At the cap no new wildcard clips are created
        (a warning is logged once); the existing ones keep learning and new percepts still
        connect to the existing ones that match them. When one percept would create
        several clips and only some fit, the more specific ones (fewer wildcards) come
        first. 0 makes the agent a plain 2-layer PS.
    all_wildcard : bool, default False
        Also create the fully general clip ``(#, ..., #)`` (once a new percept differs from
        a stored one in every component).
    prune_below : float > 0 or None, default None
        Pruning: every ``prune_every`` learning steps, remove each wildcard clip that is at
        least ``prune_after`` steps old and whose out-edges all have h below this value.
        None never prunes.
    prune_after : int >= 0, default 1000
        Minimum age (learning steps since its creation) of a clip before it can be pruned.
    prune_every : int >= 1, default 1000
        Learning steps between pruning passes (a pass costs O(wildcard clips)).

    Pruning is safe: a clip that has a glowing in- or out-edge (a reward may still be
    due to it) is kept for a later pass. Every other edge keeps its value
    (:meth:`ps_graph.ECM.remove_clip`). A pruned pattern is created afresh (h0) when a
    later percept agrees with a stored one in it again, room permitting.

    Cost: finding the agreement patterns of a new percept with d features costs
    O(d 2**d) dictionary operations whatever the number of stored percepts (see
    :meth:`on_percept`); creating a wildcard clip costs O(the edges it gets). Percepts
    must be tuples of the same length d <= :data:`MAX_FEATURES` without ``None``
    components; anything else raises :class:`~ps_graph.errors.ConfigError`.

    One rule object per agent: its counts describe that agent's percepts, and it refuses
    to grow a second agent (``Generalization(**rule.params())`` is a fresh one). Copies
    and pickles of the agent carry their own copy of the rule.
    """

    def __init__(
        self,
        max_hidden: int = 10_000,
        all_wildcard: bool = False,
        prune_below: float | None = None,
        prune_after: int = 1_000,
        prune_every: int = 1_000,
    ) -> None:
        self.max_hidden = check_int("max_hidden", max_hidden, 0, hint="0 creates no wildcard clips.")
        if not isinstance(all_wildcard, bool):
            raise ConfigError(f"all_wildcard must be True or False; got {all_wildcard!r}.")
        self.all_wildcard = all_wildcard
        self.prune_below = (
            None
            if prune_below is None
            else check_real(
                "prune_below", prune_below, 0.0, low_open=True, hint="Pass an h threshold such as 1.5, or None."
            )
        )
        self.prune_after = check_int("prune_after", prune_after, 0)
        self.prune_every = check_int("prune_every", prune_every, 1)
        self._features: int | None = None
        self._masks: list[tuple[int, tuple[int, ...]]] = []  # mask -> positions of its fixed components
        self._order: list[int] = []  # masks, most specific first
        self._percepts: list[tuple] = []  # percept keys in the order seen
        self._by_projection: dict[tuple[int, tuple], list[Hashable]] = {}  # (mask, values) -> percept clips
        self._wildcards: dict[Wildcard, int] = {}  # wildcard clip -> learning step it was created at
        self._wild_by_projection: dict[tuple[int, tuple], dict[Wildcard, None]] = {}  # ordered sets
        self._steps = 0
        self._warned = False
        self._owner: PSAgent | None = None  # the agent it grows (a reference cycle, as copies and pickles need)

    # ------------------------------------------------------------------ reading
    @property
    def features(self) -> int | None:
        """The number of features per percept (set by the first percept), or None."""
        return self._features

    @property
    def wildcards(self) -> list[Wildcard]:
        """The wildcard clips, oldest first."""
        return list(self._wildcards)

    @property
    def num_hidden(self) -> int:
        return len(self._wildcards)

    @property
    def steps(self) -> int:
        """Learning steps seen (calls of :meth:`after_reward`)."""
        return self._steps

    def params(self) -> dict[str, Any]:
        """The constructor's arguments."""
        names = ("max_hidden", "all_wildcard", "prune_below", "prune_after", "prune_every")
        return {name: getattr(self, name) for name in names}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"Generalization({args})"

    # ------------------------------------------------------------------ protocol
    def on_percept(self, agent: PSAgent, clip: Hashable) -> None:
        """Create the wildcard clips the new percept ``clip`` implies and wire it.

        Which patterns to create: the stored percepts that agree with the new percept x on
        exactly the components S (and differ on all others) give the pattern "x on S,
        # elsewhere". Comparing x with every stored percept would cost O(n) per percept
        (O(n**2) per run). Instead the rule counts, for every subset T of components, the
        stored percepts per projection onto T: ``N(T)`` = how many agree with x on T (at
        least). Those agreeing on exactly S follow by inclusion-exclusion over supersets,
        ``E(S) = sum over T >= S of (-1)**|T - S| N(T)``, computed for all S at once by a
        Moebius transform in O(d 2**d). Every S with ``E(S) > 0`` is a pattern.
        """
        self._bind(agent)
        key = self._check_percept(clip)
        if self._features is None:
            self._set_features(len(key))
        new, calls, capped = self._plan(agent, clip, key)
        if capped:
            self._warn_cap()
        ecm = agent.ecm
        for wild, mask in new:
            ecm.add_hidden(wild, layer=len(key) - mask.bit_count(), label=wildcard_label(wild[1]))
            self._register_wildcard(wild, mask)
        for source, targets in calls:
            ecm.connect(source, targets)
        self._percepts.append(key)
        for mask, pos in self._masks:
            self._by_projection.setdefault((mask, _project(key, pos)), []).append(clip)

    def preview(self, agent: PSAgent, clip: Hashable) -> dict[Hashable, list[Hashable]]:
        """The edges :meth:`on_percept` would add for the unseen percept ``clip``, changing nothing.

        Returns ``{source: [target, ...]}``, every edge at h0, each source's targets in the
        order ``on_percept`` would connect them: ``clip`` -> every wildcard clip that would
        match it; each wildcard clip ``on_percept`` would create (not yet in
        ``agent.ecm``) -> the actions, then the more general wildcard clips that would
        match it; and each existing clip that would gain edges (a stored percept or a more
        specific wildcard clip) -> the new clips. The would-be clips are included: finding
        the patterns only reads the counts, so this is exactly what ``on_percept`` would
        do next, cap included. ``clip``'s edges to the actions, which the agent adds
        itself, are not listed. Bad percepts raise as :meth:`on_percept` would.

        >>> import ps_graph
        >>> rule = Generalization()
        >>> agent = ps_graph.PSAgent(2, growth=rule, seed=0)
        >>> for key in [(0, 0), (1, 1)]:
        ...     _ = agent.percept(key)
        >>> for source, targets in rule.preview(agent, ("percept", (0, 1))).items():
        ...     print(source, "->", targets)
        ('hidden', (0, None)) -> [('action', 0), ('action', 1)]
        ('hidden', (None, 1)) -> [('action', 0), ('action', 1)]
        ('percept', (0, 0)) -> [('hidden', (0, None))]
        ('percept', (1, 1)) -> [('hidden', (None, 1))]
        ('percept', (0, 1)) -> [('hidden', (0, None)), ('hidden', (None, 1))]
        >>> rule.wildcards, len(agent.ecm)  # nothing changed
        ([], 4)
        """
        if self._owner is not None and self._owner is not agent:
            self._bind(agent)  # raises: the rule grows another agent
        key = self._check_percept(clip)
        if clip in agent.ecm:
            raise ConfigError(
                f"preview() is for percepts the agent has not seen; {clip!r} is already in its ECM "
                "(read agent.ecm.action_probabilities(clip) or agent.ecm.out_h(clip) instead)."
            )
        edges: dict[Hashable, dict[Hashable, None]] = {}  # ordered sets: a call may repeat an edge
        if self._features is not None:  # before the first percept there is nothing to agree with
            for source, targets in self._plan(agent, clip, key)[1]:
                if targets:
                    edges.setdefault(source, {}).update(dict.fromkeys(targets))
        return {source: list(targets) for source, targets in edges.items()}

    def _plan(self, agent: PSAgent, clip: Hashable, key: tuple) -> tuple[list, list, bool]:
        """What :meth:`on_percept` does for the new percept ``clip`` (key ``key``), read only.

        Returns the wildcard clips to create as ``(clip, mask)``, most specific first; the
        ``ECM.connect(source, targets)`` calls, in order, that wire them and ``clip`` once
        they exist (an edge may come twice: connect adds it once); and whether the cap held
        some back. Needs the feature count set.
        """
        ecm, d = agent.ecm, len(key)
        full = (1 << d) - 1
        exact = [len(self._by_projection.get((mask, _project(key, pos)), ())) for mask, pos in self._masks]
        for i in range(d):  # Moebius transform over supersets: N(T) -> E(S)
            bit = 1 << i
            for mask in range(full + 1):
                if not mask & bit:
                    exact[mask] -= exact[mask | bit]
        new: list[tuple[Wildcard, int]] = []
        capped = False
        for mask in self._order:
            if mask == full or exact[mask] <= 0 or (mask == 0 and not self.all_wildcard):
                continue
            wild = self._wildcard_of(key, mask)
            if wild in self._wildcards:
                continue
            if len(self._wildcards) + len(new) >= self.max_hidden:
                capped = True
                continue
            if wild in ecm:
                raise PSGraphError(
                    f"the ECM already holds the clip {wild!r}, which this Generalization did not create; "
                    "give each agent its own rule and let the rule alone create ('hidden', pattern) clips."
                )
            new.append((wild, mask))
        created = dict(new)
        actions = [action_clip(a) for a in agent.actions]
        calls: list[tuple[Hashable, Sequence[Hashable]]] = [(wild, actions) for wild, _ in new]
        for wild, mask in new:
            values = _project(key, self._masks[mask][1])
            for percept in self._by_projection.get((mask, values), ()):  # stored percepts that match
                calls.append((percept, [wild]))
            # more specific wildcard clips that match: the existing ones, then the new ones
            specifics = [
                *self._wild_by_projection.get((mask, values), ()),
                *(other for other, sub in new if sub & mask == mask),
            ]
            calls += [(specific, [wild]) for specific in specifics if specific != wild]
            calls += [(wild, [general]) for general in self._matching_wildcards(key, mask, True, created)]
        calls.append((clip, self._matching_wildcards(key, full, True, created)))
        return new, calls, capped

    def after_reward(self, agent: PSAgent, reward: float) -> None:
        """Count the learning step; prune every ``prune_every`` steps when ``prune_below`` is set."""
        self._bind(agent)
        self._steps += 1
        if self.prune_below is not None and self._steps % self.prune_every == 0:
            self.prune(agent)

    def prune(self, agent: PSAgent) -> list[Wildcard]:
        """Remove the wildcard clips that are old enough, weak and not glowing; returns them.

        Needs ``prune_below``. A clip goes when it is at least ``prune_after`` learning
        steps old, every out-edge has h < ``prune_below``, and none of its in- or
        out-edges glows.
        """
        self._bind(agent)
        if self.prune_below is None:
            raise ConfigError("prune() needs a threshold: create the rule with Generalization(prune_below=...).")
        ecm = agent.ecm
        glowing = {clip for edge in ecm.glowing_edges() for clip in edge}
        removed = []
        for wild, born in list(self._wildcards.items()):
            if self._steps - born < self.prune_after or wild in glowing:
                continue
            if max(ecm.out_h(wild).values(), default=0.0) >= self.prune_below:
                continue
            try:
                ecm.remove_clip(wild)
            except ConfigError:  # the only target of some clip (edited by hand): keep it
                continue
            self._unregister_wildcard(wild)
            removed.append(wild)
        return removed

    # ------------------------------------------------------------------ bookkeeping
    def _bind(self, agent: PSAgent) -> None:
        if self._owner is agent:
            return
        if self._owner is not None:
            raise ConfigError(
                "this Generalization already grows another agent's ECM; give each agent its own rule, "
                "e.g. PSAgent(..., growth=Generalization(**rule.params())) per agent."
            )
        self._owner = agent

    def _check_percept(self, clip: Hashable) -> tuple:
        key = clip[1] if isinstance(clip, tuple) and len(clip) == 2 and clip[0] == "percept" else None
        how = "Use an observation space whose percepts are tuples (MultiDiscrete, MultiBinary, Tuple)."
        if not isinstance(key, tuple) or not key:
            raise ConfigError(
                f"Generalization needs percepts that are non-empty tuples of categorical features; got the percept "
                f"clip {clip!r}. {how}"
            )
        d = self._features
        if d is not None and len(key) != d:
            raise ConfigError(
                f"Generalization needs percepts of one length; got {key!r} with {len(key)} features, but earlier "
                f"percepts have {d}. Encode every observation as a tuple of {d} features."
            )
        if len(key) > MAX_FEATURES:
            raise ConfigError(
                f"Generalization handles percepts of at most {MAX_FEATURES} features (its counts grow as "
                f"2**features per percept); got {len(key)}. Group or drop features first."
            )
        if any(v is WILDCARD for v in key):
            raise ConfigError(
                f"percept {key!r} has a None component, but None is the wildcard marker of Generalization; "
                "encode missing values as another value (e.g. -1)."
            )
        return key

    def _set_features(self, d: int) -> None:
        self._features = d
        self._masks = [(mask, tuple(i for i in range(d) if mask >> i & 1)) for mask in range(1 << d)]
        self._order = sorted(range(1 << d), key=lambda m: (-m.bit_count(), m))

    def _wildcard_of(self, key: tuple, mask: int) -> Wildcard:
        return ("hidden", tuple(v if mask >> i & 1 else WILDCARD for i, v in enumerate(key)))

    def _matching_wildcards(self, key: tuple, mask: int, proper: bool, also=()) -> list[Wildcard]:
        """The wildcard clips (existing, or in ``also``) that match ``key`` restricted to
        ``mask``: one per sub-mask (proper sub-masks only when ``proper``), most specific first."""
        found = []
        for sub in self._order:
            if sub & ~mask or (proper and sub == mask):
                continue
            wild = self._wildcard_of(key, sub)
            if wild in self._wildcards or wild in also:
                found.append(wild)
        return found

    def _submasks(self, mask: int):
        sub = mask
        while True:
            yield sub
            if sub == 0:
                return
            sub = (sub - 1) & mask

    def _register_wildcard(self, wild: Wildcard, mask: int, born: int | None = None) -> None:
        self._wildcards[wild] = self._steps if born is None else born
        pattern = wild[1]
        for sub in self._submasks(mask):
            self._wild_by_projection.setdefault((sub, _project(pattern, self._masks[sub][1])), {})[wild] = None

    def _unregister_wildcard(self, wild: Wildcard) -> None:
        del self._wildcards[wild]
        pattern = wild[1]
        mask = sum(1 << i for i, v in enumerate(pattern) if v is not WILDCARD)
        for sub in self._submasks(mask):
            key = (sub, _project(pattern, self._masks[sub][1]))
            members = self._wild_by_projection[key]
            del members[wild]
            if not members:
                del self._wild_by_projection[key]

    def _warn_cap(self) -> None:
        if not self._warned and self.max_hidden:  # max_hidden=0 asks for no wildcard clips: nothing to warn of
            self._warned = True
            logger.warning(
                "Generalization reached max_hidden=%d wildcard clips: no new wildcard clips are created; the "
                "existing ones keep learning and new percepts still connect to those that match. Raise max_hidden, "
                "or set prune_below to free room.",
                self.max_hidden,
            )

    # ------------------------------------------------------------------ saving
    def to_json(self) -> dict[str, Any]:
        """The rule's parameters and state as JSON-safe data (used by :func:`ps_graph.save`).

        The state is the percept keys in the order seen (the per-projection counts are
        rebuilt from them exactly), the wildcard clips with the step each was created at,
        the step count and whether the cap warning was given.
        """
        return {
            "rule": "Generalization",
            "params": self.params(),
            "state": {
                "features": self._features,
                "percepts": [encode_key(k) for k in self._percepts],
                "wildcards": [{"pattern": encode_key(w[1]), "born": born} for w, born in self._wildcards.items()],
                "steps": self._steps,
                "warned": self._warned,
            },
        }

    @classmethod
    def from_json(cls, doc: Any, agent: PSAgent) -> Generalization:
        """The rule :meth:`to_json` described, attached to ``agent`` (whose ECM is already
        restored); raises :class:`~ps_graph.errors.ConfigError` naming the field when they
        disagree (the checks are in :mod:`ps_graph.growth.generalization_json`)."""
        rule, state = read_state(cls, doc, agent, MAX_FEATURES)
        rule._steps, rule._warned = state["steps"], state["warned"]
        if state["features"] is not None:
            rule._set_features(state["features"])
        for key in state["percepts"]:
            rule._percepts.append(key)
            for mask, pos in rule._masks:
                rule._by_projection.setdefault((mask, _project(key, pos)), []).append(("percept", key))
        for wild, born in state["wildcards"]:
            rule._register_wildcard(wild, sum(1 << j for j, v in enumerate(wild[1]) if v is not WILDCARD), born)
        agent.growth = rule
        rule._owner = agent
        return rule
