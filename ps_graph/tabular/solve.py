"""Exact planning and scoring on a :class:`~ps_graph.tabular.TabularMDP`: :func:`value_iteration`,
:func:`evaluate_policy`, :func:`optimal_finite_horizon` and :func:`greedy_policy`."""

from __future__ import annotations

import numpy as np

from ..checks import check_int, check_real
from .mdp import PROB_TOL, PolicyValue, TabularMDP, _fail

__all__ = ["evaluate_policy", "greedy_policy", "optimal_finite_horizon", "value_iteration"]


def _backup(mdp: TabularMDP, values: np.ndarray, gamma: float) -> np.ndarray:
    """(S, A) one-step lookahead ``sum_k p_k (r_k + gamma (1 - term_k) values[s'_k])``."""
    future = np.where(mdp.terminated, 0.0, values[mdp.next_states])
    return (mdp.probs * (mdp.rewards + gamma * future)).sum(axis=-1)


def value_iteration(
    mdp: TabularMDP, gamma: float = 0.99, tol: float = 1e-10, max_iter: int = 100_000
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal discounted values ``(V (S,), Q (S, A))``, with no value past a terminating outcome.

    ``Q(s, a) = sum_k p_k (r_k + gamma (1 - term_k) max_a' Q(s'_k, a'))``, iterated until the
    sup-norm change of V is below ``tol`` (then V is within ``tol gamma / (1 - gamma)`` of V*).

    >>> chain = TabularMDP(2, 1, [[[1.0]], [[1.0]]], [[[1]], [[1]]], [[[0.0]], [[1.0]]],
    ...                    [[[False]], [[False]]], [1.0, 0.0])
    >>> V, Q = value_iteration(chain, gamma=0.5)   # V1 = 1 + 0.5 V1 = 2; V0 = 0.5 V1 = 1
    >>> V.round(8)
    array([1., 2.])
    """
    gamma = check_real(
        "gamma",
        gamma,
        0.0,
        1.0,
        high_open=True,
        hint="Value iteration is infinite-horizon and needs gamma < 1; for gamma = 1 use optimal_finite_horizon.",
    )
    tol = check_real("tol", tol, 0.0, low_open=True)
    max_iter = check_int("max_iter", max_iter, 1)
    V = np.zeros(mdp.num_states)
    for _ in range(max_iter):
        Q = _backup(mdp, V, gamma)
        V_new = Q.max(axis=1)
        delta = np.abs(V_new - V).max()
        V = V_new
        if delta < tol:
            return V, _backup(mdp, V, gamma)
    raise _fail(
        f"value iteration must converge to tol={tol} within max_iter={max_iter} sweeps",
        f"a last change of {delta!r}",
        "Raise max_iter or tol, or lower gamma.",
    )


def _check_horizon(mdp: TabularMDP, horizon) -> int:
    horizon = mdp.max_episode_steps if horizon is None else horizon
    if horizon is None:
        raise _fail(
            "a finite horizon is needed",
            f"horizon=None and {mdp.name} has no time limit",
            "Pass horizon=<number of steps>.",
        )
    return check_int("horizon", horizon, 1)


def _check_policy(mdp: TabularMDP, policy) -> np.ndarray:
    pi = np.asarray(policy, dtype=np.float64)
    shape = (mdp.num_states, mdp.num_actions)
    if pi.shape != shape:
        raise _fail(
            f"policy must be an (S, A) = {shape} array of action probabilities",
            f"shape {pi.shape}",
            "Pass one row per state; greedy_policy(q) turns a Q table into one.",
        )
    if not np.all(np.isfinite(pi)) or pi.min() < 0:
        raise _fail("policy entries must be finite and non-negative", f"min {np.nanmin(pi)!r}", "Pass probabilities.")
    worst = np.abs(pi.sum(axis=1) - 1.0)
    if worst.max() > PROB_TOL:
        s = int(worst.argmax())
        raise _fail(
            f"every policy row must sum to 1 (within {PROB_TOL})",
            f"sum {pi[s].sum()!r} in row {s}",
            "Normalize the rows.",
        )
    return pi


def _success_now(mdp: TabularMDP) -> np.ndarray:
    """(S, A, K) 1.0 where an outcome terminates with a positive reward."""
    return (mdp.terminated & (mdp.rewards > 0)).astype(np.float64)


def evaluate_policy(mdp: TabularMDP, policy, *, gamma: float = 1.0, horizon: int | None = None) -> PolicyValue:
    """Exact score of a stationary policy over ``horizon`` steps from ``mdp.initial``.

    Backward induction, with ``V_0 = 0`` and
    ``V_h(s) = sum_a pi(a|s) sum_k p_k (r_k + gamma (1 - term_k) V_{h-1}(s'_k))``;
    the success probability follows the same recursion with "terminates with r_k > 0" as the
    only reward. ``horizon`` defaults to ``mdp.max_episode_steps``; undiscounted by default.

    >>> coin = TabularMDP(1, 1, [[[0.5, 0.5]]], [[[0, 0]]], [[[1.0, 0.0]]], [[[True, False]]], [1.0])
    >>> evaluate_policy(coin, [[1.0]], horizon=2)   # success 1/2 + 1/4
    PolicyValue(expected_return=0.75, success_probability=0.75)
    """
    gamma = check_real("gamma", gamma, 0.0, 1.0)
    H = _check_horizon(mdp, horizon)
    pi = _check_policy(mdp, policy)
    success_now = _success_now(mdp)
    V, P = np.zeros(mdp.num_states), np.zeros(mdp.num_states)
    for _ in range(H):
        V = (pi * _backup(mdp, V, gamma)).sum(axis=1)
        P = (pi * _success_backup(mdp, P, success_now)).sum(axis=1)
    return PolicyValue(float(mdp.initial @ V), float(mdp.initial @ P))


def _success_backup(mdp: TabularMDP, success: np.ndarray, success_now: np.ndarray) -> np.ndarray:
    """(S, A) probability of success: now, or later from a non-terminal next state."""
    later = np.where(mdp.terminated, 0.0, success[mdp.next_states])
    return (mdp.probs * (success_now + later)).sum(axis=-1)


def optimal_finite_horizon(mdp: TabularMDP, *, gamma: float = 1.0, horizon: int | None = None) -> PolicyValue:
    """The best expected return within ``horizon`` steps from ``mdp.initial``, and its success.

    Backward induction with a max over actions (the optimal policy may depend on the steps
    left). Among actions whose value is within ``1e-10 (1 + |max|)`` of the best, the one with
    the highest success probability is taken, so the success reported is the highest among
    return-optimal policies.

    >>> coin = TabularMDP(1, 2, [[[0.5, 0.5], [1.0, 0.0]]], [[[0, 0], [0, 0]]],
    ...                   [[[1.0, 0.0], [0.0, 0.0]]], [[[True, False], [False, False]]], [1.0])
    >>> optimal_finite_horizon(coin, horizon=3)   # flip until heads: 1 - 1/8
    PolicyValue(expected_return=0.875, success_probability=0.875)
    """
    gamma = check_real("gamma", gamma, 0.0, 1.0)
    H = _check_horizon(mdp, horizon)
    success_now = _success_now(mdp)
    rows = np.arange(mdp.num_states)
    V, P = np.zeros(mdp.num_states), np.zeros(mdp.num_states)
    for _ in range(H):
        Q = _backup(mdp, V, gamma)
        Qp = _success_backup(mdp, P, success_now)
        best = Q.max(axis=1, keepdims=True)
        near_best = best - 1e-10 * (1.0 + np.abs(best)) <= Q
        choice = np.where(near_best, Qp, -np.inf).argmax(axis=1)
        V, P = Q[rows, choice], Qp[rows, choice]
    return PolicyValue(float(mdp.initial @ V), float(mdp.initial @ P))


def greedy_policy(q) -> np.ndarray:
    """One-hot (S, A) policy of ``argmax_a q[s, a]`` (the first of tied actions).

    >>> greedy_policy([[0.0, 1.0], [2.0, 2.0]])
    array([[0., 1.],
           [1., 0.]])
    """
    q = np.asarray(q, dtype=np.float64)
    if q.ndim != 2 or q.size == 0 or np.isnan(q).any():
        raise _fail(
            "q must be a non-empty (S, A) array without NaN",
            f"shape {q.shape}",
            "Pass an agent's Q table or action-probability table.",
        )
    policy = np.zeros_like(q)
    policy[np.arange(q.shape[0]), q.argmax(axis=1)] = 1.0
    return policy
