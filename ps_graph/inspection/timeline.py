"""Timelines of learning: every edge's h-value and hopping probability, snapshot during training.

A :class:`Timeline` is a ``callback`` for :func:`ps_graph.train`: every ``every`` episodes
it records the h-value and the hopping probability ``P(source -> target)`` of every edge
of a :class:`~ps_graph.PSAgent` (any layers), a :class:`~ps_graph.TwoLayerPS` or an
:class:`~ps_graph.ECM`. Edges are keyed by (source clip, target clip); an edge created
during training has no value at the snapshots before it existed, which the timeline says
explicitly (:attr:`Timeline.present`, masked arrays, :attr:`Timeline.first_seen`) instead
of filling in NaN. :func:`plot_timeline` draws the strongest edges over episodes and
:func:`write_dynamic_gexf` writes a dynamic GEXF file that Gephi's timeline can play.

Example
-------
>>> import gymnasium as gym, ps_graph
>>> env = gym.make("FrozenLake-v1", is_slippery=False)
>>> agent = ps_graph.PSAgent.for_env(env, eta_glow_damping=0.04, seed=0)
>>> timeline = Timeline(every=100)
>>> timeline.snapshot(agent, episode=0)       # the state before training
>>> result = ps_graph.train(agent, env, episodes=300, seed=0, callback=timeline)
>>> timeline.episodes.tolist()
[0, 100, 200, 300]
>>> timeline.h.shape == (4, len(timeline.edges))
True
>>> bool(timeline.present[0].any())          # a fresh agent has no edges yet
False
>>> [timeline.edge_label(edge) for edge in timeline.strongest(3)]   # percept -> action
['14 -> 2', '10 -> 1', '6 -> 1']
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np

from .. import rules
from ..agent import action_clip, percept_clip
from ..checks import check_int
from ..ecm import ECM
from ..errors import ConfigError, PSGraphError, UnknownClipError
from ..fast import TwoLayerPS
from ..files import atomic_write_bytes, atomic_write_text
from ..keys import key_id

__all__ = ["TIMELINE_FIELDS", "Timeline", "plot_timeline", "write_dynamic_gexf", "write_timeline_csv"]

#: Columns of :meth:`Timeline.rows` (and of :func:`write_timeline_csv`). Labels can repeat
#: (percept 3 and action 3 are both "3"); the ids (:func:`ps_graph.keys.key_id`) cannot.
TIMELINE_FIELDS = ("episode", "source", "target", "h", "probability", "source_id", "target_id")

Edge = tuple[Hashable, Hashable]
ClipRow = tuple[Hashable, str, str]
"""(clip key, label, kind) of one clip."""
EdgeRow = tuple[Hashable, Hashable, float, float]
"""(source clip, target clip, h, P) of one edge."""


def _read_ecm(ecm: ECM) -> tuple[list[ClipRow], list[EdgeRow]]:
    """Clips (key, label, kind) and edges (source, target, h, P) of an ECM, read only."""
    g = ecm.graph  # brings every lazy value up to date; changes no value
    clips: list[ClipRow] = [(c, d["label"], d["kind"]) for c, d in g.nodes(data=True)]
    edges: list[EdgeRow] = []
    for source, out in g.adjacency():
        if out:
            h = [d["h"] for d in out.values()]
            p = rules.hopping_probabilities(h, ecm.policy, ecm.beta_softmax)
            edges.extend(zip([source] * len(h), out, h, p))
    return clips, edges


def _read_two_layer(agent: TwoLayerPS) -> tuple[list[ClipRow], list[EdgeRow]]:
    """The same as :func:`_read_ecm` for TwoLayerPS, from its h-table (clip keys as to_ecm)."""
    cfg = agent.config
    actions = [action_clip(a) for a in agent.actions]
    clips: list[ClipRow] = [(c, str(a), "action") for c, a in zip(actions, agent.actions)]
    edges: list[EdgeRow] = []
    for key, h in zip(agent.percept_keys, agent.h_matrix().tolist()):
        p = rules.hopping_probabilities(h, cfg.policy, cfg.beta_softmax)
        clip = percept_clip(key)
        clips.append((clip, str(key), "percept"))
        edges.extend(zip([clip] * len(h), actions, h, p))
    return clips, edges


def _read(agent: Any) -> tuple[list[ClipRow], list[EdgeRow]]:
    if isinstance(agent, TwoLayerPS):
        return _read_two_layer(agent)
    ecm = agent if isinstance(agent, ECM) else getattr(agent, "ecm", None)
    if isinstance(ecm, ECM):
        return _read_ecm(ecm)
    raise ConfigError(
        f"a Timeline records h-values of PS agents: PSAgent, TwoLayerPS, an ECM, or an agent with an "
        f".ecm attribute holding an ECM; got {type(agent).__name__}. Agents without h-values "
        "(Q-learning, DQN) cannot be recorded."
    )


class Timeline:
    """Snapshots of every edge's h-value and hopping probability during training.

    Parameters
    ----------
    every : int >= 1
        Snapshot after every ``every``-th episode (episodes ``every``, ``2 every``, ...).

    Pass the timeline as ``callback=`` to :func:`ps_graph.train`; it is called as
    ``timeline(episode, agent)`` after each episode. Call :meth:`snapshot` with
    ``episode=0`` before training to record the starting point; otherwise the first call
    records a snapshot whatever its episode, so the timeline always has a start. To record
    the final state of a run whose length is not a multiple of ``every``, call
    ``timeline.snapshot(agent, episode=result.episodes)`` after training.

    Attributes (read-only views, built on access)
    ----------------------------------------------
    episodes : int array (snapshots,)
    edges : list of (source clip, target clip), in order of first appearance
    present : bool array (snapshots, edges): whether the edge existed at that snapshot
    h, probability : numpy masked arrays (snapshots, edges), masked where not present
    first_seen : int array (edges,): episode of each edge's first snapshot
    """

    def __init__(self, every: int = 1) -> None:
        self.every = check_int("every", every, 1, hint="Use every=1 to snapshot after each episode.")
        self._episodes: list[int] = []
        self._snaps: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (edge index, h, P)
        self._edge_index: dict[Edge, int] = {}
        self._edges: list[Edge] = []
        self._clip_info: dict[Hashable, list] = {}  # clip -> [label, kind, first seen, last seen]
        self._agent_id: int | None = None
        self._cache: dict[str, Any] = {}

    # ------------------------------------------------------------------ recording
    def __call__(self, episode: int, agent: Any) -> None:
        """The ``train`` callback: snapshot when ``episode`` is a multiple of ``every``
        (and at the first call if nothing was recorded yet)."""
        episode = check_int("episode", episode, 0)
        if not self._episodes or episode % self.every == 0:
            self.snapshot(agent, episode)

    def snapshot(self, agent: Any, episode: int) -> None:
        """Record every edge of ``agent`` now, as the state after ``episode`` episodes.

        Episodes must increase from one snapshot to the next, and one timeline follows one
        agent. Reading the agent changes none of its values.
        """
        episode = check_int("episode", episode, 0)
        if self._episodes and episode <= self._episodes[-1]:
            raise ConfigError(
                f"snapshot episodes must increase: got episode={episode} after episode={self._episodes[-1]}. "
                "To continue recording a second train() call, shift its episodes, e.g. "
                f"callback=lambda e, a: timeline(e + {self._episodes[-1]}, a); or use a new Timeline."
            )
        if self._agent_id is not None and id(agent) != self._agent_id:
            raise ConfigError(
                f"this Timeline records another agent; got a different {type(agent).__name__}. "
                "Use one Timeline per agent."
            )
        clips, edges = _read(agent)
        self._agent_id = id(agent)
        for clip, label, kind in clips:
            info = self._clip_info.get(clip)
            if info is None:
                self._clip_info[clip] = [label, kind, episode, episode]
            else:
                info[3] = episode
        index = np.empty(len(edges), dtype=np.int64)
        for i, (source, target, _, _) in enumerate(edges):
            j = self._edge_index.get((source, target))
            if j is None:
                j = self._edge_index[(source, target)] = len(self._edges)
                self._edges.append((source, target))
            index[i] = j
        h = np.array([e[2] for e in edges], dtype=np.float64)
        p = np.array([e[3] for e in edges], dtype=np.float64)
        self._episodes.append(episode)
        self._snaps.append((index, h, p))
        self._cache.clear()

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self._episodes)

    @property
    def episodes(self) -> np.ndarray:
        return np.array(self._episodes, dtype=np.int64)

    @property
    def edges(self) -> list[Edge]:
        return list(self._edges)

    @property
    def clips(self) -> list[Hashable]:
        """Every clip seen, in order of first appearance."""
        return list(self._clip_info)

    def _info(self, clip: Hashable) -> list:
        try:
            return self._clip_info[clip]
        except KeyError:
            raise UnknownClipError(
                f"clip {clip!r} is not in this timeline; the recorded clips are listed by timeline.clips."
            ) from None

    def label(self, clip: Hashable) -> str:
        """The clip's ``label`` node attribute (as recorded at its first snapshot)."""
        return self._info(clip)[0]

    def kind(self, clip: Hashable) -> str:
        """The clip's kind: "percept", "action" or "hidden"."""
        return self._info(clip)[1]

    def edge_label(self, edge: Edge) -> str:
        """``"source label -> target label"``, e.g. ``"3 -> 1"``."""
        return f"{self.label(edge[0])} -> {self.label(edge[1])}"

    def _matrices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if "h" not in self._cache:
            shape = (len(self._snaps), len(self._edges))
            present = np.zeros(shape, dtype=bool)
            h, p = np.zeros(shape), np.zeros(shape)
            for s, (index, hs, ps) in enumerate(self._snaps):
                present[s, index] = True
                h[s, index] = hs
                p[s, index] = ps
            self._cache.update(present=present, h=h, p=p)
        c = self._cache
        return c["present"], c["h"], c["p"]

    @property
    def present(self) -> np.ndarray:
        return self._matrices()[0].copy()

    @property
    def h(self) -> np.ma.MaskedArray:
        present, h, _ = self._matrices()
        return np.ma.MaskedArray(h.copy(), mask=~present)

    @property
    def probability(self) -> np.ma.MaskedArray:
        present, _, p = self._matrices()
        return np.ma.MaskedArray(p.copy(), mask=~present)

    @property
    def first_seen(self) -> np.ndarray:
        present = self._matrices()[0]
        return self.episodes[present.argmax(axis=0)] if present.size else np.zeros(len(self._edges), np.int64)

    def strongest(self, n: int = 10) -> list[Edge]:
        """The ``n`` edges with the largest h at the last snapshot (fewer if fewer exist),
        strongest first; ties keep the order of first appearance."""
        n = check_int("n", n, 1)
        if not self._snaps:
            return []
        index, h, _ = self._snaps[-1]
        order = np.lexsort((index, -h))[:n]  # by h descending, then first appearance
        return [self._edges[int(index[k])] for k in order]

    def rows(self) -> list[dict[str, object]]:
        """One plain dict per (snapshot, present edge), with the keys of :data:`TIMELINE_FIELDS`."""
        ids = {clip: key_id(clip) for clip in self._clip_info}
        out = []
        for episode, (index, hs, ps) in zip(self._episodes, self._snaps):
            for j, h, p in zip(index.tolist(), hs.tolist(), ps.tolist()):
                source, target = self._edges[j]
                out.append(
                    {
                        "episode": episode,
                        "source": self.label(source),
                        "target": self.label(target),
                        "h": h,
                        "probability": p,
                        "source_id": ids[source],
                        "target_id": ids[target],
                    }
                )
        return out

    def __repr__(self) -> str:
        span = f", episodes {self._episodes[0]}..{self._episodes[-1]}" if self._episodes else ""
        return f"Timeline(every={self.every}, snapshots={len(self)}, edges={len(self._edges)}{span})"


