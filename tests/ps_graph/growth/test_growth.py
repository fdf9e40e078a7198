"""Growing hidden clips: the growth-rule protocol, Generalization (wildcard clips, caps,
pruning, saving) and ECM.remove_clip."""

import copy
import json
import logging
import pickle
import re

import numpy as np
import pytest

from ps_graph import ECM, BatchedTwoLayerPS, ConfigError, PSAgent, PSGraphError, TwoLayerPS
from ps_graph.growth import MAX_FEATURES, Generalization, GrowthRule, wildcard_clip
from ps_graph.saving import load, save

A0, A1 = ("action", 0), ("action", 1)


def P(*key):
    return ("percept", tuple(key))


def W(*pattern):
    return wildcard_clip(pattern)


def grown(keys, actions=2, **rule_kw):
    rule = Generalization(**rule_kw)
    agent = PSAgent(actions, growth=rule, seed=0)
    for key in keys:
        agent.percept(key)
    return agent, rule


def edge_set(ecm):
    return {(s, t) for s, t, _, _ in ecm.snapshot()["edges"]}


def layers(ecm):
    return {c: layer for c, _, layer, _, _ in ecm.snapshot()["clips"]}


def to_actions(*sources):
    return {(s, a) for s in sources for a in (A0, A1)}


# ---------------------------------------------------------------------- hand-worked sequences
def test_two_features_hand_worked():
    """(0,0), (0,1), (1,1). (0,1) agrees with (0,0) exactly on component 0: (0,#). (1,1) agrees with
    (0,1) exactly on component 1: (#,1); with (0,0) nowhere (all-wildcard: off by default)."""
    agent, rule = grown([(0, 0), (0, 1)])
    assert rule.wildcards == [W(0, None)]
    assert edge_set(agent.ecm) == to_actions(P(0, 0), P(0, 1), W(0, None)) | {
        (P(0, 0), W(0, None)),
        (P(0, 1), W(0, None)),
    }
    agent.percept((1, 1))
    assert rule.wildcards == [W(0, None), W(None, 1)]
    assert edge_set(agent.ecm) == to_actions(P(0, 0), P(0, 1), P(1, 1), W(0, None), W(None, 1)) | {
        (P(0, 0), W(0, None)),
        (P(0, 1), W(0, None)),
        (P(0, 1), W(None, 1)),
        (P(1, 1), W(None, 1)),
    }
    assert layers(agent.ecm) == {P(0, 0): 0, P(0, 1): 0, P(1, 1): 0, W(0, None): 1, W(None, 1): 1, A0: 2, A1: 2}
    assert agent.ecm.graph.nodes[W(None, 1)]["label"] == "(#, 1)"
    assert set(agent.ecm.out_h(P(1, 1)).values()) == {1.0}  # every new edge starts at h0
    agent.percept((0, 1))  # a known percept creates nothing
    assert agent.ecm.num_edges == 14


def test_two_features_with_the_all_wildcard_clip():
    """As above, plus (#,#) once (1,1) arrives (it differs from (0,0) in every component): edges to it
    from every percept and from both more specific wildcard clips; it sits one layer deeper."""
    agent, rule = grown([(0, 0), (0, 1)], all_wildcard=True)
    assert rule.wildcards == [W(0, None)]  # no pair differs everywhere yet
    agent.percept((1, 1))
    assert rule.wildcards == [W(0, None), W(None, 1), W(None, None)]
    general = {
        (P(0, 0), W(None, None)),
        (P(0, 1), W(None, None)),
        (P(1, 1), W(None, None)),
        (W(0, None), W(None, None)),
        (W(None, 1), W(None, None)),
    }
    assert (
        edge_set(agent.ecm)
        == to_actions(P(0, 0), P(0, 1), P(1, 1), W(0, None), W(None, 1), W(None, None))
        | {(P(0, 0), W(0, None)), (P(0, 1), W(0, None)), (P(0, 1), W(None, 1)), (P(1, 1), W(None, 1))}
        | general
    )
    assert layers(agent.ecm)[W(None, None)] == 2 and layers(agent.ecm)[A0] == 3
    assert agent.ecm.graph.nodes[W(None, None)]["label"] == "(#, #)"


def test_three_features_hand_worked():
    """(0,0,0); (0,0,1): exact agreement {0,1} -> (0,0,#). (0,1,1): with (0,0,0) exactly {0} -> (0,#,#),
    with (0,0,1) exactly {0,2} -> (0,#,1). (0,#,#) gets edges from every matching percept and from both
    more specific matching clips, including (0,0,#), which the new percept does not match."""
    agent, rule = grown([(0, 0, 0), (0, 0, 1), (0, 1, 1)])
    assert rule.wildcards == [W(0, 0, None), W(0, None, 1), W(0, None, None)]
    ecm = agent.ecm
    assert ecm.out_h(P(0, 0, 0)).keys() == {A0, A1, W(0, 0, None), W(0, None, None)}
    assert ecm.out_h(P(0, 0, 1)).keys() == {A0, A1, W(0, 0, None), W(0, None, 1), W(0, None, None)}
    assert ecm.out_h(P(0, 1, 1)).keys() == {A0, A1, W(0, None, 1), W(0, None, None)}
    assert ecm.out_h(W(0, 0, None)).keys() == {A0, A1, W(0, None, None)}
    assert ecm.out_h(W(0, None, 1)).keys() == {A0, A1, W(0, None, None)}
    assert ecm.out_h(W(0, None, None)).keys() == {A0, A1}
    assert list(ecm.out_h(P(0, 1, 1))) == [A0, A1, W(0, None, 1), W(0, None, None)]  # most specific first
    # (1,0,0): with (0,0,0) exactly {1,2} -> (#,0,0); with (0,0,1) exactly {1} -> (#,0,#); with (0,1,1): none
    agent.percept((1, 0, 0))
    assert rule.wildcards[3:] == [W(None, 0, 0), W(None, 0, None)]
    assert ecm.out_h(P(1, 0, 0)).keys() == {A0, A1, W(None, 0, 0), W(None, 0, None)}
    assert W(None, 0, None) in ecm.out_h(W(0, 0, None))  # an old clip learns of a new, more general one
    assert ecm.out_h(W(None, 0, 0)).keys() == {A0, A1, W(None, 0, None)}
    assert ecm.out_h(P(0, 0, 0)).keys() >= {W(None, 0, 0), W(None, 0, None)}
    assert W(None, 0, None) in ecm.out_h(P(0, 0, 1)) and W(None, 0, 0) not in ecm.out_h(P(0, 0, 1))
    assert [layers(ecm)[w] for w in rule.wildcards] == [1, 1, 2, 1, 2]


