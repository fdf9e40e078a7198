"""Target-search worlds: hand-worked seeded steps, the gymnasium envs, fixed strategies."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import ps_graph
from ps_graph.envs import Foraging, Reset1D, Reset2D, TurnReset2D
from ps_graph.envs.search import ForagingWalk, ResetWalk1D, ResetWalk2D, TurnResetWalk2D, check_cutoff, segment_hits
from ps_graph.envs.strategies import (
    biexponential_turning,
    efficiency,
    exponential_reset,
    levy_turning,
    sharp_reset,
    sharp_turn_reset,
)
from ps_graph.errors import ConfigError


def test_reset_1d_steps_by_hand():
    """Positions follow the seeded Gaussian steps; a find at x >= L resets the walker and its counter."""
    world = ResetWalk1D(2, diffusion=0.5, distance=1.0, max_counter=50, rng=np.random.default_rng(4))
    noise = np.random.default_rng(4).standard_normal((6, 2))  # the same stream: one normal per walker per step
    x = np.zeros(2)
    counter = np.zeros(2, int)
    for t in range(6):
        actions = np.array([0, 1 if t == 2 else 0])
        rewards = world.step(actions)
        x = np.where(actions == 1, 0.0, x + noise[t])  # sqrt(2 D) = 1
        found = x >= 1.0
        x[found] = 0.0
        counter = np.where((actions == 1) | found, 0, counter + 1)
        np.testing.assert_array_equal(rewards, found.astype(float))
        np.testing.assert_allclose(world.x, x)
        np.testing.assert_array_equal(world.counter, counter)


def test_reset_1d_forced_reset_at_the_maximum_counter():
    world = ResetWalk1D(1, distance=1e9, max_counter=3, rng=np.random.default_rng(0))
    counters = []
    for _ in range(5):
        world.step(np.array([0]))  # always "continue"
        counters.append(int(world.counter[0]))
    assert counters == [1, 2, 3, 0, 1]  # at counter 3 the walker is reset whatever the action
    assert world.x[0] != 0.0


def test_segment_crossing_counts_a_step_through_the_disc():
    start, end = np.array([[-2.0, 0.0]]), np.array([[2.0, 0.0]])
    assert segment_hits(start, end, np.array([0.0, 0.9]), 1.0).tolist() == [True]  # passes within r
    assert segment_hits(start, end, np.array([0.0, 1.1]), 1.0).tolist() == [False]
    assert segment_hits(start, end, np.array([2.5, 0.0]), 1.0).tolist() == [True]  # end point inside the disc
    assert segment_hits(start, start, np.array([-2.5, 0.0]), 1.0).tolist() == [True]  # no move, inside


def test_reset_2d_finds_a_target_crossed_mid_step():
    world = ResetWalk2D(1, diffusion=1.0, distance=2.0, radius=0.2, rng=np.random.default_rng(0))
    world.position[:] = world.target - [1.0, 1.0]  # a step of (+2, +2) would cross the centre
    world.rng = _FixedNormals(np.array([[2.0, 2.0]]) / math.sqrt(2.0))
    assert world.step(np.array([0])).tolist() == [1.0]
    assert world.position.tolist() == [[0.0, 0.0]] and world.counter.tolist() == [0]


class _FixedNormals:
    """A stand-in Generator whose normals are given (to place a step exactly)."""

    def __init__(self, values):
        self.values = values

    def standard_normal(self, shape):
        return np.broadcast_to(self.values, shape).copy()

    def uniform(self, low, high, n):
        return np.full(n, low)


def test_turn_reset_counters_and_forced_reset():
    world = TurnResetWalk2D(1, distance=50.0, radius=1.0, max_counter=4, rng=np.random.default_rng(1))
    world.reset()
    seen = []
    for action in (0, 1, 0, 0, 0, 0, 2):
        world.step(np.array([action]))
        seen.append((int(world.turn_counter[0]), int(world.reset_counter[0])))
    # continue: both +1; turn: turn counter 0; at reset counter 4 a forced reset; reset: both 0
    assert seen == [(1, 1), (0, 2), (1, 3), (2, 4), (0, 0), (1, 1), (0, 0)]


def test_foraging_periodic_box_finds_a_target_across_the_edge():
    world = ForagingWalk(1, num_targets=1, size=10.0, radius=0.3, rng=np.random.default_rng(0))
    world.reset()
    world.targets[:] = [[0.2, 5.0]]  # just past the right edge, seen from x = 9.6
    world.position[:] = [[9.6, 5.0]]
    world.angle[:] = 0.0
    assert world.step(np.array([0])).tolist() == [1.0]


def test_foraging_kick_moves_the_walker_to_the_cutoff_distance_then_a_free_step():
    world = ForagingWalk(1, num_targets=1, size=100.0, radius=0.5, cutoff=3.0, rng=np.random.default_rng(2))
    world.reset()
    world.targets[:] = [[50.0, 50.0]]
    world.position[:] = [[49.0, 50.0]]
    world.angle[:] = 0.0
    assert world.step(np.array([0])).tolist() == [1.0]
    assert math.isclose(float(np.linalg.norm(world.position[0] - [50.0, 50.0])), 3.0)
    assert world.counter.tolist() == [0] and world.kicked.tolist() == [True]
    world.targets[:] = world.position + 0.5 * np.array([[math.cos(a), math.sin(a)] for a in world.angle])
    assert world.step(np.array([0])).tolist() == [0.0]  # the step after a kick finds nothing
    assert world.counter.tolist() == [0]  # it is a turn


def test_foraging_destructive_targets_are_replaced():
    world = ForagingWalk(1, num_targets=1, size=100.0, radius=0.5, destructive=True, rng=np.random.default_rng(3))
    world.reset()
    world.targets[:] = [[50.0, 50.0]]
    world.position[:] = [[49.0, 50.0]]
    world.angle[:] = 0.0
    assert world.step(np.array([0])).tolist() == [1.0]
    assert world.targets[0, 0].tolist() != [50.0, 50.0] and not world.kicked[0]


def test_cutoff_distributions():
    rng = np.random.default_rng(0)
    world = ForagingWalk(1, cutoff=["choice", [1.0, 4.0], [0.5, 0.5]], rng=rng)
    assert world.cutoff == ("choice", ((1.0, 4.0), (0.5, 0.5)))
    from ps_graph.envs.search import draw_cutoff

    assert set(draw_cutoff(world.cutoff, rng, 100).tolist()) == {1.0, 4.0}
    assert (draw_cutoff(check_cutoff(["power_law", 2.0]), rng, 100) >= 1.0).all()
    assert (draw_cutoff(check_cutoff(["pareto", 1.5, 2.0]), rng, 100) >= 2.0).all()
    for bad in (0.0, ["nope", 1], ["choice", [1.0], [0.5]], ["power_law"], float("nan")):
        with pytest.raises(ConfigError):
            check_cutoff(bad)


@pytest.mark.parametrize("cls", [Reset1D, Reset2D, TurnReset2D, Foraging])
def test_every_search_env_passes_check_env_and_is_seeded_only_through_reset(cls):
    check_env(cls(), skip_render_check=True)
    runs = []
    for _ in range(2):
        env = cls()
        obs, _ = env.reset(seed=7)
        trace = [np.asarray(obs).tolist()]
        for t in range(300):
            obs, reward, terminated, truncated, _ = env.step(t % env.action_space.n if t % 5 == 0 else 0)
            trace.append((np.asarray(obs).tolist(), reward))
        runs.append(trace)
    assert runs[0] == runs[1]


def test_episodes_are_truncated_after_episode_steps():
    env = gym.make("ps_graph/Reset1D-v0", episode_steps=4)
    env.reset(seed=0)
    ends = [env.step(0)[2:4] for _ in range(4)]
    assert ends == [(False, False)] * 3 + [(False, True)]


def test_bad_parameters_are_refused():
    for kwargs in ({"distance": 0.0}, {"diffusion": -1.0}, {"max_counter": 0}, {"episode_steps": 10**12}):
        with pytest.raises(ConfigError):
            Reset1D(**kwargs)
    with pytest.raises(ConfigError, match="below distance"):
        Reset2D(distance=1.0, radius=2.0)


# ---------------------------------------------------------------------- strategies
def plain_sharp_reset_loop(tau: int, steps: int, seed: int) -> float:
    """Reward per step of a sharp-reset walker, written as a plain loop on the gymnasium env."""
    env = Reset1D(distance=5.0, episode_steps=steps)
    obs, _ = env.reset(seed=seed)
    total = 0.0
    for _ in range(steps):
        obs, reward, *_ = env.step(1 if int(obs) == tau - 1 else 0)
        total += reward
    return total / steps


def test_sharp_reset_efficiency_matches_a_plain_loop():
    vectorized = efficiency("Reset1D", sharp_reset(30), walkers=400, steps=5_000, seed=1)
    plain = np.mean([plain_sharp_reset_loop(30, 5_000, seed) for seed in range(8)])
    # both estimate the same rate (about 0.0118 per step, the tutorial's best sharp reset at L = 5)
    assert abs(vectorized.per_step - plain) < 0.0015, (vectorized.per_step, plain)
    assert 0.0105 < vectorized.per_step < 0.013


def test_sharp_beats_exponential_reset_in_1d():
    sharp = efficiency("Reset1D", sharp_reset(30), walkers=1000, steps=5_000, seed=2)
    exponential = efficiency("Reset1D", exponential_reset(0.04), walkers=1000, steps=5_000, seed=2)
    assert sharp.per_step > exponential.per_step + 3 * (sharp.standard_error + exponential.standard_error) / 5_000


def test_turning_tables():
    levy = levy_turning(1.0, max_counter=50)
    assert levy.shape == (51, 2) and np.allclose(levy.sum(axis=1), 1.0)
    assert levy[0, 1] > levy[10, 1] > levy[40, 1] > 0  # a power law's hazard falls with the run length
    biexp = biexponential_turning(2.0, 2.0, 0.5, max_counter=20)
    np.testing.assert_allclose(biexp[:, 1], 1 - math.exp(-1 / 2.0))  # one exponential: a constant hazard
    table = sharp_turn_reset(7, 8, max_counter=10)
    assert table[3, 6].tolist() == [0.0, 1.0, 0.0] and table[0, 7].tolist() == [0.0, 0.0, 1.0]
    assert table[0, 2].tolist() == [1.0, 0.0, 0.0]


def test_efficiency_refuses_a_table_of_the_wrong_shape():
    with pytest.raises(ConfigError, match="shape"):
        efficiency("Reset1D", sharp_reset(3, max_counter=5), walkers=2, steps=2)  # world's max_counter is 2000
    with pytest.raises(ConfigError):
        efficiency("Nowhere", sharp_reset(3), walkers=2, steps=2)


def test_ps_agents_run_the_search_envs_unchanged():
    env = gym.make("ps_graph/Reset1D-v0", episode_steps=200)
    agent = ps_graph.TwoLayerPS.for_env(env, seed=0)
    result = ps_graph.train(agent, env, episodes=2, seed=0)
    assert result.lengths.tolist() == [200, 200]
