"""explain, policy_summary and decider_shares under multi-excitation, priming and majority votes,
on small ECMs whose numbers are worked out by hand."""

from __future__ import annotations

import json
import math

import pytest
from gymnasium import spaces

from ps_graph import PSAgent
from ps_graph.growth import Conjunctions
from ps_graph.inspection.decision import decider_shares, excited_clips, label_of
from ps_graph.inspection.explain import explain, policy_records, policy_summary

A0, A1 = ("action", 0), ("action", 1)
X0_1, X1_0, X1_1, X2_1 = ("percept", (0, 1)), ("percept", (1, 0)), ("percept", (1, 1)), ("percept", (2, 1))
C01 = ("hidden", ("conjunction", ((0, 1), (1, 0))))  # x0=1 & x1=0
C02 = ("hidden", ("conjunction", ((0, 1), (2, 1))))  # x0=1 & x2=1
C12 = ("hidden", ("conjunction", ((1, 0), (2, 1))))  # x1=0 & x2=1
LN2, LN3 = math.log(2.0), math.log(3.0)


def one_body(**options) -> PSAgent:
    """k = 1 without growth: the feature clips decide. Standard policy, h set by hand:

    x0=1 -> a0 (h 2), a1 (h 1);  x1=0 -> a0 (h 1), a1 (h 4)     sum of h: 8
    P(edge) = 2/8, 1/8, 1/8, 4/8; shares x1=0: 5/8, x0=1: 3/8; P(a0) = 3/8, P(a1) = 5/8.
    """
    agent = PSAgent(2, spaces.MultiDiscrete([2, 2]), percepts="factorized", seed=0, **options)
    x0, x1 = agent.percepts([1, 0])
    for source, target, h in ((x0, A0, 2.0), (x0, A1, 1.0), (x1, A0, 1.0), (x1, A1, 4.0)):
        agent.ecm.add_edge(source, target, h)
    return agent


def two_body(**options) -> PSAgent:
    """Conjunctions(k=2), softmax with beta 1, h set so that the weights exp(h) are e * (1, 3, 1, 1, 2, 1):

    x0=1 & x1=0 -> a0 (h 1), a1 (h 1 + ln 3)     weights 1, 3   share 4/9
    x0=1 & x2=1 -> a0 (h 1), a1 (h 1)            weights 1, 1   share 2/9
    x1=0 & x2=1 -> a0 (h 1 + ln 2), a1 (h 1)     weights 2, 1   share 3/9
    P(a0) = (1 + 1 + 2) / 9 = 4/9, P(a1) = 5/9.
    """
    agent = PSAgent(
        2, spaces.MultiDiscrete([2, 2, 2]), percepts="factorized", growth=Conjunctions(k=2), policy="softmax", **options
    )
    agent.growth.on_excitation(agent, agent.percepts([1, 0, 1]))
    h = {(C01, A1): 1.0 + LN3, (C12, A0): 1.0 + LN2}
    for clip in (C01, C02, C12):
        for action in (A0, A1):
            agent.ecm.add_edge(clip, action, h.get((clip, action), 1.0))
    return agent


def ints(probabilities):
    return {clip[1]: p for clip, p in probabilities.items()}


# ---------------------------------------------------------------------- k = 1, no growth
def test_one_body_deciders_by_hand():
    agent = one_body()
    e = explain(agent, [1, 0])
    assert e.excited == (X0_1, X1_0) and e.percept == (X0_1, X1_0)
    assert e.probabilities == pytest.approx({A0: 3 / 8, A1: 5 / 8})
    assert ints(e.probabilities) == agent.action_probabilities([1, 0])  # exactly
    assert e.most_likely == A1
    assert [(d.clip, d.created) for d in e.deciders] == [(X1_0, True), (X0_1, True)]  # by share
    assert [d.share for d in e.deciders] == pytest.approx([5 / 8, 3 / 8])
    assert e.deciders[0].edges == ((A0, 1.0, pytest.approx(1 / 8)), (A1, 4.0, pytest.approx(4 / 8)))
    assert e.deciders[1].edges == ((A0, 2.0, pytest.approx(2 / 8)), (A1, 1.0, pytest.approx(1 / 8)))
    # the walks are (decider, action) edges, most probable first; the tie at 1/8 keeps the deciders' order
    assert [p for p, _ in e.paths] == [(X1_0, A1), (X0_1, A0), (X1_0, A0), (X0_1, A1)]
    assert [q for _, q in e.paths] == pytest.approx([1 / 2, 1 / 4, 1 / 8, 1 / 8])
    assert e.covered == pytest.approx(1.0) and not e.truncated
    assert e.priming == {} and e.votes == 1 and e.decision_probabilities is None


