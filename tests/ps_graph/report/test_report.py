"""The comparison report: one self-contained page (no external references), its files, the exact
optimum, the ECM of the re-trained PS agent, escaping; and the page in headless Chromium."""

import base64
import html
import re
from html.parser import HTMLParser

import numpy as np
import pytest

import ps_graph
from ps_graph.errors import ConfigError
from ps_graph.experiments import AgentSpec, EnvSpec, SummaryRow, compare, expand, run_spec, summarize
from ps_graph.inspection.viz import read_data, to_html
from ps_graph.report import Optimum, exact_optimum, format_summary, report_comparison, rerun, sections, write_report
from ps_graph.report.comparison import draws_ecm
from ps_graph.training import TrainResult

LAKE = EnvSpec("FrozenLake-v1", {"is_slippery": False})
AGENTS = [AgentSpec("ps-fast", {"eta_glow_damping": 0.2}, name="ps"), AgentSpec("q")]
BUDGET = {"episodes": 25, "max_steps": 30}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    results = compare(AGENTS, LAKE, out, runs=2, seed=4, jobs=1, progress=False, **BUDGET)
    page = report_comparison(
        results,
        AGENTS,
        LAKE,
        out,
        seed=4,
        **BUDGET,
        last=10,
        threshold=0.5,
        window=5,
        title="tiny <comparison>",
        settings={"command": "ps-graph compare --x <y>"},
        notes=["a & b"],
    )
    return out, results, page, page.read_text(encoding="utf-8")


