"""ps_graph.growth.Conjunctions: the conjunction clips and edges a percept sequence creates,
worked by hand for k = 1, 2, 3 (and min_order), and the rule's bad parameters."""

from typing import Any

import pytest
from gymnasium import spaces

from ps_graph import ConfigError, PSAgent
from ps_graph.growth import Conjunctions, conjunction_clip

A0, A1 = ("action", 0), ("action", 1)
SPACE = spaces.MultiDiscrete([2, 2, 2])


def feature(i, v):
    return ("percept", (i, v))


def conj(*members):
    return conjunction_clip(tuple(members))


def edges(agent) -> set:
    ecm = agent.ecm
    return {(s, t) for s in ecm.clips() if ecm.kind(s) != "action" for t in ecm.out_h(s)}


def to_actions(*clips) -> set:
    return {(c, a) for c in clips for a in (A0, A1)}


def make(growth, seed=0, **kwargs) -> PSAgent:
    return PSAgent(2, SPACE, percepts="factorized", growth=growth, seed=seed, **kwargs)


def test_k2_first_percept_creates_three_pairs_wired_from_their_features_and_to_every_action():
    agent = make(Conjunctions(k=2))
    agent.act([0, 1, 1])
    ecm = agent.ecm
    x0, x1, x2 = feature(0, 0), feature(1, 1), feature(2, 1)
    c01, c02, c12 = conj((0, 0), (1, 1)), conj((0, 0), (2, 1)), conj((1, 1), (2, 1))
    assert ecm.clips("percept") == [x0, x1, x2]
    assert [ecm.label(c) for c in (x0, x1, x2)] == ["x0=0", "x1=1", "x2=1"]
    assert ecm.clips("hidden") == [c01, c02, c12]
    assert [ecm.label(c) for c in (c01, c02, c12)] == ["x0=0 & x1=1", "x0=0 & x2=1", "x1=1 & x2=1"]
    # each feature points to the pairs it is in (not to the actions: k = 2 has no 1-body deciders)
    wiring = {(x0, c01), (x1, c01), (x0, c02), (x2, c02), (x1, c12), (x2, c12)}
    assert edges(agent) == wiring | to_actions(c01, c02, c12)
    assert all(ecm.h(s, t) == 1.0 for s, t in edges(agent))  # h0
    # the decision used one pair's edge to the action taken
    decider, action = agent.last_path
    assert decider in (c01, c02, c12) and action in (A0, A1)
    assert agent.ecm.glowing_edges() == {(decider, action): 1.0}


def test_k2_second_percept_reuses_the_shared_pair_and_adds_two():
    agent = make(Conjunctions(k=2), eta_glow_damping=1.0)
    agent.act([0, 1, 1])
    agent.observe(2.0, None, True, False)
    learned = {(s, t) for s, t in edges(agent) if agent.ecm.h(s, t) == 3.0}
    assert len(learned) == 1  # h0 1 + reward 2 on the one edge used
    before = edges(agent)

    agent.act([0, 1, 0])
    ecm = agent.ecm
    shared = conj((0, 0), (1, 1))  # x0=0 & x1=1 again: the same clip, not a new one
    c02, c12 = conj((0, 0), (2, 0)), conj((1, 1), (2, 0))
    assert ecm.clips("percept")[-1] == feature(2, 0) and len(ecm.clips("percept")) == 4
    assert ecm.clips("hidden")[-2:] == [c02, c12] and len(ecm.clips("hidden")) == 5
    assert [ecm.label(c) for c in (c02, c12)] == ["x0=0 & x2=0", "x1=1 & x2=0"]
    added = {(feature(0, 0), c02), (feature(2, 0), c02), (feature(1, 1), c12), (feature(2, 0), c12)}
    assert edges(agent) == before | added | to_actions(c02, c12)
    assert len(edges(agent)) == 20  # 10 feature -> pair edges, 5 pairs x 2 actions
    assert agent.last_path[0] in (shared, c02, c12)
    # what was learned on the first percept is still there
    assert all(ecm.h(s, t) == 3.0 for s, t in learned)
    assert set(agent.h_values([0, 1, 0])) == {(c, a) for c in (shared, c02, c12) for a in (0, 1)}


