"""The ECM explorer page in a real headless Chromium (tests/browser.py), driven through the
page's documented JavaScript API ``window.psGraph`` and the mouse.

Every expected number is computed here in Python from the same agent: probabilities and walks
from :func:`ps_graph.inspection.explain.explain`, h-values from the :class:`Timeline`, drawn
counts from the page's own data document. Every test also fails on a JavaScript error or a
request that leaves the page (the ``browser_page`` fixture), and leaves screenshots in
``results/browser-screenshots/``.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import deque

import gymnasium as gym
import numpy as np
import pytest

from ps_graph import ECM, PSAgent, save, train
from ps_graph.agent import percept_clip
from ps_graph.cli import main as cli_main
from ps_graph.inspection.explain import explain
from ps_graph.inspection.timeline import Timeline
from ps_graph.inspection.viz import write_html
from ps_graph.keys import key_id
from tests.browser import EXPLORER_READY
from tests.factories import make_ecm

TOL = 1e-12
KINDS = ["percept", "hidden", "action"]
OPEN_10K_S, SELECT_10K_S = 10.0, 2.0  # the stated limits for a 10,000-clip ECM
HOSTILE = "<img src=x onerror=window.pwned=1>"

# A deep ECM worked out by hand: three percepts, two hidden clips, two actions.
#   s1 -> left (h 2), h0 (1), h1 (1): P = 1/2, 1/4, 1/4      h0 -> left (3), right (1): 3/4, 1/4
#   s2 -> left (1), right (1):        P = 1/2, 1/2           h1 -> left (1), right (1): 1/2, 1/2
#   s3 -> h1 (3), right (1):          P = 3/4, 1/4
S1, S2, S3, H0, H1 = ("percept", "s1"), ("percept", "s2"), ("percept", "s3"), ("hidden", 0), ("hidden", 1)
LEFT, RIGHT = ("action", 0), ("action", 1)
DEEP_LABELS = {S1: "s1", S2: HOSTILE, S3: "s3", H0: "h0", H1: "h1", LEFT: "left", RIGHT: "right"}


def deep_ecm() -> ECM:
    edges = {
        S1: {LEFT: 2.0, H0: 1.0, H1: 1.0},
        S2: {LEFT: 1.0, RIGHT: 1.0},
        S3: {H1: 3.0, RIGHT: 1.0},
        H0: {LEFT: 3.0, RIGHT: 1.0},
        H1: {LEFT: 1.0, RIGHT: 1.0},
    }
    return make_ecm([S1, S2, S3], [LEFT, RIGHT], edges, hidden=[H0, H1], labels=DEEP_LABELS)


@pytest.fixture(scope="module")
def frozenlake() -> tuple[PSAgent, Timeline]:
    """A FrozenLake agent trained 300 episodes, with a Timeline every 50 (and at episode 0)."""
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = PSAgent.for_env(env, eta_glow_damping=0.04, seed=3)
    timeline = Timeline(every=50)
    timeline.snapshot(agent, episode=0)
    train(agent, env, episodes=300, seed=3, callback=timeline)
    return agent, timeline


# ---------------------------------------------------------------------- helpers
def document(page: str) -> dict:
    """The page's data document (the ps-graph-data JSON block), read independently of viz.read_data."""
    match = re.search(r'<script type="application/json" id="ps-graph-data">(.*?)</script>', page, re.S)
    assert match, "the page has no ps-graph-data block"
    return json.loads(match.group(1))


def open_explorer(browser_page, source, path, **options) -> tuple[dict, float]:
    """Write the explorer page of ``source`` and open it; its document and the seconds to ready."""
    page = write_html(source, path, **options)
    seconds = browser_page.open(page, ready=EXPLORER_READY, timeout=60)
    return document(page.read_text(encoding="utf-8")), seconds


def labels_of(doc: dict) -> dict[str, str]:
    return {c["id"]: c["label"] for c in doc["clips"]}


def select(browser_page, label: str) -> dict:
    """``psGraph.select(label)``; the panel it opens."""
    assert browser_page.evaluate("(label) => window.psGraph.select(label)", label) is True
    panel = browser_page.evaluate("() => window.psGraph.panel()")
    assert panel is not None and panel["clip"] == label
    return panel


