"""Compiled (numba) kernels of the batched path: tabular MDP steps and the batched 2-layer PS.

This is one of the two modules of the package that import numba (with
``qbaselines.kernels``); the batched agents import it lazily, inside their methods, so
``import ps_graph`` stays light. Every kernel is ``@njit(cache=True)``: compiled once,
then loaded from the on-disk cache. The per-step helpers (:func:`tabular_step`,
:func:`act_one`, :func:`observe_one`, ...) are ``@inlined``: call them from your own
kernels, in a loop, at no call cost; they allocate nothing.

Tabular MDP helpers (shared with ``qbaselines.kernels``)
--------------------------------------------------------
A :class:`~ps_graph.tabular.VectorMDP` steps copies with the inverse-CDF rule of
``ps_graph.tabular.vector._uniform_cdf``: the outcome of a uniform u is ``#{k : cdf_k <= u}``.
:func:`tabular_step` and :func:`tabular_reset` apply that rule to one copy inside a kernel,
so a compiled loop steps the environment exactly as ``VectorMDP.step`` / ``reset`` would
for the same uniform.

>>> from ps_graph.tabular import VectorMDP, from_id
>>> vec = VectorMDP(from_id("FrozenLake-v1", is_slippery=False), 1, seed=0)
>>> cdf, initial_cdf = tabular_arrays(vec)
>>> start = tabular_reset(initial_cdf, 0.5)
>>> tabular_step(cdf, vec.mdp.next_states, vec.mdp.rewards, vec.mdp.terminated, start, 2, 0.5)
(1, 0.0, False)
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numba
import numpy as np

#: The decorator of the small helpers the kernels call once or more per agent-step: LLVM inlines
#: them (``forceinline``), and they are compiled without reference counting (numba's ``_nrt``
#: option, for functions that allocate nothing). Otherwise each array argument of a call costs
#: two atomic operations that survive inlining: the PS step was ten times slower (300 ns).
_NO_REFCOUNTS: dict[str, Any] = {"_nrt": False}
inlined = numba.njit(cache=True, forceinline=True, **_NO_REFCOUNTS)

__all__ = [
    "Episodes",
    "PSParams",
    "PSTables",
    "TabularEnv",
    "act_one",
    "inlined",
    "observe_one",
    "ps_act",
    "ps_observe",
    "ps_run_tabular",
    "tabular_arrays",
    "tabular_env",
    "tabular_reset",
    "tabular_step",
]


def tabular_arrays(vec) -> tuple[np.ndarray, np.ndarray]:
    """The (S, A, K) outcome CDF and the (S,) initial-state CDF of a VectorMDP, as
    contiguous float64 arrays for :func:`tabular_step` and :func:`tabular_reset`."""
    from .tabular.vector import _uniform_cdf

    return (
        np.ascontiguousarray(_uniform_cdf(vec.mdp.probs)),
        np.ascontiguousarray(_uniform_cdf(vec.mdp.initial)),
    )


@inlined
def outcome_index(cdf_row: np.ndarray, u: float) -> int:
    """The outcome of uniform ``u`` under a CDF row: ``#{k : cdf_row[k] <= u}``."""
    n = 0
    for k in range(cdf_row.shape[0]):
        if cdf_row[k] <= u:
            n += 1
    return n


@inlined
def tabular_step(
    cdf: np.ndarray,
    next_states: np.ndarray,
    rewards: np.ndarray,
    terminated: np.ndarray,
    state: int,
    action: int,
    u: float,
) -> tuple[int, float, bool]:
    """One step of a tabular MDP from ``state`` with ``action`` and uniform ``u`` in [0, 1).

    ``cdf`` is :func:`tabular_arrays`' (S, A, K) CDF; ``next_states``, ``rewards``,
    ``terminated`` are the MDP's (S, A, K) arrays (``TabularMDP.next_states`` ...). Returns
    ``(next_state, reward, terminated)`` of outcome ``#{k : cdf[state, action, k] <= u}``,
    the outcome ``VectorMDP.step`` picks for the same uniform. The time limit is the
    caller's (count steps, truncate at ``max_episode_steps`` when not terminated).
    """
    k = outcome_index(cdf[state, action], u)
    return next_states[state, action, k], rewards[state, action, k], terminated[state, action, k]


