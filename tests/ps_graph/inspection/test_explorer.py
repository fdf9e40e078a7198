"""The ECM explorer's Python side (ps_graph.inspection.explorer and the page of viz): the JSON
document's numbers against explain and the Timeline, comparison, labels, the policy map, speed at
10,000 clips, escaping, no external reference, the command line and the report. No browser here
(test_explorer_browser.py drives the page)."""

from __future__ import annotations

import copy
import html
import json
import re
import time
from html.parser import HTMLParser

import gymnasium as gym
import networkx as nx
import numpy as np
import pytest

import ps_graph
from ps_graph import ECM, PSAgent, TwoLayerPS, train
from ps_graph.cli import main
from ps_graph.errors import ConfigError
from ps_graph.inspection import Timeline, explain
from ps_graph.inspection.explorer import LARGE_ECM, explorer_data
from ps_graph.inspection.viz import read_data, show, to_html, write_html
from ps_graph.keys import key_id
from ps_graph.training import TrainResult
from tests.factories import make_ecm

P1, P2, HID, A, B = ("percept", "p1"), ("percept", "p2"), ("hidden", 0), ("action", 0), ("action", 1)
HOSTILE = "</script><img src=x onerror=alert(1)>"
# a reference to anything outside the page: src/href to a URL, CSS @import, url(http...)
EXTERNAL = re.compile(
    r"""(?:\bsrc|\bhref)\s*=\s*["']?\s*(?:https?:|ftp:)?//|@import|url\(\s*["']?\s*(?:https?:)?//""",
    re.IGNORECASE,
)


def small_ecm(labels=None, **options) -> ECM:
    """p1 -> a (h 2), b (h 1), hidden (h 1): P = 1/2, 1/4, 1/4; hidden -> a (h 3), b (h 1):
    P = 3/4, 1/4; p2 -> a, b (h 1 each): P = 1/2, 1/2. So p1 ends at a with 1/2 + 1/4 * 3/4."""
    edges = {P1: {A: 2.0, B: 1.0, HID: 1.0}, HID: {A: 3.0, B: 1.0}, P2: {A: 1.0, B: 1.0}}
    ecm = make_ecm([P1, P2], [A, B], edges, hidden=[HID], labels=labels, **options)
    ecm.set_glow(P1, A, 1.0)
    ecm.set_visits(P1, 4)
    return ecm


def frozen_lake_agent(episodes: int, seed: int = 3, timeline: Timeline | None = None) -> PSAgent:
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = PSAgent.for_env(env, eta_glow_damping=0.04, seed=seed)
    if timeline is not None:
        timeline.snapshot(agent, episode=0)
    train(agent, env, episodes=episodes, seed=seed, callback=timeline)
    return agent


def assert_like_explain(entry: dict, actions: list, explanation) -> None:
    """A percept entry holds explain's probabilities (to 1e-12, under the document's
    ``actions`` labels), walks and covered mass."""
    names = {a["id"]: a["label"] for a in actions}
    expected = {names[key_id(a)]: p for a, p in explanation.probabilities.items()}
    assert list(entry["probabilities"]) == list(expected)
    assert entry["probabilities"] == pytest.approx(expected, abs=1e-12, rel=0)
    assert [w["clips"] for w in entry["walks"]] == [[key_id(c) for c in path] for path, _ in explanation.paths]
    assert [w["p"] for w in entry["walks"]] == pytest.approx([p for _, p in explanation.paths], abs=1e-12, rel=0)
    assert entry["covered"] == pytest.approx(explanation.covered, abs=1e-12)


