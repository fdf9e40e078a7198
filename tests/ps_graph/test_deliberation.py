"""ps_graph.deliberation: multi-excitation decisions, majority voting and priming, worked by
hand, sampled against their exact distributions; bad options; learning on the invasion game
with distraction; determinism.

Sampling tests: a chi-square goodness-of-fit test (scipy.stats.chisquare) of the sampled counts
against the exact probabilities, at significance level ALPHA = 1e-3, with fixed seeds (so
each test is deterministic; the seeds were not picked to pass).
"""

import itertools
import math
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from scipy import stats

import ps_graph.envs  # noqa: F401  (registers the games)
from ps_graph import ConfigError, PSAgent, rules, train
from ps_graph.growth import Conjunctions, Generalization, conjunction_clip
from ps_graph.streams import spawn_seeds

ALPHA = 1e-3
SAMPLES = 10_000
LN2 = math.log(2.0)


def action(a):
    return ("action", a)


def feature(i, v):
    return ("percept", (i, v))


def chi_square_p(counts, probs) -> float:
    """The p-value of the counts against ``probs`` (cells of probability 0 must stay empty)."""
    counts, probs = np.asarray(counts, float), np.asarray(probs, float)
    assert counts[probs == 0].sum() == 0
    keep = probs > 0
    return float(stats.chisquare(counts[keep], counts.sum() * probs[keep]).pvalue)


# --------------------------------------------------------------- hand-set ECMs
# Two excited feature clips (no growth: they decide themselves), three actions.
FEATURES = [feature(0, 0), feature(1, 1)]
FEATURE_H = {(FEATURES[0], j): h for j, h in enumerate((1.0, 2.0, 1.0))} | {
    (FEATURES[1], j): h for j, h in enumerate((3.0, 1.0, 2.0))
}
# Three pair clips of Conjunctions(k=2) for [0, 1, 1], two actions.
PAIRS = [conjunction_clip(((0, 0), (1, 1))), conjunction_clip(((0, 0), (2, 1))), conjunction_clip(((1, 1), (2, 1)))]
PAIR_H = {(PAIRS[0], 0): 3.0, (PAIRS[0], 1): 1.0, (PAIRS[1], 0): 1.0, (PAIRS[1], 1): 1.0} | {
    (PAIRS[2], 0): 2.0,
    (PAIRS[2], 1): 2.0,
}


def hand_agent(case: str, **options) -> tuple[PSAgent, list]:
    """The agent of ``case`` with its ECM's h set by hand, and the observation that excites it."""
    if case == "features":
        agent = PSAgent(3, spaces.MultiDiscrete([2, 2]), percepts="factorized", seed=1, **options)
        obs, table = [0, 1], FEATURE_H
    else:
        space = spaces.MultiDiscrete([2, 2, 2])
        agent = PSAgent(2, space, percepts="factorized", growth=Conjunctions(k=2), seed=2, **options)
        obs, table = [0, 1, 1], PAIR_H
    clips = agent.percepts(obs)  # the feature clips
    if agent.growth is not None:
        agent.growth.on_excitation(agent, clips)  # and the pairs
    for (source, a), h in table.items():
        agent.ecm.add_edge(source, action(a), h=h)
    return agent, obs


# The probability of each (decider, action) edge, by hand: w / sum w over all deciders' edges.
# features, standard: w = h, sum 10.  softmax beta ln 2: w = 2**h: (2, 4, 2), (8, 2, 4), sum 22.
# softmax beta ln 2 with action 1 primed by 1: w = 2**(h + p): (2, 8, 2), (8, 4, 4), sum 28.
# pairs, standard: (3, 1), (1, 1), (2, 2), sum 10.  softmax beta ln 2: (8, 2), (2, 2), (4, 4), sum 22.
HAND = [
    ("features", {"policy": "standard"}, [1, 2, 1, 3, 1, 2], 10),
    ("features", {"policy": "softmax", "beta_softmax": LN2}, [2, 4, 2, 8, 2, 4], 22),
    ("features", {"policy": "softmax", "beta_softmax": LN2, "priming": {1: 1.0}}, [2, 8, 2, 8, 4, 4], 28),
    ("pairs", {"policy": "standard"}, [3, 1, 1, 1, 2, 2], 10),
    ("pairs", {"policy": "softmax", "beta_softmax": LN2}, [8, 2, 2, 2, 4, 4], 22),
]