def brute_force(keys, all_wildcard):
    """The wiring the issue describes, by comparing each new percept with every stored one (O(n^2))."""
    wildcards, seen = set(), []
    for x in keys:
        if x in seen:
            continue
        for p in seen:
            pattern = tuple(a if a == b else None for a, b in zip(x, p))
            if any(v is None for v in pattern) and (all_wildcard or any(v is not None for v in pattern)):
                wildcards.add(pattern)
        seen.append(x)

    def matches(specific, general):
        return specific != general and all(g is None or s == g for s, g in zip(specific, general))

    edges = to_actions(*[P(*x) for x in seen], *[W(*w) for w in wildcards])
    edges |= {(P(*x), W(*w)) for x in seen for w in wildcards if matches(x, w)}
    edges |= {(W(*v), W(*w)) for v in wildcards for w in wildcards if matches(v, w)}
    return {W(*w) for w in wildcards}, edges


@pytest.mark.parametrize("all_wildcard", [False, True])
def test_counting_agrees_with_pairwise_comparison(all_wildcard):
    """The inclusion-exclusion counts find exactly the patterns that comparing pairs finds."""
    rng = np.random.default_rng(7)
    for d, sizes in [(2, 3), (3, 3), (4, 2), (4, 3)]:
        keys = [tuple(int(v) for v in rng.integers(sizes, size=d)) for _ in range(25)]
        agent, rule = grown(keys, all_wildcard=all_wildcard)
        hidden, edges = brute_force(keys, all_wildcard)
        assert set(rule.wildcards) == hidden == set(agent.ecm.clips("hidden"))
        assert edge_set(agent.ecm) == edges
        for w in hidden:  # layer = number of wildcards
            assert layers(agent.ecm)[w] == sum(v is None for v in w[1])


# ---------------------------------------------------------------------- deliberation
def test_exact_action_probabilities_through_hidden_layers():
    """P(0,1) -> A0 1, A1 1, (0,#) 2, (#,1) 1; (0,#) -> A0 3, A1 1; (#,1) -> A0 1, A1 1.
    P(A0) = 1/5 + 2/5 * 3/4 + 1/5 * 1/2 = 0.6. Sampled walks agree."""
    agent, _ = grown([(0, 0), (0, 1), (1, 1)])
    ecm = agent.ecm
    ecm.add_edge(P(0, 1), W(0, None), h=2.0)
    ecm.add_edge(W(0, None), A0, h=3.0)
    probs = ecm.action_probabilities(P(0, 1))
    assert probs[A0] == pytest.approx(0.6) and probs[A1] == pytest.approx(0.4)
    rng = np.random.default_rng(0)
    paths = [ecm.walk(P(0, 1), rng) for _ in range(4000)]
    assert abs(np.mean([p[-1] == A0 for p in paths]) - 0.6) < 0.03  # 4 standard errors
    assert {len(p) for p in paths} == {2, 3}
    assert all(ecm.kind(p[-1]) == "action" and (len(p) == 2 or ecm.kind(p[1]) == "hidden") for p in paths)


def test_walks_reach_actions_through_two_hidden_layers():
    """With (#,#): P(0,0) -> A0, A1, (0,#), (#,#); (0,#) -> A0, A1, (#,#); (#,#) -> A0 3, A1 1.
    P(A0 | (0,#)) = 1/3 + 1/3 * 3/4 = 7/12; P(A0 | P(0,0)) = 1/4 + 1/4 * 7/12 + 1/4 * 3/4 = 7/12."""
    agent, _ = grown([(0, 0), (0, 1), (1, 1)], all_wildcard=True)
    ecm = agent.ecm
    ecm.add_edge(W(None, None), A0, h=3.0)
    assert ecm.action_probabilities(W(0, None))[A0] == pytest.approx(7 / 12)
    assert ecm.action_probabilities(P(0, 0))[A0] == pytest.approx(7 / 12)
    rng = np.random.default_rng(1)
    paths = [ecm.walk(P(0, 0), rng) for _ in range(500)]
    assert [P(0, 0), W(0, None), W(None, None), A0] in paths
    for path in paths:  # layers strictly increase along every walk, so walks always end
        assert all(layers(ecm)[a] < layers(ecm)[b] for a, b in zip(path, path[1:]))


def test_a_step_makes_every_traversed_edge_glow_and_learn():
    """eta = 1, gamma = 0: after act, exactly the walked edges glow (1); reward 1 adds 1 to each."""
    agent = PSAgent(2, growth=Generalization(all_wildcard=True), eta_glow_damping=1.0, seed=0)
    for key in [(0, 0), (0, 1), (1, 1)]:
        agent.percept(key)
    for _ in range(200):  # find a step whose walk passes two hidden clips
        twin_rng = copy.deepcopy(agent.rng)
        path = agent.ecm.walk(P(0, 0), twin_rng)
        if len(path) == 4:
            break
        agent.rng = twin_rng  # skip those draws
    assert len(path) == 4
    before = {(s, t): h for s, t, h, _ in agent.ecm.snapshot()["edges"]}
    action = agent.act((0, 0))
    assert action == path[-1][1]
    walked = set(zip(path, path[1:]))
    assert agent.ecm.glowing_edges() == {edge: 1.0 for edge in walked}
    agent.observe(1.0, None, False, False)
    after = {(s, t): h for s, t, h, _ in agent.ecm.snapshot()["edges"]}
    assert {e for e in after if after[e] != before[e]} == walked
    assert all(after[e] == before[e] + 1.0 for e in walked)


