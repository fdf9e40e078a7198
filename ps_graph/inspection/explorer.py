"""The ECM explorer's data: one plain JSON document that the explorer page reads.

:func:`explorer_data` reads an agent (or an ECM) once and returns everything the page
(:mod:`ps_graph.inspection.viz`) shows, as plain JSON values: the clips and edges with their
current h, glow and hopping probability; for every percept clip its exact action
probabilities and most probable walks (the numbers :func:`~ps_graph.inspection.explain.explain`
gives); the snapshots of a :class:`~ps_graph.inspection.timeline.Timeline`; a second agent's
hopping probabilities on the same edges; the policy map of a grid world; and the view the
page opens with. Clips are named by :func:`ps_graph.keys.key_id` ids and shown by their
labels (plain text). Nothing is changed in the agent.

The document (``version`` 1)::

    {"version": 1, "title": str,
     "actions": [{"id", "label"}],                      # action order
     "clips": [{"id", "kind", "layer", "label", "visits"}],
     "edges": [{"from", "to", "h", "glow", "p"}],       # p: hopping probability, priming included
     "percepts": {id: {"probabilities": {action label: p}, "walks": [{"clips": [id, ...], "p"}],
                       "covered": float}},
     "snapshots": [{"label", "episode", "h": [...], "p": [...], "glow": [...]}],  # per edge, edges order
     "compare": null | {"title", "p": [p or null per edge], "percepts": {id: {...}}},
     "policy_map": null | {"rows", "cols", "cells": [{"row", "col", "clip", "action", "p", "label", "tile"}]},
     "decision": null | {"what", "clips": [{"id", "role"}], "edges": [[from id, to id]]},
     "default_view": {"threshold", "kinds", "neighbourhood", "selected", "physics"}}

Notes on the numbers:

* ``percepts``: a percept whose edges all end at action clips (a 2-layer percept) has its
  hopping probabilities as action probabilities, and its walks are its edges, most probable
  first (ties in edge order): exactly what :func:`~ps_graph.inspection.explain.explain`
  returns, read without solving a chain. Every other percept goes through ``explain``
  (``max_expansions`` caps its walk search). Under multi-excitation (``percepts="factorized"``)
  an observation's decision spans several clips, so there is an entry per *clip*: every
  percept clip and every other clip with an edge to an action (a decider, e.g. a conjunction
  clip), each holding what that clip chooses when it is the one that decides (as
  :func:`~ps_graph.inspection.explain.policy_summary` rows). A clip from which no action can
  be reached gets empty probabilities and walks.
* ``snapshots``: a :class:`Timeline` records h and the hopping probability (it does not
  record glow, so ``glow`` is null throughout); an edge that did not exist yet at a snapshot
  has ``h`` and ``p`` null there. Timeline edges missing from the final ECM are not shown.
* ``compare``: the second agent's hopping probability on each edge it has too (edges are
  matched by their clip keys), null where it lacks the edge; its percept entries for the
  percepts both agents have.
* Labels: ``labels=`` (or the agent's own ``labels`` attribute) names the clips: an object
  with a ``clip(clip_key) -> str`` method (:class:`ps_graph.labels.Labels`), or a dict
  clip -> label; clips it does not name keep the ECM's label. Action labels that repeat get
  their id appended, so each action label names one action.

>>> from ps_graph import ECM
>>> ecm = ECM()
>>> ecm.add_percept("s"); ecm.add_action("left"); ecm.add_action("right")
>>> ecm.add_edge("s", "left", h=1.0); ecm.add_edge("s", "right", h=3.0)
>>> data = explorer_data(ecm, labels={"s": "start"})
>>> [c["label"] for c in data["clips"]], [e["p"] for e in data["edges"]]
(['start', 'left', 'right'], [0.25, 0.75])
>>> data["percepts"]['"s"']["probabilities"], data["percepts"]['"s"']["walks"][0]
({'left': 0.25, 'right': 0.75}, {'clips': ['"s"', '"right"'], 'p': 0.75})
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from ..checks import check_int, check_real
from ..ecm import ECM
from ..errors import ConfigError, PSGraphError
from ..keys import key_id
from .decision import is_factorized
from .explain import explain
from .highlight import DecisionHighlight, highlight_option
from .sources import ecm_of, start_clip, start_clips
from .timeline import Timeline

__all__ = ["KINDS", "LARGE_ECM", "VERSION", "explorer_data"]

VERSION = 1
#: Beyond this many clips the page opens on one percept's neighbourhood, physics off.
LARGE_ECM = 400
KINDS = ("percept", "hidden", "action")

Namer = Callable[[Hashable], str]


class _Ids(dict):
    """Clip -> its :func:`~ps_graph.keys.key_id`, each computed once."""

    def __missing__(self, clip: Hashable) -> str:
        self[clip] = text = key_id(clip)
        return text


Rows = dict[Hashable, dict[Hashable, float]]  # clip -> its hopping probabilities by target


# ---------------------------------------------------------------------- labels
def _namer(ecm: ECM, given: object, actions: Mapping[Hashable, str] | None = None) -> Namer:
    """Clip -> its label: from ``actions`` (action clips, already named), ``given`` labels,
    else the ECM's own."""
    if actions:
        first = _namer(ecm, given)
        return lambda clip: actions[clip] if clip in actions else first(clip)
    if given is None:
        return ecm.label
    if isinstance(given, Mapping):
        return lambda clip: str(given[clip]) if clip in given else ecm.label(clip)
    method = getattr(given, "clip", None)
    if not callable(method):
        raise ConfigError(
            f"labels must be a ps_graph.labels.Labels (anything with a clip(clip_key) -> str method) or a dict "
            f"clip -> label; got {type(given).__name__}."
        )
    try:  # Labels.clip(clip, ecm) names hidden clips by the ECM's labels
        with_ecm = "ecm" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        with_ecm = False

    def name(clip: Hashable) -> str:
        text = method(clip, ecm=ecm) if with_ecm else method(clip)
        return ecm.label(clip) if text is None else str(text)

    return name


