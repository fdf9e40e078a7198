"""Throughput benchmarks: agent-only microseconds per step, graph core vs the textbook.

Every figure is timed beside its reference in the same process (shared machines drift):
the textbook reference is the course's dense PS_agent (tests/textbook.py), whose step
costs O(percepts x actions); the graph core's step should not grow with the ECM.

    python benchmarks/run.py [--quick] [--json out.json]

The agent-only loop feeds both agents the same pre-drawn stream of percepts (uniform over
S), rewards (1 with probability 0.05) and episode ends (every 100 steps), with 4 actions,
gamma_damping = 0.001 and eta_glow_damping = 0.04, so damping, glow and rewards all work.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
from gymnasium import spaces

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ps_graph  # noqa: E402
from ps_graph.io import atomic_write_text  # noqa: E402
from tests.textbook import TextbookPS  # noqa: E402

ACTIONS = 4
GAMMA, ETA = 0.001, 0.04
EPISODE = 100


def stream(num_percepts: int, steps: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    states = rng.integers(num_percepts, size=steps).tolist()
    rewards = (rng.random(steps) < 0.05).astype(float).tolist()
    return states, rewards


def time_graph(num_percepts: int, steps: int) -> float:
    agent = ps_graph.PSAgent(ACTIONS, spaces.Discrete(num_percepts), gamma_damping=GAMMA,
                             eta_glow_damping=ETA, seed=0)
    for s in range(num_percepts):  # the ECM holds every percept clip before timing
        agent.percept(s)
    states, rewards = stream(num_percepts, steps)
    act, observe = agent.act, agent.observe
    start = time.perf_counter()
    for t in range(steps):
        act(states[t])
        end = (t + 1) % EPISODE == 0
        observe(rewards[t], states[t], False, end)
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


SIZES = {"16": 16, "1k": 1_000, "100k": 100_000}


def run(quick: bool = False) -> dict[str, float]:
    steps = 4_000 if quick else 20_000
    big_textbook_steps = 100 if quick else 400
    figures: dict[str, float] = {}
    for name, n in SIZES.items():
        figures[f"graph_us_per_step_{name}"] = best_of(time_graph, n, steps, repeats=1 if n > 1000 else 3)
        tb_steps = big_textbook_steps if n > 1000 else steps
        figures[f"textbook_us_per_step_{name}"] = best_of(time_textbook, n, tb_steps, repeats=1 if n > 1000 else 3)
    figures["graph_vs_textbook_16"] = figures["graph_us_per_step_16"] / figures["textbook_us_per_step_16"]
    figures["graph_100k_vs_16"] = figures["graph_us_per_step_100k"] / figures["graph_us_per_step_16"]
    return figures


def table(figures: dict[str, float]) -> str:
    rows = ["| percept clips | graph core (us/step) | textbook (us/step) | graph / textbook |",
            "|---:|---:|---:|---:|"]
    for name in SIZES:
        g, t = figures[f"graph_us_per_step_{name}"], figures[f"textbook_us_per_step_{name}"]
        rows.append(f"| {SIZES[name]:,} | {g:.2f} | {t:.2f} | {g / t:.2f}x |")
    rows.append("")
    rows.append(f"targets: graph/textbook at 16 <= 1.5 (got {figures['graph_vs_textbook_16']:.2f}); "
                f"graph 100k / graph 16 <= 1.5 (got {figures['graph_100k_vs_16']:.2f})")
    return "\n".join(rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps: finishes in well under a minute")
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