def test_one_body_unseen_feature_counts_with_h0_and_nothing_is_created():
    agent = one_body()
    clips_before = agent.ecm.clips()
    e = explain(agent, [1, 1], k=2)  # x1=1 never seen: h0 = 1 to both actions; h sum 2 + 1 + 1 + 1 = 5
    assert agent.ecm.clips() == clips_before
    assert e.probabilities == pytest.approx({A0: 3 / 5, A1: 2 / 5})
    assert ints(e.probabilities) == agent.action_probabilities([1, 1])
    assert [(d.clip, d.created) for d in e.deciders] == [(X0_1, True), (X1_1, False)]
    assert [d.share for d in e.deciders] == pytest.approx([3 / 5, 2 / 5])
    assert e.paths == (((X0_1, A0), pytest.approx(2 / 5)), ((X0_1, A1), pytest.approx(1 / 5)))
    assert e.labels[X1_1] == "x1=1"
    assert "x1=1  (not created yet: h0 on every edge)" in e.to_text()


def test_one_body_text():
    text = str(explain(one_body(), [1, 0], k=2))
    assert text == explain(one_body(), [1, 0], k=2).to_text()
    assert text.splitlines() == [
        "2 excited percept clips: x0=1, x1=0",
        "action probabilities (exact; one decision among 4 edges of 2 deciders):",
        "  1  0.6250  <- most likely",
        "  0  0.3750",
        f"entropy: {-(3 / 8 * math.log(3 / 8) + 5 / 8 * math.log(5 / 8)):.4f} nats",
        "deciders by share of the decision (P = w / sum of w over every decider -> action edge):",
        "  0.6250  x1=0  <- decides most often",
        "            -> 0  h = 1  P = 0.1250",
        "            -> 1  h = 4  P = 0.5000",
        "  0.3750  x0=1",
        "            -> 0  h = 2  P = 0.2500",
        "            -> 1  h = 1  P = 0.1250",
        "2 most probable decisions (they cover 75.00 % of the probability):",
        "  0.5000  x1=0 -> 1",
        "  0.2500  x0=1 -> 0",
    ]


def test_one_body_policy_summary_has_a_row_per_decider():
    agent = one_body()
    agent.act([1, 0])  # one decision: its decider gains a visit
    rows = policy_summary(agent)
    assert [r.percept for r in rows] == [X0_1, X1_0]
    assert rows[0].probabilities == pytest.approx({A0: 2 / 3, A1: 1 / 3})  # x0=1's own edges: h 2, 1
    assert rows[1].probabilities == pytest.approx({A0: 1 / 5, A1: 4 / 5})  # x1=0's: h 1, 4
    assert sum(r.visits for r in rows) == 1
    assert {r.percept: r.visits for r in rows}[agent.last_path[0]] == 1
    records = policy_records(rows)
    assert [r["label"] for r in records] == ["x0=1", "x1=0"] and records[1]["p[1]"] == pytest.approx(0.8)


# ---------------------------------------------------------------------- k = 2, conjunctions
def test_two_body_conjunction_shares_by_hand():
    agent = two_body()
    e = explain(agent, [1, 0, 1], k=3)
    assert e.probabilities == pytest.approx({A0: 4 / 9, A1: 5 / 9})
    assert ints(e.probabilities) == agent.action_probabilities([1, 0, 1])
    assert [d.clip for d in e.deciders] == [C01, C12, C02]  # which conjunction decides: x0=1 & x1=0
    assert [d.share for d in e.deciders] == pytest.approx([4 / 9, 3 / 9, 2 / 9])
    assert e.deciders[0].edges == ((A0, 1.0, pytest.approx(1 / 9)), (A1, pytest.approx(1 + LN3), pytest.approx(3 / 9)))
    assert e.paths == (
        ((C01, A1), pytest.approx(3 / 9)),
        ((C12, A0), pytest.approx(2 / 9)),
        ((C01, A0), pytest.approx(1 / 9)),
    )
    assert [e.labels[d.clip] for d in e.deciders] == ["x0=1 & x1=0", "x1=0 & x2=1", "x0=1 & x2=1"]
    assert "  0.4444  x0=1 & x1=0  <- decides most often" in e.to_text()
    assert "  0.3333  x0=1 & x1=0 -> 1" in e.to_text()


