"""Saving and loading agents: exact continuation, every supported space, hostile files."""

import copy
import json
import os
import pickle
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.wrappers import TransformReward

from ps_graph import ConfigError, PSAgent, PSGraphError, TwoLayerPS, fileformat
from ps_graph.errors import FileFormatError
from ps_graph.saving import FORMAT, VERSION, load, save

AGENTS = [PSAgent, TwoLayerPS]


def frozenlake(shift=0.0):
    env = gym.make("FrozenLake-v1", is_slippery=True)
    return TransformReward(env, lambda r: r - shift) if shift else env


def run(agent, env, obs, steps):
    """``steps`` agent-env steps from ``obs`` (resetting after each episode); the actions taken."""
    actions = []
    for _ in range(steps):
        a = agent.act(obs)
        actions.append(a)
        obs, r, term, trunc, _ = env.step(a)
        agent.observe(r, obs, term, trunc)
        if term or trunc:
            obs, _ = env.reset()
    return actions, obs


def state(agent):
    """Everything that decides how an agent continues, for exact comparison."""
    snap = agent.ecm.snapshot() if isinstance(agent, PSAgent) else agent.snapshot()
    return snap, agent.rng.bit_generator.state


def save_agent(agent, path):
    return save(agent, path)


def make(cls, env, **hp):
    return cls.for_env(env, seed=21, **hp)


CASES = [
    pytest.param(dict(eta_glow_damping=0.05), 0.0, id="standard"),
    pytest.param(dict(gamma_damping=0.01, eta_glow_damping=0.2, glow="accumulate"), 0.0, id="accumulate-damped"),
    # rewards shifted below zero: negative rewards take the floored, non-back-dated path and
    # turn emotions negative, so reflection re-walks
    pytest.param(dict(gamma_damping=0.005, eta_glow_damping=0.3, num_reflections=2), 0.05, id="reflections-negative"),
    pytest.param(
        dict(gamma_damping=0.002, eta_glow_damping=0.1, policy="softmax", beta_softmax=2.0), 0.0, id="softmax"
    ),
]


@pytest.mark.parametrize("cls", AGENTS)
@pytest.mark.parametrize("params, shift", CASES)
def test_loaded_agent_continues_exactly(tmp_path, cls, params, shift):
    env = frozenlake(shift)
    agent = make(cls, env, **params)
    obs, _ = env.reset(seed=3)
    _, obs = run(agent, env, obs, 1500)
    before = state(agent)
    twin = load(save_agent(agent, tmp_path / "agent.json"))
    assert state(agent) == before  # saving only reads
    assert type(twin) is cls and twin.config == agent.config and state(twin) == before
    env_twin = copy.deepcopy(env)  # the same env state and random stream
    actions, _ = run(agent, env, obs, 3000)
    actions_twin, _ = run(twin, env_twin, obs, 3000)
    assert actions_twin == actions
    assert state(twin) == state(agent)  # bit-identical h, glow, visits, stamps and rng
    h = [e[2] for e in state(agent)[0]["edges"]] if cls is PSAgent else np.ravel(agent.h_matrix())
    assert np.ptp(h) > 1e-3  # it learned: the comparison above can fail


@pytest.mark.parametrize("cls", AGENTS)
def test_mid_episode_save_with_glow_and_a_pending_reward(tmp_path, cls):
    env = frozenlake()
    agent = make(cls, env, gamma_damping=0.01, eta_glow_damping=0.1, glow="accumulate")
    obs, _ = env.reset(seed=0)
    for _ in range(40):  # long enough to pass some goals; then stop mid-episode
        _, obs = run(agent, env, obs, 1)
    a = agent.act(obs)  # the reward for this action is still to come
    doc = json.loads(save_agent(agent, tmp_path / "a.json").read_text())
    glowing = doc["ecm"]["lazy"]["glowing"] if cls is PSAgent else doc["state"]["lazy"]["glowing"]
    assert glowing and doc["state"]["pending"] is not None
    twin, env_twin = load(tmp_path / "a.json"), copy.deepcopy(env)
    actions = []
    for ag, e in ((agent, env), (twin, env_twin)):
        nxt, r, term, trunc, _ = e.step(a)
        ag.observe(r, nxt, term, trunc)
        if term or trunc:
            nxt, _ = e.reset()
        actions.append(run(ag, e, nxt, 2000)[0])
    assert actions[1] == actions[0]
    assert state(twin) == state(agent)


