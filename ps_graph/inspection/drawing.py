"""Static matplotlib drawings: the ECM as a layered graph, and a policy map for grid worlds.

Both functions return a :class:`matplotlib.figure.Figure` (matplotlib loads when one is
drawn; pyplot is never used, so nothing is shown or written unless the caller saves it,
e.g. with :func:`ps_graph.files.save_figure`). For ECMs too large to draw statically use the
interactive view, :mod:`ps_graph.inspection.viz`.

Example
-------
>>> import ps_graph
>>> agent = ps_graph.PSAgent(2)
>>> for s in (0, 1): _ = agent.percept(s)
>>> fig = draw_ecm(agent)
>>> len(fig.axes[0].patches)   # one arrow per edge: 2 percepts x 2 actions
4
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping

import networkx as nx
import numpy as np

from ..agent import percept_clip
from ..checks import check_int, check_real
from ..ecm import ECM
from ..errors import ConfigError
from .highlight import DecisionHighlight, highlight_option
from .palette import DECISION, INK, KIND_COLOURS, glow_colormap, glow_colour
from .sources import clip_labels, ecm_of, find_percept, start_clips

__all__ = ["DIRECTIONS", "draw_ecm", "plot_policy_map"]

#: Default action -> direction of the grid environments gymnasium ships.
DIRECTIONS = {
    "FrozenLakeEnv": {0: "left", 1: "down", 2: "right", 3: "up"},
    "CliffWalkingEnv": {0: "up", 1: "right", 2: "down", 3: "left"},
}
# (d column, d row): rows grow downwards, as in the env's own layout
_VECTORS = {"left": (-1.0, 0.0), "right": (1.0, 0.0), "up": (0.0, -1.0), "down": (0.0, 1.0)}
_TILE_COLORS = {"S": "#fff2b3", "F": "#ffffff", "H": "#5b7fa8", "G": "#8fd19e", "C": "#c96a6a"}
_ARROW_MAX = 0.42  # arrow length (in cells) of an action taken with probability 1
_BEST_ACTION = "#c0392b"  # arrow colour of the most likely action

Edge = tuple[Hashable, Hashable, float, float]  # source, target, hopping probability, glow


def _figure_and_axes(ax, width: float, height: float):
    """``ax`` and its figure, or a new constrained Figure of at most 16 x 16 inches with one Axes."""
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=(min(width, 16.0), min(height, 16.0)), layout="constrained")
    return fig, fig.add_subplot()


# ---------------------------------------------------------------------- the ECM
def _selected_clips(ecm: ECM, agent: object | None, percepts: object, max_clips: int) -> list[Hashable]:
    """All clips, or the given percepts and every clip reachable from them (ECM order);
    more than ``max_clips`` is an error."""
    if percepts is None:
        clips = ecm.clips()
    else:
        keep = ecm.reachable(start_clips(ecm, agent, percepts))
        clips = [c for c in ecm.clips() if c in keep]
    if len(clips) > max_clips:
        raise ConfigError(
            f"the drawing would have {len(clips)} clips, more than max_clips={max_clips}; a static drawing "
            "that large is unreadable. Draw part of it with percepts=[...], raise max_clips, or open the "
            "interactive view (ps_graph.inspection.viz)."
        )
    return clips


def _kept_edges(ecm: ECM, graph: nx.DiGraph, clips: list[Hashable], min_probability: float) -> list[Edge]:
    """Edges out of the drawn clips whose hopping probability is at least ``min_probability``."""
    edges = []
    for u in clips:
        if ecm.kind(u) == "action":
            continue
        for v, p in ecm.probabilities(u).items():
            if p >= min_probability:
                edges.append((u, v, p, graph.edges[u, v]["glow"]))
    return edges


def _layered_positions(graph: nx.DiGraph, clips: list[Hashable]) -> tuple[dict, int, int]:
    """Clip -> (x, y): one column per layer (sorted, percepts left), clips spaced one unit
    apart and centred in their column, first clip on top (as networkx's multipartite_layout,
    without its rescaling, so spacing stays one unit). Also the number of columns and the
    size of the tallest one."""
    columns: dict[int, list[Hashable]] = {}
    for c in clips:
        columns.setdefault(graph.nodes[c]["layer"], []).append(c)
    pos = {}
    for x, layer in enumerate(sorted(columns)):
        column = columns[layer]
        for i, c in enumerate(column):
            pos[c] = (float(x), (len(column) - 1) / 2 - i)
    return pos, max(len(columns), 1), max((len(col) for col in columns.values()), default=1)


def _draw_clips(ax, ecm: ECM, graph: nx.DiGraph, clips: list[Hashable], pos: dict) -> dict[Hashable, float]:
    """One scatter per clip kind (gid ``ps_graph.clips.<kind>``), marker area growing with
    visits, and each clip's label; returns clip -> marker area in points^2."""
    visits = {c: graph.nodes[c]["visits"] for c in clips}
    most = max(visits.values(), default=0) or 1
    size = {c: 150.0 + 550.0 * visits[c] / most for c in clips}
    for kind, colour in KIND_COLOURS.items():
        of_kind = [c for c in clips if graph.nodes[c]["kind"] == kind]
        if of_kind:
            xy = np.array([pos[c] for c in of_kind])
            nodes = ax.scatter(
                xy[:, 0],
                xy[:, 1],
                s=[size[c] for c in of_kind],
                c=colour,
                label=kind,
                zorder=2,
                edgecolors="white",
                linewidths=1.0,
            )
            nodes.set_gid(f"ps_graph.clips.{kind}")
    for c, label in clip_labels(ecm, clips).items():
        ax.text(*pos[c], label, ha="center", va="center", fontsize=8, zorder=3, gid="ps_graph.label", clip_on=True)
    return size


