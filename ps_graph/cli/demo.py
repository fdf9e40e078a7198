"""``ps-graph demo``: the course's FrozenLake exercise, PS vs Q-learning vs DQN, as a report folder.

>>> import argparse
>>> sub = argparse.ArgumentParser(prog="ps-graph").add_subparsers()
>>> args = add_parser(sub).parse_args(["--quick"])
>>> args.quick, args.jobs, DEMO_BUDGETS["quick"]
(True, -1, ((3, 60), (1, 60)))
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .args import add_jobs, add_quiet
from .compare import finish

__all__ = ["DEMO_AGENTS", "DEMO_BUDGETS", "DEMO_ENV", "DEMO_MAX_STEPS", "add_parser", "run"]

DEMO_ENV: tuple[str, dict[str, Any]] = ("FrozenLake-v1", {"is_slippery": False})
DEMO_MAX_STEPS = 99
DEMO_AGENTS: dict[
    str, tuple[str, dict[str, Any]]
] = {  # the course's settings; DQN: a small MLP on one-hot states that learns the 4x4 lake
    "ps": ("ps", {"eta_glow_damping": 0.04, "gamma_damping": 0.0}),
    "q-learning": ("q", {"learning_rate": 0.8, "gamma": 0.9, "exploration": "noisy_argmax"}),
    "dqn": (
        "dqn",
        {
            "net_arch": [32],
            "learning_rate": 1e-3,
            "buffer_size": 10_000,
            "learning_starts": 200,
            "batch_size": 32,
            "gamma": 0.9,
            "train_freq": 1,
            "target_update_interval": 200,
            "exploration_fraction": 0.5,
            "exploration_final_eps": 0.02,
            "total_timesteps": 4000,
        },
    ),
}
# (runs, episodes) of PS and Q-learning, and of DQN. DQN's budget is about a minute on 2 cores; the
# full 30 x 500 fits it (measured: about 25 s with 2 workers on a shared 2-core machine, ~1.3 s per run).
DEMO_BUDGETS = {"full": ((30, 500), (30, 500)), "quick": ((3, 60), (1, 60))}
DEMO_DQN_SECONDS = 60
DEMO_NOTE = (
    "The course's exercise. Every agent runs through the same train loop, on the same seeds; only the agent differs."
)
DEMO_DQN_MEASURED = "about 25 s with 2 workers on a 2-core machine"
DEMO_SUMMARY: dict[str, Any] = {"last": 100, "threshold": 0.9, "window": 10, "metric": "return"}


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``demo`` to ``subparsers``; returns its parser."""
    (runs, episodes), (dqn_runs, dqn_episodes) = DEMO_BUDGETS["full"]
    (quick_runs, quick_episodes), (quick_dqn_runs, quick_dqn_episodes) = DEMO_BUDGETS["quick"]
    parser = subparsers.add_parser(
        "demo",
        help="the course's FrozenLake exercise, PS vs Q-learning vs DQN, as a report folder",
        description=f"FrozenLake 4x4, not slippery, at most {DEMO_MAX_STEPS} steps per episode: PS "
        "(eta_glow_damping 0.04, gamma_damping 0) and Q-learning (learning rate 0.8, gamma 0.9, "
        f"noisy argmax), {runs} runs x {episodes} episodes "
        f"each, and DQN (one-hot states, a 32-unit MLP) with {dqn_runs} runs x "
        f"{dqn_episodes} episodes, which fits its budget of about {DEMO_DQN_SECONDS} s "
        f"on 2 cores ({DEMO_DQN_MEASURED}). Writes OUT/report.html (self-contained, works offline: "
        "learning curves, summary, "
        "the exact optimum, the interactive ECM of a trained PS agent), summary.csv, the curves "
        "PNG, ps_agent.json and the per-run results. Running it again reuses finished runs.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="report folder (default results/demo, or results/demo-quick with --quick)",
    )
    add_jobs(parser)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke run: {quick_runs} runs x {quick_episodes} episodes "
        f"({quick_dqn_runs} x {quick_dqn_episodes} for DQN)",
    )
    add_quiet(parser)
    parser.set_defaults(run=run)
    return parser


def _settings_shown(quick: bool, env_name: str) -> dict[str, str]:
    """The report's table of what ran, in the course's words."""
    (runs, episodes), (dqn_runs, dqn_episodes) = DEMO_BUDGETS["quick" if quick else "full"]
    return {
        "command": "ps-graph demo" + (" --quick" if quick else ""),
        "environment": f"{env_name}: FrozenLake 4x4, not slippery; at most {DEMO_MAX_STEPS} steps per episode "
        "(the course's max_t); reward 1 at the goal, else 0",
        "ps": "ps_graph.PSAgent, 2-layer, standard policy, eta_glow_damping 0.04, gamma_damping 0 (the course's)",
        "q-learning": "learning_rate 0.8, gamma 0.9, noisy argmax: argmax(Q[s] + randn / (episode + 1)) (the course's)",
        "dqn": "one-hot states, MLP (32), "
        + ", ".join(f"{k} {v}" for k, v in DEMO_AGENTS["dqn"][1].items() if k != "net_arch"),
        "budget": f"ps and q-learning: {runs} runs x {episodes} episodes; dqn: {dqn_runs} runs x {dqn_episodes} "
        f"episodes"
        + (
            ""
            if quick
            else f" (DQN's budget is about {DEMO_DQN_SECONDS} s on 2 cores; "
            f"{dqn_runs} x {dqn_episodes} fits it: {DEMO_DQN_MEASURED})"
        ),
        "seeds": "root seed 0; run i of every agent uses the same seed",
    }


def run(args: argparse.Namespace) -> int:
    """Run the exercise (PS and Q-learning, then DQN on its own budget) and write the report."""
    from ..experiments import AgentSpec, EnvSpec, compare
    from ..report import report_comparison

    (runs, episodes), (dqn_runs, dqn_episodes) = DEMO_BUDGETS["quick" if args.quick else "full"]
    out = args.out or Path("results/demo-quick" if args.quick else "results/demo")
    args.out = out
    env = EnvSpec(*DEMO_ENV)
    agents = [AgentSpec(kind, hp, name=name) for name, (kind, hp) in DEMO_AGENTS.items()]
    common = {"seed": 0, "max_steps": DEMO_MAX_STEPS, "jobs": args.jobs, "progress": not args.quiet}
    results = compare(agents[:2], env, out, runs=runs, episodes=episodes, **common)
    results |= compare(agents[2:], env, out, runs=dqn_runs, episodes=dqn_episodes, **common)
    report = report_comparison(
        results,
        agents,
        env,
        out,
        seed=0,
        episodes=episodes,
        max_steps=DEMO_MAX_STEPS,
        title="FrozenLake 4x4 (not slippery): PS vs Q-learning vs DQN",
        settings=_settings_shown(args.quick, env.name),
        notes=[DEMO_NOTE],
        **DEMO_SUMMARY,
    )
    finish(results, args, DEMO_SUMMARY, report)
    return 0