# ---------------------------------------------------------------------- the document
def test_clips_edges_and_percepts_of_a_small_ecm():
    ecm = small_ecm({P1: "first", A: "left", B: "right"})
    data = explorer_data(ecm, k=3)
    assert data["version"] == 1 and data["title"] == "ECM: 5 clips, 7 edges"
    assert data["actions"] == [{"id": key_id(A), "label": "left"}, {"id": key_id(B), "label": "right"}]
    assert [(c["id"], c["kind"], c["layer"], c["label"], c["visits"]) for c in data["clips"]] == [
        (key_id(P1), "percept", 0, "first", 4),
        (key_id(P2), "percept", 0, str(P2), 0),
        (key_id(HID), "hidden", 1, str(HID), 0),
        (key_id(A), "action", 2, "left", 0),
        (key_id(B), "action", 2, "right", 0),
    ]
    edges = {(e["from"], e["to"]): e for e in data["edges"]}
    assert len(data["edges"]) == 7
    assert edges[key_id(P1), key_id(A)] == {"from": key_id(P1), "to": key_id(A), "h": 2.0, "glow": 1.0, "p": 0.5}
    assert edges[key_id(HID), key_id(A)]["p"] == 0.75
    for clip in (P1, HID, P2):
        for target, p in ecm.probabilities(clip).items():
            assert edges[key_id(clip), key_id(target)]["p"] == p
    assert set(data["percepts"]) == {key_id(P1), key_id(P2)}
    p1 = data["percepts"][key_id(P1)]
    assert p1["probabilities"] == pytest.approx({"left": 0.6875, "right": 0.3125}, abs=1e-12)  # by hand
    assert [(w["clips"], w["p"]) for w in p1["walks"]] == [
        ([key_id(P1), key_id(A)], 0.5),
        ([key_id(P1), key_id(B)], 0.25),
        ([key_id(P1), key_id(HID), key_id(A)], 0.1875),
    ]
    for clip in (P1, P2):  # the hidden-layer percept (explain) and the 2-layer one (read directly)
        assert_like_explain(data["percepts"][key_id(clip)], data["actions"], explain(ecm, clip, k=3))
    assert data["snapshots"] == [] and data["compare"] is None and data["policy_map"] is None
    assert data["default_view"] == {
        "threshold": 0.0,
        "kinds": ["percept", "hidden", "action"],
        "neighbourhood": None,
        "selected": None,
        "physics": True,
    }
    json.dumps(data, allow_nan=False)  # plain JSON


def test_priming_ties_and_unreachable_actions_match_explain():
    ecm = make_ecm(
        ["s", "t", "u"],
        ["a", "b", "c"],
        {"s": {"a": 1.0, "b": 1.0, "c": 1.0}, "t": {"c": 2.0, "a": 0.5}, "u": {}},
        policy="softmax",
        beta_softmax=2.0,
    )
    ecm.set_priming({"b": 0.3})
    data = explorer_data(ecm, k=2)
    for clip in ("s", "t"):
        assert_like_explain(data["percepts"][key_id(clip)], data["actions"], explain(ecm, clip, k=2))
        edge_p = {e["to"]: e["p"] for e in data["edges"] if e["from"] == key_id(clip)}
        assert edge_p == {key_id(t): p for t, p in ecm.probabilities(clip).items()}  # priming included
    # s: a and c tie below b; ties keep edge order (a first), as explain's search
    assert [w["clips"][-1] for w in data["percepts"][key_id("s")]["walks"]] == [key_id("b"), key_id("a")]
    assert list(data["percepts"][key_id("t")]["probabilities"]) == ["a", "c"]  # action order, not edge order
    assert data["percepts"][key_id("u")] == {"probabilities": {}, "walks": [], "covered": 0.0}  # no edges yet


def test_a_trained_agent_and_its_fast_twin():
    agent = frozen_lake_agent(80)
    data = explorer_data(agent, k=4)
    assert len(data["clips"]) == len(agent.ecm) and len(data["edges"]) == agent.ecm.num_edges
    for clip in agent.ecm.clips("percept"):
        assert_like_explain(data["percepts"][key_id(clip)], data["actions"], explain(agent, clip, k=4))
    env = gym.make("FrozenLake-v1", is_slippery=False)
    fast = TwoLayerPS.for_env(env, eta_glow_damping=0.04, seed=3)
    train(fast, env, episodes=80, seed=3)
    twin = explorer_data(fast, k=4)
    assert [(e["from"], e["to"]) for e in twin["edges"]] == [(e["from"], e["to"]) for e in data["edges"]]
    assert [e["h"] for e in twin["edges"]] == pytest.approx([e["h"] for e in data["edges"]])


