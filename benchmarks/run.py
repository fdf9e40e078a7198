"""Throughput and memory benchmarks, each figure beside its reference timed in the same run.

Shared machines drift, so every figure is measured next to its reference in this process
and the table quotes ratios:

* agent-only microseconds per step of the graph core (PSAgent) and the 2-layer fast path
  (TwoLayerPS) beside the course's dense PS_agent (tests/textbook.py, O(percepts x actions)
  per step), at 16, 1,000 and 100,000 percept clips;
* time to add 100,000 percepts to TwoLayerPS;
* the course's FrozenLake exercise (30 runs x 500 episodes) as one batched call beside the
  textbook agent run with gymnasium as in the course;
* batched agent-steps per second at K = 1,000 on slippery FrozenLake (20 episodes each, the
  compiled run); the invasion figure (2 symbols, 500 trials, inversion at 250, four gamma
  values, 20,000 agents each) through ``gym.make_vec`` and ``train_batch``; every native vector
  env at K = 1,000 beside gymnasium's SyncVectorEnv of the same env (benchmarks/batched.py);
* TwoLayerPS through ``train`` on gymnasium beside gymnasium's own ceiling (random actions,
  same env);
* memory per edge (graph core) and per h entry (fast path) at 100,000 percepts x 4 actions;
* ``ps_graph.experiments.compare``: 16 PS runs on FrozenLake on 2 local worker processes
  beside the same 16 runs serially (worker start-up included);
* DQN on CartPole with the rl-baselines3-zoo settings beside Stable-Baselines3's DQN with
  the same settings (when the ``bench`` extra is installed), one torch thread each.

    python benchmarks/run.py [--quick] [--json out.json]

``--quick`` keeps every workload as it is and measures each figure once instead of keeping
the best of several repetitions, so its figures mean the same (they are only noisier).

The agent-only loops feed every agent the same pre-drawn stream of percepts (uniform over
S), rewards (1 with probability 0.05) and episode ends (every 100 steps), with 4 actions,
gamma_damping = 0.001 and eta_glow_damping = 0.04, so damping, glow and rewards all work.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import gymnasium as gym
import numpy as np
from gymnasium import spaces

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import batched  # noqa: E402  (benchmarks/batched.py, beside this file)

import ps_graph  # noqa: E402
from ps_graph.files import atomic_write_text  # noqa: E402
from qbaselines.presets import CARTPOLE_ZOO  # noqa: E402
from tests.textbook import TextbookPS  # noqa: E402

ACTIONS = 4
GAMMA, ETA = 0.001, 0.04
EPISODE = 100
SIZES = {"16": 16, "1k": 1_000, "100k": 100_000}


# ---------------------------------------------------------------------- agent-only steps
def stream(num_percepts: int, steps: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    states = rng.integers(num_percepts, size=steps).tolist()
    rewards = (rng.random(steps) < 0.05).astype(float).tolist()
    return states, rewards


def time_agent(cls, num_percepts: int, steps: int) -> float:
    """Microseconds per act + observe of a PSAgent or TwoLayerPS holding every percept."""
    agent = cls(ACTIONS, spaces.Discrete(num_percepts), gamma_damping=GAMMA, eta_glow_damping=ETA, seed=0)
    for s in range(num_percepts):
        agent.percept(s)
    states, rewards = stream(num_percepts, steps)
    act, observe = agent.act, agent.observe
    start = time.perf_counter()
    for t in range(steps):
        act(states[t])
        observe(rewards[t], states[t], False, (t + 1) % EPISODE == 0)
    return (time.perf_counter() - start) / steps * 1e6


def time_textbook(num_percepts: int, steps: int) -> float:
    agent = TextbookPS(GAMMA, ETA, num_percepts, ACTIONS, rng=np.random.default_rng(0))
    states, rewards = stream(num_percepts, steps)
    start = time.perf_counter()
    for t in range(steps):
        agent.deliberate(states[t])
        agent.learn(rewards[t])
        if (t + 1) % EPISODE == 0:
            agent.reset_gmatrix()
    return (time.perf_counter() - start) / steps * 1e6


def best_of(fn, *args, repeats: int = 3) -> float:
    return min(fn(*args) for _ in range(repeats))


def time_growth(num_percepts: int = 100_000) -> float:
    agent = ps_graph.TwoLayerPS(ACTIONS, spaces.Discrete(num_percepts), seed=0)
    start = time.perf_counter()
    for s in range(num_percepts):
        agent.percept(s)
    return time.perf_counter() - start


# ---------------------------------------------------------------------- the course exercise
def textbook_frozenlake(runs: int, episodes: int) -> float:
    """The course's train_ps loop with the dense textbook agent on gymnasium."""
    env = gym.make("FrozenLake-v1", is_slippery=False)
    start = time.perf_counter()
    for run in range(runs):
        agent = TextbookPS(0.0, 0.04, 16, 4, rng=np.random.default_rng(run))
        env.reset(seed=run)
        for _ in range(episodes):
            s = env.reset()[0]
            agent.reset_gmatrix()
            for _ in range(99):
                action = agent.deliberate(s)
                s, r, done, _, _ = env.step(action)
                agent.learn(r)
                if done:
                    break
    return time.perf_counter() - start