def _require_snapshots(timeline: Timeline, what: str) -> None:
    if not isinstance(timeline, Timeline):
        raise ConfigError(f"{what} needs a Timeline; got {type(timeline).__name__}.")
    if not len(timeline):
        raise PSGraphError(
            f"the timeline has no snapshots, so there is nothing to {what}. Pass it as callback= to "
            "ps_graph.train, or call timeline.snapshot(agent, episode) first."
        )


def write_timeline_csv(timeline: Timeline, path: str | os.PathLike) -> Path:
    """Write :meth:`Timeline.rows` as CSV (columns :data:`TIMELINE_FIELDS`) atomically."""
    _require_snapshots(timeline, "write")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=TIMELINE_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(timeline.rows())
    return atomic_write_text(path, buf.getvalue())


def plot_timeline(timeline: Timeline, top: int = 10, ax=None):
    """Two panels, h-value and hopping probability over episodes, of the ``top`` strongest edges.

    ``ax``: optional pair of matplotlib Axes (h panel, probability panel) to draw into;
    by default a new :class:`matplotlib.figure.Figure` is made. Returns the Figure. An
    edge's line starts at its first snapshot (masked values leave gaps, never zeros).

    >>> import ps_graph
    >>> agent = ps_graph.PSAgent(2, eta_glow_damping=1.0, seed=0)
    >>> timeline = Timeline()
    >>> _ = agent.act(0); agent.observe(1.0, 0, True, False)
    >>> timeline.snapshot(agent, episode=1)
    >>> fig = plot_timeline(timeline, top=1)
    >>> [len(a.get_lines()) for a in fig.axes]
    [1, 1]
    """
    top = check_int("top", top, 1, hint="top is how many of the strongest edges to draw.")
    _require_snapshots(timeline, "plot")
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plot_timeline needs matplotlib: pip install 'ps_graph[plot]'") from None
    if ax is None:
        fig = Figure(figsize=(8, 6), layout="constrained")
        axes = list(fig.subplots(2, 1, sharex=True))
    else:
        axes = list(np.ravel(np.asarray(ax, dtype=object))) if not hasattr(ax, "plot") else [ax]
        if len(axes) != 2 or not all(hasattr(a, "plot") and hasattr(a, "figure") for a in axes):
            raise ConfigError(
                f"ax must be a pair of matplotlib Axes (h panel, probability panel); got {ax!r}. "
                "Make them with fig.subplots(2, 1), or leave ax=None for a new figure."
            )
        fig = axes[0].figure
    x = timeline.episodes
    h, p = timeline.h, timeline.probability
    marker = "." if len(x) <= 50 else None
    for edge in timeline.strongest(top):
        j = timeline._edge_index[edge]
        (line,) = axes[0].plot(x, h[:, j], marker=marker, label=timeline.edge_label(edge))
        axes[1].plot(x, p[:, j], marker=marker, color=line.get_color(), label=timeline.edge_label(edge))
    axes[0].set_ylabel("h-value")
    axes[1].set_ylabel("hopping probability")
    axes[1].set_xlabel("episode")
    for a in axes:
        a.grid(True, alpha=0.3)
    if axes[0].get_lines():
        axes[0].legend(loc="best", fontsize="small", ncol=2 if top > 5 else 1)
    axes[0].set_title(f"strongest {len(axes[0].get_lines())} edges (by final h)")
    return fig