def test_two_body_feature_clips_do_not_decide_and_unseen_conjunctions_count_with_h0():
    agent = two_body()
    n = len(agent.ecm)
    # [1, 1, 1]: x0=1 & x1=1 and x1=1 & x2=1 are new (h0 = 1: weights e, e), x0=1 & x2=1 has h 1, 1
    e = explain(agent, [1, 1, 1])
    assert len(agent.ecm) == n
    assert e.probabilities == pytest.approx({A0: 0.5, A1: 0.5})
    assert [(label_of(agent.ecm, d.clip), d.created) for d in e.deciders] == [
        ("x0=1 & x1=1", False),
        ("x0=1 & x2=1", True),
        ("x1=1 & x2=1", False),
    ]
    assert ints(e.probabilities) == agent.action_probabilities([1, 1, 1])
    assert "<- decides most often" not in e.to_text()  # a three-way tie names no decider


def test_two_body_policy_summary_lists_the_conjunctions():
    rows = policy_summary(two_body())
    assert [r.percept for r in rows] == [C01, C02, C12]
    assert rows[0].probabilities == pytest.approx({A0: 1 / 4, A1: 3 / 4})  # weights 1, 3
    assert rows[2].probabilities == pytest.approx({A0: 2 / 3, A1: 1 / 3})  # weights 2, 1
    assert [r.label for r in rows] == ["x0=1 & x1=0", "x0=1 & x2=1", "x1=0 & x2=1"]


def test_conjunctions_of_one_feature_decide_as_the_agent_without_growth():
    with_rule = PSAgent(2, spaces.MultiDiscrete([2, 2]), percepts="factorized", growth=Conjunctions(k=1), seed=0)
    plain = one_body()
    with_rule.percepts([1, 0])
    for clip in plain.ecm.clips("percept"):
        for target, h in plain.ecm.out_h(clip).items():
            with_rule.ecm.add_edge(clip, target, h)
    a, b = explain(with_rule, [1, 0]), explain(plain, [1, 0])
    assert (a.probabilities, a.paths, a.deciders) == (b.probabilities, b.paths, b.deciders)


# ---------------------------------------------------------------------- priming and votes
def test_priming_is_shown_and_enters_the_shares():
    # priming a0 by ln 2 doubles the weights into a0: 2, 3 | 2, 1 | 4, 1, sum 13
    agent = two_body(priming={0: LN2})
    e = explain(agent, [1, 0, 1])
    assert e.priming == {A0: LN2, A1: 0.0}
    assert e.probabilities == pytest.approx({A0: 8 / 13, A1: 5 / 13})
    assert ints(e.probabilities) == agent.action_probabilities([1, 0, 1])
    assert [d.clip for d in e.deciders] == [C01, C12, C02]  # 5/13 and 5/13 tie: the deliberation's order
    assert [d.share for d in e.deciders] == pytest.approx([5 / 13, 5 / 13, 3 / 13])
    assert e.paths[0] == ((C12, A0), pytest.approx(4 / 13))
    lines = e.to_text().splitlines()
    start = lines.index("priming (added to h inside the softmax):")
    assert lines[start + 1 : start + 3] == ["  0  +0.6931", "  1  +0.0000"]  # action order
    assert e.to_dict()["priming"] == {"0": LN2, "1": 0.0}


def test_priming_of_a_whole_percept_agent():
    agent = PSAgent(2, policy="softmax", priming={1: LN3}, seed=0)
    agent.percept("s")
    e = explain(agent, "s")
    assert e.priming == {A0: 0.0, A1: LN3}
    assert e.probabilities == pytest.approx({A0: 1 / 4, A1: 3 / 4})
    assert "  1  +1.0986" in e.to_text()
    plain = PSAgent(2, policy="softmax", seed=0)
    plain.percept("s")
    assert explain(plain, "s").priming == {} and "priming" not in str(explain(plain, "s"))


