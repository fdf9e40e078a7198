"""The ECM explorer page (ps_graph.inspection.viz): its data document, options, escaping, and a real
headless Chromium that opens the page offline (tests/browser.py; the page's window.psGraph API is
exercised in test_explorer_browser.py)."""

from __future__ import annotations

import copy
import html
import re
from html.parser import HTMLParser

import gymnasium as gym
import networkx as nx
import pytest

from ps_graph import ECM, PSAgent, TwoLayerPS, train
from ps_graph.errors import ConfigError, UnsupportedSourceError
from ps_graph.inspection.explain import explain
from ps_graph.inspection.viz import read_data, show, to_html, write_html
from ps_graph.keys import key_id
from tests.browser import EXPLORER_READY
from tests.factories import make_ecm

P1, P2, HID, A, B = ("percept", "p1"), ("percept", "p2"), ("hidden", 0), ("action", 0), ("action", 1)
HOSTILE = {
    P1: "</script><script>window.__pwned = 1</script>",
    HID: '<img src=x onerror="window.__pwned = 2">',
    A: "&lt;b&gt; & <b>bold</b>",
}
# a reference to anything outside the page: src/href to a URL, CSS @import, url(http...)
EXTERNAL = re.compile(
    r"""(?:\bsrc|\bhref)\s*=\s*["']?\s*(?:https?:|ftp:)?//|@import|url\(\s*["']?\s*(?:https?:)?//""",
    re.IGNORECASE,
)


def small_ecm(labels=None) -> ECM:
    """Two percepts, one hidden clip, two actions; probabilities worked out by hand:

    p1 -> a (h 2), b (h 1), hidden (h 1): P = 2/4, 1/4, 1/4
    hidden -> a (h 3), b (h 1):            P = 3/4, 1/4
    p2 -> a (h 1), b (h 1):                P = 1/2, 1/2
    """
    edges = {P1: {A: 2.0, B: 1.0, HID: 1.0}, HID: {A: 3.0, B: 1.0}, P2: {A: 1.0, B: 1.0}}
    ecm = make_ecm([P1, P2], [A, B], edges, hidden=[HID], labels=labels)
    ecm.set_glow(P1, A, 1.0)
    ecm.set_glow(HID, B, 2.5)  # accumulated glow above 1
    ecm.set_visits(P1, 4)
    ecm.set_visits(P2, 1)
    return ecm


def page_data(page: str) -> tuple[list, list, dict]:
    """The clips, edges and default view of the document the page embeds."""
    data = read_data(page)
    return data["clips"], data["edges"], data["default_view"]


class _Scripts(HTMLParser):
    """Collects the id of every <script> element and checks the body holds no other text."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.ids.append(dict(attrs).get("id"))
        allowed = {"html", "head", "meta", "title", "style", "script", "body", "div", "header", "h1", "noscript", "p"}
        assert tag in allowed, tag


def script_elements(page: str) -> list[str | None]:
    parser = _Scripts()
    parser.feed(page)
    parser.close()
    return parser.ids


def snapshot(ecm: ECM):
    """Every node and edge attribute of the ECM's graph, plus its hopping probabilities."""
    graph = ecm.graph
    return (
        copy.deepcopy(nx.node_link_data(graph, edges="edges")),
        {c: ecm.probabilities(c) for c in graph.nodes if ecm.kind(c) != "action"},
    )


def trained_agent(episodes: int = 200) -> PSAgent:
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = PSAgent.for_env(env, eta_glow_damping=0.04, seed=3)
    train(agent, env, episodes=episodes, seed=3)
    return agent


# ---------------------------------------------------------------------- content
def test_the_ecm_is_not_changed():
    ecm = small_ecm(HOSTILE)
    before = snapshot(ecm)
    for options in ({}, {"min_probability": 0.3}, {"percepts": [P1]}, {"physics": True}):
        to_html(ecm, **options)
    assert snapshot(ecm) == before

    agent = trained_agent(30)
    before = snapshot(agent.ecm)
    to_html(agent, percepts=[0])
    assert snapshot(agent.ecm) == before


