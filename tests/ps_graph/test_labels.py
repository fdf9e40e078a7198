"""Meaningful labels (issue 16): the built-in labellers by hand, user labels, labels saved with
the agent (and refused field by field when damaged), hostile labels kept as data."""

import json
import re

import gymnasium as gym
import pytest
from gymnasium.wrappers import FlattenObservation

import ps_graph
import ps_graph.envs
from ps_graph import PSAgent, TwoLayerPS
from ps_graph.cli import main
from ps_graph.envs import ENV_IDS
from ps_graph.envs.wrappers import CliffWalkingBlogReward
from ps_graph.errors import ConfigError
from ps_graph.labels import MAX_LABEL, Bins, Cells, Fields, Labels, Taxi, labels_for_env
from ps_graph.saving import VERSION, load, save
from tests.ps_graph.test_saving import DELETE, edited, expect_error

LAKE = ("LEFT", "DOWN", "RIGHT", "UP")


# ---------------------------------------------------------------------- built-in labellers by hand
def test_frozen_lake_cells_and_moves():
    labels = labels_for_env(gym.make("FrozenLake-v1"))
    assert labels.actions == LAKE and labels.grid == (4, 4)
    assert labels.percept(14) == "row 3, col 2" and labels.percept(0) == "row 0, col 0"
    assert labels.clip(("percept", 14)) == "row 3, col 2" and labels.clip(("action", 3)) == "UP"
    assert labels.cell(14) == (3, 2) and labels.percept(16) == "16"  # off the map: its key
    big = labels_for_env(gym.make("FrozenLake-v1", map_name="8x8"))
    assert big.grid == (8, 8) and big.percept(63) == "row 7, col 7" and big.percept(14) == "row 1, col 6"


def test_cliff_walking_cells_and_moves():
    labels = labels_for_env(gym.make("CliffWalking-v1"))
    assert labels.actions == ("UP", "RIGHT", "DOWN", "LEFT") and labels.grid == (4, 12)
    assert labels.percept(36) == "row 3, col 0" and labels.percept(47) == "row 3, col 11"
    wrapped = labels_for_env(CliffWalkingBlogReward(gym.make("CliffWalking-v1")))  # a reward wrapper keeps them
    assert wrapped.percept(13) == "row 1, col 1"


def test_taxi_states_are_decoded_as_the_env_decodes_them():
    env = gym.make("Taxi-v4")
    labels = labels_for_env(env)
    assert labels.actions == ("South", "North", "East", "West", "Pickup", "Dropoff")
    places = "RGYB"
    for state in range(500):
        row, col, passenger, destination = env.unwrapped.decode(state)
        where = "in taxi" if passenger == 4 else f"at {places[passenger]}"
        assert labels.percept(state) == f"taxi ({row}, {col}), passenger {where}, destination {places[destination]}"
    assert labels.percept(328) == "taxi (3, 1), passenger at Y, destination R"  # ((3*5+1)*5+2)*4+0
    assert labels.percept(16 + 3) == "taxi (0, 0), passenger in taxi, destination B"


def test_blackjack_player_dealer_and_ace():
    labels = labels_for_env(gym.make("Blackjack-v1"))
    assert labels.actions == ("Stick", "Hit")
    assert labels.percept((14, 10, 1)) == "player 14, dealer 10, usable ace"
    assert labels.percept((20, 1, 0)) == "player 20, dealer ace, no usable ace"
    agent = PSAgent.for_env(gym.make("Blackjack-v1"), seed=0)
    assert agent.labels.percept(agent.encode((14, 10, 1))) == "player 14, dealer 10, usable ace"


def _ranges(label):
    """[(low, high)] of each ``name [low, high)`` in a Bins label."""
    return [(float(a), float(b)) for a, b in re.findall(r"\[(-?[\d.]+), (-?[\d.]+)[)\]]", label)]


