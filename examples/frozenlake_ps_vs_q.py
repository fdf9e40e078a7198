"""The course exercise: PS and Q-learning on FrozenLake 4x4 (not slippery), 30 runs x 500
episodes, with the course's two plots (reward and steps per episode, averaged over runs).

Settings from the course (../shared/seeds/course_mdp_qlearning_ps_dqn.txt):
* PS: 2-layer, standard policy, gamma_damping = 0, eta_glow_damping = 0.04;
* Q-learning: learning_rate (eta) = 0.8, gamma = 0.9, noisy-argmax exploration
  ``argmax(Q[s] + randn / (episode + 1))``;
* at most 99 steps per episode (the course's max_t).

Run:  python examples/frozenlake_ps_vs_q.py --out results/frozenlake
Writes OUT/frozenlake_ps_vs_q.csv (one row per episode) and OUT/frozenlake_ps_vs_q.png, and,
for the PS agent of the first run: OUT/ps_agent.json (``ps_graph.save``; open it again with
``ps-graph inspect OUT/ps_agent.json``), OUT/ps_ecm.html (its ECM, interactive, works
offline) and OUT/ps_policy_map.png (its exact action probabilities on the grid).
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
from _common import command_line, parse, print_summary
from tqdm.auto import tqdm

import ps_graph
from ps_graph.files import save_figure, write_episode_csv
from ps_graph.inspection.drawing import plot_policy_map
from ps_graph.inspection.plots import plot_learning_curves
from ps_graph.inspection.viz import write_html
from qbaselines import QLearningAgent

AGENTS = {
    "PS (eta=0.04, gamma=0)": lambda env, seed: ps_graph.PSAgent.for_env(
        env, eta_glow_damping=0.04, gamma_damping=0.0, seed=seed
    ),
    "Q-learning (lr=0.8, gamma=0.9)": lambda env, seed: QLearningAgent.for_env(
        env, learning_rate=0.8, gamma=0.9, exploration="noisy_argmax", seed=seed
    ),
}


def run(out: Path, runs: int = 30, episodes: int = 500, seed: int = 0, progress: bool = True) -> dict:
    env = gym.make("FrozenLake-v1", is_slippery=False)
    seeds = [seed + i for i in range(runs)]
    results, first = {}, {}
    for name, make in AGENTS.items():
        results[name] = []
        for s in tqdm(seeds, desc=name, disable=not progress):
            agent = make(env, s)
            results[name].append((s, ps_graph.train(agent, env, episodes=episodes, seed=s, max_steps=99)))
            first.setdefault(name, agent)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = write_episode_csv(out / "frozenlake_ps_vs_q.csv", results, env="FrozenLake-v1[is_slippery=false]")
    fig = plot_learning_curves(
        {name: [r for _, r in rs] for name, rs in results.items()},
        title=f"FrozenLake 4x4 (not slippery): mean over {runs} runs, 95 % band",
    )
    png_path = save_figure(fig, out / "frozenlake_ps_vs_q.png", dpi=120)
    ps_agent = first[next(iter(AGENTS))]
    files = {
        "agent": ps_graph.save(ps_agent, out / "ps_agent.json"),
        "ecm_html": write_html(ps_agent, out / "ps_ecm.html", title=f"PS agent, FrozenLake 4x4, seed {seeds[0]}"),
        "policy_map": save_figure(plot_policy_map(ps_agent, env), out / "ps_policy_map.png", dpi=120),
    }
    summary = {name: float(np.mean([r.success_rate(last=100) for _, r in rs])) for name, rs in results.items()}
    return {"csv": csv_path, "png": png_path, **files, "success_last_100": summary}


def main(argv=None) -> None:
    parser = command_line(__doc__, "results/frozenlake", seed_help="first seed; runs use seed, seed+1, ...")
    parser.add_argument("--runs", type=int, default=30, help="independent runs (seeds) per agent")
    parser.add_argument("--episodes", type=int, default=500, help="episodes per run")
    args = parse(parser, argv, runs=1, episodes=1)
    report = run(args.out, args.runs, args.episodes, args.seed)
    rows = [f"{name:36s} {rate:.3f}" for name, rate in report["success_last_100"].items()]
    print_summary(
        f"{'agent':36s} mean success, last 100 episodes",
        rows,
        report,
        files=("csv", "png", "agent", "ecm_html", "policy_map"),
    )


if __name__ == "__main__":
    main()
