"""PSAgent: the projective-simulation agent on the networkx graph core.

Semantics follow the course's ``PS_agent`` (Briegel & De las Cuevas 2012; Mautner et
al. 2015), step by step:

1. ``act``: all glow decays, ``g <- (1 - eta) g``; a random walk from the percept clip
   reaches an action clip; each edge it traversed glows (1, or +1 when accumulating).
2. ``observe``: every edge learns ``h <- h - gamma (h - h0) + g R``; h never drops below
   ``h_floor`` (default 1e-6), so negative rewards cannot make it zero or negative.
3. Glow is reset at every episode start (after ``terminated`` or ``truncated``).

Reflection: with ``num_reflections = n > 0`` every (percept, action) pair carries an
emotion tag, positive at first; it turns positive when the pair is rewarded (R > 0) and
negative otherwise. Deliberation re-walks up to n times while the walk ends on a pair
whose tag is negative; only the final walk glows.

Growth: ``growth=`` takes a rule that grows hidden clips (see :mod:`ps_graph.growth`, e.g.
:class:`~ps_graph.growth.Generalization`). Its ``on_percept(agent, clip)`` runs right after
a new percept clip is created and wired to the actions; its optional
``after_reward(agent, reward)`` runs at the end of every :meth:`PSAgent.observe` that
learned (after the glow reset at an episode end).

Example
-------
>>> import gymnasium as gym
>>> import ps_graph
>>> env = gym.make("FrozenLake-v1", is_slippery=False)
>>> agent = ps_graph.PSAgent.for_env(env, eta_glow_damping=0.04, seed=0)
>>> result = ps_graph.train(agent, env, episodes=300, seed=0)
>>> float(result.returns[-100:].mean()) > 0.5
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from gymnasium import spaces

from . import rules
from .checks import check_int, check_real, check_seed, make_config
from .ecm import ECM, MAX_HOPS
from .errors import ConfigError, PSGraphError
from .percepts import action_list, percept_encoder

__all__ = ["MAX_H0", "MAX_HOPS", "InitialH", "MAX_REFLECTIONS", "PSAgent", "PSConfig", "action_clip", "percept_clip"]

#: Upper bounds of PSConfig's fields, checked on creation (see the field's entry in PSConfig).
MAX_REFLECTIONS = 1000
MAX_H0 = 1e100


def percept_clip(key: Hashable) -> tuple[str, Hashable]:
    """Node key of the percept clip for percept key ``key``."""
    return ("percept", key)


def action_clip(action: int) -> tuple[str, int]:
    """Node key of the action clip for ``action``."""
    return ("action", action)


@dataclass(frozen=True)
class PSConfig:
    """Hyperparameters of a PS agent (names as in the PS literature), validated on creation.

    Attributes
    ----------
    gamma_damping : float in [0, 1], default 0
        Forgetting rate: every step ``h <- h - gamma (h - h0)``.
    eta_glow_damping : float in (0, 1], default 0.1
        Glow damping: every step ``g <- (1 - eta) g``. 1 rewards only the last decision;
        small values pass a delayed reward back along the episode.
    policy : "standard" | "softmax", default "standard"
        Hopping probabilities ``h / sum h`` or ``softmax(beta_softmax h)``.
    beta_softmax : float > 0, default 1
        Inverse temperature of the softmax policy.
    num_reflections : int in [0, 1000], default 0
        How often deliberation may re-walk when the chosen pair's emotion is negative.
        Once every pair of a percept is tagged negative (early on, before any reward, that is
        all of them) every decision re-walks ``num_reflections`` times, so the bound keeps a
        step within a few milliseconds; a few reflections are typical (the invasion game
        example uses 0, 1 and 2), and 10**18 would hang the first episode.
    glow : "replace" | "accumulate", default "replace"
        A traversed edge's glow becomes 1, or grows by 1.
    h0 : float in (0, 1e100], default 1
        Initial h of every edge and the value damping pulls towards. The bound keeps a row's
        sum of h finite (1e308 would make every hopping probability 0).
    h_floor : float in (0, h0], default 1e-6
        Lowest h an edge can hold under negative rewards.
    max_hops : int in [1, 1000000], default 10000
        Walks longer than this raise :class:`~ps_graph.errors.WalkError`. A walk caught in a
        cycle of hidden clips runs this many hops (and keeps them as its path) before it
        fails, so the bound keeps that failure within seconds.
    seed : int >= 0 or None
        Seed of the agent's own numpy Generator (None: fresh entropy).
    """

    gamma_damping: float = 0.0
    eta_glow_damping: float = 0.1
    policy: str = "standard"
    beta_softmax: float = 1.0
    num_reflections: int = 0
    glow: str = "replace"
    h0: float = 1.0
    h_floor: float = rules.DEFAULT_H_FLOOR
    max_hops: int = 10_000
    seed: int | None = None

    def __post_init__(self) -> None:
        # The bounds first; then a throwaway ECM validates the ECM-level parameters with one set of checks.
        fix = object.__setattr__
        hint = "0 disables reflection; a few are typical."
        fix(self, "num_reflections", check_int("num_reflections", self.num_reflections, 0, MAX_REFLECTIONS, hint=hint))
        fix(self, "max_hops", check_int("max_hops", self.max_hops, 1, MAX_HOPS, hint="The default is 10000."))
        check_real("h0", self.h0, 0.0, MAX_H0, low_open=True, hint="The default is 1.")
        ECM(**self.ecm_kwargs())
        fix(self, "seed", check_seed("seed", self.seed))
        for name in ("gamma_damping", "eta_glow_damping", "beta_softmax", "h0", "h_floor"):
            fix(self, name, check_real(name, getattr(self, name)))

    def ecm_kwargs(self) -> dict[str, Any]:
        """The parameters that configure the agent's :class:`ECM`."""
        names = ("gamma_damping", "eta_glow_damping", "glow", "policy", "beta_softmax", "h0", "h_floor", "max_hops")
        return {name: getattr(self, name) for name in names}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class InitialH:
    """An agent's ``initial_h=`` checked once: the initial h of each percept -> action edge,
    which is also the value damping pulls that edge back to (``h <- h - gamma (h - h0_edge)``).

    ``value`` is a table (array of shape ``(n, num_actions)`` for a ``Discrete(n, start)``
    observation space: row ``observation - start``, column the action's index), a mapping
    ``{(percept_key, action): h}`` (``config.h0`` for the pairs it leaves out) or a callable
    ``(percept_key, action) -> h``. Every value must be finite and in ``[h_floor, MAX_H0]``;
    a callable's are checked when a percept's row is created. :meth:`row` gives a percept's
    values in action order.

    >>> from gymnasium import spaces
    >>> InitialH({(0, 1): 0.5}, [0, 1], spaces.Discrete(2), PSConfig()).row(0)
    [1.0, 0.5]
    """

    def __init__(self, value: Any, actions: Sequence[int], space: spaces.Space | None, config: PSConfig) -> None:
        self.actions, self.h0, self.floor = list(actions), config.h0, config.h_floor
        self.table: np.ndarray | None = None
        self.mapping: dict[tuple[Hashable, int], float] | None = None
        self.function: Any = None
        if isinstance(value, Mapping):
            self.mapping = {self._pair(k): self.check(v, f"initial_h[{k!r}]") for k, v in value.items()}
        elif callable(value):
            self.function = value
        else:
            self.table = self._table(value, space)

    def check(self, value: Any, where: str) -> float:
        hint = "An edge's initial h must be positive and finite, at least h_floor and at most MAX_H0."
        return check_real(where, value, self.floor, MAX_H0, hint=hint)

    def _pair(self, key: Any) -> tuple[Hashable, int]:
        action = key[1] if isinstance(key, tuple) and len(key) == 2 else None
        if (
            isinstance(action, (bool, np.bool_))
            or not isinstance(action, (int, np.integer))
            or action not in self.actions
        ):
            raise ConfigError(
                f"initial_h keys must be (percept_key, action) pairs with an action among {self.actions}; got {key!r}."
            )
        return key[0], int(action)

    def _table(self, value: Any, space: spaces.Space | None) -> np.ndarray:
        if not isinstance(space, spaces.Discrete):
            raise ConfigError(
                f"initial_h as a table needs a Discrete observation space (rows are observations); got {space}. "
                "Pass a mapping {(percept_key, action): h} or a callable (percept_key, action) -> h instead."
            )
        self.start = int(space.start)
        shape = (int(space.n), len(self.actions))
        try:
            table = np.array(value, dtype=float)
        except (TypeError, ValueError):
            table = None
        if table is None or table.shape != shape:
            got = type(value).__name__ if table is None else f"shape {table.shape}"
            raise ConfigError(
                f"initial_h must be None, a mapping, a callable or a table of shape {shape} "
                f"(num_percepts, num_actions); got {got}."
            )
        bad = ~(np.isfinite(table) & (table >= self.floor) & (table <= MAX_H0))
        if bad.any():
            i, j = (int(x) for x in np.argwhere(bad)[0])
            self.check(float(table[i, j]), f"initial_h[{i}, {j}]")
        return table

    def row(self, key: Hashable) -> list[float]:
        """The initial h of ``key``'s edges to the actions, in action order (checked)."""
        if self.table is not None:
            return self.table[cast(int, key) - self.start].tolist()
        if self.mapping is not None:
            return [self.mapping.get((key, a), self.h0) for a in self.actions]
        return [self.check(self.function(key, a), f"initial_h({key!r}, {a!r})") for a in self.actions]

    def to_json(self) -> dict[str, Any]:
        """The values as JSON data: ``{"table": rows}`` or ``{"entries": [{percept, action, h}]}``;
        a callable cannot be saved."""
        from .keys import encode_key

        if self.table is not None:
            return {"table": self.table.tolist()}
        if self.mapping is None:
            raise ConfigError(
                "cannot save an agent whose initial_h is a callable: a file never holds code. Pass initial_h as "
                "a table (numpy array of shape (num_percepts, num_actions)) or a mapping {(percept_key, action): h}."
            )
        return {"entries": [{"percept": encode_key(k), "action": a, "h": h} for (k, a), h in self.mapping.items()]}

    @staticmethod
    def from_json(value: Any, space: spaces.Space | None) -> np.ndarray | dict[tuple[Hashable, int], float]:
        """The table or mapping :meth:`to_json` wrote, its fields checked (the values again by the agent)."""
        from .fileformat import check_entries, check_h, check_int64, check_object, check_percept_key

        spec = check_object("initial_h", value)
        if "table" in spec:
            if not isinstance(space, spaces.Discrete):
                raise ConfigError(f"initial_h.table needs a Discrete observation_space; the file's is {space}.")
            n = int(space.n)
            rows = check_entries("initial_h.table", spec["table"], lambda w, r: check_entries(w, r, check_h), n)
            return np.array(rows, dtype=float).reshape(n, -1)

        def entry(where: str, e: Any) -> tuple[tuple[Hashable, int], float]:
            e = check_object(where, e, ("percept", "action", "h"))
            key = check_percept_key(f"{where}.percept", e["percept"], space)
            return (key, check_int64(f"{where}.action", e["action"], None)), check_h(f"{where}.h", e["h"])

        entries = check_entries("initial_h.entries", check_object("initial_h", spec, ("entries",))["entries"], entry)
        if len(dict(entries)) != len(entries):
            raise ConfigError("initial_h.entries lists a (percept, action) pair twice.")
        return dict(entries)


