"""The course's CartPole training with DQN, through the same train loop as PS and Q-learning.

Settings: the rl-baselines3-zoo hyperparameters for CartPole-v1, 50,000 steps
(:data:`qbaselines.presets.CARTPOLE_ZOO` lists them).

Run:  python examples/cartpole_dqn.py --out results/cartpole
Writes OUT/cartpole_dqn.png (return per episode), OUT/cartpole_dqn.csv and the agent
OUT/cartpole_dqn.pt, and prints a deterministic 20-episode evaluation.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
from _common import steps_command_line, wrote

import ps_graph
from ps_graph.files import save_figure, write_episode_csv
from ps_graph.inspection.plots import plot_learning_curves
from qbaselines import DQNAgent
from qbaselines.presets import CARTPOLE_ZOO as ZOO


def run(out: Path, steps: int = 50_000, seed: int = 0, progress: bool = True) -> dict:
    env = gym.make("CartPole-v1")
    agent = DQNAgent.for_env(env, total_timesteps=steps, seed=seed, **ZOO)
    result = ps_graph.train(agent, env, total_steps=steps, seed=seed, progress=progress)
    evaluation = ps_graph.evaluate(agent, gym.make("CartPole-v1"), episodes=20, seed=seed + 10_000)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = write_episode_csv(out / "cartpole_dqn.csv", {"DQN": [(seed, result)]}, env="CartPole-v1")
    fig = plot_learning_curves({"DQN": [result]}, window=10, panels=("reward",), title="CartPole-v1: DQN")
    png_path = save_figure(fig, out / "cartpole_dqn.png", dpi=110)
    model_path = agent.save(out / "cartpole_dqn.pt")
    return {
        "csv": csv_path,
        "png": png_path,
        "model": model_path,
        "eval_mean_return": float(evaluation.returns.mean()),
        "steps_per_s": result.steps / result.wall_time,
    }


def main(argv=None) -> None:
    args = steps_command_line(__doc__, "results/cartpole", 50_000, argv)
    report = run(args.out, args.steps, args.seed)
    speed = f"{report['steps_per_s']:.0f} training steps/s"
    print(
        f"deterministic 20-episode evaluation: mean return {report['eval_mean_return']:.1f} ({speed}); "
        + wrote(report, "csv", "png", "model")
    )


if __name__ == "__main__":
    main()