def _add_arrow(ax, gid: str, edge: tuple[Hashable, Hashable], pos: dict, size: dict[Hashable, float], **style) -> None:
    """One curved arrow between two drawn clips, stopping at their markers' rims."""
    from matplotlib.patches import FancyArrowPatch

    u, v = edge
    options = {"alpha": 0.85, "zorder": 1, **style}
    arrow = FancyArrowPatch(
        pos[u],
        pos[v],
        arrowstyle="-|>",
        shrinkA=math.sqrt(size[u]) / 2,
        shrinkB=math.sqrt(size[v]) / 2 + 1,
        connectionstyle="arc3,rad=0.08",
        **options,
    )
    arrow.set_gid(gid)
    ax.add_patch(arrow)


def _draw_edges(ax, edges: list[Edge], pos: dict, size: dict[Hashable, float]) -> None:
    """One arrow per edge (gid ``ps_graph.edge``): width by hopping probability, colour by
    glow relative to the largest drawn glow, with a colour bar when anything glows."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    glow_max = max((g for *_, g in edges), default=0.0)
    for u, v, p, g in edges:
        colour = glow_colour(g / glow_max if glow_max > 0 else 0.0)
        _add_arrow(ax, "ps_graph.edge", (u, v), pos, size, mutation_scale=10, linewidth=0.5 + 4.0 * p, color=colour)
    if glow_max > 0:
        mappable = ScalarMappable(norm=Normalize(vmin=0.0, vmax=glow_max), cmap=glow_colormap())
        ax.figure.colorbar(mappable, ax=ax, label="glow", shrink=0.6)


def _draw_decision(ax, mark: DecisionHighlight, pos: dict, size: dict[Hashable, float]) -> None:
    """Rings round the drawn excited clips (gid ``ps_graph.highlight.excited``) and deciders
    (``ps_graph.highlight.deciders``), and the decision's drawn edges as thick arrows (gid
    ``ps_graph.decision``), all in :data:`~ps_graph.inspection.palette.DECISION`."""
    rings = (("excited", mark.excited, "dotted", 8.0), ("deciders", mark.deciders, "solid", 14.0))
    for name, clips, style, gap in rings:
        drawn = [c for c in dict.fromkeys(clips) if c in pos]
        if drawn:
            xy = np.array([pos[c] for c in drawn])
            ax.scatter(
                xy[:, 0],
                xy[:, 1],
                s=[(math.sqrt(size[c]) + gap) ** 2 for c in drawn],  # a ring ``gap`` points wider
                facecolors="none",
                edgecolors=DECISION,
                linewidths=2.0,
                linestyles=style,
                label=name,
                zorder=3,
            ).set_gid(f"ps_graph.highlight.{name}")
    for u, v in mark.edges:
        if u in pos and v in pos:
            look: dict = {"mutation_scale": 14, "linewidth": 3.0, "color": DECISION, "alpha": 1.0, "zorder": 2}
            _add_arrow(ax, "ps_graph.decision", (u, v), pos, size, **look)


def _finish_ecm_axes(ax, num_clips: int, num_edges: int, width: int, height: int) -> None:
    """Legend of clip kinds (and highlights) below, title, fixed limits (arrow patches would
    stretch autoscaling)."""
    from matplotlib.collections import PathCollection

    handles = [
        h
        for h in ax.get_children()
        if isinstance(h, PathCollection) and str(h.get_gid()).startswith(("ps_graph.clips", "ps_graph.highlight"))
    ]
    if handles:
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=len(handles),
            frameon=False,
            markerscale=0.5,
            fontsize=8,
        )
    ax.set_title(f"ECM: {num_clips} clips, {num_edges} edges (width = hopping probability)", fontsize=10)
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(-height / 2, height / 2)
    ax.set_axis_off()


def draw_ecm(
    source: object,
    *,
    ax=None,
    percepts: object = None,
    min_probability: float = 0.0,
    max_clips: int = 200,
    decision: object = None,
    last_decision: bool = False,
):
    """A layered drawing of a small ECM: percepts left, hidden layers in the middle, actions right.

    Parameters
    ----------
    source : ECM, PSAgent or TwoLayerPS
    ax : matplotlib Axes, optional
        Draw into this Axes (its figure is returned); by default a new Figure.
    percepts : list of percepts, optional
        Draw only these percept clips and the clips reachable from them. Percepts are clip
        keys, or with an agent also percept keys or observations (as in :func:`ps_graph.inspection.explain.explain`).
    min_probability : float in [0, 1]
        Leave out edges whose hopping probability is below this.
    max_clips : int >= 1
        More clips than this raise :class:`~ps_graph.errors.ConfigError`.
    decision : observation, optional (an agent only)
        Highlight the agent's decision on this observation (:mod:`ps_graph.inspection.highlight`):
        orange rings round the excited percept clips (dotted) and the deciders (solid), and
        the most probable decision's edges as thick orange arrows; under multi-excitation
        the deciders are the conjunction (or feature) clips. Clips not created yet are not drawn.
    last_decision : bool, default False
        With ``decision``: highlight the decision the agent last took (``agent.last_path``)
        instead of the most probable one.

    Edge width grows with the hopping probability, edge colour shows glow (grey: none;
    colours from :mod:`ps_graph.inspection.palette`), node size grows with visits, and
    nodes are named by their ``label`` attribute. The ECM is only read.

    >>> import ps_graph
    >>> ecm = ps_graph.ECM()
    >>> ecm.add_percept("s"); ecm.add_hidden("h"); ecm.add_action("a"); ecm.add_action("b")
    >>> ecm.connect("s", ["h", "a"]); ecm.connect("h", ["b"])
    >>> fig = draw_ecm(ecm, min_probability=0.6)   # every edge out of s has 0.5
    >>> len(fig.axes[0].patches)
    1
    """
    ecm, agent = ecm_of(source)
    min_probability = check_real("min_probability", min_probability, 0.0, 1.0)
    max_clips = check_int("max_clips", max_clips, 1)
    mark = highlight_option(source, decision, last_decision)
    clips = _selected_clips(ecm, agent, percepts, max_clips)
    graph = ecm.graph.subgraph(clips)
    edges = _kept_edges(ecm, graph, clips, min_probability)
    pos, width, height = _layered_positions(graph, clips)
    fig, ax = _figure_and_axes(ax, 3.0 + 2.2 * width, 1.5 + 0.5 * height)
    size = _draw_clips(ax, ecm, graph, clips, pos)
    _draw_edges(ax, edges, pos, size)
    if mark is not None:
        _draw_decision(ax, mark, pos, size)
    _finish_ecm_axes(ax, len(clips), len(edges), width, height)
    if mark is not None:
        ax.set_title(f"{ax.get_title()}\nhighlighted (orange): {mark.what}", fontsize=10)
    return fig


# ---------------------------------------------------------------------- policy map
def _grid_of(env_or_shape: object) -> tuple[int, int, np.ndarray | None, str | None]:
    """Rows, columns, tile letters (or None) and the env's class name (or None)."""
    if isinstance(env_or_shape, (tuple, list)):
        if len(env_or_shape) != 2:
            raise ConfigError(f"a grid shape is (nrows, ncols); got {env_or_shape!r}.")
        rows, cols = (check_int(n, v, 1) for n, v in zip(("nrows", "ncols"), env_or_shape))
        return rows, cols, None, None
    env = getattr(env_or_shape, "unwrapped", env_or_shape)
    nrow, ncol = getattr(env, "nrow", None), getattr(env, "ncol", None)
    if nrow is None or ncol is None:
        shape = getattr(env, "shape", None)
        if isinstance(shape, tuple) and len(shape) == 2:
            nrow, ncol = shape
    if nrow is None or ncol is None:
        raise ConfigError(
            f"cannot tell the grid of {type(env).__name__}: it has neither nrow/ncol nor a 2-D shape. "
            "Pass the grid as (nrows, ncols) with directions={action: 'left' | 'right' | 'up' | 'down', ...}."
        )
    nrow, ncol = int(nrow), int(ncol)
    desc = getattr(env, "desc", None)
    if desc is not None:
        desc = np.array([[t.decode() if isinstance(t, bytes) else str(t) for t in row] for row in np.asarray(desc)])
    elif (cliff := getattr(env, "_cliff", None)) is not None:  # CliffWalking: start bottom left, goal bottom right
        desc = np.where(np.asarray(cliff, dtype=bool), "C", "F").astype("<U1")
        desc[nrow - 1, 0], desc[nrow - 1, ncol - 1] = "S", "G"
    if desc is not None and desc.shape != (nrow, ncol):
        desc = None
    return nrow, ncol, desc, type(env).__name__


