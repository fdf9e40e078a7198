"""Target-search worlds of the PS foraging and resetting papers, for many walkers at once.

The dynamics are written once, on arrays of ``n`` independent walkers, and used both by the
gymnasium environments (one walker: :mod:`ps_graph.envs.search_envs`) and by
:func:`ps_graph.envs.strategies.efficiency`, which simulates fixed strategies with
thousands of walkers in one numpy call per step. Every world takes a numpy Generator; nothing
here touches a global random state.

Worlds (facts and settings from ``qic-ibk/projective_simulation``,
``projective_simulation/envs/foraging.py``, and its tutorials; Muñoz-Gil, Briegel, Caraglio,
arXiv:2503.11330; Muñoz-Gil et al., New J. Phys. 2024):

* :class:`ResetWalk1D`: a diffusing walker (coefficient ``D``) starting at 0 with a target at
  distance ``L``. Action 0 continues (a Gaussian step of variance ``2D``), action 1 resets to 0.
  A walker that ends a step at ``x >= L`` finds the target (reward 1) and starts again at 0. The
  counter (steps since the last reset or find) is what the agent sees; at ``max_counter`` the
  walker is reset whatever the action (the library's forced reset).
* :class:`ResetWalk2D`: the same in the plane, with a target disc of radius ``r`` centred at
  distance ``d`` on the diagonal; a step whose segment passes within ``r`` of the centre finds it.
* :class:`TurnResetWalk2D`: unit steps in a direction; actions continue, turn (a new uniform
  direction, then a step) and reset (back to the origin, new direction, no step); two counters
  (since the last turn, since the last reset), each saturating at ``max_counter``; at a reset
  counter of ``max_counter`` the walker is reset whatever the action.
* :class:`ForagingWalk`: the foraging world: ``num_targets`` targets in a periodic square box,
  unit steps that continue or turn to a new uniform direction; a step passing within ``r`` of a
  target finds it (reward 1): the walker is then kicked to distance ``lc`` from that target in a
  random direction (``lc`` constant or drawn), and its next step goes in a new uniform
  direction without finding anything, whatever the action (the library's step after a kick,
  which its loop takes without the agent); or, with ``destructive=True``, the target is
  re-placed uniformly. The counter counts steps since the last turn (or kick).

Two deliberate differences from the library, both geometric corrections: crossing a target
means the step's *segment* comes within ``r`` of the centre (the library's test misses an end
point inside the disc whose projection falls outside the segment), and in the periodic box the
targets' nearest images are used (the library checks no image across the boundary).

>>> import numpy as np
>>> world = ResetWalk1D(3, diffusion=0.5, distance=1.0, rng=np.random.default_rng(0))
>>> world.step(np.array([0, 1, 0])).tolist(), world.counter.tolist()
([0.0, 0.0, 0.0], [1, 0, 1])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..checks import check_bool, check_choice, check_int, check_real
from ..errors import ConfigError

__all__ = ["ForagingWalk", "ResetWalk1D", "ResetWalk2D", "TurnResetWalk2D", "segment_hits"]

MAX_WALKERS = 10**7
MAX_COUNTER = 10**7


def segment_hits(start: np.ndarray, end: np.ndarray, centre: np.ndarray, radius: float) -> np.ndarray:
    """Whether each segment ``start -> end`` (shape (..., 2)) passes within ``radius`` of ``centre``.

    >>> segment_hits(np.array([[0.0, 0.0]]), np.array([[2.0, 0.0]]), np.array([1.0, 0.4]), 0.5).tolist()
    [True]
    >>> segment_hits(np.array([[0.0, 0.0]]), np.array([[2.0, 0.0]]), np.array([3.0, 0.0]), 0.5).tolist()
    [False]
    """
    step = end - start
    to_centre = centre - start
    length2 = np.einsum("...i,...i->...", step, step)
    along = np.einsum("...i,...i->...", to_centre, step)
    t = np.clip(np.divide(along, length2, out=np.zeros_like(along), where=length2 > 0), 0.0, 1.0)
    nearest = step * t[..., None] - to_centre
    return np.einsum("...i,...i->...", nearest, nearest) <= radius * radius


def _walkers(n: int) -> int:
    return check_int("number of walkers", n, 1, MAX_WALKERS)


def _disc(distance: float, radius: float) -> tuple[float, float, np.ndarray]:
    """The target disc: its distance, radius and centre (on the diagonal), checked."""
    distance = check_real("distance", distance, 0.0, 1e9, low_open=True)
    radius = check_real("radius", radius, 0.0, 1e9, low_open=True)
    if radius >= distance:
        raise ConfigError(f"radius {radius} must be below distance {distance}: the walker would start in the target.")
    return distance, radius, distance * np.array([math.cos(math.pi / 4), math.sin(math.pi / 4)])


def _directions(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.uniform(0.0, 2.0 * math.pi, n)


class _World:
    """What every world shares: ``n`` walkers, a Generator, and parameters read once.

    A world declares its parameters and their defaults in ``DEFAULTS``; :meth:`_configure`
    checks and stores them, :meth:`_allocate` makes the walkers' arrays.
    """

    num_actions: int
    DEFAULTS: dict[str, Any]
    #: The names of the per-walker state arrays (first axis: the walker).
    STATE: tuple[str, ...]

    def __init__(self, n: int, *, rng: np.random.Generator, **params: Any) -> None:
        self.n = _walkers(n)
        self.rng = rng
        unknown = sorted(set(params) - set(self.DEFAULTS))
        if unknown:
            raise ConfigError(
                f"unknown {type(self).__name__} parameter(s) {unknown}; allowed: {', '.join(self.DEFAULTS)}."
            )
        values = {**self.DEFAULTS, **params}
        self.max_counter = check_int("max_counter", values.pop("max_counter"), 1, MAX_COUNTER)
        self._configure(values)
        self._allocate()

    def _configure(self, values: dict[str, Any]) -> None:
        """Check and store the parameters (``max_counter`` is already done)."""
        raise NotImplementedError

    def _allocate(self) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Every walker at its start."""
        raise NotImplementedError

    def step(self, actions: np.ndarray) -> np.ndarray:
        """One step of every walker; returns the rewards."""
        raise NotImplementedError