@inlined
def tabular_reset(initial_cdf: np.ndarray, u: float) -> int:
    """A start state from the (S,) initial CDF and one uniform ``u``: ``#{s : initial_cdf[s] <= u}``,
    the state ``VectorMDP.reset`` draws for the same uniform."""
    return outcome_index(initial_cdf, u)


# --------------------------------------------------------------------------- batched 2-layer PS


class PSParams(NamedTuple):
    """The hyperparameters a PS kernel reads (from :class:`~ps_graph.agent.PSConfig`)."""

    gamma: float  # gamma_damping
    eta: float  # eta_glow_damping
    beta: float  # beta_softmax
    h_floor: float
    softmax: bool  # policy == "softmax"
    accumulate: bool  # glow == "accumulate"
    reflections: int  # num_reflections

    @classmethod
    def from_config(cls, cfg) -> PSParams:
        """The parameters of a :class:`~ps_graph.agent.PSConfig`."""
        return cls(
            float(cfg.gamma_damping),
            float(cfg.eta_glow_damping),
            float(cfg.beta_softmax),
            float(cfg.h_floor),
            cfg.policy == "softmax",
            cfg.glow == "accumulate",
            int(cfg.num_reflections),
        )


class PSTables(NamedTuple):
    """The K agents' lazy tables, as :class:`~ps_graph.batch.BatchedTwoLayerPS` keeps them.

    ``h`` (K, S, A) is current at learning step ``stamp`` (K, S) and damps towards ``h0``
    (S, A); ``glow`` (K, S, A) is current at glow step ``glow_time`` (K, S, A); ``emotion``
    (K, S, A) is True where the last reward after that (s, a) was positive; ``clock`` and
    ``glow_clock`` (K,) count each agent's learning and glow steps.
    """

    h: np.ndarray
    h0: np.ndarray
    stamp: np.ndarray
    glow: np.ndarray
    glow_time: np.ndarray
    emotion: np.ndarray
    clock: np.ndarray
    glow_clock: np.ndarray


# The helpers below take the tables as separate arrays, in PSTables' order: a kernel unpacks
# its PSTables once (``h, h0, stamp, glow, glow_time, emotion, clock, glow_clock = t``);
# passing the tuple itself to a helper costs about 100 ns per call.


@inlined
def current_row(p: PSParams, h, h0, stamp, clock, k: int, s: int, out: np.ndarray) -> None:
    """Agent k's current h-row of state s into ``out`` (A,): ``rules.damp`` in closed form,
    ``h0 + (1 - gamma)**n (h - h0)`` with n the learning steps since the row's stamp."""
    if p.gamma == 0.0:
        for a in range(out.shape[0]):
            out[a] = h[k, s, a]
        return
    f = (1.0 - p.gamma) ** float(clock[k] - stamp[k, s])  # a float power: libm's pow, as Python's
    for a in range(out.shape[0]):
        out[a] = h0[s, a] + f * (h[k, s, a] - h0[s, a])


@inlined
def sample_index(w: np.ndarray, u: float) -> int:
    """``rules.sample_index``: the first j with ``u * sum(w) < w_0 + ... + w_j`` (sums in order)."""
    total = 0.0
    for a in range(w.shape[0]):
        total += w[a]
    threshold = u * total
    j, cumulative = 0, 0.0
    for a in range(w.shape[0]):
        cumulative += w[a]
        if cumulative <= threshold:
            j += 1
    return min(j, w.shape[0] - 1)


@inlined
def hopping_weights(p: PSParams, w: np.ndarray) -> None:
    """``rules.hopping_weights`` in place: h itself ("standard") or ``exp(beta (h - max h))``."""
    if not p.softmax:
        return
    top = w[0]
    for a in range(1, w.shape[0]):
        top = max(top, w[a])
    for a in range(w.shape[0]):
        w[a] = math.exp(p.beta * (w[a] - top))


