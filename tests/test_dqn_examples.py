"""The DQN examples and the blog's reward wrapper."""

import sys
from pathlib import Path

import gymnasium as gym
import pytest

from ps_graph import ConfigError
from ps_graph.wrappers import CliffWalkingBlogReward

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
import cartpole_dqn  # noqa: E402
import cliffwalking_dqn  # noqa: E402

sys.path.pop(0)


def test_blog_reward_wrapper():
    env = CliffWalkingBlogReward(gym.make("CliffWalking-v1"))
    env.reset(seed=0)
    obs, r, term, trunc, info = env.step(0)  # up: an ordinary step
    assert (r, term) == (0.0, False)
    env.reset(seed=0)
    obs, r, term, trunc, info = env.step(1)  # right from the start: the cliff
    assert (r, term, info["fell"]) == (0.0, True, True)
    env.reset(seed=0)
    env.unwrapped.s = 35  # just above the goal
    obs, r, term, trunc, info = env.step(2)  # down onto the goal
    assert (obs, r, term) == (47, 1.0, True)
    with pytest.raises(ConfigError, match="CliffWalking"):
        CliffWalkingBlogReward(gym.make("FrozenLake-v1"))


@pytest.mark.slow
def test_cliffwalking_greedy_policy_reaches_the_goal_in_100_of_100(tmp_path):
    report = cliffwalking_dqn.run(tmp_path, steps=20_000, seed=0)
    assert report["reached_goal"] == 100
    assert report["path_length"] == 13  # the shortest safe path
    assert (tmp_path / "cliffwalking_dqn.png").exists() and (tmp_path / "cliffwalking_dqn.csv").exists()


def test_cartpole_example_runs_with_a_tiny_budget(tmp_path):
    report = cartpole_dqn.run(tmp_path, steps=1_200, seed=0, progress=False)
    assert report["model"].exists() and report["csv"].exists() and report["png"].exists()
    assert 0 < report["eval_mean_return"] <= 500
