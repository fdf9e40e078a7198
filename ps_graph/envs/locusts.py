"""Marching locusts: the 1-D ring world of Ried, Müller & Briegel (PLoS ONE 2019), as a PettingZoo AEC env.

Facts and settings from ``qic-ibk/projectivesimulation`` (``environments/env_locust.py``,
``simple_interaction_multiple.py``): ``num_agents`` locusts sit at integer sites of a ring of
``world_size`` sites (several may share one), each moving with speed +1 or -1. Locusts act in
turn (agent 0, 1, ..., then 0 again). A locust sees the net movement of its neighbours (every
other locust within ``sensory_range`` sites along the ring) relative to its own direction,
``speed_i * sum_j speed_j``, clipped to [-2, 2]: one of 5 percepts (0..4, 2 meaning no net
flow). It then turns around (action 0) or keeps going (action 1), moves one site, and is
rewarded ``(sign(flow) + 1) / 2`` for the flow it sees after its move: 1 aligned with its
neighbours, 0.5 for no net flow (or no neighbours), 0 against them. As in PettingZoo's AEC API
(and in the source), a locust's reward reaches it at its next turn (``env.last()``).

A trial (one episode) lasts ``steps_per_trial`` moves per locust; positions and speeds are
drawn uniformly at every reset, from the env's own Generator (``reset(seed=...)``).

Needs the ``multi`` extra (PettingZoo): ``pip install 'ps_graph[multi]'``.

>>> from ps_graph.envs.locusts import Locusts
>>> env = Locusts(num_agents=3, world_size=10, sensory_range=2)
>>> env.reset(seed=0)
>>> env.agent_selection, env.observation_space("locust_0")
('locust_0', Discrete(5))
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ..checks import check_int
from ..errors import ConfigError

try:
    from pettingzoo import AECEnv
    from pettingzoo.utils import AgentSelector
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ConfigError(
        "the Locusts environment needs PettingZoo: pip install 'ps_graph[multi]' (or pip install pettingzoo)."
    ) from exc

__all__ = ["Locusts"]

TURN, KEEP_GOING = 0, 1


class Locusts(AECEnv):
    """The locust ring world (see the module docstring).

    Parameters
    ----------
    num_agents : int >= 1, default 20
    world_size : int >= 2, default 200
        Sites on the ring.
    sensory_range : int >= 0, default 5
        A locust sees the others at most this many sites away.
    steps_per_trial : int >= 1, default 10
        Moves per locust in one trial (episode), after which every locust is truncated.
    """

    metadata = {"name": "locusts_v0", "render_modes": [], "is_parallelizable": False}  # noqa: RUF012

    def __init__(
        self, num_agents: int = 20, world_size: int = 200, sensory_range: int = 5, steps_per_trial: int = 10
    ) -> None:
        super().__init__()
        n = check_int("num_agents", num_agents, 1, 10**5)
        self.world_size = check_int("world_size", world_size, 2, 10**9)
        self.sensory_range = check_int("sensory_range", sensory_range, 0, self.world_size)
        self.steps_per_trial = check_int("steps_per_trial", steps_per_trial, 1, 10**9)
        self.possible_agents = [f"locust_{i}" for i in range(n)]
        self._index = {name: i for i, name in enumerate(self.possible_agents)}
        self._observation_space = spaces.Discrete(5)
        self._action_space = spaces.Discrete(2)
        self._rng = np.random.default_rng()
        self.positions = np.zeros(n, np.int64)
        self.speeds = np.ones(n, np.int64)
        self._moves = 0

    def observation_space(self, agent: str) -> spaces.Space:
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Space:
        return self._action_space

    def flow(self, i: int) -> int:
        """Net movement of locust ``i``'s neighbours relative to its direction."""
        gap = np.abs(self.positions - self.positions[i]) % self.world_size
        near = np.minimum(gap, self.world_size - gap) <= self.sensory_range
        near[i] = False
        return int(self.speeds[i] * self.speeds[near].sum())

    def order_parameter(self) -> float:
        """The alignment of the swarm, ``phi = |sum of the speeds| / N`` in [0, 1]: 1 when every
        locust moves the same way, about ``1 / sqrt(N)`` for random directions.

        >>> env = Locusts(num_agents=4); env.reset(seed=0); env.speeds[:] = [1, 1, 1, -1]
        >>> env.order_parameter()
        0.5
        """
        return float(abs(self.speeds.mean()))

    def observe(self, agent: str) -> np.int64:
        return np.int64(min(2, max(-2, self.flow(self._index[agent]))) + 2)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        n = len(self.possible_agents)
        self.positions = self._rng.integers(0, self.world_size, n)
        self.speeds = self._rng.choice(np.array([-1, 1]), n)
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos: dict[str, dict[str, Any]] = {name: {} for name in self.agents}
        self._selector = AgentSelector(self.agents)
        self.agent_selection = self._selector.reset()
        self._moves = 0

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        if not self._action_space.contains(action):
            raise ConfigError(f"{agent}'s action must be 0 (turn) or 1 (keep going); got {action!r}.")
        i = self._index[agent]
        self._cumulative_rewards[agent] = 0.0
        if int(action) == TURN:
            self.speeds[i] = -self.speeds[i]
        self.positions[i] = (self.positions[i] + self.speeds[i]) % self.world_size
        self._clear_rewards()
        self.rewards[agent] = (np.sign(self.flow(i)) + 1) / 2
        self._moves += 1
        if self._moves >= self.steps_per_trial * len(self.possible_agents):
            self.truncations = dict.fromkeys(self.agents, True)
        self.agent_selection = self._selector.next()
        self._accumulate_rewards()
