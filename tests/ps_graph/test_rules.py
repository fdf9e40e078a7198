"""Hand-computed cases for every equation in ps_graph.rules."""

import math

import numpy as np
import pytest

from ps_graph import rules


def test_damping_one_step_and_closed_form():
    # h - gamma (h - h0): 3 - 0.1 * 2 = 2.8
    assert rules.damp(3.0, 0.1) == pytest.approx(2.8)
    # two steps by hand: 2.8 - 0.1 * 1.8 = 2.62; closed form 1 + 0.9**2 * 2 = 2.62
    assert rules.damp(3.0, 0.1, steps=2) == pytest.approx(2.62)
    assert rules.damp(rules.damp(3.0, 0.1), 0.1) == pytest.approx(rules.damp(3.0, 0.1, steps=2))
    # towards a different h0
    assert rules.damp(4.0, 0.5, h0=2.0) == pytest.approx(3.0)
    # nothing happens without damping or steps
    assert rules.damp(3.0, 0.0, steps=10) == 3.0
    assert rules.damp(3.0, 0.3, steps=0) == 3.0
    # gamma = 1 forgets everything in one step
    assert rules.damp(7.5, 1.0) == pytest.approx(1.0)


def test_damping_closed_form_matches_iteration_on_arrays():
    h = np.array([0.5, 1.0, 4.0])
    it = h.copy()
    for _ in range(25):
        it = it - 0.07 * (it - 1.0)
    np.testing.assert_allclose(rules.damp(h, 0.07, steps=25), it, rtol=1e-12)


def test_glow_decay():
    assert rules.decay_glow(1.0, 0.25) == pytest.approx(0.75)
    assert rules.decay_glow(1.0, 0.25, steps=3) == pytest.approx(0.75**3)
    assert rules.decay_glow(1.0, 1.0) == 0.0
    np.testing.assert_allclose(rules.decay_glow(np.array([1.0, 2.0]), 0.5, steps=2), [0.25, 0.5])


def test_reward_step_and_learn_step():
    assert rules.reward_step(2.0, 0.5, 3.0) == pytest.approx(3.5)
    # 2 - 0.1 * (2 - 1) + 0.5 * 1 = 2.4
    assert rules.learn_step(2.0, 0.5, 1.0, gamma_damping=0.1) == pytest.approx(2.4)
    # a large negative reward stops at the floor
    assert rules.learn_step(1.0, 1.0, -5.0, gamma_damping=0.0, h_floor=1e-6) == 1e-6
    np.testing.assert_allclose(rules.floor_h(np.array([-1.0, 2.0]), 0.5), [0.5, 2.0])


def test_glow_after_traversal():
    assert rules.glow_after_traversal(0.3, "replace") == 1.0
    assert rules.glow_after_traversal(0.3, "accumulate") == pytest.approx(1.3)


def test_standard_probabilities():
    assert rules.hopping_probabilities([1.0, 3.0]) == [0.25, 0.75]
    np.testing.assert_allclose(
        rules.hopping_probabilities(np.array([[1.0, 1.0], [2.0, 6.0]])), [[0.5, 0.5], [0.25, 0.75]]
    )


def test_softmax_probabilities_by_hand_and_stable():
    p = rules.hopping_probabilities([0.0, math.log(3.0)], "softmax", 1.0)
    assert p == pytest.approx([0.25, 0.75])
    # beta scales h: exp(2 * 0) : exp(2 * ln 3) = 1 : 9
    assert rules.hopping_probabilities([0.0, math.log(3.0)], "softmax", 2.0) == pytest.approx([0.1, 0.9])
    # huge h must not overflow
    p = rules.hopping_probabilities([1000.0, 1001.0], "softmax", 50.0)
    assert all(math.isfinite(x) for x in p) and sum(p) == pytest.approx(1.0)
    arr = rules.hopping_probabilities(np.array([1e4, 1e4 + 1]), "softmax", 10.0)
    assert np.all(np.isfinite(arr)) and arr.sum() == pytest.approx(1.0)


def test_sample_index_inverse_cdf():
    w = [1.0, 1.0, 2.0]  # cdf 0.25, 0.5, 1.0
    assert rules.sample_index(w, 0.0) == 0
    assert rules.sample_index(w, 0.2499) == 0
    assert rules.sample_index(w, 0.25) == 1
    assert rules.sample_index(w, 0.5) == 2
    assert rules.sample_index(w, 0.9999999) == 2
    for u in np.linspace(0, 0.999, 37):
        assert rules.sample_index(np.array(w), u) == rules.sample_index(w, u)


def test_damping_towards_per_edge_initial_values_3x2_by_hand():
    # three percepts x two actions, each edge with its own h0 (the Forager's continue / turn)
    h = np.array([[3.0, 0.5], [1.0, 2.0], [0.99, 0.01]])
    h0 = np.array([[0.99, 0.01], [0.5, 0.5], [0.99, 0.01]])
    # one step, h - 0.5 (h - h0): 3 - 0.5 * 2.01 = 1.995; 0.5 - 0.5 * 0.49 = 0.255; ...
    np.testing.assert_allclose(
        rules.damp(h, 0.5, h0=h0), [[1.995, 0.255], [0.75, 1.25], [0.99, 0.01]], rtol=0, atol=1e-15
    )
    # two steps in closed form: h0 + 0.25 (h - h0)
    np.testing.assert_allclose(rules.damp(h, 0.5, h0=h0, steps=2), [[1.4925, 0.1325], [0.625, 0.875], [0.99, 0.01]])
    # a row as a list (the lazy store's path) gives the same numbers, bit for bit
    for row, row_h0 in zip(h, h0):
        assert rules.damp(list(row), 0.5, list(row_h0), 3) == rules.damp(row, 0.5, row_h0, 3).tolist()
    # equal per-edge values are the scalar h0, bit for bit
    assert rules.damp([3.0, 0.7], 0.1, [1.0, 1.0], 7) == rules.damp([3.0, 0.7], 0.1, 1.0, 7)


def test_backdated_reward_does_not_depend_on_h0():
    # damp(h_s') = damp(h_s) + g R for any h0, with h_s' = h_s + g R / (1 - gamma)**n
    for h0 in (1.0, 0.01, 0.99, 7.0):
        stored = rules.backdated_reward_step(3.0, 0.5, 2.0, gamma_damping=0.2, steps=3)
        assert rules.damp(stored, 0.2, h0, steps=3) == pytest.approx(rules.damp(3.0, 0.2, h0, steps=3) + 1.0)