class Collect(HTMLParser):
    """Every tag with its attributes, and the text of <style> elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.styles, self._in_style = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def parse(text):
    p = Collect()
    p.feed(text)
    p.close()
    return p


URL_ATTRS = {"src", "href", "srcset", "action", "formaction", "poster", "data", "background", "xlink:href", "ping"}


def external_references(text):
    """Attributes and CSS that would load something from outside the page."""
    page = parse(text)
    found = [
        (tag, name, value)
        for tag, attrs in page.tags
        for name, value in attrs.items()
        if name in URL_ATTRS and not (value or "").startswith(("data:", "#"))
    ]
    found += [("link", "rel", attrs.get("rel")) for tag, attrs in page.tags if tag == "link"]
    found += [("style", "url", css[:80]) for css in page.styles if re.search(r"url\(\s*(?!['\"]?data:)|@import", css)]
    return found


def test_the_folder_holds_the_page_csv_png_and_the_agent(report):
    out, results, page, _ = report
    assert page == out / "report.html"
    names = {p.name for p in out.iterdir()}
    assert {
        "report.html",
        "summary.csv",
        "curves-FrozenLake-v1-is_slippery=false.png",
        "ps_agent.json",
        "episodes.csv",
        "runs",
    } <= names
    rows = summarize(results, last=10, threshold=0.5, window=5)
    lines = (out / "summary.csv").read_text().splitlines()
    assert len(lines) == 1 + len(rows) and lines[1].startswith(f"ps,{LAKE.name},2,return,10,{rows[0].final_mean!r},")


def test_the_page_references_nothing_outside_itself(report):
    _, _, _, text = report
    assert external_references(text) == []
    iframes = [attrs for tag, attrs in parse(text).tags if tag == "iframe"]
    assert len(iframes) == 1
    inner = iframes[0]["srcdoc"]
    assert external_references(inner) == []
    assert [a for t, a in parse(inner).tags if t == "script" and "src" in a] == []
    # no script of its own in the report page: only the (sandboxed) ECM view runs any
    assert [t for t, _ in parse(text).tags if t == "script"] == []
    assert iframes[0]["sandbox"] == "allow-scripts"


def test_the_page_embeds_the_saved_png_files(report):
    out, _, _, text = report
    images = [attrs["src"] for tag, attrs in parse(text).tags if tag == "img"]
    png = (out / "curves-FrozenLake-v1-is_slippery=false.png").read_bytes()
    profile = (out / "profile.png").read_bytes()
    assert images == ["data:image/png;base64," + base64.b64encode(data).decode() for data in (png, profile)]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_the_page_shows_the_summary_table(report):
    _, results, _, text = report
    for row in summarize(results, last=10, threshold=0.5, window=5):
        cells = f'<td>{row.agent}</td><td>{html.escape(row.env)}</td><td class="num">2</td>'
        assert cells in text
        assert f"{row.final_mean:.3f} ± {row.final_ci:.3f}" in text and f"{row.auc:.3f} ± {row.auc_ci:.3f}" in text
        # final / exact optimum: the optimum is 1 (below), so the ratio is the final mean in percent
        assert f"{row.final_mean:.1%}" in text
    assert "episodes to 0.5 (window 5)" in text and "final return (last 10)" in text


def test_the_page_gives_the_exact_optimum_and_says_how(report):
    _, _, _, text = report
    # 4x4 not slippery: the goal is 6 steps away, well within max_steps=30, so return 1 with probability 1
    assert "best expected return within 30 steps (undiscounted): 1, reaching the goal with probability 1" in text
    assert "optimal_finite_horizon" in text


def test_the_iframe_holds_the_ecm_page_of_run_0_of_the_ps_agent(report):
    out, _, _, text = report
    srcdoc = next(attrs["srcdoc"] for tag, attrs in parse(text).tags if tag == "iframe")
    assert f'srcdoc="{html.escape(srcdoc, quote=True)}"' in text  # escaped once, as the attribute needs
    saved = ps_graph.load(out / "ps_agent.json")
    spec = expand(AGENTS, LAKE, runs=1, seed=4, **BUDGET)[0]
    assert spec.agent.name == "ps" and type(saved).__name__ == "TwoLayerPS"
    agent, _ = rerun(spec)
    assert np.array_equal(saved.h_matrix(), agent.h_matrix())
    title = html.unescape(re.search(r"<title>(.*?)</title>", srcdoc).group(1))
    assert title == f"ECM of ps, run 0 (seed {spec.seed}), after 25 episodes on {LAKE.name}"
    assert srcdoc == to_html(saved, title=title)
    assert "its 25 episodes match run 0&#x27;s recorded episodes exactly" in text
    assert "ps-graph inspect ps_agent.json" in text


def test_text_is_escaped(report):
    _, _, _, text = report
    assert "<title>tiny &lt;comparison&gt;</title>" in text and "<comparison>" not in text
    assert "ps-graph compare --x &lt;y&gt;" in text and '<p class="note">a &amp; b</p>' in text


def test_hostile_names_are_shown_as_text(tmp_path):
    run = TrainResult(np.array([0.0, 1.0]), np.array([3, 2]), np.array([True, True]))
    text = write_report({("<img src=x onerror=alert(1)>", 'e"nv'): [run]}, tmp_path, last=1).read_text()
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert external_references(text) == [] and "<iframe" not in text  # no ECM asked for


def test_a_large_ecm_is_drawn_from_its_most_visited_percepts(tmp_path, monkeypatch):
    monkeypatch.setattr(sections, "MAX_ECM_PERCEPTS", 60)  # (2,000 in use: the explorer handles large ECMs)
    agent = ps_graph.PSAgent(2, seed=0)
    for k in range(70):
        agent.percept(k)
    for _ in range(3):  # percept 69 is the most visited: it must be drawn
        agent.act(69)
        agent.observe(0.0, 69, False, False)
    run = TrainResult(np.array([0.0]), np.array([1]), np.array([True]))
    text = write_report({("ps", "env"): [run]}, tmp_path, ecm_source=agent, last=1).read_text()
    assert "the 60 most visited of 70 percept clips" in text
    srcdoc = next(attrs["srcdoc"] for tag, attrs in parse(text).tags if tag == "iframe")
    clips = read_data(srcdoc)["clips"]
    assert sum(c["kind"] == "percept" for c in clips) == 60 and "69" in {c["label"] for c in clips}
    assert (tmp_path / "ps_agent.json").is_file()


def test_an_agent_the_file_format_does_not_hold_is_drawn_but_not_saved(tmp_path, caplog):
    class Mine(ps_graph.PSAgent):  # a subclass: its state may not fit the PS agent file
        pass

    agent = Mine(2, seed=0)
    agent.percept(1)
    run = TrainResult(np.array([0.0]), np.array([1]), np.array([True]))
    text = write_report({("ps", "env"): [run]}, tmp_path, ecm_source=agent, last=1).read_text()
    assert "<iframe" in text and "ps-graph inspect" not in text and not (tmp_path / "ps_agent.json").exists()
    assert "does not save the agent" in caplog.text


def test_the_ecm_is_drawn_for_kinds_saved_in_the_ps_agent_format():
    from ps_graph.registry import register_agent, unregister_agent

    assert draws_ecm("ps") and draws_ecm("ps-fast")
    register_agent("ps-mine", "ps_graph.experiments.agents:build_ps", file_format="ps_graph.agent")
    register_agent("not-ps", "ps_graph.experiments.agents:build_ps", file_format="someone.else")
    try:
        assert draws_ecm("ps-mine") and not draws_ecm("not-ps")
    finally:
        unregister_agent("ps-mine")
        unregister_agent("not-ps")


def test_exact_optimum_hand_computed_cases():
    # CliffWalking: the safe shortest path from (3, 0) to (3, 11) is up, 11 x right, down = 13 steps of -1
    best = exact_optimum(EnvSpec("CliffWalking-v1"), max_steps=20)
    assert (best.method, best.horizon, best.value, best.comparable) == ("finite-horizon", 20, -13.0, True)
    # no episode limit: value iteration's discounted value, -(1 + 0.9 + ... + 0.9**12)
    best = exact_optimum("CliffWalking-v1", gamma=0.9)
    assert best.method == "value-iteration" and not best.comparable and best.success_probability is None
    assert best.value == pytest.approx(-sum(0.9**k for k in range(13)), abs=1e-8)
    assert "no episode limit" in best.describe()
    # FrozenLake's own limit (100) is the horizon when max_steps is larger
    assert exact_optimum(LAKE, max_steps=500).horizon == 100
    # no transition table: no optimum
    assert exact_optimum("CartPole-v1") is None and exact_optimum("ps_graph/InvasionGame-v0") is None


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda out: write_report({}, out), "non-empty dict"),
        (lambda out: write_report({("a", "e"): []}, out), "non-empty list of TrainResults"),
        (lambda out: write_report(RESULTS, out, optimum={"e": 1.0}), "Optimum values"),
        (lambda out: write_report(RESULTS, out, title=3), "title must be a string"),
        (lambda out: write_report(RESULTS, out, last=0), "last must be"),
        (lambda out: write_report(RESULTS, out / "file.txt"), "is not a folder"),
        (lambda out: exact_optimum(3), "environment id or an EnvSpec"),
        (lambda out: exact_optimum("FrozenLake-v1", max_steps=0), "max_steps must be"),
        (lambda out: rerun("ps"), "must be a RunSpec"),
        (lambda out: report_comparison(RESULTS, "ps", "FrozenLake-v1", out, episodes=5), "no runs of agent 'ps'"),
    ],
)
def test_bad_input_gets_a_clear_error_and_writes_nothing(tmp_path, call, message):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ConfigError, match=message):
        call(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


RESULTS = {("a", "e"): [TrainResult(np.array([1.0]), np.array([1]), np.array([True]))]}


def test_rerun_gives_the_agent_behind_the_recorded_curve():
    spec = expand("q", LAKE, runs=1, seed=2, episodes=15)[0]
    agent, result = rerun(spec)
    assert type(agent).__name__ == "QLearningAgent" and agent.episode == 15
    assert np.array_equal(result.returns, run_spec(spec).returns)


def test_format_summary_aligns_columns():
    # hand-made rows: the threshold column shows the median episode, or "not reached", with runs reached
    rows = [
        SummaryRow("ps", "E", 3, "return", 10, 0.75, 0.1, 0.5, 0.05, 0.9, 5, 12.5, 2),
        SummaryRow("q-learning", "E", 3, "return", 10, 1.0, 0.0, 0.25, 0.0, 0.9, 5, None, 1),
    ]
    assert format_summary(rows).splitlines() == [
        "agent       environment  runs  final return (last 10)  AUC (return)   episodes to 0.9 (window 5)",
        "ps          E               3  0.750 ± 0.100           0.500 ± 0.050  12.5 (2/3 runs)",
        "q-learning  E               3  1.000 ± 0.000           0.250 ± 0.000  not reached (1/3 runs)",
    ]
    assert format_summary([]) == "(no finished runs)"


def test_optimum_describe_says_which_computation():
    finite = Optimum("E", "finite-horizon", 0.74, 0.74, 100, 1.0).describe()
    assert "within 100 steps" in finite and "optimal_finite_horizon" in finite
    discounted = Optimum("E", "value-iteration", -12.2, None, None, 0.99).describe()
    assert "gamma = 0.99" in discounted and "value_iteration" in discounted and "not drawn" in discounted


# ---------------------------------------------------------------------- a real browser
FRAME_READY = "() => document.body.dataset.psgraphReady === '1' && !!window.psGraph"


def test_report_in_headless_chromium(report, browser_page):
    out, _, page, _ = report
    browser_page.open(page, ready="document.readyState === 'complete' && document.images[0].naturalWidth > 0")
    browser_page.evaluate("document.querySelector('iframe').scrollIntoView()")  # offscreen frames do not paint
    # the explorer runs in the sandboxed iframe (about:srcdoc); requests from both are watched
    frame = next(f for f in browser_page.page.frames if f != browser_page.page.main_frame)
    frame.wait_for_function(FRAME_READY, timeout=30_000, polling=50)
    drawn = frame.evaluate("window.psGraph.drawn()")
    # resource timing lists every fetch a document made, failed ones too (data: URIs are not fetches)
    fetched = frame.evaluate(RESOURCES) + browser_page.evaluate(RESOURCES)
    ecm = ps_graph.load(out / "ps_agent.json").to_ecm()
    assert drawn == {"nodes": len(ecm), "edges": ecm.num_edges}
    assert fetched == []
    assert browser_page.problems() == []
    browser_page.screenshot("report")


RESOURCES = "performance.getEntriesByType('resource').map(function (e) { return e.name; })"