def set_view(browser_page, threshold=0.0, kinds=KINDS, neighbourhood=None) -> dict:
    """Set the three filters; ``psGraph.drawn()`` after."""
    return browser_page.evaluate(
        """([threshold, kinds, k]) => { const g = window.psGraph;
             g.setKinds(kinds); g.setNeighbourhood(k); g.setThreshold(threshold); return g.drawn(); }""",
        [threshold, list(kinds), neighbourhood],
    )


def expected_drawn(doc, threshold=0.0, kinds=KINDS, neighbourhood=None, selected=None, snapshot=None) -> dict:
    """What the filters keep, from the page's data: edges with p >= threshold between clips of the
    kinds (p of the snapshot when given); within ``neighbourhood`` steps of ``selected``;
    clips with a kept edge, and the selected clip."""
    kind = {c["id"]: c["kind"] for c in doc["clips"]}
    ps = [e["p"] for e in doc["edges"]] if snapshot is None else doc["snapshots"][snapshot]["p"]
    edges = [
        (e["from"], e["to"])
        for e, p in zip(doc["edges"], ps)
        if p is not None and p >= threshold and kind[e["from"]] in kinds and kind[e["to"]] in kinds
    ]
    if neighbourhood is not None and selected is not None:
        near = {selected: 0}
        queue = deque([selected])
        while queue:
            clip = queue.popleft()
            for a, b in edges:
                other = b if a == clip else a if b == clip else None
                if other is not None and other not in near and near[clip] < neighbourhood:
                    near[other] = near[clip] + 1
                    queue.append(other)
        edges = [(a, b) for a, b in edges if a in near and b in near]
    nodes = {c for edge in edges for c in edge} | ({selected} if selected is not None else set())
    return {"nodes": len(nodes), "edges": len(edges)}


def collapsed_drawn(ecm: ECM, threshold: float, selected) -> dict:
    """What collapseHidden(True) draws: percepts and actions, an edge per reachable action with
    its exact probability (explain's) >= threshold, and the selected clip."""
    edges = [
        (percept, action)
        for percept in ecm.clips("percept")
        for action, p in explain(ecm, percept).probabilities.items()
        if p > 0 and p >= threshold
    ]
    return {"nodes": len({c for edge in edges for c in edge} | {selected}), "edges": len(edges)}


def assert_explained(panel: dict, highlighted: dict, e, names: dict) -> None:
    """The panel's probabilities and walks equal ``explain``'s to 1e-12, and exactly the clips
    and edges of its walks are highlighted (``names``: clip key -> label as shown)."""
    expected = {names[a]: p for a, p in e.probabilities.items()}
    assert set(panel["probabilities"]) == set(expected)
    for action, p in expected.items():
        assert math.isclose(panel["probabilities"][action], p, rel_tol=0, abs_tol=TOL), action
    walks = [([names[c] for c in path], p) for path, p in e.paths]
    assert [w["labels"] for w in panel["walks"]] == [labels for labels, _ in walks]
    assert np.allclose([w["p"] for w in panel["walks"]], [p for _, p in walks], rtol=0, atol=TOL)
    assert set(highlighted["nodes"]) == {names[c] for path, _ in e.paths for c in path}
    expected_edges = {(names[a], names[b]) for path, _ in e.paths for a, b in zip(path, path[1:])}
    assert {tuple(edge) for edge in highlighted["edges"]} == expected_edges


def names_by_key(source, doc: dict) -> dict:
    """Clip key -> its label as the page shows it."""
    by_id = labels_of(doc)
    ecm = source if isinstance(source, ECM) else source.ecm
    return {c: by_id[key_id(c)] for c in ecm.clips() if key_id(c) in by_id}


def click_clip(browser_page, doc: dict, clip, label: str) -> dict:
    """A real mouse click on the node drawn for ``clip`` (shown as ``label``); the panel it opens."""
    index = [c["id"] for c in doc["clips"]].index(key_id(clip))
    browser_page.page.mouse.click(*browser_page.node_point(key_id(clip), index))
    browser_page.wait_for(f"() => {{ const p = window.psGraph.panel(); return p && p.clip === {json.dumps(label)}; }}")
    return browser_page.evaluate("() => window.psGraph.panel()")


