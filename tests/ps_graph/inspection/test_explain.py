"""explain / policy_summary: exact action distributions, the most probable walks, errors."""

import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from ps_graph import ConfigError, PSAgent, TwoLayerPS, WalkError, train
from ps_graph.errors import UnsupportedSourceError
from ps_graph.inspection.explain import Explanation, PerceptPolicy, explain, policy_records, policy_summary
from tests.factories import make_ecm


def two_layer():
    """s -> a0 (h=1), s -> a1 (h=3): P = 1/4, 3/4."""
    return make_ecm(
        ["s"], ["a0", "a1"], {"s": {"a0": 1.0, "a1": 3.0}}, labels={"s": "start", "a0": "left", "a1": "right"}
    )


def one_hidden():
    """s -> h1 (1/4), h2 (3/4); h1 -> a0, a1 (1/2 each); h2 -> a0 (1/4), a1 (3/4)."""
    edges = {"s": {"h1": 1.0, "h2": 3.0}, "h1": {"a0": 2.0, "a1": 2.0}, "h2": {"a0": 1.0, "a1": 3.0}}
    return make_ecm(["s"], ["a0", "a1"], edges, hidden=["h1", "h2"])


def cycle():
    """s -> x; x -> y (3/4), x -> a0 (1/4); y -> x (1/2), y -> a1 (1/2).

    One trip round the cycle x -> y -> x has probability 3/4 * 1/2 = 3/8, so (geometric
    series over the number n of trips):
      P(a0) = sum_n (3/8)^n * 1/4       = (1/4) / (1 - 3/8) = 2/5
      P(a1) = sum_n (3/8)^n * 3/4 * 1/2 = (3/8) / (5/8)     = 3/5
    """
    # x's row: y at position 0, a0 at 1; y's row: x at 0, a1 at 1
    edges = {"s": {"x": None}, "x": {"y": 3.0, "a0": 1.0}, "y": {"x": 1.0, "a1": 1.0}}
    return make_ecm(["s"], ["a0", "a1"], edges, hidden={"x": 1, "y": 2})


# ---------------------------------------------------------------------- exact distributions
def test_two_layer_by_hand():
    e = explain(two_layer(), "s")
    assert isinstance(e, Explanation)
    assert e.percept == "s"
    assert e.probabilities == pytest.approx({"a0": 0.25, "a1": 0.75})
    assert list(e.probabilities) == ["a0", "a1"]  # ECM action order
    assert e.most_likely == "a1"
    # -(1/4 ln 1/4 + 3/4 ln 3/4)
    assert e.entropy == pytest.approx(-(0.25 * math.log(0.25) + 0.75 * math.log(0.75)))
    assert e.paths == ((("s", "a1"), pytest.approx(0.75)), (("s", "a0"), pytest.approx(0.25)))
    assert e.covered == pytest.approx(1.0)
    assert not e.truncated


def test_one_hidden_layer_by_hand():
    e = explain(one_hidden(), "s")
    # P(a0) = 1/4 * 1/2 + 3/4 * 1/4 = 5/16; P(a1) = 1/4 * 1/2 + 3/4 * 3/4 = 11/16
    assert e.probabilities == pytest.approx({"a0": 5 / 16, "a1": 11 / 16})
    assert e.most_likely == "a1"
    # walks: 3/4*3/4, 3/4*1/4, then the tie 1/4*1/2 twice in edge order (a0 before a1)
    assert [p for p, _ in e.paths] == [("s", "h2", "a1"), ("s", "h2", "a0"), ("s", "h1", "a0"), ("s", "h1", "a1")]
    assert [q for _, q in e.paths] == pytest.approx([9 / 16, 3 / 16, 1 / 8, 1 / 8])


def test_cycle_by_hand_geometric_series():
    e = explain(cycle(), "s", k=6)
    assert e.probabilities == pytest.approx({"a0": 2 / 5, "a1": 3 / 5})
    # walk probabilities: sxya1 = 3/8, sxa0 = 1/4, sxyxya1 = (3/8)^2, sxyxa0 = 3/8 * 1/4,
    # sxyxyxya1 = (3/8)^3, sxyxyxa0 = (3/8)^2 * 1/4
    expected = [
        (("s", "x", "y", "a1"), 3 / 8),
        (("s", "x", "a0"), 1 / 4),
        (("s", "x", "y", "x", "y", "a1"), (3 / 8) ** 2),
        (("s", "x", "y", "x", "a0"), 3 / 8 * 1 / 4),
        (("s", "x", "y", "x", "y", "x", "y", "a1"), (3 / 8) ** 3),
        (("s", "x", "y", "x", "y", "x", "a0"), (3 / 8) ** 2 / 4),
    ]
    assert [p for p, _ in e.paths] == [p for p, _ in expected]
    assert [q for _, q in e.paths] == pytest.approx([q for _, q in expected])
    assert e.covered == pytest.approx(sum(q for _, q in expected))
    assert e.covered < 1.0 and not e.truncated
    # walks that go round the cycle revisit a clip
    assert any(len(set(path)) < len(path) for path, _ in e.paths)


