"""The interactive ECM view: one self-contained, offline HTML page (pyvis / vis-network).

Clips are laid out left to right by layer (percepts, hidden layers, actions); an edge's
width grows with its hopping probability, its colour goes from grey (no glow) to red
(glow >= 1), a node's size grows with its visits, and tooltips give h, glow and the
probability (edges) or kind, label and visits (nodes); colours come from
:mod:`ps_graph.inspection.palette`, as in the static drawing. The page inlines vis-network's
script and stylesheet, so it opens with no network at all (and in a Jupyter notebook via
:func:`show`). The ECM is only read, never changed.

Large ECMs: ``min_probability`` keeps only edges at or above it, ``percepts=[...]`` keeps
only what those percepts reach, and physics is off beyond ``max_physics_clips`` clips.

>>> from ps_graph import ECM
>>> ecm = ECM(); ecm.add_percept("s"); ecm.add_action("go"); ecm.connect("s", ["go"])
>>> page = to_html(ecm, title="tiny")
>>> page.startswith("<!DOCTYPE html>") and "<title>tiny</title>" in page
True
"""

from __future__ import annotations

import functools
import html
import json
import math
import os
import re
from collections.abc import Hashable, Iterable
from pathlib import Path

from ..checks import check_int, check_real
from ..ecm import ECM
from ..errors import ConfigError
from ..files import atomic_write_text
from ..keys import key_id
from .highlight import DecisionHighlight, highlight_option
from .palette import DECISION, INK, KIND_COLOURS, glow_colour, kind_colour
from .sources import ecm_of, start_clips

__all__ = ["show", "to_html", "write_html"]

_MIN_SIZE, _MAX_SIZE = 8.0, 30.0  # node radius for 0 visits and for the most visited clip
_LAYER_GAP, _ROW_GAP = 320, 2 * _MAX_SIZE + 30  # px between layers; between clips of a layer
_HEIGHT = re.compile(r"^\d+(\.\d+)?(px|%|vh|em|rem)$")
_TEMPLATE_NAME = "ps_graph_ecm.html"
_INSTALL = "Install it with: pip install 'ps_graph[viz]' (or pip install 'pyvis>=0.3.2,<0.4')."


# ---------------------------------------------------------------------- reading the source
def _select(ecm: ECM, graph, min_probability: float, starts, always=()):
    """Clips to draw (in ECM order) and edges ``(source, target, probability)`` kept; the
    edges ``always`` (a highlighted decision's) are kept whatever their probability."""
    probabilities: dict[Hashable, dict[Hashable, float]] = {}

    def kept(clip):
        if clip not in probabilities:
            probs = ecm.probabilities(clip) if graph.out_degree(clip) else {}
            probabilities[clip] = {t: p for t, p in probs.items() if p >= min_probability or (clip, t) in always}
        return probabilities[clip]

    if starts is None:
        clips = list(graph.nodes)
    else:  # breadth-first over the kept edges
        seen, frontier = set(starts), list(starts)
        while frontier:
            nxt = []
            for clip in frontier:
                for target in kept(clip):
                    if target not in seen:
                        seen.add(target)
                        nxt.append(target)
            frontier = nxt
        clips = [c for c in graph.nodes if c in seen]
    edges = [(s, t, p) for s in clips for t, p in kept(s).items()]
    return clips, edges


# ---------------------------------------------------------------------- drawing items
def _positions(clips, graph) -> dict[Hashable, tuple[float, float]]:
    """Fixed x per layer, y spread evenly (centred on 0) within the layer."""
    layers: dict[int, list[Hashable]] = {}
    for clip in clips:
        layers.setdefault(int(graph.nodes[clip]["layer"]), []).append(clip)
    pos: dict[Hashable, tuple[float, float]] = {}
    for layer, members in layers.items():
        middle = (len(members) - 1) / 2
        for i, clip in enumerate(members):
            pos[clip] = (layer * _LAYER_GAP, (i - middle) * _ROW_GAP)
    return pos


def _node_style(kind: str, note: str | None) -> dict:
    """A node's colour (ringed in :data:`~ps_graph.inspection.palette.DECISION` when it has
    a part in the highlighted decision) and border width."""
    if note is None:
        return {"color": kind_colour(kind)}
    ring = {"background": kind_colour(kind), "border": DECISION}
    return {"color": {**ring, "highlight": ring, "hover": ring}, "borderWidth": 4, "borderWidthSelected": 5}