def find_probabilities(value, expected: dict) -> bool:
    """Whether some object inside ``value`` maps exactly ``expected``'s keys to its numbers (to 1e-12)."""
    if isinstance(value, dict):
        if set(value) == set(expected) and all(
            isinstance(value[k], (int, float)) and abs(value[k] - p) <= TOL for k, p in expected.items()
        ):
            return True
        value = list(value.values())
    return isinstance(value, list) and any(find_probabilities(v, expected) for v in value)


# ---------------------------------------------------------------------- asking a clip
def test_clicking_a_percept_shows_its_explanation(frozenlake, tmp_path, browser_page):
    agent, _ = frozenlake
    doc, _ = open_explorer(browser_page, agent, tmp_path / "frozenlake.html")
    names = names_by_key(agent, doc)
    k = max(len(entry["walks"]) for entry in doc["percepts"].values())
    start = percept_clip(0)
    panel = click_clip(browser_page, doc, start, names[start])  # a real click on the start state's node
    highlighted = browser_page.evaluate("() => window.psGraph.highlighted()")
    assert_explained(panel, highlighted, explain(agent, 0, k=k), names)
    browser_page.screenshot("clicked start state")
    for clip in agent.ecm.clips("percept"):  # and every other percept, through the API
        panel = select(browser_page, names[clip])
        highlighted = browser_page.evaluate("() => window.psGraph.highlighted()")
        assert_explained(panel, highlighted, explain(agent, clip, k=k), names)
    assert browser_page.evaluate("(label) => window.psGraph.select(label)", "no such clip") is False


def test_walks_through_hidden_clips(tmp_path, browser_page):
    ecm = deep_ecm()
    doc, _ = open_explorer(browser_page, ecm, tmp_path / "deep.html", physics=False)
    names = names_by_key(ecm, doc)
    panel = click_clip(browser_page, doc, S1, "s1")
    highlighted = browser_page.evaluate("() => window.psGraph.highlighted()")
    e = explain(ecm, S1, k=5)  # s1 -> left 1/2, s1 -> h0 -> left 3/16, s1 -> h1 -> left 1/8, ...
    assert [p for _, p in e.paths] == [0.5, 0.1875, 0.125, 0.125, 0.0625]
    assert_explained(panel, highlighted, e, names)
    edges = {edge["to"]: edge for edge in panel["edges"]}
    assert set(edges) == {"left", "h0", "h1"} and edges["h0"]["p"] == 0.25 and edges["left"]["h"] == 2.0
    browser_page.screenshot("s1 selected")


# ---------------------------------------------------------------------- the timeline
def test_the_timeline_slider_shows_the_snapshots(frozenlake, tmp_path, browser_page):
    agent, timeline = frozenlake
    doc, _ = open_explorer(browser_page, agent, tmp_path / "timeline.html", timeline=timeline)
    names = names_by_key(agent, doc)
    assert browser_page.evaluate("() => window.psGraph.snapshots()") == len(timeline) == 7
    start = percept_clip(0)
    select(browser_page, names[start])
    column = {target: j for j, (source, target) in enumerate(timeline.edges) if source == start}
    h, p = timeline.h, timeline.probability
    for i in range(len(timeline)):
        panel = browser_page.evaluate("(i) => { window.psGraph.setSnapshot(i); return window.psGraph.panel(); }", i)
        assert browser_page.evaluate("() => window.psGraph.snapshot()") == i
        shown = {edge["to"]: (edge["h"], edge["p"]) for edge in panel["edges"] if edge["h"] is not None}
        recorded = {names[t]: (float(h[i, j]), float(p[i, j])) for t, j in column.items() if not h.mask[i, j]}
        assert shown.keys() == recorded.keys(), i
        for target, (hv, pv) in recorded.items():
            assert abs(shown[target][0] - hv) <= TOL and abs(shown[target][1] - pv) <= TOL, (i, target)
        if i == 3:
            browser_page.screenshot("snapshot 3")
        # the threshold filter reads the snapshot's probabilities
        assert set_view(browser_page, threshold=0.3) == expected_drawn(doc, 0.3, selected=key_id(start), snapshot=i), i
        set_view(browser_page)
    final = browser_page.evaluate("() => { window.psGraph.setSnapshot(-1); return window.psGraph.panel(); }")
    edges = agent.ecm.graph.edges
    assert {e["to"]: e["h"] for e in final["edges"]} == {names[t]: edges[start, t]["h"] for t in column}


