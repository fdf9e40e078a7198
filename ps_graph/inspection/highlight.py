"""One decision to highlight in a picture of the ECM: the excited percept clips, the clips
that decide, and the path the decision takes.

The static drawing (:func:`~ps_graph.inspection.drawing.draw_ecm`) and the interactive view
(:func:`~ps_graph.inspection.viz.to_html`) both take ``decision=observation`` (and
``last_decision=True`` for the decision the agent last took) and read it through
:func:`decision_highlight`, so both show the same clips. The path is the most probable one
(:func:`~ps_graph.inspection.explain.explain`: the most probable walk, or under
multi-excitation the most probable decider -> action edge), or ``agent.last_path``.

>>> import ps_graph
>>> from gymnasium import spaces
>>> agent = ps_graph.PSAgent(2, spaces.MultiDiscrete([2, 2]), percepts="factorized", seed=0)
>>> x0, x1 = agent.percepts([1, 0])
>>> _ = agent.ecm.add_edge(x1, ("action", 1), h=3.0)
>>> mark = decision_highlight(agent, [1, 0])
>>> mark.path, round(mark.probability, 4)        # weights 1, 1, 1, 3: P = 3/6
((('percept', (1, 0)), ('action', 1)), 0.5)
>>> mark.role(x1)
'decider (share 0.6667)'
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

from ..errors import ConfigError
from .explain import explain
from .sources import ecm_of

__all__ = ["DecisionHighlight", "decision_highlight", "highlight_option"]


@dataclass(frozen=True)
class DecisionHighlight:
    """The clips and edges of one decision (see :func:`decision_highlight`).

    Attributes
    ----------
    excited : tuple, the excited percept clips
    deciders : tuple, the clips that decide (under multi-excitation the deciders, largest
        share first; for a walk the percept clip it starts at)
    path : tuple, the decision's clips: a walk, or ``(decider, action)``
    probability : float or None, the path's probability (None for the last decision)
    last : bool, whether ``path`` is ``agent.last_path`` rather than the most probable path
    shares : dict, decider -> its share of the decision (multi-excitation only)
    """

    excited: tuple[Hashable, ...]
    deciders: tuple[Hashable, ...]
    path: tuple[Hashable, ...]
    probability: float | None = None
    last: bool = False
    shares: Mapping[Hashable, float] = field(default_factory=dict)

    @property
    def edges(self) -> list[tuple[Hashable, Hashable]]:
        """The path's edges, in order."""
        return list(zip(self.path, self.path[1:]))

    @property
    def what(self) -> str:
        """What the path is, for legends and tooltips."""
        if self.last:
            return "the last decision"
        return f"the most probable decision (P = {self.probability:.4f})"

    def role(self, clip: Hashable) -> str | None:
        """What ``clip`` is in the decision (for tooltips), or None."""
        roles = []
        if clip in self.shares:
            roles.append(f"decider (share {self.shares[clip]:.4f})")
        elif clip in self.deciders:
            roles.append("decider")
        if clip in self.excited and clip not in self.deciders:
            roles.append("excited percept clip")
        if clip in self.path and clip not in self.deciders:
            roles.append(f"on {self.what}")
        return ", ".join(roles) or None


def decision_highlight(source: object, observation: object, *, last: bool = False) -> DecisionHighlight:
    """The decision of ``source`` (a PS agent) on ``observation``, to highlight.

    ``last=True`` takes the path the agent last decided on (``agent.last_path``), which
    must start at one of the clips ``observation`` makes decide. Nothing is created; an
    observation the agent cannot explain raises as :func:`~ps_graph.inspection.explain.explain`
    does, and a bare ECM raises :class:`~ps_graph.errors.ConfigError`.
    """
    if not isinstance(last, bool):
        raise ConfigError(f"last_decision must be True or False; got {last!r}.")
    _, agent = ecm_of(source)
    if agent is None:
        raise ConfigError(
            "highlighting a decision needs the agent (it turns the observation into percept clips): "
            "pass the PSAgent itself, not its ECM."
        )
    e = explain(source, observation, k=1)
    deciders = tuple(d.clip for d in e.deciders) or e.excited
    if not last:
        path, p = e.paths[0]
        return DecisionHighlight(e.excited, deciders, tuple(path), p, False, {d.clip: d.share for d in e.deciders})
    taken = getattr(agent, "last_path", None)
    if not taken:
        raise ConfigError(
            "the agent has not decided yet (agent.last_path is None): call agent.act(observation) first, or "
            "pass last_decision=False to highlight the most probable decision."
        )
    if taken[0] not in deciders:
        raise ConfigError(
            f"the last decision started at {taken[0]!r}, which observation {observation!r} does not make decide "
            f"(its deciders: {list(deciders)!r}); pass the observation the agent last acted on."
        )
    return DecisionHighlight(e.excited, deciders, tuple(taken), None, True, {d.clip: d.share for d in e.deciders})


def highlight_option(source: object, decision: object, last_decision: bool) -> DecisionHighlight | None:
    """The views' ``decision=`` / ``last_decision=`` options: None when ``decision`` is None."""
    if decision is None:
        if last_decision is not False:
            raise ConfigError(
                "last_decision=True highlights the agent's last decision on an observation: pass it as "
                "decision=observation too."
            )
        return None
    return decision_highlight(source, decision, last=last_decision)