@pytest.mark.parametrize(("case", "options", "weights", "total"), HAND)
def test_multi_excitation_decides_among_all_deciders_edges(case, options, weights, total):
    agent, obs = hand_agent(case, **options)
    table = FEATURE_H if case == "features" else PAIR_H
    edges = [(source, action(a)) for source, a in table]  # in the weights' order
    edge_p = [w / total for w in weights]
    exact = agent.action_probabilities(obs)
    for a in agent.actions:  # P(a) sums the edges into a
        assert exact[a] == pytest.approx(sum(p for (_, t), p in zip(edges, edge_p) if t == action(a)), abs=1e-12)
    counts = dict.fromkeys(edges, 0)
    for _ in range(SAMPLES):
        a = agent.act(obs)
        decider, end = agent.last_path
        assert end == action(a)
        counts[decider, end] += 1
    assert chi_square_p([counts[e] for e in edges], edge_p) > ALPHA
    # acting without a reward changed no h
    assert {(s, t[1]): agent.ecm.h(s, t) for s, t in edges} == table


# --------------------------------------------------------------- majority voting
def brute_force_majority(p, votes) -> list[float]:
    """Every sequence of vote outcomes, its probability, and the winner majority_vote names."""
    out = [0.0] * len(p)
    for ends in itertools.product(range(len(p)), repeat=votes):
        out[rules.majority_vote(list(ends))] += math.prod(p[j] for j in ends)
    return out


