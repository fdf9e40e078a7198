"""TwoLayerPS's deliberation variants: majority voting, action priming, reflection over votes.

The graph/fast equivalence holds with every variant (same seed: same actions, same h and glow,
step by step); priming and voting are also checked by hand, and the batched agent refuses them.
"""

import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from ps_graph import BatchedTwoLayerPS, ConfigError, PSAgent, TwoLayerPS, rules
from tests.factories import Side, run_in_lockstep
from tests.ps_graph.test_fast import assert_same_ecm, assert_same_values, learned


class RandomRewardTrials(gym.Env):
    """One-step trials: one of 3 states at random, then a random reward whose mean depends on
    the state and the action (negative ones too, and sometimes 0), so emotions flip both ways."""

    metadata = {"render_modes": []}
    MEAN = np.array([[1.0, -0.5, 0.2, 0.0], [-1.0, 1.5, 0.0, 0.3], [0.1, 0.1, -0.2, 1.0]])

    def __init__(self):
        self.observation_space = spaces.Discrete(3)
        self.action_space = spaces.Discrete(4)
        self.state = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.state = int(self.np_random.integers(3))
        return self.state, {}

    def step(self, action):
        reward = float(self.MEAN[self.state, action] + self.np_random.choice([-1.0, 0.0, 1.0]))
        return self.state, reward, True, False, {}


def frozen_lake(is_slippery: bool) -> gym.Env:
    """FrozenLake with a step cost of 0.01, so that every step learns (the goal alone is
    rarely reached in a few hundred random steps)."""
    env = gym.make("FrozenLake-v1", is_slippery=is_slippery)
    return gym.wrappers.TransformReward(env, lambda r: float(r) - 0.01)


ENVS = {
    "frozenlake-slippery": lambda: frozen_lake(True),
    "frozenlake": lambda: frozen_lake(False),
    "random-reward": RandomRewardTrials,
}
PRIMING = {0: 0.4, 2: -0.7}
VARIANTS = {
    "standard": dict(gamma_damping=0.01, eta_glow_damping=0.2),
    "softmax": dict(policy="softmax", beta_softmax=1.5, gamma_damping=0.005, eta_glow_damping=0.1),
    "softmax-primed": dict(
        policy="softmax", beta_softmax=1.5, gamma_damping=0.005, eta_glow_damping=0.1, priming=PRIMING
    ),
    "reflections-primed": dict(
        policy="softmax", beta_softmax=2.0, num_reflections=2, eta_glow_damping=0.3, gamma_damping=0.01, priming=PRIMING
    ),
    "reflections": dict(num_reflections=3, gamma_damping=0.01, eta_glow_damping=0.3),
    "accumulate": dict(glow="accumulate", gamma_damping=0.005, eta_glow_damping=0.1),
}


def agents(env, **hp):
    return PSAgent.for_env(env, seed=13, **hp), TwoLayerPS.for_env(env, seed=13, **hp)


@pytest.mark.parametrize("votes", [1, 3, 5])
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("env_name", ENVS)
def test_identical_to_the_graph_core_step_by_step(env_name, variant, votes):
    make = ENVS[env_name]
    graph, fast = agents(make(), votes=votes, **VARIANTS[variant])

    def fast_learns(*step):
        fast.observe(*step)  # the graph agent has learned from the same step already
        assert_same_values(graph, fast)

    run_in_lockstep(make, 300, Side(graph.act, graph.observe), Side(fast.act, fast_learns), seed=5)
    assert_same_ecm(graph, fast)  # h, glow, visits and priming, bit for bit
    assert learned(fast) > 1e-3  # it learned something: the test can fail
    obs = fast.percept_keys[0]
    assert fast.decision_probabilities(obs) == graph.decision_probabilities(obs)
    assert fast.act(obs, explore=False) == graph.act(obs, explore=False)


def test_glow_is_the_same_after_every_step_with_votes_and_accumulating_glow():
    make = ENVS["frozenlake-slippery"]
    graph, fast = agents(make(), votes=3, glow="accumulate", eta_glow_damping=0.05, num_reflections=1)

    def fast_learns(*step):
        fast.observe(*step)
        assert_same_ecm(graph, fast)

    run_in_lockstep(make, 200, Side(graph.act, graph.observe), Side(fast.act, fast_learns), seed=1)
    assert fast.glow_matrix().max() > 1.0  # accumulated


# ---------------------------------------------------------------------- priming by hand
def two_actions(cls=TwoLayerPS, **hp):
    """2 actions, h = (1, 2) on percept "s", softmax with beta 2."""
    return cls(2, initial_h={("s", 0): 1.0, ("s", 1): 2.0}, policy="softmax", beta_softmax=2.0, seed=0, **hp)


