"""Compiled (numba) kernels of :class:`~qbaselines.BatchedQLearning`: exploration and the TD
update of all K agents in one call, and whole runs on a tabular MDP (:func:`run_agents`).

The one module of ``qbaselines`` that imports numba; ``BatchedQLearning`` imports it lazily,
inside its methods, so ``import qbaselines`` stays light. Every kernel is
``@njit(cache=True)``: compiled once, then loaded from the on-disk cache.

Random numbers come from each agent's stream (:class:`~ps_graph.streams.AgentStreams`): a
kernel reads agent k's uniforms ``u[k, upos[k]]`` (standard-normal rows ``nrm[k, npos[k]]``)
and advances its position. Python tops the blocks up before a call (:func:`top_up`), keeping
each stream's order, so agent k draws the same values in the same order whatever the block
size, and the kernels give the numbers of the numpy code they replaced, bit for bit.

>>> u, upos = np.array([[0.9, 0.7]]), np.zeros(1, np.int64)
>>> q = np.array([[[1.0, 3.0, 3.0]]])   # one agent, one state, three actions
>>> explore(q, 0, 0, True, False, 0.5, 0.0, u, upos, np.zeros((1, 1, 3)), upos)
2
>>> int(upos[0])   # 0.9 >= epsilon: greedy; 0.7 broke the tie between actions 1 and 2
2
"""

from __future__ import annotations

import numba
import numpy as np

from ps_graph.kernels import inlined, tabular_reset, tabular_step

from . import rules

# the TD math is written once, in qbaselines.rules; compiled here for scalars
_td_target = inlined(rules.td_target)
_td_update = inlined(rules.td_update)

__all__ = ["act_all", "explore", "observe_all", "refill_rows", "run_agents", "top_up"]

#: Uniforms (standard-normal rows) a run step may draw at most: two explorations of up to 3.
STEP_UNIFORMS, STEP_NORMALS = 6, 2


# Speed: a call that passes arrays costs tens of ns (two atomic reference counts per array),
# so the helpers of the loops are ``@inlined`` (``ps_graph.kernels``: force-inlined, no
# reference counts), take whole arrays and indices (``q, k, s``: a row view ``q[k, s]``
# would cost as much) and loop instead of ``row.max()`` (about 100 ns). A step of a run then
# costs about 30 ns (slippery FrozenLake), against about 250 ns before.


@inlined
def first_max(q: np.ndarray, k: int, s: int) -> int:
    """``np.argmax(q[k, s])``: the first of the largest entries."""
    best = 0
    for a in range(1, q.shape[2]):
        if q[k, s, a] > q[k, s, best]:
            best = a
    return best


@inlined
def explore(q, k, s, draw, noisy, eps, scale, u, upos, nrm, npos) -> int:
    """Agent k's exploratory action from its Q row ``q[k, s]``; draws only when ``draw`` (an agent that
    does not draw gets what the numpy code gave it: action 0 if ``eps > 0`` else the argmax).

    Noisy argmax: ``argmax(q[k, s] + nrm[k, j] * scale)``. Epsilon-greedy: a uniform ``x``; if
    ``x < eps`` the action ``floor(u' n)`` of a second uniform, else the greedy action, ties
    broken by ``floor(u'' ties)`` of a third uniform (drawn only when there is a tie).
    """
    n = q.shape[2]
    if noisy:
        if not draw:
            return first_max(q, k, s)
        j = npos[k]
        npos[k] = j + 1
        best, top = 0, q[k, s, 0] + nrm[k, j, 0] * scale
        for a in range(1, n):
            value = q[k, s, a] + nrm[k, j, a] * scale
            if value > top:
                best, top = a, value
        return best
    if not draw:
        return 0 if eps > 0.0 else first_max(q, k, s)
    x = u[k, upos[k]]
    upos[k] += 1
    if x < eps:
        choice = int(u[k, upos[k]] * n)
        upos[k] += 1
        return min(choice, n - 1)
    m = q[k, s, first_max(q, k, s)]
    ties = 0
    for a in range(n):
        ties += q[k, s, a] == m
    if ties == 1:
        return first_max(q, k, s)
    rank = int(np.floor(u[k, upos[k]] * ties))
    upos[k] += 1
    for a in range(n):
        if q[k, s, a] == m:
            if rank == 0:
                return a
            rank -= 1
    return n - 1


