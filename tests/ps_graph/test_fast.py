"""TwoLayerPS: identical to the graph core over long runs, plus its own reading API."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import ps_graph
from ps_graph import ConfigError, PSAgent, RewardError, TwoLayerPS
from tests.envs import RandomMDP
from tests.factories import Side, run_in_lockstep


def side_by_side(make_env, steps, **hp):
    """PSAgent and TwoLayerPS through two identical env copies; every action must agree."""
    env = make_env()
    graph = PSAgent.for_env(env, seed=13, **hp)
    fast = TwoLayerPS.for_env(env, seed=13, **hp)
    run_in_lockstep(make_env, steps, Side(graph.act, graph.observe), Side(fast.act, fast.observe), seed=5)
    return graph, fast


def assert_same_values(graph, fast):
    assert fast.num_percepts == len(graph.ecm.clips("percept"))
    h = fast.h_matrix()
    for row, key in enumerate(fast.percept_keys):
        expected = graph.h_values(key)
        np.testing.assert_array_equal(h[row], [expected[a] for a in fast.actions])  # bit for bit


def assert_same_ecm(graph, fast):
    """The graph agent's ECM and ``fast.to_ecm()`` hold the same clips (with their attributes)
    and the same edges with the same h and glow, bit for bit, and the same priming."""
    g1, g2 = graph.graph, fast.to_ecm().graph
    assert set(g1.nodes) == set(g2.nodes) and set(g1.edges) == set(g2.edges)
    for n in g1.nodes:
        assert g1.nodes[n] == g2.nodes[n]
    for e in g1.edges:
        assert g1.edges[e]["h"] == g2.edges[e]["h"] and g1.edges[e]["glow"] == g2.edges[e]["glow"], e
    assert graph.priming == fast.priming
    return g2


CASES = [
    pytest.param(dict(gamma_damping=0.0, eta_glow_damping=0.04), id="standard"),
    pytest.param(dict(gamma_damping=0.005, eta_glow_damping=0.1, glow="accumulate"), id="accumulate-damped"),
    pytest.param(
        dict(gamma_damping=0.002, eta_glow_damping=0.2, policy="softmax", beta_softmax=1.5), id="softmax-damped"
    ),
    pytest.param(dict(gamma_damping=0.01, eta_glow_damping=0.3, num_reflections=2), id="reflections-damped"),
    # per-edge initial h (the Forager's 0.99 / 0.01), varying by percept so rows differ
    pytest.param(
        dict(gamma_damping=0.003, eta_glow_damping=0.1, initial_h=lambda key, a: 0.99 if (key + a) % 4 == 0 else 0.01),
        id="per-edge-h0-damped",
    ),
]


def learned(fast) -> float:
    """How far the h-values moved from their initial values."""
    start = [
        fast.initial_h.row(k) if fast.initial_h else [fast.config.h0] * len(fast.actions) for k in fast.percept_keys
    ]
    return float(np.abs(fast.h_matrix() - np.array(start)).max())


@pytest.mark.slow
@pytest.mark.parametrize("params", CASES)
def test_identical_to_graph_core_on_frozenlake(params):
    graph, fast = side_by_side(lambda: gym.make("FrozenLake-v1", is_slippery=True), 100_000, **params)
    assert_same_values(graph, fast)
    assert learned(fast) > 1e-3  # it learned something: the test can fail


@pytest.mark.slow
@pytest.mark.parametrize("params", CASES)
def test_identical_to_graph_core_on_a_random_mdp_with_10k_percepts(params):
    make = lambda: RandomMDP(num_states=10_000, num_actions=4, layout_seed=2, reward_fraction=0.2)
    graph, fast = side_by_side(make, 100_000, **params)
    assert fast.num_percepts > 8_000  # of 10,000 states (terminal ones are never acted on)
    assert_same_values(graph, fast)


def test_identical_to_graph_core_on_the_foraging_tutorial_with_per_edge_h0():
    """The learning-to-forage tutorial's Forager: h0 0.99 for continue, 0.01 for turn, damped."""
    import ps_graph.envs  # noqa: F401  (registers ps_graph/Foraging-v0)

    make = lambda: gym.make("ps_graph/Foraging-v0", max_counter=50)
    table = np.tile([0.99, 0.01], (51, 1))
    graph, fast = side_by_side(make, 20_000, initial_h=table, gamma_damping=0.001, eta_glow_damping=0.1)
    assert_same_values(graph, fast)
    assert learned(fast) > 1e-3
    assert fast.to_ecm().snapshot()["h0"] == graph.ecm.snapshot()["h0"]