def test_without_a_timeline_there_are_no_snapshots(tmp_path, browser_page):
    open_explorer(browser_page, deep_ecm(), tmp_path / "no_timeline.html")
    assert browser_page.evaluate("() => window.psGraph.snapshots()") == 0


# ---------------------------------------------------------------------- filters
@pytest.mark.parametrize(
    "threshold, kinds, by_hand",
    [
        (0.0, KINDS, (7, 11)),
        (0.5, KINDS, (7, 7)),  # every edge with P >= 1/2: s1->left, s2->*, s3->h1, h0->left, h1->*
        (0.6, KINDS, (4, 2)),  # s3 -> h1 (3/4) and h0 -> left (3/4)
        (0.8, KINDS, (0, 0)),
        (0.0, ["percept", "action"], (5, 4)),
        (0.0, ["hidden", "action"], (4, 4)),
        (0.5, ["percept", "action"], (4, 3)),
    ],
)
def test_filters_change_the_drawn_counts(threshold, kinds, by_hand, tmp_path, browser_page):
    doc, _ = open_explorer(browser_page, deep_ecm(), tmp_path / "deep.html", physics=False)
    assert browser_page.evaluate("() => window.psGraph.drawn()") == expected_drawn(doc)  # everything at first
    expected = expected_drawn(doc, threshold, kinds)
    assert (expected["nodes"], expected["edges"]) == by_hand
    assert set_view(browser_page, threshold, kinds) == expected
    assert set_view(browser_page) == expected_drawn(doc)  # and back


def test_neighbourhood_and_selection_filters(frozenlake, tmp_path, browser_page):
    agent, _ = frozenlake
    doc, _ = open_explorer(browser_page, agent, tmp_path / "frozenlake.html")
    names = names_by_key(agent, doc)
    start = percept_clip(0)
    select(browser_page, names[start])
    assert set_view(browser_page, neighbourhood=1) == {"nodes": 5, "edges": 4}  # the state and its 4 actions
    assert set_view(browser_page, neighbourhood=1) == expected_drawn(doc, neighbourhood=1, selected=key_id(start))
    browser_page.screenshot("neighbourhood of the start state")
    assert set_view(browser_page, threshold=1.0) == {"nodes": 1, "edges": 0}  # the selected clip stays
    assert set_view(browser_page) == expected_drawn(doc)

    deep = deep_ecm()
    doc, _ = open_explorer(browser_page, deep, tmp_path / "deep.html", physics=False)
    select(browser_page, HOSTILE)  # s2: its neighbourhood is its two edges, whichever way steps go
    assert (
        set_view(browser_page, neighbourhood=1)
        == expected_drawn(doc, 0.0, KINDS, 1, key_id(S2))
        == {
            "nodes": 3,
            "edges": 2,
        }
    )
    assert set_view(browser_page, 0.8) == {"nodes": 1, "edges": 0}
    # hidden clips collapsed: one summary edge per percept and action, its exact probability
    collapse = "(on) => { window.psGraph.collapseHidden(on); return window.psGraph.drawn(); }"
    assert browser_page.evaluate(collapse, True) == collapsed_drawn(deep, 0.8, selected=S2) == {"nodes": 3, "edges": 1}
    browser_page.screenshot("hidden clips collapsed")
    assert set_view(browser_page) == collapsed_drawn(deep, 0.0, selected=S2) == {"nodes": 5, "edges": 6}
    browser_page.evaluate("() => window.psGraph.collapseHidden(false)")
    assert set_view(browser_page) == expected_drawn(doc, selected=key_id(S2))