@numba.njit(cache=True)
def act_all(q, states, active, preset, pending_s, pending_a, noisy, eps, noise_scale, episode, u, upos, nrm, npos):
    """One action per agent (the preset SARSA action where there is one); active agents
    remember (state, action) for :func:`observe_all`."""
    actions = np.empty(q.shape[0], np.int64)
    for k in range(q.shape[0]):
        s, a = states[k], preset[k]
        if a < 0:
            scale = noise_scale / (episode[k] + 1.0)
            a = explore(q, k, s, active[k], noisy, eps[k], scale, u, upos, nrm, npos)
        preset[k] = -1
        if active[k]:
            pending_s[k], pending_a[k] = s, a
        actions[k] = a
    return actions


@inlined
def td_step(q, k, s, a, reward, s2, done, chosen, gamma, learning_rate) -> None:
    """``Q(s,a) += lr (r + gamma (1 - done) V(s') - Q(s,a))``, ``V(s')`` the max of the row
    ``q[k, s2]``, or its entry ``chosen`` (SARSA) when ``chosen >= 0`` (as ``qbaselines.rules``)."""
    value = q[k, s2, chosen if chosen >= 0 else first_max(q, k, s2)]
    target = _td_target(reward, value, gamma, 1.0 if done else 0.0)
    q[k, s, a] = _td_update(q[k, s, a], target, learning_rate)


@numba.njit(cache=True)
def observe_all(q, rewards, next_states, terminated, truncated, active, agent, rules, draws) -> None:
    """The TD update of each active agent's pending (state, action); SARSA chooses the next
    action here (before the update) and keeps it for the next :func:`act_all`.

    ``agent = (pending_s, pending_a, preset, episode)``, ``rules = (sarsa, noisy, gamma,
    learning_rate, noise_scale)``, ``draws = (eps, u, upos, nrm, npos)``.
    """
    pending_s, pending_a, preset, episode = agent
    sarsa, noisy, gamma, learning_rate, noise_scale = rules
    eps, u, upos, nrm, npos = draws
    for k in range(q.shape[0]):
        s2 = next_states[k]
        ended = terminated[k] or truncated[k]
        chosen = -1
        if sarsa:
            scale = noise_scale / (episode[k] + 1.0)
            chosen = explore(q, k, s2, active[k] and not terminated[k], noisy, eps[k], scale, u, upos, nrm, npos)
            preset[k] = chosen if active[k] and not ended else -1
        if active[k]:
            td_step(q, k, pending_s[k], pending_a[k], rewards[k], s2, terminated[k], chosen, gamma, learning_rate)
            if ended:
                episode[k] += 1


@numba.njit(cache=True)
def refill_rows(old: np.ndarray, pos: np.ndarray, fresh: np.ndarray, new: np.ndarray) -> None:
    """Row k of ``new`` (K, W): the unread values of row k of ``old`` (from ``pos[k]`` on), then
    ``fresh`` values in order (row 0 first); ``pos`` becomes 0. ``new`` may be ``old`` (in
    place); ``fresh`` holds exactly the values the rows lack."""
    j = 0
    for k in range(new.shape[0]):
        left = old.shape[1] - pos[k]
        for i in range(left):
            new[k, i] = old[k, pos[k] + i]
        for i in range(left, new.shape[1]):
            new[k, i] = fresh[j]
            j += 1
        pos[k] = 0


def top_up(streams, room: int, normals: int = 0, agents=None) -> tuple[np.ndarray, ...]:
    """The kernels' ``(u, upos, nrm, npos)`` of an :class:`~ps_graph.streams.AgentStreams`,
    every agent (of the mask ``agents``, default all) holding at least ``room`` uniforms
    (``AgentStreams.reserve``: a wider ``room`` widens the buffer) or, for ``normals > 0``,
    standard-normal rows of that width (at most a block of them) drawn ahead.

    An agent's unread values stay next in line and new draws from its own Generator follow
    them, so it reads the values it would have read anyway.
    """
    if not normals:
        streams.reserve(room, agents)
        return (*streams.uniforms, np.zeros((1, 1, 1)), np.zeros(1, np.int64))
    if streams._n is None or streams._n.shape[2] != normals:  # as AgentStreams.normal allocates
        streams._n = np.empty((len(streams._npos), streams.block, normals))
        streams._npos = np.full(len(streams._npos), streams.block)
    w, nrm, npos = streams.block, streams._n, streams._npos
    low = w - npos < min(room, w)
    for k in np.flatnonzero(low if agents is None else low & agents):
        left = w - npos[k]  # unread rows move to the front, new ones follow
        nrm[k, :left] = nrm[k, npos[k] :].copy()
        nrm[k, left:] = streams.generators[k].standard_normal((w - left, normals))
        npos[k] = 0
    return (*streams.uniforms, nrm, npos)


