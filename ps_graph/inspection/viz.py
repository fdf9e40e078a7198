"""The ECM explorer: one self-contained, offline HTML page to work in.

:func:`to_html` builds the page of an agent (or an ECM): the document of
:func:`~ps_graph.inspection.explorer.explorer_data` (clips, edges, exact explanations of every
percept, timeline snapshots, a second agent to compare, the policy map of a grid world)
embedded as one JSON block, vis-network (inlined from pyvis's bundled copy) and the
explorer's own script and stylesheet (``static/explorer.js``, ``static/explorer.css``), all
inlined into ``templates/explorer.html.j2``. The page loads nothing from anywhere, so it
opens with no network, inside a Jupyter notebook (:func:`show`, a sandboxed iframe) and
inside the comparison report. Labels are shown as text, never parsed as HTML: the JSON block
escapes ``<``, ``>`` and ``&``, and the page writes labels with ``textContent``.

The page's JavaScript API, ``window.psGraph`` (for tests and notebooks):

* ``select(label) -> bool``: select the clip whose label (as shown) is ``label`` (first
  match, percepts first), open its side panel and highlight its top walks; false if none.
* ``panel()``: the side panel as a plain object, ``{clip, kind, probabilities: {action
  label: number}, walks: [{labels, p}], edges: [{to, h, glow, p}]}``, or null.
* ``snapshots()`` (how many timeline snapshots, 0 without a Timeline), ``setSnapshot(i)``
  (``-1`` the final state), ``snapshot()`` (the current index).
* ``setThreshold(p)``, ``setKinds([...])``, ``setNeighbourhood(k | null)``,
  ``collapseHidden(bool)``: the filters; ``drawn()`` gives ``{nodes, edges}`` drawn now.
* ``highlighted()``: ``{nodes: [labels], edges: [[from label, to label]]}``.

>>> from ps_graph import ECM
>>> ecm = ECM(); ecm.add_percept("s"); ecm.add_action("go"); ecm.connect("s", ["go"])
>>> page = to_html(ecm, title="tiny")
>>> page.startswith("<!DOCTYPE html>") and "<title>tiny</title>" in page
True
>>> read_data(page)["edges"]
[{'from': '"s"', 'to': '"go"', 'h': 1.0, 'glow': 0.0, 'p': 1.0}]
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..files import atomic_write_text
from .explorer import explorer_data

__all__ = ["read_data", "show", "to_html", "write_html"]

_HEIGHT = re.compile(r"^\d+(\.\d+)?(px|%|vh|em|rem)$")
_HERE = Path(__file__).parent
_TEMPLATE = "explorer.html.j2"
_DATA = re.compile(r'<script type="application/json" id="ps-graph-data">(.*?)</script>', re.S)
_INSTALL = "Install it with: pip install 'ps_graph[viz]' (or pip install 'pyvis>=0.3.2,<0.4')."

# Until static/explorer.js and explorer.css exist: every clip and edge drawn as they are.
_PLACEHOLDER_JS = """(function () {
  var data = JSON.parse(document.getElementById("ps-graph-data").textContent);
  var box = document.createElement("div");
  box.id = "ps-graph-network";
  box.style.height = "var(--ps-graph-height)";
  document.getElementById("ps-graph-app").appendChild(box);
  var nodes = data.clips.map(function (c) { return {id: c.id, label: c.label, level: c.layer}; });
  var edges = data.edges.map(function (e) { return {from: e.from, to: e.to, width: 1 + 7 * e.p}; });
  var net = new vis.Network(box, {nodes: nodes, edges: edges},
    {physics: {enabled: data.default_view.physics}, edges: {arrows: "to"}});
  net.once("afterDrawing", function () {
    var d = document.body.dataset;
    d.psgraphNodes = String(nodes.length); d.psgraphEdges = String(edges.length); d.psgraphDrawn = "1";
  });
})();"""
_PLACEHOLDER_CSS = (
    "body { margin: 0; font-family: sans-serif; } #ps-graph-header h1 { font-size: 16px; margin: 6px 10px; }"
)


# ---------------------------------------------------------------------- the page's parts
def _script_json(value) -> str:
    """JSON that is safe inside a <script> element: ``<``, ``>``, ``&`` (so no ``</script>``
    or ``<!--``) and the JS line separators are written as \\u escapes."""
    text = value if isinstance(value, str) else json.dumps(value, allow_nan=False, separators=(",", ":"))
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def _inline(text: str, tag: str) -> str:
    """Script or stylesheet text that cannot close its ``<tag>`` element early."""
    return re.sub(rf"</({tag})", r"<\\/\1", text, flags=re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _vis_assets() -> tuple[str, str]:
    """vis-network's script and stylesheet as shipped with pyvis (for ``cdn_resources="in_line"``)."""
    try:
        import pyvis
    except ImportError:
        raise ImportError(
            f"the ECM explorer needs pyvis (for vis-network), which is not installed. {_INSTALL}"
        ) from None
    lib = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    js, css = lib / "vis-network.min.js", lib / "vis-network.css"
    return js.read_text(encoding="utf-8"), css.read_text(encoding="utf-8")