# ---------------------------------------------------------------------- the protocol
class Recorder:
    """A custom rule: a hidden clip per first feature; records every call."""

    def __init__(self):
        self.calls = []

    def on_percept(self, agent, clip):
        self.calls.append(("percept", clip, clip in agent.ecm))
        hidden = ("hidden", ("first", clip[1][0]))
        if hidden not in agent.ecm:
            agent.ecm.add_hidden(hidden)
            agent.ecm.connect(hidden, [A0, A1])
        agent.ecm.connect(clip, [hidden])

    def after_reward(self, agent, reward):
        self.calls.append(("reward", reward, agent.ecm.glowing_edges() == {}))


def test_custom_rules_get_called_as_documented():
    rule = Recorder()
    agent = PSAgent(2, growth=rule, eta_glow_damping=0.5, seed=3)
    assert isinstance(rule, GrowthRule) and isinstance(Generalization(), GrowthRule)
    agent.act((1, 2))
    agent.observe(2.0, (1, 3), False, False)
    agent.act((1, 3))
    agent.observe(0.5, None, True, False)
    agent.act((1, 3), explore=False)  # a greedy look changes nothing and learns nothing
    agent.observe(1.0, None, True, False)
    assert rule.calls == [
        ("percept", P(1, 2), True),
        ("reward", 2.0, False),
        ("percept", P(1, 3), True),
        ("reward", 0.5, True),
    ]  # after the episode's glow reset
    assert agent.ecm.clips("hidden") == [("hidden", ("first", 1))]


def test_bad_growth_arguments():
    with pytest.raises(ConfigError, match="growth must be a growth rule with an on_percept"):
        PSAgent(2, growth=object())
    with pytest.raises(ConfigError, match="2-layer fast path and cannot grow hidden clips"):
        TwoLayerPS(2, growth=Generalization())
    with pytest.raises(ConfigError, match="2-layer fast path and cannot grow hidden clips"):
        BatchedTwoLayerPS(2, 2, 4, growth=Generalization())
    with pytest.raises(ConfigError, match="max_hidden must be an integer >= 0"):
        Generalization(max_hidden=-1)
    with pytest.raises(ConfigError, match="all_wildcard must be True or False"):
        Generalization(all_wildcard="yes")
    with pytest.raises(ConfigError, match=r"prune_below must be a finite number in \(0.0, inf\)"):
        Generalization(prune_below=0.0)
    with pytest.raises(ConfigError, match="prune_every must be an integer >= 1"):
        Generalization(prune_every=0)
    with pytest.raises(ConfigError, match="prune_after must be an integer >= 0"):
        Generalization(prune_after=-5)


@pytest.mark.parametrize(
    "first, bad, fragment",
    [
        ((0, 1), 3, "non-empty tuples of categorical features"),
        ((0, 1), (), "non-empty tuples"),
        ((0, 1), (0, 1, 2), "got (0, 1, 2) with 3 features, but earlier percepts have 2"),
        ((0, 1), (0, None), "None is the wildcard marker"),
        (None, (1,) * (MAX_FEATURES + 1), f"at most {MAX_FEATURES} features"),
    ],
)
def test_refused_percepts_leave_the_agent_as_it_was(first, bad, fragment):
    agent, rule = grown([] if first is None else [first, tuple(1 - v for v in first)])
    before = agent.ecm.snapshot(), rule.to_json()
    with pytest.raises(ConfigError) as err:
        agent.act(bad)
    assert fragment in str(err.value)
    assert (agent.ecm.snapshot(), rule.to_json()) == before


def test_one_rule_per_agent():
    rule = Generalization()
    PSAgent(2, growth=rule, seed=0).percept((0, 0))  # the rule keeps its agent alive
    other = PSAgent(2, growth=rule, seed=0)
    with pytest.raises(ConfigError, match="already grows another agent's ECM"):
        other.percept((0, 1))
    assert other.ecm.clips("percept") == []


@pytest.mark.parametrize("duplicate", [copy.deepcopy, lambda agent: pickle.loads(pickle.dumps(agent))])
def test_a_copy_grows_on_its_own(duplicate):
    agent, rule = grown([(0, 0), (0, 1)])
    twin = duplicate(agent)
    twin.percept((1, 1))
    assert W(None, 1) in twin.ecm and W(None, 1) not in agent.ecm
    agent.percept((1, 2))
    assert rule.wildcards == [W(0, None)] and twin.growth.wildcards == [W(0, None), W(None, 1)]


# ---------------------------------------------------------------------- caps and pruning
def test_the_cap_stops_creation_and_warns_once(caplog):
    with caplog.at_level(logging.WARNING, logger="ps_graph.growth"):
        agent, rule = grown([(0, 0), (0, 1), (1, 1), (2, 1), (0, 2)], max_hidden=1)
    assert rule.wildcards == [W(0, None)]  # (#,1) would have come with (1,1)
    assert W(0, None) in agent.ecm.out_h(P(0, 2))  # new percepts still join the existing clip
    assert W(0, None) not in agent.ecm.out_h(P(1, 1))
    warnings = [r for r in caplog.records if r.name == "ps_graph.growth"]
    assert len(warnings) == 1 and "max_hidden=1" in warnings[0].getMessage()


def test_at_the_cap_the_more_specific_clips_come_first():
    """(0,1,1) would create (0,#,1) and (0,#,#) (see the 3-feature example); one slot is left."""
    _, rule = grown([(0, 0, 0), (0, 0, 1), (0, 1, 1)], max_hidden=2)
    assert rule.wildcards == [W(0, 0, None), W(0, None, 1)]


