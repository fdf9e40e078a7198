"""Gymnasium environments from the PS literature, registered under ``"ps_graph/..."``.

Importing :mod:`ps_graph.envs` registers these ids with gymnasium (importing it again, or
calling :func:`register_envs`, leaves the registry as it is):

* ``ps_graph/InvasionGame-v0``: :class:`InvasionGame` (inversion, new colour); one step per trial.
* ``ps_graph/DriverGame-v0``: :class:`DriverGame`; one step per trial.
* ``ps_graph/NeverEndingColourGame-v0``: :class:`NeverEndingColourGame`; one step per trial.
* ``ps_graph/GridWorld-v0``: :class:`GridWorld`, an open 10 x 10 grid; 2000 steps per episode.
* ``ps_graph/DynaMaze-v0``: :class:`GridWorld` with :data:`DYNA_MAZE`; 3000 steps per episode.
* ``ps_graph/MountainCarDiscrete-v0``: MountainCar through :class:`DiscretizeBox`; 200 steps.
* ``ps_graph/Reset1D-v0``, ``ps_graph/Reset2D-v0``, ``ps_graph/TurnReset2D-v0``: target search with
  resetting (:mod:`ps_graph.envs.search_envs`); episodes of 10,000 steps.
* ``ps_graph/Foraging-v0``: :class:`Foraging`, the foraging world; episodes of 200 steps.
* ``ps_graph/InvasionWithDistraction-v0``: :class:`InvasionWithDistraction`; one step per trial.
* ``ps_graph/DeceptiveInvasion-v0``: :class:`DeceptiveInvasion`; one step per trial.
* ``ps_graph/RedLightGreenLight-v0``: :class:`RedLightGreenLight`; one step per trial.

Every id also has a native vector implementation (gymnasium's ``vector_entry_point``, in
:mod:`ps_graph.envs.vector`): ``gym.make_vec(id, num_envs=K, vectorization_mode="vector_entry_point")``
gives K copies stepped as arrays, with the same protocols and gymnasium's autoreset.

``ps_graph.envs.Locusts`` (loaded on first use; needs the ``multi`` extra, PettingZoo) is the
locust ring of Ried, Müller & Briegel as a PettingZoo AEC environment, for
:func:`ps_graph.train_multi`.

Fixed reference strategies for the search worlds and their efficiencies are in
:mod:`ps_graph.envs.strategies`; the dynamics, for many walkers at once, in
:mod:`ps_graph.envs.search`.

The grid limits are about three times a random walker's mean time to the goal (600 and 870
steps), so an untrained agent finishes most episodes; pass ``max_episode_steps`` to
``gymnasium.make`` for other sizes. Other keyword arguments of ``gymnasium.make`` go to the
constructors, e.g. ``gym.make("ps_graph/InvasionGame-v0", invert_at=250)`` or
``gym.make("ps_graph/GridWorld-v0", rows=5, cols=7)``.

>>> import gymnasium as gym, ps_graph
>>> import ps_graph.envs
>>> env = gym.make("ps_graph/InvasionGame-v0")
>>> agent = ps_graph.PSAgent.for_env(env, seed=0)
>>> result = ps_graph.train(agent, env, episodes=200, seed=0)   # 200 trials
>>> float(result.returns[-50:].mean()) > 0.8
True
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from ._trials import EnvError, OneStepGame
from .generalization import DriverGame, NeverEndingColourGame
from .grid import ACTIONS, DYNA_MAZE, GridWorld, open_grid
from .invasion import InvasionGame
from .meps_games import DeceptiveInvasion, InvasionWithDistraction, RedLightGreenLight
from .mountain_car import DiscretizeBox, discrete_mountain_car
from .search_envs import Foraging, Reset1D, Reset2D, TurnReset2D

__all__ = [
    "ACTIONS",
    "DYNA_MAZE",
    "ENV_IDS",
    "DeceptiveInvasion",
    "DiscretizeBox",
    "DriverGame",
    "EnvError",
    "Foraging",
    "GridWorld",
    "InvasionGame",
    "InvasionWithDistraction",
    "Locusts",
    "NeverEndingColourGame",
    "OneStepGame",
    "RedLightGreenLight",
    "Reset1D",
    "Reset2D",
    "TurnReset2D",
    "discrete_mountain_car",
    "open_grid",
    "register_envs",
]

_GAMES = "ps_graph.envs.vector.games:"
_SPECS: dict[str, dict[str, Any]] = {
    "ps_graph/InvasionGame-v0": {
        "entry_point": "ps_graph.envs.invasion:InvasionGame",
        "vector_entry_point": _GAMES + "InvasionGameVector",
    },
    "ps_graph/DriverGame-v0": {
        "entry_point": "ps_graph.envs.generalization:DriverGame",
        "vector_entry_point": _GAMES + "DriverGameVector",
    },
    "ps_graph/NeverEndingColourGame-v0": {
        "entry_point": "ps_graph.envs.generalization:NeverEndingColourGame",
        "vector_entry_point": _GAMES + "NeverEndingColourGameVector",
    },
    "ps_graph/GridWorld-v0": {
        "entry_point": "ps_graph.envs.grid:GridWorld",
        "vector_entry_point": "ps_graph.envs.vector.grids:GridWorldVector",
        "max_episode_steps": 2000,
    },
    "ps_graph/DynaMaze-v0": {
        "entry_point": "ps_graph.envs.grid:GridWorld",
        "vector_entry_point": "ps_graph.envs.vector.grids:GridWorldVector",
        "kwargs": {"desc": DYNA_MAZE},
        "max_episode_steps": 3000,
    },
    "ps_graph/MountainCarDiscrete-v0": {
        "entry_point": "ps_graph.envs.mountain_car:discrete_mountain_car",
        "vector_entry_point": "ps_graph.envs.vector.mountain_car:MountainCarDiscreteVector",
        "max_episode_steps": 200,
        "reward_threshold": -110.0,
    },
    "ps_graph/Reset1D-v0": {
        "entry_point": "ps_graph.envs.search_envs:Reset1D",
        "vector_entry_point": "ps_graph.envs.vector.search:Reset1DVector",
    },
    "ps_graph/Reset2D-v0": {
        "entry_point": "ps_graph.envs.search_envs:Reset2D",
        "vector_entry_point": "ps_graph.envs.vector.search:Reset2DVector",
    },
    "ps_graph/TurnReset2D-v0": {
        "entry_point": "ps_graph.envs.search_envs:TurnReset2D",
        "vector_entry_point": "ps_graph.envs.vector.search:TurnReset2DVector",
    },
    "ps_graph/Foraging-v0": {
        "entry_point": "ps_graph.envs.search_envs:Foraging",
        "vector_entry_point": "ps_graph.envs.vector.search:ForagingVector",
    },
    "ps_graph/InvasionWithDistraction-v0": {
        "entry_point": "ps_graph.envs.meps_games:InvasionWithDistraction",
        "vector_entry_point": _GAMES + "InvasionWithDistractionVector",
    },
    "ps_graph/DeceptiveInvasion-v0": {
        "entry_point": "ps_graph.envs.meps_games:DeceptiveInvasion",
        "vector_entry_point": _GAMES + "DeceptiveInvasionVector",
    },
    "ps_graph/RedLightGreenLight-v0": {
        "entry_point": "ps_graph.envs.meps_games:RedLightGreenLight",
        "vector_entry_point": _GAMES + "RedLightGreenLightVector",
    },
}


def __getattr__(name: str) -> Any:
    if name == "Locusts":  # PettingZoo loads only when the collective env is asked for
        from .locusts import Locusts

        return Locusts
    raise AttributeError(f"module 'ps_graph.envs' has no attribute {name!r}")


#: Every id this package registers.
ENV_IDS = tuple(_SPECS)


def register_envs() -> None:
    """Register :data:`ENV_IDS` with gymnasium; ids already registered are left as they are.

    >>> register_envs()                 # importing ps_graph.envs already did; a no-op now
    >>> "ps_graph/DynaMaze-v0" in gym.registry
    True
    """
    for env_id, spec in _SPECS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, **spec)


register_envs()