def test_mountain_car_bins_show_their_value_ranges():
    env = gym.make("ps_graph/MountainCarDiscrete-v0")
    labels = labels_for_env(env)
    assert labels.actions == ("Left", "No push", "Right") and isinstance(labels.labeller, Bins)
    # position [-1.2, 0.6] in bins of 0.18, velocity [-0.07, 0.07] in bins of 0.014
    assert labels.percept((7, 3)) == "position [0.06, 0.24), velocity [-0.028, -0.014)"
    assert labels.percept((0, 5)) == "position [-1.2, -1.02), velocity [0, 0.014)"
    assert labels.percept((9, 9)) == "position [0.42, 0.6], velocity [0.056, 0.07]"  # the last bins are closed
    assert labels.percept((10, 0)) == "(10, 0)"
    obs, _ = env.reset(seed=0)
    for _ in range(30):  # the label's ranges hold the car's true position and velocity
        (lo_x, hi_x), (lo_v, hi_v) = _ranges(labels.percept(tuple(int(i) for i in obs)))
        x, v = env.unwrapped.state
        assert lo_x - 1e-9 <= x <= hi_x + 1e-9 and lo_v - 1e-9 <= v <= hi_v + 1e-9
        obs = env.step(2)[0]
    flat = labels_for_env(gym.make("ps_graph/MountainCarDiscrete-v0", bins=(18, 14), multidiscrete=False))
    assert flat.percept(7 * 14 + 8) == "position [-0.5, -0.4), velocity [0.01, 0.02)"  # bins (7, 8)


@pytest.mark.parametrize(
    "env_id, kwargs, key, label, actions",
    [
        ("ps_graph/GridWorld-v0", {}, 23, "row 2, col 3", LAKE),
        ("ps_graph/DynaMaze-v0", {}, 18, "row 2, col 0", LAKE),
        ("ps_graph/InvasionGame-v0", {}, 1, "symbol 1", ("door 0", "door 1")),
        ("ps_graph/InvasionGame-v0", {"num_colours": 3}, (1, 2), "symbol 1, colour 2", ("door 0", "door 1")),
        ("ps_graph/DriverGame-v0", {}, (0, 1), "direction 0, colour 1", ("go 0", "go 1")),
        ("ps_graph/NeverEndingColourGame-v0", {}, (1, 77), "direction 1, colour 77", ("go 0", "go 1")),
        ("ps_graph/InvasionWithDistraction-v0", {}, (3, 4, 9), "obs0 3, obs1 4, distraction 9", ("door 0", "door 1")),
        ("ps_graph/DeceptiveInvasion-v0", {}, (4, 11, 0), "door shown 4, truth number 11, distraction 0", None),
        ("ps_graph/RedLightGreenLight-v0", {}, 1, "green", ("choose red", "choose green")),
        ("ps_graph/Reset1D-v0", {}, 14, "counter 14", ("continue", "reset")),
        ("ps_graph/Reset2D-v0", {}, 0, "counter 0", ("continue", "reset")),
        ("ps_graph/TurnReset2D-v0", {}, (3, 14), "turn counter 3, reset counter 14", ("continue", "turn", "reset")),
        ("ps_graph/Foraging-v0", {}, 7, "counter 7", ("continue", "turn")),
    ],
)
def test_ps_graph_envs(env_id, kwargs, key, label, actions):
    labels = labels_for_env(gym.make(env_id, **kwargs))
    assert labels.percept(key) == label
    if actions is not None:
        assert labels.actions == actions


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_every_ps_graph_env_labels_what_it_shows(env_id):
    env = gym.make(env_id)
    labels = labels_for_env(env)
    assert labels is not None and len(labels.actions) == env.action_space.n
    agent = PSAgent.for_env(env, seed=0)
    obs, _ = env.reset(seed=0)
    key = agent.encode(obs)
    assert labels.percept(key) != str(key) and agent.labels.percept(key) == labels.percept(key)


def test_locusts_flows():
    pytest.importorskip("pettingzoo")
    from ps_graph.envs.locusts import Locusts

    labels = labels_for_env(Locusts(num_agents=3, world_size=10))
    assert labels.actions == ("turn around", "keep going") and labels.percept(0) == "flow -2"


