"""The tabular MDP: :class:`TabularMDP` (a toy-text env's table as arrays), :class:`PolicyValue`,
:func:`from_env` and :func:`from_id`.

>>> mdp = from_id("FrozenLake-v1", is_slippery=False)
>>> mdp.probs.shape, mdp.name          # (S, A, K): one outcome per (s, a), no slipping
((16, 4, 1), "FrozenLake-v1(is_slippery=False, map_name='4x4')")
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import check_int
from ..errors import TabularError

__all__ = ["PROB_TOL", "SUPPORTED_ENVS", "PolicyValue", "TabularMDP", "from_env", "from_id"]

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
                raise _fail(
                    f"{key} must have shape (num_states, num_actions, K) = ({S}, {A}, K >= 1)",
                    f"shape {arr.shape}",
                    "Pass one entry per (state, action, outcome).",
                )
        p, ns, r = arrays["probs"], arrays["next_states"], arrays["rewards"]
        if not np.all(np.isfinite(p)) or p.min() < 0:
            raise _fail("probs must be finite and non-negative", f"min {p.min()!r}", "Fix the table.")
        worst = np.abs(p.sum(axis=-1) - 1.0)
        if worst.max() > PROB_TOL:
            s, a = np.unravel_index(int(worst.argmax()), worst.shape)
            raise _fail(
                f"the outcome probabilities of every (s, a) must sum to 1 (within {PROB_TOL})",
                f"sum {p[s, a].sum()!r} at s={s}, a={a}",
                "Normalize that row.",
            )
        if ns.min() < 0 or ns.max() >= S:
            raise _fail(f"next_states must lie in [0, {S})", f"[{ns.min()}, {ns.max()}]", "Check num_states.")
        if not np.all(np.isfinite(r)):
            raise _fail("rewards must be finite", "NaN or inf", "Fix the reward table.")
        init = np.array(self.initial, dtype=np.float64)
        if init.shape != (S,) or init.min() < 0 or abs(init.sum() - 1.0) > PROB_TOL:
            raise _fail(
                f"initial must be a probability vector of length {S}",
                f"shape {init.shape}, sum {init.sum()!r}",
                "Pass a distribution over states.",
            )
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
        raise _fail(
            "tabular needs a toy-text env with a `P` transition table "
            "(P[s][a] = [(prob, next_state, reward, terminated), ...])",
            f"{type(base).__name__}, which has no `P` transition table",
            f"Use a toy-text env such as {supported}.",
        )
    if getattr(base, "fickle_passenger", False):
        raise _fail(
            "Taxi's transition table must describe all of its dynamics",
            "fickle_passenger=True, whose destination changes are not in `P`",
            "Make the env with fickle_passenger=False.",
        )
    S = int(base.observation_space.n)
    A = int(base.action_space.n)
    if sorted(table) != list(range(S)) or any(sorted(table[s]) != list(range(A)) for s in table):
        raise _fail(
            f"P must have states 0..{S - 1}, each with actions 0..{A - 1}",
            f"{len(table)} states",
            "Pass an env whose P matches its spaces.",
        )
    K = max(len(table[s][a]) for s in range(S) for a in range(A))
    probs, rewards = np.zeros((S, A, K)), np.zeros((S, A, K))
    next_states = np.zeros((S, A, K), dtype=np.int64)
    terminated = np.zeros((S, A, K), dtype=bool)
    for s in range(S):
        for a in range(A):
            for k, (p, ns, r, t) in enumerate(table[s][a]):
                probs[s, a, k], next_states[s, a, k], rewards[s, a, k], terminated[s, a, k] = p, ns, r, t
            next_states[s, a, len(table[s][a]) :] = s  # padding: prob 0, stays put
    initial = getattr(base, "initial_state_distrib", None)
    if initial is None:
        raise _fail(
            "tabular needs the env's initial-state distribution",
            "no `initial_state_distrib`",
            f"Use a toy-text env such as {supported}.",
        )
    spec = getattr(env, "spec", None)
    return TabularMDP(
        S,
        A,
        probs,
        next_states,
        rewards,
        terminated,
        initial,
        getattr(spec, "max_episode_steps", None),
        _spec_name(env),
    )


def from_id(env_id: str, **kwargs) -> TabularMDP:
    """``from_env(gymnasium.make(env_id, **kwargs))``, closing the env afterwards."""
    import gymnasium as gym

    env = gym.make(env_id, **kwargs)
    try:
        return from_env(env)
    finally:
        env.close()