def test_paths_are_sorted_and_within_the_exact_mass():
    e = explain(cycle(), "s", k=40)
    probs = [q for _, q in e.paths]
    assert len(probs) == 40
    assert probs == sorted(probs, reverse=True)
    per_action = {"a0": 0.0, "a1": 0.0}
    for path, q in e.paths:
        per_action[path[-1]] += q
        # each walk's probability is the product of its hops
        assert q == pytest.approx(math.prod(cycle().probabilities(u)[v] for u, v in zip(path, path[1:])))
    for a, mass in per_action.items():
        assert mass <= e.probabilities[a] + 1e-12


def test_acyclic_more_paths_than_exist_returns_all():
    e = explain(one_hidden(), "s", k=100)
    assert len(e.paths) == 4
    assert e.covered == pytest.approx(1.0)
    assert not e.truncated
    assert "all there are" in e.to_text()


def test_max_expansions_cuts_the_search_and_says_so():
    # Traced by hand: expansions s, sx, sxy, sxyx (the tie 3/8 pops sxyx (order 0,0,0)
    # before sxya1 (0,0,1)); then sxya1 is complete; the next pop, sxyxy (9/32), needs a 5th.
    e = explain(cycle(), "s", k=10, max_expansions=4)
    assert e.truncated
    assert e.paths == ((("s", "x", "y", "a1"), pytest.approx(3 / 8)),)
    assert e.covered == pytest.approx(3 / 8)
    assert "max_expansions" in e.to_text()
    full = explain(cycle(), "s", k=10)
    assert e.paths == full.paths[: len(e.paths)]


def test_ties_follow_edge_order_and_most_likely_is_the_first():
    # edge order c, a, b; action order b, a, c
    ecm = make_ecm(["s"], ["b", "a", "c"], {"s": dict.fromkeys(["c", "a", "b"])})
    e = explain(ecm, "s", k=3)
    assert [p[-1] for p, _ in e.paths] == ["c", "a", "b"]
    assert list(e.probabilities) == ["b", "a", "c"]
    assert e.most_likely == "b"
    assert e.entropy == pytest.approx(math.log(3))


def test_monte_carlo_agrees_with_exact_probabilities():
    ecm = cycle()
    ecm.add_hidden("z")
    ecm.add_edge("s", "z", h=2.0)
    ecm.add_edge("z", "a0", h=1.0)
    ecm.add_edge("z", "y", h=4.0)
    exact = explain(ecm, "s").probabilities
    rng = np.random.default_rng(12345)
    n = 20_000
    ends = [ecm.walk("s", rng)[-1] for _ in range(n)]
    for a, p in exact.items():
        freq = ends.count(a) / n
        assert abs(freq - p) < 4 * math.sqrt(p * (1 - p) / n), (a, freq, p)


def test_hidden_clip_as_start():
    e = explain(one_hidden(), "h2")
    assert e.probabilities == pytest.approx({"a0": 0.25, "a1": 0.75})


def test_explain_does_not_change_the_ecm():
    ecm = cycle()
    before = {(u, v): d["h"] for u, v, d in ecm.graph.edges(data=True)}
    explain(ecm, "s", k=20)
    after = {(u, v): d["h"] for u, v, d in ecm.graph.edges(data=True)}
    assert before == after


# ---------------------------------------------------------------------- agents
def trained(cls):
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = cls.for_env(env, eta_glow_damping=0.1, seed=3)
    train(agent, env, episodes=40, seed=3)
    return agent


def test_two_layer_ps_and_ps_agent_give_the_same_explanation():
    fast, graph = trained(TwoLayerPS), trained(PSAgent)
    assert set(fast.to_ecm().clips("percept")) == set(graph.ecm.clips("percept"))
    for clip in graph.ecm.clips("percept"):
        a, b = explain(fast, clip[1], k=4), explain(graph, clip[1], k=4)
        assert a.percept == b.percept == clip
        assert a.probabilities == pytest.approx(b.probabilities, abs=1e-9)
        assert a.most_likely == b.most_likely
        assert [p for p, _ in a.paths] == [p for p, _ in b.paths]
        assert a.entropy == pytest.approx(b.entropy, abs=1e-9)
    rows_fast, rows_graph = policy_summary(fast), policy_summary(graph)
    assert [r.percept for r in rows_fast] == [r.percept for r in rows_graph]
    assert [r.visits for r in rows_fast] == [r.visits for r in rows_graph]