class ResetWalk1D(_World):
    """``n`` walkers on a line with resetting (see the module docstring). Actions: 0 continue, 1 reset.

    Parameters (keywords, after ``n``; ``rng`` is a numpy Generator)
    ----------------------------------------------------------------
    diffusion : float > 0, default 0.5
        D: a continue step is Gaussian with variance ``2 D``.
    distance : float > 0, default 5.0
        L: the target is found at ``x >= L``.
    max_counter : int >= 1, default 2000
        At this counter the walker is reset whatever the action.
    """

    num_actions = 2
    DEFAULTS = {"diffusion": 0.5, "distance": 5.0, "max_counter": 2000}  # noqa: RUF012
    STATE = ("x", "counter")

    def _configure(self, values: dict[str, Any]) -> None:
        self.diffusion = check_real("diffusion", values["diffusion"], 0.0, 1e6, low_open=True)
        self.distance = check_real("distance", values["distance"], 0.0, 1e9, low_open=True)

    def _allocate(self) -> None:
        self.x = np.zeros(self.n)
        self.counter = np.zeros(self.n, np.int64)

    def reset(self) -> None:
        """Every walker back at 0 with a counter of 0."""
        self.x[:] = 0.0
        self.counter[:] = 0

    def step(self, actions: np.ndarray) -> np.ndarray:
        """One step of every walker; returns the rewards (1.0 where a target was found)."""
        noise = self.rng.standard_normal(self.n) * math.sqrt(2.0 * self.diffusion)
        reset = (np.asarray(actions) == 1) | (self.counter >= self.max_counter)
        self.x = np.where(reset, 0.0, self.x + noise)
        found = self.x >= self.distance
        self.x[found] = 0.0
        self.counter = np.where(reset | found, 0, self.counter + 1)
        return found.astype(np.float64)


