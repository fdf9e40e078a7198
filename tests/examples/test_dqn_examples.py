"""The DQN examples and the blog's reward wrapper."""

import sys
from pathlib import Path

import gymnasium as gym
import pytest

from ps_graph import ConfigError
from ps_graph.envs.wrappers import CliffWalkingBlogReward

ROOT = Path(__file__).resolve().parents[2]
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


@pytest.mark.slow
def test_cartpole_zoo_settings_reach_475_in_at_least_two_of_three_seeds(tmp_path):
    """The issue's criterion: rl-baselines3-zoo settings, 50,000 steps, a deterministic
    20-episode evaluation mean >= 475 in at least 2 of seeds 0, 1, 2 (~20 s each).

    DQN with these settings is seed-sensitive, ours and SB3's alike. Measured on seeds 0-9
    (same settings, evaluation env seeded seed + 10,000): ours 111.6 / 500 / 500 / 142.9 /
    500 / 32.8 / 181.3 / 500 / 18.6 / 500 (5 of 10 >= 475); Stable-Baselines3 2.9.2
    20.4 / 500 / 500 / 193.2 / 500 / 500 / 306.0 / 451.3 / 500 / 500 (6 of 10). Seeds 0-2
    are simply the first three.
    """
    scores = [
        cartpole_dqn.run(tmp_path / str(seed), steps=50_000, seed=seed, progress=False)["eval_mean_return"]
        for seed in (0, 1, 2)
    ]
    assert sum(score >= 475 for score in scores) >= 2, scores
