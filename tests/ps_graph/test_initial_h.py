"""Per-edge initial h (issue 13): the lazy store, the agents, their checks and their files."""

import json
from array import array

import numpy as np
import pytest
from gymnasium import spaces

import ps_graph
from ps_graph import ConfigError, PSAgent, TwoLayerPS
from ps_graph.batch import BatchedTwoLayerPS
from ps_graph.saving import VERSION, load, save
from ps_graph.store import LazyStore, Table, TableRow

FORAGER = np.array([[0.99, 0.01], [0.75, 0.25], [0.5, 2.0]])  # 3 percepts x (continue, turn)


# ---------------------------------------------------------------------- the lazy store
def test_a_row_damps_towards_its_own_initial_values_3x2_by_hand():
    store = LazyStore(gamma_damping=0.5, eta_glow_damping=1.0, h0=1.0, h_floor=1e-3)
    rows = [store.new_row(r, r) for r in FORAGER.tolist()]
    store.decay_glow()
    store.traverse("edge", rows[0], 0, "replace")
    store.learn(1.0)  # 0.99 + 1 on the edge walked, every other edge stays at its h0
    assert [list(store.current(r)) for r in rows] == [[1.99, 0.01], [0.75, 0.25], [0.5, 2.0]]
    store.tick()  # one damping step: 1.99 - 0.5 (1.99 - 0.99) = 1.49
    assert list(store.current(rows[0])) == [1.49, 0.01]
    store.tick()  # 0.99 + 0.25 * 1 = 1.24
    assert list(store.current(rows[0])) == [1.24, 0.01]
    store.sync(rows[0])  # brought up to date in place: the same values
    assert list(rows[0].h) == [1.24, 0.01] and rows[0].stamp == store.clock
    # a negative reward needs the current value (floored), damped towards the edge's own h0
    store.decay_glow()
    store.traverse("edge", rows[2], 1, "replace")
    store.tick()
    store.learn(-10.0)
    assert list(store.current(rows[2])) == [0.5, 1e-3]


def test_a_table_with_per_edge_initial_values_matches_rows():
    store = LazyStore(gamma_damping=0.1, eta_glow_damping=0.5, h0=1.0, h_floor=1e-6)
    table = Table(2, per_edge_h0=True)
    for r in FORAGER.tolist():
        table.add_row(array("d", r), store.clock)
    rows = [store.new_row(r, r) for r in FORAGER.tolist()]
    for step in range(30):
        store.decay_glow()
        i, j = step % 3, step % 2
        store.traverse(("t", i, j), TableRow(table, i), i * 2 + j, "accumulate")
        store.traverse(("r", i, j), rows[i], j, "accumulate")
        store.learn(1.0 if step % 4 else -0.5)
    for i in range(3):
        assert list(store.table_row(table, i)) == list(store.current(rows[i]))  # bit for bit
    assert table.row_h0(1, 1.0) == array("d", [0.75, 0.25])
    assert Table(2).row_h0(0, 1.0) == 1.0  # no per-edge values: the store's h0


def test_rows_without_per_edge_values_hold_no_array():
    ecm = ps_graph.ECM(gamma_damping=0.1)
    ecm.add_percept("s")
    ecm.add_action("a")
    ecm.add_action("b")
    ecm.add_edge("s", "a")
    ecm.add_edge("s", "b", h0=1.0)  # the ECM's h0: nothing to keep
    assert ecm._rows["s"].h0 is None
    ecm.add_edge("s", "b", h0=0.25)
    assert ecm.h("s", "b") == 0.25 and list(ecm._rows["s"].h0) == [1.0, 0.25]
    ecm.add_edge("s", "a", h=3.0)  # h and h0 separately
    ecm.decay_glow()
    ecm.learn(0.0)
    assert ecm.out_h("s") == {"a": 3.0 - 0.1 * 2.0, "b": 0.25}
    assert ecm.snapshot()["h0"] == [("s", "b", 0.25)]
    twin = ps_graph.ECM.from_snapshot(ecm.snapshot(), gamma_damping=0.1)
    assert twin.snapshot() == ecm.snapshot()
    with pytest.raises(ConfigError, match="h0"):
        ecm.add_edge("s", "a", h0=0.0)