@pytest.mark.parametrize("cls", AGENTS)
def test_without_the_lazy_part_values_agree_to_1e12(tmp_path, cls):
    """A file whose 'lazy' part was removed loads from the current values; with damping the
    values then round differently in the last bits (see the module docstring)."""
    env = frozenlake()
    agent = make(cls, env, gamma_damping=0.01, eta_glow_damping=0.2)
    obs, _ = env.reset(seed=5)
    _, obs = run(agent, env, obs, 1000)
    path = save_agent(agent, tmp_path / "a.json")
    doc = json.loads(path.read_text())
    section = doc["ecm"] if cls is PSAgent else doc["state"]
    del section["lazy"]
    path.write_text(json.dumps(doc))
    twin, env_twin = load(path), copy.deepcopy(env)
    actions, _ = run(agent, env, obs, 3000)
    assert run(twin, env_twin, obs, 3000)[0] == actions
    if cls is PSAgent:
        h, h_twin = ([e[2] for e in a.ecm.snapshot()["edges"]] for a in (agent, twin))
    else:
        h, h_twin = agent.h_matrix(), twin.h_matrix()
    np.testing.assert_allclose(h_twin, h, rtol=0, atol=1e-12)


def test_hidden_clips_round_trip_and_walk_the_same(tmp_path):
    agent = PSAgent(2, spaces.Discrete(3), seed=4, gamma_damping=0.1, eta_glow_damping=0.5)
    for s in range(3):
        agent.percept(s)
    agent.ecm.add_hidden("h1", layer=1)
    agent.ecm.add_hidden(("h", -2), layer=2, label="deep")
    agent.ecm.connect(("percept", 0), ["h1"])
    agent.ecm.connect("h1", [("h", -2), ("action", 0)])
    agent.ecm.connect(("h", -2), [("action", 0), ("action", 1)])
    rng = np.random.default_rng(0)

    def drive(ag, steps):
        out = []
        for _ in range(steps):
            out.append(ag.act(int(rng.integers(3))))
            ag.observe(float(rng.integers(-1, 2)), 0, False, False)
        return out

    drive(agent, 200)
    twin = load(save(agent, tmp_path / "h.json"))
    clips = {c[0]: c[1:] for c in twin.ecm.snapshot()["clips"]}  # (reading .graph would sync the store)
    assert clips[("action", 1)][:2] == ("action", 3)  # actions sit past the hidden layers
    assert clips[("h", -2)][:3] == ("hidden", 2, "deep") and clips["h1"][:2] == ("hidden", 1)
    rng_state = rng.bit_generator.state
    expected = drive(agent, 500)
    rng.bit_generator.state = rng_state
    assert drive(twin, 500) == expected
    assert state(twin) == state(agent)


SPACES = [
    None,
    spaces.Discrete(5, start=-2),
    spaces.MultiDiscrete([[2, 3], [4, 5]], start=[[0, 1], [-1, 0]]),
    spaces.MultiBinary(3),
    spaces.MultiBinary([2, 2]),
    spaces.Tuple((spaces.Discrete(3), spaces.MultiBinary(2))),
    spaces.Dict([("z", spaces.Discrete(2)), ("a", spaces.Tuple((spaces.Discrete(2),)))]),  # order kept, not sorted
]


@pytest.mark.parametrize("cls", AGENTS)
@pytest.mark.parametrize("space", SPACES, ids=lambda s: type(s).__name__)
def test_observation_spaces_round_trip_and_percepts_continue(tmp_path, cls, space):
    assert fileformat.space_from_json("space", fileformat.space_to_json(space)) == space
    agent = cls(spaces.Discrete(3, start=1), space, seed=2, eta_glow_damping=0.5)
    if space is None:
        observations = np.random.default_rng(0).integers(4, size=60).tolist()
    else:
        space.seed(1)
        observations = [space.sample() for _ in range(60)]
    for obs in observations[:30]:
        agent.act(obs)
        agent.observe(1.0, obs, False, False)
    twin = load(save(agent, tmp_path / "s.json"))
    if space is not None:
        assert twin.encode(observations[0]) == agent.encode(observations[0])
    if hasattr(twin, "observation_space"):
        assert twin.observation_space == space
        if isinstance(space, spaces.Dict):
            assert list(twin.observation_space.spaces) == ["z", "a"]
    assert twin.actions == [1, 2, 3]
    for obs in observations[30:]:
        assert twin.act(obs) == agent.act(obs)
        agent.observe(0.5, obs, False, False)
        twin.observe(0.5, obs, False, False)
    assert state(twin) == state(agent)