def _vectors(directions: Mapping | None, env_name: str | None) -> dict[Hashable, tuple[float, float]]:
    if directions is None:
        directions = DIRECTIONS.get(env_name) if env_name else None
        if directions is None:
            raise ConfigError(
                f"no default action directions for {env_name or 'a bare grid shape'}; pass "
                "directions={action: 'left' | 'right' | 'up' | 'down' (or a (d_col, d_row) pair), ...}, "
                "e.g. directions={0: 'left', 1: 'down', 2: 'right', 3: 'up'}."
            )
    if not isinstance(directions, Mapping):
        raise ConfigError(f"directions must be a dict action -> direction; got {directions!r}.")
    vectors = {}
    for action, d in directions.items():
        if isinstance(d, str) and d in _VECTORS:
            vectors[action] = _VECTORS[d]
        elif isinstance(d, (tuple, list)) and len(d) == 2 and all(isinstance(x, (int, float)) for x in d) and any(d):
            norm = math.hypot(*d)
            vectors[action] = (d[0] / norm, d[1] / norm)
        else:
            raise ConfigError(
                f"direction {d!r} of action {action!r} is not one of 'left', 'right', 'up', 'down' "
                "or a nonzero (d_col, d_row) pair (rows grow downwards)."
            )
    return vectors


