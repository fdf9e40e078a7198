"""The ECM: a networkx graph of clips with lazily updated h-values and glow.

The episodic and compositional memory (ECM) is a :class:`networkx.DiGraph`. Nodes are
clips with attributes ``kind`` ("percept" | "action" | "hidden"), ``layer``, ``label``
and ``visits``; edges carry ``h`` and ``glow``. Node keys are any hashable value and
attribute values are plain Python scalars, so every networkx algorithm and exporter
works on :attr:`ECM.graph` unchanged.

Updates are lazy (DESIGN contract 3). Damping touches every edge every step, and glow
decays every step; instead of doing that work, the ECM keeps two clocks and remembers
when each value was last brought up to date:

* the h-values of a clip's out-edges are current as of ``_h_stamp[clip]`` learning
  steps; reading them applies the missing damping steps in closed form
  (:func:`ps_graph.rules.damp`);
* only edges that still glow are kept in ``_glowing`` with the glow step at which their
  stored glow was current (:func:`ps_graph.rules.decay_glow` brings it forward).

A step therefore costs O(out-edges of the clips walked + edges still glowing). Glow that
has decayed to exactly zero (``eta_glow_damping = 1``, or float underflow after some
10^4 steps) leaves the glowing set, so it stays bounded on long episodes.

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

import math
from collections.abc import Hashable, Iterable

import networkx as nx
import numpy as np

from . import rules
from ._validate import check_choice, check_int, check_real
from .errors import ConfigError, RewardError, WalkError

__all__ = ["ECM", "KINDS"]

KINDS = ("percept", "action", "hidden")


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
    max_hops : int >= 1
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
            "eta_glow_damping", eta_glow_damping, 0.0, 1.0, low_open=True,
            hint="eta = 1 keeps glow for one step only; smaller values reward earlier steps too.",
        )
        self.glow_mode = check_choice("glow", glow, rules.GLOW_MODES)
        self.policy = check_choice("policy", policy, rules.POLICIES)
        self.beta_softmax = check_real("beta_softmax", beta_softmax, 0.0, low_open=True)
        self.h0 = check_real("h0", h0, 0.0, low_open=True)
        self.h_floor = check_real(
            "h_floor", h_floor, 0.0, self.h0, low_open=True,
            hint="The floor must be positive and not above h0.",
        )
        self.max_hops = check_int("max_hops", max_hops, 1)
        self._g = nx.DiGraph()
        self._succ = self._g._succ  # adjacency dicts, read on the hot path
        self._node = self._g._node
        self._clock = 0  # learning steps applied
        self._glow_clock = 0  # glow decays applied
        self._h_stamp: dict[Hashable, int] = {}
        self._glowing: dict[tuple[Hashable, Hashable], int] = {}
        self._action_layer = 1

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
        self._h_stamp[clip] = self._clock

    def add_percept(self, clip: Hashable, label: str | None = None) -> None:
        """Add a percept clip (layer 0). Adding an existing clip again does nothing."""
        self._add_clip(clip, "percept", 0, label)

    def add_action(self, clip: Hashable, label: str | None = None) -> None:
        """Add an action clip (the last layer). Adding an existing clip again does nothing."""
        self._add_clip(clip, "action", self._action_layer, label)

    def add_hidden(self, clip: Hashable, layer: int = 1, label: str | None = None) -> None:
        """Add a hidden clip in ``layer`` >= 1; action clips stay one layer further."""
        layer = check_int("layer", layer, 1, hint="Layer 0 holds percepts; hidden clips start at 1.")
        self._add_clip(clip, "hidden", layer, label)
        if layer >= self._action_layer:
            self._action_layer = layer + 1
            for node in self._node.values():
                if node["kind"] == "action":
                    node["layer"] = self._action_layer

    def add_edge(self, source: Hashable, target: Hashable, h: float | None = None) -> None:
        """Add the edge ``source -> target`` with ``h`` (default ``h0``) and no glow."""
        for clip in (source, target):
            if clip not in self._node:
                raise ConfigError(f"clip {clip!r} is not in the ECM; add it with add_percept/add_action/add_hidden first.")
        if self._node[source]["kind"] == "action":
            raise ConfigError(f"action clip {source!r} cannot have out-edges: walks end at actions.")
        if self._node[target]["kind"] == "percept":
            raise ConfigError(f"percept clip {target!r} cannot be an edge target: walks start at percepts.")
        if source == target:
            raise ConfigError(f"self-loop on {source!r}: a clip cannot hop to itself.")
        value = self.h0 if h is None else check_real("h", h, self.h_floor, hint=f"h must be >= h_floor={self.h_floor}.")
        self._sync(source)
        if target in self._succ[source]:
            self._succ[source][target]["h"] = value
        else:
            self._g.add_edge(source, target, h=value, glow=0.0)

    def connect(self, source: Hashable, targets: Iterable[Hashable]) -> None:
        """Add an edge with ``h0`` from ``source`` to each target that it lacks."""
        succ = self._succ.get(source, {})
        for target in targets:
            if target not in succ:
                self.add_edge(source, target)

    # ------------------------------------------------------------------ reading
    def __contains__(self, clip: Hashable) -> bool:
        return clip in self._node

    def __len__(self) -> int:
        return len(self._node)

    def kind(self, clip: Hashable) -> str:
        """The kind of ``clip``: "percept", "action" or "hidden"."""
        return self._node[clip]["kind"]

    def clips(self, kind: str | None = None) -> list[Hashable]:
        """All clips, or those of one kind, in insertion order."""
        if kind is None:
            return list(self._node)
        check_choice("kind", kind, KINDS)
        return [c for c, d in self._node.items() if d["kind"] == kind]

    @property
    def num_edges(self) -> int:
        return self._g.number_of_edges()

    def _sync(self, clip: Hashable, to: int | None = None) -> None:
        """Apply the damping steps that ``clip``'s out-edges missed (closed form)."""
        to = self._clock if to is None else to
        steps = to - self._h_stamp.get(clip, to)
        if steps and self.gamma_damping:
            gamma, h0 = self.gamma_damping, self.h0
            for data in self._succ[clip].values():
                data["h"] = rules.damp(data["h"], gamma, h0, steps)
        self._h_stamp[clip] = to

    def _current_glow(self, edge: tuple[Hashable, Hashable]) -> float:
        stamp = self._glowing.get(edge)
        if stamp is None:
            return 0.0
        stored = self._succ[edge[0]][edge[1]]["glow"]
        return rules.decay_glow(stored, self.eta_glow_damping, self._glow_clock - stamp)

    def _require_edge(self, source: Hashable, target: Hashable) -> None:
        if source not in self._succ or target not in self._succ[source]:
            raise KeyError(f"no edge {source!r} -> {target!r} in the ECM")

    def h(self, source: Hashable, target: Hashable) -> float:
        """The current h-value of an edge."""
        self._require_edge(source, target)
        self._sync(source)
        return self._succ[source][target]["h"]

    def glow(self, source: Hashable, target: Hashable) -> float:
        """The current glow of an edge."""
        self._require_edge(source, target)
        return self._current_glow((source, target))

    def out_h(self, clip: Hashable) -> dict[Hashable, float]:
        """Current h-values of ``clip``'s out-edges, by target clip."""
        self._sync(clip)
        return {t: d["h"] for t, d in self._succ[clip].items()}

    def probabilities(self, clip: Hashable) -> dict[Hashable, float]:
        """Hopping probabilities from ``clip`` to each of its targets."""
        h = self.out_h(clip)
        if not h:
            return {}
        p = rules.hopping_probabilities(list(h.values()), self.policy, self.beta_softmax)
        return dict(zip(h, p))

    @property
    def graph(self) -> nx.DiGraph:
        """The networkx graph, with every h and glow brought up to date first.

        This is the live graph: read it with any networkx function or exporter. Change
        clips and edges through the ECM's methods so its bookkeeping stays right.
        """
        for clip in self._node:
            self._sync(clip)
        for edge, stamp in list(self._glowing.items()):
            data = self._succ[edge[0]][edge[1]]
            data["glow"] = rules.decay_glow(data["glow"], self.eta_glow_damping, self._glow_clock - stamp)
            self._glowing[edge] = self._glow_clock
        return self._g

    # ------------------------------------------------------------------ deliberation
    def walk(self, start: Hashable, rng: np.random.Generator) -> list[Hashable]:
        """A random walk from ``start`` to an action clip; returns the clips visited.

        One uniform draw per hop (``rng.random()``), sampled by inverse CDF
        (:func:`ps_graph.rules.sample_index`). Raises :class:`WalkError` at a clip without
        out-edges or after ``max_hops`` hops. The walk changes no value: pass the path to
        :meth:`excite` to make its edges glow.
        """
        node = self._node.get(start)
        if node is None:
            raise KeyError(f"clip {start!r} is not in the ECM")
        if node["kind"] == "action":
            raise WalkError(f"walks start at a percept or hidden clip; {start!r} is an action clip.")
        succ, nodes, stamps = self._succ, self._node, self._h_stamp
        policy, beta, clock = self.policy, self.beta_softmax, self._clock
        path = [start]
        clip = start
        for _ in range(self.max_hops):
            out = succ[clip]
            if not out:
                raise WalkError(
                    f"clip {clip!r} has no out-edges, so the walk from {start!r} cannot reach an action. "
                    "Connect it to actions or hidden clips (ECM.connect)."
                )
            if stamps.get(clip, clock) != clock:
                self._sync(clip)
            weights = rules.hopping_weights([d["h"] for d in out.values()], policy, beta)
            j = rules.sample_index(weights, rng.random())
            clip = next(iter(out)) if j == 0 else list(out)[j]
            path.append(clip)
            if nodes[clip]["kind"] == "action":
                return path
        raise WalkError(
            f"the walk from {start!r} did not reach an action clip within max_hops={self.max_hops} hops; "
            "the ECM may have cycles among hidden clips with little weight towards actions. "
            "Raise max_hops or check the hidden-clip wiring."
        )

    def action_probabilities(self, start: Hashable) -> dict[Hashable, float]:
        """Exact probability of ending at each action clip when walking from ``start``.

        The walk is an absorbing Markov chain with the action clips absorbing; this solves
        ``(I - Q) B = R`` on the clips reachable from ``start`` instead of sampling.
        """
        if start not in self._node:
            raise KeyError(f"clip {start!r} is not in the ECM")
        if self._node[start]["kind"] == "action":
            return {start: 1.0}
        transient: list[Hashable] = [start]
        index = {start: 0}
        actions: dict[Hashable, int] = {}
        rows: list[dict[Hashable, float]] = []
        i = 0
        while i < len(transient):
            clip = transient[i]
            probs = self.probabilities(clip)
            if not probs:
                raise WalkError(f"clip {clip!r} (reachable from {start!r}) has no out-edges, so no action is reached from it.")
            rows.append(probs)
            for target in probs:
                if self._node[target]["kind"] == "action":
                    actions.setdefault(target, len(actions))
                elif target not in index:
                    index[target] = len(transient)
                    transient.append(target)
            i += 1
        if len(transient) == 1:
            return dict(rows[0])
        q = np.zeros((len(transient), len(transient)))
        r = np.zeros((len(transient), len(actions)))
        for i, probs in enumerate(rows):
            for target, p in probs.items():
                if target in actions:
                    r[i, actions[target]] += p
                else:
                    q[i, index[target]] += p
        try:
            b = np.linalg.solve(np.eye(len(transient)) - q, r[:, :])
        except np.linalg.LinAlgError:
            b = None
        if b is None or not np.all(np.isfinite(b)) or not math.isclose(float(b[0].sum()), 1.0, abs_tol=1e-9):
            raise WalkError(
                f"walks from {start!r} can cycle among hidden clips forever without reaching an action; "
                "every hidden clip needs a path to some action."
            )
        return {a: float(b[0, k]) for a, k in actions.items()}

    # ------------------------------------------------------------------ learning
    def decay_glow(self) -> None:
        """One step of glow decay on every edge, ``g <- (1 - eta) g``, in O(1)."""
        self._glow_clock += 1

    def excite(self, path: list[Hashable]) -> None:
        """Mark a walk: each traversed edge glows, each clip on it gains a visit."""
        nodes, succ, glowing = self._node, self._succ, self._glowing
        now = self._glow_clock
        for clip in path:
            nodes[clip]["visits"] += 1
        for source, target in zip(path, path[1:]):
            edge = (source, target)
            current = self._current_glow(edge) if self.glow_mode == "accumulate" else 0.0
            succ[source][target]["glow"] = rules.glow_after_traversal(current, self.glow_mode)
            glowing[edge] = now

    def learn(self, reward: float) -> None:
        """One learning step on every edge: ``h <- h - gamma (h - h0) + g R`` (floored).

        Costs O(1) plus O(out-edges of the glowing edges' sources) when ``reward != 0``.
        """
        reward = float(reward)
        if not math.isfinite(reward):
            raise RewardError(f"reward must be a finite number; got {reward!r}. Check the environment or reward wrapper.")
        new_clock = self._clock + 1
        if reward != 0.0 and self._glowing:
            eta, now = self.eta_glow_damping, self._glow_clock
            succ, floor = self._succ, self.h_floor
            dead = []
            for edge, stamp in self._glowing.items():
                data = succ[edge[0]][edge[1]]
                g = rules.decay_glow(data["glow"], eta, now - stamp)
                if g == 0.0:
                    dead.append(edge)
                    continue
                self._sync(edge[0], to=new_clock)
                data["h"] = rules.floor_h(rules.reward_step(data["h"], g, reward), floor)
            for edge in dead:
                self._succ[edge[0]][edge[1]]["glow"] = 0.0
                del self._glowing[edge]
        self._clock = new_clock

    def reset_glow(self) -> None:
        """Set every glow to zero (done at every episode start)."""
        succ = self._succ
        for source, target in self._glowing:
            succ[source][target]["glow"] = 0.0
        self._glowing.clear()

    def __repr__(self) -> str:
        counts = {k: 0 for k in KINDS}
        for d in self._node.values():
            counts[d["kind"]] += 1
        return (
            f"ECM(percepts={counts['percept']}, hidden={counts['hidden']}, actions={counts['action']}, "
            f"edges={self.num_edges}, policy={self.policy!r})"
        )