@pytest.mark.parametrize("bit_generator", ["PCG64", "MT19937", "Philox", "SFC64"])
def test_rng_state_restored_exactly(tmp_path, bit_generator):
    rng = np.random.Generator(getattr(np.random, bit_generator)(9))
    agent = PSAgent(4, rng=rng)
    rng.random(7)  # any position in the stream
    twin = load(save(agent, tmp_path / "r.json"))
    assert type(twin.rng.bit_generator).__name__ == bit_generator
    assert twin.rng.random(5).tolist() == rng.random(5).tolist()


# ---------------------------------------------------------------------- bad arguments to save
def test_save_rejects_what_it_cannot_write(tmp_path):
    with pytest.raises(ConfigError, match="PSAgent or a TwoLayerPS; got object"):
        save(object(), tmp_path / "x.json")

    class MyAgent(PSAgent):
        pass

    with pytest.raises(ConfigError, match="got MyAgent"):
        save(MyAgent(2), tmp_path / "x.json")
    with pytest.raises(ConfigError, match=r"path must be a str or os.PathLike; got int"):
        save(PSAgent(2), 3)
    assert not (tmp_path / "x.json").exists()


def test_restore_needs_a_fresh_agent():
    agent = TwoLayerPS(2, seed=0)
    agent.act("s")
    with pytest.raises(ConfigError, match="restore\\(\\) needs a freshly created TwoLayerPS"):
        agent.restore(TwoLayerPS(2).snapshot())


def test_an_agent_without_an_observation_space_round_trips(tmp_path):
    assert load(save(PSAgent(2), tmp_path / "none.json")).encode("anything") == "anything"


def test_failed_save_leaves_the_old_file(tmp_path):
    path = save(TwoLayerPS(2, seed=1), tmp_path / "a.json")
    old = path.read_bytes()
    agent = PSAgent(2, seed=0)
    agent.act(object())  # a percept key no file can hold
    with pytest.raises(PSGraphError, match="cannot be written"):
        save(agent, path)
    assert path.read_bytes() == old and [p.name for p in tmp_path.iterdir()] == ["a.json"]


# ---------------------------------------------------------------------- hostile and broken files
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """One saved file of each agent, mid-episode (glow and a pending reward), as JSON docs."""
    folder = tmp_path_factory.mktemp("saved")
    docs = {}
    for cls in AGENTS:
        env = frozenlake()
        agent = make(cls, env, gamma_damping=0.01, eta_glow_damping=0.2, num_reflections=1)
        obs, _ = env.reset(seed=1)
        _, obs = run(agent, env, obs, 300)
        agent.act(obs)
        docs[cls.__name__] = json.loads(save_agent(agent, folder / f"{cls.__name__}.json").read_text())
    return docs