class ResetWalk2D(_World):
    """``n`` walkers in the plane with resetting; a target disc (see the module docstring).
    Actions: 0 continue, 1 reset.

    Parameters (keywords, after ``n``; ``rng`` is a numpy Generator)
    ----------------------------------------------------------------
    diffusion : float > 0, default 1.0
        D: each coordinate of a continue step is Gaussian with variance ``2 D``.
    distance : float > 0, default 5.0
        The disc's centre is at ``distance (cos 45°, sin 45°)``.
    radius : float > 0, default 1.0
    max_counter : int >= 1, default 2000
    """

    num_actions = 2
    DEFAULTS = {"diffusion": 1.0, "distance": 5.0, "radius": 1.0, "max_counter": 2000}  # noqa: RUF012
    STATE = ("position", "counter")

    def _configure(self, values: dict[str, Any]) -> None:
        self.diffusion = check_real("diffusion", values["diffusion"], 0.0, 1e6, low_open=True)
        self.distance, self.radius, self.target = _disc(values["distance"], values["radius"])

    def _allocate(self) -> None:
        self.position = np.zeros((self.n, 2))
        self.counter = np.zeros(self.n, np.int64)

    def reset(self) -> None:
        """Every walker at the origin with a counter of 0."""
        self.position[:] = 0.0
        self.counter[:] = 0

    def step(self, actions: np.ndarray) -> np.ndarray:
        """One step of every walker; returns the rewards."""
        noise = self.rng.standard_normal((self.n, 2)) * math.sqrt(2.0 * self.diffusion)
        reset = (np.asarray(actions) == 1) | (self.counter >= self.max_counter)
        end = self.position + noise
        found = ~reset & segment_hits(self.position, end, self.target, self.radius)
        self.position = np.where((reset | found)[:, None], 0.0, end)
        self.counter = np.where(reset | found, 0, self.counter + 1)
        return found.astype(np.float64)


class TurnResetWalk2D(_World):
    """``n`` walkers with unit steps that continue, turn or reset (see the module docstring).
    Actions: 0 continue, 1 turn, 2 reset. Counters: ``turn_counter`` and ``reset_counter``.

    Parameters (keywords, after ``n``; ``rng`` is a numpy Generator)
    ----------------------------------------------------------------
    distance : float > 0, default 6.0
    radius : float > 0, default 1.0
    step_length : float > 0, default 1.0
    max_counter : int >= 1, default 100
        Both counters saturate here; a reset counter of ``max_counter`` forces a reset.
    """

    num_actions = 3
    DEFAULTS = {"distance": 6.0, "radius": 1.0, "step_length": 1.0, "max_counter": 100}  # noqa: RUF012
    STATE = ("position", "angle", "turn_counter", "reset_counter")

    def _configure(self, values: dict[str, Any]) -> None:
        self.distance, self.radius, self.target = _disc(values["distance"], values["radius"])
        self.step_length = check_real("step_length", values["step_length"], 0.0, 1e9, low_open=True)

    def _allocate(self) -> None:
        self.position = np.zeros((self.n, 2))
        self.angle = np.zeros(self.n)
        self.turn_counter = np.zeros(self.n, np.int64)
        self.reset_counter = np.zeros(self.n, np.int64)

    def reset(self) -> None:
        """Every walker at the origin, a new direction each, counters 0."""
        self.position[:] = 0.0
        self.angle = _directions(self.rng, self.n)
        self.turn_counter[:] = 0
        self.reset_counter[:] = 0

    def step(self, actions: np.ndarray) -> np.ndarray:
        """One step of every walker; returns the rewards."""
        actions = np.asarray(actions)
        new_angle = _directions(self.rng, self.n)
        reset = (actions == 2) | (self.reset_counter >= self.max_counter)
        turn = ~reset & (actions == 1)
        self.angle = np.where(turn | reset, new_angle, self.angle)
        move = self.step_length * np.stack([np.cos(self.angle), np.sin(self.angle)], axis=1)
        end = self.position + move
        found = ~reset & segment_hits(self.position, end, self.target, self.radius)
        restart = reset | found
        self.position = np.where(restart[:, None], 0.0, end)
        if found.any():  # back at the origin with a new direction
            self.angle = np.where(found, _directions(self.rng, self.n), self.angle)
        top = self.max_counter
        self.turn_counter = np.where(restart | turn, 0, np.minimum(self.turn_counter + 1, top))
        self.reset_counter = np.where(restart, 0, np.minimum(self.reset_counter + 1, top))
        return found.astype(np.float64)