def test_max_hidden_zero_is_plain_ps_without_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="ps_graph.growth"):
        agent, rule = grown([(0, 0), (0, 1), (1, 1)], max_hidden=0)
    assert rule.num_hidden == 0 and agent.ecm.num_edges == 6 and not caplog.records


def test_pruning_removes_weak_old_idle_clips_only():
    agent, rule = grown([(0, 0), (0, 1), (1, 1)], prune_below=1.5, prune_after=3)
    ecm = agent.ecm
    ecm.add_edge(W(0, None), A0, h=3.0)  # (0,#) has learned something; (#,1) has not
    assert rule.prune(agent) == []  # too young: 0 steps old
    for _ in range(3):
        rule.after_reward(agent, 0.0)  # prune_every=1000: no pass yet
    ecm.excite([P(1, 1), W(None, 1), A1])  # a reward may still be due to (#,1)
    assert rule.prune(agent) == []
    ecm.reset_glow()
    others = {(s, t): h for s, t, h, _ in ecm.snapshot()["edges"] if W(None, 1) not in (s, t)}
    assert rule.prune(agent) == [W(None, 1)]
    assert rule.wildcards == [W(0, None)] and W(None, 1) not in ecm
    assert {(s, t): h for s, t, h, _ in ecm.snapshot()["edges"]} == others
    # a later percept agreeing on component 1 creates (#,1) afresh, from every matching percept
    agent.percept((2, 1))
    assert rule.wildcards == [W(0, None), W(None, 1)]
    assert {s for s, t in edge_set(ecm) if t == W(None, 1)} == {P(0, 1), P(1, 1), P(2, 1)}
    with pytest.raises(ConfigError, match="prune_below"):
        Generalization().prune(agent)


def test_pruning_runs_every_prune_every_learning_steps():
    """Reward 0 everywhere (gamma = 0): every h stays 1 < 1.5, so each pass removes every clip
    that is prune_after = 4 steps old and not glowing (glow resets at each episode end)."""
    rule = Generalization(prune_below=1.5, prune_after=4, prune_every=5)
    agent = PSAgent(2, growth=rule, seed=0)
    stream = [(0, 0), (0, 1), (1, 1), (1, 2), (0, 0), (2, 2), (0, 0), (0, 0), (0, 0), (0, 0)]
    counts = []
    for key in stream:
        agent.act(key)
        agent.observe(0.0, None, True, False)
        counts.append(rule.num_hidden)
    # (0,#), (#,1), (1,#), (#,2) come with steps 2, 3, 4, 6, born after 1, 2, 3, 5 learning steps;
    # the pass after step 5 removes (0,#) only (age 4); the one after step 10 the rest (ages 8, 7, 5)
    assert counts == [0, 1, 2, 3, 2, 3, 3, 3, 3, 0]
    assert rule.steps == 10 and agent.ecm.clips("hidden") == []
    assert all(agent.ecm.walk(P(*k), agent.rng)[-1] in (A0, A1) for k in set(stream))


# ---------------------------------------------------------------------- ECM.remove_clip
def lazy_ecm():
    """s -> h1, a, h2, b; h1 -> a, b; h2 -> h1, b: damping and several glow stamps, so the lazy store
    holds values current at different steps."""
    ecm = ECM(gamma_damping=0.1, eta_glow_damping=0.3)
    ecm.add_percept("s")
    ecm.add_hidden("h1", layer=1)
    ecm.add_hidden("h2", layer=2)
    for a in ("a", "b"):
        ecm.add_action(a)
    ecm.connect("s", ["h1", "a", "h2", "b"])
    ecm.connect("h1", ["a", "b"])
    ecm.connect("h2", ["h1", "b"])
    for path, reward in [(["s", "h1", "a"], 1.0), (["s", "h2", "b"], 2.0), (["s", "b"], 0.0), (["s", "a"], 1.5)]:
        ecm.decay_glow()
        ecm.excite(path)
        ecm.learn(reward)
    return ecm


def lazy_twin():
    """lazy_ecm without h1 from the start (same steps, minus the walk through h1)."""
    ecm = ECM(gamma_damping=0.1, eta_glow_damping=0.3)
    ecm.add_percept("s")
    ecm.add_hidden("h2", layer=2)
    for a in ("a", "b"):
        ecm.add_action(a)
    ecm.connect("s", ["a", "h2", "b"])
    ecm.connect("h2", ["b"])
    for path, reward in [(["s"], 1.0), (["s", "h2", "b"], 2.0), (["s", "b"], 0.0), (["s", "a"], 1.5)]:
        ecm.decay_glow()
        if len(path) > 1:
            ecm.excite(path)
        ecm.learn(reward)
    return ecm


def test_remove_clip_keeps_every_other_edge_and_glow():
    ecm = lazy_ecm()
    keep = [e for e in ecm.snapshot()["edges"] if "h1" not in e[:2]]
    assert len(ecm.glowing_edges()) == 6  # every walked edge still glows; (s,h1) and (h1,a) go
    ecm.remove_clip("h1")
    assert len(ecm.glowing_edges()) == 4
    assert ecm.snapshot()["edges"] == keep  # bit for bit: h and glow
    assert ecm.snapshot()["edges"] == lazy_twin().snapshot()["edges"]
    # glow positions shifted: later rewards land on the right edges, as in the twin that never had h1
    twin = lazy_twin()
    for e in (ecm, twin):
        for path, reward in [(["s", "b"], 1.0), (["s", "h2", "b"], -0.5), (["s", "a"], 2.0)]:
            e.decay_glow()
            e.excite(path)
            e.learn(reward)
    assert ecm.snapshot()["edges"] == twin.snapshot()["edges"]
    assert ecm.probabilities("s") == twin.probabilities("s")
    rng = np.random.default_rng(0)
    assert all(ecm.walk("s", rng)[-1] in ("a", "b") for _ in range(200))
    assert ECM.from_snapshot(ecm.snapshot(), gamma_damping=0.1, eta_glow_damping=0.3).snapshot() == ecm.snapshot()


