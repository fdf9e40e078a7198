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

from ..errors import TabularError  # re-exported: TabularError lives in ps_graph.errors
from .mdp import PROB_TOL, SUPPORTED_ENVS, PolicyValue, TabularMDP, from_env, from_id
from .solve import evaluate_policy, greedy_policy, optimal_finite_horizon, value_iteration
from .vector import VectorMDP

__all__ = [
    "PROB_TOL",
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