def test_agent_percept_as_clip_key_percept_key_or_observation():
    agent = PSAgent(3, spaces.MultiDiscrete([2, 2]))
    agent.percept(np.array([1, 0]))
    by_obs = explain(agent, np.array([1, 0]))
    by_key = explain(agent, (1, 0))
    by_clip = explain(agent, ("percept", (1, 0)))
    assert by_obs == by_key == by_clip
    assert by_obs.percept == ("percept", (1, 0))
    assert by_obs.probabilities == pytest.approx({("action", a): 1 / 3 for a in range(3)})


def test_text_uses_labels():
    agent = trained(PSAgent)
    text = explain(agent, 0).to_text()
    assert text == str(explain(agent, 0))
    assert text.startswith("percept row 0, col 0\n")  # FrozenLake's labels, set by for_env
    assert "row 0, col 0 -> DOWN" in text
    row = policy_summary(agent)[0]
    assert row.label == "row 0, col 0" and row.most_likely_label in {"LEFT", "DOWN", "RIGHT", "UP"}
    assert "('percept'" not in text and "('action'" not in text
    assert "nats" in text and "<- most likely" in text
    assert "start -> right" in str(explain(two_layer(), "s"))


# ---------------------------------------------------------------------- policy summary
def test_policy_summary_rows_and_records():
    ecm = two_layer()
    ecm.add_percept("t", label="other")
    ecm.connect("t", ["a0", "a1"])
    ecm.set_visits("t", 7)
    rows = policy_summary(ecm)
    assert [r.percept for r in rows] == ["s", "t"]
    assert all(isinstance(r, PerceptPolicy) for r in rows)
    assert rows[0].probabilities == pytest.approx({"a0": 0.25, "a1": 0.75})
    assert rows[0].most_likely == "a1" and rows[1].most_likely == "a0"  # t: a tie, first action
    assert rows[1].visits == 7 and rows[1].label == "other"
    assert rows[0].most_likely_label == "right" and rows[1].most_likely_label == "left"
    assert rows[1].entropy == pytest.approx(math.log(2))
    records = policy_records(rows)
    assert records[0] == {
        "percept": '"s"',
        "label": "start",
        "visits": 0,
        "entropy": pytest.approx(rows[0].entropy),
        "most_likely": "right",
        "p[left]": 0.25,
        "p[right]": 0.75,
    }
    assert records[1]["most_likely"] == "left"
    assert rows[1].to_dict() == records[1]


def test_policy_records_fill_unreachable_actions_and_disambiguate_labels():
    ecm = make_ecm(["s", "t"], ["a0", "a1"], {"s": {"a0": None}, "t": {"a1": None}}, labels={"a0": "go", "a1": "go"})
    records = policy_records(policy_summary(ecm))
    assert records[0]['p["a0"]'] == 1.0 and records[0]['p["a1"]'] == 0.0
    assert records[1]['p["a0"]'] == 0.0 and records[1]['p["a1"]'] == 1.0
    assert list(records[0]) == list(records[1])


# ---------------------------------------------------------------------- errors
def test_unknown_percept_says_how_to_list_the_known_ones():
    with pytest.raises(KeyError, match=r"'nope'.*clips\('percept'\)"):
        explain(two_layer(), "nope")
    agent = trained(PSAgent)
    with pytest.raises(KeyError, match="99"):
        explain(agent, 99)
    with pytest.raises(KeyError, match="policy_summary"):
        explain(agent, [1, 2])  # not hashable, not an observation of Discrete(16)


def test_bad_arguments():
    with pytest.raises(ConfigError, match="k must be an integer >= 1"):
        explain(two_layer(), "s", k=0)
    with pytest.raises(ConfigError, match="max_expansions"):
        explain(two_layer(), "s", max_expansions=0)
    with pytest.raises(ConfigError, match="action clip"):
        explain(two_layer(), "a0")
    with pytest.raises(UnsupportedSourceError, match="ECM, a PSAgent or a TwoLayerPS.*dict"):
        explain({"s": 1}, "s")
    with pytest.raises(UnsupportedSourceError, match="ECM, a PSAgent or a TwoLayerPS"):
        policy_summary("agent.json")


def test_dead_end_hidden_clip_is_a_walk_error():
    ecm = one_hidden()
    ecm.add_hidden("dead")
    ecm.add_edge("s", "dead")
    with pytest.raises(WalkError, match="no out-edges"):
        explain(ecm, "s")