def test_remove_clip_in_a_long_row():
    """Rows longer than 16 targets use a position index; it must follow the removal."""
    ecm = ECM(eta_glow_damping=0.5)
    ecm.add_percept("s")
    ecm.add_action("a")
    hidden = [f"h{i}" for i in range(20)]
    for h in hidden:
        ecm.add_hidden(h)
        ecm.connect(h, ["a"])
    ecm.connect("s", hidden + ["a"])
    for i, h in enumerate(hidden):
        ecm.add_edge("s", h, h=1.0 + i)
    assert ecm.h("s", "h15") == 16.0  # builds the index
    ecm.excite(["s", "h15", "a"])
    ecm.remove_clip("h3")
    ecm.add_hidden("new")
    ecm.connect("new", ["a"])
    ecm.connect("s", ["new"])  # the row is as long as before the removal: the index must not be stale
    assert [ecm.h("s", h) for h in hidden if h != "h3"] == [1.0 + i for i in range(20) if i != 3]
    assert ecm.h("s", "new") == 1.0 and ecm.h("s", "a") == 1.0
    assert ecm.edge_glow("s", "h15") == 1.0 and len(ecm.glowing_edges()) == 2
    ecm.learn(1.0)
    assert ecm.h("s", "h15") == 17.0 and ecm.h("s", "h16") == 17.0 and ecm.h("s", "h14") == 15.0


def test_remove_clip_moves_actions_back_and_refuses_what_would_break_walks():
    ecm = ECM()
    ecm.add_percept("s")
    ecm.add_hidden("deep", layer=3)
    ecm.add_hidden("mid", layer=1)
    ecm.add_action("a")
    ecm.connect("s", ["mid", "deep"])
    ecm.connect("mid", ["a"])
    ecm.connect("deep", ["a"])
    assert layers(ecm)["a"] == 4
    ecm.remove_clip("deep")
    assert layers(ecm)["a"] == 2
    before = ecm.snapshot()
    with pytest.raises(ConfigError, match="only target of 's'"):
        ecm.remove_clip("mid")
    with pytest.raises(ConfigError, match="cannot be removed"):
        ecm.remove_clip("a")
    with pytest.raises(KeyError, match="nope"):
        ecm.remove_clip("nope")
    assert ecm.snapshot() == before
    ecm.remove_clip("s")
    assert ecm.clips() == ["mid", "a"]


# ---------------------------------------------------------------------- saving
def percept_stream(seed, n):
    """Three features from small alphabets; reward 1 iff the action equals feature 0 mod 2."""
    rng = np.random.default_rng(seed)
    return [tuple(int(v) for v in rng.integers([4, 3, 3])) for _ in range(n)]


def play(agent, stream):
    actions = []
    for i, key in enumerate(stream):
        a = agent.act(key)
        actions.append(a)
        agent.observe(float(a == key[0] % 2), None, i % 7 == 6, False)
    return actions


def test_save_load_continues_identically(tmp_path):
    rule = Generalization(max_hidden=20, prune_below=1.2, prune_after=30, prune_every=25)
    agent = PSAgent(2, growth=rule, gamma_damping=0.01, eta_glow_damping=0.4, seed=5)
    play(agent, percept_stream(1, 120))
    assert rule.num_hidden > 0 and rule.steps == 120
    twin = load(save(agent, tmp_path / "grown.json"))
    assert twin.growth is not rule and twin.growth.to_json() == rule.to_json()
    later = percept_stream(2, 200)  # new percepts, growth at the cap, and pruning passes
    assert play(twin, later) == play(agent, later)
    assert twin.ecm.snapshot() == agent.ecm.snapshot()
    assert twin.growth.to_json() == rule.to_json()
    doc = json.loads((tmp_path / "grown.json").read_text())
    assert doc["version"] == 2 and doc["growth"]["rule"] == "Generalization"


def test_saving_refuses_custom_rules_and_loads_old_files(tmp_path):
    with pytest.raises(ConfigError, match="only the built-in growth rules"):
        save(PSAgent(2, growth=Recorder()), tmp_path / "custom.json")
    assert not (tmp_path / "custom.json").exists()
    path = save(PSAgent(2, seed=0), tmp_path / "plain.json")
    doc = json.loads(path.read_text())
    assert doc["growth"] is None
    doc["version"] = 1  # files written before growth existed
    del doc["growth"]
    path.write_text(json.dumps(doc))
    assert load(path).growth is None


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (lambda g: g.update(rule="Mine"), "growth.rule must be one of 'Generalization'"),
        (lambda g: g["state"]["percepts"].pop(), "does not list the ECM's percept and hidden clips"),
        (lambda g: g["state"]["wildcards"][0].update(pattern=[7, None]), "is not a hidden clip of the ECM"),
        (lambda g: g["state"]["wildcards"][0].update(born=99), "born must be an integer in 0..steps=0"),
        (lambda g: g["params"].update(max_hidden=-2), "growth.params: max_hidden must be an integer >= 0"),
        (lambda g: g["state"].update(steps="3"), "steps must be an integer >= 0"),
    ],
)
def test_edited_growth_gives_clear_errors(tmp_path, edit, fragment):
    agent, _ = grown([(0, 0), (0, 1), (1, 1)])
    path = save(agent, tmp_path / "agent.json")
    doc = json.loads(path.read_text())
    edit(doc["growth"])
    path.write_text(json.dumps(doc))
    with pytest.raises(PSGraphError) as err:
        load(path)
    assert fragment in str(err.value)


def test_a_version_2_file_must_say_whether_it_grows(tmp_path):
    path = save(PSAgent(2, seed=0), tmp_path / "agent.json")
    doc = json.loads(path.read_text())
    del doc["growth"]
    path.write_text(json.dumps(doc))
    with pytest.raises(PSGraphError, match="lacks the field.*'growth'"):
        load(path)