@pytest.mark.parametrize("votes", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("p", [[0.4, 0.3, 0.3], [0.5, 0.5], [0.1, 0.2, 0.3, 0.4], [0.0, 0.7, 0.3], [0.25, 0.0, 0.75]])
def test_majority_probabilities_agree_with_brute_force_enumeration(p, votes):
    assert rules.majority_probabilities(p, votes) == pytest.approx(brute_force_majority(p, votes), abs=1e-12)


def test_majority_of_three_by_hand():
    # a0 wins with 2 or 3 votes (0.4**3 + 3 * 0.4**2 * 0.6 = 0.352) or a 1-1-1 tie (3! 0.4 0.3 0.3 = 0.216)
    # a1 (and a2) win with 2 or 3 votes: 0.3**3 + 3 * 0.3**2 * 0.7 = 0.216
    assert rules.majority_probabilities([0.4, 0.3, 0.3], 3) == pytest.approx([0.568, 0.216, 0.216], abs=1e-12)


def vote_agent(percepts: str, votes: int) -> tuple[PSAgent, object]:
    """One walk ends at the actions with (0.4, 0.3, 0.3): whole percepts through initial_h, or
    two excited feature clips with h (1, 2, 1) and (3, 1, 2) (standard policy, sum 10)."""
    if percepts == "whole":
        initial = {("s", 0): 4.0, ("s", 1): 3.0, ("s", 2): 3.0}
        return PSAgent(3, initial_h=initial, votes=votes, eta_glow_damping=1.0, seed=votes), "s"
    agent, obs = hand_agent("features", votes=votes, eta_glow_damping=1.0)
    return agent, obs


@pytest.mark.parametrize("percepts", ["whole", "factorized"])
@pytest.mark.parametrize("votes", [3, 4])
def test_majority_vote_outcomes_match_the_exact_probabilities(percepts, votes):
    agent, obs = vote_agent(percepts, votes)
    assert list(agent.action_probabilities(obs).values()) == pytest.approx([0.4, 0.3, 0.3], abs=1e-12)
    exact = rules.majority_probabilities([0.4, 0.3, 0.3], votes)
    assert list(agent.decision_probabilities(obs).values()) == pytest.approx(exact, abs=1e-12)
    counts = np.zeros(3)
    for _ in range(SAMPLES):
        a = agent.act(obs)
        counts[a] += 1
        # the re-walk: the one glowing edge is the last decision's, and it ends at the action taken
        assert agent.last_path[-1] == action(a)
        assert agent.ecm.glowing_edges() == {(agent.last_path[0], action(a)): 1.0}
    assert chi_square_p(counts, exact) > ALPHA


def test_the_glowing_edge_after_a_vote_is_the_one_that_learns():
    agent, obs = vote_agent("factorized", 4)
    a = agent.act(obs)
    decider = agent.last_path[0]
    before = {(s, t): agent.ecm.h(s, t) for s in FEATURES for t in agent.action_clips}
    agent.observe(1.5, obs, True, False)
    for (s, t), h in before.items():
        assert agent.ecm.h(s, t) == (h + 1.5 if (s, t) == (decider, action(a)) else h)


# --------------------------------------------------------------- priming
def test_priming_by_hand():
    """P(a) = exp(beta (h_a + p_a)) / sum_b exp(beta (h_b + p_b)), h = (1, 2, 3), p = (2, 0, -1), beta 0.5."""
    h, prime, beta = [1.0, 2.0, 3.0], [2.0, 0.0, -1.0], 0.5
    initial = {("s", a): v for a, v in enumerate(h)}
    agent = PSAgent(3, initial_h=initial, policy="softmax", beta_softmax=beta, priming={0: 2.0, 2: -1.0}, seed=4)
    assert agent.priming == {0: 2.0, 2: -1.0}
    weights = [math.exp(beta * (x + p)) for x, p in zip(h, prime)]  # e**1.5, e**1, e**1
    expected = [w / sum(weights) for w in weights]
    assert list(agent.action_probabilities("s").values()) == pytest.approx(expected, abs=1e-12)
    counts = np.bincount([agent.act("s") for _ in range(SAMPLES)], minlength=3)
    assert chi_square_p(counts, expected) > ALPHA
    agent.set_priming({})  # removed: the plain softmax of h
    plain = [math.exp(beta * x) for x in h]
    assert agent.priming == {}
    assert list(agent.action_probabilities("s").values()) == pytest.approx([w / sum(plain) for w in plain])


# --------------------------------------------------------------- bad options
MD = spaces.MultiDiscrete([2, 2])
NOT_ACTIONS: Any = {"left": 1.0}  # typed Any: the tests hand these over on purpose
NOT_A_DICT: Any = [1.0, 0.0]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: PSAgent(2, priming={0: 1.0}), "needs policy='softmax'"),
        (lambda: PSAgent(2, policy="softmax", priming={5: 1.0}), r"action 5, not among the actions \[0, 1\]"),
        (lambda: PSAgent(2, policy="softmax", priming=NOT_ACTIONS), "priming keys are actions"),
        (lambda: PSAgent(2, policy="softmax", priming={0: float("nan")}), "must be a finite number"),
        (lambda: PSAgent(2, policy="softmax", priming=NOT_A_DICT), r"priming must be a dict \{action: term\}"),
        (lambda: PSAgent(2, votes=0), r"votes must be an integer >= 1 and <= 101; got 0"),
        (lambda: PSAgent(2, votes=102), r"votes must be an integer >= 1 and <= 101; got 102"),
        (lambda: PSAgent(2, percepts="x"), "percepts must be one of 'whole', 'factorized'; got 'x'"),
        (
            lambda: PSAgent(2, MD, percepts="factorized", initial_h={((0, 0), 0): 2.0}),
            "with percepts='factorized' every edge starts at h0",
        ),
        (
            lambda: PSAgent(2, MD, percepts="factorized", growth=Generalization()),
            "Generalization has no on_excitation",
        ),
    ],
)
def test_bad_options_are_refused_with_the_fix(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


def test_set_priming_on_a_standard_agent_is_refused():
    agent = PSAgent(2, seed=0)
    with pytest.raises(ConfigError, match="policy='softmax'"):
        agent.set_priming({1: 0.5})
    assert agent.priming == {}


# --------------------------------------------------------------- learning
def window_means(k: int, seed_pair: tuple[int, int], rounds: int = 10_000) -> np.ndarray:
    """A MEPS agent's (the paper's settings) mean reward per 100 rounds on the invasion game with distraction."""
    env = gym.make("ps_graph/InvasionWithDistraction-v0")
    agent = PSAgent.for_env(
        env, percepts="factorized", growth=Conjunctions(k), policy="softmax", eta_glow_damping=1.0, seed=seed_pair[0]
    )
    return train(agent, env, episodes=rounds, seed=seed_pair[1]).returns.reshape(-1, 100).mean(axis=1)


@pytest.mark.slow
def test_k2_learns_the_invasion_game_k1_cannot_and_k3_learns_later():
    """Four agents per k (seeds from spawn_seeds(0, 8): agent seed, env seed pairs), mean over agents.

    Thresholds: the source's (MariusKrumm/ManyBodyMEPS, invasion_data/means{k}.txt) k = 2 and k = 3
    curves end at the maximum, 1.0, and first reach 0.9 at rounds 1,700 and 5,300; its k = 1 curve
    stays at chance, -4.5 (no single observable tells the door). We measured, for seed blocks
    0..7 of four agents: k = 2 ends at 1.0 (first >= 0.9 at rounds 2,300-2,800), k = 3 first reaches
    0.9 at rounds 6,600-7,400, k = 1's last window lies in -5.0 .. -4.25 (its standard deviation
    over four agents is about 0.28, so +-1.0 is about 3.6 of them).
    """
    seeds = spawn_seeds(0, 8)
    pairs = [(seeds[2 * j], seeds[2 * j + 1]) for j in range(4)]
    curves = {k: np.mean([window_means(k, pair) for pair in pairs], axis=0) for k in (1, 2, 3)}
    assert curves[2][-1] >= 0.9
    assert abs(curves[1][-1] - (-4.5)) <= 1.0
    first = {k: int(np.argmax(curves[k] >= 0.9)) if (curves[k] >= 0.9).any() else len(curves[k]) for k in (2, 3)}
    assert first[3] > first[2]


# --------------------------------------------------------------- determinism
FACTORIZED = [
    {},
    {"growth": Conjunctions(k=2)},
    {"growth": Conjunctions(k=3), "votes": 3},
    {"growth": Conjunctions(k=2), "policy": "softmax", "priming": {1: 0.5}, "num_reflections": 2},
]


def play(options: dict, seed: int, rounds: int = 300) -> tuple[list[int], dict]:
    env = gym.make("ps_graph/InvasionWithDistraction-v0")
    kwargs = {key: (Conjunctions(**v.params()) if key == "growth" else v) for key, v in options.items()}
    agent = PSAgent.for_env(env, percepts="factorized", eta_glow_damping=1.0, seed=seed, **kwargs)
    obs, _ = env.reset(seed=11)
    actions = []
    for _ in range(rounds):
        actions.append(agent.act(obs))
        _, reward, terminated, truncated, _ = env.step(actions[-1])
        obs, _ = env.reset()
        agent.observe(float(reward), obs, terminated, truncated)
    ecm = agent.ecm
    h = {(s, t): ecm.h(s, t) for s in ecm.clips() if ecm.kind(s) != "action" for t in ecm.out_h(s)}
    return actions, h


@pytest.mark.parametrize("options", FACTORIZED, ids=["no growth", "k2", "k3 votes", "k2 softmax priming reflection"])
def test_same_seed_same_actions_for_factorized_agents(options):
    actions, h = play(options, seed=5)
    again, h_again = play(options, seed=5)
    assert actions == again and h == h_again
    assert play(options, seed=6)[0] != actions  # the seed matters