@numba.njit(cache=True)
def reach(k, noisy, draws, env_u, env_pos) -> int:
    """How many steps agent k can surely take with the uniforms (normals) and environment
    uniforms it has left: a step draws at most two of the environment's (a reset, a step)."""
    u, upos, nrm, npos = draws
    env = (env_u.shape[1] - env_pos[k]) // 2
    if noisy:
        return min(env, (nrm.shape[1] - npos[k]) // STEP_NORMALS)
    return min(env, (u.shape[1] - upos[k]) // STEP_UNIFORMS)


@inlined
def out_of_room(count, returns, noisy, e, eps_lo, eps_table) -> bool:
    """Whether an agent with ``count`` episodes in the log and ``e`` so far must stop: its row
    of the log is full, or (epsilon-greedy) its epsilon lies past the table."""
    return count >= returns.shape[1] or (not noisy and e - eps_lo >= eps_table.shape[0])


@numba.njit(cache=True)
def run_agent(k, q, agent, rules, draws, eps_table, eps_lo, env, walk, budget, log) -> None:
    """Agent k's episodes on the tabular MDP until its budget is spent or something runs low
    (:func:`reach`, the log's row, the epsilon table); the steps of
    ``ps_graph.batch_train.train_batch``'s loop. Its counters live in locals meanwhile.

    ``agent = (pending_s, pending_a, preset, episode)``, ``rules = (sarsa, noisy, gamma,
    learning_rate, noise_scale)``, ``draws = (u, upos, nrm, npos)``, ``env = (cdf,
    next_states, rewards, terminal, initial_cdf, env_u, env_pos, limit)``, ``walk = (states,
    fresh, ep_len, ep_ret, used)``, ``budget = (episodes, total_steps, max_steps)`` (-1: none),
    ``log = (counts, returns, lengths, terminated)``.
    """
    pending_s, pending_a, preset, episode = agent
    sarsa, noisy, gamma, learning_rate, noise_scale = rules
    u, upos, nrm, npos = draws
    cdf, next_states, rewards, terminal, initial_cdf, env_u, env_pos, limit = env
    states, fresh, ep_len, ep_ret, used = walk
    episodes, total_steps, max_steps = budget
    counts, returns, lengths, ended_by = log
    s, a, e, new = states[k], preset[k], episode[k], fresh[k]
    n, ret, steps, count = ep_len[k], ep_ret[k], used[k], counts[k]
    left = 0 if out_of_room(count, returns, noisy, e, eps_lo, eps_table) else -1  # -1: ask reach()
    while left != 0 and (count < episodes if episodes >= 0 else steps < total_steps):
        if left < 0:
            left = reach(k, noisy, draws, env_u, env_pos)
            continue
        left -= 1
        if new:
            s, n, ret, new = tabular_reset(initial_cdf, env_u[k, env_pos[k]]), 0, 0.0, False
            env_pos[k] += 1
        eps = 0.0 if noisy else eps_table[e - eps_lo]
        scale = noise_scale / (e + 1.0)
        if a < 0:
            a = explore(q, k, s, True, noisy, eps, scale, u, upos, nrm, npos)
        s2, r, term = tabular_step(cdf, next_states, rewards, terminal, s, a, env_u[k, env_pos[k]])
        env_pos[k] += 1
        n, steps, ret = n + 1, steps + 1, ret + r
        ended = term or (0 <= limit <= n) or (0 <= max_steps <= n) or (0 <= total_steps <= steps)
        chosen = explore(q, k, s2, not term, noisy, eps, scale, u, upos, nrm, npos) if sarsa else -1
        td_step(q, k, s, a, r, s2, term, chosen, gamma, learning_rate)
        pending_s[k], pending_a[k], s, a = s, a, s2, -1 if ended else chosen
        if ended:
            returns[k, count], lengths[k, count], ended_by[k, count] = ret, n, term
            e, count, new = e + 1, count + 1, True
            if out_of_room(count, returns, noisy, e, eps_lo, eps_table):
                break
        left = left or -1
    states[k], preset[k], episode[k], fresh[k] = s, a, e, new
    ep_len[k], ep_ret[k], used[k], counts[k] = n, ret, steps, count


@numba.njit(cache=True)
def run_agents(q, agent, rules, draws, eps_table, eps_lo, env, walk, budget, log) -> None:
    """:func:`run_agent` for every agent, one after the other (agents are independent)."""
    for k in range(q.shape[0]):
        run_agent(k, q, agent, rules, draws, eps_table, eps_lo, env, walk, budget, log)
