"""The set-up every batched agent shares: K agents in lockstep, one random stream each.

:class:`~ps_graph.batch.BatchedTwoLayerPS` and ``qbaselines.BatchedQLearning`` speak the
batched agent protocol (``act(states, active)``, ``observe(rewards, next_states,
terminated, truncated, active)``, one entry per agent) that :func:`ps_graph.batch.train_batch`
runs; this base class holds what they have in common and leaves the learning rule to them.

Batched agents index states 0..S-1: :class:`StateIndex` maps the observations of a finite
gymnasium space there (one mixed-radix index per observation), and :func:`env_sizes` reads
S, A and the number of copies off an environment (what :meth:`LockstepAgents.for_env` builds).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

from .checks import check_int
from .errors import ConfigError, EnvError, UnsupportedSpaceError
from .percepts import discrete_actions
from .streams import AgentStreams, agent_seeds

__all__ = ["LockstepAgents", "StateIndex", "env_sizes"]

_MAX_STATES = 2**62  # far beyond any table; keeps every index an int64

_BINNING_HINT = (
    "Batched agents index a finite set of states: discretize the observations first, e.g. "
    "ps_graph.envs.DiscretizeBox(env, bins=10), or for vector envs gym.make_vec(id, num_envs=K, "
    "vectorization_mode='sync', wrappers=[lambda env: ps_graph.envs.DiscretizeBox(env, bins=10)])."
)


def _radices(space: spaces.Space) -> tuple[list[int], list[int]]:
    """The mixed radix of a finite space: each digit's number of values and its first value."""
    if isinstance(space, spaces.Discrete):
        return [int(space.n)], [int(space.start)]
    if isinstance(space, spaces.MultiDiscrete):
        return [int(n) for n in space.nvec.ravel()], [int(s) for s in space.start.ravel()]
    if isinstance(space, spaces.MultiBinary):
        size = math.prod(space.shape)
        return [2] * size, [0] * size
    if isinstance(space, (spaces.Tuple, spaces.Dict)):
        radix: list[int] = []
        start: list[int] = []
        parts = space.spaces.values() if isinstance(space, spaces.Dict) else space.spaces
        for part in parts:
            r, s = _radices(part)
            radix += r
            start += s
        return radix, start
    kind = "is continuous (Box)" if isinstance(space, spaces.Box) else f"({type(space).__name__}) is not supported"
    raise UnsupportedSpaceError(
        f"observation space {space} {kind}; expected Discrete, MultiDiscrete, MultiBinary, or a Tuple/Dict "
        f"of those. {_BINNING_HINT}"
    )


def _digits(space: spaces.Space, batch: Any) -> np.ndarray:
    """A batch of observations of ``space`` as its digits, shape (K, number of digits)."""
    if isinstance(space, spaces.Tuple):
        return np.concatenate([_digits(s, b) for s, b in zip(space.spaces, batch, strict=True)], axis=1)
    if isinstance(space, spaces.Dict):
        return np.concatenate([_digits(s, batch[key]) for key, s in space.spaces.items()], axis=1)
    values = np.asarray(batch)
    return values.reshape(len(values), -1).astype(np.int64, copy=False)


