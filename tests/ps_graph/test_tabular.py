"""ps_graph.tabular against gymnasium's own envs and against MDPs solved by hand."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from scipy import stats

from ps_graph.errors import PSGraphError
from ps_graph.tabular import (
    PolicyValue,
    TabularError,
    TabularMDP,
    VectorMDP,
    evaluate_policy,
    from_env,
    from_id,
    greedy_policy,
    optimal_finite_horizon,
    value_iteration,
)

ALPHA = 0.001  # significance level of every chi-square test below

DETERMINISTIC = [
    ("FrozenLake-v1", {"is_slippery": False}),
    ("FrozenLake-v1", {"map_name": "8x8", "is_slippery": False}),
    ("CliffWalking-v1", {}),
    ("Taxi-v4", {}),
]


def _mdp(probs, next_states, rewards, terminated, initial, max_episode_steps=None):
    probs = np.asarray(probs, dtype=float)
    S, A, _ = probs.shape
    return TabularMDP(S, A, probs, next_states, rewards, terminated, initial, max_episode_steps, "hand")


# ---------------------------------------------------------------- reading the table


def test_from_env_reads_shapes_limits_and_initial_distribution():
    lake = from_id("FrozenLake-v1")
    assert (lake.num_states, lake.num_actions, lake.probs.shape[-1]) == (16, 4, 3)
    assert lake.max_episode_steps == 100
    np.testing.assert_array_equal(lake.initial, np.eye(16)[0])
    cliff = from_id("CliffWalking-v1")
    assert cliff.max_episode_steps is None and cliff.initial.argmax() == 36
    taxi = from_id("Taxi-v4")
    assert (taxi.num_states, taxi.num_actions, taxi.max_episode_steps) == (500, 6, 200)
    np.testing.assert_array_equal(taxi.initial, gym.make("Taxi-v4").unwrapped.initial_state_distrib)
    assert np.count_nonzero(taxi.initial) == 300
    assert "map_name='8x8'" in from_id("FrozenLake-v1", map_name="8x8").name


def test_duplicate_outcomes_are_summed_and_padding_has_zero_probability():
    lake = from_id("FrozenLake-v1")
    # Left from the corner: "up" and "left" both bump into the wall and stay at 0.
    T = lake.transition_matrix
    assert T[0, 0, 0] == pytest.approx(2 / 3) and T[0, 0, 4] == pytest.approx(1 / 3)
    np.testing.assert_allclose(T.sum(axis=-1), 1.0, atol=1e-12)
    # Holes and the goal have one outcome (stay, reward 0, terminated); the other two are padding.
    np.testing.assert_array_equal(lake.probs[5, 0], [1.0, 0.0, 0.0])
    assert lake.terminated[5, 0, 0] and lake.next_states[5, 0, 0] == 5


def test_cliff_is_not_terminal_and_the_goal_is_not_absorbing():
    cliff = from_id("CliffWalking-v1")
    # Stepping right from the start into the cliff: -100, back to the start, not terminated.
    assert (cliff.next_states[36, 1, 0], cliff.rewards[36, 1, 0], cliff.terminated[36, 1, 0]) == (36, -100, False)
    assert cliff.expected_rewards[36, 1] == -100
    # The goal 47 has ordinary moves: left from it falls into the cliff at 46.
    assert (cliff.next_states[47, 3, 0], cliff.rewards[47, 3, 0]) == (36, -100)
    assert (cliff.next_states[35, 2, 0], cliff.rewards[35, 2, 0], cliff.terminated[35, 2, 0]) == (47, -1, True)


@pytest.mark.parametrize("env_id, kwargs", DETERMINISTIC, ids=lambda x: str(x))
def test_deterministic_maps_step_exactly_like_gymnasium(env_id, kwargs):
    env = gym.make(env_id, **kwargs)
    mdp = from_env(env)
    vec = VectorMDP(mdp, 1, seed=0)
    actions = np.random.default_rng(1).integers(mdp.num_actions, size=(mdp.num_states, 5))
    env.reset(seed=0)
    compared = 0
    for s in range(mdp.num_states):
        env.reset()
        env.unwrapped.s = s
        assert vec.reset(states=[s])[0] == s
        for a in actions[s]:
            s_gym, r_gym, term_gym, _, _ = env.step(int(a))
            s_vec, r_vec, term_vec, _ = vec.step([a])
            assert (s_vec[0], r_vec[0], term_vec[0]) == (s_gym, r_gym, term_gym), (s, a)
            compared += 1
            if term_gym:
                break
    env.close()
    assert compared >= 2 * mdp.num_states


# ---------------------------------------------------------------- sampling statistics


@pytest.mark.parametrize("state, action", [(0, 0), (6, 1), (14, 2)])
def test_slippery_frequencies_match_gymnasium_and_the_table(state, action):
    """Chi-square tests at significance level alpha = 0.001.

    Homogeneity: gymnasium's and VectorMDP's next-state counts come from one distribution.
    Goodness of fit: VectorMDP's counts follow the exact probabilities of ``P``.
    (0, 0) has duplicate outcomes; (6, 1) reaches two holes; (14, 2) reaches the goal.
    """
    n = 3000
    env = gym.make("FrozenLake-v1")
    mdp = from_env(env)
    env.reset(seed=123)
    gym_counts = np.zeros(mdp.num_states)
    for _ in range(n):
        env.unwrapped.s = state
        s_next, *_ = env.step(action)
        gym_counts[s_next] += 1
    env.close()
    vec = VectorMDP(mdp, n, seed=456)
    vec.reset(states=np.full(n, state))
    s_next, rewards, terminated, _ = vec.step(np.full(n, action))
    vec_counts = np.bincount(s_next, minlength=mdp.num_states).astype(float)
    # Reward and termination are functions of the next state here: check they match the table.
    for k in range(3):
        hit = s_next == mdp.next_states[state, action, k]
        assert np.all(rewards[hit] == mdp.rewards[state, action, k])
        assert np.all(terminated[hit] == mdp.terminated[state, action, k])
    support = mdp.transition_matrix[state, action] > 0
    assert gym_counts[~support].sum() == 0 and vec_counts[~support].sum() == 0
    _, p_homogeneity, _, _ = stats.chi2_contingency(np.stack([gym_counts[support], vec_counts[support]]))
    assert p_homogeneity > ALPHA
    expected = n * mdp.transition_matrix[state, action][support]
    assert stats.chisquare(vec_counts[support], expected).pvalue > ALPHA


def test_initial_state_draws_follow_taxi_initial_distribution():
    """Chi-square goodness of fit at alpha = 0.001 of 30,000 Taxi starts (300 equally likely)."""
    mdp = from_id("Taxi-v4")
    starts = VectorMDP(mdp, 30_000, seed=3).reset()
    counts = np.bincount(starts, minlength=mdp.num_states)
    support = mdp.initial > 0
    assert counts[~support].sum() == 0
    assert stats.chisquare(counts[support], 30_000 * mdp.initial[support]).pvalue > ALPHA


# ---------------------------------------------------------------- time limit, resets, determinism


def test_truncation_at_the_time_limit_like_gymnasium_and_reset_by_mask():
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    env = gym.make("FrozenLake-v1", is_slippery=False)
    env.reset(seed=0)
    vec = VectorMDP(mdp, 3, seed=0)
    vec.reset()
    # Copies 0 and 1 press "left" in the corner forever; copy 2 goes down, then right into the hole 5.
    for t in range(1, 101):
        a2 = 1 if t == 1 else 2
        s, r, term, trunc = vec.step([0, 0, a2])
        _, _, _, gym_trunc, _ = env.step(0)
        assert trunc[0] == trunc[1] == gym_trunc == (t == 100), t
        assert not term[0] and s[0] == 0
        if t == 2:
            assert term[2] and s[2] == 5 and not trunc[2]
            vec.reset(np.array([False, False, True]))
            np.testing.assert_array_equal(vec.steps, [2, 2, 0])
            assert vec.states[2] == 0
    np.testing.assert_array_equal(vec.steps, [100, 100, 98])
    vec.reset(trunc | term)
    np.testing.assert_array_equal(vec.steps, [0, 0, 98])


def test_a_terminating_last_step_is_terminated_not_truncated():
    one_step = _mdp([[[0.5, 0.5]]], [[[0, 0]]], [[[1.0, 0.0]]], [[[True, False]]], [1.0], max_episode_steps=1)
    vec = VectorMDP(one_step, 1000, seed=5)
    vec.reset()
    _, rewards, term, trunc = vec.step(np.zeros(1000, dtype=int))
    np.testing.assert_array_equal(trunc, ~term)
    np.testing.assert_array_equal(rewards == 1.0, term)
    assert 400 < term.sum() < 600


def _rollout(vec: VectorMDP, steps: int = 300):
    actions = np.random.default_rng(99).integers(vec.mdp.num_actions, size=(steps, vec.num_envs))
    trace = [vec.reset()]
    for a in actions:
        s, r, term, trunc = vec.step(a)
        trace += [s, r, term, trunc]
        vec.reset(term | trunc)
        trace.append(vec.states.copy())
    return trace


def test_same_seed_gives_the_same_trajectories():
    mdp = from_id("FrozenLake-v1", map_name="8x8")
    a = _rollout(VectorMDP(mdp, 16, seed=7))
    b = _rollout(VectorMDP(mdp, 16, rng=np.random.default_rng(7)))
    c = _rollout(VectorMDP(mdp, 16, seed=8))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


# ---------------------------------------------------------------- planning and scoring


def test_value_iteration_on_a_hand_solved_mdp():
    # s0, a0: terminate with reward 1.  s0, a1: to s1 or stay, 1/2 each, reward 0.
    # s1: stay forever with reward 2 (both actions).  gamma = 1/2:
    # V1 = 2 / (1 - 1/2) = 4; Q(0,1) = 1/2 (1/2 V1) + 1/2 (1/2 V0) = 1 + V0/4 -> V0 = 4/3; Q(0,0) = 1.
    mdp = _mdp(
        [[[1.0, 0.0], [0.5, 0.5]], [[1.0, 0.0], [1.0, 0.0]]],
        [[[0, 0], [1, 0]], [[1, 1], [1, 1]]],
        [[[1.0, 0.0], [0.0, 0.0]], [[2.0, 0.0], [2.0, 0.0]]],
        [[[True, False], [False, False]], [[False, False], [False, False]]],
        [1.0, 0.0],
    )
    V, Q = value_iteration(mdp, gamma=0.5, tol=1e-13)
    np.testing.assert_allclose(V, [4 / 3, 4.0], atol=1e-11)
    np.testing.assert_allclose(Q, [[1.0, 4 / 3], [4.0, 4.0]], atol=1e-11)
    V0, Q0 = value_iteration(mdp, gamma=0.0)
    np.testing.assert_array_equal(Q0, mdp.expected_rewards)


def test_value_iteration_on_deterministic_frozen_lake():
    mdp = from_id("FrozenLake-v1", is_slippery=False)
    V, Q = value_iteration(mdp, gamma=0.9)
    assert V[0] == pytest.approx(0.9**5, abs=1e-9)  # 6 steps to the goal, reward 1 on the last
    assert V[14] == pytest.approx(1.0) and V[15] == 0.0 and V[5] == 0.0  # next to the goal; goal; hole
    # Bellman optimality holds at the fixed point.
    T, R = mdp.transition_matrix, mdp.expected_rewards
    np.testing.assert_allclose(Q.max(axis=1), V, atol=1e-9)
    assert np.all(Q <= R + 0.9 * T @ V + 1e-9)


def _hand_chain(hole_reward: float = -1.0):
    # Two states, three actions: 0 "wait" (stay, 0), 1 "forward" (0 -> 1; 1 -> goal, +1, terminated),
    # 2 "jump" (into a hole: hole_reward, terminated).
    return _mdp(
        np.ones((2, 3, 1)),
        [[[0], [1], [0]], [[1], [1], [1]]],
        [[[0.0], [0.0], [hole_reward]], [[0.0], [1.0], [hole_reward]]],
        [[[False], [False], [True]], [[False], [True], [True]]],
        [1.0, 0.0],
    )


def test_evaluate_uniform_random_policy_on_a_hand_made_chain():
    mdp, uniform = _hand_chain(), np.full((2, 3), 1 / 3)
    # Horizon 1: success impossible; the hole comes with probability 1/3.
    assert evaluate_policy(mdp, uniform, horizon=1) == PolicyValue(pytest.approx(-1 / 3), 0.0)
    # Horizon 2: success = P(F F) = 1/9; hole = 1/3 + P(F H) + P(W H) = 5/9.
    v2 = evaluate_policy(mdp, uniform, horizon=2)
    assert v2.success_probability == pytest.approx(1 / 9) and v2.expected_return == pytest.approx(1 / 9 - 5 / 9)
    # Horizon 3, gamma = 1/2, no penalty: F F pays at step 2, W F F and F W F at step 3.
    v3 = evaluate_policy(_hand_chain(0.0), uniform, gamma=0.5, horizon=3)
    assert v3.success_probability == pytest.approx(1 / 9 + 2 / 27)
    assert v3.expected_return == pytest.approx(0.5 / 9 + 2 * 0.25 / 27)
    # In the long run forward beats jump 1:1 twice in a row.
    assert evaluate_policy(mdp, uniform, horizon=400).success_probability == pytest.approx(1 / 4)


def test_optimal_finite_horizon_on_the_chain_and_tie_breaking():
    mdp = _hand_chain()
    assert optimal_finite_horizon(mdp, horizon=1) == PolicyValue(0.0, 0.0)
    assert optimal_finite_horizon(mdp, horizon=2) == PolicyValue(1.0, 1.0)
    assert optimal_finite_horizon(mdp, gamma=0.5, horizon=5) == PolicyValue(0.5, 1.0)
    # Two actions with expected return 0: a sure 0 (success 0), listed first so that a plain argmax
    # would pick it, and a fair +-2 gamble (success 1/2): the tie goes to the gamble.
    gamble = _mdp(
        [[[1.0, 0.0], [0.5, 0.5]]],
        [[[0, 0], [0, 0]]],
        [[[0.0, 0.0], [2.0, -2.0]]],
        [[[True, False], [True, True]]],
        [1.0],
    )
    assert optimal_finite_horizon(gamble, horizon=1) == PolicyValue(0.0, 0.5)


def test_optimal_finite_horizon_on_frozen_lake():
    assert optimal_finite_horizon(from_id("FrozenLake-v1", is_slippery=False)) == PolicyValue(1.0, 1.0)
    mdp = from_id("FrozenLake-v1")
    best = optimal_finite_horizon(mdp)
    assert best.success_probability == best.expected_return  # reward 1 only at the goal
    rng = np.random.default_rng(0)
    for _ in range(5):
        policy = rng.dirichlet(np.ones(4), size=16)
        assert evaluate_policy(mdp, policy).expected_return <= best.expected_return + 1e-12
    with pytest.raises(TabularError, match="horizon"):
        optimal_finite_horizon(from_id("CliffWalking-v1"))
    assert optimal_finite_horizon(from_id("CliffWalking-v1"), horizon=50).expected_return == -13.0


def test_greedy_slippery_frozen_lake_success_matches_gymnasium_monte_carlo():
    """Exact success of the greedy value-iteration policy (gamma = 0.99) within 100 steps
    is about 0.740; 20,000 gymnasium episodes must agree within 4 standard errors."""
    mdp = from_id("FrozenLake-v1")
    _, Q = value_iteration(mdp, gamma=0.99)
    policy = greedy_policy(Q)
    exact = evaluate_policy(mdp, policy)
    assert exact.success_probability == pytest.approx(0.740, abs=0.005)
    assert exact.expected_return == exact.success_probability
    best = optimal_finite_horizon(mdp)
    assert 0.99 < exact.expected_return / best.expected_return <= 1.0
    action = policy.argmax(axis=1).tolist()
    env = gym.make("FrozenLake-v1")
    env.reset(seed=2024)
    n, wins = 20_000, 0
    for _ in range(n):
        s, _ = env.reset()
        while True:
            s, r, term, trunc, _ = env.step(action[s])
            if term or trunc:
                break
        wins += r > 0
    env.close()
    p = exact.success_probability
    assert abs(wins / n - p) < 4 * math.sqrt(p * (1 - p) / n)


def test_greedy_policy_is_one_hot_first_of_ties():
    np.testing.assert_array_equal(greedy_policy([[1, 3, 3], [0, 0, 0]]), [[0, 1, 0], [1, 0, 0]])
    with pytest.raises(TabularError, match="q must be"):
        greedy_policy([1.0, 2.0])


# ---------------------------------------------------------------- errors


def test_env_without_transition_table_is_rejected():
    with pytest.raises(TabularError, match="transition table") as info:
        from_id("CartPole-v1")
    assert "FrozenLake-v1" in str(info.value) and "CartPole" in str(info.value)
    assert isinstance(info.value, PSGraphError) and isinstance(info.value, ValueError)
    with pytest.raises(TabularError, match="fickle_passenger"):
        from_id("Taxi-v4", fickle_passenger=True)


def test_bad_policies_are_rejected():
    mdp = from_id("FrozenLake-v1")
    with pytest.raises(TabularError, match=r"\(S, A\) = \(16, 4\).*shape \(4, 16\)"):
        evaluate_policy(mdp, np.full((4, 16), 0.25))
    rows = np.full((16, 4), 0.25)
    rows[3] = [0.5, 0.5, 0.5, 0.0]
    with pytest.raises(TabularError, match="row 3"):
        evaluate_policy(mdp, rows)
    negative = np.full((16, 4), 0.25)
    negative[0] = [1.5, -0.5, 0.0, 0.0]
    with pytest.raises(TabularError, match="non-negative"):
        evaluate_policy(mdp, negative)


def test_bad_planning_arguments_are_rejected():
    mdp = from_id("FrozenLake-v1")
    with pytest.raises(PSGraphError, match="gamma < 1"):
        value_iteration(mdp, gamma=1.0)
    with pytest.raises(TabularError, match="converge"):
        value_iteration(mdp, gamma=0.99, max_iter=3)
    with pytest.raises(PSGraphError, match="gamma"):
        evaluate_policy(mdp, np.full((16, 4), 0.25), gamma=1.5)


def test_bad_tables_are_rejected():
    with pytest.raises(TabularError, match="sum to 1.*s=0, a=0"):
        _mdp([[[0.5, 0.4]]], [[[0, 0]]], [[[0.0, 0.0]]], [[[False, False]]], [1.0])
    with pytest.raises(TabularError, match="next_states"):
        _mdp([[[1.0]]], [[[3]]], [[[0.0]]], [[[False]]], [1.0])
    with pytest.raises(TabularError, match="shape"):
        _mdp([[[1.0]]], [[[0, 0]]], [[[0.0]]], [[[False]]], [1.0])
    with pytest.raises(TabularError, match="initial"):
        _mdp([[[1.0]]], [[[0]]], [[[0.0]]], [[[False]]], [0.5])


def test_bad_vector_inputs_are_rejected():
    vec = VectorMDP(from_id("FrozenLake-v1"), 2, seed=0)
    with pytest.raises(TabularError, match="reset"):
        vec.step([0, 0])
    vec.reset()
    with pytest.raises(TabularError, match=r"shape \(2,\).*got shape \(3,\)"):
        vec.step([0, 0, 0])
    with pytest.raises(TabularError, match=r"\[0, 4\).*\[0, 4\]"):
        vec.step([0, 4])
    with pytest.raises(TabularError, match="dtype"):
        vec.step([0.0, 1.0])
    with pytest.raises(TabularError, match="mask"):
        vec.reset([1, 0])
    with pytest.raises(TabularError, match="not both"):
        VectorMDP(vec.mdp, 2, seed=1, rng=np.random.default_rng(1))
    with pytest.raises(PSGraphError, match="num_envs"):
        VectorMDP(vec.mdp, 0)