@inlined
def act_one(p: PSParams, h, h0, stamp, glow, glow_time, emotion, clock, glow_clock, k, s, u, pos, w) -> int:
    """Agent k decides in state s: sample, re-sample while the emotion is negative (at most
    ``reflections`` times), then glow decays one step and the chosen edge glows.

    Uniforms are ``u[k, pos[k]], u[k, pos[k] + 1], ...`` (``pos[k]`` advances), at most
    ``1 + reflections``; ``w`` (A,) is scratch space.
    """
    current_row(p, h, h0, stamp, clock, k, s, w)
    hopping_weights(p, w)
    j = sample_index(w, u[k, pos[k]])
    pos[k] += 1
    for _ in range(p.reflections):
        if emotion[k, s, j]:
            break
        j = sample_index(w, u[k, pos[k]])
        pos[k] += 1
    glow_clock[k] += 1
    g = 1.0  # replace: the traversed edge's glow becomes 1
    if p.accumulate:  # g <- (1 - eta)**n g + 1, n the glow steps since it was stored
        g = (1.0 - p.eta) ** float(glow_clock[k] - glow_time[k, s, j]) * glow[k, s, j] + 1.0
    glow[k, s, j] = g
    glow_time[k, s, j] = glow_clock[k]
    return j


@inlined
def observe_one(p: PSParams, h, h0, stamp, glow, glow_time, emotion, clock, glow_clock, k, r, ended, s, a) -> None:
    """Agent k learns from reward r after its decision (s, a); glow resets if the episode ended.

    A reward brings the whole table up to date and adds the glow term,
    ``h <- max(h0 + (1 - gamma)**n (h - h0) + g R, h_floor)``; reflection tags (s, a) with
    the reward's sign.
    """
    clock[k] += 1
    if r != 0.0:
        _reward_table(p, h, h0, stamp, glow, glow_time, clock, glow_clock, k, r)
    if p.reflections > 0:
        emotion[k, s, a] = r > 0.0
    if ended:
        glow[k] = 0.0


@inlined
def _reward_table(p: PSParams, h, h0, stamp, glow, glow_time, clock, glow_clock, k: int, r: float) -> None:
    now, glow_now = clock[k], glow_clock[k]
    for s in range(h.shape[1]):
        f = 1.0
        if p.gamma != 0.0:
            f = (1.0 - p.gamma) ** float(now - stamp[k, s])
        for a in range(h.shape[2]):
            x = h[k, s, a]
            if p.gamma != 0.0:
                x = h0[s, a] + f * (x - h0[s, a])
            g = glow[k, s, a]
            if g != 0.0:  # g R with g = 0 adds nothing: skip its power
                x += (1.0 - p.eta) ** float(glow_now - glow_time[k, s, a]) * g * r
            h[k, s, a] = max(x, p.h_floor)
        stamp[k, s] = now


@numba.njit(cache=True)
def ps_act(t: PSTables, p: PSParams, states, active, u, pos, pending_s, pending_a, actions) -> None:
    """One decision of every active agent (:meth:`BatchedTwoLayerPS.act`); an inactive agent
    draws nothing and changes nothing (its action is the one a uniform of 0 picks)."""
    h, h0, stamp, glow, glow_time, emotion, clock, glow_clock = t
    w = np.empty(h.shape[2])
    for k in range(h.shape[0]):
        s = states[k]
        if active[k]:
            j = act_one(p, h, h0, stamp, glow, glow_time, emotion, clock, glow_clock, k, s, u, pos, w)
            pending_s[k] = s
            pending_a[k] = j
        else:
            current_row(p, h, h0, stamp, clock, k, s, w)
            hopping_weights(p, w)
            j = sample_index(w, 0.0)
        actions[k] = j


@numba.njit(cache=True)
def ps_observe(t: PSTables, p: PSParams, rewards, ended, active, pending_s, pending_a) -> None:
    """Every active agent learns from its reward (:meth:`BatchedTwoLayerPS.observe`)."""
    h, h0, stamp, glow, glow_time, emotion, clock, glow_clock = t
    for k in range(h.shape[0]):
        if active[k]:
            r, e, s, a = rewards[k], ended[k], pending_s[k], pending_a[k]
            observe_one(p, h, h0, stamp, glow, glow_time, emotion, clock, glow_clock, k, r, e, s, a)


