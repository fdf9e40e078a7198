"""Observations to percept keys, and Discrete action spaces to action lists.

A percept key is a hashable plain-Python value: an ``int`` for a Discrete observation, a
tuple of ints for MultiDiscrete / MultiBinary, and a tuple of the parts' keys for Tuple
and Dict spaces (Dict in the space's key order). Continuous (Box) observations have no
finite set of percepts; discretize them first.

>>> from gymnasium import spaces
>>> encode = percept_encoder(spaces.Tuple((spaces.Discrete(3), spaces.MultiDiscrete([2, 2]))))
>>> encode((2, [1, 0]))
(2, (1, 0))
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
from gymnasium import spaces

from .checks import check_int, printable
from .errors import ConfigError, UnsupportedSpaceError

__all__ = ["MAX_ACTIONS", "action_list", "discrete_actions", "hashable_observation", "percept_encoder"]

#: The most actions an agent may choose among (2**20). Every agent's cost per percept is
#: linear in it: a PS percept clip is wired to every action on first sight (an edge costs
#: about 500 bytes in the graph core, 16 in the flat table) and a Q-table row holds a float
#: per action, so 2**20 actions already cost 8 MB to 500 MB per percept. Beyond it lie typos
#: and overflows (``PSAgent(2**70)``), never a useful agent.
MAX_ACTIONS = 1 << 20
_ACTIONS_HINT = f"Give at most {MAX_ACTIONS} (2**20) actions: the number of actions or a Discrete action space."

_BOX_HINT = (
    "Projective simulation needs a finite set of percepts: discretize the observations first, "
    "e.g. env = ps_graph.envs.DiscretizeBox(env, bins=10) (or gymnasium.wrappers.DiscretizeObservation)."
)


def _ints(obs) -> tuple[int, ...]:
    return tuple(int(x) for x in np.asarray(obs).ravel())


def hashable_observation(obs: object) -> Hashable:
    """Percept key when no observation space is given: arrays become tuples of ints."""
    if isinstance(obs, np.ndarray):
        return tuple(int(x) for x in obs.ravel())
    if isinstance(obs, np.integer):
        return int(obs)
    try:
        hash(obs)
    except TypeError:
        raise ConfigError(
            f"observation {obs!r} is not hashable and no observation space was given; "
            "create the agent with PSAgent.for_env(env) so observations can be encoded."
        ) from None
    return obs


def percept_encoder(space: spaces.Space | None) -> Callable[[Any], Hashable]:
    """Return a function that maps an observation of ``space`` to its percept key.

    The observation is whatever the env returns (gymnasium types it ``Any``): an int for a
    Discrete space, an array for MultiDiscrete, a tuple or dict for Tuple / Dict spaces.
    Without a space (None), observations are used as they are when hashable (numpy
    arrays become tuples of ints, numpy integers ints).

    Supported: Discrete, MultiDiscrete, MultiBinary, and Tuple / Dict spaces built from
    them. Anything else raises :class:`~ps_graph.errors.UnsupportedSpaceError` that says
    how to make the observations discrete.
    """
    if space is None:
        return hashable_observation
    if isinstance(space, spaces.Discrete):
        return int
    if isinstance(space, (spaces.MultiDiscrete, spaces.MultiBinary)):
        size = int(np.prod(space.shape))

        def ints(obs) -> tuple[int, ...]:
            key = _ints(obs)
            if len(key) != size:
                raise ConfigError(
                    f"observation {printable(repr(obs), 80)} has {len(key)} values; the observation space {space} "
                    f"has {size}. Pass observations of that space."
                )
            return key

        return ints
    if isinstance(space, spaces.Tuple):
        parts = [percept_encoder(s) for s in space.spaces]
        return lambda obs: tuple(f(o) for f, o in zip(parts, obs))
    if isinstance(space, spaces.Dict):
        keyed = [(k, percept_encoder(s)) for k, s in space.spaces.items()]
        return lambda obs: tuple(f(obs[k]) for k, f in keyed)
    if isinstance(space, spaces.Box):
        raise UnsupportedSpaceError(f"observation space {space} is continuous (Box). {_BOX_HINT}")
    raise UnsupportedSpaceError(
        f"observation space {space} ({type(space).__name__}) is not supported; expected Discrete, "
        f"MultiDiscrete, MultiBinary, or a Tuple/Dict of those. {_BOX_HINT}"
    )


def discrete_actions(space: spaces.Space) -> list[int]:
    """The actions of a Discrete space as plain ints (honouring ``start``); at most :data:`MAX_ACTIONS`."""
    if not isinstance(space, spaces.Discrete):
        raise UnsupportedSpaceError(
            f"action space {space} ({type(space).__name__}) is not supported; these agents choose among "
            "a finite set of actions and need a gymnasium.spaces.Discrete action space. "
            "For continuous actions use gymnasium.wrappers.DiscretizeAction(env, bins=...)."
        )
    start, n = int(space.start), check_int("the action space's n", int(space.n), 1, MAX_ACTIONS, hint=_ACTIONS_HINT)
    return list(range(start, start + n))


def action_list(actions: int | spaces.Space) -> list[int]:
    """The actions an agent chooses among: ``range(n)`` for an int, or a Discrete space's;
    at most :data:`MAX_ACTIONS` of them (more raise :class:`~ps_graph.errors.ConfigError`).

    >>> action_list(3), action_list(spaces.Discrete(2, start=1))
    ([0, 1, 2], [1, 2])
    >>> try:
    ...     action_list(2**70)
    ... except ConfigError as err:
    ...     print(str(err).split(";")[0])
    actions must be an integer >= 1 and <= 1048576
    """
    if isinstance(actions, spaces.Space):
        return discrete_actions(actions)
    return list(range(check_int("actions", actions, 1, MAX_ACTIONS, hint=_ACTIONS_HINT)))
