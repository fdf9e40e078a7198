"""The ECM: a networkx graph of clips with lazily updated h-values and glow.

The episodic and compositional memory (ECM) is a :class:`networkx.DiGraph`. Nodes are
clips with attributes ``kind`` ("percept" | "action" | "hidden"), ``layer``, ``label``
and ``visits``; edges carry ``h`` and ``glow``. Node keys are any hashable value and
attribute values are plain Python scalars, so every networkx algorithm and exporter
works on :attr:`ECM.graph` unchanged.

Updates are lazy (DESIGN contract 3). Damping touches every edge every step, and glow
decays every step; instead of doing that work, the ECM keeps two clocks and remembers
when each value was last brought up to date:

* every clip that has out-edges owns a compact row (its targets, shared between clips
  wired alike, their h-values in a
  contiguous ``array('d')``, the learning step they are current at, its visits); reading
  a row applies the damping steps it missed in closed form (:func:`ps_graph.rules.damp`),
  and a positive reward is back-dated onto a stored value
  (:func:`ps_graph.rules.backdated_reward_step`) so the other edges stay lazy;
* only edges that still glow are kept in the glowing set, each with its glow and the glow
  step at which it was current (:func:`ps_graph.rules.decay_glow` brings it forward).

That bookkeeping is :class:`ps_graph.store.LazyStore`, shared with the fast path and the
batched agents.

A step therefore costs O(out-edges of the clips walked + edges still glowing) and touches
little memory, so it does not slow down as the ECM grows. Glow that has decayed to
exactly zero (``eta_glow_damping = 1``, or float underflow after some 10^4 steps) leaves
the glowing set, so it stays bounded on long episodes. The networkx graph holds the
clips and edges at all times; its ``h``, ``glow`` and ``visits`` attributes are written
when it is read through :attr:`ECM.graph`.

Example
-------
>>> import numpy as np
>>> ecm = ECM(gamma_damping=0.0, eta_glow_damping=1.0)
>>> ecm.add_percept("s"); ecm.add_action("left"); ecm.add_action("right")
>>> ecm.connect("s", ["left", "right"])
>>> ecm.decay_glow(); ecm.excite(["s", "right"]); ecm.learn(1.0)
>>> ecm.h("s", "right"), ecm.probabilities("s")
(2.0, {'left': 0.3333333333333333, 'right': 0.6666666666666666})
>>> ecm.walk("s", np.random.default_rng(0))[-1] in ("left", "right")
True
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import networkx as nx
import numpy as np

from . import _ecm_snapshot, _ecm_walks, rules
from .checks import check_choice, check_int, check_real
from .errors import ConfigError, UnknownClipError
from .store import LazyStore, Row

__all__ = ["ECM", "KINDS", "MAX_HOPS"]

KINDS = ("percept", "action", "hidden")

MAX_HOPS = 1_000_000  #: The longest walk an ECM allows (``max_hops``): a stuck walk fails within seconds.


class _Row(Row):
    """The out-edges of one clip: targets, h-values (current at learning step ``stamp``),
    and the clip's visit count. Rows with the same targets share one tuple."""

    __slots__ = ("targets", "visits")

    def __init__(self, stamp: int) -> None:
        super().__init__(stamp)
        self.targets: tuple[Hashable, ...] = ()
        self.visits = 0