def test_priming_probabilities_by_hand():
    agent = two_actions(priming={0: 0.5})
    # weights exp(2 (1 + 0.5)) = e**3 and exp(2 * 2) = e**4: p0 = 1 / (1 + e)
    p = agent.action_probabilities("s")
    assert p[0] == pytest.approx(1 / (1 + math.e), rel=1e-12) and p[1] == pytest.approx(math.e / (1 + math.e))
    assert p == two_actions(PSAgent, priming={0: 0.5}).action_probabilities("s")
    assert agent.greedy_action("s") == 1
    agent.set_priming({0: 1.5})  # 2.5 against 2: priming makes action 0 the greedy one
    assert agent.greedy_action("s") == 0 and agent.act("s", explore=False) == 0
    agent.set_priming({0: 1.0})  # 2 against 2: a tie goes to the first action
    assert agent.action_probabilities("s") == {0: 0.5, 1: 0.5} and agent.greedy_action("s") == 0
    assert agent.priming == {0: 1.0} and agent.to_ecm().priming == {("action", 0): 1.0}
    agent.set_priming({})
    assert agent.priming == {} and agent.action_probabilities("s")[1] == pytest.approx(1 / (1 + math.exp(-2)))


def test_priming_sampled_frequencies_match_the_probabilities():
    agent = two_actions(priming={0: 0.5})
    n = 20_000
    zeros = sum(agent.act("s") == 0 for _ in range(n))  # act without observe: h never changes
    p = 1 / (1 + math.e)
    assert abs(zeros - n * p) < 4 * math.sqrt(n * p * (1 - p))  # two-sided, significance ~6e-5


# ---------------------------------------------------------------------- voting by hand
def test_decision_probabilities_are_the_majority_probabilities_of_one_hop():
    h = {("s", 0): 1.0, ("s", 1): 2.0, ("s", 2): 4.0}
    assert TwoLayerPS(3, initial_h=h, seed=0).decision_probabilities("s") == {0: 1 / 7, 1: 2 / 7, 2: 4 / 7}
    for votes in (2, 3, 5):
        agent = TwoLayerPS(3, initial_h=h, votes=votes, seed=0)
        one = agent.action_probabilities("s")
        assert one == {0: 1 / 7, 1: 2 / 7, 2: 4 / 7}  # voting does not change one hop's probabilities
        won = rules.majority_probabilities(list(one.values()), votes)
        assert agent.decision_probabilities("s") == dict(zip(agent.actions, won))
        assert sum(won) == pytest.approx(1.0)
    # 3 votes, p = (1, 2, 4) / 7, in 343rds: action 2 wins with 3 votes (64) or 2 (3 * 16 * 3 = 144);
    # action 1 with 3 (8) or 2 (3 * 4 * 5 = 60); action 0 with 3 (1), 2 (3 * 1 * 6 = 18) or a
    # three-way tie, which goes to the first action (3! * 1 * 2 * 4 = 48)
    won = TwoLayerPS(3, initial_h=h, votes=3, seed=0).decision_probabilities("s")
    assert won == pytest.approx({0: 67 / 343, 1: 68 / 343, 2: 208 / 343}, rel=1e-12)


def test_voting_samples_the_majority_distribution():
    agent = TwoLayerPS(3, initial_h={("s", 0): 1.0, ("s", 1): 2.0, ("s", 2): 4.0}, votes=3, seed=1)
    n = 20_000
    counts = np.bincount([agent.act("s") for _ in range(n)], minlength=3)
    for a, p in agent.decision_probabilities("s").items():
        assert abs(counts[a] - n * p) < 4 * math.sqrt(n * p * (1 - p))  # each two-sided, significance ~6e-5


def test_a_vote_draws_one_uniform_per_hop_and_then_walks_to_the_winner():
    agent = TwoLayerPS(2, initial_h={("s", 0): 1.0, ("s", 1): 3.0}, votes=3, seed=0)
    u = np.random.default_rng(0).random(16).tolist()  # the uniforms the agent will use, in order
    hops = [rules.sample_index([1.0, 3.0], x) for x in u]
    winner = rules.majority_vote(hops[:3])
    walks = 3 + 1 + hops[3:].index(winner)  # the vote, then walks until one reaches the winner
    assert agent.act("s") == winner and agent._next_u == walks