def _action_names(actions: list[Hashable], name: Namer) -> dict[Hashable, str]:
    """Action clip -> its label, with the clip's id appended where labels repeat."""
    names = {a: name(a) for a in actions}
    counts: dict[str, int] = {}
    for text in names.values():
        counts[text] = counts.get(text, 0) + 1
    return {a: text if counts[text] == 1 else f"{text} [{key_id(a)}]" for a, text in names.items()}


# ---------------------------------------------------------------------- clips, edges, percepts
def _kept_clips(ecm: ECM, agent: object | None, percepts: object) -> list[Hashable]:
    """Every clip (ECM order), or with ``percepts`` those percepts and what they reach."""
    if percepts is None:
        return ecm.clips()
    keep = ecm.reachable(start_clips(ecm, agent, percepts))
    return [c for c in ecm.clips() if c in keep]


def _rows(ecm: ECM, clips: Iterable[Hashable]) -> Rows:
    """The hopping probabilities (priming included) out of every clip that has edges."""
    graph = ecm.graph
    return {c: ecm.probabilities(c) for c in clips if graph.out_degree(c)}


def _graph_part(ecm: ECM, clips: list[Hashable], rows: Rows, name: Namer, ids: Mapping[Hashable, str]) -> tuple:
    """The document's clips and edges, and the edges as ``(source, target)`` pairs (their order);
    ``ids`` holds the id of every clip in ``clips``."""
    graph = ecm.graph  # brings h, glow and visits up to date; read only
    out_clips = []
    for c in clips:
        data = graph.nodes[c]
        out_clips.append(
            {
                "id": ids[c],
                "kind": data["kind"],
                "layer": int(data["layer"]),
                "label": name(c),
                "visits": int(data["visits"]),
            }
        )
    pairs, out_edges = [], []
    for source in clips:
        for target, p in rows.get(source, {}).items():
            if target in ids:
                data = graph.edges[source, target]
                pairs.append((source, target))
                out_edges.append(
                    {
                        "from": ids[source],
                        "to": ids[target],
                        "h": float(data["h"]),
                        "glow": float(data["glow"]),
                        "p": float(p),
                    }
                )
    return out_clips, out_edges, pairs


def _explained_clips(ecm: ECM, agent: object | None, clips: list[Hashable], rows: Rows) -> list[Hashable]:
    """The clips that get a percept entry: percept clips; under multi-excitation also every other deciding clip."""
    if not is_factorized(agent):
        return [c for c in clips if ecm.kind(c) == "percept"]
    return [
        c
        for c in clips
        if ecm.kind(c) == "percept"
        or (ecm.kind(c) != "action" and any(ecm.kind(t) == "action" for t in rows.get(c, {})))
    ]