def expect_error(path, *fragments):
    with pytest.raises(PSGraphError) as info:
        load(path)
    assert type(info.value) is FileFormatError  # always the file error, never a bare ValueError or KeyError
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "empty"),
        (b"not json at all", "not valid JSON"),
        (b'{"format": "ps_graph.agent", "version": 1, "agent": "PSA', "truncated"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "the file must be a JSON object"),
        (b'{"format": "ps_graph.agent", "version": NaN}', "non-finite number NaN"),
        (b'{"format": "ps_graph.agent", "version": 1e400}', "version must be a 64-bit integer >= 1; got inf"),
        (b'{"format": "ps_graph.agent"}', "lacks the field(s) 'version'"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_broken_files(tmp_path, content, fragment):
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    expect_error(path, fragment)


def test_truncating_a_real_file_at_any_point_is_a_clear_error(tmp_path, saved):
    data = json.dumps(saved["PSAgent"]).encode()
    path = tmp_path / "cut.json"
    for cut in np.random.default_rng(0).integers(1, len(data) - 1, size=20):
        path.write_bytes(data[:cut])
        expect_error(path, "truncated")


class Boom:
    """Unpickling this would create the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("protocol", [0, pickle.HIGHEST_PROTOCOL])
def test_pickles_are_never_unpickled(tmp_path, protocol):
    marker = tmp_path / "code-ran"
    path = tmp_path / "agent.json"
    path.write_bytes(pickle.dumps(Boom(marker), protocol=protocol))
    expect_error(path, "pickle" if protocol else "not valid JSON")
    assert not marker.exists()
    pickle.loads(path.read_bytes())  # the payload is live: unpickling it does run code
    assert marker.exists()


def put(doc, dotted, value):
    """Set (or with value=DELETE remove) the field at a dotted path such as 'ecm.edges.0.h'."""
    *parents, last = dotted.split(".")
    for part in parents:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    if isinstance(doc, list):
        last = int(last)
    if value is DELETE:
        del doc[last]
    else:
        doc[last] = value


DELETE = object()

MUTATIONS = [
    # (agent, dotted field, new value, fragments of the message)
    ("PSAgent", "format", "pickle.agent", ["format is 'pickle.agent'", "not a ps_graph agent file"]),
    ("PSAgent", "version", VERSION + 1, [f"format version {VERSION + 1} is newer", "upgrade ps_graph"]),
    ("PSAgent", "version", "1", ["version must be a 64-bit integer >= 1; got '1'"]),
    ("PSAgent", "version", 0, ["version must be a 64-bit integer >= 1; got 0"]),
    ("PSAgent", "agent", "os.system", ["agent is 'os.system'; expected one of 'PSAgent', 'TwoLayerPS'"]),
    ("PSAgent", "rng", DELETE, ["the file lacks the field(s) 'rng'"]),
    ("PSAgent", "config.gamma_damping", "0.1", ["config: gamma_damping must be a finite number"]),
    ("PSAgent", "config.policy", "greedy", ["config: policy must be one of 'standard', 'softmax'"]),
    ("PSAgent", "config.eval", 1, ["config: unknown PS hyperparameter(s) ['eval']"]),
    ("PSAgent", "config.h0", DELETE, ["config lacks the field(s) 'h0'"]),
    ("PSAgent", "actions", [0, 2], ["actions must be consecutive integers"]),
    ("PSAgent", "actions", [0, 1, 2, 3, 4], ["do not match actions: missing [('action', 4)], extra []"]),
    ("PSAgent", "actions", [0, 1, 2], ["do not match actions: missing [], extra [('action', 3)]"]),
    ("PSAgent", "observation_space", {"type": "Box", "low": 0}, ["observation_space.type is 'Box'"]),
    (
        "PSAgent",
        "observation_space",
        {"type": "Discrete", "n": 0, "start": 0, "dtype": "int64"},
        ["observation_space.n must be a 64-bit integer >= 1; got 0"],
    ),
    ("PSAgent", "observation_space.dtype", "object", ["observation_space.dtype must be one of int8"]),
    ("PSAgent", "rng.bit_generator", "Evil", ["rng.bit_generator must be one of PCG64"]),
    ("PSAgent", "rng.state.state", -1, ["rng is not a valid PCG64 state"]),
    ("PSAgent", "rng.state", "x", ["rng is not a valid PCG64 state"]),
    ("PSAgent", "ecm.clips.0.kind", "wizard", ["ecm.clips[0].kind must be one of 'percept', 'action', 'hidden'"]),
    ("PSAgent", "ecm.clips.0.visits", -1, ["ecm.clips[0].visits must be a 64-bit integer >= 0; got -1"]),
    ("PSAgent", "ecm.clips.0.layer", 5, ["ecm: clip ('action', 0) is in layer 5"]),
    ("PSAgent", "ecm.clips.0.key", {"a": 1}, ["ecm.clips[0].key", "a dict"]),
    ("PSAgent", "ecm.clips", "all of them", ["ecm.clips must be a JSON list; got 'all of them'"]),
    ("PSAgent", "ecm.edges.0.h", -0.5, ["ecm.edges[0].h must be a finite number > 0.0 and <= 1e+15; got -0.5"]),
    ("PSAgent", "ecm.edges.0.h", 0, ["ecm.edges[0].h must be a finite number > 0.0 and <= 1e+15; got 0"]),
    ("PSAgent", "ecm.edges.0.glow", -1, ["ecm.edges[0].glow must be a finite number >= 0.0"]),
    ("PSAgent", "ecm.edges.0.h", 7.5, ["ecm.lazy.rows[0].h[0]", "the file was edited", "Delete the 'lazy' part"]),
    (
        "PSAgent",
        "ecm.edges.0.target",
        ["action", 99],
        ["ecm.edges[0].target names the clip ['action', 99], which ecm.clips does not list"],
    ),
    (
        "PSAgent",
        [("ecm.lazy", DELETE), ("ecm.edges.0.source", ["action", 0])],
        None,
        ["ecm: action clip ('action', 0) cannot have out-edges"],
    ),
    (
        "PSAgent",
        [
            ("ecm.lazy", DELETE),
            ("ecm.edges.1", {"source": ["percept", 0], "target": ["action", 0], "h": 1.0, "glow": 0.0}),
        ],
        None,
        ["ecm: edge ('percept', 0) -> ('action', 0) is listed twice"],
    ),
    (
        "PSAgent",
        [("ecm.lazy", DELETE), ("ecm.clips.1.kind", "percept"), ("ecm.clips.1.layer", 0)],
        None,
        ["ecm: percept clip ('action', 1) cannot be an edge target"],
    ),
    (
        "PSAgent",
        [("ecm.lazy", DELETE), ("ecm.clips.1.key", ["action", 0])],
        None,
        ["ecm.clips lists the clip ('action', 0) twice"],
    ),
    ("PSAgent", "ecm.edges.0", DELETE, ["ecm.lazy.rows[0].h must hold 3 entries; it holds 4"]),
    ("PSAgent", "ecm.lazy.rows.0.stamp", 10**9, ["after the clock"]),
    ("PSAgent", "ecm.lazy.glowing.0.glow", 0.0, ["ecm.lazy.glowing[0].glow must be a finite number > 0.0"]),
    ("PSAgent", "ecm.lazy.glowing.0.stamp", 0, ["ecm.lazy.glowing[0]", "the file was edited"]),
    (
        "PSAgent",
        "state.pending.source",
        ["action", 1],
        ["state.pending.source names the action clip", "kind 'percept'"],
    ),
    (
        "PSAgent",
        "state.emotions",
        [{"source": ["percept", 0], "target": ["action", 0], "positive": 1}],
        ["state.emotions[0].positive must be true or false; got 1"],
    ),
    (
        "TwoLayerPS",
        "state.percept_keys.0",
        99,
        ["state.percept_keys[0] is 99, which is not an observation of the file's observation_space Discrete(16)"],
    ),
    ("TwoLayerPS", "state.percept_keys.1", "__import__('os')", ["state.percept_keys[1] is \"__import__('os')\""]),
    ("TwoLayerPS", "state.h.0", [1.0, 1.0], ["state.h[0] must hold 4 entries; it holds 2"]),
    ("TwoLayerPS", "state.h", [], ["state.h must hold"]),
    ("TwoLayerPS", "state.h.0.0", "1.0", ["state.h[0][0] must be a finite number > 0.0 and <= 1e+15; got '1.0'"]),
    ("TwoLayerPS", "state.h.0.0", float("inf"), ["non-finite number Infinity"]),
    ("TwoLayerPS", "state.uniforms.0", 1.0, ["state.uniforms[0] must be a finite number >= 0.0 and < 1.0"]),
    ("TwoLayerPS", "state.next_uniform", 10**6, ["next_uniform 1000000 is past the"]),
    ("TwoLayerPS", "state.pending", {"row": 0, "column": 4}, ["state.pending names row 0, column 4, outside the"]),
    ("TwoLayerPS", "state.glowing.0.row", 10**6, ["state.glowing[0] names row 1000000"]),
    ("TwoLayerPS", "state.emotions.0.0", None, ["state.emotions[0][0] must be true or false; got None"]),
    ("TwoLayerPS", "state.lazy.stamps.0", -3, ["state.lazy.stamps[0] must be a 64-bit integer >= 0; got -3"]),
    ("TwoLayerPS", "state.lazy.h.0.0", 123.0, ["state.lazy.h[0][0]", "the file was edited"]),
    ("TwoLayerPS", "state.visits", [1], ["state.visits must hold"]),
]


MUTATION_IDS = [f"{m[0]}:{m[1] if isinstance(m[1], str) else m[1][-1][0]}" for m in MUTATIONS]


@pytest.mark.parametrize("agent, field, value, fragments", MUTATIONS, ids=MUTATION_IDS)
def test_edited_files_give_clear_errors(tmp_path, saved, agent, field, value, fragments):
    doc = copy.deepcopy(saved[agent])
    for f, v in field if isinstance(field, list) else [(field, value)]:
        put(doc, f, v)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc))
    expect_error(path, *fragments)


def test_the_saved_fixture_files_load(tmp_path, saved):
    """The files the mutations start from are valid, so each error above comes from its edit."""
    for name, doc in saved.items():
        assert doc["format"] == FORMAT and doc["version"] == 5 == VERSION  # for_env's labels (without: version 2)
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(doc))
        assert type(load(path)).__name__ == name


# ---------------------------------------------------------------------- bounds (issue 12)
def edited(tmp_path, doc, *edits):
    doc = copy.deepcopy(doc)
    for field, value in edits:
        put(doc, field, value)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc))
    return path


def test_a_glow_of_1e308_is_refused_instead_of_turning_h_into_inf(tmp_path, saved):
    # without the lazy part the current values are taken as they are: before the bounds, this
    # file loaded and one reward made h infinite (and the probabilities NaN)
    path = edited(tmp_path, saved["PSAgent"], ("ecm.lazy", DELETE), ("ecm.edges.0.glow", 1e308))
    expect_error(path, "ecm.edges[0].glow must be a finite number >= 0.0 and <= 1.0; got 1e+308")
    path = edited(tmp_path, saved["TwoLayerPS"], ("state.lazy", DELETE), ("state.glowing.0.glow", 1e308))
    expect_error(path, "state.glowing[0].glow must be a finite number >= 0.0 and <= 1.0; got 1e+308")
    path = edited(tmp_path, saved["PSAgent"], ("ecm.lazy", DELETE), ("ecm.edges.0.h", 1e300))
    expect_error(path, "ecm.edges[0].h must be a finite number > 0.0 and <= 1e+15; got 1e+300")
    path = edited(tmp_path, saved["TwoLayerPS"], ("state.lazy.glowing.0.glow", 1e300))
    expect_error(path, "state.lazy.glowing[0].glow must be a finite number > 0.0 and <= 1.0; got 1e+300")


@pytest.mark.parametrize("cls", AGENTS)
def test_accumulated_glow_is_bounded_by_max_glow(tmp_path, cls):
    agent = cls(2, spaces.Discrete(2), seed=0, glow="accumulate", eta_glow_damping=0.5)
    for _ in range(3):
        agent.act(0)
    doc = json.loads(save(agent, tmp_path / "a.json").read_text())
    section = doc["ecm"] if cls is PSAgent else doc["state"]
    del section["lazy"]
    field = "ecm.edges" if cls is PSAgent else "state.glowing"
    glowing = [i for i, e in enumerate(put_target(doc, field)) if e["glow"] > 1.0]
    assert glowing  # accumulated above 1, so allowed above 1
    load(edited(tmp_path, doc))
    path = edited(tmp_path, doc, (f"{field}.{glowing[0]}.glow", 2 * fileformat.MAX_GLOW))
    expect_error(path, "must be a finite number >= 0.0 and <= 1e+09; got 2000000000.0")


def put_target(doc, dotted):
    for part in dotted.split("."):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def test_percept_keys_outside_the_observation_space_are_refused(tmp_path, saved):
    doc = saved["PSAgent"]
    i = next(i for i, c in enumerate(doc["ecm"]["clips"]) if c["kind"] == "percept")
    for key in (-1, 16, 13.000013, 2**63, True, "3"):
        path = edited(tmp_path, doc, (f"ecm.clips.{i}.key", ["percept", key]))
        expect_error(path, f"ecm.clips[{i}].key[1] is {key!r}, which is not an observation", "Discrete(16)")


def test_a_key_listed_twice_in_a_json_object_is_refused(tmp_path, saved):
    text = json.dumps(saved["TwoLayerPS"])
    path = tmp_path / "twice.json"
    path.write_text(text.replace('{"format"', '{"agent": "PSAgent", "format"', 1))
    expect_error(path, "lists the key 'agent' twice")
    path.write_text(text.replace('"next_uniform":', '"next_uniform": 0, "next_uniform":', 1))
    expect_error(path, "lists the key 'next_uniform' twice")


def test_a_huge_value_in_a_file_gives_a_short_message(tmp_path, saved):
    path = edited(tmp_path, saved["PSAgent"], ("config.policy", "\x1b[2J" + "x" * 5_000_000))
    message = expect_error(path, "config: policy must be one of", "(5000004 characters)")
    assert len(message) < 300 + len(str(path)) and "\x1b" not in message


# ---------------------------------------------------------------------- what is read at all
def test_only_regular_files_are_read(tmp_path):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)  # opening it for reading would block until a writer came: it is never opened
    expect_error(fifo, "it is a FIFO (named pipe), not a regular file")
    expect_error(tmp_path, "it is a directory, not a regular file")
    if Path("/dev/zero").exists():  # reading it would never end
        with pytest.raises(FileFormatError, match="cannot load /dev/zero: it is a character device"):
            load("/dev/zero")


def test_files_over_the_size_limit_are_refused_before_reading(tmp_path, saved):
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(saved["PSAgent"]))
    size = path.stat().st_size
    assert type(load(path, max_bytes=size)) is PSAgent
    with pytest.raises(FileFormatError, match=f"it holds {size} bytes, over the limit of {size - 1} bytes"):
        load(path, max_bytes=size - 1)
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(fileformat.MAX_FILE_BYTES + 1)  # sparse: no disk used, and never read
    expect_error(big, "over the limit of 268435456 bytes (256 MiB)", "pass a larger max_bytes")


def test_an_unreadable_file_is_reported_as_such(tmp_path, saved, monkeypatch):
    path = tmp_path / "locked.json"
    path.write_text(json.dumps(saved["PSAgent"]))
    path.chmod(0)
    try:
        if os.geteuid() == 0:  # root reads any file: make opening it fail as it would for a user

            def refuse(*args, **kwargs):
                raise PermissionError(13, "Permission denied")

            monkeypatch.setattr(os, "open", refuse)
        expect_error(path, "permission denied", "check its permissions")
    finally:
        monkeypatch.undo()
        path.chmod(0o600)


def test_a_clip_named_with_a_float_or_bool_is_the_listed_clip(tmp_path, saved):
    # ("action", 0.0) == ("action", 0): before, the edge kept the float key and act() returned 0.0
    doc = copy.deepcopy(saved["PSAgent"])
    del doc["ecm"]["lazy"]
    i = next(i for i, e in enumerate(doc["ecm"]["edges"]) if e["target"] == ["action", 0])
    doc["ecm"]["edges"][i]["target"] = ["action", 0.0]
    agent = load(edited(tmp_path, doc))
    percept = doc["ecm"]["edges"][i]["source"][1]
    assert {type(agent.act(percept)) for _ in range(50)} == {int}
    j = next(j for j, c in enumerate(doc["ecm"]["clips"]) if c["key"] == ["action", 0])
    expect_error(edited(tmp_path, doc, (f"ecm.clips.{j}.key", ["action", 0.0])), 'must be ["action", an integer')


def test_max_hops_below_the_depth_of_the_ecm_is_refused(tmp_path):
    from ps_graph.growth import Generalization

    agent = PSAgent(2, seed=0)
    agent.percept("s")
    agent.ecm.add_hidden("h1", layer=1)
    agent.ecm.add_hidden("h2", layer=2)
    agent.ecm.connect(("percept", "s"), ["h1"])
    agent.ecm.connect("h1", ["h2"])
    agent.ecm.connect("h2", [("action", 0)])
    doc = json.loads(save(agent, tmp_path / "deep.json").read_text())
    load(edited(tmp_path, doc, ("config.max_hops", 3)))  # percept -> h1 -> h2 -> action
    expect_error(edited(tmp_path, doc, ("config.max_hops", 2)), "walks through the ECM's hidden clips take up to 3")
    grown = PSAgent(2, growth=Generalization(), seed=0)
    grown.percept((0, 0))
    doc = json.loads(save(grown, tmp_path / "grown.json").read_text())
    expect_error(edited(tmp_path, doc, ("config.max_hops", 2)), "growth.state.features is 2", "up to 3 hops")
