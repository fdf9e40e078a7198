"""Fixed search strategies, the references the foraging and resetting papers compare PS agents to.

A strategy is a table of action probabilities indexed by the walker's counter(s), the same
observation a PS agent sees, so a learned agent's policy and a fixed strategy are read alike:

* :func:`sharp_reset`: reset exactly at time ``tau`` (``tau - 1`` diffusive steps, then a reset);
* :func:`exponential_reset`: reset with probability ``rate`` at every step;
* :func:`sharp_turn_reset`: the Turn-Reset baseline (turn at one counter, reset at another);
* :func:`levy_turning` and :func:`biexponential_turning`: the foraging paper's fixed turning
  distributions (discrete Lévy walk, bi-exponential), turned into a turning probability per
  counter by the hazard ``P(turn | n) = Pr(run = n + 1) / Pr(run >= n + 1)``.

:func:`efficiency` measures a strategy by simulation with many walkers at once (one numpy call
per step for all of them, :mod:`ps_graph.envs.search`): the mean reward per episode of
``steps`` steps, as the papers report efficiencies (rewards per episode, or per step).

>>> import numpy as np
>>> table = sharp_reset(3, max_counter=5)
>>> table[:, 1].tolist()                  # reset probability by counter
[0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
>>> result = efficiency("Reset1D", table, walkers=200, steps=500, seed=0, distance=1.0, max_counter=5)
>>> result.per_step > 0
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..checks import check_choice, check_int, check_real, check_seed
from ..errors import ConfigError
from ..progress import progress_bar
from .search import MAX_COUNTER, ForagingWalk, ResetWalk1D, ResetWalk2D, TurnResetWalk2D

__all__ = [
    "WORLDS",
    "Efficiency",
    "biexponential_turning",
    "efficiency",
    "exponential_reset",
    "levy_turning",
    "sharp_reset",
    "sharp_turn_reset",
]

#: The worlds :func:`efficiency` simulates, by the name of their environment.
WORLDS = {"Reset1D": ResetWalk1D, "Reset2D": ResetWalk2D, "TurnReset2D": TurnResetWalk2D, "Foraging": ForagingWalk}


def _counter_table(max_counter: int, act: np.ndarray) -> np.ndarray:
    """A (max_counter + 1, 2) table: probability of action 1 by counter is ``act``."""
    table = np.empty((max_counter + 1, 2))
    table[:, 1] = act
    table[:, 0] = 1.0 - act
    return table


def sharp_reset(tau: int, max_counter: int = 2000) -> np.ndarray:
    """Reset at time ``tau``: the reset probability is 1 at counter ``tau - 1`` (and at the
    maximum counter, where the world resets anyway), 0 elsewhere. Columns: continue, reset."""
    max_counter = check_int("max_counter", max_counter, 1, MAX_COUNTER)
    tau = check_int("tau", tau, 1, max_counter + 1, hint="The reset time counts the reset step itself.")
    act = np.zeros(max_counter + 1)
    act[tau - 1] = 1.0
    act[max_counter] = 1.0
    return _counter_table(max_counter, act)


def exponential_reset(rate: float, max_counter: int = 2000) -> np.ndarray:
    """Reset with probability ``rate`` at every step (a geometric reset time). Columns: continue, reset."""
    max_counter = check_int("max_counter", max_counter, 1, MAX_COUNTER)
    rate = check_real("rate", rate, 0.0, 1.0)
    return _counter_table(max_counter, np.full(max_counter + 1, rate))


def _hazard(pdf: np.ndarray) -> np.ndarray:
    """Turning probability by counter n = 0, 1, ... from the run-length pdf Pr(run = n + 1)."""
    survival = np.concatenate([[1.0], 1.0 - np.cumsum(pdf)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(survival > 1e-15, pdf / survival, 1.0)
    return np.clip(hazard, 0.0, 1.0)


def levy_turning(beta: float, max_counter: int = 1000) -> np.ndarray:
    """A discrete Lévy walk: run lengths ``Pr(L) ∝ L^(-1-beta)``, L = 1, 2, ... (normalized over
    10^6 lengths). Columns: continue, turn."""
    max_counter = check_int("max_counter", max_counter, 1, MAX_COUNTER)
    beta = check_real("beta", beta, 0.0, 10.0, low_open=True)
    lengths = np.arange(1, max(10**6, max_counter + 2), dtype=np.float64)
    pdf = lengths ** (-1.0 - beta)
    pdf /= pdf.sum()
    return _counter_table(max_counter, _hazard(pdf[: max_counter + 1]))


def biexponential_turning(d1: float, d2: float, p: float, max_counter: int = 1000) -> np.ndarray:
    """Run lengths from two exponential modes: ``Pr(L) = p (1 - e^(-1/d1)) e^(-(L-1)/d1) +
    (1 - p) (1 - e^(-1/d2)) e^(-(L-1)/d2)``. Columns: continue, turn."""
    max_counter = check_int("max_counter", max_counter, 1, MAX_COUNTER)
    d1, d2 = (check_real(name, d, 0.0, 1e9, low_open=True) for name, d in (("d1", d1), ("d2", d2)))
    p = check_real("p", p, 0.0, 1.0)
    lengths = np.arange(1, max_counter + 2, dtype=np.float64)
    pdf = sum(w * (1 - np.exp(-1 / d)) * np.exp(-(lengths - 1) / d) for w, d in ((p, d1), (1 - p, d2)))
    return _counter_table(max_counter, _hazard(np.asarray(pdf)))


def sharp_turn_reset(turn: int, reset: int, max_counter: int = 100) -> np.ndarray:
    """The Turn-Reset baseline with one clock: turn when ``turn`` steps have passed since the
    last reset, reset when ``reset`` have (the tutorial's sharp strategy, e.g. turn at L + 1,
    reset at L + 2). A table over (turn counter, reset counter) of (continue, turn, reset)."""
    max_counter = check_int("max_counter", max_counter, 1, MAX_COUNTER)
    turn = check_int("turn", turn, 1, max_counter)
    reset = check_int("reset", reset, 1, max_counter)
    table = np.zeros((max_counter + 1, max_counter + 1, 3))
    table[:, :, 0] = 1.0
    clock = np.arange(max_counter + 1)
    table[:, clock == turn - 1] = (0.0, 1.0, 0.0)
    table[:, clock >= reset - 1] = (0.0, 0.0, 1.0)
    return table


@dataclass(frozen=True)
class Efficiency:
    """What :func:`efficiency` measured: every walker's reward over one episode of ``steps``."""

    rewards: np.ndarray
    steps: int

    @property
    def per_episode(self) -> float:
        """Mean reward per episode (per walker)."""
        return float(self.rewards.mean())

    @property
    def per_step(self) -> float:
        """Mean reward per step."""
        return self.per_episode / self.steps

    @property
    def standard_error(self) -> float:
        """Standard error of :attr:`per_episode` over the walkers."""
        return float(self.rewards.std(ddof=1) / np.sqrt(len(self.rewards))) if len(self.rewards) > 1 else 0.0