def _cell_clip(ecm: ECM, agent: object | None, state: int) -> Hashable | None:
    if agent is not None:
        clip = find_percept(ecm, agent, state)
    else:
        clip = next((c for c in (percept_clip(state), state) if c in ecm), None)
    return clip if clip is not None and ecm.kind(clip) != "action" else None


def _action_of(clip: Hashable) -> Hashable:
    """``("action", a)`` -> ``a``; any other action clip is its own action."""
    return clip[1] if isinstance(clip, tuple) and len(clip) == 2 and clip[0] == "action" else clip


def _shade_tiles(ax, desc: np.ndarray) -> None:
    """Colour each cell by its tile letter and mark start, holes, goal and cliff."""
    from matplotlib.colors import to_rgb

    nrow, ncol = desc.shape
    image = np.array([[to_rgb(_TILE_COLORS.get(t, "#ffffff")) for t in row] for row in desc])
    ax.imshow(image, extent=(-0.5, ncol - 0.5, nrow - 0.5, -0.5), interpolation="nearest", zorder=0)
    for r in range(nrow):
        for c in range(ncol):
            if desc[r, c] in "SHGC":
                ax.text(c - 0.45, r - 0.45, desc[r, c], ha="left", va="top", fontsize=7, color=INK)


def _draw_cell_arrows(ax, row: int, col: int, probs: Mapping, vectors: Mapping) -> None:
    """One arrow per action of the cell (gid ``policy:<row>,<col>,<action>``), as long and
    wide as its probability; the most likely action's arrows are red."""
    from matplotlib.patches import FancyArrow

    best = max(probs.values())
    for action_key, p in probs.items():
        action = _action_of(action_key)
        if action not in vectors:
            raise ConfigError(
                f"directions has no entry for action {action!r}; give one for every action, "
                f"e.g. directions={{{action!r}: 'up', ...}}."
            )
        length = _ARROW_MAX * p
        if length <= 0.0:
            continue
        dx, dy = vectors[action]
        width = 0.015 + 0.06 * p
        arrow = FancyArrow(
            col,
            row,
            dx * length,
            dy * length,
            width=width,
            length_includes_head=True,
            head_width=2.5 * width,
            head_length=min(0.12, length),
            color=_BEST_ACTION if p >= best - 1e-12 else INK,
            zorder=2,
        )
        arrow.set_gid(f"policy:{row},{col},{action}")
        ax.add_patch(arrow)