def test_the_agent_is_not_changed():
    agent = frozen_lake_agent(30)

    def state():
        return copy.deepcopy(nx.node_link_data(agent.ecm.graph, edges="edges"))

    before = state()
    to_html(agent, compare=frozen_lake_agent(10, seed=1), grid=(4, 4), decision=0)
    assert state() == before


def test_multi_excitation_gives_an_entry_per_deciding_clip():
    agent = PSAgent(2, gym.spaces.MultiDiscrete([2, 2]), percepts="factorized", seed=0)
    for clip in agent.percepts([1, 0]):
        agent.ecm.add_edge(clip, ("action", 1), h=3.0)
    data = explorer_data(agent)
    clips = agent.ecm.clips("percept")
    assert set(data["percepts"]) == {key_id(c) for c in clips}
    for clip in clips:  # what each feature clip chooses when it decides
        assert_like_explain(data["percepts"][key_id(clip)], data["actions"], explain(agent.ecm, clip))


# ---------------------------------------------------------------------- timeline, comparison
def test_snapshots_hold_the_timelines_values_per_edge():
    timeline = Timeline(every=20)
    agent = frozen_lake_agent(60, timeline=timeline)
    data = explorer_data(agent, timeline=timeline)
    pairs = [(e["from"], e["to"]) for e in data["edges"]]
    column = {(key_id(s), key_id(t)): j for j, (s, t) in enumerate(timeline.edges)}
    assert [s["episode"] for s in data["snapshots"]] == timeline.episodes.tolist() == [0, 20, 40, 60]
    assert [s["label"] for s in data["snapshots"]] == ["episode 0", "episode 20", "episode 40", "episode 60"]
    assert all(v is None for v in data["snapshots"][0]["h"])  # a fresh agent has no edges yet
    present, h, p = timeline.present, timeline.h, timeline.probability
    for s, snap in enumerate(data["snapshots"]):
        assert len(snap["h"]) == len(snap["p"]) == len(snap["glow"]) == len(pairs)
        assert all(g is None for g in snap["glow"])  # a Timeline records no glow
        for j, pair in enumerate(pairs):
            col = column[pair]
            if present[s, col]:
                assert (snap["h"][j], snap["p"][j]) == (float(h[s, col]), float(p[s, col]))
            else:
                assert snap["h"][j] is None and snap["p"][j] is None
    last = data["snapshots"][-1]
    assert last["h"] == pytest.approx([e["h"] for e in data["edges"]])  # the final snapshot is now

    with pytest.raises(ConfigError, match="shares no edge"):
        explorer_data(small_ecm(), timeline=timeline)
    with pytest.raises(ConfigError, match="timeline must be a ps_graph.inspection.Timeline"):
        explorer_data(agent, timeline=[1, 2])


def test_compare_gives_the_second_agents_probabilities_on_the_same_edges():
    a, b = frozen_lake_agent(80), frozen_lake_agent(5, seed=1)
    data = explorer_data(a, compare=b, compare_title="B")
    comparison = data["compare"]
    assert comparison["title"] == "B" and len(comparison["p"]) == len(data["edges"])
    shared = 0
    for edge, p_b in zip(data["edges"], comparison["p"]):
        source, target = (ps_graph.keys.key_from_id(edge[k]) for k in ("from", "to"))
        if source in b.ecm and target in b.ecm.probabilities(source):
            shared += 1
            assert p_b == b.ecm.probabilities(source)[target]
        else:
            assert p_b is None
    assert 0 < shared < len(data["edges"])  # b has seen fewer percepts
    assert set(comparison["percepts"]) == {key_id(c) for c in b.ecm.clips("percept") if c in a.ecm}
    for clip in b.ecm.clips("percept"):
        assert_like_explain(comparison["percepts"][key_id(clip)], data["actions"], explain(b, clip))
    with pytest.raises(ConfigError, match="shares no clip"):
        explorer_data(a, compare=small_ecm())


