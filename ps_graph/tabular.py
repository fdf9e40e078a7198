"""Gymnasium toy-text MDPs as numpy arrays: exact planning, exact scoring, fast vector stepping.

A toy-text env (FrozenLake, CliffWalking, Taxi) carries its whole model in ``env.unwrapped.P``:
``P[s][a]`` is a list of outcomes ``(prob, next_state, reward, terminated)``. :func:`from_env`
packs that table into (S, A, K) arrays, padding (s, a) pairs with fewer than K outcomes with
probability-0 outcomes. On top of it:

* :class:`VectorMDP` steps N copies in lockstep with one numpy Generator;
* :func:`value_iteration` gives the optimal discounted values;
* :func:`evaluate_policy` and :func:`optimal_finite_horizon` score a policy exactly over the env's
  time limit, so a learned table can be reported as a fraction of the optimum.

Examples
--------
>>> mdp = from_id("FrozenLake-v1", is_slippery=False)
>>> mdp.num_states, mdp.num_actions, mdp.max_episode_steps
(16, 4, 100)
>>> V, Q = value_iteration(mdp, gamma=0.9)
>>> round(float(V[0]), 6)          # 6 steps to the goal, reward 1 on the last: 0.9**5
0.59049
>>> best = optimal_finite_horizon(mdp)
>>> best
PolicyValue(expected_return=1.0, success_probability=1.0)
>>> evaluate_policy(mdp, greedy_policy(Q)).expected_return / best.expected_return
1.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checks import check_int, check_real, check_seed
from .errors import TabularError  # re-exported: TabularError lives in ps_graph.errors

__all__ = [
    "SUPPORTED_ENVS",
    "PolicyValue",
    "TabularError",
    "TabularMDP",
    "VectorMDP",
    "evaluate_policy",
    "from_env",
    "from_id",
    "greedy_policy",
    "optimal_finite_horizon",
    "value_iteration",
]

#: Env ids whose transition table :func:`from_env` is tested against gymnasium.
SUPPORTED_ENVS = ("FrozenLake-v1", "CliffWalking-v1", "Taxi-v4")

#: How far an (s, a) row of outcome probabilities (or a policy row) may be from summing to 1.
PROB_TOL = 1e-9


def _fail(what: str, got, fix: str) -> TabularError:
    return TabularError(f"{what}; got {got}. {fix}")


@dataclass(frozen=True, eq=False)
class TabularMDP:
    """A finite MDP with at most K outcomes per (state, action), as read-only arrays.

    Attributes
    ----------
    num_states, num_actions: S and A.
    probs: (S, A, K) float64 outcome probabilities; each (s, a) row sums to 1, padding has 0.
    next_states: (S, A, K) int64 next state of each outcome.
    rewards: (S, A, K) float64 reward of each outcome.
    terminated: (S, A, K) bool, True when the outcome ends the episode.
    initial: (S,) float64 initial-state distribution.
    max_episode_steps: the env's time limit, or None when it has none.
    name: a label, e.g. the env id and its keyword arguments.

    >>> mdp = TabularMDP(1, 1, [[[1.0]]], [[[0]]], [[[2.0]]], [[[True]]], [1.0])
    >>> mdp.expected_rewards
    array([[2.]])
    """

    num_states: int
    num_actions: int
    probs: np.ndarray
    next_states: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    initial: np.ndarray
    max_episode_steps: int | None = None
    name: str = "mdp"

    def __post_init__(self):
        S = check_int("num_states", self.num_states, 1)
        A = check_int("num_actions", self.num_actions, 1)
        if self.max_episode_steps is not None:
            check_int("max_episode_steps", self.max_episode_steps, 1, hint="Use None for no time limit.")
        arrays = {
            "probs": np.array(self.probs, dtype=np.float64),
            "next_states": np.array(self.next_states, dtype=np.int64),
            "rewards": np.array(self.rewards, dtype=np.float64),
            "terminated": np.array(self.terminated, dtype=bool),
        }
        K = arrays["probs"].shape[-1] if arrays["probs"].ndim == 3 else 0
        for key, arr in arrays.items():
            if arr.shape != (S, A, K) or K == 0:
                raise _fail(f"{key} must have shape (num_states, num_actions, K) = ({S}, {A}, K >= 1)",
                            f"shape {arr.shape}", "Pass one entry per (state, action, outcome).")
        p, ns, r = arrays["probs"], arrays["next_states"], arrays["rewards"]
        if not np.all(np.isfinite(p)) or p.min() < 0:
            raise _fail("probs must be finite and non-negative", f"min {p.min()!r}", "Fix the table.")
        worst = np.abs(p.sum(axis=-1) - 1.0)
        if worst.max() > PROB_TOL:
            s, a = np.unravel_index(int(worst.argmax()), worst.shape)
            raise _fail(f"the outcome probabilities of every (s, a) must sum to 1 (within {PROB_TOL})",
                        f"sum {p[s, a].sum()!r} at s={s}, a={a}", "Normalize that row.")
        if ns.min() < 0 or ns.max() >= S:
            raise _fail(f"next_states must lie in [0, {S})", f"[{ns.min()}, {ns.max()}]", "Check num_states.")
        if not np.all(np.isfinite(r)):
            raise _fail("rewards must be finite", "NaN or inf", "Fix the reward table.")
        init = np.array(self.initial, dtype=np.float64)
        if init.shape != (S,) or init.min() < 0 or abs(init.sum() - 1.0) > PROB_TOL:
            raise _fail(f"initial must be a probability vector of length {S}",
                        f"shape {init.shape}, sum {init.sum()!r}", "Pass a distribution over states.")
        arrays["initial"] = init
        for key, arr in arrays.items():
            arr.setflags(write=False)
            object.__setattr__(self, key, arr)
        object.__setattr__(self, "num_states", S)
        object.__setattr__(self, "num_actions", A)

    @property
    def transition_matrix(self) -> np.ndarray:
        """Dense (S, A, S) next-state probabilities (duplicate outcomes summed)."""
        S, A, K = self.probs.shape
        T = np.zeros((S, A, S))
        s, a, _ = np.indices((S, A, K))
        np.add.at(T, (s, a, self.next_states), self.probs)
        return T

    @property
    def expected_rewards(self) -> np.ndarray:
        """(S, A) expected immediate reward ``sum_k p_k r_k``."""
        return (self.probs * self.rewards).sum(axis=-1)


@dataclass(frozen=True)
class PolicyValue:
    """Exact score of a policy: its expected (discounted) return and the probability of success.

    Success means the episode terminates on a transition with a positive reward within the
    horizon (reaching the goal of FrozenLake, a correct drop-off in Taxi; never in CliffWalking,
    whose every reward is negative).
    """

    expected_return: float
    success_probability: float


def _spec_name(env) -> str:
    spec = getattr(env, "spec", None)
    if spec is None:
        return type(env.unwrapped).__name__
    kwargs = {k: v for k, v in (spec.kwargs or {}).items() if k != "render_mode"}
    args = ", ".join(f"{k}={v!r}" for k, v in sorted(kwargs.items()))
    return f"{spec.id}({args})" if args else spec.id


def from_env(env) -> TabularMDP:
    """The :class:`TabularMDP` of a toy-text env, read from its own table ``env.unwrapped.P``.

    The time limit comes from ``env.spec.max_episode_steps`` (None if absent); the initial
    distribution from ``env.unwrapped.initial_state_distrib``.

    >>> import gymnasium as gym
    >>> mdp = from_env(gym.make("CliffWalking-v1"))
    >>> mdp.num_states, int(mdp.initial.argmax()), mdp.max_episode_steps
    (48, 36, None)
    """
    base = getattr(env, "unwrapped", env)
    table = getattr(base, "P", None)
    supported = ", ".join(SUPPORTED_ENVS)
    if not isinstance(table, dict):
        raise _fail("tabular needs a toy-text env with a `P` transition table "
                    "(P[s][a] = [(prob, next_state, reward, terminated), ...])",
                    f"{type(base).__name__}, which has no `P` transition table",
                    f"Use a toy-text env such as {supported}.")
    if getattr(base, "fickle_passenger", False):
        raise _fail("Taxi's transition table must describe all of its dynamics",
                    "fickle_passenger=True, whose destination changes are not in `P`",
                    "Make the env with fickle_passenger=False.")
    S = int(base.observation_space.n)
    A = int(base.action_space.n)
    if sorted(table) != list(range(S)) or any(sorted(table[s]) != list(range(A)) for s in table):
        raise _fail(f"P must have states 0..{S - 1}, each with actions 0..{A - 1}", f"{len(table)} states",
                    "Pass an env whose P matches its spaces.")
    K = max(len(table[s][a]) for s in range(S) for a in range(A))
    probs, rewards = np.zeros((S, A, K)), np.zeros((S, A, K))
    next_states = np.zeros((S, A, K), dtype=np.int64)
    terminated = np.zeros((S, A, K), dtype=bool)
    for s in range(S):
        for a in range(A):
            for k, (p, ns, r, t) in enumerate(table[s][a]):
                probs[s, a, k], next_states[s, a, k], rewards[s, a, k], terminated[s, a, k] = p, ns, r, t
            next_states[s, a, len(table[s][a]):] = s  # padding: prob 0, stays put
    initial = getattr(base, "initial_state_distrib", None)
    if initial is None:
        raise _fail("tabular needs the env's initial-state distribution", "no `initial_state_distrib`",
                    f"Use a toy-text env such as {supported}.")
    spec = getattr(env, "spec", None)
    return TabularMDP(S, A, probs, next_states, rewards, terminated, initial,
                      getattr(spec, "max_episode_steps", None), _spec_name(env))


def from_id(env_id: str, **kwargs) -> TabularMDP:
    """``from_env(gymnasium.make(env_id, **kwargs))``, closing the env afterwards."""
    import gymnasium as gym

    env = gym.make(env_id, **kwargs)
    try:
        return from_env(env)
    finally:
        env.close()


def _uniform_cdf(probs: np.ndarray) -> np.ndarray:
    """Cumulative probabilities along the last axis, with the total set to exactly 1.

    Every entry from the last non-zero outcome on is exactly 1.0, so a uniform u in [0, 1)
    never picks a padded outcome: the outcome is ``#{k : cdf_k <= u}``.
    """
    cdf = np.cumsum(probs, axis=-1)
    return np.minimum(cdf / cdf[..., -1:], 1.0)


class VectorMDP:
    """N copies of a :class:`TabularMDP` stepped in lockstep, with one numpy Generator.

    Copies do **not** reset themselves: after ``step`` reports ``terminated | truncated`` for a
    copy, call ``reset(mask)`` for those copies (a copy stepped on keeps walking the table).
    ``truncated`` is True when a copy's step count within its episode reaches
    ``max_episode_steps`` and that step did not terminate (gymnasium's ``TimeLimit`` would set it
    on a terminating last step too).

    Attributes: ``mdp``, ``num_envs``, ``rng``, ``states`` (N,) and ``steps`` (N,) per-copy
    step counts within the current episode.

    >>> vec = VectorMDP(from_id("FrozenLake-v1", is_slippery=False), 3, seed=0)
    >>> vec.reset()
    array([0, 0, 0])
    >>> vec.step([1, 2, 0])                      # down, right, left (into the wall)
    (array([4, 1, 0]), array([0., 0., 0.]), array([False, False, False]), array([False, False, False]))
    >>> vec.steps
    array([1, 1, 1])
    """

    def __init__(self, mdp: TabularMDP, num_envs: int, *, seed: int | None = None,
                 rng: np.random.Generator | None = None):
        if not isinstance(mdp, TabularMDP):
            raise _fail("mdp must be a TabularMDP", type(mdp).__name__, "Build one with from_env or from_id.")
        self.num_envs = check_int("num_envs", num_envs, 1)
        if rng is not None and seed is not None:
            raise _fail("pass a seed or a Generator, not both", f"seed={seed!r} and rng", "Drop one of them.")
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise _fail("rng must be a numpy Generator", type(rng).__name__, "Use np.random.default_rng(seed).")
        self.rng = rng if rng is not None else np.random.default_rng(check_seed("seed", seed))
        self.mdp = mdp
        self._cdf = _uniform_cdf(mdp.probs)
        self._initial_cdf = _uniform_cdf(mdp.initial)
        self.states: np.ndarray | None = None
        self.steps = np.zeros(self.num_envs, dtype=np.int64)

    def _vector(self, name: str, values, dtype_kind: str, high: int | None = None) -> np.ndarray:
        arr = np.asarray(values)
        if arr.shape != (self.num_envs,) or arr.dtype.kind not in dtype_kind:
            raise _fail(f"{name} must be an array of shape ({self.num_envs},) with dtype kind {dtype_kind!r}",
                        f"shape {arr.shape}, dtype {arr.dtype}", "Pass one value per copy.")
        if high is not None and arr.size and (arr.min() < 0 or arr.max() >= high):
            raise _fail(f"{name} must lie in [0, {high})", f"range [{arr.min()}, {arr.max()}]",
                        f"Use {name} of this MDP ({self.mdp.name}).")
        return arr.astype(np.int64) if high is not None else arr

    def reset(self, mask=None, *, states=None) -> np.ndarray:
        """Start new episodes in all copies, or only where ``mask`` is True; returns all states.

        Start states are drawn from ``mdp.initial`` (one uniform per reset copy), unless
        ``states`` (N,) gives them (e.g. exploring starts); then only ``states[mask]`` is used.
        """
        if mask is None:
            mask = np.ones(self.num_envs, dtype=bool)
        mask = self._vector("mask", mask, "b")
        if self.states is None and not mask.all():
            raise _fail("the first reset must reset every copy", f"mask with {int((~mask).sum())} False",
                        "Call reset() without a mask first.")
        if states is None:
            u = self.rng.random(int(mask.sum()))
            start = np.searchsorted(self._initial_cdf, u, side="right")
        else:
            start = self._vector("states", states, "iu", self.mdp.num_states)[mask]
        if self.states is None:
            self.states = np.zeros(self.num_envs, dtype=np.int64)
        self.states[mask] = start
        self.steps[mask] = 0
        return self.states.copy()

    def step(self, actions):
        """One step of every copy: ``(next_states, rewards, terminated, truncated)``, each (N,).

        The outcome of copy i is the first k with ``cdf[s_i, a_i, k] > u_i`` for one uniform u_i.
        """
        if self.states is None:
            raise _fail("step needs current states", "no reset yet", "Call reset() first.")
        a = self._vector("actions", actions, "iu", self.mdp.num_actions)
        s = self.states
        u = self.rng.random(self.num_envs)
        k = (self._cdf[s, a] <= u[:, None]).sum(axis=1)
        next_states = self.mdp.next_states[s, a, k]
        rewards = self.mdp.rewards[s, a, k]
        terminated = self.mdp.terminated[s, a, k]
        self.steps += 1
        limit = self.mdp.max_episode_steps
        truncated = ~terminated & (self.steps >= limit) if limit is not None else np.zeros_like(terminated)
        self.states = next_states.copy()
        return next_states, rewards, terminated, truncated


def _backup(mdp: TabularMDP, values: np.ndarray, gamma: float) -> np.ndarray:
    """(S, A) one-step lookahead ``sum_k p_k (r_k + gamma (1 - term_k) values[s'_k])``."""
    future = np.where(mdp.terminated, 0.0, values[mdp.next_states])
    return (mdp.probs * (mdp.rewards + gamma * future)).sum(axis=-1)


def value_iteration(mdp: TabularMDP, gamma: float = 0.99, tol: float = 1e-10,
                    max_iter: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """Optimal discounted values ``(V (S,), Q (S, A))``, with no value past a terminating outcome.

    ``Q(s, a) = sum_k p_k (r_k + gamma (1 - term_k) max_a' Q(s'_k, a'))``, iterated until the
    sup-norm change of V is below ``tol`` (then V is within ``tol gamma / (1 - gamma)`` of V*).

    >>> chain = TabularMDP(2, 1, [[[1.0]], [[1.0]]], [[[1]], [[1]]], [[[0.0]], [[1.0]]],
    ...                    [[[False]], [[False]]], [1.0, 0.0])
    >>> V, Q = value_iteration(chain, gamma=0.5)   # V1 = 1 + 0.5 V1 = 2; V0 = 0.5 V1 = 1
    >>> V.round(8)
    array([1., 2.])
    """
    gamma = check_real("gamma", gamma, 0.0, 1.0, high_open=True,
                       hint="Value iteration is infinite-horizon and needs gamma < 1; for gamma = 1 "
                            "use optimal_finite_horizon.")
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
    raise _fail(f"value iteration must converge to tol={tol} within max_iter={max_iter} sweeps",
                f"a last change of {delta!r}", "Raise max_iter or tol, or lower gamma.")


def _check_horizon(mdp: TabularMDP, horizon) -> int:
    horizon = mdp.max_episode_steps if horizon is None else horizon
    if horizon is None:
        raise _fail("a finite horizon is needed", f"horizon=None and {mdp.name} has no time limit",
                    "Pass horizon=<number of steps>.")
    return check_int("horizon", horizon, 1)


def _check_policy(mdp: TabularMDP, policy) -> np.ndarray:
    pi = np.asarray(policy, dtype=np.float64)
    shape = (mdp.num_states, mdp.num_actions)
    if pi.shape != shape:
        raise _fail(f"policy must be an (S, A) = {shape} array of action probabilities", f"shape {pi.shape}",
                    "Pass one row per state; greedy_policy(q) turns a Q table into one.")
    if not np.all(np.isfinite(pi)) or pi.min() < 0:
        raise _fail("policy entries must be finite and non-negative", f"min {np.nanmin(pi)!r}",
                    "Pass probabilities.")
    worst = np.abs(pi.sum(axis=1) - 1.0)
    if worst.max() > PROB_TOL:
        s = int(worst.argmax())
        raise _fail(f"every policy row must sum to 1 (within {PROB_TOL})", f"sum {pi[s].sum()!r} in row {s}",
                    "Normalize the rows.")
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
        raise _fail("q must be a non-empty (S, A) array without NaN", f"shape {q.shape}",
                    "Pass an agent's Q table or action-probability table.")
    policy = np.zeros_like(q)
    policy[np.arange(q.shape[0]), q.argmax(axis=1)] = 1.0
    return policy