def test_clips_edges_and_values():
    ecm = small_ecm()
    data = read_data(to_html(ecm))
    clips, edges = data["clips"], data["edges"]
    assert [c["id"] for c in clips] == [key_id(c) for c in (P1, P2, HID, A, B)]  # ids are key_id, ECM order
    assert [(c["kind"], c["layer"], c["visits"]) for c in clips] == [
        ("percept", 0, 4),
        ("percept", 0, 1),
        ("hidden", 1, 0),
        ("action", 2, 0),
        ("action", 2, 0),
    ]
    assert [c["label"] for c in clips] == [ecm.label(c) for c in (P1, P2, HID, A, B)]
    edge = {(e["from"], e["to"]): e for e in edges}
    assert len(edges) == 7
    assert edge[key_id(P1), key_id(A)] == {"from": key_id(P1), "to": key_id(A), "h": 2.0, "glow": 1.0, "p": 0.5}
    assert edge[key_id(HID), key_id(A)]["p"] == 0.75
    assert edge[key_id(HID), key_id(B)]["glow"] == 2.5  # accumulated glow above 1, as it is
    # p1's exact probabilities: a = 1/2 + 1/4 * 3/4, b = 1/4 + 1/4 * 1/4; the same as explain's
    p1 = data["percepts"][key_id(P1)]
    assert p1["probabilities"] == {ecm.label(A): 0.6875, ecm.label(B): 0.3125}
    assert [w["p"] for w in p1["walks"]] == [p for _, p in explain(ecm, P1).paths] == [0.5, 0.25, 0.1875, 0.0625]
    assert p1["walks"][2]["clips"] == [key_id(P1), key_id(HID), key_id(A)] and p1["covered"] == 1.0
    assert data["snapshots"] == [] and data["compare"] is None


@pytest.mark.parametrize(
    "options, clips, num_edges, threshold",
    [
        ({}, [P1, P2, HID, A, B], 7, 0.0),
        # min_probability is where the page's threshold slider starts: no edge is dropped
        ({"min_probability": 0.5}, [P1, P2, HID, A, B], 7, 0.5),
        # what p1 reaches: hidden and both actions, with p1's 3 edges and hidden's 2
        ({"percepts": [P1]}, [P1, HID, A, B], 5, 0.0),
        ({"percepts": [P1], "min_probability": 0.3}, [P1, HID, A, B], 5, 0.3),
        ({"percepts": [P2, P2]}, [P2, A, B], 2, 0.0),
        ({"min_probability": 1.0}, [P1, P2, HID, A, B], 7, 1.0),
    ],
)
def test_filters(options, clips, num_edges, threshold):
    nodes, edges, view = page_data(to_html(small_ecm(), **options))
    assert [n["id"] for n in nodes] == [key_id(c) for c in clips]
    assert len(edges) == num_edges and view["threshold"] == threshold
    assert {e["from"] for e in edges} | {e["to"] for e in edges} <= {n["id"] for n in nodes}


def test_agents_take_observations_and_the_fast_agent_draws_the_same():
    agent = trained_agent(60)
    by_observation = page_data(to_html(agent, percepts=[0]))
    assert by_observation == page_data(to_html(agent, percepts=[("percept", 0)]))
    assert [n["id"] for n in by_observation[0] if n["kind"] == "percept"] == [key_id(("percept", 0))]
    nodes, edges, _ = page_data(to_html(agent))
    assert len(nodes) == len(agent.ecm) and len(edges) == agent.ecm.num_edges

    env = gym.make("FrozenLake-v1", is_slippery=False)
    fast = TwoLayerPS.for_env(env, eta_glow_damping=0.04, seed=3)
    graph_agent = PSAgent.for_env(env, eta_glow_damping=0.04, seed=3)
    for a in (fast, graph_agent):
        train(a, env, episodes=60, seed=3)
    fast_nodes, fast_edges, _ = page_data(to_html(fast, percepts=[0, 1]))
    graph_nodes, graph_edges, _ = page_data(to_html(graph_agent, percepts=[0, 1]))
    assert [n["id"] for n in fast_nodes] == [n["id"] for n in graph_nodes]
    assert [(e["from"], e["to"]) for e in fast_edges] == [(e["from"], e["to"]) for e in graph_edges]
    assert [e["h"] for e in fast_edges] == pytest.approx([e["h"] for e in graph_edges])