# --------------------------------------------------------------------------- compiled runs


class TabularEnv(NamedTuple):
    """A tabular MDP's arrays for a compiled loop (:func:`tabular_env`)."""

    cdf: np.ndarray  # (S, A, K) outcome CDF
    initial_cdf: np.ndarray  # (S,) initial-state CDF
    next_states: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray


def tabular_env(vec) -> TabularEnv:
    """The arrays of a :class:`~ps_graph.tabular.VectorMDP`'s MDP that a compiled run reads."""
    cdf, initial_cdf = tabular_arrays(vec)
    mdp = vec.mdp
    return TabularEnv(cdf, initial_cdf, mdp.next_states, mdp.rewards, mdp.terminated)


class Episodes(NamedTuple):
    """Each agent's episode in progress and its budget, and the arrays of an
    :class:`~ps_graph.batch_train.EpisodeLog` that finished episodes are written into."""

    state: np.ndarray  # (K,) current state
    fresh: np.ndarray  # (K,) bool: the next step starts a new episode (reset first)
    ret: np.ndarray  # (K,) return so far
    length: np.ndarray  # (K,) steps so far
    used: np.ndarray  # (K,) steps of the run so far
    goal: np.ndarray  # (K,) agent k stops when counts[k] reaches goal[k] (an episode budget)
    counts: np.ndarray  # the log's (K,) counts and (K, capacity) returns, lengths, terminated
    returns: np.ndarray
    lengths: np.ndarray
    terminated: np.ndarray


@numba.njit(cache=True)
def ps_run_tabular(t, p, env, run, u, pos, eu, epos, total_steps, limit, chunk):
    """Agents 0..K-1 in turn, each stepping a tabular MDP until its budget is spent
    (``counts[k] == goal[k]`` or ``used[k] == total_steps``); returns ``(steps, episodes, epos)``.

    Semantics are ``train_batch``'s: act, step, observe ``truncated`` when an episode reaches
    ``limit`` steps or the agent its ``total_steps`` without terminating, record finished
    episodes. Environment uniforms are ``eu[epos], eu[epos + 1], ...`` (one per reset, one
    per step). It returns early after ``chunk`` steps or when ``eu`` runs low, and passes
    over an agent whose uniforms (``u[k, pos[k]:]``) or log row could run out: the caller
    refills those and calls again.
    """
    h, h0, stamp, glow, glow_time, emotion, clock, glow_clock = t
    cdf, initial_cdf, next_states, rewards, terminal = env
    state, fresh, ret, length, used, goal, counts, returns, lengths, terminated = run
    need = 1 + p.reflections
    w = np.empty(h.shape[2])
    steps, episodes = 0, 0
    for k in range(h.shape[0]):
        while counts[k] < goal[k] and used[k] < total_steps:
            if steps >= chunk or eu.shape[0] - epos < 2:
                return steps, episodes, epos
            if u.shape[1] - pos[k] < need or counts[k] >= returns.shape[1]:
                break
            if fresh[k]:
                state[k] = tabular_reset(initial_cdf, eu[epos])
                fresh[k] = False
                epos += 1
            s = state[k]
            a = act_one(p, h, h0, stamp, glow, glow_time, emotion, clock, glow_clock, k, s, u, pos, w)
            s2, r, term = tabular_step(cdf, next_states, rewards, terminal, s, a, eu[epos])
            epos += 1
            length[k] += 1
            used[k] += 1
            ret[k] += r
            ended = term or length[k] >= limit or used[k] >= total_steps  # truncated unless terminated
            observe_one(p, h, h0, stamp, glow, glow_time, emotion, clock, glow_clock, k, r, ended, s, a)
            steps += 1
            if not ended:
                state[k] = s2
                continue
            slot = counts[k]
            returns[k, slot], lengths[k, slot], terminated[k, slot] = ret[k], length[k], term
            counts[k] = slot + 1
            ret[k], length[k], fresh[k] = 0.0, 0, True
            episodes += 1
    return steps, episodes, epos