def _static(name: str, placeholder: str) -> str:
    """The explorer's own ``static/<name>`` (read on every call, so edits show at once)."""
    path = _HERE / "static" / name
    return path.read_text(encoding="utf-8") if path.is_file() else placeholder


@functools.lru_cache(maxsize=1)
def _environment():
    """The Jinja environment (autoescaping) of the page template."""
    from jinja2 import Environment, FileSystemLoader
    from markupsafe import Markup

    env = Environment(loader=FileSystemLoader(_HERE / "templates"), autoescape=True, keep_trailing_newline=True)
    env.filters["script_json"] = lambda value: Markup(_script_json(value))
    return env


def _check_height(height) -> str:
    if isinstance(height, int) and not isinstance(height, bool) and height > 0:
        return f"{height}px"
    if isinstance(height, str) and _HEIGHT.match(height.strip()):
        return height.strip()
    raise ConfigError(
        f"height must be a positive number of pixels or a CSS length such as '750px', '80vh' or '100%'; got {height!r}."
    )


def render_page(data: dict[str, Any], *, height: str | int = "750px") -> str:
    """The explorer page holding the document ``data`` (as :func:`explorer_data` builds it)."""
    from markupsafe import Markup

    vis_js, vis_css = _vis_assets()
    return (
        _environment()
        .get_template(_TEMPLATE)
        .render(
            title=data["title"],
            height=_check_height(height),
            data=data,
            vis_js=Markup(_inline(vis_js, "script")),
            vis_css=Markup(_inline(vis_css, "style")),
            explorer_js=Markup(_inline(_static("explorer.js", _PLACEHOLDER_JS), "script")),
            explorer_css=Markup(_inline(_static("explorer.css", _PLACEHOLDER_CSS), "style")),
        )
    )


def read_data(page: str) -> dict[str, Any]:
    """The document a page of :func:`to_html` embeds (for tests and tools).

    Raises :class:`~ps_graph.errors.ConfigError` when ``page`` holds no explorer data.
    """
    match = _DATA.search(page)
    if match is None:
        raise ConfigError(
            'the page holds no explorer data (<script type="application/json" id="ps-graph-data">); '
            "pass a page written by ps_graph.inspection.to_html or ps-graph inspect --html."
        )
    return json.loads(match.group(1))


# ---------------------------------------------------------------------- public
def to_html(source, *, height: str | int = "750px", **options: Any) -> str:
    """The explorer page of ``source`` (an ECM, a PSAgent or a TwoLayerPS) as one HTML string.

    Parameters
    ----------
    height : str or int
        Height of the graph area: a CSS length ("750px", "80vh") or pixels.
    **options
        As :func:`~ps_graph.inspection.explorer.explorer_data`: ``timeline``, ``compare``,
        ``labels``, ``k``, ``percepts``, ``min_probability`` (the starting threshold: the
        page's slider moves it, nothing is dropped), ``grid``, ``selected``, ``physics``,
        ``max_physics_clips``, ``title``, ``compare_title``, ``decision``, ``last_decision``,
        ``max_expansions``.

    The page's JavaScript API is described in the module (``window.psGraph``).

    >>> from ps_graph import ECM
    >>> ecm = ECM(); ecm.add_percept("s"); ecm.add_action("a"); ecm.add_action("b")
    >>> ecm.connect("s", ["a", "b"])
    >>> "a -&gt; b" in to_html(ecm, title="a -> b")  # the title is shown as text
    True
    """
    height = _check_height(height)
    return render_page(explorer_data(source, **options), height=height)


def write_html(source, path: str | os.PathLike, **options: Any) -> Path:
    """Write :func:`to_html` of ``source`` to ``path`` (atomically); returns the path.

    >>> import tempfile; from pathlib import Path
    >>> from ps_graph import ECM
    >>> ecm = ECM(); ecm.add_percept("s"); ecm.add_action("go"); ecm.connect("s", ["go"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_html(ecm, Path(tmp) / "ecm.html").stat().st_size > 100_000  # vis-network inlined
    True
    """
    return atomic_write_text(path, to_html(source, **options))


def _iframe(page: str, height: str | int = "750px") -> str:
    """``page`` inside a sandboxed ``<iframe srcdoc=...>`` (scripts only: no access to
    the page around it), wrapped in a div."""
    return (
        f'<div class="ps-graph-ecm"><iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" '
        f'style="width: 100%; height: calc({_check_height(height)} + 60px); border: none;"></iframe></div>'
    )


def show(source, **options: Any):
    """The explorer for Jupyter: an ``IPython.display.HTML`` holding the page in a sandboxed
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
    # (wrapped in a div: IPython warns about a bare <iframe> and suggests IFrame, which needs a URL)
    return HTML(_iframe(to_html(source, **options), options.get("height", "750px")))
