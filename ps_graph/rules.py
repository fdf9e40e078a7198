"""The PS update math, in one place.

Every core of ps_graph (the networkx graph core in :mod:`ps_graph.ecm`, the matrix fast
path) calls these small pure functions; nothing else re-implements the equations.
Each function accepts a Python float or a numpy array (element-wise), except where the
docstring says it works on one row of out-edges.

The model (Briegel & De las Cuevas 2012; Mautner et al. 2015), per agent step t:

* deliberation hops from clip i to clip j with probability
  ``P(i, j) = h_ij / sum_k h_ik`` ("standard") or ``softmax(beta h_i.)_j`` ("softmax");
* every glow value decays, ``g <- (1 - eta) g``, then each traversed edge glows:
  ``g <- 1`` ("replace") or ``g <- g + 1`` ("accumulate");
* after the reward R, every edge learns ``h <- h - gamma (h - h0) + g R``.

Lazy cores apply k steps of damping or glow decay at once through the closed forms
:func:`damp` and :func:`decay_glow`.

Examples
--------
>>> damp(3.0, gamma_damping=0.5)           # 3 - 0.5 * (3 - 1)
2.0
>>> damp(3.0, gamma_damping=0.5, steps=2)  # 1 + 0.5**2 * (3 - 1)
1.5
>>> decay_glow(1.0, eta_glow_damping=0.5, steps=3)
0.125
>>> hopping_probabilities([1.0, 3.0])
[0.25, 0.75]
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import TypeVar, overload

import numpy as np

from .errors import WalkError

__all__ = [
    "DEFAULT_H_FLOOR",
    "H0",
    "GLOW_MODES",
    "POLICIES",
    "backdated_reward_step",
    "damp",
    "decay_glow",
    "floor_h",
    "glow_after_traversal",
    "hopping_probabilities",
    "hopping_weights",
    "learn_step",
    "MAX_PRIMING",
    "MAX_VOTES",
    "majority_decision",
    "majority_probabilities",
    "majority_vote",
    "max_backdate_steps",
    "reward_step",
    "sample_index",
    "softmax_weights",
]

POLICIES = ("standard", "softmax")
GLOW_MODES = ("replace", "accumulate")

#: Lowest h-value an edge can hold. A negative reward that would push h to or below
#: zero leaves it here instead, so "standard" hopping probabilities stay defined.
DEFAULT_H_FLOOR = 1e-6

#: The largest priming term an action may get (``ECM.set_priming``): ``exp(beta * 1e6)``
#: already makes a primed action certain; larger values are typos.
MAX_PRIMING = 1e6

#: The most walks a majority vote may take (``PSConfig.votes``); its exact outcome
#: probabilities (:func:`majority_probabilities`) stay within floating-point range.
MAX_VOTES = 101

Value = TypeVar("Value", float, np.ndarray)


#: An initial value damping pulls towards: one for every edge, or one per element of ``h``.
H0 = float | Sequence[float] | np.ndarray


@overload
def damp(h: float, gamma_damping: float, h0: float = ..., steps: int = ...) -> float: ...
@overload
def damp(h: np.ndarray, gamma_damping: float, h0: H0 = ..., steps: int | np.ndarray = ...) -> np.ndarray: ...
@overload
def damp(h: list[float] | array[float], gamma_damping: float, h0: H0 = ..., steps: int = ...) -> Sequence[float]: ...
def damp(
    h: float | np.ndarray | list[float] | array[float],
    gamma_damping: float,
    h0: H0 = 1.0,
    steps: int | np.ndarray = 1,
) -> float | np.ndarray | Sequence[float | np.ndarray]:
    """Damping (forgetting) applied ``steps`` times.

    One step is ``h <- h - gamma (h - h0)``; k steps in closed form are
    ``h <- h0 + (1 - gamma)**k (h - h0)``. A list or ``array('d')`` of values gives a list
    (or ``h`` itself when nothing decays). ``h0`` is one value for every element, or one per
    element of ``h`` (a sequence or array of the same length, or an array broadcasting
    against ``h``): each edge is pulled towards its own initial value, with the same
    arithmetic, so an ``h0`` sequence of equal values gives bit for bit the scalar's result.

    >>> damp([3.0, 0.5], gamma_damping=0.5, h0=[1.0, 0.1])   # 1 + 0.5 * 2, 0.1 + 0.5 * 0.4
    [2.0, 0.30000000000000004]
    """
    if gamma_damping == 0.0 or (np.isscalar(steps) and steps == 0):
        return h
    factor = (1.0 - gamma_damping) ** steps
    if isinstance(h, (list, array)):  # one clip's out-edges: the factor is computed once
        if isinstance(h0, (float, int)):
            return [h0 + factor * (x - h0) for x in h]
        return [c + factor * (x - c) for x, c in zip(h, h0, strict=True)]
    if not isinstance(h0, (float, int, np.ndarray)):
        h0 = np.asarray(h0, dtype=float)
    return h0 + factor * (h - h0)


def decay_glow(g: Value, eta_glow_damping: float, steps: int = 1) -> Value:
    """Glow decay applied ``steps`` times: ``g <- (1 - eta)**k g`` (``steps`` may be an array)."""
    if np.isscalar(steps) and steps == 0:
        return g
    return (1.0 - eta_glow_damping) ** steps * g


@overload
def reward_step(h: float, g: float, reward: float) -> float: ...
@overload
def reward_step(h: np.ndarray, g: np.ndarray, reward: float | np.ndarray) -> np.ndarray: ...
def reward_step(h: float | np.ndarray, g: float | np.ndarray, reward: float | np.ndarray) -> float | np.ndarray:
    """The reward term of learning: ``h <- h + g R`` (``R`` may be an array broadcast against arrays)."""
    return h + g * reward


def backdated_reward_step(h: Value, g: Value, reward: float, gamma_damping: float, steps: int) -> Value:
    """The reward step applied to a value last brought up to date ``steps`` damping steps ago.

    Damping is linear, so adding ``g R`` now equals adding ``g R (1 - gamma)**-steps`` to the
    stored value and damping it afterwards:
    ``damp(backdated_reward_step(h, g, R, gamma, k), gamma, steps=k) == damp(h, gamma, steps=k) + g R``.
    Lazy cores use it to reward one edge without bringing its siblings up to date.

    It does not depend on h0, so it serves per-edge initial values unchanged. With
    ``f = (1 - gamma)**n`` and closed-form damping ``damp(x) = h0 + f (x - h0)``, the stored
    ``h_s'`` must satisfy ``damp(h_s') = damp(h_s) + g R``, i.e.
    ``h0 + f (h_s' - h0) = h0 + f (h_s - h0) + g R``; the h0 cancel:
    ``(h_s' - h0) f = (h_s - h0) f + g R``, hence ``h_s' = h_s + g R / f`` for any h0.

    >>> h = backdated_reward_step(3.0, 1.0, 2.0, gamma_damping=0.5, steps=1)
    >>> damp(h, 0.5), damp(3.0, 0.5) + 2.0
    (4.0, 4.0)
    """
    if steps == 0 or gamma_damping == 0.0:
        return h + g * reward
    return h + g * reward / (1.0 - gamma_damping) ** steps


def max_backdate_steps(gamma_damping: float, min_factor: float = 1e-12) -> int:
    """How many steps back :func:`backdated_reward_step` may reach while
    ``(1 - gamma)**steps >= min_factor`` (beyond that, bring the value up to date first).

    >>> max_backdate_steps(0.5)
    39
    """
    if gamma_damping == 0.0:
        return 2**62  # nothing decays: any age is fine
    if gamma_damping >= 1.0:
        return -1  # everything is forgotten each step: never back-date
    return int(min(math.log(min_factor) / math.log1p(-gamma_damping), 2**62))


def floor_h(h: Value, h_floor: float = DEFAULT_H_FLOOR) -> Value:
    """Keep h at or above ``h_floor`` (negative rewards never make h <= 0)."""
    if isinstance(h, np.ndarray):
        return np.maximum(h, h_floor)
    return h if h >= h_floor else h_floor


def learn_step(
    h: Value,
    g: Value,
    reward: float,
    gamma_damping: float,
    h0: float = 1.0,
    h_floor: float = DEFAULT_H_FLOOR,
) -> Value:
    """One full learning step of an edge: ``h <- max(h - gamma (h - h0) + g R, h_floor)``.

    >>> learn_step(2.0, 0.5, reward=1.0, gamma_damping=0.1)   # 2 - 0.1 * 1 + 0.5
    2.4
    """
    return floor_h(reward_step(damp(h, gamma_damping, h0), g, reward), h_floor)


def glow_after_traversal(g: Value, glow: str = "replace") -> Value:
    """Glow of an edge just traversed: 1 ("replace") or ``g + 1`` ("accumulate")."""
    if glow == "replace":
        return 1.0 if not isinstance(g, np.ndarray) else np.ones_like(g)
    return g + 1.0


def softmax_weights(h, beta_softmax: float):
    """Unnormalized, overflow-free softmax weights ``exp(beta (h_j - max_k h_k))``.

    Works on a sequence of floats (returns a list) or on an array (along the last axis).
    """
    if isinstance(h, np.ndarray):
        return np.exp(beta_softmax * (h - h.max(axis=-1, keepdims=True)))
    top = max(h)
    return [math.exp(beta_softmax * (x - top)) for x in h]


def hopping_weights(h, policy: str = "standard", beta_softmax: float = 1.0, priming=None):
    """Unnormalized hopping weights of one clip's out-edges (``h`` itself for "standard").

    ``priming`` (softmax only; the projective_simulation library's ``Priming_ECM``) adds a
    term per edge inside the softmax, ``w_j = exp(beta (h_j + prime_j))``: a sequence as long
    as ``h`` (0 for an edge to a clip that is not primed), or None.

    >>> hopping_weights([1.0, 1.0], "softmax", 1.0, priming=[0.0, math.log(3.0)])
    [0.3333333333333332, 1.0]
    """
    if policy == "standard":
        return h
    if priming is not None:
        h = h + priming if isinstance(h, np.ndarray) else [x + p for x, p in zip(h, priming, strict=True)]
    return softmax_weights(h, beta_softmax)


def hopping_probabilities(h, policy: str = "standard", beta_softmax: float = 1.0, priming=None):
    """Hopping probabilities of one clip's out-edges, ``w_j / sum_k w_k``.

    >>> hopping_probabilities([0.0, 0.0], policy="softmax")
    [0.5, 0.5]
    """
    w = hopping_weights(h, policy, beta_softmax, priming)
    if isinstance(w, np.ndarray):
        return w / w.sum(axis=-1, keepdims=True)
    total = sum(w)
    return [x / total for x in w]


@overload
def sample_index(weights: Sequence[float] | np.ndarray, u: float) -> int: ...
@overload
def sample_index(weights: np.ndarray, u: np.ndarray) -> np.ndarray: ...
def sample_index(weights: Sequence[float] | np.ndarray, u: float | np.ndarray) -> int | np.ndarray:
    """Inverse-CDF sampling: the first index j with ``u * sum(w) < w_0 + ... + w_j``.

    ``u`` is one uniform draw in [0, 1), so every core consumes exactly one random
    number per hop and cores given the same stream choose the same clips. A 2-D array of
    weights (one row per walker) with an array of uniforms gives an index per row.

    >>> sample_index([1.0, 1.0, 2.0], 0.49)
    1
    >>> sample_index(np.array([[1.0, 1.0, 2.0], [1.0, 1.0, 2.0]]), np.array([0.1, 0.9])).tolist()
    [0, 2]
    """
    if isinstance(weights, np.ndarray):
        cdf = np.cumsum(weights, axis=-1)
        if cdf.ndim > 1:  # one row per walker, one uniform each: an index per row
            j = np.count_nonzero(cdf <= (np.asarray(u)[..., None] * cdf[..., -1:]), axis=-1)
            return np.minimum(j, cdf.shape[-1] - 1)
        return min(int(np.searchsorted(cdf, u * cdf[-1], side="right")), len(cdf) - 1)
    sums = list(accumulate(weights))  # sequential sums, as np.cumsum
    j = bisect_right(sums, u * sums[-1])
    return j if j < len(sums) else len(sums) - 1  # u * total rounded up to total: the last edge


def majority_vote(ends: Sequence[int]) -> int:
    """The majority of ``ends`` (action positions reached by the votes' walks): the position
    reached most often, the lowest of ties.

    >>> majority_vote([2, 0, 2, 0, 1])
    0
    """
    counts: dict[int, int] = {}
    for j in ends:
        counts[j] = counts.get(j, 0) + 1
    return min(counts, key=lambda j: (-counts[j], j))


def majority_probabilities(p: Sequence[float], votes: int) -> list[float]:
    """Exact probability that :func:`majority_vote` of ``votes`` independent walks picks each
    position, when one walk ends at position j with probability ``p[j]``.

    Position a wins with c of the votes when every earlier position got fewer than c and
    every later one at most c. Summing the multinomial probabilities
    ``votes! prod_j p_j**c_j / c_j!`` over those counts is a product of truncated
    polynomials in x (one per other position), read at ``x**(votes - c)``.

    >>> [round(q, 6) for q in majority_probabilities([0.5, 0.5], 2)]   # a 1-1 tie goes to 0
    [0.75, 0.25]
    >>> [round(q, 6) for q in majority_probabilities([0.6, 0.4], 3)]   # 0.6**3 + 3 * 0.6**2 * 0.4
    [0.648, 0.352]
    """
    p = [float(x) for x in p]
    n, m = votes, len(p)
    log_n = math.lgamma(n + 1)
    out = []
    for a in range(m):
        total = 0.0
        for c in range(1, n + 1):
            if p[a] == 0.0:
                break
            poly = np.zeros(n - c + 1)
            poly[0] = 1.0
            for b in range(m):
                if b == a:
                    continue
                top = min(c - 1 if b < a else c, n - c)
                j = np.arange(top + 1)
                terms = (
                    np.exp(j * math.log(p[b]) - np.array([math.lgamma(k + 1) for k in j]))
                    if p[b] > 0
                    else ((j == 0).astype(float))
                )
                poly = np.convolve(poly, terms)[: n - c + 1]
            if len(poly) > n - c:
                total += float(poly[n - c]) * math.exp(log_n - math.lgamma(c + 1) + c * math.log(p[a]))
        out.append(total)
    return out


def majority_decision(walk_once, votes: int, position, max_walks: int = 1_000_000):
    """Majority voting: ``votes`` walks (``walk_once()`` -> path), the action most of them
    reached (:func:`majority_vote` on ``position(path)``, the action's position
    in the agent's actions), then walks until one reaches it; returns that walk, whose
    edges are the ones to glow. One walk (``votes`` = 1) is returned as it is."""
    path = walk_once()
    if votes == 1:
        return path
    ends = [position(path)] + [position(walk_once()) for _ in range(votes - 1)]
    winner = majority_vote(ends)
    for _ in range(max_walks):
        path = walk_once()
        if position(path) == winner:
            return path
    raise WalkError(f"no walk reached the majority action within {max_walks} walks after the vote.")