def _walks_and_probabilities(
    ecm: ECM, clip: Hashable, rows: Rows, order: Mapping[Hashable, int], k: int, max_expansions: int
) -> tuple[dict[Hashable, float], list[tuple[tuple[Hashable, ...], float]], float]:
    """``clip``'s exact action probabilities, its k most probable walks and the mass they cover,
    as :func:`explain` gives them (read straight from the edges for a 2-layer percept)."""
    row = rows.get(clip, {})
    if row and all(t in order for t in row):
        # explain solves no chain for these: its probabilities are the row (in action
        # order), its walks the edges by probability, ties in edge order (as its
        # best-first search pops them)
        probs = {a: row[a] for a in sorted(row, key=order.__getitem__)}
        edges = [(t, p) for t, p in row.items() if p > 0.0]
        edges.sort(key=lambda edge: -edge[1])  # stable: ties keep edge order
        walks: list[tuple[tuple[Hashable, ...], float]] = [((clip, t), p) for t, p in edges[:k]]
        return probs, walks, math.fsum(p for _, p in walks)
    try:
        e = explain(ecm, clip, k=k, max_expansions=max_expansions)
    except PSGraphError:  # no action reachable (a clip without edges, or a closed cycle)
        return {}, [], 0.0
    return dict(e.probabilities), [(tuple(path), p) for path, p in e.paths], float(e.covered)


def _percept_entries(
    ecm: ECM, clips: list[Hashable], rows: Rows, actions: Mapping[Hashable, str], k: int, max_expansions: int
) -> dict[str, dict[str, Any]]:
    """The document's ``percepts`` part for ``clips``."""
    entries, ids = {}, _Ids()
    order = {a: i for i, a in enumerate(actions)}
    for clip in clips:
        probs, walks, covered = _walks_and_probabilities(ecm, clip, rows, order, k, max_expansions)
        entries[ids[clip]] = {
            "probabilities": {actions[a] if a in actions else ids[a]: float(p) for a, p in probs.items()},
            "walks": [{"clips": [ids[c] for c in path], "p": float(p)} for path, p in walks],
            "covered": float(covered),
        }
    return entries


# ---------------------------------------------------------------------- timeline, comparison
def _snapshots(timeline: Timeline | None, pairs: list[tuple[Hashable, Hashable]]) -> list[dict[str, Any]]:
    """Per snapshot, per edge (in ``pairs`` order) its h and probability (null before it existed)."""
    if timeline is None:
        return []
    if not isinstance(timeline, Timeline):
        raise ConfigError(
            f"timeline must be a ps_graph.inspection.Timeline recorded while the agent trained; got "
            f"{type(timeline).__name__}."
        )
    index = {edge: j for j, edge in enumerate(timeline.edges)}
    if timeline.edges and pairs and not any(edge in index for edge in pairs):
        raise ConfigError(
            "the timeline shares no edge with the agent shown: it was recorded for another agent. "
            "Pass the Timeline that was the callback of this agent's training."
        )
    columns = [index.get(edge) for edge in pairs]
    present, h, p = timeline.present, timeline.h.data, timeline.probability.data
    snaps = []
    for s, episode in enumerate(timeline.episodes.tolist()):
        here = [j is not None and bool(present[s, j]) for j in columns]
        snaps.append(
            {
                "label": f"episode {episode}",
                "episode": int(episode),
                "h": [float(h[s, j]) if ok else None for j, ok in zip(columns, here)],
                "p": [float(p[s, j]) if ok else None for j, ok in zip(columns, here)],
                "glow": [None] * len(pairs),
            }
        )
    return snaps


