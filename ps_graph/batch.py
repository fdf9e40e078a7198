"""K agents in lockstep on K copies of a tabular MDP: BatchedTwoLayerPS and the batched loop.

A batched agent speaks the agent protocol on arrays: ``act(states, active) -> actions``
and ``observe(rewards, next_states, terminated, truncated, active)``, one entry per agent;
``active`` masks agents that have finished their budget. :func:`train_batch` runs any such
agent (BatchedTwoLayerPS here, ``qbaselines.BatchedQLearning``) on a
:class:`~ps_graph.tabular.VectorMDP`, so the course's 30 runs x 500 episodes are one call.

Each agent has its own random stream (:class:`~ps_graph.streams.AgentStreams`); agent k
with seed s draws the same uniforms, in the same order, as ``TwoLayerPS(seed=s)``, so it
behaves like that agent (statistically: the environment copies use one shared stream).

The per-agent work is compiled (:mod:`ps_graph.kernels`, numba, imported on first use):
``act`` and ``observe`` are one compiled call each for the K agents, and on a tabular MDP
:meth:`BatchedTwoLayerPS.run_tabular` runs the whole budget in compiled loops (what
:func:`train_batch` calls for a TabularMDP or VectorMDP).

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

from collections.abc import Callable
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

_NEVER = 2**62  # a budget or time limit that is never reached
_ENV_BLOCK = 1 << 16  # environment uniforms drawn at once by run_tabular
_CHUNK = 1 << 20  # agent-steps between progress reports


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
        self._tables: Any = None  # the kernels' view of the tables above (built on first use)
        self._params: Any = None

    def _kernel_args(self) -> tuple[Any, Any, Any]:
        """The kernels module (imported now: numba loads on first use), the tables and the parameters."""
        from . import kernels

        if self._tables is None:
            cfg, store = self.config, self._store
            h0 = np.full((self.num_states, self.num_actions), cfg.h0) if self._h0 is None else self._h0
            h0 = np.ascontiguousarray(h0, np.float64)
            tables = (
                self._h,
                h0,
                self._stamp,
                self._glow,
                self._glow_time,
                self._emotion,
                store.clock,
                store.glow_clock,
            )
            self._tables, self._params = kernels.PSTables(*tables), kernels.PSParams.from_config(cfg)
        return kernels, self._tables, self._params

    def _rows(self, states: np.ndarray) -> np.ndarray:
        """Current h-rows (K, A) of each agent's state (computed; storage stays lazy)."""
        k, h0 = self._agents, None if self._h0 is None else self._h0[states]
        return self._store.damped(self._h[k, states], self._stamp[k, states][:, None], self._store.clock[:, None], h0)

    def _vector(self, name: str, values, dtype, high: int | None = None) -> np.ndarray:
        """One value per agent as a contiguous (K,) array of ``dtype`` (a scalar is broadcast),
        indices checked against ``[0, high)``: the kernels trust their input."""
        arr, k = np.asarray(values), self.num_agents
        bad = arr.ndim > 1 or (arr.ndim == 1 and len(arr) != k)
        if high is not None:
            bad = bad or arr.dtype.kind not in "iu" or bool(arr.size and (arr.min() < 0 or arr.max() >= high))
        if bad:
            got = f"shape {arr.shape}, dtype {arr.dtype}" + (f", range [{arr.min()}, {arr.max()}]" if arr.size else "")
            within = f" integers in [0, {high})" if high is not None else ""
            raise ConfigError(f"{name} must be one value per agent, shape ({k},){within}; got {got}.")
        return np.ascontiguousarray(np.broadcast_to(arr, (k,)), dtype)

    def act(self, states, active: np.ndarray | None = None, explore: bool = True) -> np.ndarray:
        """One action per agent (an index in 0..A-1); only ``active`` agents glow and draw.

        One compiled call (:func:`ps_graph.kernels.ps_act`) for the K agents; agent k reads
        its uniforms from its own stream, ``1 + num_reflections`` at most.
        """
        states = self._vector("states", states, np.int64, self.num_states)
        if not explore:  # most probable action, first of ties; changes nothing
            return np.argmax(self._rows(states), axis=1)
        kernels, tables, params = self._kernel_args()
        active = self._vector("active", self.active_mask(active), bool)
        self.streams.reserve(1 + params.reflections, active)
        u, pos = self.streams.uniforms
        actions = np.empty(self.num_agents, np.int64)
        kernels.ps_act(tables, params, states, active, u, pos, self._pending_states, self._pending_actions, actions)
        return actions

    def observe(self, rewards, next_states, terminated, truncated, active: np.ndarray | None = None) -> None:
        """Every active agent learns from its reward; glow resets where an episode ended
        (one compiled call, :func:`ps_graph.kernels.ps_observe`)."""
        r = self._vector("rewards", check_rewards(rewards), np.float64)
        ended = self._vector("terminated | truncated", np.asarray(terminated, bool) | np.asarray(truncated, bool), bool)
        active = self._vector("active", self.active_mask(active), bool)
        kernels, tables, params = self._kernel_args()
        kernels.ps_observe(tables, params, r, ended, active, self._pending_states, self._pending_actions)

    def run_tabular(
        self,
        vec,
        log,
        *,
        episodes: int | None = None,
        total_steps: int | None = None,
        max_steps: int | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> None:
        """Train on the K copies of a tabular MDP in compiled loops (:func:`ps_graph.kernels.ps_run_tabular`).

        The semantics of :func:`~ps_graph.batch_train.train_batch`'s loop: a budget per agent,
        ``episodes`` or ``total_steps`` (exactly one; a step budget that ends mid-episode
        truncates that episode), episodes cut at ``max_steps`` and at the MDP's time limit
        (``truncated``), glow reset at episode ends, agents that finished stop. Each finished
        episode is recorded in ``log`` (an :class:`~ps_graph.batch_train.EpisodeLog` for the K
        agents). ``vec`` is a :class:`~ps_graph.tabular.VectorMDP` with K copies: it gives the
        MDP, and its ``rng`` draws the environment's uniforms (in blocks, so in another order
        than ``train_batch``'s Python loop: on a stochastic MDP the results agree
        statistically, on a deterministic one exactly); every copy starts a new episode.
        ``progress(n)``, if given, is called between chunks of work with the episodes (episode
        budget) or steps (step budget) newly done.

        >>> from ps_graph.batch_train import EpisodeLog
        >>> from ps_graph.tabular import VectorMDP, from_id
        >>> mdp = from_id("FrozenLake-v1", is_slippery=False)
        >>> agents, log = BatchedTwoLayerPS.for_mdp(mdp, 30, eta_glow_damping=0.04, seed=0), EpisodeLog(30)
        >>> agents.run_tabular(VectorMDP(mdp, 30, seed=0), log, episodes=500, max_steps=99)
        >>> int(log.counts.min()), bool(log.returns[:, 400:500].mean() > 0.9)
        (500, True)
        """
        from .tabular import VectorMDP
        from .training import check_budget

        episodes, total_steps, max_steps = check_budget(episodes, total_steps, max_steps)
        sizes = (self.num_agents, self.num_states, self.num_actions)
        if not isinstance(vec, VectorMDP) or (vec.num_envs, vec.mdp.num_states, vec.mdp.num_actions) != sizes:
            got = (
                f"{vec.num_envs} copies of {vec.mdp.name} ({vec.mdp.num_states} states, {vec.mdp.num_actions} actions)"
                if isinstance(vec, VectorMDP)
                else type(vec).__name__
            )
            raise ConfigError(
                f"run_tabular needs a VectorMDP of {self.num_agents} copies of an MDP with {self.num_states} states "
                f"and {self.num_actions} actions; got {got}. Build it with VectorMDP(mdp, num_agents, seed=...)."
            )
        if log.counts.shape != (self.num_agents,):
            raise ConfigError(f"log must be an EpisodeLog({self.num_agents}); got one for {len(log.counts)} agents.")
        limits = [n for n in (vec.mdp.max_episode_steps, max_steps) if n is not None]
        _run_tabular(self, vec, log, episodes, total_steps, min(limits, default=_NEVER), progress)

    def h_values(self) -> np.ndarray:
        """Current h-values of every agent, shape (K, S, A) (a copy)."""
        return np.array(self._store.damped(self._h, self._stamp[..., None], self._store.clock[:, None, None], self._h0))

    def policy(self) -> np.ndarray:
        """Each agent's action probabilities, shape (K, S, A), reflection included: an exactly
        evaluable policy (:func:`ps_graph.tabular.evaluate_policy`).

        With hopping probabilities p and R reflections, a walk re-samples while its action is
        tagged negative, at most R times. With q the total probability of a state's negatively
        tagged actions, a positively tagged action a ends the deliberation after i negative
        samples with probability ``q**i p_a`` (i = 0..R), a negatively tagged one only as the
        last of R + 1 samples: ``P(a) = p_a sum_{i=0..R} q**i`` (positive), ``p_a q**R``
        (negative). Without reflections (R = 0) P = p.

        >>> agents = BatchedTwoLayerPS(1, 3, 1, num_reflections=1, seed=0)
        >>> [a] = agents.act([0])
        >>> agents.observe([0.0], [0], [False], [False])    # no reward: the pair (0, a) is tagged negative
        >>> p = agents.policy()[0, 0]                        # p = 1/3 each, q = 1/3
        >>> round(float(p[a]), 4), sorted(p.round(4).tolist())   # q / 3 for a, (1 + q) / 3 for the others
        (0.1111, [0.1111, 0.4444, 0.4444])
        """
        p = rules.hopping_probabilities(self.h_values(), self.config.policy, self.config.beta_softmax)
        reflections = self.config.num_reflections
        if not reflections:
            return p
        negative = ~self._emotion
        q = np.where(negative, p, 0.0).sum(axis=2, keepdims=True)
        geometric = np.ones_like(q)  # sum_{i=0..R} q**i, by Horner's rule
        for _ in range(reflections):
            geometric = 1.0 + q * geometric
        return np.where(negative, p * q**reflections, p * geometric)

    def __repr__(self) -> str:
        sizes = f"agents={self.num_agents}, states={self.num_states}, actions={self.num_actions}"
        return f"BatchedTwoLayerPS({sizes}, {self.config})"


def _run_tabular(agent: BatchedTwoLayerPS, vec, log, episodes, total_steps, limit: int, progress) -> None:
    """The Python side of :meth:`BatchedTwoLayerPS.run_tabular`: refill what the kernel ran
    short of (uniforms, log rows), call it again, report progress."""
    kernels, tables, params = agent._kernel_args()
    k, streams, need = agent.num_agents, agent.streams, 1 + params.reflections
    env = kernels.tabular_env(vec)
    if episodes is not None:
        log.ensure(episodes)
    goal = log.counts + (episodes if episodes is not None else _NEVER)
    budget = total_steps if total_steps is not None else _NEVER
    state, fresh = np.zeros(k, np.int64), np.ones(k, bool)
    ret, length, used = np.zeros(k), np.zeros(k, np.int64), np.zeros(k, np.int64)
    eu, epos = vec.rng.random(_ENV_BLOCK), 0
    while True:
        active = (log.counts < goal) & (used < budget)
        if not active.any():
            break
        streams.reserve(need, active)
        if (log.counts[active] >= log.capacity).any():
            log.ensure(1)  # capacity doubles
        if len(eu) - epos < 2:
            eu, epos = np.concatenate([eu[epos:], vec.rng.random(_ENV_BLOCK)]), 0
        run = kernels.Episodes(
            state, fresh, ret, length, used, goal, log.counts, log.returns, log.lengths, log.terminated
        )
        u, pos = streams.uniforms
        steps, done, epos = kernels.ps_run_tabular(
            tables, params, env, run, u, pos, eu, epos, budget, limit, _NEVER if progress is None else _CHUNK
        )
        if progress is not None and (done if episodes is not None else steps):
            progress(done if episodes is not None else steps)
