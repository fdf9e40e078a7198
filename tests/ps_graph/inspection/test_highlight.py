"""A decision highlighted in the static drawing and the explorer page: the excited percept clips, the
deciders and the decision's edges (the most probable one, or the agent's last); on the page, its
document's "decision" part and ``window.psGraph.decision()`` in a real browser."""

from __future__ import annotations

import pytest

from ps_graph import ConfigError, PSAgent
from ps_graph.growth import Conjunctions
from ps_graph.inspection.drawing import draw_ecm
from ps_graph.inspection.highlight import decision_highlight
from ps_graph.inspection.viz import read_data, to_html, write_html
from ps_graph.keys import key_id
from tests.browser import EXPLORER_READY
from tests.ps_graph.inspection.test_decision import A0, A1, C01, C02, C12, X0_1, X1_0, X2_1, one_body, two_body
from tests.ps_graph.inspection.test_viz import script_elements

S, H = ("percept", "s"), ("hidden", "h")


def with_hidden_clip() -> PSAgent:
    """Whole percepts: s -> a0 (h 1), a1 (h 1), h (h 3); h -> a1. Most probable walk s, h, a1 (3/5)."""
    agent = PSAgent(2, seed=0)
    agent.percept("s")
    agent.ecm.add_hidden(H, label="hidden")
    agent.ecm.add_edge(S, H, 3.0)
    agent.ecm.add_edge(H, A1, 1.0)
    return agent


def gids(ax, prefix):
    return [c for c in ax.collections if str(c.get_gid()) == prefix]


def decision_arrows(ax):
    return [p for p in ax.patches if p.get_gid() == "ps_graph.decision"]


# ---------------------------------------------------------------------- what is highlighted
def test_the_most_probable_decision_by_hand():
    mark = decision_highlight(one_body(), [1, 0])  # edge probabilities 2/8, 1/8, 1/8, 4/8
    assert mark.excited == (X0_1, X1_0)
    assert mark.deciders == (X1_0, X0_1)  # by share, 5/8 then 3/8
    assert mark.path == (X1_0, A1) and mark.edges == [(X1_0, A1)]
    assert mark.probability == pytest.approx(0.5) and not mark.last
    assert mark.role(X1_0) == "decider (share 0.6250)"
    assert mark.role(A1) == "on the most probable decision (P = 0.5000)"
    assert mark.role(A0) is None

    mark = decision_highlight(two_body(), [1, 0, 1])
    assert mark.path == (C01, A1) and mark.probability == pytest.approx(3 / 9)
    assert mark.deciders == (C01, C12, C02) and mark.excited == (X0_1, X1_0, X2_1)
    assert mark.role(X2_1) == "excited percept clip"


def test_a_walk_is_highlighted_whole():
    mark = decision_highlight(with_hidden_clip(), "s")
    assert mark.excited == mark.deciders == (S,)
    assert mark.path == (S, H, A1) and mark.probability == pytest.approx(3 / 5)
    assert mark.edges == [(S, H), (H, A1)]


def test_the_last_decision():
    agent = two_body()
    with pytest.raises(ConfigError, match="has not decided yet"):
        decision_highlight(agent, [1, 0, 1], last=True)
    agent.act([1, 0, 1])
    mark = decision_highlight(agent, [1, 0, 1], last=True)
    assert mark.path == tuple(agent.last_path) and mark.last and mark.probability is None
    assert mark.what == "the last decision"
    with pytest.raises(ConfigError, match="does not make decide"):
        decision_highlight(agent, [0, 1, 0], last=True)


def test_highlight_errors():
    agent = one_body()
    with pytest.raises(ConfigError, match="needs the agent"):
        draw_ecm(agent.ecm, decision=[1, 0])
    with pytest.raises(ConfigError, match="decision=observation too"):
        to_html(agent, last_decision=True)
    with pytest.raises(ConfigError, match="True or False"):
        draw_ecm(agent, decision=[1, 0], last_decision="yes")


# ---------------------------------------------------------------------- the drawing
def test_drawing_rings_the_deciders_and_draws_the_decision():
    agent = two_body()
    ax = draw_ecm(agent, decision=[1, 0, 1]).axes[0]
    (arrow,) = decision_arrows(ax)
    (deciders,) = gids(ax, "ps_graph.highlight.deciders")
    (excited,) = gids(ax, "ps_graph.highlight.excited")
    assert len(deciders.get_offsets()) == 3 and len(excited.get_offsets()) == 3
    # the arrow runs from the first decider (x0=1 & x1=0, listed first in the hidden column) to action 1
    xs = sorted({x for x, _ in deciders.get_offsets()})
    assert xs == [1.0] and arrow.get_edgecolor()[:3] == pytest.approx((0xF2 / 255, 0x8E / 255, 0x2B / 255))
    assert "highlighted (orange): the most probable decision (P = 0.3333)" in ax.get_title()
    assert {t.get_text() for t in ax.get_legend().get_texts()} >= {"excited", "deciders"}
    assert len([p for p in ax.patches if p.get_gid() == "ps_graph.edge"]) == agent.ecm.num_edges  # unchanged


