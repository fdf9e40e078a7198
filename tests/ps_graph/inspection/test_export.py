"""GraphML / GEXF / node-link JSON export: same nodes, edges and values as the ECM, keys
that survive the string ids, and a source left exactly as it was."""

import json

import gymnasium as gym
import networkx as nx
import numpy as np
import pytest

from ps_graph import ECM, ConfigError, PSAgent, TwoLayerPS, train
from ps_graph.inspection.export import to_export_graph, write_gexf, write_graphml, write_node_link_json
from ps_graph.keys import key_from_id, key_id
from tests.factories import make_ecm

PERCEPTS = [("percept", (1, -2)), "s", -3]
HIDDEN = ("x", "y z")
ACTIONS = [("action", -1), ("action", "jump")]


def odd_ecm(policy="standard"):
    """Keys made of tuples, strings and negative ints; a hidden layer; learned, damped
    values with some damping still pending and glow on the last walk."""
    edges = {p: dict.fromkeys([HIDDEN, *ACTIONS]) for p in PERCEPTS} | {HIDDEN: dict.fromkeys(ACTIONS)}
    ecm = make_ecm(
        PERCEPTS,
        ACTIONS,
        edges,
        hidden=[HIDDEN],
        labels={HIDDEN: "hidden clip"},
        gamma_damping=0.1,
        eta_glow_damping=0.5,
        policy=policy,
        beta_softmax=2.0,
    )
    rng = np.random.default_rng(3)
    for t in range(60):
        ecm.decay_glow()
        ecm.excite(ecm.walk(PERCEPTS[t % 3], rng))
        ecm.learn([1.0, 0.0, -0.5][t % 3])
    ecm.decay_glow()
    ecm.excite(ecm.walk("s", rng))
    ecm.learn(0.0)  # some rows now lag the clock: the export must bring them up to date
    return ecm


def read_graphml(path):
    return nx.read_graphml(path)


def read_gexf(path):
    return nx.read_gexf(path)


def read_node_link(path):
    return nx.node_link_graph(json.loads(path.read_text()), directed=True, multigraph=False, edges="edges")


FORMATS = [
    pytest.param(write_graphml, read_graphml, id="graphml"),
    pytest.param(write_gexf, read_gexf, id="gexf"),
    pytest.param(write_node_link_json, read_node_link, id="node-link"),
]


def assert_matches_ecm(graph, ecm):
    """Every clip and edge of ``ecm`` with the same values (read after the export, since
    reading h() brings the ECM's rows up to date)."""
    assert {key_from_id(n) for n in graph.nodes} == set(ecm.clips())
    assert graph.number_of_edges() == ecm.num_edges
    for node, data in graph.nodes(data=True):
        clip = key_from_id(node)
        expected = ecm.graph.nodes[clip]
        assert (data["kind"], data["layer"], data["label"], data["visits"]) == (
            expected["kind"],
            expected["layer"],
            expected["label"],
            ecm.visits(clip),
        )
    for u, v, data in graph.edges(data=True):
        s, t = key_from_id(u), key_from_id(v)
        assert data["h"] == ecm.h(s, t)
        assert data["glow"] == ecm.edge_glow(s, t)
        assert data["probability"] == pytest.approx(ecm.probabilities(s)[t], rel=1e-15)


@pytest.mark.parametrize("write, read", FORMATS)
@pytest.mark.parametrize("policy", ["standard", "softmax"])
def test_files_read_back_with_the_ecm_values(tmp_path, write, read, policy):
    ecm = odd_ecm(policy)
    before = ecm.snapshot()
    path = write(ecm, tmp_path / "sub" / "ecm.out")
    assert ecm.snapshot() == before  # the store is untouched: not even brought up to date
    graph = read(path)
    assert isinstance(graph, nx.DiGraph) and not graph.is_multigraph()
    assert graph.nodes[key_id(HIDDEN)]["label"] == "hidden clip"
    assert graph.nodes[key_id(ACTIONS[0])]["layer"] == 2
    assert any(d["glow"] > 0 for *_, d in graph.edges(data=True))
    assert len({d["h"] for *_, d in graph.edges(data=True)}) > 3  # learned values, not all h0
    assert_matches_ecm(graph, ecm)
    assert sorted(p.name for p in path.parent.iterdir()) == ["ecm.out"]  # no temporary file left


def test_ids_are_the_key_ids_and_attributes_are_plain():
    graph = to_export_graph(odd_ecm())
    assert list(graph.nodes) == ['["percept",[1,-2]]', '"s"', "-3", '["x","y z"]', '["action",-1]', '["action","jump"]']
    for _, data in graph.nodes(data=True):
        assert {k: type(v) for k, v in data.items()} == {"kind": str, "layer": int, "label": str, "visits": int}
    for *_, data in graph.edges(data=True):
        assert {k: type(v) for k, v in data.items()} == {"h": float, "glow": float, "probability": float}


def test_hand_computed_probabilities():
    graph = to_export_graph(make_ecm(["s"], ["a", "b"], {"s": {"a": 3.0, "b": 1.0}}))
    # standard policy: 3 / (3 + 1) and 1 / (3 + 1)
    assert graph.edges['"s"', '"a"']["probability"] == 0.75
    assert graph.edges['"s"', '"b"']["probability"] == 0.25


def test_agents_export_their_ecm():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    hp = dict(gamma_damping=0.01, eta_glow_damping=0.1, seed=0)
    graph_agent, fast = PSAgent.for_env(env, **hp), TwoLayerPS.for_env(env, **hp)
    train(graph_agent, env, episodes=30, seed=0)
    train(fast, env, episodes=30, seed=0)
    before = fast.snapshot()
    exported = to_export_graph(fast)
    assert fast.snapshot() == before
    assert nx.utils.graphs_equal(to_export_graph(graph_agent), to_export_graph(graph_agent.ecm))
    # the fast agent exports as its equivalent ECM (to_ecm brings values up to date first)
    expected = to_export_graph(fast.to_ecm())
    assert nx.utils.graphs_equal(exported, expected)
    assert list(exported.nodes) == list(expected.nodes)
    # and the graph core agrees with it (contract 2), to rounding
    for u, v, data in to_export_graph(graph_agent).edges(data=True):
        assert data["h"] == pytest.approx(exported.edges[u, v]["h"], abs=1e-9)


def test_empty_ecm_and_bad_sources(tmp_path):
    graph = read_node_link(write_node_link_json(ECM(), tmp_path / "empty.json"))
    assert graph.number_of_nodes() == 0
    with pytest.raises(ConfigError, match="export takes an ECM, a PSAgent or a TwoLayerPS; got DiGraph"):
        to_export_graph(nx.DiGraph())
    with pytest.raises(ConfigError, match="path must be a str or os.PathLike; got NoneType"):
        write_gexf(ECM(), None)
