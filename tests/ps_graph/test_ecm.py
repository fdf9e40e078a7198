"""The ECM graph core: hand-computed learning, lazy values, walks, exact action probabilities."""

import networkx as nx
import numpy as np
import pytest

from ps_graph import ECM, ConfigError, RewardError, WalkError
from tests.factories import make_ecm


def three_by_two(**kw):
    ecm = ECM(**kw)
    for p in ("p0", "p1", "p2"):
        ecm.add_percept(p)
    for a in ("a0", "a1"):
        ecm.add_action(a)
    for p in ("p0", "p1", "p2"):
        ecm.connect(p, ["a0", "a1"])
    return ecm


def step(ecm, path, reward):
    ecm.decay_glow()
    ecm.excite(path)
    ecm.learn(reward)


def test_hand_computed_3x2_sequence():
    """gamma = 0.1, eta = 0.5, replace glow; every value below worked out by hand."""
    ecm = three_by_two(gamma_damping=0.1, eta_glow_damping=0.5)
    step(ecm, ["p0", "a1"], 1.0)  # h(p0,a1) = 1 - 0 + 1 * 1 = 2
    assert ecm.h("p0", "a1") == pytest.approx(2.0)
    step(ecm, ["p1", "a0"], 0.0)  # damping only: 2 - 0.1 * 1 = 1.9
    assert ecm.h("p0", "a1") == pytest.approx(1.9)
    assert ecm.edge_glow("p0", "a1") == pytest.approx(0.5)
    step(ecm, ["p2", "a1"], 2.0)
    # glows 0.25, 0.5, 1: h(p0,a1) = 1.9 - 0.09 + 0.5 = 2.31; h(p1,a0) = 2; h(p2,a1) = 3
    assert ecm.h("p0", "a1") == pytest.approx(2.31)
    assert ecm.h("p1", "a0") == pytest.approx(2.0)
    assert ecm.h("p2", "a1") == pytest.approx(3.0)
    assert ecm.h("p0", "a0") == pytest.approx(1.0)
    ecm.reset_glow()
    step(ecm, ["p0", "a0"], -1.0)
    # h(p0,a0) = 1 - 1 = 0 -> the floor; the rest damp: 2.179, 1.9, 2.8
    assert ecm.h("p0", "a0") == pytest.approx(1e-6)
    assert ecm.h("p0", "a1") == pytest.approx(2.179)
    assert ecm.h("p1", "a0") == pytest.approx(1.9)
    assert ecm.h("p2", "a1") == pytest.approx(2.8)
    p = ecm.probabilities("p0")
    assert p["a1"] == pytest.approx(2.179 / (2.179 + 1e-6))
    # reading the whole graph agrees with reading single edges
    g = ecm.graph
    assert g.edges["p2", "a1"]["h"] == pytest.approx(2.8)
    assert g.edges["p0", "a0"]["glow"] == pytest.approx(1.0)
    assert g.edges["p2", "a1"]["glow"] == 0.0


def test_accumulating_glow_by_hand():
    ecm = three_by_two(eta_glow_damping=0.5, glow="accumulate")
    step(ecm, ["p0", "a0"], 0.0)  # g = 1
    step(ecm, ["p0", "a0"], 1.0)  # g = 0.5 + 1 = 1.5, h = 1 + 1.5
    assert ecm.edge_glow("p0", "a0") == pytest.approx(1.5)
    assert ecm.h("p0", "a0") == pytest.approx(2.5)


def test_softmax_probabilities_read_from_ecm():
    ecm = three_by_two(policy="softmax", beta_softmax=2.0)
    ecm.add_edge("p0", "a1", h=1.0 + np.log(3.0))  # exp(2 ln 3) = 9 -> 0.9
    assert ecm.probabilities("p0")["a1"] == pytest.approx(0.9)


def test_lazy_reading_equals_eager_iteration():
    """Many steps of pure damping read lazily equal the step-by-step recursion."""
    ecm = three_by_two(gamma_damping=0.05, eta_glow_damping=0.3)
    step(ecm, ["p0", "a0"], 5.0)
    h = 6.0
    for _ in range(40):
        ecm.decay_glow()
        ecm.learn(0.0)
        h = h - 0.05 * (h - 1.0)
    assert ecm.h("p0", "a0") == pytest.approx(h, rel=1e-12)
    assert ecm.edge_glow("p0", "a0") == pytest.approx(0.7**40)