CUTOFFS = ("constant", "choice", "power_law", "pareto")


def check_cutoff(cutoff: Any) -> tuple:
    """The kick length after a find as ``(kind, params)``: a number means a constant length;
    ``["choice", values, probabilities]``, ``["power_law", alpha]`` (``lc = (1 - U)^(-1/alpha)``)
    or ``["pareto", alpha, xm]`` (``lc = xm / U^(1/alpha)``) draw it (JSON-friendly lists).

    >>> check_cutoff(1.0), check_cutoff(["power_law", 1.5])
    (('constant', (1.0,)), ('power_law', (1.5,)))
    """
    if not isinstance(cutoff, (list, tuple)):
        return "constant", (check_real("cutoff", cutoff, 0.0, 1e9, low_open=True),)
    if not cutoff:
        raise ConfigError("cutoff must be a length, or a list starting with one of " + ", ".join(CUTOFFS) + ".")
    kind = check_choice("cutoff kind", cutoff[0], CUTOFFS[1:])
    if kind == "choice":
        if len(cutoff) != 3:
            raise ConfigError("cutoff ['choice', values, probabilities] needs both lists.")
        values = [check_real("cutoff value", v, 0.0, 1e9, low_open=True) for v in cutoff[1]]
        probs = [check_real("cutoff probability", p, 0.0, 1.0) for p in cutoff[2]]
        if not values or len(values) != len(probs) or not math.isclose(sum(probs), 1.0, abs_tol=1e-9):
            raise ConfigError("cutoff ['choice', values, probabilities]: one probability per value, summing to 1.")
        return kind, (tuple(values), tuple(probs))
    if kind == "power_law":
        if len(cutoff) != 2:
            raise ConfigError("cutoff ['power_law', alpha] takes one parameter.")
        return kind, (check_real("alpha", cutoff[1], 0.0, 1e3, low_open=True),)
    if len(cutoff) != 3:
        raise ConfigError("cutoff ['pareto', alpha, xm] takes two parameters.")
    return kind, (
        check_real("alpha", cutoff[1], 0.0, 1e3, low_open=True),
        check_real("xm", cutoff[2], 0.0, 1e9, low_open=True),
    )