def test_drawing_a_walk_and_clips_not_created_yet():
    ax = draw_ecm(with_hidden_clip(), decision="s").axes[0]
    assert len(decision_arrows(ax)) == 2  # s -> h -> a1
    agent = two_body()
    n = len(agent.ecm)
    ax = draw_ecm(agent, decision=[1, 1, 1]).axes[0]  # the most probable edge leaves a conjunction not created
    assert decision_arrows(ax) == [] and len(agent.ecm) == n
    (deciders,) = gids(ax, "ps_graph.highlight.deciders")
    assert len(deciders.get_offsets()) == 1  # only x0=1 & x2=1 exists
    agent.act([1, 0, 1])
    ax = draw_ecm(agent, decision=[1, 0, 1], last_decision=True).axes[0]
    assert len(decision_arrows(ax)) == 1 and "the last decision" in ax.get_title()


# ---------------------------------------------------------------------- the explorer page
DECISION_JS = "() => window.psGraph.decision()"
ROLES_BY_HAND = {  # two_body on [1, 0, 1]: shares 4/9, 3/9, 2/9 (largest first); the most probable hop x0=1 & x1=0 -> 1
    X0_1: "excited percept clip",
    X1_0: "excited percept clip",
    X2_1: "excited percept clip",
    C01: "decider (share 0.4444)",
    C12: "decider (share 0.3333)",
    C02: "decider (share 0.2222)",
    A1: "on the most probable decision (P = 0.3333)",
}


def test_view_highlights_the_decision():
    agent = two_body()
    data = read_data(to_html(agent, decision=[1, 0, 1], min_probability=0.9))  # the decision's hop has P = 3/4
    decision = data["decision"]
    assert decision["what"] == "the most probable decision (P = 0.3333)"
    assert [(c["id"], c["role"]) for c in decision["clips"]] == [(key_id(c), r) for c, r in ROLES_BY_HAND.items()]
    assert decision["edges"] == [[key_id(C01), key_id(A1)]]
    (hop,) = [e for e in data["edges"] if (e["from"], e["to"]) == (key_id(C01), key_id(A1))]
    assert hop["p"] == pytest.approx(3 / 4)  # below the starting threshold: the page draws it anyway
    assert data["default_view"]["selected"] == key_id(C01)  # the page opens on the deciding clip
    assert data["default_view"]["threshold"] == 0.9
    assert read_data(to_html(agent))["decision"] is None  # nothing highlighted without a decision


def test_the_page_draws_the_decision(tmp_path, browser_page):
    agent = two_body()
    page = write_html(agent, tmp_path / "decision.html", decision=[1, 0, 1], min_probability=0.9)
    browser_page.open(page, ready=EXPLORER_READY)
    assert browser_page.evaluate(DECISION_JS) == {
        "what": "the most probable decision (P = 0.3333)",
        "clips": [{"label": agent.ecm.label(c), "role": r} for c, r in ROLES_BY_HAND.items()],
        "edges": [[agent.ecm.label(C01), agent.ecm.label(A1)]],
    }
    # opened on the decider; every decision clip is drawn, and its edge though P = 3/4 < 0.9
    assert browser_page.evaluate("() => window.psGraph.panel().clip") == agent.ecm.label(C01)
    assert browser_page.evaluate("() => window.psGraph.drawn()") == {"nodes": 7, "edges": 1}
    legend = browser_page.evaluate("() => document.getElementById('ps-graph-legend').textContent")
    assert "Decision: the most probable decision (P = 0.3333)" in legend and "deciders" in legend
    assert "decider (share 0.4444)" in browser_page.evaluate("() => document.querySelector('.ps-role').textContent")
    browser_page.evaluate("() => window.psGraph.setThreshold(0)")
    assert browser_page.evaluate("() => window.psGraph.drawn()") == {"nodes": 8, "edges": 12}
    assert browser_page.evaluate(DECISION_JS)["edges"] == [[agent.ecm.label(C01), agent.ecm.label(A1)]]


def test_view_keeps_hostile_labels_as_text(tmp_path, browser_page):
    hostile = ("</script><script>window.__pwned = 1</script>", '<img src=x onerror="window.__pwned = 2">')
    agent = PSAgent(2, percepts="factorized", growth=Conjunctions(k=2), seed=0)
    agent.act(hostile)
    path = write_html(agent, tmp_path / "hostile.html", decision=hostile, last_decision=True, title="<b>decision</b>")
    page = path.read_text(encoding="utf-8")
    assert "<script>window" not in page and "<img src=x" not in page and "<b>decision" not in page
    assert script_elements(page) == ["ps-graph-data", None, None]
    data = read_data(page)
    conjunction, second = f"x0={hostile[0]} & x1={hostile[1]}", f"x1={hostile[1]}"
    assert {conjunction, second} <= {c["label"] for c in data["clips"]}  # verbatim
    assert data["decision"]["what"] == "the last decision"
    # in the browser: the same labels back from the API, nothing run, no element made of a label
    browser_page.open(path, ready=EXPLORER_READY)
    decision = browser_page.evaluate(DECISION_JS)
    roles = {c["label"]: c["role"] for c in decision["clips"]}
    assert roles[conjunction].startswith("decider") and roles[second] == "excited percept clip"
    assert decision["what"] == "the last decision" and decision["edges"][0][0] == conjunction
    assert browser_page.evaluate("() => window.psGraph.panel().clip") == conjunction
    assert browser_page.evaluate(
        "() => [window.__pwned === undefined, document.querySelectorAll('img').length,"
        " document.querySelector('#ps-graph-details h2').textContent]"
    ) == [True, 0, conjunction]
