"""The exact reference a report draws the learning curves against.

:func:`exact_optimum` solves an environment that has a transition table (toy-text-style
environments with ``P``, see :mod:`ps_graph.tabular`) exactly; :class:`Optimum` says what
was computed and how.

>>> best = exact_optimum("FrozenLake-v1", max_steps=200)
>>> best.method, best.horizon, best.comparable
('finite-horizon', 100, True)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..errors import ConfigError

__all__ = ["Optimum", "exact_optimum"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Optimum:
    """The exact optimum of an environment with a transition table.

    ``method`` is ``"finite-horizon"`` (:func:`ps_graph.tabular.optimal_finite_horizon`:
    the best undiscounted expected return within ``horizon`` steps, and its success
    probability, comparable with the learning curves) or ``"value-iteration"``
    (:func:`ps_graph.tabular.value_iteration`: the optimal discounted value of the start
    state(s) with discount ``gamma``, for environments without an episode limit).

    >>> Optimum("E", "value-iteration", -12.2, None, None, 0.99).comparable
    False
    """

    env: str
    method: str
    value: float
    success_probability: float | None
    horizon: int | None
    gamma: float

    @property
    def comparable(self) -> bool:
        """Whether :attr:`value` is an undiscounted return, on the learning curves' scale."""
        return self.method == "finite-horizon"

    def describe(self) -> str:
        """One sentence saying what was computed, how, and the numbers.

        >>> Optimum("E", "finite-horizon", 1.0, 1.0, 99, 1.0).describe()[:54]
        'best expected return within 99 steps (undiscounted): 1'
        """
        if self.comparable:
            return (
                f"best expected return within {self.horizon} steps (undiscounted): {self.value:.4g}, "
                f"reaching the goal with probability {self.success_probability:.4g}; exact backward "
                "induction over the environment's own transition table "
                "(ps_graph.tabular.optimal_finite_horizon), horizon = the episode limit"
            )
        return (
            f"optimal discounted value of the start state(s), gamma = {self.gamma:g}: {self.value:.4g}; "
            "value iteration over the environment's own transition table (ps_graph.tabular.value_iteration). "
            "The environment has no episode limit, so there is no finite-horizon optimum; the learning "
            "curves show undiscounted returns, so this value is not drawn on them"
        )


def exact_optimum(env, *, max_steps: int | None = None, gamma: float = 0.99) -> Optimum | None:
    """The exact optimum of ``env`` (an id or :class:`~ps_graph.experiments.EnvSpec`), or None
    when it has no transition table (only toy-text-style envs with ``P`` do, see
    :mod:`ps_graph.tabular`).

    The horizon is the episode limit the runs had: the smaller of ``max_steps`` (the train
    loop's cut) and the environment's own time limit. With neither, value iteration's
    discounted value (``gamma``) is given instead; :attr:`Optimum.method` says which.

    >>> from ps_graph.experiments import EnvSpec
    >>> best = exact_optimum(EnvSpec("FrozenLake-v1", {"is_slippery": False}), max_steps=99)
    >>> best.method, best.horizon, best.value, best.success_probability
    ('finite-horizon', 99, 1.0, 1.0)
    >>> exact_optimum("CartPole-v1") is None
    True
    """
    from .. import tabular
    from ..checks import check_int
    from ..experiments import EnvSpec, make_env

    spec = EnvSpec(env) if isinstance(env, str) else env
    if not isinstance(spec, EnvSpec):
        raise ConfigError(f"env must be an environment id or an EnvSpec; got {type(env).__name__}.")
    if max_steps is not None:
        max_steps = check_int("max_steps", max_steps, 1)
    made = make_env(spec)
    try:
        if not isinstance(getattr(made.unwrapped, "P", None), dict):
            return None
        try:
            mdp = tabular.from_env(made)
        except tabular.TabularError as exc:
            logger.info("no exact optimum for %s: %s", spec.name, exc)
            return None
    finally:
        made.close()
    limits = [h for h in (max_steps, mdp.max_episode_steps) if h is not None]
    if limits:
        horizon = min(limits)
        best = tabular.optimal_finite_horizon(mdp, horizon=horizon)
        return Optimum(spec.name, "finite-horizon", best.expected_return, best.success_probability, horizon, 1.0)
    values, _ = tabular.value_iteration(mdp, gamma=gamma)
    return Optimum(spec.name, "value-iteration", float(mdp.initial @ values), None, None, float(gamma))