def test_physics_default_follows_size():
    ecm = small_ecm()  # 5 clips

    def physics(**options):
        return page_data(to_html(ecm, **options))[2]["physics"]

    assert physics() is True  # 5 <= 400
    assert physics(max_physics_clips=5) is True
    assert physics(max_physics_clips=4) is False
    assert physics(max_physics_clips=4, percepts=[P2]) is True  # 3 clips drawn
    assert physics(max_physics_clips=0, physics=True) is True
    assert physics(physics=False) is False


# ---------------------------------------------------------------------- safety
def test_hostile_labels_stay_text():
    page = to_html(small_ecm(HOSTILE), title="<b>ECM</b> & </script>")
    assert "window.__pwned" in page  # the labels are there, but only inside JSON strings:
    assert "<script>window" not in page and "<img src=x" not in page and "<b>bold" not in page
    # as a browser parses it: the page's three script elements and nothing more (a label
    # with </script> would end the JSON block early and add elements or text)
    assert script_elements(page) == ["ps-graph-data", None, None]
    nodes, _, _ = page_data(page)
    labels = {n["id"]: n["label"] for n in nodes}
    assert {labels[key_id(c)] for c in HOSTILE} == set(HOSTILE.values())  # shown verbatim
    assert "<title>&lt;b&gt;ECM&lt;/b&gt; &amp; &lt;/script&gt;</title>" in page
    assert "&lt;b&gt;ECM&lt;/b&gt; &amp; &lt;/script&gt;</h1>" in page


def test_no_external_references():
    assert EXTERNAL.search('<link href="https://cdn.example/x.css">')  # the check itself works
    assert EXTERNAL.search("<script src='//cdn.example/x.js'></script>")
    assert EXTERNAL.search("body { background: url(http://x/y.png) }")
    from pyvis.network import Network

    default = Network(cdn_resources="in_line")
    default.add_node(1)
    assert EXTERNAL.search(default.generate_html())  # pyvis's own page still loads Bootstrap
    for page in (to_html(small_ecm(HOSTILE)), to_html(trained_agent(30))):
        assert EXTERNAL.search(page) is None


# ---------------------------------------------------------------------- files, notebooks, errors
def test_write_html_and_show(tmp_path):
    ecm = small_ecm()
    path = write_html(ecm, tmp_path / "sub" / "ecm.html", min_probability=0.5)
    assert path == tmp_path / "sub" / "ecm.html"
    assert path.read_text(encoding="utf-8") == to_html(ecm, min_probability=0.5)
    assert [p.name for p in path.parent.iterdir()] == ["ecm.html"]  # no temporary file left

    shown = show(ecm, height=400).data
    srcdoc = re.search(r'<iframe srcdoc="([^"]*)"', shown).group(1)
    assert html.unescape(srcdoc) == to_html(ecm, height=400)
    assert 'sandbox="allow-scripts"' in shown and "calc(400px + " in shown


def test_height_and_title():
    page = to_html(small_ecm(), height=420)
    assert "--ps-graph-height: 420px;" in page
    assert ">ECM: 5 clips, 7 edges</h1>" in page and "<title>ECM: 5 clips, 7 edges</title>" in page
    assert "--ps-graph-height: 80vh;" in to_html(small_ecm(), height="80vh")


@pytest.mark.parametrize(
    "options, error, match",
    [
        ({"min_probability": 1.5}, ConfigError, "min_probability must be a finite number in"),
        ({"min_probability": "0.1"}, ConfigError, "min_probability"),
        ({"physics": "yes"}, ConfigError, "physics must be True, False or None"),
        ({"max_physics_clips": -1}, ConfigError, "max_physics_clips must be an integer >= 0"),
        ({"height": "1px; background: url(http://x)"}, ConfigError, "height must be"),
        ({"height": 0}, ConfigError, "height must be"),
        ({"title": 3}, ConfigError, "title must be a string"),
        ({"percepts": "p1"}, ConfigError, "Wrap a single one in a list"),
        ({"percepts": []}, ConfigError, "percepts=None"),
        ({"percepts": [("percept", "nope")]}, KeyError, "is not in the ECM"),
        ({"percepts": [A]}, ConfigError, "is an action clip"),
        ({"percepts": [[1, 2]]}, KeyError, "is not in the ECM"),  # unhashable
    ],
)
def test_bad_options(options, error, match):
    with pytest.raises(error, match=re.escape(match)):
        to_html(small_ecm(), **options)