def write_dynamic_gexf(timeline: Timeline, path: str | os.PathLike) -> Path:
    """Write the timeline as a dynamic GEXF graph (Gephi can play it) atomically; returns the path.

    Nodes are the clips (id :func:`ps_graph.keys.key_id`, their ``label``, static ``kind``),
    each alive from its first to its last snapshot; edges appear at their first snapshot and
    carry dynamic ``h`` and ``probability`` attributes. Time is the episode (GEXF
    ``timeformat="long"``); the value recorded at snapshot episode ``t_i`` holds on the
    closed interval ``[t_i, t_{i+1} - 1]`` (the last one on ``[t_last, t_last]``), so no
    two intervals overlap (Gephi rejects overlapping ones).
    Read it back with ``networkx.read_gexf``: ``G.edges[u, v]["h"]`` is a list of
    ``(value, start, end)``.
    """
    _require_snapshots(timeline, "write")
    import networkx as nx

    episodes = [int(e) for e in timeline.episodes]
    ends = [e - 1 for e in episodes[1:]] + [episodes[-1]]
    g = nx.DiGraph(mode="dynamic")
    ids = {}
    for clip, (label, kind, first, last) in timeline._clip_info.items():
        ids[clip] = key_id(clip)
        g.add_node(ids[clip], label=label, kind=kind, start=int(first), end=int(last))
    present, h, p = timeline._matrices()
    for j, (source, target) in enumerate(timeline.edges):
        snaps = np.flatnonzero(present[:, j]).tolist()
        g.add_edge(
            ids[source],
            ids[target],
            label=timeline.edge_label((source, target)),
            start=episodes[snaps[0]],
            end=ends[snaps[-1]],
            h=[(float(h[s, j]), episodes[s], ends[s]) for s in snaps],
            probability=[(float(p[s, j]), episodes[s], ends[s]) for s in snaps],
        )
    buf = io.BytesIO()
    nx.write_gexf(g, buf)
    return atomic_write_bytes(path, buf.getvalue())