def _observation(world) -> tuple[np.ndarray, ...]:
    if isinstance(world, TurnResetWalk2D):
        return world.turn_counter, world.reset_counter
    return (world.counter,)


def efficiency(
    world: str,
    policy: np.ndarray,
    *,
    walkers: int = 1000,
    steps: int = 10_000,
    seed: int | None = 0,
    progress: bool = False,
    **params: Any,
) -> Efficiency:
    """Simulate ``walkers`` independent walkers of ``world`` (a name in :data:`WORLDS`; ``params``
    go to its constructor) following ``policy`` (action probabilities by counter, as the
    functions above return) for one episode of ``steps`` steps.

    All walkers move in one numpy call per step; ``progress`` shows a bar over the steps.
    """
    name = check_choice("world", world, tuple(WORLDS))
    walkers = check_int("walkers", walkers, 1, 10**7)
    steps = check_int("steps", steps, 1, 10**9)
    rng = np.random.default_rng(check_seed("seed", seed))
    sim = WORLDS[name](walkers, rng=rng, **params)
    table = np.asarray(policy, dtype=np.float64)
    shape = tuple(c + 1 for c in [sim.max_counter] * len(_observation(sim))) + (sim.num_actions,)
    if table.shape != shape or not np.all(np.isfinite(table)) or (table < 0).any():
        raise ConfigError(f"policy must be a table of action probabilities of shape {shape}; got {table.shape}.")
    cumulative = np.cumsum(table / table.sum(axis=-1, keepdims=True), axis=-1)
    sim.reset()
    total = np.zeros(walkers)
    for _ in progress_bar(progress, range(steps), desc=f"{name} x{walkers}", unit="step"):
        rows = cumulative[_observation(sim)]
        actions = (rng.random(walkers)[:, None] >= rows[:, :-1]).sum(axis=1)
        total += sim.step(actions)
    return Efficiency(total, steps)