def _would_be_ecm(
    ecm: ECM, clip: Hashable, actions: Sequence[Hashable], added: Mapping, initial: list[float] | None = None
) -> ECM:
    """A scratch ECM (same policy) holding what a walk from the unseen percept ``clip``
    could reach once it is created: ``clip`` -> ``actions`` and ``added[clip]``; every
    other ``source`` -> its current out-edges in ``ecm`` and ``added[source]``.
    New edges get h0 (``clip``'s edges to the actions ``initial``, if given), an edge that exists
    keeps its h (as ``ECM.connect`` does). ``ecm``
    is only read, so its exact solve is the one the created clip would get."""
    h0, rows, seen, todo = ecm.h0, {}, {clip}, [clip]
    while todo:
        source = todo.pop()
        if source == clip:
            row = dict.fromkeys(actions, h0) if initial is None else dict(zip(actions, initial))
        else:
            row = ecm.out_h(source) if source in ecm else {}
        for target in added.get(source, ()):
            row.setdefault(target, h0)
        rows[source] = row
        for target in row:
            if target not in seen and target not in actions:
                seen.add(target)
                todo.append(target)
    # the values read are >= h_floor; the scratch floor only has to admit them
    floor = min([ecm.h_floor, *(h for row in rows.values() for h in row.values())])
    scratch = ECM(policy=ecm.policy, beta_softmax=ecm.beta_softmax, h0=h0, h_floor=floor)
    for action in actions:
        scratch.add_action(action)
    scratch.add_percept(clip)
    for source in rows:
        if source in ecm and ecm.kind(source) == "percept":
            scratch.add_percept(source)  # not a valid target: add_edge says so
        elif source != clip:
            scratch.add_hidden(source)
    for source, row in rows.items():
        for target, h in row.items():
            scratch.add_edge(source, target, h)
    return scratch


