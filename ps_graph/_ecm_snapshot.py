"""The ECM's lazy store (:mod:`ps_graph.store`) read out, rebuilt and edited exactly, outside the learning loop.

The functions behind :meth:`ECM.snapshot <ps_graph.ecm.ECM.snapshot>`,
:meth:`ECM.from_snapshot <ps_graph.ecm.ECM.from_snapshot>` (which document the snapshot
format) and :meth:`ECM.remove_clip <ps_graph.ecm.ECM.remove_clip>`. Each works on the store
itself (rows with their stamps, glowing edges with theirs and their row positions) rather
than bringing values up to date, so an ECM read out, rebuilt or pruned here continues bit
for bit as its values say. None of this runs per step.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable
from typing import Any

import networkx as nx

from . import rules
from .checks import check_int, check_real
from .errors import ConfigError


def snapshot(ecm) -> dict[str, Any]:
    """The snapshot of ``ecm`` (see ``ECM.snapshot``), read without changing anything.

    Reading values (``ECM.h``, ``ECM.graph``) brings rows up to date in place: values
    stay the same, but later damping then starts from a rounded intermediate. A snapshot
    leaves the store alone. It holds ``clips``: ``[(clip, kind, layer, label, visits), ...]``
    in insertion order; ``edges``: ``[(source, target, h, glow), ...]`` with current values,
    grouped by source in hopping order; and ``lazy``, the store behind those values: ``clock``,
    ``glow_clock``, ``rows`` ``[(clip, stamp, stored_h), ...]`` with
    ``h = rules.damp(stored_h, gamma_damping, h0, clock - stamp)``, and ``glowing``
    ``[(source, target, stored_glow, stamp), ...]`` with
    ``glow = rules.decay_glow(stored_glow, eta_glow_damping, glow_clock - stamp)``. Edges whose
    initial value is not ``h0`` are listed in ``h0`` ``[(source, target, h0), ...]`` (the h0 above).
    """
    clips = [(c, d["kind"], d["layer"], d["label"], ecm.visits(c)) for c, d in ecm._node.items()]
    edges: list[tuple] = []
    rows: list[tuple] = []
    h0: list[tuple] = []  # edges with an initial value of their own
    for clip, row in ecm._rows.items():
        if row.targets:
            own = ecm.h0 if row.h0 is None else list(row.h0)
            current = rules.damp(list(row.h), ecm.gamma_damping, own, ecm._store.clock - row.stamp)
            edges.extend((clip, t, h, ecm._store.glow((clip, t))) for t, h in zip(row.targets, current))
            rows.append((clip, row.stamp, list(row.h)))
            if row.h0 is not None:
                h0.extend((clip, t, v) for t, v in zip(row.targets, row.h0) if v != ecm.h0)
    glowing = [(s, t, entry[0], entry[1]) for (s, t), entry in ecm._store.glowing.items()]
    lazy = {"clock": ecm._store.clock, "glow_clock": ecm._store.glow_clock, "rows": rows, "glowing": glowing}
    return {"clips": clips, "edges": edges, "lazy": lazy, "h0": h0}


def restore(ecm, snapshot: dict[str, Any]) -> None:
    """Rebuild what ``snapshot`` describes into ``ecm``, a new, empty ECM (see ``ECM.from_snapshot``).

    Raises :class:`~ps_graph.errors.ConfigError` at the first inconsistency.
    """
    lazy = snapshot.get("lazy") or {"clock": 0, "glow_clock": 0, "rows": [], "glowing": []}
    ecm._store.clock = check_int("clock", lazy["clock"], 0)
    ecm._store.glow_clock = check_int("glow_clock", lazy["glow_clock"], 0)
    adders = {"percept": ecm.add_percept, "action": ecm.add_action, "hidden": ecm.add_hidden}
    kinds = tuple(adders)  # ps_graph.ecm.KINDS, in their order
    for clip, kind, layer, label, visits in snapshot["clips"]:
        if clip in ecm._node:
            raise ConfigError(f"clip {clip!r} is listed twice; list every clip once.")
        if kind not in kinds:
            raise ConfigError(f"clip {clip!r} has kind {kind!r}; expected one of {', '.join(map(repr, kinds))}.")
        if not isinstance(label, str):
            raise ConfigError(f"the label of clip {clip!r} must be a string; got {label!r}.")
        adders[kind](clip, *((layer,) if kind == "hidden" else ()), label=label)
        ecm.set_visits(clip, visits)
    for clip, _, layer, _, _ in snapshot["clips"]:
        if ecm._node[clip]["layer"] != layer:
            raise ConfigError(
                f"clip {clip!r} is in layer {layer!r}, but its kind puts it in layer {ecm._node[clip]['layer']} "
                "(percepts 0, hidden >= 1, actions one past the last hidden layer)."
            )
    glows = []
    for source, target, h, glow in snapshot["edges"]:
        if ecm._g.has_edge(source, target):
            raise ConfigError(f"edge {source!r} -> {target!r} is listed twice.")
        ecm.add_edge(source, target)  # checks the clips; h may sit a rounding below h_floor
        ecm._rows[source].h[-1] = check_real(f"h of edge {source!r} -> {target!r}", h, 0.0, low_open=True)
        glow = check_real(f"glow of edge {source!r} -> {target!r}", glow, 0.0)
        glows.append((source, target, glow, ecm._store.glow_clock))
    for row in ecm._rows.values():
        row.targets = ecm._share(row.targets)
    for source, target, h0 in snapshot.get("h0") or ():
        if not ecm._g.has_edge(source, target):
            raise ConfigError(f"edge {source!r} -> {target!r} has an h0 but is not among the edges.")
        row = ecm._rows[source]
        j = ecm._position(source, row, target)
        if row.h0 is not None and row.h0[j] != ecm.h0:
            raise ConfigError(f"the h0 of edge {source!r} -> {target!r} is listed twice.")
        row.set_h0(j, check_real(f"h0 of edge {source!r} -> {target!r}", h0, ecm.h_floor), ecm.h0)
    for clip, stamp, stored in lazy["rows"]:
        row = ecm._rows.get(clip)
        if row is None or len(stored) != len(row.targets):
            raise ConfigError(f"stored row of {clip!r} needs one value per out-edge of a percept or hidden clip.")
        row.h = array("d", [check_real(f"stored h of {clip!r}", v, 0.0, low_open=True) for v in stored])
        row.stamp = check_int(f"stamp of {clip!r}", stamp, 0)
        if row.stamp > ecm._store.clock:
            raise ConfigError(f"stamp {stamp} of {clip!r} is after the clock {ecm._store.clock}.")
    for source, target, glow, stamp in [*lazy["glowing"], *glows]:
        if glow and (source, target) not in ecm._store.glowing:
            stamp = check_int("glow stamp", stamp, 0)
            if not ecm._g.has_edge(source, target) or stamp > ecm._store.glow_clock:
                raise ConfigError(
                    f"glowing edge {source!r} -> {target!r} is not in the ECM, or its stamp {stamp} is after "
                    f"the glow clock {ecm._store.glow_clock}."
                )
            row = ecm._rows[source]
            glow = check_real(f"glow of edge {source!r} -> {target!r}", glow, 0.0)
            ecm._store.glowing[source, target] = [glow, stamp, row, ecm._position(source, row, target)]


def remove_clip(ecm, clip: Hashable) -> None:
    """Remove ``clip`` from ``ecm`` with its edges, every other value kept exact (see ``ECM.remove_clip``)."""
    node = ecm._node.get(clip)
    if node is None:
        raise ecm._unknown(clip)
    if clip in ecm._actions:
        raise ConfigError(f"action clip {clip!r} cannot be removed: the agent's actions are fixed.")
    sources = list(ecm._g._pred[clip])
    for source in sources:
        if len(ecm._rows[source].targets) == 1:
            raise ConfigError(
                f"cannot remove clip {clip!r}: it is the only target of {source!r}, whose walks would then end "
                "nowhere. Connect that clip to an action first, or remove it too."
            )
    glowing = ecm._store.glowing
    for source in sources:
        row = ecm._rows[source]
        j = ecm._position(source, row, clip)
        targets = row.targets[:j] + row.targets[j + 1 :]
        row.targets = ecm._share(targets)
        row.remove(j)  # each row owns its h array; stamps stay, so the other values stay lazy
        glowing.pop((source, clip), None)
        for target in targets[j:]:  # later glowing edges of this row move one position down
            entry = glowing.get((source, target))
            if entry is not None:
                entry[3] -= 1
        ecm._index.pop(source, None)
    row = ecm._rows.pop(clip)
    for target in row.targets:
        glowing.pop((clip, target), None)
    ecm._index.pop(clip, None)
    ecm._g.remove_node(clip)
    if node["kind"] == "hidden":
        layer = node["layer"]
        left = ecm._hidden_layers[layer] - 1
        if left:
            ecm._hidden_layers[layer] = left
        else:
            del ecm._hidden_layers[layer]
            ecm._set_action_layer(max(ecm._hidden_layers, default=0) + 1)


def refresh_graph(ecm) -> nx.DiGraph:
    """``ecm``'s networkx graph with its h, glow and visit attributes set to the current values
    (see ``ECM.graph``); the lazy store is only read."""
    succ, node, current = ecm._g._succ, ecm._node, ecm._store.current
    for clip, row in ecm._rows.items():
        out = succ[clip]
        for target, h in zip(row.targets, current(row)):
            data = out[target]
            data["h"] = h
            data["glow"] = 0.0
        node[clip]["visits"] = row.visits
    for action, visits in ecm._actions.items():
        node[action]["visits"] = visits
    for edge in ecm._store.glowing:
        succ[edge[0]][edge[1]]["glow"] = ecm._store.glow(edge)
    return ecm._g
