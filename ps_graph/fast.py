"""TwoLayerPS: the 2-layer PS agent on a flat h-table, numerically identical to PSAgent.

A 2-layer ECM (percepts -> actions) is a matrix, so this agent keeps it as one: the
h-values of the percepts seen so far in a flat ``array('d')`` that grows in amortized
blocks (row i holds percept i's edges), the learning step each row is current at, and
only the edges still glowing in a dict. Damping and glow decay are applied lazily with the
closed forms in :mod:`ps_graph.rules`, exactly as the graph core does, so for the same
seed and environment TwoLayerPS and :class:`~ps_graph.PSAgent` choose the same actions
and hold the same h-values (tested to 1e-9 over 100,000 steps).

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

import math
from array import array
from collections.abc import Hashable
from typing import Any

import numpy as np
from gymnasium import spaces

from . import rules
from ._validate import check_int, check_real, make_config
from .agent import PSConfig, action_clip, percept_clip
from .ecm import ECM
from .errors import ConfigError, RewardError, UnsupportedSpaceError
from .percepts import action_list, percept_encoder

__all__ = ["TwoLayerPS"]

_BLOCK = 256  # uniforms drawn from the Generator at a time
_DENSE_LIMIT = 1 << 24  # Discrete spaces up to this size index their rows with an array


class _DictIndex:
    """Percept key -> row for any hashable keys."""

    def __init__(self, encode) -> None:
        self._rows: dict[Hashable, int] = {}
        self._encode = encode
        self.keys: list[Hashable] = []

    def find(self, key: Hashable) -> int:
        return self._rows.get(key, -1)

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

    def find_observation(self, observation: object) -> int:
        i = int(observation) - self._start
        if 0 <= i < self._n:
            return self._rows[i]
        return self.find(int(observation))

    def add(self, key: int) -> int:
        row = self._rows[key - self._start] = len(self.keys)
        self.keys.append(key)
        return row


class TwoLayerPS:
    """2-layer projective simulation on a flat, lazily updated h-table.

    Takes the same arguments and hyperparameters as :class:`~ps_graph.PSAgent`
    (``max_hops`` is unused: every walk is one hop) and speaks the same protocol. It draws
    its uniforms from ``rng`` 256 at a time, so do not share that Generator with other code
    if you want its stream to match a PSAgent's.
    """

    def __init__(
        self,
        actions: int | spaces.Discrete,
        observation_space: spaces.Space | None = None,
        *,
        config: PSConfig | None = None,
        rng: np.random.Generator | None = None,
        **hyperparameters: Any,
    ) -> None:
        if "growth" in hyperparameters:
            raise ConfigError("TwoLayerPS is the 2-layer fast path and cannot grow hidden clips; "
                              "use PSAgent(..., growth=...).")
        self.config = config = make_config(PSConfig, config, hyperparameters, "PS")
        self.actions = action_list(actions)
        self.encode = percept_encoder(observation_space)
        self.observation_space = observation_space  # kept for saving (ps_graph.saving)
        self.rng = rng if rng is not None else np.random.default_rng(config.seed)
        self._a = len(self.actions)
        self._h0_row = array("d", [config.h0] * self._a)
        self._h = array("d")  # row-major: percept i's edges at [i * A, (i + 1) * A)
        self._stamp = array("q")  # learning step each row's h is current at
        self._visits = array("q")  # per percept
        self._emotion = bytearray()  # per edge: 1 positive (the start), 0 negative
        self._action_visits = [0] * self._a
        dense = isinstance(observation_space, spaces.Discrete) and observation_space.n <= _DENSE_LIMIT
        self._index = _DenseIndex(observation_space) if dense else _DictIndex(self.encode)
        self._keys = self._index.keys  # row -> percept key
        self._find = self._index.find  # percept key -> row, or -1
        self._find_observation = self._index.find_observation  # observation -> row, or -1
        self._glowing: dict[int, list] = {}  # flat edge index -> [glow, glow step it was current at]
        self._clock = 0
        self._glow_clock = 0
        self._max_backdate = rules.max_backdate_steps(config.gamma_damping)
        self._pending = -1  # flat index of the edge awaiting its reward
        # hot-path copies of the configuration
        self._policy, self._beta = config.policy, config.beta_softmax
        self._reflections, self._glow_mode = config.num_reflections, config.glow
        self._accumulate = config.glow == "accumulate"
        self._u: list[float] = []  # uniforms drawn ahead from rng, used from _next_u on
        self._next_u = 0

    @classmethod
    def for_env(cls, env, **hyperparameters: Any) -> TwoLayerPS:
        """An agent for ``env``'s (Discrete) action space and observation space."""
        return cls(env.action_space, env.observation_space, **hyperparameters)

    # ------------------------------------------------------------------ storage
    @property
    def num_percepts(self) -> int:
        return len(self._keys)

    @property
    def percept_keys(self) -> list[Hashable]:
        """Percept keys in row order (first seen first)."""
        return [int(k) for k in self._keys] if isinstance(self._keys, array) else list(self._keys)

    def percept(self, observation: object) -> int:
        """The row of ``observation``'s percept, created (h0 everywhere) on first sight."""
        key = self.encode(observation)
        row = self._find(key)
        if row < 0:
            row = self._index.add(key)
            self._h.extend(self._h0_row)  # array growth is amortized O(1) per value
            self._stamp.append(self._clock)
            self._visits.append(0)
            self._emotion.extend(b"\x01" * self._a)
        return row

    def _sync(self, row: int, to: int | None = None) -> None:
        """Apply the damping steps that ``row`` missed (closed form)."""
        to = self._clock if to is None else to
        steps = to - self._stamp[row]
        if steps and self.config.gamma_damping:
            base = row * self._a
            self._h[base : base + self._a] = array(
                "d", rules.damp(self._h[base : base + self._a], self.config.gamma_damping, self.config.h0, steps)
            )
        self._stamp[row] = to

    def _row_h(self, row: int):
        """Row ``row``'s current h-values (computed; the stored row stays lazy)."""
        base = row * self._a
        h = self._h[base : base + self._a]
        behind = self._clock - self._stamp[row]
        if behind and self.config.gamma_damping:
            return rules.damp(h, self.config.gamma_damping, self.config.h0, behind)
        return h

    # ------------------------------------------------------------------ protocol
    def act(self, observation: object, explore: bool = True) -> int:
        """Deliberate on ``observation``; ``explore=False`` is greedy and changes nothing."""
        if not explore:
            return self.greedy_action(observation)
        row = self._find_observation(observation)
        if row < 0:
            row = self.percept(observation)
        self._glow_clock += 1
        weights = rules.hopping_weights(self._row_h(row), self._policy, self._beta)
        j = rules.sample_index(weights, self._uniform())
        if self._reflections:
            j = self._reflect(row, j, weights)
        edge = row * self._a + j
        current = self._current_glow(edge) if self._accumulate else 0.0
        self._glowing[edge] = [rules.glow_after_traversal(current, self._glow_mode), self._glow_clock]
        self._visits[row] += 1
        self._action_visits[j] += 1
        self._pending = edge
        return self.actions[j]

    def _reflect(self, row: int, j: int, weights) -> int:
        """Re-sample up to ``num_reflections`` times while the chosen edge's emotion is negative."""
        base = row * self._a
        for _ in range(self._reflections):
            if self._emotion[base + j]:
                break
            j = rules.sample_index(weights, self._uniform())
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

    def action_probabilities(self, observation: object) -> dict[int, float]:
        """Exact probability of each action for ``observation`` (its hopping probabilities),
        changing nothing; uniform for a percept not seen yet (as :meth:`PSAgent.action_probabilities`).

        >>> agent = TwoLayerPS(2, seed=0)
        >>> agent.action_probabilities("never seen")
        {0: 0.5, 1: 0.5}
        """
        row = self._find(self.encode(observation))
        h = self._h0_row if row < 0 else self._row_h(row)
        return dict(zip(self.actions, rules.hopping_probabilities(list(h), self._policy, self._beta)))

    def greedy_action(self, observation: object) -> int:
        """The most probable action (first of ties); unseen percepts give the first action."""
        row = self._find(self.encode(observation))
        if row < 0:
            return self.actions[0]
        h = self._row_h(row)
        return self.actions[max(range(self._a), key=h.__getitem__)]

    def observe(self, reward: float, next_observation: object, terminated: bool, truncated: bool) -> None:
        """Learn from ``reward``; glow resets when the episode ends (as PSAgent.observe)."""
        if self._pending < 0:
            return
        if reward == 0.0:  # only damping, which stays lazy: O(1)
            self._clock += 1
        else:
            self._learn(reward)
        if self._reflections:
            self._emotion[self._pending] = float(reward) > 0
        self._pending = -1
        if terminated or truncated:
            self._glowing.clear()

    def _current_glow(self, edge: int) -> float:
        entry = self._glowing.get(edge)
        if entry is None:
            return 0.0
        return rules.decay_glow(entry[0], self.config.eta_glow_damping, self._glow_clock - entry[1])

    def _learn(self, reward: float) -> None:
        """``h <- h - gamma (h - h0) + g R`` on every edge, lazily (see ECM.learn)."""
        reward = float(reward)
        if not math.isfinite(reward):
            raise RewardError(f"reward must be a finite number; got {reward!r}. Check the environment or reward wrapper.")
        new_clock = self._clock + 1
        if reward != 0.0 and self._glowing:
            cfg, h, stamps, a = self.config, self._h, self._stamp, self._a
            eta, now, gamma = cfg.eta_glow_damping, self._glow_clock, cfg.gamma_damping
            dead = []
            for edge, (glow, stamp) in self._glowing.items():
                g = rules.decay_glow(glow, eta, now - stamp)
                if g == 0.0:
                    dead.append(edge)
                    continue
                row = edge // a
                behind = new_clock - stamps[row]
                if reward > 0.0 and behind <= self._max_backdate:
                    h[edge] = rules.backdated_reward_step(h[edge], g, reward, gamma, behind)
                else:
                    self._sync(row, to=new_clock)
                    h[edge] = rules.floor_h(rules.reward_step(h[edge], g, reward), cfg.h_floor)
            for edge in dead:
                del self._glowing[edge]
        self._clock = new_clock

    # ------------------------------------------------------------------ reading
    def h_values(self, observation: object) -> dict[int, float]:
        """Current h-values of the edges from ``observation``'s percept, by action."""
        row = self._find(self.encode(observation))
        if row < 0:
            raise KeyError(f"observation {observation!r} has not been seen: it has no percept yet")
        return dict(zip(self.actions, self._row_h(row)))

    def h_matrix(self) -> np.ndarray:
        """Current h-values as a (percepts, actions) array, rows in :attr:`percept_keys` order.

        A copy: later learning does not change it, and reading changes nothing.
        """
        gamma = self.config.gamma_damping
        h = np.array(self._h, dtype=np.float64).reshape(len(self._keys), self._a)
        if gamma:
            behind = self._clock - np.asarray(self._stamp, dtype=np.int64)
            for row in np.flatnonzero(behind):
                h[row] = self._row_h(int(row))
        return h

    def glow_matrix(self) -> np.ndarray:
        """Current glow as a (percepts, actions) array (zeros except edges still glowing)."""
        g = np.zeros(len(self._h))
        for edge in self._glowing:
            g[edge] = self._current_glow(edge)
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
            for clip, value in zip(clips, h[row].tolist()):
                ecm.add_edge(p, clip, h=value)
        for edge in self._glowing:
            row, j = divmod(edge, self._a)
            ecm.set_glow(percept_clip(self._keys[row]), clips[j], self._current_glow(edge))
        return ecm

    # ------------------------------------------------------------------ snapshots
    def snapshot(self) -> dict[str, Any]:
        """Everything the agent has learned and drawn ahead, as plain Python data, read
        without changing anything (as :meth:`ECM.snapshot <ps_graph.ECM.snapshot>`).

        Keys: ``percept_keys`` (row order); ``h`` (current values, one list per row, in
        :attr:`actions` order); ``visits`` (per row); ``action_visits``; ``emotions`` (one
        list of bools per row); ``glowing`` ``[(row, column, glow), ...]`` (current);
        ``pending`` ``(row, column)`` of the edge awaiting its reward, or None; ``uniforms``
        and ``next_uniform`` (the block of uniforms drawn ahead and the next one to use);
        ``lazy``: ``clock``, ``glow_clock``, ``stamps`` (per row), ``h`` (stored rows:
        ``rules.damp(stored, gamma_damping, h0, clock - stamp)`` is current) and ``glowing``
        ``[(row, column, stored_glow, stamp), ...]``. :meth:`restore` puts it back.

        >>> agent = TwoLayerPS(2, seed=0)
        >>> agent.act("s"); agent.observe(1.0, "s", False, False)
        1
        >>> agent.snapshot()["h"]
        [[1.0, 2.0]]
        """
        a, rows = self._a, range(len(self._keys))
        glowing = [(*divmod(edge, a), entry[0], entry[1]) for edge, entry in self._glowing.items()]
        return {
            "percept_keys": self.percept_keys,
            "h": [list(self._row_h(i)) for i in rows],
            "visits": list(self._visits),
            "action_visits": list(self._action_visits),
            "emotions": [[bool(e) for e in self._emotion[i * a : (i + 1) * a]] for i in rows],
            "glowing": [(i, j, self._current_glow(i * a + j)) for i, j, _, _ in glowing],
            "pending": divmod(self._pending, a) if self._pending >= 0 else None,
            "uniforms": list(self._u),
            "next_uniform": self._next_u,
            "lazy": {
                "clock": self._clock,
                "glow_clock": self._glow_clock,
                "stamps": list(self._stamp),
                "h": [list(self._h[i * a : (i + 1) * a]) for i in rows],
                "glowing": glowing,
            },
        }

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Put a :meth:`snapshot` back onto this freshly created agent (same actions,
        observation space and config as the one it came from).

        With ``lazy`` the agent continues bit for bit; without it (None or missing) it
        starts from the current values, which are the same but round later damping and
        glow decay from there. Checks everything before changing anything: a bad snapshot
        raises :class:`~ps_graph.errors.ConfigError` and leaves the agent fresh.

        >>> agent = TwoLayerPS(2, seed=0)
        >>> agent.act("s"); agent.observe(1.0, "s", False, False)
        1
        >>> twin = TwoLayerPS(2, seed=0)
        >>> twin.restore(agent.snapshot())
        >>> twin.snapshot() == agent.snapshot(), twin.h_values("s")
        (True, {0: 1.0, 1: 2.0})
        """
        if len(self._keys) or self._clock or self._glow_clock or self._u:
            raise ConfigError("restore() needs a freshly created TwoLayerPS; this one has already acted.")
        a, keys = self._a, list(snapshot["percept_keys"])
        n = len(keys)
        lazy = snapshot.get("lazy") or {"clock": 0, "glow_clock": 0, "stamps": [0] * n, "h": snapshot["h"],
                                         "glowing": []}
        clock, glow_clock = check_int("clock", lazy["clock"], 0), check_int("glow_clock", lazy["glow_clock"], 0)

        def table(name: str, rows, check) -> list:
            if len(rows) != n or any(len(r) != a for r in rows):
                raise ConfigError(f"{name} needs {n} rows (one per percept key) of {a} values (one per action).")
            return [check(name, v) for r in rows for v in r]

        def positive(name: str, v) -> float:
            return check_real(name, v, 0.0, low_open=True)

        def flag(name: str, v) -> int:
            if not isinstance(v, bool):
                raise ConfigError(f"{name} must be true or false; got {v!r}.")
            return int(v)

        def edge(name: str, pair) -> int:
            i, j = (check_int(name, x, 0) for x in pair)
            if i >= n or j >= a:
                raise ConfigError(f"{name} ({i}, {j}) is outside the {n} x {a} table.")
            return i * a + j

        def counts(name: str, values, length: int) -> list[int]:
            if len(values) != length:
                raise ConfigError(f"{name} needs {length} values; got {len(values)}.")
            return [check_int(name, v, 0) for v in values]

        table("h", snapshot["h"], positive)  # current values: checked, used only without lazy
        stored = table("stored h", lazy["h"], positive)
        stamps = counts("stamps", lazy["stamps"], n)
        if any(s > clock for s in stamps):
            raise ConfigError(f"a stamp is after the clock {clock}.")
        emotions = table("emotions", snapshot["emotions"], flag)
        glowing = {edge("glowing edge", g[:2]): [check_real("glow", g[2], 0.0), check_int("glow stamp", g[3], 0)]
                   for g in lazy["glowing"]}
        for i, j, g in snapshot["glowing"]:
            glowing.setdefault(edge("glowing edge", (i, j)), [check_real("glow", g, 0.0), glow_clock])
        if any(s > glow_clock for _, s in glowing.values()):
            raise ConfigError(f"a glow stamp is after the glow clock {glow_clock}.")
        uniforms = [check_real("uniform", u, 0.0, 1.0, high_open=True) for u in snapshot["uniforms"]]
        next_u = check_int("next_uniform", snapshot["next_uniform"], 0)
        if next_u > len(uniforms):
            raise ConfigError(f"next_uniform {next_u} is past the {len(uniforms)} uniforms drawn ahead.")
        pending = snapshot["pending"]
        pending = -1 if pending is None else edge("pending edge", pending)
        if len(set(keys)) != n:
            raise ConfigError("percept keys must be distinct; a key is listed twice.")
        if isinstance(self._index, _DenseIndex):
            lo, hi = self._index._start, self._index._start + self._index._n
            bad = [k for k in keys if isinstance(k, bool) or not isinstance(k, int) or not lo <= k < hi]
            if bad:
                raise ConfigError(f"percept key {bad[0]!r} is not an observation of {self.observation_space}.")
        visits = counts("visits", snapshot["visits"], n)
        action_visits = counts("action_visits", snapshot["action_visits"], a)
        for key in keys:
            self._index.add(key)
        self._h, self._stamp = array("d", stored), array("q", stamps)
        self._visits, self._action_visits, self._emotion = array("q", visits), action_visits, bytearray(emotions)
        self._glowing = {e: v for e, v in glowing.items() if v[0]}
        self._clock, self._glow_clock, self._pending = clock, glow_clock, pending
        self._u, self._next_u = uniforms, next_u

    def __repr__(self) -> str:
        return f"TwoLayerPS({self.config}, percepts={self.num_percepts}, actions={self._a})"