# ---------------------------------------------------------------------- loop vs env ceiling
def env_ceiling_steps_per_s(steps: int) -> float:
    env = gym.make("FrozenLake-v1", is_slippery=True)
    actions = np.random.default_rng(0).integers(4, size=steps).tolist()
    env.reset(seed=0)
    start = time.perf_counter()
    for a in actions:
        _, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


def ps_loop_steps_per_s(steps: int) -> float:
    env = gym.make("FrozenLake-v1", is_slippery=True)
    agent = ps_graph.TwoLayerPS.for_env(env, gamma_damping=GAMMA, eta_glow_damping=ETA, seed=0)
    result = ps_graph.train(agent, env, total_steps=steps, seed=0)
    return result.steps / result.wall_time


# ---------------------------------------------------------------------- DQN vs Stable-Baselines3
# rl-baselines3-zoo's CartPole settings (qbaselines.presets), on both sides of the comparison
ZOO = {name: value for name, value in CARTPOLE_ZOO.items() if name != "net_arch"}


def dqn_steps_per_s(steps: int) -> float:
    """Our DQN with the rl-baselines3-zoo CartPole settings, one torch thread."""
    from qbaselines import DQNAgent

    env = gym.make("CartPole-v1")
    agent = DQNAgent.for_env(env, net_arch=[256, 256], total_timesteps=steps, torch_threads=1, seed=0, **ZOO)
    result = ps_graph.train(agent, env, total_steps=steps, seed=0)
    return result.steps / result.wall_time


def sb3_steps_per_s(steps: int) -> float | None:
    """Stable-Baselines3's DQN with the same settings and one torch thread (None if absent)."""
    try:
        import torch
        from stable_baselines3 import DQN
    except ImportError:
        return None
    torch.set_num_threads(1)
    model = DQN(
        "MlpPolicy", gym.make("CartPole-v1"), policy_kwargs=dict(net_arch=[256, 256]), seed=0, device="cpu", **ZOO
    )
    start = time.perf_counter()
    model.learn(steps)
    return steps / (time.perf_counter() - start)


# ---------------------------------------------------------------------- compare: local workers vs serial
def compare_seconds(jobs: int, runs: int = 16, episodes: int = 10_000) -> float:
    """Wall time of ``ps_graph.experiments.compare`` for ``runs`` PS runs on FrozenLake, on ``jobs``
    local worker processes (1: serially in this process; worker start-up included), results to a temporary folder."""
    import tempfile

    from ps_graph.experiments import compare

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        compare("ps", "FrozenLake-v1", out, runs=runs, episodes=episodes, jobs=jobs, progress=False)
        return time.perf_counter() - start


# ---------------------------------------------------------------------- memory
def bytes_per_edge(cls, num_percepts: int = 100_000) -> float:
    tracemalloc.start()
    try:
        agent = cls(ACTIONS, spaces.Discrete(num_percepts), seed=0)
        before = tracemalloc.get_traced_memory()[0]
        for s in range(num_percepts):
            agent.percept(s)
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return used / (num_percepts * ACTIONS)


def run(quick: bool = False) -> dict[str, float]:
    """Every figure. ``quick`` repeats each measurement once instead of keeping the best of
    three; the workloads (steps, agents, episodes) are the same, so the figures mean the same."""
    reps = 1 if quick else 3
    steps, big_textbook_steps = 20_000, 400
    f: dict[str, float] = {}
    for name, n in SIZES.items():
        r = 1 if n > 1000 else reps
        f[f"graph_us_per_step_{name}"] = best_of(time_agent, ps_graph.PSAgent, n, steps, repeats=r)
        f[f"fast_us_per_step_{name}"] = best_of(time_agent, ps_graph.TwoLayerPS, n, steps, repeats=r)
        f[f"textbook_us_per_step_{name}"] = best_of(
            time_textbook, n, big_textbook_steps if n > 1000 else steps, repeats=r
        )
    f["grow_100k_percepts_s"] = best_of(time_growth, repeats=reps)
    batched.warm_up()
    f["batch_frozenlake_30x500_s"] = best_of(batched.batch_frozenlake, 30, 500, repeats=reps)
    f["textbook_frozenlake_30x500_s"] = textbook_frozenlake(30, 500)
    f["batch_agent_steps_per_s_k1000"] = max(batched.batch_steps_per_s(1000, 20, GAMMA, ETA) for _ in range(reps))
    f["invasion_figure_20k_s"] = best_of(batched.invasion_figure, repeats=1 if quick else 2)
    f.update(batched.vector_envs(1000, seconds=0.5))
    loop_steps = 100_000
    f["env_ceiling_steps_per_s"] = max(env_ceiling_steps_per_s(loop_steps) for _ in range(reps))
    f["ps_loop_steps_per_s"] = max(ps_loop_steps_per_s(loop_steps) for _ in range(reps))
    dqn_steps = 50_000
    f["dqn_cartpole_steps_per_s"] = dqn_steps_per_s(dqn_steps)
    sb3 = sb3_steps_per_s(dqn_steps)
    if sb3 is not None:
        f["sb3_cartpole_steps_per_s"] = sb3
    f["compare_serial_16_runs_s"] = compare_seconds(1, 16, 10_000)
    f["compare_2_workers_16_runs_s"] = compare_seconds(2, 16, 10_000)
    f["compare_speedup_2_workers"] = f["compare_serial_16_runs_s"] / f["compare_2_workers_16_runs_s"]
    f["graph_bytes_per_edge"] = bytes_per_edge(ps_graph.PSAgent)
    f["fast_bytes_per_entry"] = bytes_per_edge(ps_graph.TwoLayerPS)
    return f