class ECM:
    """Episodic and compositional memory backed by a :class:`networkx.DiGraph`.

    Parameters
    ----------
    gamma_damping : float in [0, 1]
        Forgetting: every step ``h <- h - gamma (h - h0)``.
    eta_glow_damping : float in (0, 1]
        Every step ``g <- (1 - eta) g``; 1 means only the last step's edges learn.
    glow : {"replace", "accumulate"}
        A traversed edge's glow becomes 1, or grows by 1.
    policy : {"standard", "softmax"}
        Hopping probabilities ``h / sum h`` or ``softmax(beta_softmax * h)``.
    beta_softmax : float > 0
        Inverse temperature of the softmax policy.
    h0 : float > 0
        Initial h of every new edge, and the value damping pulls towards.
    h_floor : float in (0, h0]
        Lowest h an edge can hold: negative rewards never make h <= 0.
    max_hops : int in [1, MAX_HOPS]
        A walk that has not reached an action clip after this many hops raises
        :class:`~ps_graph.errors.WalkError` (a guard against cycles among hidden clips).
    """

    def __init__(
        self,
        *,
        gamma_damping: float = 0.0,
        eta_glow_damping: float = 1.0,
        glow: str = "replace",
        policy: str = "standard",
        beta_softmax: float = 1.0,
        h0: float = 1.0,
        h_floor: float = rules.DEFAULT_H_FLOOR,
        max_hops: int = 10_000,
    ) -> None:
        self.gamma_damping = check_real("gamma_damping", gamma_damping, 0.0, 1.0)
        self.eta_glow_damping = check_real(
            "eta_glow_damping",
            eta_glow_damping,
            0.0,
            1.0,
            low_open=True,
            hint="eta = 1 keeps glow for one step only; smaller values reward earlier steps too.",
        )
        self.glow = check_choice("glow", glow, rules.GLOW_MODES)
        self.policy = check_choice("policy", policy, rules.POLICIES)
        self.beta_softmax = check_real("beta_softmax", beta_softmax, 0.0, low_open=True)
        self.h0 = check_real("h0", h0, 0.0, low_open=True)
        self.h_floor = check_real(
            "h_floor",
            h_floor,
            0.0,
            self.h0,
            low_open=True,
            hint="The floor must be positive and not above h0.",
        )
        self.max_hops = check_int("max_hops", max_hops, 1, MAX_HOPS)
        self._g = nx.DiGraph()
        self._node = self._g._node
        self._rows: dict[Hashable, _Row] = {}  # clips that can have out-edges
        self._actions: dict[Hashable, int] = {}  # action clip -> visits
        self._index: dict[Hashable, dict[Hashable, int]] = {}  # target positions of long rows
        self._shared_targets: dict[tuple, tuple] = {}  # recent target tuples, for sharing
        # clocks, stamps and the glowing set: (source, target) -> [glow, glow step, source row, position in the row]
        self._store: LazyStore[tuple[Hashable, Hashable]] = LazyStore(
            self.gamma_damping, self.eta_glow_damping, self.h0, self.h_floor
        )
        self._action_layer = 1
        self._hidden_layers: dict[int, int] = {}  # layer -> number of hidden clips in it
        self._priming: dict[Hashable, float] = {}  # action clip -> its priming term (softmax only)

    # ------------------------------------------------------------------ building
    def _add_clip(self, clip: Hashable, kind: str, layer: int, label: str | None) -> None:
        node = self._node.get(clip)
        if node is not None:
            if node["kind"] != kind:
                raise ConfigError(
                    f"clip {clip!r} already exists as a {node['kind']} clip; "
                    f"cannot add it again as a {kind} clip. Use distinct keys per kind."
                )
            return
        self._g.add_node(clip, kind=kind, layer=layer, label=str(clip) if label is None else str(label), visits=0)
        if kind == "action":
            self._actions[clip] = 0
        else:
            self._rows[clip] = _Row(self._store.clock)

    def add_percept(self, clip: Hashable, label: str | None = None) -> None:
        """Add a percept clip (layer 0). Adding an existing clip again does nothing."""
        self._add_clip(clip, "percept", 0, label)

    def add_action(self, clip: Hashable, label: str | None = None) -> None:
        """Add an action clip (the last layer). Adding an existing clip again does nothing."""
        self._add_clip(clip, "action", self._action_layer, label)

    def add_hidden(self, clip: Hashable, layer: int = 1, label: str | None = None) -> None:
        """Add a hidden clip in ``layer`` >= 1; action clips stay one layer further."""
        layer = check_int("layer", layer, 1, hint="Layer 0 holds percepts; hidden clips start at 1.")
        new = clip not in self._node
        self._add_clip(clip, "hidden", layer, label)
        if not new:
            return
        self._hidden_layers[layer] = self._hidden_layers.get(layer, 0) + 1
        if layer >= self._action_layer:
            self._set_action_layer(layer + 1)

    def _set_action_layer(self, layer: int) -> None:
        self._action_layer = layer
        for action in self._actions:
            self._node[action]["layer"] = layer

    def add_edge(self, source: Hashable, target: Hashable, h: float | None = None, h0: float | None = None) -> None:
        """Add the edge ``source -> target`` with ``h`` and no glow; on an existing edge, set its h.

        ``h0`` is the edge's own initial value, the value damping pulls it towards (default: the
        ECM's ``h0``; an existing edge keeps its own); ``h`` defaults to the edge's initial value."""
        for clip in (source, target):
            if clip not in self._node:
                raise ConfigError(
                    f"clip {clip!r} is not in the ECM; add it with add_percept/add_action/add_hidden first."
                )
        if source in self._actions:
            raise ConfigError(f"action clip {source!r} cannot have out-edges: walks end at actions.")
        if self._node[target]["kind"] == "percept":
            raise ConfigError(f"percept clip {target!r} cannot be an edge target: walks start at percepts.")
        if source == target:
            raise ConfigError(f"self-loop on {source!r}: a clip cannot hop to itself.")
        floor = f"must be >= h_floor={self.h_floor}."
        start = None if h0 is None else check_real("h0", h0, self.h_floor, hint=f"An edge's h0 {floor}")
        row = self._rows[source]
        self._store.sync(row)  # past damping used the old initial values
        if self._g.has_edge(source, target):
            j = self._position(source, row, target)
            if start is not None:
                row.set_h0(j, start, self.h0)
            own = self.h0 if row.h0 is None else row.h0[j]
            row.h[j] = own if h is None else check_real("h", h, self.h_floor, hint=f"h {floor}")
            return
        start = self.h0 if start is None else start
        value = start if h is None else check_real("h", h, self.h_floor, hint=f"h {floor}")
        row.targets = row.targets + (target,)
        row.add(value, start, self.h0)
        self._g.add_edge(source, target, h=value, glow=0.0)

    def remove_clip(self, clip: Hashable) -> None:
        """Remove a percept or hidden clip with all its in- and out-edges.

        Every other edge keeps its h-value and glow exactly (the lazy store is edited, not
        brought up to date): each predecessor's row loses the one target, the positions of
        its later glowing edges shift down by one, and the clip's own glowing edges are
        dropped. Action clips move back to one layer past the deepest hidden clip left.
        Walks still work as long as every remaining clip keeps an out-edge; removing the
        only target of a clip raises :class:`~ps_graph.errors.ConfigError` and changes
        nothing. Action clips cannot be removed (the agent's action set is fixed).

        >>> ecm = ECM()
        >>> ecm.add_percept("s"); ecm.add_hidden("w"); ecm.add_action("a")
        >>> ecm.connect("s", ["w", "a"]); ecm.connect("w", ["a"])
        >>> ecm.remove_clip("w"); ecm.out_h("s"), ecm.graph.nodes["a"]["layer"]
        ({'a': 1.0}, 1)
        """
        _ecm_snapshot.remove_clip(self, clip)

    def _share(self, targets: tuple[Hashable, ...]) -> tuple[Hashable, ...]:
        """One tuple object for rows with equal targets (e.g. percepts wired to all actions)."""
        shared = self._shared_targets.get(targets)
        if shared is not None:
            return shared
        if len(self._shared_targets) >= 256:  # a small cache, not a registry of every row
            self._shared_targets.clear()
        self._shared_targets[targets] = targets
        return targets

    def connect(self, source: Hashable, targets: Iterable[Hashable]) -> None:
        """Add an edge with ``h0`` from ``source`` to each target that it lacks."""
        for target in targets:
            if not self._g.has_edge(source, target):
                self.add_edge(source, target)
        row = self._rows.get(source)
        if row is not None:
            row.targets = self._share(row.targets)

    def _position(self, source: Hashable, row: _Row, target: Hashable) -> int:
        """Index of ``target`` in ``source``'s row (a dict is kept for long rows)."""
        if len(row.targets) <= 16:
            return row.targets.index(target)
        index = self._index.get(source)
        if index is None or len(index) != len(row.targets):
            index = self._index[source] = {t: j for j, t in enumerate(row.targets)}
        return index[target]

    # ------------------------------------------------------------------ reading
    def __contains__(self, clip: Hashable) -> bool:
        return clip in self._node

    def __len__(self) -> int:
        return len(self._node)

    def kind(self, clip: Hashable) -> str:
        """The kind of ``clip``: "percept", "action" or "hidden"."""
        return self._node[clip]["kind"]

    def label(self, clip: Hashable) -> str:
        """The display label of ``clip`` (its ``label`` attribute, else ``str(clip)``)."""
        return str(self._node[clip].get("label", clip))

    def reachable(self, clips: Iterable[Hashable]) -> set[Hashable]:
        """``clips`` and every clip a walk from one of them can reach (structure only)."""
        found = set(clips)
        for clip in list(found):
            found |= nx.descendants(self._g, clip)
        return found

    def clips(self, kind: str | None = None) -> list[Hashable]:
        """All clips, or those of one kind, in insertion order."""
        if kind is None:
            return list(self._node)
        check_choice("kind", kind, KINDS)
        return [c for c, d in self._node.items() if d["kind"] == kind]

    @property
    def num_edges(self) -> int:
        return self._g.number_of_edges()

    def _row_of(self, source: Hashable, target: Hashable | None = None) -> _Row:
        row = self._rows.get(source)
        if row is None:
            if source in self._actions:
                row = _Row(self._store.clock)  # actions have no out-edges
            else:
                raise self._unknown(source)
        if target is not None and not self._g.has_edge(source, target):
            raise UnknownClipError(
                f"no edge {source!r} -> {target!r} in the ECM; ECM.out_h({source!r}) lists the edges from {source!r}."
            )
        return row

    def _unknown(self, clip: Hashable) -> UnknownClipError:
        return UnknownClipError(
            f"clip {clip!r} is not in the ECM; ECM.clips() lists the known clips (ECM.clips('percept') the percepts)."
        )

    def h(self, source: Hashable, target: Hashable) -> float:
        """The current h-value of an edge."""
        row = self._row_of(source, target)
        return self._store.current(row)[self._position(source, row, target)]

    def edge_glow(self, source: Hashable, target: Hashable) -> float:
        """The current glow of an edge."""
        self._row_of(source, target)
        return self._store.glow((source, target))

    def glowing_edges(self) -> dict[tuple[Hashable, Hashable], float]:
        """Every edge whose current glow is not zero, with that glow (reading only).

        Costs O(edges still glowing), not O(all edges).

        >>> ecm = ECM(eta_glow_damping=0.5)
        >>> ecm.add_percept("s"); ecm.add_action("a"); ecm.connect("s", ["a"])
        >>> ecm.excite(["s", "a"]); ecm.decay_glow(); ecm.glowing_edges()
        {('s', 'a'): 0.5}
        """
        return self._store.glowing_now()

    def out_h(self, clip: Hashable) -> dict[Hashable, float]:
        """Current h-values of ``clip``'s out-edges, by target clip."""
        row = self._row_of(clip)
        return dict(zip(row.targets, self._store.current(row)))

    def probabilities(self, clip: Hashable) -> dict[Hashable, float]:
        """Hopping probabilities from ``clip`` to each of its targets (priming included)."""
        row = self._row_of(clip)
        h, prime = list(self._store.current(row)), self.prime_row(row.targets)
        probs = rules.hopping_probabilities(h, self.policy, self.beta_softmax, prime) if h else []
        return dict(zip(row.targets, probs))

    @property
    def priming(self) -> dict[Hashable, float]:
        """The priming term of each primed action clip (a copy; see :meth:`set_priming`)."""
        return dict(self._priming)

    def set_priming(self, priming: dict[Hashable, float]) -> None:
        """Prime actions (softmax only): an edge into action clip ``a`` hops with weight
        ``exp(beta (h + priming[a]))``; replaces the previous priming (``{}`` removes it).

        >>> ecm = ECM(policy="softmax")
        >>> ecm.add_percept("s"); ecm.add_action("a"); ecm.add_action("b"); ecm.connect("s", ["a", "b"])
        >>> ecm.set_priming({"b": 0.6931471805599453})   # log 2: b twice as likely
        >>> ecm.probabilities("s")
        {'a': 0.3333333333333333, 'b': 0.6666666666666666}
        """
        self._priming = _ecm_walks.check_priming(self, priming)

    def prime_row(self, targets: tuple[Hashable, ...]) -> list[float] | None:
        """The priming terms of edges to ``targets`` (None when nothing is primed)."""
        if not self._priming:
            return None
        get = self._priming.get
        return [get(t, 0.0) for t in targets]

    def visits(self, clip: Hashable) -> int:
        """How many committed walks (:meth:`excite`) passed through ``clip``."""
        if clip in self._actions:
            return self._actions[clip]
        return self._rows[clip].visits

    @property
    def graph(self) -> nx.DiGraph:
        """The networkx graph, with its h, glow and visit attributes set to the current values.

        Reading computes the current values and writes them into the graph's attributes
        only; the ECM's own (lazy) storage is left as it was, so looking at an agent never
        changes what it does next.

        This is the live graph (O(edges) to refresh): read it with any networkx function or
        exporter, and read it again after more learning to see the new values. Change clips
        and edges through the ECM's methods so its bookkeeping stays right.
        """
        return _ecm_snapshot.refresh_graph(self)

    # ------------------------------------------------------------------ deliberation
    def walk(self, start: Hashable, rng: np.random.Generator) -> list[Hashable]:
        """A random walk from ``start`` to an action clip; returns the clips visited.

        One uniform draw per hop (``rng.random()``), sampled by inverse CDF
        (:func:`ps_graph.rules.sample_index`). Raises :class:`WalkError` at a clip without
        out-edges or after ``max_hops`` hops. The walk changes no value: pass the path to
        :meth:`excite` to make its edges glow.
        """
        return _ecm_walks.walk(self, start, rng)

    def action_probabilities(self, start: Hashable) -> dict[Hashable, float]:
        """Exact probability of ending at each action clip when walking from ``start``.

        The walk is an absorbing Markov chain with the action clips absorbing; this solves
        ``(I - Q) B = R`` on the clips reachable from ``start`` instead of sampling.
        """
        return _ecm_walks.action_probabilities(self, start)

    def set_glow(self, source: Hashable, target: Hashable, glow: float) -> None:
        """Set an edge's current glow (e.g. when rebuilding an ECM from stored values)."""
        row = self._row_of(source, target)
        glow = check_real("glow", glow, 0.0)
        self._store.set_glow((source, target), row, self._position(source, row, target), glow)

    def set_visits(self, clip: Hashable, visits: int) -> None:
        """Set a clip's visit count (e.g. when rebuilding an ECM from stored values)."""
        visits = check_int("visits", visits, 0)
        if clip in self._actions:
            self._actions[clip] = visits
        elif clip in self._rows:
            self._rows[clip].visits = visits
        else:
            raise self._unknown(clip)

    # ------------------------------------------------------------------ learning
    def decay_glow(self) -> None:
        """One step of glow decay on every edge, ``g <- (1 - eta) g``, in O(1)."""
        self._store.decay_glow()

    def excite(self, path: list[Hashable]) -> None:
        """Mark a walk: each traversed edge glows, each clip on it gains a visit."""
        rows, traverse, mode = self._rows, self._store.traverse, self.glow
        for source, target in zip(path, path[1:]):
            row = rows[source]
            row.visits += 1
            traverse((source, target), row, self._position(source, row, target), mode)
        self._actions[path[-1]] += 1

    def learn(self, reward: float) -> None:
        """One learning step on every edge: ``h <- h - gamma (h - h0) + g R`` (floored).

        Costs O(1), plus O(edges still glowing) when ``reward != 0``
        (:meth:`ps_graph.store.LazyStore.learn`).
        """
        self._store.learn(reward)

    def reset_glow(self) -> None:
        """Set every glow to zero (done at every episode start)."""
        self._store.reset_glow()

    # ------------------------------------------------------------------ snapshots
    def snapshot(self) -> dict[str, Any]:
        """The whole ECM as plain Python data (``clips``, ``edges`` with current values, and
        ``lazy``, the store behind them), read without changing anything, so saving or
        exporting never changes how an ECM continues. The fields are described in
        :func:`ps_graph._ecm_snapshot.snapshot`.

        >>> ecm = ECM(gamma_damping=0.5)
        >>> ecm.add_percept("s"); ecm.add_action("a"); ecm.connect("s", ["a"])
        >>> ecm.snapshot()["edges"]
        [('s', 'a', 1.0, 0.0)]
        """
        return _ecm_snapshot.snapshot(self)

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any], **config: Any) -> ECM:
        """The ECM a :meth:`snapshot` describes; ``config`` takes the constructor's keywords.

        Each edge starts from its current h and glow in ``edges``; the rows and glowing
        edges listed in ``lazy`` (optional) then get their stored values and stamps back,
        so the ECM continues bit for bit (``lazy`` wins where both are given). Without them
        the values are the same, but later damping and glow decay round from there.
        Raises :class:`~ps_graph.errors.ConfigError` at the first inconsistency.

        >>> ecm = ECM(gamma_damping=0.5)
        >>> ecm.add_percept("s"); ecm.add_action("a"); ecm.connect("s", ["a"])
        >>> ecm.decay_glow(); ecm.excite(["s", "a"]); ecm.learn(2.0); ecm.learn(0.0)
        >>> ECM.from_snapshot(ecm.snapshot(), gamma_damping=0.5).snapshot() == ecm.snapshot()
        True
        """
        ecm = cls(**config)
        _ecm_snapshot.restore(ecm, snapshot)
        return ecm

    def __repr__(self) -> str:
        counts = {k: 0 for k in KINDS}
        for d in self._node.values():
            counts[d["kind"]] += 1
        return (
            f"ECM(percepts={counts['percept']}, hidden={counts['hidden']}, actions={counts['action']}, "
            f"edges={self.num_edges}, policy={self.policy!r})"
        )
