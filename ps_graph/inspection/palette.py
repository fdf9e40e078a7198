"""One palette for every picture of an ECM: a colour per clip kind, and glow as edge colour.

The static drawing (:mod:`ps_graph.inspection.drawing`, matplotlib) and the interactive
view (:mod:`ps_graph.inspection.viz`, vis-network) both take their colours from here, so
a percept, a hidden clip or a glowing edge looks the same in both. Colours are CSS hex
strings, which matplotlib and the browser both read; matplotlib loads only in
:func:`glow_colormap`.

Example
-------
>>> kind_colour("percept")
'#4e79a7'
>>> glow_colour(0.0), glow_colour(0.5), glow_colour(2.5)   # grey -> red, capped at 1
('#b8b8b8', '#cc8888', '#e15759')
"""

from __future__ import annotations

from ..errors import ConfigError

__all__ = ["DECISION", "FULL_GLOW", "INK", "KIND_COLOURS", "NO_GLOW", "glow_colormap", "glow_colour", "kind_colour"]

#: Clip kind -> node colour (Tableau 10: blue, purple, green).
KIND_COLOURS = {"percept": "#4e79a7", "hidden": "#b07aa1", "action": "#59a14f"}
#: Edge colour without glow (grey), and at full glow (red).
NO_GLOW, FULL_GLOW = "#b8b8b8", "#e15759"
#: Dark grey for text, highlights and secondary marks.
INK = "#333333"
#: A highlighted decision: rings round its excited and deciding clips, its path's edges (orange).
DECISION = "#f28e2b"


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def kind_colour(kind: str) -> str:
    """The node colour of a clip of ``kind`` ("percept", "hidden" or "action").

    >>> kind_colour("action")
    '#59a14f'
    """
    try:
        return KIND_COLOURS[kind]
    except KeyError:
        raise ConfigError(f"clip kind must be one of {sorted(KIND_COLOURS)}; got {kind!r}.") from None


def glow_colour(fraction: float) -> str:
    """The edge colour for glow ``fraction`` of full: :data:`NO_GLOW` at 0, blending
    linearly to :data:`FULL_GLOW` at 1 (values outside [0, 1] are clipped).

    >>> glow_colour(1.0) == FULL_GLOW and glow_colour(-1.0) == NO_GLOW
    True
    """
    t = min(max(float(fraction), 0.0), 1.0)
    cold, hot = _rgb(NO_GLOW), _rgb(FULL_GLOW)
    return "#" + "".join(f"{round(c + t * (h - c)):02x}" for c, h in zip(cold, hot, strict=True))


def glow_colormap():
    """The same ramp as :func:`glow_colour`, as a matplotlib colormap (for a colour bar).

    >>> cmap = glow_colormap()
    >>> from matplotlib.colors import to_hex
    >>> to_hex(cmap(0.0)), to_hex(cmap(1.0))
    ('#b8b8b8', '#e15759')
    """
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("ps_graph_glow", [NO_GLOW, FULL_GLOW])