def test_wrappers_that_change_what_the_agent_sees_drop_those_labels():
    flat = labels_for_env(FlattenObservation(gym.make("Blackjack-v1")))  # one-hot observations: no percept labels
    assert flat.actions == ("Stick", "Hit") and flat.labeller is None and flat.percept((1, 0)) == "(1, 0)"
    assert labels_for_env(gym.make("CartPole-v1")) is None  # unknown (an undiscretized Box)
    assert labels_for_env(object()) is None


def test_factorized_agents_label_each_feature():
    agent = PSAgent.for_env(gym.make("ps_graph/InvasionWithDistraction-v0"), percepts="factorized", seed=0)
    assert agent.labels.factorized
    assert agent.labels.clip(("percept", (2, 5))) == "distraction 5"
    assert agent.labels.clip(("percept", (0, 3))) == "obs0 3"
    hidden = ("hidden", ("conjunction", ((0, 1), (1, 2))))
    agent.ecm.add_hidden(hidden, label="obs0 1 & obs1 2")
    assert agent.labels.clip(hidden, agent.ecm) == "obs0 1 & obs1 2"  # hidden clips keep the ECM's label


# ---------------------------------------------------------------------- a researcher's own labels
def test_user_labels_mapping_function_and_fallbacks():
    labels = Labels(actions=["stay", "go"], percepts={"s": "start"})
    assert (labels.percept("s"), labels.percept("t"), labels.action(1), labels.action(5)) == ("start", "t", "go", "5")
    assert labels.percept([1]) == "[1]"  # an unhashable key: its str
    by_function = Labels(percepts=lambda key: f"state #{key}")
    assert by_function.percept(3) == "state #3" and by_function.action(0) == "0"
    both = Labels(percepts={0: "home"}, labeller=Cells(2, 2))
    assert both.percept(0) == "home" and both.percept(3) == "row 1, col 1"
    assert Fields(("x",))("no tuple") == "x no tuple"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(actions="LEFT"), "actions must be a list of names"),
        (dict(actions=["LEFT", 3]), "actions[1] must be a string; got 3"),
        (dict(actions=["x" * (MAX_LABEL + 1)]), f"actions[0] has {MAX_LABEL + 1} characters"),
        (dict(percepts=3), "percepts must be a mapping"),
        (dict(percepts={0: None}), "percepts[0] must be a string"),
        (dict(labeller=len), "labeller must be a built-in labeller"),
        (dict(start=1.5), "start must be an int"),
    ],
)
def test_bad_user_labels_are_refused(kwargs, message):
    with pytest.raises(ConfigError) as info:
        Labels(**kwargs)
    assert message in str(info.value)


# ---------------------------------------------------------------------- saved with the agent
def _trained(cls, env_id="FrozenLake-v1", steps=60, **hp):
    env = gym.make(env_id)
    agent = cls.for_env(env, seed=4, **hp)
    ps_graph.train(agent, env, episodes=steps, seed=4, max_steps=20)
    return agent


def _seen(agent):
    return agent.percept_keys if isinstance(agent, TwoLayerPS) else [c[1] for c in agent.ecm.clips("percept")]


@pytest.mark.parametrize("cls", [PSAgent, TwoLayerPS])
def test_labels_come_back_and_a_built_in_labeller_labels_new_percepts(tmp_path, cls):
    agent = cls(4, gym.make("FrozenLake-v1").observation_space, seed=0)
    agent.labels = labels_for_env(gym.make("FrozenLake-v1"))
    agent.act(0)  # has seen state 0 only
    doc = json.loads(save(agent, tmp_path / "agent.json").read_text())
    assert doc["version"] == VERSION == 5
    assert doc["labels"]["percepts"] == [{"key": 0, "label": "row 0, col 0"}]
    assert doc["labels"]["labeller"] == {"name": "cells", "params": {"rows": 4, "cols": 4}}
    twin = load(tmp_path / "agent.json")
    assert twin.labels.actions == LAKE and twin.labels.percept(0) == "row 0, col 0"
    assert twin.labels.percept(14) == "row 3, col 2"  # never seen: the labeller is back
    assert twin.labels.grid == (4, 4)