def draw_cutoff(cutoff: tuple, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` kick lengths drawn as :func:`check_cutoff`'s ``cutoff`` says."""
    kind, params = cutoff
    if kind == "constant":
        return np.full(n, params[0])
    if kind == "choice":
        return rng.choice(np.asarray(params[0]), size=n, p=np.asarray(params[1]))
    u = rng.random(n)
    if kind == "power_law":
        return (1.0 - u) ** (-1.0 / params[0])
    return params[1] / np.maximum(u, np.finfo(float).tiny) ** (1.0 / params[0])


class ForagingWalk(_World):
    """``n`` independent foragers, each in its own periodic box of targets (see the module
    docstring). Actions: 0 continue, 1 turn. Counter: steps since the last turn or kick.

    Parameters (keywords, after ``n``; ``rng`` is a numpy Generator)
    ----------------------------------------------------------------
    num_targets : int >= 1, default 100
    size : float > 0, default 100.0
        The side of the periodic square box.
    radius : float > 0, default 0.5
    cutoff : number or list, default 1.0
        The kick length after a find (:func:`check_cutoff`).
    destructive : bool, default False
        Re-place a found target uniformly instead of kicking the walker.
    max_counter : int >= 1, default 1000
        The counter saturates here.
    """

    num_actions = 2
    DEFAULTS = {  # noqa: RUF012
        "num_targets": 100,
        "size": 100.0,
        "radius": 0.5,
        "cutoff": 1.0,
        "destructive": False,
        "max_counter": 1000,
    }
    STATE = ("targets", "position", "angle", "counter", "kicked")

    def _configure(self, values: dict[str, Any]) -> None:
        self.num_targets = check_int("num_targets", values["num_targets"], 1, 10**5)
        if self.n * self.num_targets > 10**8:
            raise ConfigError(f"{self.n} walkers x {self.num_targets} targets is too many (at most 10**8 in all).")
        self.size = check_real("size", values["size"], 0.0, 1e9, low_open=True)
        self.radius = check_real("radius", values["radius"], 0.0, self.size / 4, low_open=True)
        self.cutoff = check_cutoff(values["cutoff"])
        self.destructive = check_bool("destructive", values["destructive"])

    def _allocate(self) -> None:
        self.targets = np.zeros((self.n, self.num_targets, 2))
        self.position = np.zeros((self.n, 2))
        self.angle = np.zeros(self.n)
        self.counter = np.zeros(self.n, np.int64)
        self.kicked = np.zeros(self.n, bool)

    def reset(self) -> None:
        """New targets, positions and directions, all uniform; counters 0."""
        self.targets = self.rng.uniform(0.0, self.size, (self.n, self.num_targets, 2))
        self.position = self.rng.uniform(0.0, self.size, (self.n, 2))
        self.angle = _directions(self.rng, self.n)
        self.counter[:] = 0
        self.kicked[:] = False

    def _found(self, start: np.ndarray, move: np.ndarray) -> np.ndarray:
        """Index of the target each walker's step finds (the one nearest the start), or -1."""
        offset = self.targets - start[:, None, :]
        offset -= self.size * np.round(offset / self.size)  # nearest periodic image
        distance2 = np.einsum("nti,nti->nt", offset, offset)
        # Only a target within |move| + r of the start can be crossed: test those pairs alone.
        reach = (np.sqrt(np.einsum("ni,ni->n", move, move)) + self.radius) ** 2 * (1.0 + 1e-9)
        walker, target = np.nonzero(distance2 <= reach[:, None])
        hits = segment_hits(np.zeros((walker.size, 2)), move[walker], offset[walker, target], self.radius)
        distance = np.full(distance2.shape, np.inf)
        distance[walker[hits], target[hits]] = distance2[walker[hits], target[hits]]
        nearest = np.argmin(distance, axis=1)
        return np.where(np.isfinite(distance[np.arange(self.n), nearest]), nearest, -1)

    def step(self, actions: np.ndarray) -> np.ndarray:
        """One step of every walker; returns the rewards."""
        turn = (np.asarray(actions) == 1) | self.kicked
        self.angle = np.where(turn, _directions(self.rng, self.n), self.angle)
        move = np.stack([np.cos(self.angle), np.sin(self.angle)], axis=1)
        found = np.where(self.kicked, -1, self._found(self.position, move))
        self.position = (self.position + move) % self.size
        self.kicked[:] = False
        self.counter = np.where(turn, 0, np.minimum(self.counter + 1, self.max_counter))
        walkers = np.flatnonzero(found >= 0)
        if walkers.size:
            self._after_find(walkers, found[walkers])
        return (found >= 0).astype(np.float64)

    def _after_find(self, walkers: np.ndarray, targets: np.ndarray) -> None:
        k = walkers.size
        if self.destructive:
            self.targets[walkers, targets] = self.rng.uniform(0.0, self.size, (k, 2))
            return
        angle = _directions(self.rng, k)
        length = draw_cutoff(self.cutoff, self.rng, k)
        kick = length[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        self.position[walkers] = (self.targets[walkers, targets] + kick) % self.size
        self.counter[walkers] = 0
        self.kicked[walkers] = True
