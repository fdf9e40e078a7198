"""K agents in lockstep on K copies of a tabular MDP: BatchedTwoLayerPS and the batched loop.

A batched agent speaks the agent protocol on arrays: ``act(states, active) -> actions``
and ``observe(rewards, next_states, terminated, truncated, active)``, one entry per agent;
``active`` masks agents that have finished their budget. :func:`train_batch` runs any such
agent (BatchedTwoLayerPS here, ``qbaselines.BatchedQLearning``) on a
:class:`~ps_graph.tabular.VectorMDP`, so the course's 30 runs x 500 episodes are one call.

Each agent has its own random stream (:class:`~ps_graph.streams.AgentStreams`); agent k
with seed s draws the same uniforms, in the same order, as ``TwoLayerPS(seed=s)``, so it
behaves like that agent (statistically: the environment copies use one shared stream).

Example
-------
>>> from ps_graph.tabular import from_id
>>> mdp = from_id("FrozenLake-v1", is_slippery=False)
>>> agents = BatchedTwoLayerPS.for_mdp(mdp, num_agents=30, eta_glow_damping=0.04, seed=0)
>>> result = train_batch(agents, mdp, episodes=500, seed=0, max_steps=99)
>>> result.returns.shape, bool(result.returns[:, -100:].mean() > 0.9)
((30, 500), True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import rules
from .agent import InitialH, PSConfig
from .batch_train import BatchResult, train_batch
from .checks import check_rewards, make_config
from .errors import ConfigError
from .lockstep import LockstepAgents
from .store import LazyStore

__all__ = ["BatchResult", "BatchedTwoLayerPS", "check_rewards", "train_batch"]


class BatchedTwoLayerPS(LockstepAgents):
    """K independent 2-layer PS agents over the same S states and A actions, vectorized.

    Semantics are TwoLayerPS's (and so the graph core's): glow decays every step and the
    chosen edge glows; ``h <- h - gamma (h - h0) + g R`` every step, applied lazily (a row
    is brought up to date when read, an agent's table when it is rewarded); glow resets
    when an agent's episode ends; reflections re-sample while the emotion is negative.
    Majority voting (``votes`` > 1), action priming and factorized percepts are not batched
    yet: they raise :class:`~ps_graph.errors.ConfigError` (TwoLayerPS has the first two,
    PSAgent all three).

    Parameters
    ----------
    num_states, num_actions, num_agents : int
    config : PSConfig, or the hyperparameters as keywords
    seed : int, sequence of K ints, or None
        A sequence gives agent k the seed ``seed[k]`` (the stream of ``TwoLayerPS(seed=seed[k])``);
        one int is a root seed from which K independent seeds are derived.
    initial_h : array of shape (S, A), optional
        Per-edge initial h, shared by the K agents (as TwoLayerPS's table for ``Discrete(S)``):
        every edge starts at its value and damping pulls it back there. None: h0 everywhere.

    >>> agents = BatchedTwoLayerPS(2, 2, 3, initial_h=[[0.75, 0.25], [1.0, 1.0]], gamma_damping=0.5, seed=0)
    >>> agents.policy()[0].tolist()
    [[0.75, 0.25], [0.5, 0.5]]
    """

    config: PSConfig

    def __init__(self, num_states: int, num_actions: int, num_agents: int, *, initial_h: Any = None, **kwargs: Any):
        self._initial_h = initial_h  # checked in _allocate, once the sizes are known
        super().__init__(num_states, num_actions, num_agents, **kwargs)

    def _configure(self, config: PSConfig | None, hyperparameters: dict[str, Any]) -> PSConfig:
        if "growth" in hyperparameters:
            raise ConfigError(
                "BatchedTwoLayerPS is the 2-layer fast path and cannot grow hidden clips; use PSAgent(..., growth=...)."
            )
        if "priming" in hyperparameters:
            raise ConfigError(
                "BatchedTwoLayerPS does not support action priming yet; use TwoLayerPS(..., priming=...) or "
                "PSAgent(..., priming=...), one agent per run."
            )
        cfg = make_config(PSConfig, config, hyperparameters, "PS")
        if cfg.votes != 1:
            raise ConfigError(
                f"BatchedTwoLayerPS does not support majority voting yet (votes={cfg.votes}); use votes=1, or "
                "TwoLayerPS / PSAgent with votes, one agent per run."
            )
        if cfg.percepts != "whole":
            raise ConfigError(
                f"BatchedTwoLayerPS has one percept per state (percepts='whole'); got percepts={cfg.percepts!r}. "
                "Factorized percepts (multi-excitation) need PSAgent(..., percepts='factorized')."
            )
        return cfg

    def _allocate(self) -> None:
        cfg, k, s, a = self.config, self.num_agents, self.num_states, self.num_actions
        # the lazy store with one clock per agent: tables are brought forward by its closed forms
        # (its glowing set stays empty: glow is the dense table below, so no key type)
        store: LazyStore[Any] = LazyStore(cfg.gamma_damping, cfg.eta_glow_damping, cfg.h0, cfg.h_floor)
        self._store = store
        store.clock = np.zeros(k, np.int64)
        store.glow_clock = np.zeros(k, np.int64)
        # per-edge initial values (S, A), or None: cfg.h0 everywhere
        self._h0: np.ndarray | None = None
        if self._initial_h is not None:
            from gymnasium import spaces

            self._h0 = InitialH(self._initial_h, range(a), spaces.Discrete(s), cfg).table
        self._h = (
            np.full((k, s, a), cfg.h0) if self._h0 is None else np.tile(self._h0, (k, 1, 1))
        )  # current as of _stamp
        self._stamp = np.zeros((k, s), np.int64)
        self._glow = np.zeros((k, s, a))  # current as of _glow_time (dense: every edge of every agent)
        self._glow_time = np.zeros((k, s, a), np.int64)
        self._emotion = np.ones((k, s, a), bool)

    def _rows(self, states: np.ndarray) -> np.ndarray:
        """Current h-rows (K, A) of each agent's state (computed; storage stays lazy)."""
        k, h0 = self._agents, None if self._h0 is None else self._h0[states]
        return self._store.damped(self._h[k, states], self._stamp[k, states][:, None], self._store.clock[:, None], h0)

    def act(self, states, active: np.ndarray | None = None, explore: bool = True) -> np.ndarray:
        """One action per agent (an index in 0..A-1); only ``active`` agents glow and draw."""
        cfg, k = self.config, self._agents
        states = np.asarray(states, dtype=np.int64)
        every = active is None  # the common case: every agent acts, no masking needed
        active = self.active_mask(active)
        sel = slice(None) if every else active
        h = self._rows(states)
        if not explore:  # most probable action, first of ties; changes nothing
            return np.argmax(h, axis=1)
        weights = rules.hopping_weights(h, cfg.policy, cfg.beta_softmax)
        j = rules.sample_index(weights, self.streams.uniform(None if every else active))
        for _ in range(cfg.num_reflections):
            negative = active & ~self._emotion[k, states, j]
            if not negative.any():
                break
            j = np.where(negative, rules.sample_index(weights, self.streams.uniform(negative)), j)
        glow_clock = self._store.glow_clock
        glow_clock += 1 if every else active
        ka, sa, ja = k[sel], states[sel], j[sel]
        if cfg.glow == "accumulate":
            current = self._store.decayed(self._glow[ka, sa, ja], self._glow_time[ka, sa, ja], glow_clock[ka])
        else:
            current = np.zeros(len(ja))
        self._glow[ka, sa, ja] = rules.glow_after_traversal(current, cfg.glow)
        self._glow_time[ka, sa, ja] = glow_clock[ka]
        self._pending_states[sel] = sa
        self._pending_actions[sel] = ja
        return j

    def observe(self, rewards, next_states, terminated, truncated, active: np.ndarray | None = None) -> None:
        """Every active agent learns from its reward; glow resets where an episode ended."""
        cfg = self.config
        r = check_rewards(rewards)
        every = active is None
        active = self.active_mask(active)
        store = self._store
        clock = store.clock
        clock += 1 if every else active
        rewarded = np.flatnonzero(active & (r != 0.0)) if r.any() else ()
        if len(rewarded):  # bring those agents' tables up to date, then add g R
            h = store.damped(self._h[rewarded], self._stamp[rewarded][..., None], clock[rewarded, None, None], self._h0)
            g = store.decayed(self._glow[rewarded], self._glow_time[rewarded], store.glow_clock[rewarded, None, None])
            self._h[rewarded] = rules.floor_h(rules.reward_step(h, g, r[rewarded, None, None]), cfg.h_floor)
            self._stamp[rewarded] = clock[rewarded, None]
        if cfg.num_reflections:
            ka = self._agents[active]
            self._emotion[ka, self._pending_states[active], self._pending_actions[active]] = r[active] > 0
        ended = active & (np.asarray(terminated, bool) | np.asarray(truncated, bool))
        if ended.any():
            self._glow[ended] = 0.0

    def h_values(self) -> np.ndarray:
        """Current h-values of every agent, shape (K, S, A) (a copy)."""
        return np.array(self._store.damped(self._h, self._stamp[..., None], self._store.clock[:, None, None], self._h0))

    def policy(self) -> np.ndarray:
        """Each agent's hopping probabilities, shape (K, S, A): an exactly evaluable policy
        (:func:`ps_graph.tabular.evaluate_policy`)."""
        return rules.hopping_probabilities(self.h_values(), self.config.policy, self.config.beta_softmax)

    def __repr__(self) -> str:
        sizes = f"agents={self.num_agents}, states={self.num_states}, actions={self.num_actions}"
        return f"BatchedTwoLayerPS({sizes}, {self.config})"