# ---------------------------------------------------------------------- bad input
BAD_PRIMING = [
    pytest.param(dict(policy="standard"), {0: 0.5}, "softmax", id="standard-policy"),
    pytest.param(dict(policy="softmax"), {7: 0.5}, "not among the actions", id="unknown-action"),
    pytest.param(dict(policy="softmax"), {True: 0.5}, "priming keys are actions", id="bool-action"),
    pytest.param(dict(policy="softmax"), {0: float("nan")}, "finite", id="nan"),
    pytest.param(dict(policy="softmax"), {0: 1e7}, "at most 1e\\+06", id="too-large"),
    pytest.param(dict(policy="softmax"), [(0, 0.5)], "must be a dict", id="not-a-dict"),
]


@pytest.mark.parametrize(("hp", "priming", "message"), BAD_PRIMING)
def test_bad_priming_gives_the_graph_agents_error(hp, priming, message):
    with pytest.raises(ConfigError, match=message) as fast_error:
        TwoLayerPS(2, priming=priming, seed=0, **hp)
    with pytest.raises(ConfigError) as graph_error:
        PSAgent(2, priming=priming, seed=0, **hp)
    assert str(fast_error.value) == str(graph_error.value)
    agent = TwoLayerPS(2, priming={1: 0.25} if hp["policy"] == "softmax" else None, seed=0, **hp)
    before = agent.priming
    with pytest.raises(ConfigError, match=message):
        agent.set_priming(priming)
    assert agent.priming == before  # a refused priming changes nothing


def test_factorized_percepts_and_bad_votes_are_refused():
    with pytest.raises(ConfigError, match=r"percepts='factorized'.*PSAgent"):
        TwoLayerPS(2, spaces.MultiDiscrete([3, 2]), percepts="factorized")
    with pytest.raises(ConfigError, match="votes"):
        TwoLayerPS(2, votes=0)


@pytest.mark.parametrize(
    ("hp", "message"),
    [
        pytest.param(dict(votes=3), "majority voting.*TwoLayerPS", id="votes"),
        pytest.param(dict(priming={0: 0.5}, policy="softmax"), "priming.*TwoLayerPS", id="priming"),
        pytest.param(dict(percepts="factorized"), "percepts='factorized'.*PSAgent", id="factorized"),
    ],
)
def test_the_batched_agent_refuses_what_it_does_not_support_yet(hp, message):
    with pytest.raises(ConfigError, match=message):
        BatchedTwoLayerPS(3, 2, 4, seed=0, **hp)


# ---------------------------------------------------------------------- snapshots
def play(agent, env, steps, seed):
    """``steps`` one-step trials of ``env`` (reset with ``seed`` first); the actions taken."""
    obs, _ = env.reset(seed=seed)
    actions = []
    for _ in range(steps):
        a = agent.act(obs)
        obs, reward, *_ = env.step(a)
        agent.observe(reward, obs, True, False)
        obs, _ = env.reset()
        actions.append(a)
    return actions


def test_snapshot_round_trip_with_priming_and_votes_continues_identically():
    hp = dict(policy="softmax", beta_softmax=1.5, votes=3, num_reflections=1, gamma_damping=0.01)
    agent = TwoLayerPS(4, spaces.Discrete(3), priming=PRIMING, seed=3, **hp)
    play(agent, RandomRewardTrials(), 150, seed=0)
    snap = agent.snapshot()
    assert snap["priming"] == PRIMING
    twin = TwoLayerPS(4, spaces.Discrete(3), seed=99, **hp)  # no priming of its own: the snapshot's
    twin.restore(snap)
    twin.rng.bit_generator.state = agent.rng.bit_generator.state  # the Generator is not in a snapshot
    assert twin.priming == PRIMING and twin.snapshot() == snap
    assert play(twin, RandomRewardTrials(), 150, seed=1) == play(agent, RandomRewardTrials(), 150, seed=1)
    assert twin.snapshot() == agent.snapshot()


def test_older_snapshots_without_priming_keep_the_agents_own():
    agent = TwoLayerPS(4, spaces.Discrete(3), policy="softmax", seed=3)
    play(agent, RandomRewardTrials(), 20, seed=0)
    old = {k: v for k, v in agent.snapshot().items() if k != "priming"}
    twin = TwoLayerPS(4, spaces.Discrete(3), policy="softmax", priming={1: 0.5}, seed=3)
    twin.restore(old)
    assert twin.priming == {1: 0.5}
    fresh = TwoLayerPS(4, spaces.Discrete(3), seed=3)  # standard policy: the snapshot's priming is refused
    with pytest.raises(ConfigError, match="softmax"):
        fresh.restore({**old, "priming": {1: 0.5}})
    assert fresh.num_percepts == 0  # checked before anything changed
