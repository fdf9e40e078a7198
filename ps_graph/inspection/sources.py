"""What the reading tools accept: an ECM or a PS agent, and percepts named several ways.

:func:`explain <ps_graph.inspection.explain.explain>`, :func:`draw_ecm <ps_graph.inspection.drawing.draw_ecm>`,
:func:`plot_policy_map <ps_graph.inspection.drawing.plot_policy_map>` and :mod:`ps_graph.inspection.viz` all read
an :class:`~ps_graph.ECM`, a :class:`~ps_graph.PSAgent` (its ``.ecm``) or a
:class:`~ps_graph.TwoLayerPS` (its equivalent ``to_ecm()``), and name percepts by clip key
or, for an agent, by percept key or observation, and show clips by their labels. This
module does that once.

>>> import ps_graph
>>> agent = ps_graph.PSAgent(2)
>>> _ = agent.percept(3)
>>> ecm, _ = ecm_of(agent)
>>> clip = start_clip(ecm, agent, 3)
>>> clip, clip_labels(ecm, [clip, ("action", 1)])
(('percept', 3), {('percept', 3): '3', ('action', 1): '1'})
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from ..agent import percept_clip
from ..ecm import ECM
from ..errors import ConfigError, PSGraphError, UnknownClipError, UnsupportedSourceError

__all__ = ["clip_labels", "ecm_of", "find_percept", "start_clip", "start_clips"]


def ecm_of(source: object) -> tuple[ECM, object | None]:
    """The ECM to read and the agent behind it (None for a bare ECM)."""
    if isinstance(source, ECM):
        return source, None
    ecm = getattr(source, "ecm", None)
    if isinstance(ecm, ECM):
        return ecm, source
    to_ecm = getattr(source, "to_ecm", None)
    if callable(to_ecm):
        return to_ecm(), source
    raise UnsupportedSourceError(
        f"expected an ECM, a PSAgent or a TwoLayerPS; got {type(source).__name__}. "
        "Pass the agent itself, or its ECM (agent.ecm, or fast_agent.to_ecm())."
    )


def clip_labels(ecm: ECM, clips: Iterable[Hashable], agent: object | None = None) -> dict[Hashable, str]:
    """Clip -> the text that shows it, in the order given: with an agent that carries
    :class:`~ps_graph.labels.Labels` (``agent.labels``, set by ``for_env``), what they call
    it ("row 3, col 2", "DOWN"); else its ``label`` attribute, else ``str(clip)``
    (:meth:`ps_graph.ECM.label`).

    >>> from ps_graph import ECM
    >>> ecm = ECM(); ecm.add_percept("s", label="start"); ecm.add_action("a")
    >>> clip_labels(ecm, ecm.clips())
    {'s': 'start', 'a': 'a'}
    """
    named = getattr(agent, "labels", None)
    if named is not None and callable(getattr(named, "clip", None)):
        return {clip: named.clip(clip, ecm) for clip in clips}
    return {clip: ecm.label(clip) for clip in clips}


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def find_percept(ecm: ECM, agent: object | None, percept: object) -> Hashable | None:
    """The clip that ``percept`` names (a clip key, or with an agent a percept key or an
    observation), or None when it is not in the ECM."""
    if _hashable(percept) and percept in ecm:
        return percept
    encode = getattr(agent, "encode", None)
    if encode is None:
        return None
    candidates = []
    if _hashable(percept):
        candidates.append(percept_clip(percept))
    try:
        candidates.append(percept_clip(encode(percept)))
    except (PSGraphError, TypeError, ValueError, LookupError):
        pass  # not an observation of this agent's space: the percept is unknown
    for clip in candidates:
        if _hashable(clip) and clip in ecm:
            return clip
    return None


def start_clip(ecm: ECM, agent: object | None, percept: object) -> Hashable:
    """The percept (or hidden) clip a walk for ``percept`` starts at.

    Raises :class:`~ps_graph.errors.UnknownClipError` (a KeyError) when ``percept`` names
    no clip, :class:`~ps_graph.errors.ConfigError` when it names an action clip.
    """
    clip = find_percept(ecm, agent, percept)
    if clip is None:
        how = "a clip key such as ('percept', 3)" + (", a percept key or an observation" if agent is not None else "")
        raise UnknownClipError(
            f"percept {percept!r} is not in the ECM (expected {how}). It may not have been seen yet; "
            "list the known percept clips with ecm.clips('percept') or ps_graph.policy_summary(source)."
        )
    if ecm.kind(clip) == "action":
        raise ConfigError(
            f"{clip!r} is an action clip; walks start at a percept (or hidden) clip. "
            "Pass a percept, e.g. one of ecm.clips('percept')."
        )
    return clip


def start_clips(ecm: ECM, agent: object | None, percepts: object) -> list[Hashable]:
    """The distinct percept clips named by the list ``percepts`` (each as for :func:`start_clip`)."""
    if isinstance(percepts, (str, bytes)) or not isinstance(percepts, Iterable):
        raise ConfigError(
            f"percepts must be a list of percepts (clip keys, or percept keys / observations for an agent); "
            f"got {percepts!r}. Wrap a single one in a list: percepts=[...]."
        )
    starts: list[Hashable] = []
    for item in percepts:
        clip = start_clip(ecm, agent, item)
        if ecm.kind(clip) != "percept":
            raise ConfigError(f"clip {clip!r} is of kind {ecm.kind(clip)!r}; percepts= takes percept clips only.")
        if clip not in starts:
            starts.append(clip)
    if not starts:
        raise ConfigError("percepts is empty, so nothing would be shown; pass percepts=None to show every clip.")
    return starts