def _build_network(graph, clips, edges, *, physics: bool, height: str, title: str, mark: DecisionHighlight | None):
    """A pyvis Network of the chosen clips and edges, read from the ECM's graph (built item
    by item: pyvis's ``from_nx`` would change the graph it is given), with ``mark``'s clips
    ringed and its edges drawn thick in the decision colour."""
    try:
        from pyvis.network import Network
    except ImportError:
        raise ImportError(f"the ECM view needs pyvis, which is not installed. {_INSTALL}") from None
    net = Network(height=height, width="100%", directed=True, heading=title, cdn_resources="in_line")
    net.templateEnv, net.path = _environment(), _TEMPLATE_NAME
    net.templateEnv.globals["decision_note"] = None if mark is None else f"highlighted (orange): {mark.what}"
    decided = set() if mark is None else set(mark.edges)
    pos = _positions(clips, graph)
    max_visits = max((graph.nodes[c]["visits"] for c in clips), default=0)
    ids = {}
    for clip in clips:
        data = graph.nodes[clip]
        ids[clip] = node_id = key_id(clip)
        visits, kind, label = int(data["visits"]), data["kind"], str(data["label"])
        size = _MIN_SIZE + (_MAX_SIZE - _MIN_SIZE) * math.sqrt(visits / max_visits) if max_visits else _MIN_SIZE
        x, y = pos[clip]
        note = None if mark is None else mark.role(clip)
        net.add_node(
            node_id,
            label=label,
            **_node_style(kind, note),
            size=round(size, 2),
            x=x,
            y=y,
            title=f"{kind} clip\nlabel: {label}\nid: {node_id}\nlayer: {data['layer']}\nvisits: {visits}"
            + ("" if note is None else f"\nhighlighted: {note}"),
            # with physics on, clips only move within their layer's column
            fixed={"x": physics, "y": False},
            kind=kind,
            visits=visits,
        )
    for n, (source, target, p) in enumerate(edges):
        data = graph.edges[source, target]
        h, glow = float(data["h"]), float(data["glow"])
        chosen = mark is not None and (source, target) in decided
        net.add_edge(
            ids[source],
            ids[target],
            id=f"e{n}",
            width=round(1.0 + 7.0 * p + (4.0 if chosen else 0.0), 3),
            color={"color": DECISION if chosen else glow_colour(glow), "highlight": INK, "hover": INK},
            title=(
                f"{graph.nodes[source]['label']} -> {graph.nodes[target]['label']}\n"
                f"h = {h:.6g}\nglow = {glow:.6g}\nP(hop) = {p:.6g}"
                + (f"\nhighlighted: {mark.what}" if chosen and mark is not None else "")
            ),
            h=h,
            glow=glow,
            probability=p,
        )
    net.options = {
        # long-range repulsion, weak springs as long as the layer gap: rows stay spread out
        "physics": {
            "enabled": physics,
            "stabilization": {"iterations": 300},
            "barnesHut": {
                "gravitationalConstant": -8000,
                "centralGravity": 0.2,
                "springLength": _LAYER_GAP,
                "springConstant": 0.002,
                "avoidOverlap": 0.5,
            },
        },
        "layout": {"improvedLayout": False},  # positions are given: skip vis's O(n^2) pre-layout
        "nodes": {"shape": "dot", "font": {"size": 14}},
        # static curves: cheap, and an edge does not run through the clips between its ends
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.6}},
            "smooth": {"enabled": True, "type": "curvedCW", "roundness": 0.15},
        },
        "interaction": {"hover": True, "tooltipDelay": 150},
    }
    return net


# ---------------------------------------------------------------------- the page
def _script_json(value) -> str:
    """JSON that is safe inside a <script> element: ``<``, ``>``, ``&`` (so no ``</script>``
    or ``<!--``) and the JS line separators are written as \\u escapes."""
    text = value if isinstance(value, str) else json.dumps(value, allow_nan=False)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


@functools.lru_cache(maxsize=1)
def _vis_assets() -> tuple[str, str]:
    """vis-network's script and stylesheet as shipped with pyvis (for ``cdn_resources="in_line"``)."""
    import pyvis

    lib = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    js, css = lib / "vis-network.min.js", lib / "vis-network.css"
    return js.read_text(encoding="utf-8"), css.read_text(encoding="utf-8")