def test_learn_without_reward_touches_no_edge():
    ecm = three_by_two(gamma_damping=0.1)
    step(ecm, ["p0", "a0"], 1.0)
    stored = {clip: (row.stamp, list(row.h)) for clip, row in ecm._rows.items()}
    for _ in range(10):
        ecm.decay_glow()
        ecm.learn(0.0)
    # stored values and stamps untouched (lazy); reading applies the 10 missed steps
    assert {clip: (row.stamp, list(row.h)) for clip, row in ecm._rows.items()} == stored
    assert ecm.h("p0", "a0") == pytest.approx(1.0 + 0.9**10 * 1.0, rel=1e-12)


def test_glow_that_decays_to_zero_leaves_the_glowing_set():
    ecm = three_by_two(eta_glow_damping=1.0)
    step(ecm, ["p0", "a0"], 1.0)
    step(ecm, ["p1", "a0"], 1.0)
    assert list(ecm._store.glowing) == [("p1", "a0")]
    assert ecm.h("p0", "a0") == pytest.approx(2.0)


def test_graph_is_plain_networkx_with_scalar_attributes():
    ecm = three_by_two()
    step(ecm, ["p0", "a0"], 1.0)
    g = ecm.graph
    assert isinstance(g, nx.DiGraph)
    for _, data in g.nodes(data=True):
        assert set(data) == {"kind", "layer", "label", "visits"}
        assert all(isinstance(v, (str, int, float)) for v in data.values())
    for _, _, data in g.edges(data=True):
        assert set(data) == {"h", "glow"}
        assert all(type(v) is float for v in data.values())
    assert g.nodes["p0"]["visits"] == 1 and g.nodes["a0"]["visits"] == 1
    assert g.nodes["a0"]["layer"] == 1 and g.nodes["p0"]["layer"] == 0
    assert nx.is_directed_acyclic_graph(g)


def hidden_ecm():
    """p -> {x, y} hidden; x -> {a, b}; y -> {b, x}: a cycle-free 3-layer ECM."""
    edges = {"p": {"x": 1.0, "y": 3.0}, "x": {"a": 1.0, "b": 1.0}, "y": {"b": 1.0, "x": 1.0}}
    return make_ecm(["p"], ["a", "b"], edges, hidden=["x", "y"])


def test_walks_reach_actions_through_hidden_layers_with_exact_probabilities():
    ecm = hidden_ecm()
    # P(a) = P(p->x) * 1/2 + P(p->y) * P(y->x) * 1/2 = 1/4 * 1/2 + 3/4 * 1/2 * 1/2 = 5/16
    exact = ecm.action_probabilities("p")
    assert exact["a"] == pytest.approx(5 / 16)
    assert exact["b"] == pytest.approx(11 / 16)
    rng = np.random.default_rng(3)
    n = 20000
    ends = [ecm.walk("p", rng)[-1] for _ in range(n)]
    freq = ends.count("a") / n
    assert abs(freq - 5 / 16) < 4 * np.sqrt(5 / 16 * 11 / 16 / n)
    path = ecm.walk("p", rng)
    assert path[0] == "p" and ecm.kind(path[-1]) == "action" and len(path) in (3, 4)
    assert ecm.graph.nodes["a"]["layer"] == 2


def test_cycle_among_hidden_clips_has_exact_solution():
    ecm = ECM()
    ecm.add_percept("p")
    for c in ("x", "y"):
        ecm.add_hidden(c)
    ecm.add_action("a")
    ecm.add_action("b")
    ecm.add_edge("p", "x")
    ecm.add_edge("x", "y", h=2.0)  # x -> y 2/3, x -> a 1/3
    ecm.add_edge("x", "a")
    ecm.add_edge("y", "x", h=2.0)  # y -> x 2/3, y -> b 1/3
    ecm.add_edge("y", "b")
    # P_x(a) = 1/3 + 2/3 * 2/3 * P_x(a)  =>  P_x(a) = (1/3) / (5/9) = 3/5
    assert ecm.action_probabilities("p")["a"] == pytest.approx(0.6)


