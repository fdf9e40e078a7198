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

from ..checks import check_int
from ..ecm import ECM
from ..keys import key_id
from .sources import clip_labels, ecm_of, start_clip

__all__ = ["Explanation", "PerceptPolicy", "explain", "policy_records", "policy_summary"]

_TIE = 1e-12  # action probabilities this close to the maximum count as tied (first action wins)


# ---------------------------------------------------------------------- the math
def _entropy(probabilities: Iterable[float]) -> float:
    """Shannon entropy in nats, ``-sum p ln p`` (terms with p = 0 contribute 0)."""
    return float(-sum(p * math.log(p) for p in probabilities if p > 0.0))


def _distribution(ecm: ECM, clip: Hashable) -> tuple[dict[Hashable, float], Hashable, float]:
    """Exact action probabilities (in the ECM's action order), the most likely action
    (first of ties), and the entropy in nats."""
    exact = ecm.action_probabilities(clip)
    probs = {a: exact[a] for a in ecm.clips("action") if a in exact}
    top = max(probs.values())
    most_likely = next(a for a, p in probs.items() if p >= top - _TIE)
    return probs, most_likely, _entropy(probs.values())


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
    percept : the start clip (a percept clip key, e.g. ``("percept", 3)``)
    probabilities : dict, action clip -> exact probability of the walk ending there, for
        every action reachable from the percept (in the ECM's action order)
    paths : tuple of ``(walk, probability)``, the most probable walks (each a tuple of
        clips from the percept to an action), most probable first
    most_likely : the action clip with the highest probability (first of ties)
    entropy : float, Shannon entropy of ``probabilities`` in nats (natural log)
    covered : float, sum of the listed walks' probabilities (1 when they are all the walks)
    truncated : bool, True when ``max_expansions`` stopped the search before ``k`` walks
        were found or all walks were listed
    k : int, how many walks were asked for
    labels : dict, clip -> the ECM's ``label`` attribute, for the text view
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

    def _name(self, clip: Hashable) -> str:
        return self.labels.get(clip, str(clip))

    def to_text(self) -> str:
        """A readable account: action probabilities, entropy and the most probable walks."""
        name = self._name
        lines = [f"percept {name(self.percept)}", "action probabilities (exact):"]
        ranked = sorted(self.probabilities.items(), key=lambda item: -item[1])  # stable: ties keep ECM order
        width = max(len(name(a)) for a in self.probabilities)
        for action, p in ranked:
            mark = "  <- most likely" if action == self.most_likely else ""
            lines.append(f"  {name(action):<{width}}  {p:.4f}{mark}")
        lines.append(f"entropy: {self.entropy:.4f} nats")
        n = len(self.paths)
        if self.truncated:
            note = f"search stopped at max_expansions; they cover {100 * self.covered:.2f} %"
        elif n < self.k:
            note = f"all there are; they cover {100 * self.covered:.2f} %"
        else:
            note = f"they cover {100 * self.covered:.2f} %"
        lines.append(f"{n} most probable walk{'s' if n != 1 else ''} ({note} of the probability):")
        for path, p in self.paths:
            lines.append(f"  {p:.4f}  " + " -> ".join(name(c) for c in path))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def explain(source: object, percept: object, k: int = 5, max_expansions: int = 100_000) -> Explanation:
    """Exact action distribution of ``percept`` and its ``k`` most probable walks.

    Parameters
    ----------
    source : ECM, PSAgent or TwoLayerPS
        What to explain (a TwoLayerPS is read through its equivalent ECM, ``to_ecm()``).
    percept : clip key, or (with an agent) percept key or observation
        E.g. ``("percept", 3)``; with an agent also ``3`` or the observation itself.
    k : int >= 1
        How many walks to list.
    max_expansions : int >= 1
        Most partial walks the best-first search extends; with cycles among hidden clips
        there are infinitely many walks, and this bounds the work. ``truncated`` in the
        result says when it was reached.

    The probabilities are exact (the absorbing chain is solved, not sampled). Raises
    :class:`~ps_graph.errors.UnknownClipError` (a KeyError) for a percept that is not in
    the ECM, :class:`~ps_graph.errors.WalkError` when some reachable clip cannot reach an
    action.

    >>> import ps_graph
    >>> agent = ps_graph.PSAgent(2)
    >>> _ = agent.percept(7)                 # the percept clip ("percept", 7), h0 everywhere
    >>> e = explain(agent, 7, k=1)
    >>> e.percept, e.most_likely, round(e.entropy, 4), e.covered
    (('percept', 7), ('action', 0), 0.6931, 0.5)
    """
    k = check_int("k", k, 1, hint="Ask for at least one walk, e.g. k=5.")
    max_expansions = check_int("max_expansions", max_expansions, 1)
    ecm, agent = ecm_of(source)
    start = start_clip(ecm, agent, percept)
    probs, most_likely, entropy = _distribution(ecm, start)
    found, truncated = _top_walks(ecm, start, k, max_expansions)
    clips = {c for path, _ in found for c in path} | set(probs) | {start}
    return Explanation(
        percept=start,
        probabilities=probs,
        paths=tuple(found),
        most_likely=most_likely,
        entropy=entropy,
        covered=float(math.fsum(p for _, p in found)),
        truncated=truncated,
        k=k,
        labels=clip_labels(ecm, clips),
    )


# ---------------------------------------------------------------------- whole policy
@dataclass(frozen=True)
class PerceptPolicy:
    """One percept's row of :func:`policy_summary`.

    Attributes
    ----------
    percept : the percept clip key
    label : its ``label`` attribute
    probabilities : dict, action clip -> exact probability (reachable actions, ECM order)
    entropy : float, nats
    most_likely : the most probable action clip (first of ties)
    visits : int, committed walks that started at this percept
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
    ecm, _ = ecm_of(source)
    action_labels = clip_labels(ecm, ecm.clips("action"))
    rows = []
    for clip in ecm.clips("percept"):
        probs, most_likely, entropy = _distribution(ecm, clip)
        rows.append(PerceptPolicy(clip, ecm.label(clip), probs, entropy, most_likely, ecm.visits(clip), action_labels))
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
    names = list(actions.values())
    if len(set(names)) < len(names):
        actions = {a: key_id(a) for a in actions}
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
