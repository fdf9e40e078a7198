"""Exact action probabilities of an ECM: its random walk solved as an absorbing Markov chain.

The function behind :meth:`ECM.action_probabilities <ps_graph.ecm.ECM.action_probabilities>`:
the action clips absorb, every other clip reachable from the start is transient, and
``(I - Q) B = R`` gives the probability of ending at each action, without sampling.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import numpy as np

from .errors import WalkError


def action_probabilities(ecm, start: Hashable) -> dict[Hashable, float]:
    """Exact probability of ending at each action clip when ``ecm`` walks from ``start``."""
    if start not in ecm._node:
        raise KeyError(f"clip {start!r} is not in the ECM")
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
            raise WalkError(f"clip {clip!r} (reachable from {start!r}) has no out-edges, so no action is reached from it.")
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
