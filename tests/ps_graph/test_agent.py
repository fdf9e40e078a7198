"""PSAgent: equivalence with the course's dense agent, reflection, determinism, bad input."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import ps_graph
from ps_graph import ConfigError, PSAgent, PSConfig, RewardError, UnsupportedSpaceError
from tests.envs import RandomMDP
from tests.factories import Side, run_in_lockstep
from tests.textbook import TextbookPS


def run_side_by_side(make_env, steps, *, gamma, eta, policy="standard", beta=1.0, glow="replace", seed=7):
    """Drive PSAgent and the textbook agent through two identical env copies; return
    the number of steps and both agents. Every action must agree."""
    env_a = make_env()
    n_s, n_a = env_a.observation_space.n, env_a.action_space.n
    agent = PSAgent.for_env(
        env_a, gamma_damping=gamma, eta_glow_damping=eta, policy=policy, beta_softmax=beta, glow=glow, seed=seed
    )
    ref = TextbookPS(gamma, eta, n_s, n_a, policy=policy, beta=beta, glow=glow, rng=np.random.default_rng(seed))
    ref.reset_gmatrix()
    textbook = Side(ref.deliberate, lambda r, *_: ref.learn(r), ref.reset_gmatrix)
    run_in_lockstep(make_env, steps, Side(agent.act, agent.observe), textbook, seed=11)
    return agent, ref


def assert_same_h(agent, ref):
    seen = 0
    for s in range(ref.hmatrix.shape[0]):
        if ("percept", s) in agent.ecm:
            seen += 1
            h = agent.h_values(s)
            np.testing.assert_allclose([h[a] for a in range(ref.hmatrix.shape[1])], ref.hmatrix[s], rtol=0, atol=1e-9)
        else:  # never seen: the textbook row still holds h0
            np.testing.assert_allclose(ref.hmatrix[s], 1.0, atol=1e-9)
    assert seen > 0


def frozenlake():
    return gym.make("FrozenLake-v1", is_slippery=True)


def random_mdp():
    return RandomMDP(num_states=300, num_actions=4, layout_seed=5)


CASES = [
    pytest.param(dict(gamma=0.0, eta=0.04), id="standard"),
    pytest.param(dict(gamma=0.01, eta=0.2), id="standard-damped"),
    pytest.param(dict(gamma=0.001, eta=0.1, policy="softmax", beta=2.0), id="softmax-damped"),
    pytest.param(dict(gamma=0.02, eta=0.3, glow="accumulate"), id="accumulate-damped"),
]


@pytest.mark.parametrize("make_env", [frozenlake, random_mdp], ids=["frozenlake", "random-mdp"])
@pytest.mark.parametrize("params", CASES)
def test_equivalent_to_textbook_dense_agent(make_env, params):
    agent, ref = run_side_by_side(make_env, 10_000, **params)
    assert_same_h(agent, ref)
    assert np.abs(ref.hmatrix - 1).max() > 5e-3  # learning happened: the test can fail


def test_hand_computed_agent_sequence():
    """A 3-percept x 2-action sequence through the agent; the walk is forced by the rng."""

    class Scripted:  # a Generator stand-in: u below 1/2 picks action 0, above picks action 1
        def __init__(self, us):
            self.us = list(us)

        def random(self):
            return self.us.pop(0)

    agent = PSAgent(2, spaces.Discrete(3), gamma_damping=0.1, eta_glow_damping=0.5, rng=Scripted([0.9, 0.1, 0.9]))
    assert agent.act(0) == 1
    agent.observe(1.0, 1, False, False)  # h(0,1) = 2
    assert agent.act(1) == 0
    agent.observe(0.0, 2, False, False)  # h(0,1) = 1.9
    # p(2): [1, 1]; u = 0.9 -> action 1
    assert agent.act(2) == 1
    agent.observe(2.0, 0, True, False)  # h(0,1) = 1.81 + 0.25 * 2; h(1,0) = 2; h(2,1) = 3
    assert agent.h_values(0) == pytest.approx({0: 1.0, 1: 2.31})
    assert agent.h_values(1) == pytest.approx({0: 2.0, 1: 1.0})
    assert agent.h_values(2) == pytest.approx({0: 1.0, 1: 3.0})
    assert not agent.ecm._store.glowing  # the episode ended: glow reset
    assert agent.act(2, explore=False) == 1 and agent.act(1, explore=False) == 0


def test_greedy_act_changes_nothing():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = PSAgent.for_env(env, eta_glow_damping=0.1, seed=0)
    ps_graph.train(agent, env, episodes=30, seed=0)
    snapshot = {e: dict(d) for e, d in agent.graph.edges.items()}
    nodes = {n: dict(d) for n, d in agent.graph.nodes.items()}
    state = agent.rng.bit_generator.state
    ps_graph.evaluate(agent, env, episodes=5, seed=1)
    assert agent.act(15, explore=False) in range(4)  # an unseen percept: no clip is created
    agent.observe(1.0, 0, True, False)  # after a greedy act: nothing to learn
    assert {e: dict(d) for e, d in agent.graph.edges.items()} == snapshot
    assert {n: dict(d) for n, d in agent.graph.nodes.items()} == nodes
    assert agent.rng.bit_generator.state == state


def test_reflection_rewalks_on_negative_emotion():
    """Two actions, reward only for action 1. With many reflections the agent almost never
    repeats a pair tagged negative, so it finds action 1 far more often than without."""

    def success_rate(num_reflections):
        agent = PSAgent(2, spaces.Discrete(1), eta_glow_damping=1.0, num_reflections=num_reflections, h0=1.0, seed=3)
        hits = 0
        for _ in range(200):
            a = agent.act(0)
            agent.observe(float(a == 1), 0, True, False)
            hits += a == 1
        return hits / 200, agent

    plain, _ = success_rate(0)
    reflective, agent = success_rate(5)
    assert agent.emotions[(("percept", 0), ("action", 0))] is False
    assert agent.emotions[(("percept", 0), ("action", 1))] is True
    # without reflection P(action 1) starts at 1/2 and rises slowly (h grows by 1 per hit)
    assert reflective > plain + 0.02
    assert reflective > 0.97


def test_reflection_uses_the_rng_only_while_emotion_is_negative():
    agent = PSAgent(2, spaces.Discrete(1), eta_glow_damping=1.0, num_reflections=3, seed=0)
    a = agent.act(0)
    agent.observe(1.0, 0, True, False)  # positive: the next deliberation walks once
    state = agent.rng.bit_generator.state
    agent.act(0)
    ref = np.random.default_rng()
    ref.bit_generator.state = state
    ref.random()
    assert agent.rng.bit_generator.state == ref.bit_generator.state
    assert a in (0, 1)


@pytest.mark.parametrize("policy", ["standard", "softmax"])
def test_deterministic_given_seed(policy):
    def run(seed):
        env = gym.make("FrozenLake-v1", is_slippery=True)
        agent = PSAgent.for_env(
            env, eta_glow_damping=0.05, gamma_damping=0.001, policy=policy, num_reflections=1, seed=seed
        )
        res = ps_graph.train(agent, env, episodes=200, seed=seed)
        return res, agent

    r1, a1 = run(4)
    r2, a2 = run(4)
    r3, _ = run(5)
    np.testing.assert_array_equal(r1.returns, r2.returns)
    np.testing.assert_array_equal(r1.lengths, r2.lengths)
    assert {e: d["h"] for e, d in a1.graph.edges.items()} == {e: d["h"] for e, d in a2.graph.edges.items()}
    assert not np.array_equal(r1.lengths, r3.lengths)


def test_percepts_from_structured_spaces():
    space = spaces.Tuple((spaces.Discrete(3), spaces.MultiDiscrete([2, 2])))
    agent = PSAgent(spaces.Discrete(2, start=5), space, seed=0)
    a = agent.act((2, np.array([1, 0])))
    assert a in (5, 6)
    assert ("percept", (2, (1, 0))) in agent.ecm
    assert agent.ecm.graph.nodes[("percept", (2, (1, 0)))]["label"] == "(2, (1, 0))"


def test_box_observations_get_a_clear_error():
    env = gym.make("CartPole-v1")
    with pytest.raises(UnsupportedSpaceError, match="DiscretizeObservation"):
        PSAgent.for_env(env)


def test_box_action_space_is_refused():
    with pytest.raises(UnsupportedSpaceError, match="Discrete action space"):
        PSAgent(spaces.Box(-1, 1, (1,)), spaces.Discrete(2))


def test_non_finite_reward_raises_and_loses_nothing():
    agent = PSAgent(2, spaces.Discrete(2), seed=0)
    agent.act(0)
    with pytest.raises(RewardError, match="finite"):
        agent.observe(float("nan"), 1, False, False)
    agent.observe(1.0, 1, False, False)  # the decision is still there to learn from
    assert max(agent.h_values(0).values()) == pytest.approx(2.0)


def test_negative_rewards_keep_h_positive():
    agent = PSAgent(2, spaces.Discrete(1), eta_glow_damping=1.0, seed=0)
    for _ in range(50):
        agent.act(0)
        agent.observe(-10.0, 0, True, False)
    assert min(agent.h_values(0).values()) == pytest.approx(agent.config.h_floor)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"gamma_damping": 2}, "gamma_damping must be a finite number in \\[0.0, 1.0\\]"),
        ({"eta_glow_damping": 0}, "eta_glow_damping"),
        ({"policy": "epsilon"}, "policy must be one of"),
        ({"beta_softmax": -1.0}, "beta_softmax"),
        ({"num_reflections": -1}, "num_reflections must be an integer >= 0"),
        ({"num_reflections": 1.5}, "num_reflections"),
        ({"glow": "both"}, "glow must be one of 'replace', 'accumulate'"),
        ({"seed": -3}, "seed must be an integer >= 0"),
        ({"seed": 1.5}, "seed"),
        ({"etaa": 0.1}, "unknown PS hyperparameter\\(s\\) \\['etaa'\\]"),
    ],
)
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        PSAgent(2, spaces.Discrete(2), **kwargs)


def test_config_is_frozen_and_accepts_numpy_numbers():
    cfg = PSConfig(gamma_damping=np.float64(0.1), seed=np.int64(3))
    assert type(cfg.gamma_damping) is float and type(cfg.seed) is int
    with pytest.raises(Exception):
        cfg.gamma_damping = 0.2
    with pytest.raises(ConfigError, match="either"):
        PSAgent(2, config=cfg, gamma_damping=0.1)


def test_a_misspelt_hyperparameter_gets_the_closest_name():
    with pytest.raises(ConfigError, match=r"\['grwoth'\].*growth.*Did you mean 'growth'\?"):
        PSAgent(2, grwoth=1)
    with pytest.raises(ConfigError, match=r"Did you mean 'eta_glow_damping'\?"):
        PSAgent(2, eta=0.1)
    with pytest.raises(ConfigError) as err:
        PSAgent(2, zzz=0.1)
    assert "Did you mean" not in str(err.value)