def test_votes_show_the_decision_probabilities():
    # three votes over p = (4/9, 5/9): a0 wins with p0^3 + 3 p0^2 p1 = (64 + 240) / 729
    agent = two_body(votes=3)
    e = explain(agent, [1, 0, 1])
    assert e.votes == 3
    assert e.decision_probabilities == pytest.approx({A0: 304 / 729, A1: 425 / 729})
    assert ints(e.decision_probabilities) == agent.decision_probabilities([1, 0, 1])  # exactly
    assert ints(e.probabilities) == agent.action_probabilities([1, 0, 1])  # one decision, beside them
    assert "decision probabilities (majority vote of 3 decisions, exact):" in e.to_text()
    assert e.to_dict()["decision_probabilities"] == pytest.approx({"0": 304 / 729, "1": 425 / 729})


def test_votes_of_a_whole_percept_agent():
    agent = PSAgent(2, initial_h={("s", 1): 3.0}, votes=3, seed=0)
    agent.percept("s")
    e = explain(agent, "s")
    assert e.decision_probabilities == pytest.approx({A0: 0.15625, A1: 0.84375})  # 0.75**3 + 3 * 0.75**2 / 4
    assert ints(e.decision_probabilities) == agent.decision_probabilities("s")
    assert "majority vote of 3 walks" in str(e)
    assert explain(agent.ecm, ("percept", "s")).decision_probabilities is None  # a bare ECM does not vote


# ---------------------------------------------------------------------- plain data
def test_to_dict_is_json_and_complete():
    agent = two_body(votes=3, priming={1: 0.5})
    data = explain(agent, [1, 0, 1], k=2).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["excited"] == [
        {"id": '["percept",[0,1]]', "label": "x0=1"},
        {"id": '["percept",[1,0]]', "label": "x1=0"},
        {"id": '["percept",[2,1]]', "label": "x2=1"},
    ]
    first = data["deciders"][0]
    assert first["id"] == '["hidden",["conjunction",[[0,1],[1,0]]]]' and first["label"] == "x0=1 & x1=0"
    assert first["created"] is True and [edge["action"] for edge in first["edges"]] == ["0", "1"]
    assert data["paths"][0]["clips"][0] == {"id": first["id"], "label": first["label"]}
    assert set(data) >= {"probabilities", "most_likely", "entropy", "priming", "votes", "decision_probabilities"}
    assert data["votes"] == 3 and len(data["paths"]) == 2


def test_decider_shares_reads_through_deliberation():
    agent = two_body()
    clips = excited_clips(agent, [1, 0, 1])
    assert clips == [X0_1, X1_0, X2_1]
    probabilities, shares = decider_shares(agent, clips)
    assert ints(probabilities) == agent.action_probabilities([1, 0, 1])
    assert math.fsum(p for s in shares for _, _, p in s.edges) == pytest.approx(1.0)
    assert label_of(agent.ecm, ("hidden", "other")) == "('hidden', 'other')"


# ---------------------------------------------------------------------- the command line
def test_inspect_explains_a_saved_factorized_agent(tmp_path, capsys):
    from ps_graph import load, save
    from ps_graph.cli import main

    agent = two_body(votes=3, priming={0: LN2})
    path = save(agent, tmp_path / "meps.json")
    assert explain(load(path), [1, 0, 1]).to_dict() == explain(agent, [1, 0, 1]).to_dict()  # the same, exactly
    capsys.readouterr()
    assert main(["inspect", str(path), "--explain", "[1,0,1]", "--paths", "2"]) == 0
    out = capsys.readouterr().out
    assert "3 excited percept clips: x0=1, x1=0, x2=1" in out
    assert "decision probabilities (majority vote of 3 decisions, exact):" in out
    assert "  0.3077  x1=0 & x2=1 -> 0" in out  # 4/13
    assert main(["inspect", str(path)]) == 0
    assert "3 deciders; most likely action per decider" in capsys.readouterr().out
    assert main(["inspect", str(path), "--explain", "x0=1"]) == 2
    assert "give an observation as JSON" in capsys.readouterr().err