def test_bad_source_and_unseen_observation():
    with pytest.raises(UnsupportedSourceError, match="expected an ECM, a PSAgent"):
        to_html({"not": "an ECM"})
    agent = PSAgent(4, gym.spaces.Discrete(16), seed=0)
    agent.act(0)
    with pytest.raises(KeyError, match="may not have been seen yet"):
        to_html(agent, percepts=[5])


# ---------------------------------------------------------------------- a real browser
PAINTED = """() => {
  const c = window.psGraph.network.body.container.querySelector("canvas");
  const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
  return n;
}"""
TOOLTIP = """() => { const t = document.querySelector('.vis-tooltip');
  return t && t.style.visibility === 'visible' && t.textContent; }"""


def node_point(browser_page, page: str, clip) -> list[float]:
    """Viewport point of ``clip``'s node on ``page``."""
    ids = [c["id"] for c in read_data(page)["clips"]]
    return browser_page.node_point(key_id(clip), ids.index(key_id(clip)))


@pytest.mark.parametrize("case", ["trained_frozenlake", "hidden_layer_hostile_labels"])
def test_page_in_headless_chromium(case, tmp_path, browser_page):
    if case == "trained_frozenlake":
        source = trained_agent(200)
        ecm, options = source.ecm, {}
    else:
        source = ecm = small_ecm(HOSTILE)
        options = {"physics": False}  # nodes stay put, so the mouse can find one
    page = write_html(source, tmp_path / f"{case}.html", **options)
    browser_page.open(page, ready=EXPLORER_READY)
    dataset = browser_page.evaluate("() => Object.assign({}, document.body.dataset)")
    assert (int(dataset["psgraphNodes"]), int(dataset["psgraphEdges"])) == (len(ecm), ecm.num_edges)
    assert browser_page.evaluate("() => window.psGraph.drawn()") == {"nodes": len(ecm), "edges": ecm.num_edges}
    assert browser_page.evaluate(PAINTED) > 1000  # the canvas holds a drawing, not a blank page
    if case == "hidden_layer_hostile_labels":
        x, y = node_point(browser_page, page.read_text(encoding="utf-8"), HID)
        browser_page.page.mouse.move(x, y)
        tooltip = browser_page.wait_for(TOOLTIP, timeout=10)
        assert HOSTILE[HID] in tooltip  # shown as text
        assert browser_page.evaluate("() => document.querySelectorAll('img, b').length") == 0  # no label became markup
    assert browser_page.evaluate("() => typeof window.__pwned") == "undefined"
    assert browser_page.errors == []
    assert browser_page.requests == [page.resolve().as_uri()]  # the page itself, nothing else
    shot = browser_page.screenshot(case)
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_the_browser_page_blocks_requests_and_reports_errors(tmp_path, browser_page):
    page = tmp_path / "leaky.html"
    page.write_text(
        "<!DOCTYPE html><title>leaky</title><img src='https://cdn.example/x.png'>"
        "<script>fetch('http://example.invalid/y').then(() => { window.reached = 1; }, () => {});"
        "window.onload = () => { document.body.dataset.ready = '1'; }; undefinedFunction();</script>",
        encoding="utf-8",
    )
    browser_page.open(page, ready="document.body.dataset.ready === '1'")
    browser_page.wait_for("document.readyState === 'complete'")
    browser_page.page.wait_for_timeout(200)
    # the image and the fetch race each other: compare the requests in any order
    assert sorted(browser_page.outside_requests()) == ["http://example.invalid/y", "https://cdn.example/x.png"]
    assert browser_page.evaluate("typeof window.reached") == "undefined"  # blocked, not answered
    assert any("undefinedFunction is not defined" in e for e in browser_page.errors)
    assert len(browser_page.problems()) == len(browser_page.errors) + 2
    browser_page.forget()  # provoked on purpose: the fixture must not fail this test