# ---------------------------------------------------------------------- labels, policy map, view
def test_labels_from_the_agent_an_argument_or_a_dict():
    agent = frozen_lake_agent(20)
    assert agent.labels is not None  # FrozenLake's own labels, saved with the agent
    data = explorer_data(agent)
    assert [a["label"] for a in data["actions"]] == ["LEFT", "DOWN", "RIGHT", "UP"]
    by_id = {c["id"]: c["label"] for c in data["clips"]}
    assert by_id[key_id(("percept", 14))] == agent.labels.clip(("percept", 14))
    assert set(data["percepts"][key_id(("percept", 0))]["probabilities"]) == {"LEFT", "DOWN", "RIGHT", "UP"}
    mine = explorer_data(small_ecm(), labels={P1: "start", A: "go", B: "go"})
    names = [c["label"] for c in mine["clips"]]
    assert names == ["start", str(P2), str(HID), f"go [{key_id(A)}]", f"go [{key_id(B)}]"]  # repeats get ids
    assert set(mine["percepts"][key_id(P2)]["probabilities"]) == {f"go [{key_id(A)}]", f"go [{key_id(B)}]"}
    with pytest.raises(ConfigError, match="labels must be a ps_graph.labels.Labels"):
        explorer_data(small_ecm(), labels=["a", "b"])


def test_policy_map_of_a_grid_world():
    agent = frozen_lake_agent(150)
    env = gym.make("FrozenLake-v1", is_slippery=False)
    data = explorer_data(agent, grid=env)
    grid = data["policy_map"]
    assert (grid["rows"], grid["cols"], len(grid["cells"])) == (4, 4, 16)
    for cell in grid["cells"]:
        state = cell["row"] * 4 + cell["col"]
        clip = ("percept", state)
        assert cell["tile"] == "SFFFFHFHFFFHHFFG"[state]
        if clip in agent.ecm:
            probs = data["percepts"][key_id(clip)]["probabilities"]
            assert cell["clip"] == key_id(clip) and cell["label"] == agent.labels.clip(clip)
            assert cell["p"] == max(probs.values()) and probs[cell["action"]] == cell["p"]
        else:
            assert (cell["clip"], cell["action"], cell["p"]) == (None, None, None)
    assert explorer_data(agent)["policy_map"]["rows"] == 4  # the agent's labels know the grid
    assert explorer_data(agent, grid=(2, 8))["policy_map"]["cols"] == 8


def test_default_view_of_a_large_ecm_and_the_view_options():
    agent = PSAgent(2, gym.spaces.Discrete(LARGE_ECM + 10), seed=0)
    for s in range(LARGE_ECM):
        agent.percept(s)
    agent.act(7)
    view = explorer_data(agent)["default_view"]
    assert view == {
        "threshold": 0.0,
        "kinds": ["percept", "hidden", "action"],
        "neighbourhood": 1,
        "selected": key_id(("percept", 7)),  # the most visited percept
        "physics": False,
    }
    small = explorer_data(small_ecm(), min_probability=0.3, selected=P2, physics=False)["default_view"]
    assert [small[k] for k in ("threshold", "selected", "neighbourhood", "physics")] == [0.3, key_id(P2), None, False]
    part = explorer_data(small_ecm(), percepts=[P2])
    assert [c["id"] for c in part["clips"]] == [key_id(c) for c in (P2, A, B)]
    assert list(part["percepts"]) == [key_id(P2)]
    marked = explorer_data(frozen_lake_agent(20), decision=0)
    assert marked["default_view"]["selected"] == key_id(("percept", 0))
    assert marked["decision"]["edges"][0][0] == key_id(("percept", 0))