# ---------------------------------------------------------------------- agents
def forms():
    mapping = {(k, a): float(FORAGER[k, a]) for k in range(3) for a in range(2)}
    return [FORAGER, mapping, lambda key, action: float(FORAGER[key, action])]


@pytest.mark.parametrize("cls", [PSAgent, TwoLayerPS])
@pytest.mark.parametrize("form", range(3), ids=["table", "mapping", "callable"])
def test_each_form_gives_the_same_agent(cls, form):
    agent = cls(2, spaces.Discrete(3), initial_h=forms()[form], gamma_damping=0.2, seed=0)
    assert agent.action_probabilities(2) == {0: 0.2, 1: 0.8}  # unseen: its initial values, no row created
    assert agent.greedy_action(2) == 1
    for k in range(3):
        agent.percept(k)
    assert [agent.h_values(k) for k in range(3)] == [dict(enumerate(r)) for r in FORAGER.tolist()]


def test_a_mapping_leaves_h0_for_the_pairs_it_omits():
    agent = TwoLayerPS(2, initial_h={("x", 1): 0.5}, h0=2.0, seed=0)
    agent.percept("x")
    agent.percept("y")
    assert agent.h_values("x") == {0: 2.0, 1: 0.5} and agent.h_values("y") == {0: 2.0, 1: 2.0}


@pytest.mark.parametrize("cls", [PSAgent, TwoLayerPS])
def test_bad_initial_values_are_refused(cls):
    d3 = spaces.Discrete(3)
    with pytest.raises(ConfigError, match=r"shape \(3, 2\)"):
        cls(2, d3, initial_h=np.ones((2, 2)))
    with pytest.raises(ConfigError, match=r"initial_h\[1, 0\]"):
        cls(2, d3, initial_h=np.array([[1.0, 1.0], [np.nan, 1.0], [1.0, 1.0]]))
    with pytest.raises(ConfigError, match="initial_h"):
        cls(2, d3, initial_h=np.full((3, 2), 1e-9))  # below h_floor
    with pytest.raises(ConfigError, match="initial_h"):
        cls(2, d3, initial_h={(0, 5): 1.0})  # not an action
    with pytest.raises(ConfigError, match="initial_h"):
        cls(2, d3, initial_h={(0, 1): 1e101})  # above MAX_H0
    with pytest.raises(ConfigError, match="Discrete observation space"):
        cls(2, spaces.MultiDiscrete([2, 2]), initial_h=np.ones((4, 2)))
    agent = cls(2, d3, initial_h=lambda key, action: -1.0, seed=0)
    with pytest.raises(ConfigError, match=r"initial_h\(0, 0\)"):
        agent.act(0)
    assert agent.num_percepts == 0 if cls is TwoLayerPS else len(agent.ecm) == 2  # nothing was created


def test_damping_pulls_each_edge_back_to_its_own_value_in_both_agents():
    for cls in (PSAgent, TwoLayerPS):
        agent = cls(2, spaces.Discrete(3), initial_h=FORAGER, gamma_damping=0.5, eta_glow_damping=1.0, seed=3)
        a = agent.act(1)
        agent.observe(4.0, 1, False, False)
        for _ in range(60):  # rewardless steps on another percept: percept 1 forgets
            agent.act(0)
            agent.observe(0.0, 0, False, False)
        assert agent.h_values(1) == pytest.approx({0: 0.75, 1: 0.25}, abs=1e-12), a


def test_growth_keeps_h0_on_hidden_clips():
    from ps_graph.growth import Generalization

    agent = PSAgent(2, initial_h={((0, 0), 1): 0.5}, growth=Generalization(), seed=0)
    agent.percept((0, 0))
    agent.percept((0, 1))
    h = agent.h_values((0, 0))
    assert h[1] == 0.5 and h[0] == 1.0 and all(v == 1.0 for t, v in h.items() if t not in (0, 1))


