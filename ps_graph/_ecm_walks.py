"""An ECM's random walks: sampled (one walk) and exact (its action probabilities).

The functions behind :meth:`ECM.walk <ps_graph.ecm.ECM.walk>` and
:meth:`ECM.action_probabilities <ps_graph.ecm.ECM.action_probabilities>`. For the exact
probabilities the action clips absorb, every other clip reachable from the start is
transient, and ``(I - Q) B = R`` gives the probability of ending at each action, without
sampling.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import numpy as np

from . import rules
from .checks import check_real, show
from .errors import ConfigError, WalkError


def check_priming(ecm, priming) -> dict[Hashable, float]:
    """``priming`` checked against ``ecm``: a mapping action clip -> finite term, softmax policy only."""
    if not isinstance(priming, dict):
        raise ConfigError(f"priming must be a dict {{action clip: term}}; got {type(priming).__name__}.")
    if priming and ecm.policy != "softmax":
        raise ConfigError(
            "priming adds a term inside the softmax, so it needs policy='softmax'; this ECM's policy is "
            f"{ecm.policy!r}. Create the agent with policy='softmax' (and beta_softmax) to prime actions."
        )
    out = {}
    for clip, value in priming.items():
        if clip not in ecm._actions:
            raise ConfigError(
                f"priming names {show(clip)}, which is not an action clip of this ECM; "
                f"the action clips are {', '.join(map(show, ecm._actions))}."
            )
        hint = f"A priming term is a finite number of size at most {rules.MAX_PRIMING:g}."
        out[clip] = check_real(f"priming[{show(clip)}]", value, -rules.MAX_PRIMING, rules.MAX_PRIMING, hint=hint)
    return out


def walk(ecm, start: Hashable, rng: np.random.Generator) -> list[Hashable]:
    """A random walk from ``start`` to an action clip in ``ecm`` (see ``ECM.walk``)."""
    rows, actions = ecm._rows, ecm._actions
    row = rows.get(start)
    if row is None:
        if start in actions:
            raise WalkError(f"walks start at a percept or hidden clip; {start!r} is an action clip.")
        raise ecm._unknown(start)
    policy, beta, current, prime = ecm.policy, ecm.beta_softmax, ecm._store.current, ecm.prime_row
    path = [start]
    for _ in range(ecm.max_hops):
        h = current(row)
        if not row.targets:
            raise WalkError(
                f"clip {path[-1]!r} has no out-edges, so the walk from {start!r} cannot reach an action. "
                "Connect it to actions or hidden clips (ECM.connect)."
            )
        j = rules.sample_index(rules.hopping_weights(h, policy, beta, prime(row.targets)), rng.random())
        clip = row.targets[j]
        path.append(clip)
        if clip in actions:
            return path
        row = rows[clip]
    raise WalkError(
        f"the walk from {start!r} did not reach an action clip within max_hops={ecm.max_hops} hops; "
        "the ECM may have cycles among hidden clips with little weight towards actions. "
        "Raise max_hops or check the hidden-clip wiring."
    )


def action_probabilities(ecm, start: Hashable) -> dict[Hashable, float]:
    """Exact probability of ending at each action clip when ``ecm`` walks from ``start``."""
    if start not in ecm._node:
        raise ecm._unknown(start)
    if start in ecm._actions:
        return {start: 1.0}
    transient: list[Hashable] = [start]
    index = {start: 0}
    actions: dict[Hashable, int] = {}
    rows: list[dict[Hashable, float]] = []
    i = 0
    while i < len(transient):
        clip = transient[i]
        probs = ecm.probabilities(clip)
        if not probs:
            raise WalkError(
                f"clip {clip!r} (reachable from {start!r}) has no out-edges, so no action is reached from it."
            )
        rows.append(probs)
        for target in probs:
            if target in ecm._actions:
                actions.setdefault(target, len(actions))
            elif target not in index:
                index[target] = len(transient)
                transient.append(target)
        i += 1
    if len(transient) == 1:
        return dict(rows[0])
    q = np.zeros((len(transient), len(transient)))
    r = np.zeros((len(transient), len(actions)))
    for i, probs in enumerate(rows):
        for target, p in probs.items():
            if target in actions:
                r[i, actions[target]] += p
            else:
                q[i, index[target]] += p
    try:
        b = np.linalg.solve(np.eye(len(transient)) - q, r)
    except np.linalg.LinAlgError:
        b = None
    if b is None or not np.all(np.isfinite(b)) or not math.isclose(float(b[0].sum()), 1.0, abs_tol=1e-9):
        raise WalkError(
            f"walks from {start!r} can cycle among hidden clips forever without reaching an action; "
            "every hidden clip needs a path to some action."
        )
    return {a: float(b[0, k]) for a, k in actions.items()}


def longest_walk(edges: list[tuple]) -> int | None:
    """The most hops a walk along ``edges`` (source, target, ...) can take; None if they form a cycle."""
    targets: dict = {}
    waiting: dict = {}  # clip -> its sources not yet ordered
    for s, t, *_ in edges:
        targets.setdefault(s, []).append(t)
        waiting[t] = waiting.get(t, 0) + 1
        waiting.setdefault(s, 0)
    hops = dict.fromkeys(waiting, 0)
    ready = [clip for clip, n in waiting.items() if n == 0]
    done = 0
    while ready:
        clip = ready.pop()
        done += 1
        for t in targets.get(clip, ()):
            hops[t] = max(hops[t], hops[clip] + 1)
            waiting[t] -= 1
            if not waiting[t]:
                ready.append(t)
    return max(hops.values(), default=0) if done == len(waiting) else None