@pytest.mark.parametrize("cls", [PSAgent, TwoLayerPS])
def test_trained_agents_keep_their_labels(tmp_path, cls):
    agent = _trained(cls)
    twin = load(save(agent, tmp_path / "agent.json"))
    assert [twin.labels.percept(k) for k in _seen(agent)] == [agent.labels.percept(k) for k in _seen(agent)]
    assert twin.labels.actions == agent.labels.actions and twin.labels.labeller == agent.labels.labeller


def test_a_factorized_agent_keeps_its_feature_labels(tmp_path):
    agent = _trained(PSAgent, "ps_graph/InvasionWithDistraction-v0", steps=30, percepts="factorized")
    twin = load(save(agent, tmp_path / "agent.json"))
    assert twin.labels.factorized and twin.labels.clip(("percept", (2, 9))) == "distraction 9"


def test_a_function_is_saved_as_its_labels_of_the_percepts_seen(tmp_path):
    agent = PSAgent(2, gym.spaces.Discrete(10), seed=0)
    agent.labels = Labels(["no", "yes"], lambda key: f"item {key}")
    for s in (3, 5):
        agent.act(s)
    doc = json.loads(save(agent, tmp_path / "agent.json").read_text())
    assert doc["labels"]["labeller"] is None
    twin = load(tmp_path / "agent.json")
    assert (twin.labels.percept(3), twin.labels.percept(5), twin.labels.percept(7)) == ("item 3", "item 5", "7")


def test_without_labels_the_file_keeps_its_old_version(tmp_path):
    doc = json.loads(save(PSAgent(2, seed=0), tmp_path / "agent.json").read_text())
    assert doc["version"] == 2 and "labels" not in doc
    assert load(tmp_path / "agent.json").labels is None


def test_older_files_load_without_labels_and_refuse_a_labels_field(tmp_path):
    doc = json.loads(save(_trained(PSAgent, steps=5), tmp_path / "agent.json").read_text())
    older = edited(tmp_path, doc, ("version", 4), ("labels", DELETE), ("config.votes", 1))
    assert load(older).labels is None
    expect_error(edited(tmp_path, doc, ("version", 4)), "labels came in version 5, but the file says version 4")


def test_labels_a_file_could_not_load_are_refused_on_saving(tmp_path):
    agent = PSAgent(2, gym.spaces.Discrete(3), seed=0)
    agent.labels = Labels(["a", "b", "c"])
    with pytest.raises(ConfigError, match="labels name 3 actions"):
        save(agent, tmp_path / "agent.json")
    agent.labels = Labels(percepts={7: "far away"})
    with pytest.raises(ConfigError, match="not an observation of the agent's observation space"):
        save(agent, tmp_path / "agent.json")
    agent.labels = Labels(percepts=lambda key: "x" * (MAX_LABEL + 1))
    agent.act(0)
    with pytest.raises(ConfigError, match="cannot save the agent's labels"):
        save(agent, tmp_path / "agent.json")
    agent.labels = {"actions": ["a", "b"]}
    with pytest.raises(ConfigError, match="agent.labels must be a ps_graph.labels.Labels"):
        save(agent, tmp_path / "agent.json")
    assert not (tmp_path / "agent.json").exists()


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A FrozenLake agent's file, with its labels."""
    agent = _trained(PSAgent, steps=20)
    return json.loads(save(agent, tmp_path_factory.mktemp("labels") / "agent.json").read_text())