def test_the_batched_agent_takes_a_table():
    agents = BatchedTwoLayerPS(3, 2, 4, initial_h=FORAGER, gamma_damping=0.3, seed=0)
    np.testing.assert_array_equal(agents.h_values(), np.broadcast_to(FORAGER, (4, 3, 2)))
    agents.act(np.array([0, 1, 2, 0]))
    agents.observe(np.array([1.0, 0.0, 0.0, 0.0]), np.zeros(4, int), np.zeros(4, bool), np.zeros(4, bool))
    for _ in range(80):
        agents.act(np.zeros(4, int))
        agents.observe(np.zeros(4), np.zeros(4, int), np.zeros(4, bool), np.zeros(4, bool))
    np.testing.assert_allclose(agents.h_values(), np.broadcast_to(FORAGER, (4, 3, 2)), atol=1e-9)
    with pytest.raises(ConfigError, match="shape"):
        BatchedTwoLayerPS(3, 2, 4, initial_h=np.ones((2, 2)))


# ---------------------------------------------------------------------- files
def play(agent, steps, seed):
    rng = np.random.default_rng(seed)
    actions = []
    for t in range(steps):
        obs = int(rng.integers(3))
        actions.append(int(agent.act(obs)))
        agent.observe(float(rng.random() < 0.3) - 0.1 * (t % 7 == 0), int(rng.integers(3)), t % 13 == 12, False)
    return actions


@pytest.mark.parametrize("cls", [PSAgent, TwoLayerPS])
@pytest.mark.parametrize("form", range(2), ids=["table", "mapping"])
def test_a_saved_agent_continues_bit_for_bit(tmp_path, cls, form):
    agent = cls(2, spaces.Discrete(3), initial_h=forms()[form], gamma_damping=0.05, eta_glow_damping=0.3, seed=1)
    play(agent, 400, seed=2)
    agent.act(0)  # mid-step: a pending edge and glow
    path = save(agent, tmp_path / "agent.json")
    doc = json.loads(path.read_text())
    assert doc["version"] == 3 < VERSION and "initial_h" in doc  # the lowest version holding initial_h
    twin = load(path)
    assert [twin.h_values(k) for k in range(3)] == [agent.h_values(k) for k in range(3)]
    for a in (agent, twin):
        a.observe(1.0, 0, False, False)
    assert play(twin, 600, seed=4) == play(agent, 600, seed=4)
    assert [twin.h_values(k) for k in range(3)] == [agent.h_values(k) for k in range(3)]  # bit for bit
    assert twin.action_probabilities(2) == agent.action_probabilities(2)


def test_a_callable_cannot_be_saved(tmp_path):
    agent = TwoLayerPS(2, initial_h=lambda key, action: 1.0, seed=0)
    with pytest.raises(ConfigError, match="pass initial_h as a table|Pass initial_h as a table"):
        save(agent, tmp_path / "agent.json")
    assert not (tmp_path / "agent.json").exists()


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (lambda d: d["initial_h"]["table"][1].__setitem__(0, -1.0), r"initial_h\.table\[1\]\[0\]"),
        (lambda d: d["initial_h"]["table"][1].__setitem__(0, 1e-9), "initial_h"),
        (lambda d: d["initial_h"]["table"].pop(), "initial_h.table"),
        (lambda d: d.__setitem__("initial_h", {"entries": [{"percept": 7, "action": 0, "h": 1.0}]}), "percept"),
        (lambda d: d["ecm"]["h0"][0].__setitem__("h0", float("inf")) if "ecm" in d else d.pop("x"), "h0"),
        (lambda d: d.__setitem__("version", 2), "edited"),
    ],
)
@pytest.mark.parametrize("cls", [PSAgent, TwoLayerPS])
def test_edited_initial_values_are_refused(tmp_path, cls, edit, fragment):
    agent = cls(2, spaces.Discrete(3), initial_h=FORAGER, gamma_damping=0.05, seed=1)
    play(agent, 50, seed=2)
    doc = json.loads(save(agent, tmp_path / "agent.json").read_text())
    try:
        edit(doc)
    except KeyError:
        pytest.skip("the edit is for the other agent's file")
    (tmp_path / "edited.json").write_text(json.dumps(doc).replace("Infinity", "1e999"))
    with pytest.raises(ps_graph.errors.FileFormatError, match=fragment):
        load(tmp_path / "edited.json")


def test_agents_without_initial_values_write_the_old_version(tmp_path):
    doc = json.loads(save(TwoLayerPS(2, seed=0), tmp_path / "agent.json").read_text())
    assert doc["version"] == 2 and "initial_h" not in doc
