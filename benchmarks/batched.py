"""Benchmarks of the batched path: compiled agents on tabular MDPs, the invasion figure through
gymnasium's vector API, and every native vector environment beside gymnasium's SyncVectorEnv.

Imported by ``benchmarks/run.py``; each function returns the figure it names.
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np

import ps_graph  # noqa: F401  (registers the ps_graph environments)
from ps_graph.batch import BatchedTwoLayerPS, train_batch
from ps_graph.tabular import from_id

#: The native vector envs timed beside SyncVectorEnv: short name -> (env id, kwargs).
VECTOR_ENVS = {
    "invasion": ("ps_graph/InvasionGame-v0", {"invert_at": 250}),
    "driver": ("ps_graph/DriverGame-v0", {}),
    "colour": ("ps_graph/NeverEndingColourGame-v0", {}),
    "meps_distraction": ("ps_graph/InvasionWithDistraction-v0", {}),
    "meps_deceptive": ("ps_graph/DeceptiveInvasion-v0", {}),
    "rlgl": ("ps_graph/RedLightGreenLight-v0", {}),
    "grid": ("ps_graph/GridWorld-v0", {}),
    "dyna_maze": ("ps_graph/DynaMaze-v0", {}),
    "mountain_car": ("ps_graph/MountainCarDiscrete-v0", {}),
    "reset1d": ("ps_graph/Reset1D-v0", {}),
    "reset2d": ("ps_graph/Reset2D-v0", {}),
    "turn_reset2d": ("ps_graph/TurnReset2D-v0", {}),
    "foraging": ("ps_graph/Foraging-v0", {}),
}
GAMMAS = (0.0, 0.01, 0.02, 0.1)


def warm_up() -> None:
    """Load the compiled kernels once (numba's on-disk cache), so no figure includes it."""
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    train_batch(BatchedTwoLayerPS.for_mdp(mdp, 2, seed=0), mdp, 2, seed=0, max_steps=99)
    envs = gym.make_vec("ps_graph/InvasionGame-v0", num_envs=2, vectorization_mode="vector_entry_point")
    train_batch(BatchedTwoLayerPS.for_env(envs, seed=0), envs, 2, seed=0)


def batch_frozenlake(runs: int, episodes: int) -> float:
    """Seconds for the course's exercise (``runs`` x ``episodes`` on deterministic FrozenLake,
    gamma 0, eta 0.04, 99-step episodes) as one batched, compiled call, agents built included."""
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    start = time.perf_counter()
    agents = BatchedTwoLayerPS.for_mdp(mdp, runs, gamma_damping=0.0, eta_glow_damping=0.04, seed=0)
    train_batch(agents, mdp, episodes, seed=0, max_steps=99)
    return time.perf_counter() - start


def batch_steps_per_s(num_agents: int, episodes: int, gamma: float, eta: float) -> float:
    """Agent-steps per second of ``num_agents`` PS agents on slippery FrozenLake, ``episodes`` each."""
    mdp = from_id("FrozenLake-v1", is_slippery=True)
    agents = BatchedTwoLayerPS.for_mdp(mdp, num_agents, gamma_damping=gamma, eta_glow_damping=eta, seed=0)
    result = train_batch(agents, mdp, episodes, seed=0)
    return result.steps / result.wall_time


def invasion_figure(num_agents: int = 20_000, trials: int = 500, invert_at: int = 250) -> float:
    """Seconds for the inversion figure: 2 symbols, ``trials`` trials, inversion at ``invert_at``,
    the four gamma values, ``num_agents`` agents each, through ``gym.make_vec`` and train_batch
    (its curve: the mean return per trial over the agents)."""
    start = time.perf_counter()
    for gamma in GAMMAS:
        envs = gym.make_vec(
            "ps_graph/InvasionGame-v0",
            num_envs=num_agents,
            vectorization_mode="vector_entry_point",
            invert_at=invert_at,
        )
        agents = BatchedTwoLayerPS.for_env(envs, gamma_damping=gamma, eta_glow_damping=1.0, seed=0)
        curve = train_batch(agents, envs, trials, seed=0).returns.mean(axis=0)
        if curve.shape != (trials,):
            raise RuntimeError(f"the invasion curve has shape {curve.shape}, expected ({trials},)")
    return time.perf_counter() - start


def vector_env_steps_per_s(env_id: str, kwargs: dict, mode: str, num_envs: int, seconds: float) -> float:
    """Environment steps per second (copies x vector steps) of ``num_envs`` copies made by
    ``gym.make_vec`` in ``mode`` ("vector_entry_point" or "sync"), random actions, stepped for
    about ``seconds``."""
    envs = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode=mode, **kwargs)
    rng = np.random.default_rng(0)
    space = envs.single_action_space
    actions = [rng.integers(space.start, space.start + space.n, size=num_envs) for _ in range(8)]
    envs.reset(seed=0)
    steps, start = 0, time.perf_counter()
    while True:
        envs.step(actions[steps % 8])
        steps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and steps >= 3:
            break
    envs.close()
    return steps * num_envs / elapsed


def vector_envs(num_envs: int = 1000, seconds: float = 0.5) -> dict[str, float]:
    """``vector_env_steps_per_s_k1000_NAME`` and ``sync_env_steps_per_s_k1000_NAME`` per env."""
    out = {}
    for name, (env_id, kwargs) in VECTOR_ENVS.items():
        out[f"vector_env_steps_per_s_k1000_{name}"] = vector_env_steps_per_s(
            env_id, kwargs, "vector_entry_point", num_envs, seconds
        )
        out[f"sync_env_steps_per_s_k1000_{name}"] = vector_env_steps_per_s(env_id, kwargs, "sync", num_envs, seconds)
    return out