@pytest.mark.parametrize(
    "options, match",
    [
        ({"k": 0}, "k must be an integer >= 1"),
        ({"max_expansions": 0}, "max_expansions must be an integer >= 1"),
        ({"min_probability": 1.5}, "min_probability must be a finite number in"),
        ({"physics": "yes"}, "physics must be True, False or None"),
        ({"max_physics_clips": -1}, "max_physics_clips must be an integer >= 0"),
        ({"title": 3}, "title must be a string"),
        ({"grid": (4,)}, "a grid shape is (nrows, ncols)"),
        ({"percepts": "p1"}, "Wrap a single one in a list"),
        ({"selected": A}, "is an action clip"),
    ],
)
def test_bad_options(options, match):
    with pytest.raises(ConfigError, match=re.escape(match)):
        explorer_data(small_ecm(), **options)
    with pytest.raises(ConfigError, match="height must be"):
        to_html(small_ecm(), height="1px; background: url(http://x)")


def test_ten_thousand_clips_build_in_seconds():
    agent = PSAgent(4, gym.spaces.Discrete(10_000), seed=0)
    for s in range(10_000 - 4):
        agent.percept(s)
    assert len(agent.ecm) == 10_000
    start = time.perf_counter()
    page = to_html(agent)
    elapsed = time.perf_counter() - start
    assert elapsed < 20.0, f"the page of 10,000 clips took {elapsed:.1f} s"
    data = read_data(page)
    assert len(data["clips"]) == 10_000 and len(data["percepts"]) == 9_996
    assert data["default_view"]["neighbourhood"] == 1 and data["default_view"]["physics"] is False


# ---------------------------------------------------------------------- the page
class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(page: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(page)
    parser.close()
    return parser.tags


def test_hostile_labels_appear_only_escaped():
    ecm = small_ecm({P1: HOSTILE, HID: '<img src=y onerror="x()">', A: "&lt;b&gt; & <b>bold</b>"})
    page = to_html(ecm, title=HOSTILE)
    assert "<img src=x" not in page and "<img src=y" not in page and "<b>bold" not in page
    assert page.count("</script>") == 3  # the data block, vis-network and the explorer's script
    scripts = [attrs.get("id") for tag, attrs in elements(page) if tag == "script"]
    assert scripts == ["ps-graph-data", None, None]
    assert not any(tag == "img" for tag, _ in elements(page))
    data = read_data(page)
    assert data["title"] == HOSTILE and data["clips"][0]["label"] == HOSTILE  # the text itself, verbatim
    assert f"<title>{html.escape(HOSTILE, quote=False)}</title>" in page.replace("&#39;", "'")


def test_no_external_references_and_vis_network_inlined():
    assert EXTERNAL.search('<link href="https://cdn.example/x.css">')  # the check itself works
    for page in (to_html(small_ecm()), to_html(frozen_lake_agent(20), compare=frozen_lake_agent(5, seed=1))):
        assert EXTERNAL.search(page) is None
        assert not [attrs for _, attrs in elements(page) if "src" in attrs or "href" in attrs]
        assert "vis.Network" in page or "vis-network" in page


def test_write_html_and_show(tmp_path):
    ecm = small_ecm()
    path = write_html(ecm, tmp_path / "sub" / "ecm.html", min_probability=0.5)
    assert path.read_text(encoding="utf-8") == to_html(ecm, min_probability=0.5)
    assert [p.name for p in path.parent.iterdir()] == ["ecm.html"]  # no temporary file left
    shown = show(ecm, height=400).data
    srcdoc = re.search(r'<iframe srcdoc="([^"]*)"', shown).group(1)
    assert html.unescape(srcdoc) == to_html(ecm, height=400)
    assert 'sandbox="allow-scripts"' in shown
    with pytest.raises(ConfigError, match="holds no explorer data"):
        read_data("<html></html>")


# ---------------------------------------------------------------------- command line, report
@pytest.fixture(scope="module")
def saved_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explorer")
    a = ps_graph.save(frozen_lake_agent(60), folder / "a.json")
    b = ps_graph.save(frozen_lake_agent(10, seed=1), folder / "b.json")
    return a, b


def test_cli_html_and_compare_write_the_explorer(saved_pair, tmp_path, capsys):
    a, b = saved_pair
    out = tmp_path / "a.html"
    assert main(["inspect", str(a), "--html", str(out)]) == 0
    data = read_data(out.read_text(encoding="utf-8"))
    assert data["title"] == "ECM of a.json" and data["compare"] is None and data["policy_map"]["rows"] == 4
    assert data["actions"][0]["label"] == "LEFT"  # the labels saved with the agent
    both = tmp_path / "ab.html"
    assert main(["inspect", str(a), "--html", str(both), "--compare", str(b)]) == 0
    compared = read_data(both.read_text(encoding="utf-8"))["compare"]
    assert compared["title"] == "ECM of b.json" and any(p is not None for p in compared["p"])
    assert f"wrote {both}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--compare", "B"], "--compare adds a second agent to the explorer page: give --html OUT.html too"),
        (["--html", "OUT", "--compare", "missing.json"], "missing.json"),
        (["--html", "OUT", "--compare", "NOT_PS"], "shares no clip"),
    ],
)
def test_cli_bad_compare_gives_one_line(saved_pair, tmp_path, capsys, extra, message):
    a, b = saved_pair
    other = PSAgent(3, seed=0)  # another task: percepts named differently
    other.percept("elsewhere")
    not_ps = ps_graph.save(other, tmp_path / "other.json")
    swap = {
        "B": str(b),
        "OUT": str(tmp_path / "x.html"),
        "missing.json": str(tmp_path / "missing.json"),
        "NOT_PS": str(not_ps),
    }
    assert main(["inspect", str(a), *[swap.get(x, x) for x in extra]]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "x.html").exists()