def _grid_axes(ax, nrow: int, ncol: int) -> None:
    """Cells as a grid with row/column ticks, row 0 on top."""
    ax.set_xlim(-0.5, ncol - 0.5)
    ax.set_ylim(nrow - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.set_xticks(np.arange(ncol))
    ax.set_yticks(np.arange(nrow))
    ax.set_xticks(np.arange(-0.5, ncol), minor=True)
    ax.set_yticks(np.arange(-0.5, nrow), minor=True)
    ax.grid(which="minor", color="#bbbbbb", linewidth=0.8)
    ax.tick_params(which="both", length=0, labelsize=7)


def plot_policy_map(source: object, env_or_shape: object, *, directions: Mapping | None = None, ax=None):
    """Per grid cell, one arrow per action, as long and wide as its exact probability.

    Parameters
    ----------
    source : ECM, PSAgent or TwoLayerPS
    env_or_shape : gymnasium env or (nrows, ncols)
        A grid env (``nrow``/``ncol`` or ``shape`` on ``env.unwrapped``; its ``desc`` tiles,
        or CliffWalking's cliff, are shaded), or the grid's shape. State ``s`` is the cell
        ``(s // ncols, s % ncols)``, and its percept is looked up as in :func:`~ps_graph.inspection.explain.explain`.
    directions : dict action -> "left" | "right" | "up" | "down" or (d_col, d_row), optional
        Needed except for FrozenLake (0 left, 1 down, 2 right, 3 up) and CliffWalking
        (0 up, 1 right, 2 down, 3 left).
    ax : matplotlib Axes, optional

    Cells whose percept the agent has not seen stay blank; the most likely action's arrow
    is red. Each arrow's ``gid`` is ``"policy:<row>,<col>,<action>"``.

    >>> import gymnasium as gym, ps_graph
    >>> env = gym.make("FrozenLake-v1")
    >>> agent = ps_graph.PSAgent.for_env(env)
    >>> _ = agent.percept(0)
    >>> fig = plot_policy_map(agent, env)
    >>> sorted(p.get_gid() for p in fig.axes[0].patches)
    ['policy:0,0,0', 'policy:0,0,1', 'policy:0,0,2', 'policy:0,0,3']
    """
    ecm, agent = ecm_of(source)
    nrow, ncol, desc, env_name = _grid_of(env_or_shape)
    vectors = _vectors(directions, env_name)
    fig, ax = _figure_and_axes(ax, max(3.0, 0.8 * ncol + 1.0), max(3.0, 0.8 * nrow + 0.8))
    if desc is not None:
        _shade_tiles(ax, desc)
    for r in range(nrow):
        for c in range(ncol):
            clip = _cell_clip(ecm, agent, r * ncol + c)
            if clip is not None:
                _draw_cell_arrows(ax, r, c, ecm.action_probabilities(clip), vectors)
    _grid_axes(ax, nrow, ncol)
    ax.set_title("policy: arrow length = exact action probability", fontsize=10)
    return fig
