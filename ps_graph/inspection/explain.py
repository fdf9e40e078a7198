"""Why does the agent act as it does? Exact action distributions and the walks behind them.

Deliberation is a random walk from a percept clip to an action clip, i.e. an absorbing
Markov chain whose absorbing states are the action clips. :func:`explain` reads one
percept's exact action probabilities from that chain (:meth:`ps_graph.ECM.action_probabilities`
solves it; nothing is sampled) and lists the k most probable walks that produce them.
:func:`policy_summary` gives one row per percept: the whole learned policy as a table.

Example
-------
>>> from ps_graph import ECM
>>> ecm = ECM()
>>> ecm.add_percept("s"); ecm.add_hidden("h", label="wall ahead")
>>> ecm.add_action("left"); ecm.add_action("right")
>>> ecm.add_edge("s", "h", h=3.0); ecm.add_edge("s", "left", h=1.0)
>>> ecm.add_edge("h", "right", h=1.0)
>>> e = explain(ecm, "s")
>>> e.probabilities, e.most_likely
({'left': 0.25, 'right': 0.75}, 'right')
>>> e.paths
((('s', 'h', 'right'), 0.75), (('s', 'left'), 0.25))
>>> print(e)   # doctest: +NORMALIZE_WHITESPACE
percept s
action probabilities (exact):
  right  0.7500  <- most likely
  left   0.2500
entropy: 0.5623 nats
2 most probable walks (all there are; they cover 100.00 % of the probability):
  0.7500  s -> wall ahead -> right
  0.2500  s -> left
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import rules
from ..checks import check_int
from ..ecm import ECM
from ..keys import key_id
from .decision import DeciderShare, decider_shares, excited_clips, is_factorized, label_of
from .sources import clip_labels, ecm_of, start_clip

__all__ = ["Explanation", "PerceptPolicy", "explain", "policy_records", "policy_summary"]

_TIE = 1e-12  # action probabilities this close to the maximum count as tied (first action wins)


# ---------------------------------------------------------------------- the math
def _entropy(probabilities: Iterable[float]) -> float:
    """Shannon entropy in nats, ``-sum p ln p`` (terms with p = 0 contribute 0)."""
    return float(-sum(p * math.log(p) for p in probabilities if p > 0.0))


def _most_likely(probabilities: Mapping[Hashable, float]) -> Hashable:
    """The action with the highest probability (the first of those within ``_TIE`` of it)."""
    top = max(probabilities.values())
    return next(a for a, p in probabilities.items() if p >= top - _TIE)


def _distribution(ecm: ECM, clip: Hashable) -> tuple[dict[Hashable, float], Hashable, float]:
    """Exact action probabilities (in the ECM's action order), the most likely action
    (first of ties), and the entropy in nats."""
    exact = ecm.action_probabilities(clip)
    probs = {a: exact[a] for a in ecm.clips("action") if a in exact}
    return probs, _most_likely(probs), _entropy(probs.values())


def _count(n: int, noun: str) -> str:
    """``"1 walk"``, ``"3 walks"``."""
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _column_names(actions: Mapping[Hashable, str]) -> dict[Hashable, str]:
    """Action clip -> the name of its column: its label, or its key id when labels repeat."""
    names = list(actions.values())
    return dict(actions) if len(set(names)) == len(names) else {a: key_id(a) for a in actions}


def _top_walks(ecm: ECM, start: Hashable, k: int, max_expansions: int) -> tuple[list, bool]:
    """The k most probable walks from ``start`` to an action, best first, and whether
    ``max_expansions`` cut the search.

    Best-first search over partial walks: extending a walk multiplies its probability by a
    hopping probability <= 1, so when a complete walk (ending at an action) is popped from
    the max-heap no walk still on the heap, nor any extension of one, is more probable.
    Equal probabilities pop in lexicographic order of the out-edge positions taken, so
    ties follow the ECM's edge order.
    """
    heap: list[tuple[float, tuple[int, ...], tuple[Hashable, ...]]] = [(-1.0, (), (start,))]
    found: list[tuple[tuple[Hashable, ...], float]] = []
    expansions = 0
    rows: dict[Hashable, list[tuple[int, Hashable, float]]] = {}
    while heap and len(found) < k:
        neg_p, order, path = heapq.heappop(heap)
        clip = path[-1]
        if len(path) > 1 and ecm.kind(clip) == "action":
            found.append((path, -neg_p))
            continue
        if expansions >= max_expansions:
            heapq.heappush(heap, (neg_p, order, path))
            return found, True
        expansions += 1
        row = rows.get(clip)
        if row is None:
            row = rows[clip] = [(j, t, p) for j, (t, p) in enumerate(ecm.probabilities(clip).items()) if p > 0.0]
        for j, target, p in row:
            heapq.heappush(heap, (neg_p * p, order + (j,), path + (target,)))
    return found, False


# ---------------------------------------------------------------------- explain
@dataclass(frozen=True)
class Explanation:
    """Why the agent acts as it does on one percept (see :func:`explain`).

    Attributes
    ----------
    percept : the start clip (a percept clip key, e.g. ``("percept", 3)``); under
        multi-excitation the tuple of the excited percept clips
    probabilities : dict, action clip -> exact probability of the walk (the decision) ending
        there, for every action reachable from the percept (in the ECM's action order)
    paths : tuple of ``(walk, probability)``, the most probable walks (each a tuple of
        clips from the percept to an action; under multi-excitation a ``(decider, action)``
        pair, the edge the decision takes), most probable first
    most_likely : the action clip with the highest probability (first of ties)
    entropy : float, Shannon entropy of ``probabilities`` in nats (natural log)
    covered : float, sum of the listed walks' probabilities (1 when they are all the walks)
    truncated : bool, True when ``max_expansions`` stopped the search before ``k`` walks
        were found or all walks were listed
    k : int, how many walks were asked for
    labels : dict, clip -> the ECM's ``label`` attribute, for the text view
    excited : tuple, the excited percept clips: ``(percept,)``, or under multi-excitation
        one clip per ``(feature, value)`` (created or not)
    deciders : tuple of :class:`~ps_graph.inspection.decision.DeciderShare`, under
        multi-excitation the clips that decide, largest share of the decision first (each
        with its edges' h and probability); empty for a walk
    priming : dict, action clip -> its priming term (0 where unprimed) for every action of
        ``probabilities``, when the ECM primes any action; else empty
    votes : int, the agent's majority vote size (``PSConfig.votes``; 1 without an agent)
    decision_probabilities : dict or None, with ``votes > 1`` the exact chance that each
        action wins the vote (what ``act`` takes, before reflection); else None
    """

    percept: Hashable
    probabilities: Mapping[Hashable, float]
    paths: tuple[tuple[tuple[Hashable, ...], float], ...]
    most_likely: Hashable
    entropy: float
    covered: float
    truncated: bool = False
    k: int = 5
    labels: Mapping[Hashable, str] = field(default_factory=dict, repr=False, compare=False)
    excited: tuple[Hashable, ...] = ()
    deciders: tuple[DeciderShare, ...] = ()
    priming: Mapping[Hashable, float] = field(default_factory=dict)
    votes: int = 1
    decision_probabilities: Mapping[Hashable, float] | None = None

    def _name(self, clip: Hashable) -> str:
        return self.labels.get(clip, str(clip))

    def clips(self) -> list[Hashable]:
        """Every clip the explanation names (percept, excited, deciders, actions, walks), each once."""
        found = [*self.excited, *(d.clip for d in self.deciders), *self.probabilities]
        found += [c for path, _ in self.paths for c in path]
        return list(dict.fromkeys([self.percept, *found] if not self.deciders else found))

    def _table(self, values: Mapping[Hashable, float], number: str, mark: bool = False, rank: bool = True) -> list[str]:
        """One line per action, largest value first (ties keep the ECM's order) or in action order."""
        name, width = self._name, max(len(self._name(a)) for a in self.probabilities)
        ranked = sorted(values.items(), key=lambda item: -item[1]) if rank else list(values.items())
        tail = {self.most_likely: "  <- most likely"} if mark else {}
        return [f"  {name(a):<{width}}  {format(v, number)}{tail.get(a, '')}" for a, v in ranked]

    def _decider_lines(self) -> list[str]:
        name = self._name
        lines = ["deciders by share of the decision (P = w / sum of w over every decider -> action edge):"]
        shares = [d.share for d in self.deciders]
        alone = len(shares) == 1 or shares[0] > shares[1] + _TIE  # a tie for the top names no decider
        for i, d in enumerate(self.deciders):
            note = "" if d.created else "  (not created yet: h0 on every edge)"
            lines.append(
                f"  {d.share:.4f}  {name(d.clip)}{note}{'  <- decides most often' if i == 0 and alone else ''}"
            )
            lines += [f"            -> {name(a)}  h = {h:.6g}  P = {p:.4f}" for a, h, p in d.edges]
        return lines

    def to_text(self) -> str:
        """A readable account: action probabilities, entropy, priming and votes when set,
        the deciders under multi-excitation, and the most probable walks."""
        name = self._name
        if self.deciders:
            edges = _count(sum(len(d.edges) for d in self.deciders), "edge")
            lines = [
                f"{len(self.excited)} excited percept clips: " + ", ".join(name(c) for c in self.excited),
                f"action probabilities (exact; one decision among {edges} of {_count(len(self.deciders), 'decider')}):",
            ]
        else:
            lines = [f"percept {name(self.percept)}", "action probabilities (exact):"]
        what = "decision" if self.deciders else "walk"
        lines += self._table(self.probabilities, ".4f", mark=True)
        lines.append(f"entropy: {self.entropy:.4f} nats")
        if self.priming:
            lines += ["priming (added to h inside the softmax):", *self._table(self.priming, "+.4f", rank=False)]
        if self.decision_probabilities is not None:
            lines.append(f"decision probabilities (majority vote of {_count(self.votes, what)}, exact):")
            lines += self._table(self.decision_probabilities, ".4f")
        if self.deciders:
            lines += self._decider_lines()
        n = len(self.paths)
        if self.truncated:
            note = f"search stopped at max_expansions; they cover {100 * self.covered:.2f} %"
        elif n < self.k:
            note = f"all there are; they cover {100 * self.covered:.2f} %"
        else:
            note = f"they cover {100 * self.covered:.2f} %"
        lines.append(f"{_count(n, 'most probable ' + what)} ({note} of the probability):")
        for path, p in self.paths:
            lines.append(f"  {p:.4f}  " + " -> ".join(name(c) for c in path))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-safe values: clips as :func:`~ps_graph.keys.key_id` ids
        (``id``) beside their labels; per-action values keyed by the action's label (its id
        when labels repeat)."""
        name = self._name
        actions = _column_names({a: name(a) for a in self.probabilities})

        def per_action(values: Mapping[Hashable, float] | None) -> dict[str, float] | None:
            return None if values is None else {actions[a]: float(v) for a, v in values.items()}

        def clip(c: Hashable) -> dict[str, str]:
            return {"id": key_id(c), "label": name(c)}

        return {
            "percept": key_id(self.percept),
            "excited": [clip(c) for c in self.excited],
            "probabilities": per_action(self.probabilities),
            "most_likely": actions[self.most_likely],
            "entropy": float(self.entropy),
            "priming": per_action(self.priming),
            "votes": int(self.votes),
            "decision_probabilities": per_action(self.decision_probabilities),
            "deciders": [
                {
                    **clip(d.clip),
                    "created": d.created,
                    "share": float(d.share),
                    "edges": [{"action": actions[a], "h": float(h), "probability": float(p)} for a, h, p in d.edges],
                }
                for d in self.deciders
            ],
            "paths": [{"clips": [clip(c) for c in path], "probability": float(p)} for path, p in self.paths],
            "covered": float(self.covered),
            "truncated": bool(self.truncated),
            "k": int(self.k),
        }


def explain(source: object, percept: object, k: int = 5, max_expansions: int = 100_000) -> Explanation:
    """Exact action distribution of ``percept`` and its ``k`` most probable walks.

    Parameters
    ----------
    source : ECM, PSAgent or TwoLayerPS
        What to explain (a TwoLayerPS is read through its equivalent ECM, ``to_ecm()``).
    percept : clip key, or (with an agent) percept key or observation
        E.g. ``("percept", 3)``; with an agent also ``3`` or the observation itself. For an
        agent with factorized percepts: the observation (its features may be unseen).
    k : int >= 1
        How many walks to list.
    max_expansions : int >= 1
        Most partial walks the best-first search extends; with cycles among hidden clips
        there are infinitely many walks, and this bounds the work. ``truncated`` in the
        result says when it was reached.

    The probabilities are exact (the absorbing chain is solved, not sampled). Raises
    :class:`~ps_graph.errors.UnknownClipError` (a KeyError) for a percept that is not in
    the ECM, :class:`~ps_graph.errors.WalkError` when some reachable clip cannot reach an
    action. The ECM's priming terms and, with ``votes > 1``, the majority vote's decision
    probabilities come with the result.

    >>> import ps_graph
    >>> agent = ps_graph.PSAgent(2)
    >>> _ = agent.percept(7)                 # the percept clip ("percept", 7), h0 everywhere
    >>> e = explain(agent, 7, k=1)
    >>> e.percept, e.most_likely, round(e.entropy, 4), e.covered
    (('percept', 7), ('action', 0), 0.6931, 0.5)

    Multi-excitation (``percepts="factorized"``): one decision picks one of the edges of all
    deciders to the actions; :attr:`Explanation.deciders` says how likely each decider is to
    be the one (:mod:`ps_graph.inspection.decision`), and the walks are ``(decider, action)``
    edges. Nothing is created.

    >>> from gymnasium import spaces
    >>> agent = ps_graph.PSAgent(2, spaces.MultiDiscrete([2, 2]), percepts="factorized", seed=0)
    >>> for clip in agent.percepts([1, 0]): _ = agent.ecm.add_edge(clip, ("action", 1), h=3.0)
    >>> e = explain(agent, [1, 0], k=2)     # 4 edges: h 1 and 3 from each of x0=1, x1=0
    >>> print(e)   # doctest: +NORMALIZE_WHITESPACE
    2 excited percept clips: x0=1, x1=0
    action probabilities (exact; one decision among 4 edges of 2 deciders):
      1  0.7500  <- most likely
      0  0.2500
    entropy: 0.5623 nats
    deciders by share of the decision (P = w / sum of w over every decider -> action edge):
      0.5000  x0=1
                -> 0  h = 1  P = 0.1250
                -> 1  h = 3  P = 0.3750
      0.5000  x1=0
                -> 0  h = 1  P = 0.1250
                -> 1  h = 3  P = 0.3750
    2 most probable decisions (they cover 75.00 % of the probability):
      0.3750  x0=1 -> 1
      0.3750  x1=0 -> 1
    """
    k = check_int("k", k, 1, hint="Ask for at least one walk, e.g. k=5.")
    max_expansions = check_int("max_expansions", max_expansions, 1)
    ecm, agent = ecm_of(source)
    if is_factorized(agent):
        return _explain_decision(ecm, agent, percept, k)
    start = start_clip(ecm, agent, percept)
    probs, _, _ = _distribution(ecm, start)
    found, truncated = _top_walks(ecm, start, k, max_expansions)
    labels = clip_labels(ecm, {c for path, _ in found for c in path} | set(probs) | {start}, agent)
    return _explanation(
        ecm, agent, probs, percept=start, excited=(start,), paths=tuple(found), labels=labels, truncated=truncated, k=k
    )


def _explain_decision(ecm: ECM, agent: Any, observation: object, k: int) -> Explanation:
    """:func:`explain` under multi-excitation: the deciders and the k most probable edges."""
    excited = excited_clips(agent, observation)
    probs, shares = decider_shares(agent, excited)
    edges = [((d.clip, a), p) for d in shares for a, _, p in d.edges]
    edges.sort(key=lambda edge: -edge[1])  # stable: ties keep the deciders' order
    labels = {c: label_of(ecm, c) for c in [*excited, *(d.clip for d in shares), *probs]}
    return _explanation(
        ecm,
        agent,
        probs,
        percept=tuple(excited),
        excited=tuple(excited),
        paths=tuple(edges[:k]),
        labels=labels,
        k=k,
        deciders=shares,
    )


def _explanation(ecm: ECM, agent: Any, probs: dict[Hashable, float], **parts: Any) -> Explanation:
    """The :class:`Explanation` of ``probs``: most likely action, entropy, covered mass, the
    ECM's priming and (with an agent that votes) the majority vote's outcome."""
    primed = ecm.priming
    votes = int(getattr(getattr(agent, "config", None), "votes", 1))
    decision = None
    if votes > 1:
        actions = list(getattr(agent, "action_clips", None) or ecm.clips("action"))
        won = rules.majority_probabilities([probs.get(a, 0.0) for a in actions], votes)
        decision = {a: w for a, w in zip(actions, won) if a in probs}
    return Explanation(
        probabilities=probs,
        most_likely=_most_likely(probs),
        entropy=_entropy(probs.values()),
        covered=float(math.fsum(p for _, p in parts["paths"])),
        priming={a: primed.get(a, 0.0) for a in probs} if primed else {},
        votes=votes,
        decision_probabilities=decision,
        **parts,
    )


# ---------------------------------------------------------------------- whole policy
@dataclass(frozen=True)
class PerceptPolicy:
    """One percept's row of :func:`policy_summary`.

    Attributes
    ----------
    percept : the percept clip key (under multi-excitation: the decider clip)
    label : its ``label`` attribute
    probabilities : dict, action clip -> exact probability (reachable actions, ECM order);
        for a decider: of each of its edges, given that it decides
    entropy : float, nats
    most_likely : the most probable action clip (first of ties)
    visits : int, committed walks that started at this percept (decisions of this decider)
    action_labels : dict, action clip -> label (for :meth:`to_dict`)
    """

    percept: Hashable
    label: str
    probabilities: Mapping[Hashable, float]
    entropy: float
    most_likely: Hashable
    visits: int
    action_labels: Mapping[Hashable, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def most_likely_label(self) -> str:
        """The label of the most likely action."""
        return self.action_labels.get(self.most_likely, str(self.most_likely))

    def to_dict(self) -> dict[str, object]:
        """Plain JSON/CSV-safe values: percept (its :func:`~ps_graph.keys.key_id`), label,
        visits, entropy, most_likely (the action's label) and ``p[<action label>]`` columns."""
        return policy_records([self])[0]


def policy_summary(source: object) -> list[PerceptPolicy]:
    """One row per percept clip (in ECM order): its exact action distribution, entropy,
    most likely action and visits.

    Under multi-excitation (an agent with ``percepts="factorized"``) an observation's
    distribution comes from several clips together, and there is a row per *decider* clip
    instead (every clip with edges to the actions: the feature clips, or the conjunction
    clips of :class:`~ps_graph.growth.Conjunctions`): the action distribution of its own
    edges, i.e. what it chooses when it is the one that decides, and how often it decided.
    :func:`explain` gives an observation's whole decision.

    >>> import ps_graph
    >>> agent = ps_graph.PSAgent(2)
    >>> for s in (0, 1): _ = agent.percept(s)
    >>> rows = policy_summary(agent)
    >>> [(r.label, r.visits, round(r.entropy, 4)) for r in rows]
    [('0', 0, 0.6931), ('1', 0, 0.6931)]
    >>> record = policy_records(rows)[0]
    >>> {k: record[k] for k in ("percept", "label", "most_likely", "p[0]", "p[1]")}
    {'percept': '["percept",0]', 'label': '0', 'most_likely': '0', 'p[0]': 0.5, 'p[1]': 0.5}
    """
    ecm, agent = ecm_of(source)
    action_labels = clip_labels(ecm, ecm.clips("action"), agent)
    if is_factorized(agent):
        clips = [
            c for c in ecm.clips() if ecm.kind(c) != "action" and not action_labels.keys().isdisjoint(ecm.out_h(c))
        ]
    else:
        clips = ecm.clips("percept")
    names = clip_labels(ecm, clips, None if is_factorized(agent) else agent)
    rows = []
    for clip in clips:
        probs, most_likely, entropy = _distribution(ecm, clip)
        rows.append(PerceptPolicy(clip, names[clip], probs, entropy, most_likely, ecm.visits(clip), action_labels))
    return rows


def policy_records(rows: Iterable[PerceptPolicy]) -> list[dict[str, object]]:
    """Rows of :func:`policy_summary` as plain dicts with the same keys for every row
    (for ``csv.DictWriter`` or ``json.dumps``).

    Columns: percept (:func:`~ps_graph.keys.key_id` of the clip), label, visits, entropy
    (nats), most_likely (the action's label), then one ``p[<action label>]`` per action seen
    in any row (0.0 where an action is unreachable). Action clips' key ids name the
    columns instead when labels repeat.
    """
    rows = list(rows)
    actions: dict[Hashable, str] = {}
    for row in rows:
        for a in row.probabilities:
            actions.setdefault(a, row.action_labels.get(a, str(a)))
    actions = _column_names(actions)
    records = []
    for row in rows:
        record: dict[str, object] = {
            "percept": key_id(row.percept),
            "label": row.label,
            "visits": int(row.visits),
            "entropy": float(row.entropy),
            "most_likely": actions[row.most_likely],
        }
        for a, name in actions.items():
            record[f"p[{name}]"] = float(row.probabilities.get(a, 0.0))
        records.append(record)
    return records