def test_k1_deciders_are_the_feature_clips_as_without_growth():
    """Conjunctions(k=1) wires each feature clip to the actions, as a factorized agent without
    growth does: the same ECM, and with one seed the same decisions."""
    one, plain = make(Conjunctions(k=1), eta_glow_damping=1.0), make(None, eta_glow_damping=1.0)
    for obs, reward in [([0, 1, 1], 1.0), ([0, 1, 0], -0.5), ([1, 1, 0], 2.0), ([0, 1, 1], 0.0)] * 5:
        assert one.act(obs) == plain.act(obs)
        assert one.last_path == plain.last_path
        one.observe(reward, None, True, False)
        plain.observe(reward, None, True, False)
    assert one.ecm.clips("hidden") == [] and edges(one) == edges(plain)
    assert edges(one) == to_actions(*one.ecm.clips("percept"))
    assert {e: one.ecm.h(*e) for e in edges(one)} == {e: plain.ecm.h(*e) for e in edges(plain)}


def test_min_order_1_adds_the_features_as_deciders_beside_the_pairs():
    agent = make(Conjunctions(k=2, min_order=1))
    agent.act([0, 1, 1])
    x = [feature(0, 0), feature(1, 1), feature(2, 1)]
    pairs = [conj((0, 0), (1, 1)), conj((0, 0), (2, 1)), conj((1, 1), (2, 1))]
    assert agent.growth.deciders(agent, x) == x + pairs  # by order, then by feature
    assert agent.ecm.clips("hidden") == pairs
    wiring = {(x[i], p) for p in pairs for i in range(3) if x[i][1] in p[1][1]}
    assert len(wiring) == 6
    assert edges(agent) == wiring | to_actions(*x, *pairs)
    assert agent.action_probabilities([0, 1, 1]) == pytest.approx({0: 0.5, 1: 0.5}, abs=1e-15)  # 12 edges at h0


def test_k3_one_triple_per_percept():
    agent = make(Conjunctions(k=3))
    agent.act([0, 1, 1])
    first = conj((0, 0), (1, 1), (2, 1))
    assert agent.ecm.clips("hidden") == [first]
    assert agent.ecm.label(first) == "x0=0 & x1=1 & x2=1"
    features = agent.ecm.clips("percept")
    assert edges(agent) == {(x, first) for x in features} | to_actions(first)

    agent.act([0, 1, 0])
    second = conj((0, 0), (1, 1), (2, 0))
    assert agent.ecm.clips("hidden") == [first, second]
    assert agent.last_path[0] == second
    assert len(edges(agent)) == 3 + 3 + 2 + 2  # two triples of three features, each to 2 actions
    # orders 1..3 of three features: 3 + 3 + 1 deciders
    assert len(Conjunctions(k=3, min_order=1).deciders(agent, features[:3])) == 7


def test_deciders_only_names_and_on_excitation_creates():
    agent = make(Conjunctions(k=2))
    clips = agent.percepts([1, 0, 1])  # the feature clips, no conjunction yet
    assert agent.ecm.clips("hidden") == []
    named = agent.growth.deciders(agent, clips)
    assert agent.ecm.clips("hidden") == [] and len(named) == 3
    assert agent.action_probabilities([1, 0, 1]) == {0: 0.5, 1: 0.5}  # a preview at h0, nothing created
    assert agent.ecm.clips("hidden") == []
    assert agent.growth.on_excitation(agent, clips) == named == agent.ecm.clips("hidden")


HALF: Any = 2.5  # not an int (typed Any: the test hands it over on purpose)


@pytest.mark.parametrize(
    ("make_rule", "match"),
    [
        (lambda: Conjunctions(k=0), r"k must be an integer >= 1"),
        (lambda: Conjunctions(k=17), r"k must be an integer >= 1 and <= 16"),
        (lambda: Conjunctions(k=2, min_order=3), r"min_order must be an integer >= 1 and <= 2; got 3"),
        (lambda: Conjunctions(k=2, min_order=0), r"min_order"),
        (lambda: Conjunctions(k=HALF), r"k must be an integer"),
    ],
)
def test_bad_parameters_are_refused(make_rule, match):
    with pytest.raises(ConfigError, match=match):
        make_rule()


def test_conjunctions_need_factorized_percepts_and_enough_features():
    whole = PSAgent(2, SPACE, growth=Conjunctions(k=2), seed=0)
    with pytest.raises(ConfigError, match="percepts='factorized'"):
        whole.act([0, 1, 1])
    assert whole.ecm.clips("percept") == []  # the refused percept left nothing behind
    single = PSAgent(2, spaces.Discrete(3), percepts="factorized", growth=Conjunctions(k=2), seed=0)
    with pytest.raises(ConfigError, match="fewer than min_order = 2"):
        single.act(1)