def table(f: dict[str, float]) -> str:
    rows = [
        "| percept clips | graph core (us/step) | fast path (us/step) | textbook (us/step) "
        "| graph / textbook | fast / textbook |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for name, n in SIZES.items():
        g, fa, t = (f[f"{k}_us_per_step_{name}"] for k in ("graph", "fast", "textbook"))
        rows.append(f"| {n:,} | {g:.2f} | {fa:.2f} | {t:.2f} | {g / t:.2f}x | {fa / t:.2f}x |")
    checks = [
        ("graph 16 / textbook 16", f["graph_us_per_step_16"] / f["textbook_us_per_step_16"], "<= 1.5"),
        ("graph 100k / graph 16", f["graph_us_per_step_100k"] / f["graph_us_per_step_16"], "<= 1.5"),
        ("textbook 16 / fast 16 (speed-up)", f["textbook_us_per_step_16"] / f["fast_us_per_step_16"], ">= 3"),
        ("fast 100k / fast 16", f["fast_us_per_step_100k"] / f["fast_us_per_step_16"], "<= 1.5"),
        ("grow 100,000 percepts (s)", f["grow_100k_percepts_s"], "<= 0.5"),
        (
            "textbook / batch, FrozenLake 30 x 500 (speed-up)",
            f["textbook_frozenlake_30x500_s"] / f["batch_frozenlake_30x500_s"],
            ">= 30",
        ),
        (
            "batched agent-steps per s, K = 1,000, slippery FrozenLake",
            f["batch_agent_steps_per_s_k1000"],
            ">= 10,000,000",
        ),
        ("invasion figure, 4 x 20,000 agents x 500 trials (s)", f["invasion_figure_20k_s"], "<= 10"),
        ("TwoLayerPS loop / env ceiling", f["ps_loop_steps_per_s"] / f["env_ceiling_steps_per_s"], ">= 0.5"),
        ("compare: 16 PS runs, 2 local workers / serial (speed-up)", f["compare_speedup_2_workers"], ">= 1.5"),
        ("graph bytes per edge", f["graph_bytes_per_edge"], "<= 500"),
        ("fast bytes per h entry", f["fast_bytes_per_entry"], "<= 24"),
    ]
    if "sb3_cartpole_steps_per_s" in f:
        checks.append(
            (
                "DQN / Stable-Baselines3 steps per s, CartPole zoo settings",
                f["dqn_cartpole_steps_per_s"] / f["sb3_cartpole_steps_per_s"],
                ">= 2",
            )
        )
    rows += ["", "| figure | measured | target |", "|---|---:|---:|"]
    rows += [f"| {name} | {value:,.2f} | {target} |" for name, value, target in checks]
    rows += ["", "| native vector env, K = 1,000 | native (steps/s) | SyncVectorEnv (steps/s) | ratio (>= 20) |"]
    rows += ["|---|---:|---:|---:|"]
    for name in batched.VECTOR_ENVS:
        native, sync = f[f"vector_env_steps_per_s_k1000_{name}"], f[f"sync_env_steps_per_s_k1000_{name}"]
        rows.append(f"| {name} | {native:,.0f} | {sync:,.0f} | {native / sync:,.1f}x |")
    rows += [
        "",
        f"batch 30 x 500: {f['batch_frozenlake_30x500_s']:.3f} s beside textbook "
        f"{f['textbook_frozenlake_30x500_s']:.2f} s; "
        f"loop {f['ps_loop_steps_per_s']:,.0f} steps/s beside env ceiling {f['env_ceiling_steps_per_s']:,.0f} steps/s",
        f"compare, 16 PS runs: {f['compare_2_workers_16_runs_s']:.2f} s on 2 local workers beside "
        f"{f['compare_serial_16_runs_s']:.2f} s serial",
        f"DQN CartPole: {f['dqn_cartpole_steps_per_s']:,.0f} steps/s"
        + (
            f" beside Stable-Baselines3 {f['sb3_cartpole_steps_per_s']:,.0f} steps/s"
            if "sb3_cartpole_steps_per_s" in f
            else " (install the bench extra to time Stable-Baselines3 beside it)"
        ),
    ]
    return "\n".join(rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="each measurement once instead of the best of three (same workloads)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures as one JSON object to this file")
    args = parser.parse_args(argv)
    figures = run(quick=args.quick)
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(table(figures))
    if args.json:
        atomic_write_text(args.json, json.dumps(figures, indent=2, sort_keys=True) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