class StateIndex:
    """The observations of a finite gymnasium space as state indices ``0..num_states-1``.

    Discrete(n, start) observations become ``obs - start``; MultiDiscrete, MultiBinary and
    Tuple / Dict of those are flattened to their digits (``start`` subtracted) and numbered in
    mixed radix (:func:`numpy.ravel_multi_index`, the last digit fastest). Box and other spaces
    raise :class:`~ps_graph.errors.UnsupportedSpaceError` (discretize them first,
    :class:`ps_graph.envs.DiscretizeBox`).

    Calling the index maps a batch (what a vector env returns: the leading axis, or each
    part's, is the copy); :meth:`of` maps a list of single observations.

    >>> index = StateIndex(spaces.MultiDiscrete([3, 2]))
    >>> index.num_states, index(np.array([[0, 0], [0, 1], [2, 1]])).tolist()
    (6, [0, 1, 5])
    >>> tup = StateIndex(spaces.Tuple((spaces.Discrete(2, start=1), spaces.MultiBinary(2))))
    >>> tup.num_states, tup((np.array([1, 2]), np.array([[0, 1], [1, 1]]))).tolist(), tup.of([(2, [1, 0])]).tolist()
    (8, [1, 7], [6])
    """

    def __init__(self, space: spaces.Space) -> None:
        radix, start = _radices(space)
        self.space = space
        self.num_states = math.prod(radix)
        if self.num_states > _MAX_STATES or self.num_states < 1:
            raise UnsupportedSpaceError(
                f"observation space {space} has {self.num_states} observations: too many to index as table rows. "
                "Use fewer bins, or a PSAgent with percepts='factorized' (one percept clip per observable)."
            )
        self._radix = np.array(radix, np.int64)
        self._dims = tuple(radix)
        self._start = np.array(start, np.int64)

    def __call__(self, batch: Any) -> np.ndarray:
        """State indices (K,) int64 of a batch of K observations."""
        digits = _digits(self.space, batch) - self._start
        if digits.shape[1] != len(self._dims):
            raise EnvError(
                f"observations of {self.space} have {len(self._dims)} values each; got {digits.shape[1]}. "
                "The env returns observations that do not match its observation space."
            )
        bad = (digits < 0) | (digits >= self._radix)
        if bad.any():
            row = int(np.flatnonzero(bad.any(axis=1))[0])
            raise EnvError(
                f"copy {row}'s observation {(digits[row] + self._start).tolist()} lies outside the observation "
                f"space {self.space}. The env returns observations that do not match its observation space."
            )
        if len(self._dims) == 1:
            return digits[:, 0]
        return np.ravel_multi_index(tuple(digits.T), self._dims).astype(np.int64, copy=False)

    def of(self, observations: Sequence[Any]) -> np.ndarray:
        """State indices of single observations (e.g. a SyncVectorEnv's ``infos["final_obs"]`` entries)."""
        from gymnasium.vector.utils import concatenate, create_empty_array

        out: Any = create_empty_array(self.space, len(observations))
        return self(concatenate(self.space, list(observations), out))


def env_sizes(env: Any) -> tuple[int, int, int | None]:
    """``(num_states, num_actions, num_copies)`` of a :class:`~ps_graph.tabular.TabularMDP`, a
    :class:`~ps_graph.tabular.VectorMDP`, a gymnasium ``VectorEnv`` (its single spaces) or a
    gymnasium ``Env``; ``num_copies`` is None for one MDP or env.

    >>> import gymnasium as gym
    >>> env_sizes(gym.make_vec("FrozenLake-v1", num_envs=3, vectorization_mode="sync"))
    (16, 4, 3)
    """
    from gymnasium import Env
    from gymnasium.vector import VectorEnv

    from .tabular import TabularMDP, VectorMDP

    if isinstance(env, TabularMDP):
        return env.num_states, env.num_actions, None
    if isinstance(env, VectorMDP):
        return env.mdp.num_states, env.mdp.num_actions, env.num_envs
    if isinstance(env, VectorEnv):
        obs, act, copies = env.single_observation_space, env.single_action_space, env.num_envs
    elif isinstance(env, Env):
        obs, act, copies = env.observation_space, env.action_space, None
    else:
        raise ConfigError(
            f"expected a TabularMDP, a VectorMDP, a gymnasium VectorEnv or Env; got {type(env).__name__}. "
            "Build one with ps_graph.tabular.from_id(id) or gym.make_vec(id, num_envs=K)."
        )
    return StateIndex(obs).num_states, len(discrete_actions(act)), copies


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

    @classmethod
    def for_env(cls, env: Any, num_agents: int | None = None, **kwargs: Any):
        """K agents sized for ``env`` (:func:`env_sizes`): a gymnasium ``VectorEnv`` (K defaults to
        its ``num_envs``), a :class:`~ps_graph.tabular.VectorMDP` (likewise), a
        :class:`~ps_graph.tabular.TabularMDP` or a gymnasium ``Env`` (give ``num_agents``).
        States are the observation space's :class:`StateIndex`, actions the Discrete action space's."""
        num_states, num_actions, copies = env_sizes(env)
        if num_agents is None:
            if copies is None:
                raise ConfigError(
                    f"num_agents is needed for a single {type(env).__name__}: pass num_agents=K, or a vector env "
                    "(gym.make_vec(id, num_envs=K)) whose num_envs gives K."
                )
            num_agents = copies
        return cls(num_states, num_actions, num_agents, **kwargs)

    def _configure(self, config: Any, hyperparameters: dict[str, Any]) -> Any:
        """The validated config from ``config`` or the keywords (e.g. with :func:`~ps_graph.checks.make_config`)."""
        raise NotImplementedError

    def _allocate(self) -> None:
        """Allocate the agent's own tables; ``num_*``, ``config`` and ``streams`` are set."""

    def active_mask(self, active: np.ndarray | None) -> np.ndarray:
        """The mask of agents that act: ``active`` as booleans, or every agent for None."""
        return np.ones(self.num_agents, bool) if active is None else np.asarray(active, bool)