# ---------------------------------------------------------------------- the never-ending colour game
def colour_game(agent, trials, seed):
    """Percept (direction, fresh colour): the colour never repeats. Reward 1 iff action == direction."""
    rng = np.random.default_rng(seed)
    success = np.zeros(trials)
    for t in range(trials):
        direction = int(rng.integers(2))
        action = agent.act((direction, t))
        success[t] = action == direction
        agent.observe(float(success[t]), None, True, False)
    return success


def test_never_ending_colour_game_reaches_two_thirds():
    """Asymptotic success under this wiring (gamma_damping = 0, eta_glow_damping = 1).

    Every percept is new, so its clip has h0 = 1 edges to the 2 actions and to the one wildcard
    clip that matches it, (direction, #) (it agrees with the stored percepts of its direction on
    component 0 only, and with the others nowhere; the all-wildcard clip is off). The walk hops to
    each of the three with probability 1/3. The wildcard clip is reused by every later percept of
    its direction: its edge to the correct action gains 1 per success through it and never loses
    (gamma = 0), its edge to the wrong action stays at 1, so P(correct | wildcard) -> 1. Hopping
    straight to an action is right half the time. Hence
        P(success) -> 1/3 * 1 + 2/3 * 1/2 = 2/3,
    and 2-layer PS stays at exactly 1/2 (no percept is ever seen twice). By trial 3000 the correct
    edge holds h ~ 1 + 3000/2 * 1/3 * 1 = 500 or so, so the limit is within 0.001.

    Mean over trials 3000-5000 of 4 agents: 8000 Bernoulli(2/3) draws, standard error
    sqrt(2/9 / 8000) = 0.0053; the tolerance 0.02 is nearly 4 standard errors.
    """
    grown_success = np.mean(
        [
            colour_game(
                PSAgent(2, growth=Generalization(), gamma_damping=0.0, eta_glow_damping=1.0, seed=s), 5000, 100 + s
            )[3000:]
            for s in range(4)
        ]
    )
    plain_success = np.mean(
        [
            colour_game(TwoLayerPS(2, gamma_damping=0.0, eta_glow_damping=1.0, seed=s), 5000, 100 + s)[3000:]
            for s in range(4)
        ]
    )
    assert abs(grown_success - 2 / 3) < 0.02
    assert abs(plain_success - 1 / 2) < 0.02
    assert grown_success > plain_success + 0.1


# ---------------------------------------------------------------------- unseen percepts: preview and greedy
def unchanged(agent):
    """Everything an evaluation must leave alone."""
    rule = agent.growth
    return (
        agent.ecm.snapshot(),
        None if rule is None else json.dumps(rule.to_json()),
        agent.rng.bit_generator.state,
        agent.emotions,
        agent._pending,
    )


def created(agent, key):
    """What the agent holds right after creating ``key``'s clip (on a copy): the action
    probabilities, the edges the creation added and the out-edges by source, in hopping order."""
    twin = copy.deepcopy(agent)
    before = edge_set(twin.ecm)
    clip = twin.percept(key)
    return twin.ecm.action_probabilities(clip), edge_set(twin.ecm) - before, twin.ecm


def test_unseen_percept_acts_through_the_wildcard_it_would_join():
    """(0,0), (0,1) give (0,#). Trained so that (0,#) prefers action 1: the unseen (0,5) would hop to
    A0, A1 or (0,#) with 1/3 each (all at h0), so P(A1) = 1/3 + 1/3 * h(#->A1) / (h(#->A0) + h(#->A1)).
    The unseen (7,7) agrees with no stored percept: only the actions, uniform, so the first action."""
    rule = Generalization()
    agent = PSAgent(2, growth=rule, gamma_damping=0.0, eta_glow_damping=1.0, seed=0)
    for t in range(300):  # reward action 1 on (0,0) and (0,1)
        action = agent.act((0, t % 2))
        agent.observe(float(action == 1), None, True, False)
    h0, h1 = agent.ecm.h(W(0, None), A0), agent.ecm.h(W(0, None), A1)
    assert h0 == 1.0 and h1 > 20  # (0,#) strongly prefers action 1: only rewards, no damping
    before = unchanged(agent)
    assert rule.preview(agent, P(0, 5)) == {P(0, 5): [W(0, None)]}
    probs = agent.action_probabilities((0, 5))
    assert probs[1] == pytest.approx(1 / 3 + 1 / 3 * h1 / (h0 + h1)) and probs[0] == pytest.approx(1 - probs[1])
    assert probs[1] > 0.6
    assert agent.greedy_action((0, 5)) == agent.act((0, 5), explore=False) == 1
    assert rule.preview(agent, P(7, 7)) == {}
    assert agent.action_probabilities((7, 7)) == {0: 0.5, 1: 0.5}
    assert agent.act((7, 7), explore=False) == 0
    assert unchanged(agent) == before  # evaluation created no clip and changed nothing
    exact = created(agent, (0, 5))[0]
    assert probs == {0: exact[A0], 1: exact[A1]}  # what the agent holds once (0,5) is created


def test_unseen_percept_exact_values_under_both_policies():
    """(0,#) -> A0 1, A1 3. Standard: P(A1) = 1/3 + 1/3 * 3/4 = 7/12. Softmax (beta 2): the percept's
    edges are all h0, so 1/3 each again; P(A1 | (0,#)) = e^6 / (e^2 + e^6) = 1 / (1 + e^-4)."""
    for policy, beta, wild in [("standard", 1.0, 3 / 4), ("softmax", 2.0, 1 / (1 + np.exp(-4.0)))]:
        agent = PSAgent(2, growth=Generalization(), policy=policy, beta_softmax=beta, seed=0)
        for key in [(0, 0), (0, 1)]:
            agent.percept(key)
        agent.ecm.add_edge(W(0, None), A1, h=3.0)
        probs = agent.action_probabilities((0, 5))
        assert probs == pytest.approx({0: 1 / 3 + 1 / 3 * (1 - wild), 1: 1 / 3 + 1 / 3 * wild}, abs=1e-12)
        assert agent.greedy_action((0, 5)) == 1