def test_walk_errors_are_clear():
    ecm = ECM(max_hops=5)
    ecm.add_percept("p")
    ecm.add_hidden("x")
    ecm.add_hidden("y")
    ecm.add_action("a")
    with pytest.raises(WalkError, match="no out-edges"):
        ecm.walk("p", np.random.default_rng(0))
    ecm.add_edge("p", "x")
    ecm.add_edge("x", "y")
    ecm.add_edge("y", "x")
    with pytest.raises(WalkError, match="max_hops=5"):
        ecm.walk("p", np.random.default_rng(0))
    with pytest.raises(WalkError, match="cycle"):
        ecm.action_probabilities("p")
    with pytest.raises(WalkError, match="action clip"):
        ecm.walk("a", np.random.default_rng(0))
    with pytest.raises(KeyError):
        ecm.walk("nope", np.random.default_rng(0))


def test_bad_building_input():
    ecm = three_by_two()
    with pytest.raises(ConfigError, match="already exists as a percept"):
        ecm.add_action("p0")
    with pytest.raises(ConfigError, match="not in the ECM"):
        ecm.add_edge("p0", "zzz")
    with pytest.raises(ConfigError, match="cannot have out-edges"):
        ecm.add_edge("a0", "a1")
    with pytest.raises(ConfigError, match="cannot be an edge target"):
        ecm.add_edge("p0", "p1")
    with pytest.raises(ConfigError, match="h must be"):
        ecm.add_edge("p0", "a0", h=-1.0)
    with pytest.raises(ConfigError, match="layer"):
        ecm.add_hidden("h", layer=0)
    with pytest.raises(KeyError):
        ecm.h("p0", "p1")


@pytest.mark.parametrize("reward", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_reward_raises_and_changes_nothing(reward):
    ecm = three_by_two(gamma_damping=0.1)
    step(ecm, ["p0", "a0"], 1.0)
    before = ecm.h("p0", "a0")
    ecm.decay_glow()
    with pytest.raises(RewardError, match="finite"):
        ecm.learn(reward)
    assert ecm.h("p0", "a0") == before


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"gamma_damping": 1.5}, "gamma_damping must be a finite number in \\[0.0, 1.0\\]; got 1.5"),
        ({"gamma_damping": -0.1}, "gamma_damping"),
        ({"eta_glow_damping": 0.0}, "eta_glow_damping must be a finite number in \\(0.0, 1.0\\]"),
        ({"policy": "greedy"}, "policy must be one of 'standard', 'softmax'; got 'greedy'"),
        ({"beta_softmax": 0}, "beta_softmax"),
        ({"glow": "sticky"}, "glow must be one of"),
        ({"h0": float("nan")}, "h0"),
        ({"h_floor": 2.0}, "h_floor"),
        ({"max_hops": 0}, "max_hops must be an integer >= 1"),
        ({"gamma_damping": "0.1"}, "gamma_damping"),
    ],
)
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        ECM(**kwargs)


@pytest.mark.parametrize("idle", [3, 60])  # 60 > the back-dating horizon at gamma = 0.5
@pytest.mark.parametrize("reward", [2.0, -0.5])
def test_reward_on_a_row_left_lazy_for_a_while(idle, reward):
    """Back-dated (recent, positive) and brought-up-to-date (old or negative) rewards agree
    with the step-by-step recursion."""
    gamma, eta = 0.5, 0.01
    ecm = three_by_two(gamma_damping=gamma, eta_glow_damping=eta)
    step(ecm, ["p0", "a0"], 3.0)  # h = 4, glow 1
    h, g = 4.0, 1.0
    for _ in range(idle):
        ecm.decay_glow()
        ecm.learn(0.0)
        h, g = h - gamma * (h - 1.0), g * (1 - eta)
    ecm.decay_glow()
    ecm.learn(reward)
    g *= 1 - eta
    h = max(h - gamma * (h - 1.0) + g * reward, 1e-6)
    assert ecm.h("p0", "a0") == pytest.approx(h, rel=1e-12)
    assert ecm.h("p0", "a1") == pytest.approx(1.0)


def test_label_and_reachable_read_the_structure():
    ecm = ECM()
    ecm.add_percept("s", label="start")
    ecm.add_percept("t")
    ecm.add_hidden("w")
    ecm.add_action("a")
    ecm.add_action("b")
    ecm.connect("s", ["w"])
    ecm.connect("w", ["a"])
    ecm.connect("t", ["b"])
    assert ecm.label("s") == "start" and ecm.label("w") == "w"
    assert ecm.reachable(["s"]) == {"s", "w", "a"}
    assert ecm.reachable(["s", "t"]) == {"s", "t", "w", "a", "b"}
    with pytest.raises(KeyError):
        ecm.label("nope")
