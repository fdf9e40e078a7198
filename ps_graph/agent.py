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
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from gymnasium import spaces

from . import deliberation, rules
from .checks import check_choice, check_int, check_real, check_seed, make_config
from .ecm import ECM, MAX_HOPS
from .errors import ConfigError, PSGraphError
from .initial import MAX_H0, InitialH
from .labels import Labels, labels_for_env
from .percepts import action_list, percept_encoder

__all__ = [
    "MAX_H0",
    "MAX_HOPS",
    "InitialH",
    "MAX_REFLECTIONS",
    "PERCEPT_MODES",
    "PSAgent",
    "PSConfig",
    "action_clip",
    "percept_clip",
]

#: Upper bound of PSConfig's num_reflections, checked on creation (see the field's entry in PSConfig).
MAX_REFLECTIONS = 1000
#: How observations enter the ECM (``PSConfig.percepts``): one clip each, or one per (feature, value).
PERCEPT_MODES = ("whole", "factorized")


def percept_clip(key: Hashable) -> tuple[str, Hashable]:
    """Node key of the percept clip for percept key ``key``."""
    return ("percept", key)


def action_clip(action: int) -> tuple[str, int]:
    """Node key of the action clip for ``action``."""
    return ("action", action)


def priming_clips(priming: Mapping[int, float], actions: list[int]) -> dict[Hashable, float]:
    """``priming`` ({action: term}) keyed by action clip, each action checked against
    ``actions``; :meth:`ECM.set_priming <ps_graph.ECM.set_priming>` checks the terms.

    >>> priming_clips({1: 0.5}, [0, 1])
    {('action', 1): 0.5}
    """
    if not isinstance(priming, Mapping):
        raise ConfigError(f"priming must be a dict {{action: term}}; got {type(priming).__name__}.")
    clips: dict[Hashable, float] = {}
    for action, value in priming.items():
        if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
            raise ConfigError(f"priming keys are actions among {actions}; got {action!r}.")
        if int(action) not in actions:
            raise ConfigError(f"priming names action {int(action)}, not among the actions {actions}.")
        hint = f"A priming term is a finite number of size at most {rules.MAX_PRIMING:g}."
        clips[action_clip(int(action))] = check_real(
            f"priming[{int(action)}]", value, -rules.MAX_PRIMING, rules.MAX_PRIMING, hint=hint
        )
    return clips


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
    votes : int in [1, 101], default 1
        Majority voting: each decision takes this many walks, keeps the action most of them
        reached (the first in action order among ties) and walks until a walk reaches it, so
        the glowing path matches the action (see :mod:`ps_graph.deliberation`). 1: one walk.
    percepts : "whole" | "factorized", default "whole"
        One percept clip per observation, or one per (feature, value) of a Tuple /
        MultiDiscrete observation, all excited at once and deciding together
        (multi-excitation; with :class:`~ps_graph.growth.Conjunctions` through k-feature
        conjunction clips).
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
    votes: int = 1
    percepts: str = "whole"

    def __post_init__(self) -> None:
        # The bounds first; then a throwaway ECM validates the ECM-level parameters with one set of checks.
        fix = object.__setattr__
        hint = "0 disables reflection; a few are typical."
        fix(self, "num_reflections", check_int("num_reflections", self.num_reflections, 0, MAX_REFLECTIONS, hint=hint))
        fix(self, "max_hops", check_int("max_hops", self.max_hops, 1, MAX_HOPS, hint="The default is 10000."))
        fix(self, "votes", check_int("votes", self.votes, 1, rules.MAX_VOTES, hint="1 takes one walk per decision."))
        fix(self, "percepts", check_choice("percepts", self.percepts, PERCEPT_MODES))
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
    priming : dict {action: term}, optional
        Priming terms added inside the softmax (``policy="softmax"``); see :meth:`set_priming`.

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
        priming: Mapping[int, float] | None = None,
        **hyperparameters: Any,
    ) -> None:
        also = ("growth", "initial_h", "priming")
        self.config = config = make_config(PSConfig, config, hyperparameters, "PS", also=also)
        if growth is not None and not callable(getattr(growth, "on_percept", None)):
            raise ConfigError(
                f"growth must be a growth rule with an on_percept(agent, clip) method (see ps_graph.growth), or None; "
                f"got {type(growth).__name__}. For generalization pass growth=ps_graph.growth.Generalization()."
            )
        self._factorized = config.percepts == "factorized"
        if self._factorized:
            _check_factorized(growth, initial_h)
        self.growth = growth
        self.actions = action_list(actions)
        self.observation_space = observation_space
        self.encode = percept_encoder(observation_space)
        self.initial_h = None if initial_h is None else InitialH(initial_h, self.actions, observation_space, config)
        self.rng = rng if rng is not None else np.random.default_rng(config.seed)
        self.ecm = ECM(**config.ecm_kwargs())
        self.action_clips: list[Hashable] = [action_clip(a) for a in self.actions]
        #: action clip -> its position in ``actions`` (majority votes break ties by it)
        self.action_position: dict[Hashable, int] = {clip: i for i, clip in enumerate(self.action_clips)}
        for clip, a in zip(self.action_clips, self.actions):
            self.ecm.add_action(clip, label=str(a))
        if priming is not None:
            self.set_priming(priming)
        self.emotions: dict[tuple[Hashable, Hashable], bool] = {}
        #: the clips of the last decision's path (``[decider, action]`` under multi-excitation)
        self.last_path: list[Hashable] | None = None
        self._pending: tuple[Hashable, Hashable] | None = None  # (source, action) awaiting its reward
        #: action names and percept labels (:class:`ps_graph.labels.Labels`); None: plain keys
        self.labels: Labels | None = None

    @classmethod
    def for_env(cls, env, **hyperparameters: Any) -> PSAgent:
        """An agent for ``env``'s (Discrete) action space and observation space, with the
        env's built-in ``labels`` (:func:`ps_graph.labels.labels_for_env`; None if it has none)."""
        agent = cls(env.action_space, env.observation_space, **hyperparameters)
        agent.labels = labels_for_env(env, factorized=agent.config.percepts == "factorized")
        return agent

    # ------------------------------------------------------------------ priming
    @property
    def priming(self) -> dict[int, float]:
        """The priming term of each primed action (a copy; see :meth:`set_priming`)."""
        return {cast("tuple[str, int]", c)[1]: v for c, v in self.ecm.priming.items()}

    def set_priming(self, priming: Mapping[int, float]) -> None:
        """Prime actions (the projective_simulation library's ``Priming_ECM``): under the
        softmax policy an edge into action ``a`` hops with weight ``exp(beta (h + priming[a]))``.
        Replaces the previous priming; ``{}`` removes it.

        >>> agent = PSAgent(2, policy="softmax", priming={1: 0.6931471805599453}, seed=0)  # log 2
        >>> agent.action_probabilities("s")
        {0: 0.3333333333333333, 1: 0.6666666666666666}
        """
        self.ecm.set_priming(priming_clips(priming, self.actions))

    # ------------------------------------------------------------------ protocol
    def percept(self, observation: object) -> Hashable:
        """The percept clip of ``observation``, created (and wired) on first sight.

        With ``percepts="factorized"`` an observation excites several clips: use :meth:`percepts`.
        """
        if self._factorized:
            raise ConfigError(
                "this agent factorizes percepts (percepts='factorized'), so an observation excites one clip per "
                "(feature, value): call agent.percepts(observation) for the list."
            )
        return self._clip(self.encode(observation), wire=True)

    def percepts(self, observation: object) -> list[Hashable]:
        """The percept clips ``observation`` excites, each created on first sight: its one clip,
        or with ``percepts="factorized"`` one clip ``("percept", (i, value))`` per feature."""
        if not self._factorized:
            return [self.percept(observation)]
        keys = deliberation.feature_keys(self.encode(observation))
        return [self._clip(key, wire=self.growth is None, label=f"x{key[0]}={key[1]}") for key in keys]

    def _clip(self, key: Any, wire: bool, label: str | None = None) -> Hashable:
        clip = percept_clip(key)
        if clip not in self.ecm:
            initial = None if self.initial_h is None else self.initial_h.row(key)  # checked before any change
            self.ecm.add_percept(clip, label=str(key) if label is None else label)
            if initial is not None:
                for target, h0 in zip(self.action_clips, initial):
                    self.ecm.add_edge(clip, target, h0=h0)
            if wire:
                self.ecm.connect(clip, self.action_clips)
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

        A random walk from the percept clip (or a multi-excitation decision, majority
        voting and reflection as configured; see :mod:`ps_graph.deliberation`); its edges glow.
        With ``explore=False`` return the most probable action (exact, through hidden
        layers; ties go to the first action) and change nothing.
        """
        if not explore:
            return self.greedy_action(observation)
        clips = self.percepts(observation)
        self.ecm.decay_glow()
        path = deliberation.decide(self, clips)
        self.ecm.excite(path)
        self.last_path = path
        self._pending = (path[0], path[-1])
        return cast("tuple[str, int]", path[-1])[1]  # a decision ends at an action clip ("action", a)

    def greedy_action(self, observation: object) -> int:
        """The most probable action for ``observation`` (first of ties), changing nothing.

        An unseen percept is judged as :meth:`action_probabilities` does; under a growth
        rule without ``preview`` it gets the first action.
        """
        if not self._factorized:
            clip = percept_clip(self.encode(observation))
            if clip not in self.ecm and self.growth is not None and not callable(getattr(self.growth, "preview", None)):
                return self.actions[0]
        probs = self.action_probabilities(observation)
        return max(self.actions, key=probs.__getitem__)

    def action_probabilities(self, observation: object) -> dict[int, float]:
        """Exact probability of each action for ``observation`` from one walk (one decision
        under multi-excitation), through hidden layers, changing nothing (the agent, its ECM
        and its growth rule stay as they are). Majority voting turns these into
        :meth:`decision_probabilities`.

        A seen percept: :meth:`ECM.action_probabilities` of its clip. An unseen one: the
        distribution its clip would have right after :meth:`percept` created it, wired to
        every action at h0 plus the edges the growth rule's ``preview(agent, clip)`` says
        ``on_percept`` would add (new clips included), with the current h everywhere else.
        Without growth that is uniform; a growth rule without ``preview`` raises
        :class:`~ps_graph.errors.PSGraphError` (the clip would have to be created). Under
        multi-excitation, deciders not created yet count with h0 on every edge.

        >>> agent = PSAgent(3, seed=0)
        >>> agent.action_probabilities("never seen")
        {0: 0.3333333333333333, 1: 0.3333333333333333, 2: 0.3333333333333333}
        >>> len(agent.ecm)  # no percept clip was created
        3
        """
        if self._factorized:
            clips = [percept_clip(k) for k in deliberation.feature_keys(self.encode(observation))]
            probs = deliberation.multi_excitation_probabilities(self, clips, create=False)
        else:
            probs = self._walk_probabilities(percept_clip(self.encode(observation)))
        return {a: probs.get(c, 0.0) for a, c in zip(self.actions, self.action_clips)}

    def _walk_probabilities(self, clip: Any) -> dict[Hashable, float]:
        if clip in self.ecm:
            return self.ecm.action_probabilities(clip)
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
        scratch = deliberation.would_be_ecm(self.ecm, clip, self.action_clips, added, initial)
        return scratch.action_probabilities(clip)

    def decision_probabilities(self, observation: object) -> dict[int, float]:
        """Exact probability of each action :meth:`act` takes for ``observation`` (before
        reflection): :meth:`action_probabilities`, turned by majority voting into the chance
        that each action wins the vote (:func:`ps_graph.rules.majority_probabilities`).

        >>> agent = PSAgent(2, initial_h={("s", 1): 3.0}, votes=3, seed=0)
        >>> agent.action_probabilities("s")
        {0: 0.25, 1: 0.75}
        >>> {a: round(p, 12) for a, p in agent.decision_probabilities("s").items()}  # 0.75**3 + 3 * 0.75**2 / 4
        {0: 0.15625, 1: 0.84375}
        """
        probs = self.action_probabilities(observation)
        if self.config.votes == 1:
            return probs
        won = rules.majority_probabilities([probs[a] for a in self.actions], self.config.votes)
        return dict(zip(self.actions, won))

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
        (an action; under a growth rule also the key of a hidden clip). Under
        multi-excitation: the h of every decider -> action edge, by ``(decider, action)``."""
        if self._factorized:
            clips = [percept_clip(k) for k in deliberation.feature_keys(self.encode(observation))]
            sources, targets, h = deliberation.decision_edges(self, deliberation.deciders(self, clips, create=False))
            return {(s, cast("tuple[str, int]", t)[1]): v for s, t, v in zip(sources, targets, h)}
        out = self.ecm.out_h(percept_clip(self.encode(observation)))
        return {cast("tuple[str, Hashable]", t)[1]: h for t, h in out.items()}  # every clip is (kind, key)

    def __repr__(self) -> str:
        growth = "" if self.growth is None else f", growth={self.growth!r}"
        return f"PSAgent({self.config}, {self.ecm}{growth})"


def _check_factorized(growth: Any, initial_h: Any) -> None:
    """Factorized percepts decide through the excited clips or a rule's ``on_excitation``."""
    if growth is not None and not callable(getattr(growth, "on_excitation", None)):
        raise ConfigError(
            f"percepts='factorized' decides among the excited clips (multi-excitation); the growth rule "
            f"{type(growth).__name__} has no on_excitation(agent, clips) method. Use growth=None or "
            "ps_graph.growth.Conjunctions(k), or percepts='whole'."
        )
    if initial_h is not None:
        raise ConfigError(
            "initial_h sets the edges of whole percepts; with percepts='factorized' every edge starts at h0. "
            "Pass initial_h=None, or percepts='whole'."
        )