def test_would_be_wildcard_clips_count_too():
    """Stored (0,0), (1,1) with the all-wildcard clip (#,#) -> A0 1, A1 3. The unseen (0,1) would create
    (0,#) and (#,1), each -> A0, A1, (#,#) at h0: P(A1 | new) = 1/3 + 1/3 * 3/4 = 7/12. The percept would
    hop to A0, A1, (0,#), (#,1), (#,#) with 1/5 each:
    P(A1) = 1/5 + 2/5 * 7/12 + 1/5 * 3/4 = (12 + 14 + 9) / 60 = 7/12."""
    agent, rule = grown([(0, 0), (1, 1)], all_wildcard=True)
    assert rule.wildcards == [W(None, None)]
    agent.ecm.add_edge(W(None, None), A1, h=3.0)
    before = unchanged(agent)
    preview = rule.preview(agent, P(0, 1))
    assert preview == {
        W(0, None): [A0, A1, W(None, None)],
        W(None, 1): [A0, A1, W(None, None)],
        P(0, 0): [W(0, None)],
        P(1, 1): [W(None, 1)],
        P(0, 1): [W(0, None), W(None, 1), W(None, None)],
    }
    probs = agent.action_probabilities((0, 1))
    assert probs == pytest.approx({0: 5 / 12, 1: 7 / 12}, abs=1e-12)
    assert agent.act((0, 1), explore=False) == 1
    assert unchanged(agent) == before and W(0, None) not in agent.ecm
    exact, added, _ = created(agent, (0, 1))
    assert probs == {0: exact[A0], 1: exact[A1]}  # the very same numbers
    assert added == {(s, t) for s, targets in preview.items() for t in targets} | {(P(0, 1), A0), (P(0, 1), A1)}


def test_an_existing_clip_that_would_gain_an_edge_is_read_as_it_would_be():
    """Stored (0,0,1,2), (0,0,2,1) agree exactly on {0,1}: (0,0,#,#); (0,1,1,1) adds (0,#,1,#) and
    (0,#,#,1) but not (0,#,#,#). The unseen (0,0,0,0) agrees with (0,1,1,1) exactly on {0}, so it would
    create (0,#,#,#) and wire (0,0,#,#) to it. With (0,0,#,#) -> A0 1, A1 3 (+ (0,#,#,#) at 1), and
    (0,#,#,#) -> A0, A1 uniform: P(A1 | (0,0,#,#)) = 3/5 + 1/5 * 1/2 = 7/10 (it was 3/4). The percept
    -> A0, A1, (0,0,#,#), (0,#,#,#): P(A1) = 1/4 + 1/4 * 7/10 + 1/4 * 1/2 = 11/20 (not 9/16)."""
    agent, rule = grown([(0, 0, 1, 2), (0, 0, 2, 1), (0, 1, 1, 1)])
    S, G = W(0, 0, None, None), W(0, None, None, None)
    assert S in rule.wildcards and G not in rule.wildcards
    agent.ecm.add_edge(S, A1, h=3.0)
    preview = rule.preview(agent, P(0, 0, 0, 0))
    assert preview[S] == [G] and preview[P(0, 0, 0, 0)] == [S, G] and preview[G] == [A0, A1]
    probs = agent.action_probabilities((0, 0, 0, 0))
    assert probs == pytest.approx({0: 9 / 20, 1: 11 / 20}, abs=1e-12)
    assert agent.ecm.action_probabilities(S)[A1] == pytest.approx(3 / 4)  # unchanged meanwhile
    exact, added, twin = created(agent, (0, 0, 0, 0))
    assert probs == {0: exact[A0], 1: exact[A1]}
    assert added == {(s, t) for s, targets in preview.items() for t in targets} | to_actions(P(0, 0, 0, 0))


@pytest.mark.parametrize(
    "rule_kw, agent_kw",
    [
        ({}, {}),
        ({"all_wildcard": True}, {"gamma_damping": 0.05, "eta_glow_damping": 0.5}),
        ({"max_hidden": 100}, {"policy": "softmax", "beta_softmax": 0.7}),
        ({"prune_below": 1.3, "prune_after": 5, "prune_every": 10}, {"gamma_damping": 0.1}),
    ],
)
def test_preview_is_exactly_what_creation_would_do(rule_kw, agent_kw, caplog):
    """After random learning, for many unseen percepts: the previewed edges are the edges creating the
    percept adds, in the same hopping order, and the previewed probabilities are the ones it then has.
    The cases include would-be wildcard clips, a reached cap (d = 5) and, after pruning, existing
    wildcard clips on the walk that would gain an edge to a re-created, more general one."""
    rng = np.random.default_rng(3)
    would_be = gaining = 0
    for d, sizes in [(2, 4), (3, 3), (5, 3)]:
        rule = Generalization(**rule_kw)
        agent = PSAgent(3, growth=rule, seed=1, **agent_kw)
        for t in range(30):
            key = tuple(int(v) for v in rng.integers(sizes, size=d))
            action = agent.act(key)
            agent.observe(float(rng.normal() + (action == key[0] % 3)), None, t % 3 == 2, False)
        before = unchanged(agent)
        caplog.clear()
        for _ in range(16):
            key = tuple(int(v) for v in rng.integers(sizes + 1, size=d))
            if P(*key) in agent.ecm:
                continue
            preview = rule.preview(agent, P(*key))
            would_be += any(s not in agent.ecm for s in preview if s != P(*key))
            gaining += any(s in agent.ecm for s in preview.get(P(*key), ()) if s in preview)  # on the walk
            probs = agent.action_probabilities(key)
            exact, added, twin = created(agent, key)
            assert added == {(s, t) for s, ts in preview.items() for t in ts} | {(P(*key), a) for a in exact}
            for source, targets in preview.items():  # new edges come last in each row, in this order
                assert list(twin.out_h(source))[-len(targets) :] == targets
            assert list(probs.values()) == pytest.approx([exact[("action", a)] for a in agent.actions], abs=1e-12)
            assert agent.greedy_action(key) == max(agent.actions, key=lambda a: exact[("action", a)])
        assert unchanged(agent) == before
        assert not [r for r in caplog.records if r.name == "ps_graph.growth"]  # previews never warn
    assert would_be >= 1 and (gaining >= 3 or "prune_below" not in rule_kw)