def _environment():
    """A Jinja environment (autoescaping) holding the page template; pyvis renders with it."""
    from jinja2 import DictLoader, Environment
    from markupsafe import Markup

    js, css = _vis_assets()
    env = Environment(loader=DictLoader({_TEMPLATE_NAME: _TEMPLATE}), autoescape=True)
    env.filters["script_json"] = lambda value: Markup(_script_json(value))
    env.globals.update(vis_js=Markup(js), vis_css=Markup(css), kind_colours=KIND_COLOURS, decision_colour=DECISION)
    return env


# Our own template instead of pyvis's: that one loads Bootstrap from a CDN, and its
# "tooltip_link" mode puts titles into innerHTML. Data travel as JSON blocks; tooltips
# become text nodes (textContent), labels are drawn on the canvas: nothing is parsed as HTML.
_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ heading }}</title>
<style>{{ vis_css }}</style>
<script>{{ vis_js }}</script>
<style>
body { margin: 0; font-family: sans-serif; }
#psgraph-header { padding: 6px 10px; font-size: 14px; }
#psgraph-header h1 { display: inline; font-size: 16px; margin-right: 16px; }
.psgraph-key { display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin: 0 4px 0 12px; }
.psgraph-decision { margin-left: 16px; color: {{ decision_colour }}; }
#psgraph-network { width: {{ width }}; height: {{ height }}; border-top: 1px solid lightgray; }
</style>
</head>
<body>
<div id="psgraph-header"><h1>{{ heading }}</h1>
{% for kind, colour in kind_colours.items() -%}
<span class="psgraph-key" style="background: {{ colour }}"></span>{{ kind }}
{% endfor %}
<span style="margin-left: 16px">edge width: hopping probability; edge colour: glow (grey 0, red 1);
node size: visits</span>
{% if decision_note %}<span class="psgraph-decision">{{ decision_note }}</span>{% endif %}
</div>
<div id="psgraph-network"></div>
<script type="application/json" id="psgraph-nodes">{{ nodes|script_json }}</script>
<script type="application/json" id="psgraph-edges">{{ edges|script_json }}</script>
<script type="application/json" id="psgraph-options">{{ options|script_json }}</script>
<script>
(function () {
  function read(id) { return JSON.parse(document.getElementById(id).textContent); }
  function asText(item) {
    var box = document.createElement("div");
    box.style.whiteSpace = "pre";
    box.textContent = item.title;
    item.title = box;
    return item;
  }
  var nodes = new vis.DataSet(read("psgraph-nodes").map(asText));
  var edges = new vis.DataSet(read("psgraph-edges").map(asText));
  var network = new vis.Network(document.getElementById("psgraph-network"),
                                {nodes: nodes, edges: edges}, read("psgraph-options"));
  window.psgraphNetwork = network;
  network.once("afterDrawing", function () {
    var d = document.body.dataset;
    d.psgraphNodes = String(network.body.data.nodes.length);
    d.psgraphEdges = String(network.body.data.edges.length);
    d.psgraphDrawn = "1";
  });
})();
</script>
</body>
</html>
"""


def _check_height(height) -> str:
    if isinstance(height, int) and not isinstance(height, bool) and height > 0:
        return f"{height}px"
    if isinstance(height, str) and _HEIGHT.match(height.strip()):
        return height.strip()
    raise ConfigError(
        f"height must be a positive number of pixels or a CSS length such as '750px', '80vh' or '100%'; got {height!r}."
    )


def to_html(
    source,
    *,
    percepts: Iterable | None = None,
    min_probability: float = 0.0,
    physics: bool | None = None,
    max_physics_clips: int = 300,
    height: str | int = "750px",
    title: str | None = None,
    decision: object = None,
    last_decision: bool = False,
) -> str:
    """The ECM of ``source`` as one self-contained interactive HTML page (a string).

    Parameters
    ----------
    source : ECM, PSAgent or TwoLayerPS
        What to draw: the ECM itself, an agent's ``.ecm``, or a TwoLayerPS's ``.to_ecm()``.
    percepts : list, optional
        Draw only the clips reachable (over the kept edges) from these percepts: percept
        clip keys, or, for an agent, observations. Default: every clip.
    min_probability : float in [0, 1]
        Keep only edges whose hopping probability is at least this.
    physics : bool, optional
        vis-network's physics (clips then move only within their layer's column). Default:
        on when at most ``max_physics_clips`` clips are drawn, off otherwise.
    max_physics_clips : int >= 0
        See ``physics``.
    height : str or int
        Height of the drawing area: a CSS length ("750px", "80vh") or pixels.
    title : str, optional
        Page heading; default "ECM: <clips> clips, <edges> edges".
    decision : observation, optional (an agent only)
        Highlight the agent's decision on this observation (:mod:`ps_graph.inspection.highlight`):
        the excited percept clips and the deciders get an orange ring (tooltips say which,
        with each decider's share under multi-excitation), and the edges of the most
        probable decision are drawn thick and orange, whatever ``min_probability``. Clips
        not created yet are not drawn.
    last_decision : bool, default False
        With ``decision``: highlight the decision the agent last took (``agent.last_path``).

    Node ids in the page are :func:`ps_graph.keys.key_id` of the clips. Once drawn, the
    page sets ``document.body.dataset`` ``psgraphDrawn="1"`` and the drawn node and edge
    counts (``psgraphNodes``, ``psgraphEdges``).

    >>> from ps_graph import ECM
    >>> ecm = ECM(); ecm.add_percept("s"); ecm.add_action("a"); ecm.add_action("b")
    >>> ecm.connect("s", ["a", "b"])
    >>> "a -&gt; b" in to_html(ecm, title="a -> b")  # the title is shown as text
    True
    """
    ecm, agent = ecm_of(source)
    min_probability = check_real(
        "min_probability", min_probability, 0.0, 1.0, hint="It is a hopping probability: 0 keeps every edge."
    )
    max_physics_clips = check_int("max_physics_clips", max_physics_clips, 0)
    if physics is not None and not isinstance(physics, bool):
        raise ConfigError(f"physics must be True, False or None (automatic by size); got {physics!r}.")
    height = _check_height(height)
    if title is not None and not isinstance(title, str):
        raise ConfigError(f"title must be a string or None; got {type(title).__name__}.")
    starts = None if percepts is None else start_clips(ecm, agent, percepts)
    mark = highlight_option(source, decision, last_decision)
    graph = ecm.graph  # brings h, glow and visits up to date; read only from here on
    clips, edges = _select(ecm, graph, min_probability, starts, () if mark is None else set(mark.edges))
    if physics is None:
        physics = len(clips) <= max_physics_clips
    if title is None:
        title = f"ECM: {len(clips)} clips, {len(edges)} edges"
    net = _build_network(graph, clips, edges, physics=physics, height=height, title=title, mark=mark)
    return net.generate_html()


def write_html(source, path: str | os.PathLike, **options) -> Path:
    """Write :func:`to_html` of ``source`` to ``path`` (atomically); returns the path.

    >>> import tempfile; from pathlib import Path
    >>> from ps_graph import ECM
    >>> ecm = ECM(); ecm.add_percept("s"); ecm.add_action("go"); ecm.connect("s", ["go"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_html(ecm, Path(tmp) / "ecm.html").stat().st_size > 100_000  # vis-network inlined
    True
    """
    return atomic_write_text(path, to_html(source, **options))


def show(source, **options):
    """The view for Jupyter: an ``IPython.display.HTML`` holding the page in a sandboxed
    ``<iframe srcdoc=...>`` (scripts only, no access to the notebook), so the notebook
    stays self-contained. Options as :func:`to_html`.

    >>> from ps_graph import ECM
    >>> ecm = ECM(); ecm.add_percept("s"); ecm.add_action("go"); ecm.connect("s", ["go"])
    >>> '<iframe srcdoc="&lt;!DOCTYPE html&gt;' in show(ecm).data  # the page, HTML-escaped
    True
    """
    try:
        from IPython.display import HTML
    except ImportError:
        raise ImportError(f"show() needs IPython (it comes with pyvis). {_INSTALL}") from None
    page = to_html(source, **options)
    height = _check_height(options.get("height", "750px"))
    # (wrapped in a div: IPython warns about a bare <iframe> and suggests IFrame, which needs a URL)
    return HTML(
        f'<div class="ps-graph-ecm"><iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" '
        f'style="width: 100%; height: calc({height} + 60px); border: none;"></iframe></div>'
    )
