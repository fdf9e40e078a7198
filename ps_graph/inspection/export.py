"""Export the ECM to GraphML, GEXF and node-link JSON for Gephi, Cytoscape, yEd or d3.

All three writers share one projection, :func:`to_export_graph`: a fresh
:class:`networkx.DiGraph` whose node ids are strings (:func:`ps_graph.keys.key_id`, which
:func:`ps_graph.keys.key_from_id` turns back into the clip key) and whose attributes are
plain scalars: nodes carry ``kind``, ``layer``, ``label`` and ``visits``; edges carry the
current ``h`` and ``glow`` and the hopping ``probability``. The source is only read
(through :meth:`ps_graph.ECM.snapshot`), so exporting never changes how it continues.
Files are generated in memory and written atomically.

Example
-------
>>> import ps_graph
>>> ecm = ps_graph.ECM()
>>> ecm.add_percept(("percept", 0)); ecm.add_action(("action", 1))
>>> ecm.connect(("percept", 0), [("action", 1)])
>>> graph = to_export_graph(ecm)
>>> list(graph.edges(data=True))
[('["percept",0]', '["action",1]', {'h': 1.0, 'glow': 0.0, 'probability': 1.0})]
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import networkx as nx

from .. import rules
from ..agent import PSAgent, action_clip, percept_clip
from ..ecm import ECM
from ..errors import ConfigError
from ..fast import TwoLayerPS
from ..files import atomic_write_bytes
from ..keys import key_id

__all__ = ["to_export_graph", "write_gexf", "write_graphml", "write_node_link_json"]


def to_export_graph(source: ECM | PSAgent | TwoLayerPS) -> nx.DiGraph:
    """A new DiGraph of ``source``'s ECM with string node ids and scalar attributes.

    ``source`` is an :class:`~ps_graph.ECM`, a :class:`~ps_graph.PSAgent` or a
    :class:`~ps_graph.TwoLayerPS` (exported as its equivalent 2-layer ECM, with the same
    clip keys as :meth:`TwoLayerPS.to_ecm <ps_graph.TwoLayerPS.to_ecm>`).
    """
    clips, edges, policy, beta = _clips_and_edges(source)
    graph = nx.DiGraph()
    for clip, kind, layer, label, visits in clips:
        graph.add_node(key_id(clip), kind=str(kind), layer=int(layer), label=str(label), visits=int(visits))
    by_source: dict = {}
    for edge in edges:
        by_source.setdefault(edge[0], []).append(edge)
    for source_clip, out in by_source.items():
        probabilities = rules.hopping_probabilities([float(e[2]) for e in out], policy, beta)
        u = key_id(source_clip)
        for (_, target, h, glow), p in zip(out, probabilities):
            graph.add_edge(u, key_id(target), h=float(h), glow=float(glow), probability=float(p))
    return graph


def _clips_and_edges(source):
    """Clips ``(clip, kind, layer, label, visits)`` and edges ``(source, target, h, glow)``."""
    if isinstance(source, PSAgent):
        source = source.ecm
    if isinstance(source, ECM):
        snap = source.snapshot()
        return snap["clips"], snap["edges"], source.policy, source.beta_softmax
    if isinstance(source, TwoLayerPS):
        snap = source.snapshot()
        actions = [action_clip(a) for a in source.actions]
        percepts = [percept_clip(k) for k in snap["percept_keys"]]
        clips = [(c, "action", 1, str(a), v) for c, a, v in zip(actions, source.actions, snap["action_visits"])]
        clips += [(p, "percept", 0, str(k), v) for p, k, v in zip(percepts, snap["percept_keys"], snap["visits"])]
        glow = {(i, j): g for i, j, g in snap["glowing"]}
        edges = [
            (p, a, h, glow.get((i, j), 0.0))
            for i, (p, row) in enumerate(zip(percepts, snap["h"]))
            for j, (a, h) in enumerate(zip(actions, row))
        ]
        return clips, edges, source.config.policy, source.config.beta_softmax
    raise ConfigError(
        f"export takes an ECM, a PSAgent or a TwoLayerPS; got {type(source).__name__}. "
        "For a plain networkx graph, use networkx's own writers."
    )


def write_graphml(source: ECM | PSAgent | TwoLayerPS, path: str | os.PathLike) -> Path:
    """Write ``source``'s ECM as GraphML (``networkx.read_graphml`` reads it back).

    >>> import pathlib, tempfile, networkx as nx, ps_graph
    >>> agent = ps_graph.TwoLayerPS(2, seed=0); agent.act(0)
    1
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     graph = nx.read_graphml(write_graphml(agent, pathlib.Path(folder) / "ecm.graphml"))
    >>> sorted(graph.nodes), graph.edges['["percept",0]', '["action",1]']['glow']
    (['["action",0]', '["action",1]', '["percept",0]'], 1.0)
    """
    return _write_with(nx.write_graphml, source, path)


def write_gexf(source: ECM | PSAgent | TwoLayerPS, path: str | os.PathLike) -> Path:
    """Write ``source``'s ECM as GEXF 1.2 for Gephi (``networkx.read_gexf`` reads it back).

    >>> import pathlib, tempfile, networkx as nx, ps_graph
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     graph = nx.read_gexf(write_gexf(ps_graph.PSAgent(2), pathlib.Path(folder) / "ecm.gexf"))
    >>> graph.nodes['["action",1]']['kind']
    'action'
    """
    return _write_with(nx.write_gexf, source, path)


def write_node_link_json(source: ECM | PSAgent | TwoLayerPS, path: str | os.PathLike) -> Path:
    """Write ``source``'s ECM as node-link JSON (d3 style, edges under ``"edges"``).

    Read it back with ``networkx.node_link_graph(json.load(f), edges="edges")``.

    >>> import json, pathlib, tempfile, networkx as nx, ps_graph
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     data = json.loads(write_node_link_json(ps_graph.PSAgent(2), pathlib.Path(folder) / "ecm.json").read_text())
    >>> data["directed"], data["edges"]
    (True, [])
    """
    data = nx.node_link_data(to_export_graph(source), edges="edges")
    text = json.dumps(data, allow_nan=False, indent=1)
    return atomic_write_bytes(_path(path), (text + "\n").encode("utf-8"))


def _write_with(writer, source, path) -> Path:
    """``writer(graph, file)`` (a networkx writer) of :func:`to_export_graph`, written atomically."""
    buf = io.BytesIO()
    writer(to_export_graph(source), buf)
    return atomic_write_bytes(_path(path), buf.getvalue())


def _path(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise ConfigError(f"path must be a str or os.PathLike; got {type(path).__name__}.")
    return Path(path)