def _comparison(
    other: object, title: str | None, pairs: list, percepts: list[Hashable], k: int, max_expansions: int
) -> dict[str, Any]:
    """The second agent's hopping probabilities on ``pairs`` and its entries for ``percepts``."""
    ecm, agent = ecm_of(other)
    if pairs and not any(s in ecm for s, _ in pairs):
        raise ConfigError(
            "the agent to compare shares no clip with the agent shown (their clip keys differ), so there is "
            "nothing to compare; compare agents of the same environment."
        )
    rows = _rows(ecm, {s for s, _ in pairs if s in ecm})
    actions = _action_names(ecm.clips("action"), _namer(ecm, getattr(agent, "labels", None)))
    shared = [c for c in percepts if c in ecm]
    return {
        "title": title or f"{type(agent or ecm).__name__} ({len(ecm)} clips)",
        "p": [rows[s][t] if t in rows.get(s, {}) else None for s, t in pairs],
        "percepts": _percept_entries(ecm, shared, _rows(ecm, shared), actions, k, max_expansions),
    }


# ---------------------------------------------------------------------- policy map, view
def _grid(grid: object, labels: object) -> tuple[int, int, Any] | None:
    """Rows, columns and tile letters (or None) of ``grid`` (an env or (rows, cols)), or of the labels' grid."""
    if grid is None:
        grid = getattr(labels, "grid", None)
        if grid is None:
            return None
    from .drawing import _grid_of

    rows, cols, desc, _ = _grid_of(grid)
    return rows, cols, desc


def _policy_map(
    ecm: ECM, agent: object | None, grid: tuple[int, int, Any] | None, entries: Mapping, name: Namer
) -> dict[str, Any] | None:
    """Per grid cell (state ``row * cols + col``): its percept clip and most probable action."""
    if grid is None:
        return None
    from .drawing import _cell_clip

    rows, cols, desc = grid
    cells = []
    for r in range(rows):
        for c in range(cols):
            clip = _cell_clip(ecm, agent, r * cols + c)
            entry = entries.get(key_id(clip)) if clip is not None else None
            probs = entry["probabilities"] if entry else {}
            best = max(probs, key=probs.__getitem__) if probs else None  # first of ties
            cells.append(
                {
                    "row": r,
                    "col": c,
                    "clip": None if clip is None else key_id(clip),
                    "action": best,
                    "p": None if best is None else probs[best],
                    "label": f"row {r}, col {c}" if clip is None else name(clip),
                    "tile": None if desc is None else str(desc[r][c]),
                }
            )
    return {"rows": rows, "cols": cols, "cells": cells}


def _decision(mark: DecisionHighlight | None, shown: Mapping[Hashable, str]) -> dict[str, Any] | None:
    """The highlighted decision: its clips (those ``shown``; a decider not created yet is
    not) with their roles, and its edges between them."""
    if mark is None:
        return None
    clips = [c for c in dict.fromkeys([*mark.excited, *mark.deciders, *mark.path]) if c in shown]
    return {
        "what": mark.what,
        "clips": [{"id": shown[c], "role": mark.role(c)} for c in clips],
        "edges": [[shown[s], shown[t]] for s, t in mark.edges if s in shown and t in shown],
    }


def _default_view(ecm: ECM, clips: list, selected: Hashable | None, threshold: float, physics: bool) -> dict:
    """The view the page opens with: everything when small; else the k=1 neighbourhood of
    ``selected`` (default: the most visited percept)."""
    large = len(clips) > LARGE_ECM
    if selected is None and large:
        percepts = [c for c in clips if ecm.kind(c) == "percept"]
        selected = max(percepts, key=ecm.visits) if percepts else None  # first of ties
    return {
        "threshold": threshold,
        "kinds": list(KINDS),
        "neighbourhood": 1 if large and selected is not None else None,
        "selected": None if selected is None else key_id(selected),
        "physics": physics,
    }


# ---------------------------------------------------------------------- the document
def _check_options(k: int, max_expansions: int, threshold: float, physics: object, title: object) -> float:
    """Checks the options of :func:`explorer_data`; returns the threshold as a float."""
    check_int("k", k, 1, hint="k is how many most probable walks each percept lists, e.g. k=5.")
    check_int("max_expansions", max_expansions, 1)
    if physics is not None and not isinstance(physics, bool):
        raise ConfigError(f"physics must be True, False or None (automatic by size); got {physics!r}.")
    if title is not None and not isinstance(title, str):
        raise ConfigError(f"title must be a string or None; got {type(title).__name__}.")
    return check_real("min_probability", threshold, 0.0, 1.0, hint="It is a hopping probability: 0 shows every edge.")