def test_to_ecm_equals_the_graph_agents_ecm():
    env = gym.make("FrozenLake-v1", is_slippery=True)
    graph, fast = side_by_side(
        lambda: gym.make("FrozenLake-v1", is_slippery=True), 3_000, gamma_damping=0.01, eta_glow_damping=0.2
    )
    # stop mid-episode so some edges still glow
    obs = 0
    for agent in (graph, fast):
        agent.act(obs)
        agent.observe(0.0, obs, False, False)
    g2 = assert_same_ecm(graph, fast)
    assert any(d["glow"] > 0 for *_, d in g2.edges(data=True))
    del env


def test_h_matrix_and_glow_matrix_by_hand():
    fast = TwoLayerPS(2, spaces.Discrete(3), gamma_damping=0.1, eta_glow_damping=0.5, seed=0)
    a = fast.act(2)
    fast.observe(1.0, 0, False, False)  # h = 2 on (2, a)
    fast.act(0)
    fast.observe(0.0, 0, False, False)  # damping: 1.9
    h = fast.h_matrix()
    assert fast.percept_keys == [2, 0]
    assert h[0, a] == pytest.approx(1.9) and h[0, 1 - a] == pytest.approx(1.0)
    assert fast.glow_matrix()[0, a] == pytest.approx(0.5)
    h[0, a] = 99.0  # a copy: the agent is unchanged
    assert fast.h_values(2)[a] == pytest.approx(1.9)


def test_growth_keeps_rows_in_first_seen_order_and_greedy_changes_nothing():
    fast = TwoLayerPS(4, spaces.Discrete(100_000), seed=0)
    for s in range(0, 100_000, 7):
        fast.percept(s)
    assert fast.num_percepts == len(range(0, 100_000, 7))
    assert fast.h_matrix().shape == (fast.num_percepts, 4)
    state = fast.rng.bit_generator.state
    before = fast.h_matrix()
    assert fast.act(7, explore=False) == 0  # all equal: the first action
    assert fast.act(3, explore=False) == 0  # unseen: no row is created
    fast.observe(1.0, 0, True, False)
    assert fast.num_percepts == len(range(0, 100_000, 7))
    np.testing.assert_array_equal(fast.h_matrix(), before)
    assert fast.rng.bit_generator.state == state


def test_deterministic_and_seed_sensitive():
    def run(seed):
        env = gym.make("FrozenLake-v1", is_slippery=True)
        agent = TwoLayerPS.for_env(env, eta_glow_damping=0.05, num_reflections=1, seed=seed)
        return ps_graph.train(agent, env, episodes=200, seed=seed).lengths

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.array_equal(run(1), run(2))


def test_bad_input():
    with pytest.raises(ConfigError, match="gamma_damping"):
        TwoLayerPS(2, spaces.Discrete(2), gamma_damping=-1)
    with pytest.raises(ConfigError, match="unknown PS hyperparameter"):
        TwoLayerPS(2, spaces.Discrete(2), gama=0.1)
    with pytest.raises(ps_graph.UnsupportedSpaceError, match="DiscretizeObservation"):
        TwoLayerPS.for_env(gym.make("CartPole-v1"))
    agent = TwoLayerPS(2, spaces.Discrete(2), seed=0)
    agent.act(0)
    with pytest.raises(RewardError):
        agent.observe(float("nan"), 0, False, False)
    agent.observe(-100.0, 0, True, False)
    assert min(agent.h_values(0).values()) == pytest.approx(agent.config.h_floor)


@pytest.mark.parametrize("params", [dict(), dict(policy="softmax", beta_softmax=2.0, gamma_damping=0.01)])
def test_action_probabilities_match_the_graph_agents(params):
    graph, fast = side_by_side(
        lambda: gym.make("FrozenLake-v1", is_slippery=True), 2_000, eta_glow_damping=0.2, **params
    )
    for obs in (0, 5, 14):
        assert fast.action_probabilities(obs) == graph.action_probabilities(obs)
    assert (
        fast.action_probabilities(15) == graph.action_probabilities(15) == {a: 0.25 for a in range(4)}
    )  # never acted on