def test_the_report_embeds_the_explorer(tmp_path):
    from ps_graph.report import write_report

    agent = frozen_lake_agent(30)
    run = TrainResult(np.zeros(30), np.ones(30, dtype=int), np.zeros(30, dtype=bool))
    page = write_report(
        {("ps", "lake"): [run]}, tmp_path, ecm_source=agent, ecm_title="run 0", ecm_options={"k": 2}, last=5
    ).read_text(encoding="utf-8")
    srcdoc = next(attrs["srcdoc"] for tag, attrs in elements(page) if tag == "iframe")
    assert srcdoc == to_html(agent, title="run 0", k=2)
    assert read_data(srcdoc)["percepts"] and EXTERNAL.search(page) is None


def test_a_multi_excitation_decision_names_only_drawn_clips():
    from ps_graph.growth import Conjunctions

    agent = PSAgent(2, gym.spaces.MultiDiscrete([2, 2]), percepts="factorized", growth=Conjunctions(k=2), seed=0)
    agent.act([1, 0])
    data = explorer_data(agent, decision=[1, 0], last_decision=True)
    ids = {c["id"] for c in data["clips"]}
    decision = data["decision"]
    assert decision["what"] == "the last decision" and decision["edges"]
    assert {c["id"] for c in decision["clips"]} <= ids and all(c["role"] for c in decision["clips"])
    assert {x for edge in decision["edges"] for x in edge} <= ids
    assert data["default_view"]["selected"] == decision["edges"][0][0]  # the decider that decided
    fresh = PSAgent(2, gym.spaces.MultiDiscrete([2, 2]), percepts="factorized", growth=Conjunctions(k=2), seed=0)
    fresh.percepts([1, 0])  # feature clips only: the conjunction that would decide is not created yet
    marked = explorer_data(fresh, decision=[1, 0])["decision"]
    assert {c["id"] for c in marked["clips"]} <= {c["id"] for c in explorer_data(fresh)["clips"]}