class PSAgent:
    """Projective-simulation agent whose memory is an :class:`~ps_graph.ECM` graph.

    Parameters
    ----------
    actions : int or gymnasium.spaces.Discrete
        The number of actions (0 .. n-1) or the env's Discrete action space.
    observation_space : gymnasium.spaces.Space, optional
        Used to turn observations into percept keys (:func:`ps_graph.percepts.percept_encoder`);
        without it, observations must be hashable (numpy arrays become tuples).
    config : PSConfig, optional
        Hyperparameters; alternatively pass them as keywords (see :class:`PSConfig`).
    rng : numpy.random.Generator, optional
        Use this Generator instead of one seeded from ``config.seed``.
    growth : growth rule, optional
        An object with ``on_percept(agent, clip)`` (and optionally
        ``after_reward(agent, reward)``) that grows hidden clips, e.g.
        :class:`ps_graph.growth.Generalization`; one rule object per agent. See
        :mod:`ps_graph.growth` for the protocol.
    initial_h : table, mapping or callable, optional
        Per-edge initial h of the percept -> action edges, as the projective_simulation
        library's Forager has (its ``initial_prob_distr``): each edge starts at its own value and
        damping pulls it back there. A numpy array of shape ``(num_percepts, num_actions)`` for
        a Discrete observation space (row ``observation - start``, column the action's index),
        a mapping ``{(percept_key, action): h}`` (``h0`` for the pairs left out) or a callable
        ``(percept_key, action) -> h``; each value finite, in ``[h_floor, MAX_H0]``. None (the
        default): ``h0`` everywhere. Hidden clips of a growth rule keep ``h0``. A table or mapping
        can be saved, a callable cannot (see :class:`InitialH`).

    >>> from gymnasium import spaces
    >>> agent = PSAgent(2, spaces.Discrete(1), initial_h=np.array([[0.75, 0.25]]), gamma_damping=0.5, seed=0)
    >>> agent.action_probabilities(0)
    {0: 0.75, 1: 0.25}
    >>> agent.act(0), agent.observe(1.0, 0, False, False), agent.h_values(0)   # 0.75 + 1 on the edge walked
    (0, None, {0: 1.75, 1: 0.25})
    >>> agent.act(0), agent.observe(0.0, 0, False, False), agent.h_values(0)   # each pulled to its own h0
    (0, None, {0: 1.25, 1: 0.25})

    The agent speaks the :class:`~ps_graph.training.Agent` protocol: ``act`` and ``observe``.
    """

    def __init__(
        self,
        actions: int | spaces.Discrete,
        observation_space: spaces.Space | None = None,
        *,
        config: PSConfig | None = None,
        rng: np.random.Generator | None = None,
        growth: Any = None,
        initial_h: Any = None,
        **hyperparameters: Any,
    ) -> None:
        self.config = config = make_config(PSConfig, config, hyperparameters, "PS", also=("growth", "initial_h"))
        if growth is not None and not callable(getattr(growth, "on_percept", None)):
            raise ConfigError(
                f"growth must be a growth rule with an on_percept(agent, clip) method (see ps_graph.growth), or None; "
                f"got {type(growth).__name__}. For generalization pass growth=ps_graph.growth.Generalization()."
            )
        self.growth = growth
        self.actions = action_list(actions)
        self.observation_space = observation_space
        self.encode = percept_encoder(observation_space)
        self.initial_h = None if initial_h is None else InitialH(initial_h, self.actions, observation_space, config)
        self.rng = rng if rng is not None else np.random.default_rng(config.seed)
        self.ecm = ECM(**config.ecm_kwargs())
        self._action_clips = [action_clip(a) for a in self.actions]
        for clip, a in zip(self._action_clips, self.actions):
            self.ecm.add_action(clip, label=str(a))
        self.emotions: dict[tuple[Hashable, Hashable], bool] = {}
        self._pending: tuple[Hashable, Hashable] | None = None  # (percept, action) awaiting its reward

    @classmethod
    def for_env(cls, env, **hyperparameters: Any) -> PSAgent:
        """An agent for ``env``'s (Discrete) action space and observation space."""
        return cls(env.action_space, env.observation_space, **hyperparameters)

    # ------------------------------------------------------------------ protocol
    def percept(self, observation: object) -> Hashable:
        """The percept clip of ``observation``, created (and wired) on first sight."""
        key = self.encode(observation)
        clip = percept_clip(key)
        if clip not in self.ecm:
            initial = None if self.initial_h is None else self.initial_h.row(key)  # checked before any change
            self.ecm.add_percept(clip, label=str(key))
            if initial is not None:
                for target, h0 in zip(self._action_clips, initial):
                    self.ecm.add_edge(clip, target, h0=h0)
            self.ecm.connect(clip, self._action_clips)
            if self.growth is not None:
                try:
                    self.growth.on_percept(self, clip)
                except BaseException:
                    # a refused percept leaves the agent as it was (rules check before they change anything)
                    self.ecm.remove_clip(clip)
                    raise
        return clip

    def act(self, observation: object, explore: bool = True) -> int:
        """Deliberate on ``observation`` and return an action.

        With ``explore=False`` return the most probable action (exact, through hidden
        layers; ties go to the first action) and change nothing.
        """
        if not explore:
            return self.greedy_action(observation)
        ecm = self.ecm
        clip = self.percept(observation)
        ecm.decay_glow()
        path = ecm.walk(clip, self.rng)
        for _ in range(self.config.num_reflections):
            if self.emotions.get((clip, path[-1]), True):
                break
            path = ecm.walk(clip, self.rng)
        ecm.excite(path)
        self._pending = (clip, path[-1])
        return cast("tuple[str, int]", path[-1])[1]  # a walk ends at an action clip ("action", a)

    def greedy_action(self, observation: object) -> int:
        """The most probable action for ``observation`` (first of ties), changing nothing.

        An unseen percept is judged as :meth:`action_probabilities` does; under a growth
        rule without ``preview`` it gets the first action.
        """
        clip = percept_clip(self.encode(observation))
        if clip not in self.ecm and self.growth is not None and not callable(getattr(self.growth, "preview", None)):
            return self.actions[0]
        probs = self.action_probabilities(observation)
        return max(self.actions, key=probs.__getitem__)

    def action_probabilities(self, observation: object) -> dict[int, float]:
        """Exact probability of each action for ``observation``, through hidden layers,
        changing nothing (the agent, its ECM and its growth rule stay as they are).

        A seen percept: :meth:`ECM.action_probabilities` of its clip. An unseen one: the
        distribution its clip would have right after :meth:`percept` created it, wired to
        every action at h0 plus the edges the growth rule's ``preview(agent, clip)`` says
        ``on_percept`` would add (new clips included), with the current h everywhere else.
        Without growth that is uniform; a growth rule without ``preview`` raises
        :class:`~ps_graph.errors.PSGraphError` (the clip would have to be created).

        >>> agent = PSAgent(3, seed=0)
        >>> agent.action_probabilities("never seen")
        {0: 0.3333333333333333, 1: 0.3333333333333333, 2: 0.3333333333333333}
        >>> len(agent.ecm)  # no percept clip was created
        3
        """
        clip = percept_clip(self.encode(observation))
        if clip in self.ecm:
            probs = self.ecm.action_probabilities(clip)
        else:
            added: Any = {}
            if self.growth is not None:
                preview = getattr(self.growth, "preview", None)
                if not callable(preview):
                    raise PSGraphError(
                        f"the growth rule {type(self.growth).__name__} has no preview(agent, clip) method, so the "
                        f"action probabilities of the unseen percept {clip[1]!r} are unknown without creating its "
                        "clip. Call agent.percept(observation) first, or give the rule a preview method "
                        "(see ps_graph.growth)."
                    )
                added = preview(self, clip)
                if not isinstance(added, Mapping):
                    raise PSGraphError(
                        f"{type(self.growth).__name__}.preview must return a dict {{source: [target, ...]}}; got "
                        f"{type(added).__name__}."
                    )
            initial = None if self.initial_h is None else self.initial_h.row(clip[1])
            probs = _would_be_ecm(self.ecm, clip, self._action_clips, added, initial).action_probabilities(clip)
        return {a: probs.get(c, 0.0) for a, c in zip(self.actions, self._action_clips)}

    def observe(self, reward: float, next_observation: object, terminated: bool, truncated: bool) -> None:
        """Learn from ``reward`` (every edge: damping plus glow times reward); glow resets
        when the episode ends. Does nothing after an ``act(..., explore=False)``."""
        if self._pending is None:
            return
        self.ecm.learn(reward)  # validates the reward before anything changes
        if self.config.num_reflections:
            self.emotions[self._pending] = float(reward) > 0
        self._pending = None
        if terminated or truncated:
            self.ecm.reset_glow()
        if self.growth is not None:
            after_reward = getattr(self.growth, "after_reward", None)
            if after_reward is not None:
                after_reward(self, reward)

    # ------------------------------------------------------------------ reading
    @property
    def graph(self):
        """The ECM as an up-to-date networkx DiGraph (see :attr:`ECM.graph`)."""
        return self.ecm.graph

    def h_values(self, observation: object) -> dict[Hashable, float]:
        """Current h-values of the edges from ``observation``'s percept clip, by target key
        (an action; under a growth rule also the key of a hidden clip)."""
        out = self.ecm.out_h(percept_clip(self.encode(observation)))
        return {cast("tuple[str, Hashable]", t)[1]: h for t, h in out.items()}  # every clip is (kind, key)

    def __repr__(self) -> str:
        growth = "" if self.growth is None else f", growth={self.growth!r}"
        return f"PSAgent({self.config}, {self.ecm}{growth})"