# ---------------------------------------------------------------------- scale
def big_ecm(clips: int = 10_000, actions: int = 4, seed: int = 0) -> ECM:
    """``clips`` clips: ``actions`` actions and percepts, each percept with an edge to every action."""
    rng = np.random.default_rng(seed)
    ecm = ECM()
    for a in range(actions):
        ecm.add_action(("action", a), label=f"action {a}")
    percepts = [("percept", i) for i in range(clips - actions)]
    h = 1.0 + rng.exponential(2.0, size=(len(percepts), actions))
    for clip, row in zip(percepts, h.tolist()):
        ecm.add_percept(clip, label=f"state {clip[1]}")
        for a, value in enumerate(row):
            ecm.add_edge(clip, ("action", a), h=value)
    ecm.set_visits(percepts[0], 10)
    return ecm


def test_a_10000_clip_ecm_opens_and_responds(tmp_path, browser_page):
    ecm = big_ecm()
    assert len(ecm) == 10_000
    doc, seconds = open_explorer(browser_page, ecm, tmp_path / "big.html")
    assert seconds < OPEN_10K_S, f"the 10,000-clip page took {seconds:.1f} s to be ready (limit {OPEN_10K_S} s)"
    drawn = browser_page.evaluate("() => window.psGraph.drawn()")
    assert 0 < drawn["nodes"] <= 400, drawn  # a sensible default view, not the whole ECM
    label = "state 9000"
    start = time.monotonic()
    panel = select(browser_page, label)
    drawn = browser_page.evaluate("() => window.psGraph.drawn()")
    took = time.monotonic() - start
    assert took < SELECT_10K_S, f"select took {took:.2f} s (limit {SELECT_10K_S} s)"
    e = explain(ecm, ("percept", 9000))
    assert panel["probabilities"] == pytest.approx({f"action {a[1]}": p for a, p in e.probabilities.items()}, abs=TOL)
    assert 0 < drawn["nodes"] <= 400
    browser_page.screenshot("state 9000 selected")
    assert browser_page.requests == [(tmp_path / "big.html").resolve().as_uri()]  # nothing left the page


# ---------------------------------------------------------------------- safety, comparison
def test_hostile_labels_show_as_text(tmp_path, browser_page):
    title = "<b>bold</b> & </script><script>window.pwned = 2</script>"
    doc, _ = open_explorer(browser_page, deep_ecm(), tmp_path / "hostile.html", title=title, physics=False)
    assert HOSTILE in labels_of(doc).values()
    text = "() => document.body.innerText"
    before = browser_page.evaluate(text).count(HOSTILE)
    panel = select(browser_page, HOSTILE)
    assert set(panel["probabilities"]) == {"left", "right"}
    assert browser_page.evaluate(text).count(HOSTILE) > before  # the panel shows it, as text
    assert title in browser_page.evaluate(text)
    assert browser_page.evaluate("() => typeof window.pwned") == "undefined"
    assert browser_page.evaluate("() => document.querySelectorAll('img, b').length") == 0  # no label became markup
    browser_page.screenshot("hostile label selected")
    assert browser_page.requests == [(tmp_path / "hostile.html").resolve().as_uri()]


def test_the_compare_page_shows_both_agents(tmp_path, browser_page):
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agents = []
    for episodes, name in ((300, "a"), (40, "b")):
        agent = PSAgent.for_env(env, eta_glow_damping=0.04, seed=3)
        train(agent, env, episodes=episodes, seed=3)
        agents.append(agent)
        save(agent, tmp_path / f"{name}.json")
    out = tmp_path / "compare.html"
    cli = ["inspect", str(tmp_path / "a.json"), "--compare", str(tmp_path / "b.json"), "--html", str(out)]
    assert cli_main(cli) == 0
    browser_page.open(out, ready=EXPLORER_READY)
    doc = document(out.read_text(encoding="utf-8"))
    assert doc["compare"] is not None
    names = names_by_key(agents[0], doc)
    start = percept_clip(0)
    panel = select(browser_page, names[start])
    for agent in agents:
        expected = {names[a]: p for a, p in explain(agent, 0).probabilities.items()}
        assert find_probabilities(panel, expected), (expected, panel)
    browser_page.screenshot("compare start state")