def explorer_data(
    source: object,
    *,
    timeline: Timeline | None = None,
    compare: object = None,
    labels: object = None,
    k: int = 5,
    max_expansions: int = 2_000,
    percepts: Iterable | None = None,
    grid: object = None,
    selected: object = None,
    min_probability: float = 0.0,
    physics: bool | None = None,
    max_physics_clips: int = LARGE_ECM,
    title: str | None = None,
    compare_title: str | None = None,
    decision: object = None,
    last_decision: bool = False,
) -> dict[str, Any]:
    """The explorer's JSON document (see the module) for ``source``.

    Parameters
    ----------
    source : ECM, PSAgent or TwoLayerPS
    timeline : Timeline, optional
        Recorded while ``source`` trained: the page steps through its snapshots.
    compare : ECM, PSAgent or TwoLayerPS, optional
        A second agent (same environment): its hopping probabilities on the same edges.
    labels : Labels or dict clip -> str, optional
        Clip names; default: the agent's ``labels``, else the ECM's own labels.
    k : int >= 1
        Most probable walks listed per percept.
    max_expansions : int >= 1
        Caps each percept's walk search (:func:`~ps_graph.inspection.explain.explain`).
    percepts : list, optional
        Only these percepts (clip keys, or an agent's percept keys / observations) and the clips they reach.
    grid : gymnasium grid env or (rows, cols), optional
        Adds the policy map (state ``s`` is cell ``(s // cols, s % cols)``); default: the labels' ``grid``.
    selected : percept, optional
        The clip the page opens on (default: none; for ECMs over :data:`LARGE_ECM` clips the most visited percept).
    min_probability : float in [0, 1]
        The page's starting probability threshold (edges below it are hidden, not dropped).
    physics : bool, optional
        vis-network's physics (the page's layout moves); default: on up to ``max_physics_clips`` clips.
    max_physics_clips : int >= 0
        See ``physics``.
    title, compare_title : str, optional
        Headings (default: clip and edge counts; the second agent's type).
    decision, last_decision :
        Highlight the agent's decision on an observation
        (:func:`~ps_graph.inspection.highlight.decision_highlight`); the page opens on its clip.

    >>> import ps_graph
    >>> agent = ps_graph.PSAgent(2, seed=0)
    >>> _ = agent.percept(0)
    >>> data = explorer_data(agent, grid=(1, 2))
    >>> [(c["label"], c["action"], c["p"]) for c in data["policy_map"]["cells"]]
    [('0', '0', 0.5), ('row 0, col 1', None, None)]
    """
    threshold = _check_options(k, max_expansions, min_probability, physics, title)
    max_physics_clips = check_int("max_physics_clips", max_physics_clips, 0)
    ecm, agent = ecm_of(source)
    mark = highlight_option(source, decision, last_decision)
    clips = _kept_clips(ecm, agent, percepts)
    shown = _Ids((c, key_id(c)) for c in clips)
    if selected is not None:
        selected = start_clip(ecm, agent, selected)
    elif mark is not None:  # the decision's first decider (or excited clip) that is drawn
        selected = next((c for c in [*mark.deciders, *mark.excited] if c in shown), None)
    rows = _rows(ecm, clips)
    given = labels if labels is not None else getattr(agent, "labels", None)
    actions = _action_names(ecm.clips("action"), _namer(ecm, given))
    name = _namer(ecm, given, actions)
    out_clips, out_edges, pairs = _graph_part(ecm, clips, rows, name, shown)
    explained = _explained_clips(ecm, agent, clips, rows)
    entries = _percept_entries(ecm, explained, rows, actions, k, max_expansions)
    return {
        "version": VERSION,
        "title": title if title is not None else f"ECM: {len(out_clips)} clips, {len(out_edges)} edges",
        "actions": [{"id": key_id(a), "label": text} for a, text in actions.items()],
        "clips": out_clips,
        "edges": out_edges,
        "percepts": entries,
        "snapshots": _snapshots(timeline, pairs),
        "compare": None
        if compare is None
        else _comparison(compare, compare_title, pairs, explained, k, max_expansions),
        "policy_map": _policy_map(ecm, agent, _grid(grid, given), entries, name),
        "decision": _decision(mark, shown),
        "default_view": _default_view(
            ecm, clips, selected, threshold, len(clips) <= max_physics_clips if physics is None else physics
        ),
    }