def test_seen_percepts_and_plain_agents_keep_their_greedy_action():
    agent, _ = grown([(0, 0), (0, 1), (1, 1)])
    agent.ecm.add_edge(W(0, None), A1, h=5.0)
    probs = agent.ecm.action_probabilities(P(0, 1))
    assert agent.action_probabilities((0, 1)) == {0: probs[A0], 1: probs[A1]}
    assert agent.greedy_action((0, 1)) == 1
    plain = PSAgent(3, seed=0)
    assert plain.action_probabilities((4, 2)) == pytest.approx({0: 1 / 3, 1: 1 / 3, 2: 1 / 3})
    assert plain.act((4, 2), explore=False) == 0 and len(plain.ecm) == 3
    plain.ecm.add_percept(P(4, 2))
    plain.ecm.connect(P(4, 2), [("action", a) for a in range(3)])
    plain.ecm.add_edge(P(4, 2), ("action", 2), h=2.0)
    assert plain.action_probabilities((4, 2)) == pytest.approx({0: 1 / 4, 1: 1 / 4, 2: 1 / 2})
    assert plain.greedy_action((4, 2)) == 2


def test_rules_without_preview_and_bad_previews():
    agent = PSAgent(2, growth=Recorder(), seed=0)
    agent.percept((1, 2))
    before = agent.ecm.snapshot()
    assert agent.act((3, 3), explore=False) == 0  # no preview: the first action, as before
    with pytest.raises(PSGraphError, match=r"Recorder has no preview\(agent, clip\) method.*agent.percept"):
        agent.action_probabilities((3, 3))
    assert agent.ecm.snapshot() == before and agent.growth.calls == [("percept", P(1, 2), True)]

    class ListPreview(Recorder):
        def preview(self, agent, clip):
            return [("hidden", ("first", clip[1][0]))]

    agent = PSAgent(2, growth=ListPreview(), seed=0)
    with pytest.raises(PSGraphError, match=r"ListPreview.preview must return a dict \{source: \[target, ...\]\}"):
        agent.greedy_action((1, 2))

    agent, rule = grown([(0, 0), (0, 1)])
    with pytest.raises(ConfigError, match=r"preview\(\) is for percepts the agent has not seen"):
        rule.preview(agent, P(0, 1))
    with pytest.raises(ConfigError, match=re.escape("got (0, 1, 2) with 3 features, but earlier percepts have 2")):
        agent.act((0, 1, 2), explore=False)  # refused as creating it would be
    with pytest.raises(ConfigError, match="already grows another agent's ECM"):
        rule.preview(PSAgent(2, seed=0), P(0, 5))
    fresh = Generalization()
    assert fresh.preview(PSAgent(2, growth=fresh, seed=0), P(0, 5)) == {}  # nothing stored yet
    assert fresh.features is None and fresh.steps == 0


def test_never_ending_colour_game_greedy_evaluation_through_the_wildcard():
    """After 2000 training trials every greedy trial shows a fresh colour (the env's trial counter runs
    on: no seeded reset). The unseen (direction, colour) would hop to A0, A1 or (direction,#) with 1/3
    each, so P(correct) = 1/3 + 1/3 * P_wild(correct) > P(wrong) = 1/3 + 1/3 * (1 - P_wild(correct))
    whenever P_wild(correct) > 1/2, which training brings to ~1 (gamma = 0, only the correct edge
    gains): every greedy trial succeeds. Without growth an unseen percept gets action 0, right when the
    direction is 0: a mean of 1/2, standard error sqrt(1/4 / 200) = 0.035; the tolerance 0.15 is over
    4 of them."""
    import gymnasium as gym

    import ps_graph
    import ps_graph.envs

    results = {}
    for name, growth in [("grown", Generalization()), ("plain", None)]:
        env = gym.make("ps_graph/NeverEndingColourGame-v0")
        agent = PSAgent.for_env(env, growth=growth, gamma_damping=0.0, eta_glow_damping=1.0, seed=0)
        ps_graph.train(agent, env, episodes=2000, seed=0)
        before = unchanged(agent)
        results[name] = ps_graph.evaluate(agent, env, episodes=200).returns.mean()
        assert unchanged(agent) == before
        assert env.unwrapped.trial > 2000  # the evaluated colours were never seen
    assert results["grown"] >= 0.99
    assert abs(results["plain"] - 0.5) < 0.15


def test_preview_respects_the_cap_and_never_warns(caplog):
    """(0,0,0), (0,0,1) give (0,0,#); (0,1,1) would create (0,#,1) and (0,#,#) (see the 3-feature
    example), but max_hidden=2 leaves room for the more specific one only."""
    agent, rule = grown([(0, 0, 0), (0, 0, 1)], max_hidden=2)
    with caplog.at_level(logging.WARNING, logger="ps_graph.growth"):
        preview = rule.preview(agent, P(0, 1, 1))
        agent.act((0, 1, 1), explore=False)
    assert not caplog.records and not rule.to_json()["state"]["warned"]
    assert preview == {W(0, None, 1): [A0, A1], P(0, 0, 1): [W(0, None, 1)], P(0, 1, 1): [W(0, None, 1)]}
    _, added, _ = created(agent, (0, 1, 1))
    assert added == {(s, t) for s, ts in preview.items() for t in ts} | to_actions(P(0, 1, 1))
