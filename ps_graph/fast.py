"""TwoLayerPS: the 2-layer PS agent on a flat h-table, numerically identical to PSAgent.

A 2-layer ECM (percepts -> actions) is a matrix, so this agent keeps it as one: a flat
:class:`~ps_graph.store.Table` with one row of h-values per percept seen so far (row i holds
percept i's edges, in :attr:`actions` order). Damping and glow decay are applied lazily by
the same :class:`~ps_graph.store.LazyStore` as the graph core's, so for the same
seed and environment TwoLayerPS and :class:`~ps_graph.PSAgent` choose the same actions
and hold the same h-values (tested to 1e-9 over 100,000 steps), majority voting
(``votes``), reflection and action priming included. Factorized percepts
(``percepts="factorized"``) need the graph core's multi-excitation: use PSAgent for them.

Example
-------
>>> import gymnasium as gym, ps_graph
>>> env = gym.make("FrozenLake-v1", is_slippery=False)
>>> fast = ps_graph.TwoLayerPS.for_env(env, eta_glow_damping=0.04, seed=0)
>>> graph = ps_graph.PSAgent.for_env(env, eta_glow_damping=0.04, seed=0)
>>> r1 = ps_graph.train(fast, env, episodes=50, seed=0)
>>> r2 = ps_graph.train(graph, env, episodes=50, seed=0)
>>> bool((r1.lengths == r2.lengths).all()), fast.h_matrix().shape[1]
(True, 4)
>>> ecm = fast.to_ecm()   # every inspection tool works on the equivalent ECM
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, Protocol, SupportsInt, cast

import numpy as np
from gymnasium import spaces

from . import _fast_snapshot, rules
from .agent import InitialH, PSConfig, action_clip, percept_clip, priming_clips
from .checks import make_config
from .ecm import ECM
from .errors import ConfigError, UnknownClipError, UnsupportedSpaceError
from .labels import Labels, labels_for_env
from .percepts import action_list, percept_encoder
from .store import LazyStore, Table, TableRow

__all__ = ["TwoLayerPS"]

_BLOCK = 256  # uniforms drawn from the Generator at a time
_DENSE_LIMIT = 1 << 24  # Discrete spaces up to this size index their rows with an array


class _PerceptIndex(Protocol):
    """Percept key -> row. The keys are what the agent's encoder makes of the observations:
    any hashables for :class:`_DictIndex`, the Discrete space's ints for :class:`_DenseIndex`
    (the encoder decides, hence ``Any``)."""

    @property
    def keys(self) -> Sequence[Any]: ...  # row -> percept key

    def find(self, key: Any) -> int: ...  # the row of ``key``, or -1

    def find_observation(self, observation: Any) -> int: ...  # the row of ``observation``, or -1

    def check_keys(self, keys: list, space: object) -> None: ...

    def add(self, key: Any) -> int: ...  # a new row for ``key``


class _DictIndex:
    """Percept key -> row for any hashable keys."""

    def __init__(self, encode) -> None:
        self._rows: dict[Hashable, int] = {}
        self._encode = encode
        self.keys: list[Hashable] = []

    def find(self, key: Hashable) -> int:
        return self._rows.get(key, -1)

    def check_keys(self, keys: list, space: object) -> None:
        """Any hashable keys will do."""

    def find_observation(self, observation: object) -> int:
        return self._rows.get(self._encode(observation), -1)

    def add(self, key: Hashable) -> int:
        row = self._rows[key] = len(self.keys)
        self.keys.append(key)
        return row


class _DenseIndex:
    """Percept key -> row for a Discrete space: 4 bytes per possible observation."""

    def __init__(self, space: spaces.Discrete) -> None:
        self._start, self._n = int(space.start), int(space.n)
        self._rows = array("i", [-1]) * self._n
        self.keys = array("q")

    def find(self, key: int) -> int:
        i = key - self._start
        if 0 <= i < self._n:
            return self._rows[i]
        raise UnsupportedSpaceError(
            f"observation {key} is outside the observation space Discrete({self._n}, start={self._start})."
        )

    def find_observation(self, observation: SupportsInt) -> int:
        i = int(observation) - self._start
        if 0 <= i < self._n:
            return self._rows[i]
        return self.find(int(observation))

    def check_keys(self, keys: list, space: object) -> None:
        """Every key must be an observation of the Discrete space."""
        lo, hi = self._start, self._start + self._n
        bad = [k for k in keys if isinstance(k, bool) or not isinstance(k, int) or not lo <= k < hi]
        if bad:
            raise ConfigError(f"percept key {bad[0]!r} is not an observation of {space}.")

    def add(self, key: int) -> int:
        row = self._rows[key - self._start] = len(self.keys)
        self.keys.append(key)
        return row


def _percept_index(space: spaces.Space | None, encode: Callable[[Any], Hashable]) -> _PerceptIndex:
    """The dense index for a Discrete space of at most ``_DENSE_LIMIT`` observations, else the dict index."""
    if isinstance(space, spaces.Discrete) and space.n <= _DENSE_LIMIT:
        return _DenseIndex(space)
    return _DictIndex(encode)


class TwoLayerPS:
    """2-layer projective simulation on a flat, lazily updated h-table.

    Takes the same arguments and hyperparameters as :class:`~ps_graph.PSAgent`
    (``max_hops`` is unused: every walk is one hop) and speaks the same protocol. It draws
    its uniforms from ``rng`` 256 at a time, so do not share that Generator with other code
    if you want its stream to match a PSAgent's.

    ``initial_h=`` (a table, mapping or callable, as PSAgent's) gives each edge its own initial
    h, which damping pulls it back to; the table then keeps one initial value per edge (8 bytes
    more per h-value), and without it nothing changes. ``priming=`` ({action: term}, softmax
    policy) primes actions as PSAgent's does (:meth:`set_priming`).

    >>> from gymnasium import spaces
    >>> forager = TwoLayerPS(2, spaces.Discrete(3), initial_h=np.tile([0.99, 0.01], (3, 1)), seed=0)
    >>> forager.action_probabilities(2)     # continue 0.99, turn 0.01
    {0: 0.99, 1: 0.01}
    """

    def __init__(
        self,
        actions: int | spaces.Discrete,
        observation_space: spaces.Space | None = None,
        *,
        config: PSConfig | None = None,
        rng: np.random.Generator | None = None,
        initial_h: Any = None,
        priming: Mapping[int, float] | None = None,
        **hyperparameters: Any,
    ) -> None:
        if "growth" in hyperparameters:
            raise ConfigError(
                "TwoLayerPS is the 2-layer fast path and cannot grow hidden clips; use PSAgent(..., growth=...)."
            )
        self.config = config = make_config(PSConfig, config, hyperparameters, "PS", also=("initial_h", "priming"))
        if config.percepts != "whole":
            raise ConfigError(
                f"TwoLayerPS has one percept clip per observation (percepts='whole'); got "
                f"percepts={config.percepts!r}. Factorized percepts decide by multi-excitation on the graph "
                "core: use PSAgent(..., percepts='factorized')."
            )
        self.actions = action_list(actions)
        self.encode = percept_encoder(observation_space)
        self.initial_h = None if initial_h is None else InitialH(initial_h, self.actions, observation_space, config)
        self.observation_space = observation_space  # kept for saving (ps_graph.saving)
        self.rng = rng if rng is not None else np.random.default_rng(config.seed)
        self._a = len(self.actions)
        self._h0_row = array("d", [config.h0] * self._a)
        # percept i's h-values, the learning step they are current at (and their initial values, if per edge)
        self._table = Table(self._a, per_edge_h0=self.initial_h is not None)
        self._visits = array("q")  # per percept
        self._emotion = bytearray()  # per edge: 1 positive (the start), 0 negative
        self._action_visits = [0] * self._a
        self._index = _percept_index(observation_space, self.encode)
        self._keys = self._index.keys  # row -> percept key
        self._find = self._index.find  # percept key -> row, or -1
        self._find_observation = self._index.find_observation  # observation -> row, or -1
        # clocks and the glowing set: flat edge index i * A + j -> [glow, glow step, row, j]
        self._store: LazyStore[int] = LazyStore(
            config.gamma_damping, config.eta_glow_damping, config.h0, config.h_floor
        )
        self._pending = -1  # flat index of the edge awaiting its reward
        # hot-path copies of the configuration
        self._policy, self._beta = config.policy, config.beta_softmax
        self._reflections, self._glow_mode, self._votes = config.num_reflections, config.glow, config.votes
        self._priming: dict[int, float] = {}  # action -> priming term (softmax only)
        self._prime: list[float] | None = None  # the terms in column order, None when nothing is primed
        self._accumulate = config.glow == "accumulate"
        self._u: list[float] = []  # uniforms drawn ahead from rng, used from _next_u on
        self._next_u = 0
        #: action names and percept labels (:class:`ps_graph.labels.Labels`); None: plain keys
        self.labels: Labels | None = None
        if priming is not None:
            self.set_priming(priming)

    @classmethod
    def for_env(cls, env, **hyperparameters: Any) -> TwoLayerPS:
        """An agent for ``env``'s (Discrete) action space and observation space, with the
        env's built-in ``labels`` (:func:`ps_graph.labels.labels_for_env`; None if it has none)."""
        agent = cls(env.action_space, env.observation_space, **hyperparameters)
        agent.labels = labels_for_env(env)
        return agent

    # ------------------------------------------------------------------ storage
    @property
    def num_percepts(self) -> int:
        return len(self._keys)

    @property
    def percept_keys(self) -> list[Hashable]:
        """Percept keys in row order (first seen first)."""
        return [int(k) for k in self._keys] if isinstance(self._keys, array) else list(self._keys)

    def percept(self, observation: object) -> Hashable:
        """The percept clip of ``observation`` (as :meth:`PSAgent.percept <ps_graph.PSAgent.percept>`),
        its row created (h0 everywhere) on first sight.

        >>> TwoLayerPS(2, seed=0).percept(3)
        ('percept', 3)
        """
        key = self.encode(observation)
        if self._find(key) < 0:
            self._add_row(key)
        return percept_clip(key)

    def _add_row(self, key: Hashable) -> int:
        """A new row for the percept ``key`` at its initial values (h0, or ``initial_h``'s); returns its index."""
        values = self._h0_row if self.initial_h is None else array("d", self.initial_h.row(key))
        row = self._index.add(key)
        self._table.add_row(values, self._store.clock)
        self._visits.append(0)
        self._emotion.extend(b"\x01" * self._a)
        return row

    def _initial_row(self, key: Hashable):
        """The initial h-values of the percept ``key``'s row (h0 everywhere without ``initial_h``)."""
        return self._h0_row if self.initial_h is None else self.initial_h.row(key)

    def _row_h(self, row: int):
        """Row ``row``'s current h-values (computed; the stored row stays lazy)."""
        return self._store.table_row(self._table, row)

    # ------------------------------------------------------------------ protocol
    def act(self, observation: object, explore: bool = True) -> int:
        """Deliberate on ``observation``; ``explore=False`` is greedy and changes nothing."""
        if not explore:
            return self.greedy_action(observation)
        row = self._find_observation(observation)
        if row < 0:
            row = self._add_row(self.encode(observation))
        store = self._store
        store.glow_clock += 1
        weights = rules.hopping_weights(store.table_row(self._table, row), self._policy, self._beta, self._prime)
        j = rules.sample_index(weights, self._uniform()) if self._votes == 1 else self._choose(weights)
        if self._reflections:
            j = self._reflect(row, j, weights)
        edge = row * self._a + j
        store.traverse(edge, TableRow(self._table, row), edge, self._glow_mode)
        self._visits[row] += 1
        self._action_visits[j] += 1
        self._pending = edge
        return self.actions[j]

    def _choose(self, weights) -> int:
        """One decision's column: one hop, or with ``votes`` > 1 the majority vote of
        :func:`ps_graph.rules.majority_decision` (one uniform per hop, as PSAgent's walks)."""

        def hop() -> int:
            return rules.sample_index(weights, self._uniform())

        return hop() if self._votes == 1 else rules.majority_decision(hop, self._votes, lambda j: j)

    def _reflect(self, row: int, j: int, weights) -> int:
        """Decide again (the whole vote) up to ``num_reflections`` times while the chosen
        edge's emotion is negative."""
        base = row * self._a
        for _ in range(self._reflections):
            if self._emotion[base + j]:
                break
            j = self._choose(weights)
        return j

    def _uniform(self) -> float:
        """The agent's next uniform draw. Drawn from ``rng`` in blocks (the same values, in
        the same order, as one ``rng.random()`` per call, which is what PSAgent uses)."""
        k = self._next_u
        if k == len(self._u):
            self._u = self.rng.random(_BLOCK).tolist()
            k = 0
        self._next_u = k + 1
        return self._u[k]

    def _probabilities(self, observation: object) -> list[float]:
        """Hopping probabilities of ``observation``'s row (its initial values if unseen), priming included."""
        key = self.encode(observation)
        row = self._find(key)
        h = self._initial_row(key) if row < 0 else self._row_h(row)
        return rules.hopping_probabilities(list(h), self._policy, self._beta, self._prime)

    def action_probabilities(self, observation: object) -> dict[int, float]:
        """Exact probability of each action for ``observation`` from one hop (priming
        included), changing nothing; uniform for a percept not seen yet (as
        :meth:`PSAgent.action_probabilities`). Voting turns them into :meth:`decision_probabilities`.

        >>> agent = TwoLayerPS(2, seed=0)
        >>> agent.action_probabilities("never seen")
        {0: 0.5, 1: 0.5}
        """
        return dict(zip(self.actions, self._probabilities(observation)))

    def decision_probabilities(self, observation: object) -> dict[int, float]:
        """Exact probability of each action :meth:`act` takes for ``observation`` (before
        reflection): :meth:`action_probabilities` turned by majority voting into the chance
        that each action wins the vote (:func:`ps_graph.rules.majority_probabilities`), as
        :meth:`PSAgent.decision_probabilities <ps_graph.PSAgent.decision_probabilities>`.

        Two votes: action 0 wins both (0.75**2) and the 1-1 ties (2 * 0.75 * 0.25), which go to the first.

        >>> agent = TwoLayerPS(2, initial_h={("s", 0): 3.0}, votes=2, seed=0)
        >>> agent.action_probabilities("s")
        {0: 0.75, 1: 0.25}
        >>> {a: round(p, 12) for a, p in agent.decision_probabilities("s").items()}
        {0: 0.9375, 1: 0.0625}
        """
        probs = self._probabilities(observation)
        if self._votes > 1:
            probs = rules.majority_probabilities(probs, self._votes)
        return dict(zip(self.actions, probs))

    def greedy_action(self, observation: object) -> int:
        """The most probable action (first of ties) from :meth:`action_probabilities`;
        an unseen percept is judged by its initial values."""
        p = self._probabilities(observation)
        return self.actions[max(range(self._a), key=p.__getitem__)]

    # ------------------------------------------------------------------ priming
    @property
    def priming(self) -> dict[int, float]:
        """The priming term of each primed action (a copy; see :meth:`set_priming`)."""
        return dict(self._priming)

    def set_priming(self, priming: Mapping[int, float]) -> None:
        """Prime actions as :meth:`PSAgent.set_priming <ps_graph.PSAgent.set_priming>` does
        (same checks, same errors): under the softmax policy the edge to action ``a`` hops with
        weight ``exp(beta (h + priming[a]))``. Replaces the previous priming; ``{}`` removes it.

        >>> agent = TwoLayerPS(2, policy="softmax", priming={1: 0.6931471805599453}, seed=0)  # log 2
        >>> agent.action_probabilities("s")
        {0: 0.3333333333333333, 1: 0.6666666666666666}
        """
        self._priming = self._checked_priming(priming)
        self._prime = [self._priming.get(a, 0.0) for a in self.actions] if self._priming else None

    def _checked_priming(self, priming: Mapping[int, float]) -> dict[int, float]:
        """``priming`` checked as PSAgent checks it: its actions, then its terms by
        ``ECM.set_priming`` on a scratch ECM holding this agent's actions and policy."""
        scratch = ECM(policy=self._policy, beta_softmax=self._beta)
        for a in self.actions:
            scratch.add_action(action_clip(a))
        scratch.set_priming(priming_clips(priming, self.actions))
        return {cast("tuple[str, int]", clip)[1]: term for clip, term in scratch.priming.items()}

    def observe(self, reward: float, next_observation: object, terminated: bool, truncated: bool) -> None:
        """Learn from ``reward``; glow resets when the episode ends (as PSAgent.observe)."""
        if self._pending < 0:
            return
        if reward == 0.0:  # only damping, which stays lazy: O(1)
            self._store.tick()
        else:
            self._store.learn(reward)
        if self._reflections:
            self._emotion[self._pending] = float(reward) > 0
        self._pending = -1
        if terminated or truncated:
            self._store.reset_glow()

    # ------------------------------------------------------------------ reading
    def h_values(self, observation: object) -> dict[int, float]:
        """Current h-values of the edges from ``observation``'s percept, by action."""
        row = self._find(self.encode(observation))
        if row < 0:
            raise UnknownClipError(
                f"observation {observation!r} has not been seen: it has no percept yet. "
                "TwoLayerPS.percept_keys lists the percepts seen so far."
            )
        return dict(zip(self.actions, self._row_h(row)))

    def h_matrix(self) -> np.ndarray:
        """Current h-values as a (percepts, actions) array, rows in :attr:`percept_keys` order.

        A copy: later learning does not change it, and reading changes nothing.
        """
        h = np.empty((len(self._table), self._a))
        for i in range(len(self._table)):
            h[i] = self._store.table_row(self._table, i)
        return h

    def glow_matrix(self) -> np.ndarray:
        """Current glow as a (percepts, actions) array (zeros except edges still glowing)."""
        g = np.zeros(len(self._table) * self._a)
        for edge in self._store.glowing:
            g[edge] = self._store.glow(edge)
        return g.reshape(len(self._keys), self._a)

    def to_ecm(self) -> ECM:
        """The equivalent graph-core ECM (same clip keys as PSAgent, current values)."""
        ecm = ECM(**self.config.ecm_kwargs())
        clips = [action_clip(a) for a in self.actions]
        for clip, a, visits in zip(clips, self.actions, self._action_visits):
            ecm.add_action(clip, label=str(a))
            ecm.set_visits(clip, visits)
        h = self.h_matrix()
        for row, key in enumerate(self._keys):
            p = percept_clip(key)
            ecm.add_percept(p, label=str(key))
            ecm.set_visits(p, int(self._visits[row]))
            h0 = self._table.row_h0(row, self.config.h0)
            for j, (clip, value) in enumerate(zip(clips, h[row].tolist())):
                ecm.add_edge(p, clip, h=value, h0=None if isinstance(h0, float) else h0[j])
        for edge in self._store.glowing:
            row, j = divmod(edge, self._a)
            ecm.set_glow(percept_clip(self._keys[row]), clips[j], self._store.glow(edge))
        ecm.set_priming({action_clip(a): term for a, term in self._priming.items()})
        return ecm

    # ------------------------------------------------------------------ snapshots
    def snapshot(self) -> dict[str, Any]:
        """Everything the agent has learned and drawn ahead, as plain Python data, read
        without changing anything (as :meth:`ECM.snapshot <ps_graph.ECM.snapshot>`).

        Keys: ``percept_keys`` (row order); ``h`` (current values, one list per row, in
        :attr:`actions` order); ``visits`` (per row); ``action_visits``; ``emotions`` (one
        list of bools per row); ``glowing`` ``[(row, column, glow), ...]`` (current);
        ``pending`` ``(row, column)`` of the edge awaiting its reward, or None; ``priming``
        ``{action: term}`` (:attr:`priming`); ``uniforms``
        and ``next_uniform`` (the block of uniforms drawn ahead and the next one to use);
        ``lazy``: ``clock``, ``glow_clock``, ``stamps`` (per row), ``h`` (stored rows:
        ``rules.damp(stored, gamma_damping, h0, clock - stamp)`` is current, h0 the row's initial
        values under ``initial_h``, which restore takes from the agent's own) and ``glowing``
        ``[(row, column, stored_glow, stamp), ...]``. :meth:`restore` puts it back.

        >>> agent = TwoLayerPS(2, seed=0)
        >>> agent.act("s"); agent.observe(1.0, "s", False, False)
        1
        >>> agent.snapshot()["h"]
        [[1.0, 2.0]]
        """
        return _fast_snapshot.snapshot(self)

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Put a :meth:`snapshot` back onto this freshly created agent (same actions,
        observation space and config as the one it came from).

        With ``lazy`` the agent continues bit for bit; without it (None or missing) it
        starts from the current values, which are the same but round later damping and
        glow decay from there. A snapshot without ``priming`` (an older one) keeps the
        agent's own priming. Checks everything before changing anything: a bad snapshot
        raises :class:`~ps_graph.errors.ConfigError` and leaves the agent fresh.

        >>> agent = TwoLayerPS(2, seed=0)
        >>> agent.act("s"); agent.observe(1.0, "s", False, False)
        1
        >>> twin = TwoLayerPS(2, seed=0)
        >>> twin.restore(agent.snapshot())
        >>> twin.snapshot() == agent.snapshot(), twin.h_values("s")
        (True, {0: 1.0, 1: 2.0})
        """
        _fast_snapshot.restore(self, snapshot)

    def __repr__(self) -> str:
        return f"TwoLayerPS({self.config}, percepts={self.num_percepts}, actions={self._a})"
