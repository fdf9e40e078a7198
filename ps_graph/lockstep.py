"""The set-up every batched agent shares: K agents in lockstep, one random stream each.

:class:`~ps_graph.batch.BatchedTwoLayerPS` and ``qbaselines.BatchedQLearning`` speak the
batched agent protocol (``act(states, active)``, ``observe(rewards, next_states,
terminated, truncated, active)``, one entry per agent) that :func:`ps_graph.batch.train_batch`
runs; this base class holds what they have in common and leaves the learning rule to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .checks import check_int
from .streams import AgentStreams, agent_seeds

__all__ = ["LockstepAgents"]


class LockstepAgents:
    """What every batched agent shares: K agents over S states and A actions in lockstep,
    one random stream per agent, and each agent's step awaiting ``observe``.

    A batched agent subclasses it, builds its config in :meth:`_configure` and allocates its
    tables in :meth:`_allocate` (both called by ``__init__``, in that order around the set-up).

    Parameters
    ----------
    num_states, num_actions, num_agents : int
    config : the agent's config, or its hyperparameters as keywords
    seed : int, sequence of K ints, or None
        A sequence gives agent k the seed ``seed[k]``; one int is a root seed from which K
        independent seeds are derived (:func:`~ps_graph.streams.agent_seeds`).

    >>> class Counting(LockstepAgents):
    ...     def _configure(self, config, hyperparameters):
    ...         return dict(hyperparameters)
    ...     def _allocate(self):
    ...         self.visits = np.zeros((self.num_agents, self.num_states), np.int64)
    >>> agents = Counting(3, 2, num_agents=4, seed=[0, 1, 2, 3], step=1)
    >>> agents.config, agents.visits.shape, agents.active_mask(None).tolist()
    ({'step': 1}, (4, 3), [True, True, True, True])
    """

    def __init__(
        self,
        num_states: int,
        num_actions: int,
        num_agents: int,
        *,
        config: Any = None,
        seed: int | Sequence[int] | None = None,
        **hyperparameters: Any,
    ) -> None:
        self.config = self._configure(config, hyperparameters)
        self.num_states = check_int("num_states", num_states, 1)
        self.num_actions = check_int("num_actions", num_actions, 1)
        k = self.num_agents = check_int("num_agents", num_agents, 1)
        self.seeds = agent_seeds(k, seed)
        self.streams = AgentStreams.from_seeds(self.seeds)
        self._agents = np.arange(k)
        self._pending_states = np.zeros(k, np.int64)
        self._pending_actions = np.zeros(k, np.int64)
        self._allocate()

    @classmethod
    def for_mdp(cls, mdp, num_agents: int, **kwargs: Any):
        """K agents for a :class:`~ps_graph.tabular.TabularMDP`."""
        return cls(mdp.num_states, mdp.num_actions, num_agents, **kwargs)

    def _configure(self, config: Any, hyperparameters: dict[str, Any]) -> Any:
        """The validated config from ``config`` or the keywords (e.g. with :func:`~ps_graph.checks.make_config`)."""
        raise NotImplementedError

    def _allocate(self) -> None:
        """Allocate the agent's own tables; ``num_*``, ``config`` and ``streams`` are set."""

    def active_mask(self, active: np.ndarray | None) -> np.ndarray:
        """The mask of agents that act: ``active`` as booleans, or every agent for None."""
        return np.ones(self.num_agents, bool) if active is None else np.asarray(active, bool)