DAMAGED = [
    ("labels", [], "labels must be a JSON object"),
    ("labels.actions", DELETE, "labels lacks the field(s) 'actions'"),
    ("labels.actions", "LEFT", "labels.actions must be a JSON list"),
    ("labels.actions", ["LEFT"], "labels.actions names 1 actions; the agent has 4"),
    ("labels.actions.2", 2, "labels.actions[2] must be a string; got 2"),
    ("labels.actions.0", "x" * (MAX_LABEL + 1), f"labels.actions[0] has {MAX_LABEL + 1} characters"),
    ("labels.percepts", {"0": "a"}, "labels.percepts must be a JSON list"),
    ("labels.percepts.0", ["0", "a"], "labels.percepts[0] must be a JSON object"),
    ("labels.percepts.0.key", 16, "labels.percepts[0].key is 16, which is not an observation"),
    ("labels.percepts.0.key", [1, 2], "labels.percepts[0].key is [1, 2], which is not an observation"),
    ("labels.percepts.0.label", None, "labels.percepts[0].label must be a string; got None"),
    ("labels.percepts.1.key", 0, "labels.percepts[1].key labels the percept 0 again"),
    ("labels.labeller", "cells", "labels.labeller must be a JSON object"),
    ("labels.labeller.name", "os.system", "labels.labeller.name must be one of the built-in labellers"),
    ("labels.labeller.params", DELETE, "labels.labeller lacks the field(s) 'params'"),
    ("labels.labeller.params.rows", -1, "labels.labeller.params.rows must be an integer >= 1"),
    ("labels.labeller.params.cols", 2.0, "labels.labeller.params.cols must be an integer"),
    ("labels.labeller.params.code", "print(1)", "labels.labeller.params has unknown field(s) ['code']"),
]


@pytest.mark.parametrize("field, value, message", DAMAGED, ids=[f"{d[0]}={d[1]!r:.12}" for d in DAMAGED])
def test_damaged_label_fields_are_refused_by_name(tmp_path, saved, field, value, message):
    assert saved["labels"]["percepts"][0]["key"] == 0
    expect_error(edited(tmp_path, saved, (field, value)), message)


def test_damaged_built_in_labellers_are_refused(tmp_path, saved):
    bins = Bins(("x", "y"), (0.0, 0.0), (1.0, 1.0), (2, 2)).to_json()
    cases = [
        ({**bins, "params": {**bins["params"], "low": [0.0]}}, "labels.labeller.params: names, low, high and bins"),
        ({**bins, "params": {**bins["params"], "high": [0.0, 1.0]}}, "each low must be below its high"),
        ({**bins, "params": {**bins["params"], "low": [0.0, "0"]}}, "labels.labeller.params.low[1] must be a finite"),
        ({"name": "fields", "params": {"names": ["a"], "values": [["x"], ["y"]]}}, "values names the values of 2"),
        ({"name": "taxi", "params": {}}, ""),  # fine: the percept labels stand, the labeller is Taxi's
    ]
    for labeller, message in cases:
        path = edited(tmp_path, saved, ("labels.labeller", labeller))
        if message:
            expect_error(path, message)
        else:
            assert load(path).labels.labeller == Taxi()


# ---------------------------------------------------------------------- hostile labels stay data
HOSTILE = ["<script>alert(1)</script>", "\x1b[2J\x1b[31mRED\nfake\r", "'); DROP TABLE agents; --", "{{ 7 * 7 }}"]


def test_hostile_labels_round_trip_as_data_and_print_escaped(tmp_path, capsys):
    agent = PSAgent(4, gym.spaces.Discrete(3), seed=0)
    agent.labels = Labels(HOSTILE, {0: HOSTILE[1], 1: HOSTILE[0]})
    for s in (0, 1):
        agent.act(s)
    path = save(agent, tmp_path / "agent.json")
    twin = load(path)
    assert list(twin.labels.actions) == HOSTILE and twin.labels.percept(0) == HOSTILE[1]
    for extra in ([], ["--explain", "0"]):
        assert main(["inspect", str(path), *extra]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\r" not in out and "RED\n" not in out
        assert "\\x1b[2J\\x1b[31mRED\\nfake\\r" in out and "<script>alert(1)</script>" in out


def test_inspect_shows_the_env_labels_and_explains_a_percept_by_its_label(tmp_path, capsys):
    path = save(_trained(PSAgent, steps=40), tmp_path / "agent.json")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "actions: 0 = LEFT, 1 = DOWN, 2 = RIGHT, 3 = UP" in out and "row 0, col 0 -> " in out
    assert main(["inspect", str(path), "--explain", "row 0, col 0"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[1] == "percept row 0, col 0" and {line.split()[0] for line in lines[3:7]} == set(LAKE)
