"""The blog's task: DQN on CliffWalking with its reward processing as a gymnasium wrapper.

Settings after ../shared/seeds/blog_dqn_cliffwalking.txt (:data:`qbaselines.presets.CLIFFWALKING_BLOG`):
one hidden layer of 48 units, learning rate 1e-3, discount 0.9, target network synced every
10 steps, replay memory of 1,000 transitions, batches of 32, one-hot states, epsilon decaying
linearly to 0. The
wrapper :class:`ps_graph.envs.wrappers.CliffWalkingBlogReward` ends the episode when the agent
steps off the cliff (reward 0) and gives 1 at the goal; episodes are cut at 100 steps.
After training, the greedy policy is tested on 100 episodes: it must reach the goal
without falling in all of them.

Run:  python examples/cliffwalking_dqn.py --out results/cliffwalking
Writes OUT/cliffwalking_dqn.png (training success per episode) and OUT/cliffwalking_dqn.csv.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
from _common import steps_command_line, wrote

import ps_graph
from ps_graph.envs.wrappers import CliffWalkingBlogReward
from ps_graph.files import save_figure, write_episode_csv
from ps_graph.inspection.plots import plot_learning_curves
from qbaselines import DQNAgent
from qbaselines.presets import CLIFFWALKING_BLOG as SETTINGS

ENV_NAME = "CliffWalking-v1[max_episode_steps=100]+CliffWalkingBlogReward"


def make_env() -> gym.Env:
    return CliffWalkingBlogReward(gym.make("CliffWalking-v1", max_episode_steps=100))


def run(out: Path, steps: int = 20_000, seed: int = 0) -> dict:
    env = make_env()
    agent = DQNAgent.for_env(env, total_timesteps=steps, seed=seed, **SETTINGS)
    result = ps_graph.train(agent, env, total_steps=steps, seed=seed)
    test = ps_graph.evaluate(agent, make_env(), episodes=100, seed=seed + 1)
    reached = int((test.returns == 1.0).sum())
    out.mkdir(parents=True, exist_ok=True)
    csv_path = write_episode_csv(out / "cliffwalking_dqn.csv", {"DQN": [(seed, result)]}, env=ENV_NAME)
    fig = plot_learning_curves({"DQN": [result]}, window=20, title="CliffWalking (blog rewards): DQN training")
    png_path = save_figure(fig, out / "cliffwalking_dqn.png", dpi=110)
    return {"csv": csv_path, "png": png_path, "reached_goal": reached, "path_length": float(np.mean(test.lengths))}


def main(argv=None) -> None:
    args = steps_command_line(__doc__, "results/cliffwalking", 20_000, argv)
    report = run(args.out, args.steps, args.seed)
    print(
        f"greedy policy reached the goal in {report['reached_goal']} of 100 test episodes "
        f"(path length {report['path_length']:.0f}); {wrote(report, 'csv', 'png')}"
    )


if __name__ == "__main__":
    main()
