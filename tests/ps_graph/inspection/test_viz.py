"""The interactive ECM view (ps_graph.inspection.viz): page content, filters, escaping, and a real
headless Chromium that opens the page offline (tests/browser.py)."""

from __future__ import annotations

import copy
import html
import json
import os
import re
import shutil
from html.parser import HTMLParser

import gymnasium as gym
import networkx as nx
import pytest

from ps_graph import ECM, PSAgent, TwoLayerPS, train
from ps_graph.errors import ConfigError, UnsupportedSourceError
from ps_graph.inspection.viz import show, to_html, write_html
from ps_graph.keys import key_id
from tests import browser
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
    """The nodes, edges and vis options that the page embeds as JSON blocks."""

    def block(name):
        match = re.search(rf'<script type="application/json" id="psgraph-{name}">(.*?)</script>', page, re.S)
        assert match, f"no {name} block in the page"
        return json.loads(match.group(1))

    return block("nodes"), block("edges"), block("options")


class _Scripts(HTMLParser):
    """Collects the id of every <script> element and checks the body holds no other text."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.ids.append(dict(attrs).get("id"))
        assert tag in {"html", "head", "meta", "title", "style", "script", "body", "div", "h1", "span"}, tag


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


def test_nodes_edges_layout_and_values():
    ecm = small_ecm()
    nodes, edges, _ = page_data(to_html(ecm))
    by_id = {n["id"]: n for n in nodes}
    assert list(by_id) == [key_id(c) for c in (P1, P2, HID, A, B)]  # ids are key_id, ECM order
    # layers left to right: percepts x=0, hidden x=320, actions x=640; within a layer 90 px
    # apart (2 x the largest radius 30 + 30), centred on y=0
    assert {n["id"]: (n["x"], n["y"]) for n in nodes} == {
        key_id(P1): (0, -45),
        key_id(P2): (0, 45),
        key_id(HID): (320, 0),
        key_id(A): (640, -45),
        key_id(B): (640, 45),
    }
    # size 8 + 22 sqrt(visits / max visits): p1 4/4 -> 30, p2 1/4 -> 19, unvisited -> 8
    assert [by_id[key_id(c)]["size"] for c in (P1, P2, HID)] == [30.0, 19.0, 8.0]
    assert by_id[key_id(HID)]["kind"] == "hidden" and "visits: 0" in by_id[key_id(HID)]["title"]
    assert len(edges) == 7
    edge = {(e["from"], e["to"]): e for e in edges}
    first = edge[key_id(P1), key_id(A)]
    assert first["probability"] == 0.5 and first["width"] == 4.5  # 1 + 7 P
    assert first["h"] == 2.0 and "P(hop) = 0.5" in first["title"] and "glow = 1" in first["title"]
    assert edge[key_id(HID), key_id(A)]["probability"] == 0.75
    assert first["color"]["color"] == "#e15759"  # glow 1: red
    assert edge[key_id(HID), key_id(B)]["color"]["color"] == "#e15759"  # glow 2.5 capped at red
    assert edge[key_id(P2), key_id(A)]["color"]["color"] == "#b8b8b8"  # no glow: grey


@pytest.mark.parametrize(
    "options, clips, num_edges",
    [
        ({}, [P1, P2, HID, A, B], 7),
        # P >= 0.5: p1->a (1/2), hidden->a (3/4), p2->a and p2->b (1/2); every clip stays
        ({"min_probability": 0.5}, [P1, P2, HID, A, B], 4),
        # what p1 reaches: hidden and both actions, with p1's 3 edges and hidden's 2
        ({"percepts": [P1]}, [P1, HID, A, B], 5),
        # p1 -> hidden has P = 1/4 < 0.3, so hidden is not reached; only p1 -> a is left
        ({"percepts": [P1], "min_probability": 0.3}, [P1, A], 1),
        ({"percepts": [P2, P2]}, [P2, A, B], 2),
        ({"min_probability": 1.0}, [P1, P2, HID, A, B], 0),
    ],
)
def test_filters(options, clips, num_edges):
    nodes, edges, _ = page_data(to_html(small_ecm(), **options))
    assert [n["id"] for n in nodes] == [key_id(c) for c in clips]
    assert len(edges) == num_edges
    assert all(e["probability"] >= options.get("min_probability", 0.0) for e in edges)
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
        nodes, _, vis_options = page_data(to_html(ecm, **options))
        assert all(n["fixed"] == {"x": vis_options["physics"]["enabled"], "y": False} for n in nodes)
        return vis_options["physics"]["enabled"]

    assert physics() is True  # 5 <= 300
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
    # as a browser parses it: the page's five script elements and nothing more (a label
    # with </script> would end a JSON block early and add elements or text)
    assert script_elements(page) == [None, "psgraph-nodes", "psgraph-edges", "psgraph-options", None]
    nodes, _, _ = page_data(page)
    labels = {n["id"]: n["label"] for n in nodes}
    assert {labels[key_id(c)] for c in HOSTILE} == set(HOSTILE.values())  # shown verbatim
    assert "<title>&lt;b&gt;ECM&lt;/b&gt; &amp; &lt;/script&gt;</title>" in page
    assert "<h1>&lt;b&gt;ECM&lt;/b&gt; &amp; &lt;/script&gt;</h1>" in page


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
    assert 'sandbox="allow-scripts"' in shown and "calc(400px + 60px)" in shown


def test_height_and_title():
    page = to_html(small_ecm(), height=420)
    assert "height: 420px;" in page
    assert "<h1>ECM: 5 clips, 7 edges</h1>" in page
    assert "height: 80vh;" in to_html(small_ecm(), height="80vh")


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
def chromium_or_skip() -> None:
    if browser.chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed, but CI must run the browser test (.ci/run installs it).")
        pytest.skip("Chromium is not installed (apt-get install chromium); skipping the real-browser test.")


NODE_AT = """(function () {{
  var net = window.psgraphNetwork, id = {node_id};
  var p = net.canvasToDOM(net.getPositions([id])[id]);
  var box = document.getElementById("psgraph-network").getBoundingClientRect();
  return [p.x + box.left, p.y + box.top];
}})()"""
PAINTED = """(function () {
  var c = document.querySelector("#psgraph-network canvas");
  var px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data, n = 0;
  for (var i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
  return n;
})()"""


@pytest.mark.parametrize("case", ["trained_frozenlake", "hidden_layer_hostile_labels"])
def test_page_in_headless_chromium(case, tmp_path):
    chromium_or_skip()
    if case == "trained_frozenlake":
        source = trained_agent(200)
        ecm, options = source.ecm, {}  # small: physics on
    else:
        source = ecm = small_ecm(HOSTILE)
        options = {"physics": False}  # nodes stay put, so the mouse can find one
    page = write_html(source, tmp_path / f"{case}.html", **options)
    with browser.Browser(timeout=30) as chrome:
        chrome.navigate(page.resolve().as_uri())
        chrome.wait_for("document.body.dataset.psgraphDrawn === '1'")
        dataset = chrome.evaluate("Object.assign({}, document.body.dataset)")
        assert (int(dataset["psgraphNodes"]), int(dataset["psgraphEdges"])) == (len(ecm), ecm.num_edges)
        assert chrome.evaluate(PAINTED) > 1000  # the canvas holds a drawing, not a blank page
        if case == "hidden_layer_hostile_labels":
            x, y = chrome.evaluate(NODE_AT.format(node_id=json.dumps(key_id(HID))))
            chrome.hover(x, y)
            tooltip = chrome.wait_for(
                "(function () { var t = document.querySelector('.vis-tooltip');"
                " return t && t.style.visibility === 'visible' && t.textContent; })()",
                timeout=10,
            )
            assert HOSTILE[HID] in tooltip  # shown as text
            assert chrome.evaluate("document.querySelectorAll('img').length") == 0  # no label became markup
        assert chrome.evaluate("typeof window.__pwned") == "undefined"
        assert chrome.console_errors() == []
        png = chrome.screenshot()
        requests = chrome.requested_urls()
    assert page.resolve().as_uri() in requests
    assert [u for u in requests if u != page.resolve().as_uri() and not u.startswith("data:")] == []
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    shot = tmp_path / f"{case}.png"
    shot.write_bytes(png)
    artifacts = os.environ.get("PS_GRAPH_TEST_ARTIFACTS")
    if artifacts:
        os.makedirs(artifacts, exist_ok=True)
        shutil.copy(shot, os.path.join(artifacts, shot.name))


def test_browser_cleans_up_after_a_failure(tmp_path):
    chromium_or_skip()
    page = tmp_path / "never_ready.html"
    page.write_text("<!DOCTYPE html><title>x</title><p>nothing draws here</p>", encoding="utf-8")
    chrome = browser.Browser(timeout=5)
    with pytest.raises(browser.BrowserError, match="timed out waiting"), chrome:
        chrome.navigate(page.as_uri())
        chrome.wait_for("document.body.dataset.psgraphDrawn", timeout=0.5)
    with pytest.raises(ChildProcessError):  # Chromium was killed and reaped
        os.waitpid(chrome._pid, os.WNOHANG)
    assert not os.path.exists(chrome._profile)
