"""QLearningAgent.save / load: exact continuation, every piece of state, and files that are refused."""

import json
import os
import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import ps_graph
from ps_graph import ConfigError, PSGraphError
from qbaselines import QLearningAgent
from qbaselines._saved import FORMAT

SLIPPERY = dict(id="FrozenLake-v1", is_slippery=True)
KINDS = {
    "epsilon-exponential": dict(exploration_schedule="exponential", exploration_decay_episodes=40.0, q_init=0.25),
    "epsilon-linear": dict(exploration_decay_episodes=30.0, exploration_final_eps=0.1),
    "noisy_argmax": dict(exploration="noisy_argmax", learning_rate=0.8, gamma=0.9),
    "sarsa": dict(sarsa=True, exploration_schedule="exponential", exploration_decay_episodes=25.0),
}


def run(agent, steps, seed, swap_at=(), folder=None):
    """``steps`` steps on slippery FrozenLake (100-step limit, so both terminations and
    truncations happen); at each step in ``swap_at`` the agent is saved and replaced by the
    loaded copy, after act() (a transition pending) on even steps, after observe() on odd ones
    (SARSA's pre-chosen next action pending). Returns the actions and the final agent."""
    env = gym.make(**SLIPPERY)
    obs, _ = env.reset(seed=seed)
    actions = []

    def swap(agent, t):
        return QLearningAgent.load(agent.save(folder / f"{t}.json")) if t in swap_at else agent

    for t in range(steps):
        agent = swap(agent, t) if t % 2 else agent
        actions.append(agent.act(obs))
        agent = agent if t % 2 else swap(agent, t)
        obs, r, term, trunc, _ = env.step(actions[-1])
        agent.observe(r, obs, term, trunc)
        obs = env.reset()[0] if term or trunc else obs
    return actions, agent


@pytest.mark.parametrize("kind", KINDS)
def test_a_loaded_agent_continues_bit_for_bit(kind, tmp_path):
    # the reference runs without interruption; the other is saved and reloaded 7 times mid-run
    steps = 3000
    reference, ref = run(QLearningAgent.for_env(gym.make(**SLIPPERY), seed=7, **KINDS[kind]), steps, seed=7)
    swapped, agent = run(
        QLearningAgent.for_env(gym.make(**SLIPPERY), seed=7, **KINDS[kind]),
        steps,
        seed=7,
        swap_at=(1, 2, 499, 1000, 1501, 2222, 2999),
        folder=tmp_path,
    )
    assert swapped == reference
    assert list(agent.q) == list(ref.q)  # rows in the same first-seen order
    for key in ref.q:
        np.testing.assert_array_equal(agent.q[key], ref.q[key])  # exact, not approximate
    assert agent.episode == ref.episode > 20 and agent.epsilon == ref.epsilon
    assert agent.rng.bit_generator.state == ref.rng.bit_generator.state
    assert agent.config == ref.config
    # an exploring run is not trivially the same: another seed acts differently
    assert run(QLearningAgent.for_env(gym.make(**SLIPPERY), seed=8, **KINDS[kind]), 300, seed=7)[0] != reference[:300]


def test_the_file_holds_every_piece_of_state(tmp_path):
    agent = QLearningAgent(spaces.Discrete(2, start=3), spaces.Discrete(4), sarsa=True, seed=1)
    agent.q = {2: np.array([0.5, -1.25]), 0: np.array([3.0, 0.0])}
    agent.episode, agent._pending, agent._next = 12, (2, 1), (0, 0)
    doc = json.loads(agent.save(tmp_path / "q.json").read_text())
    assert doc["format"] == FORMAT == "qbaselines.QLearningAgent" and doc["version"] == 1
    assert doc["actions"] == [3, 4]
    assert doc["observation_space"] == {"type": "Discrete", "n": 4, "start": 0, "dtype": "int64"}
    assert doc["config"]["sarsa"] is True and doc["config"]["seed"] == 1
    assert doc["state"] == {
        "episode": 12,
        "q": [{"key": 2, "values": [0.5, -1.25]}, {"key": 0, "values": [3.0, 0.0]}],
        "pending": {"key": 2, "action": 1},
        "next": {"key": 0, "action": 0},
    }
    twin = QLearningAgent.load(tmp_path / "q.json")
    assert twin.actions == [3, 4] and twin.episode == 12 and twin._pending == (2, 1) and twin._next == (0, 0)
    assert twin.observation_space == spaces.Discrete(4)


def test_tuple_keys_and_no_observation_space_round_trip(tmp_path):
    space = spaces.Tuple((spaces.Discrete(3), spaces.MultiDiscrete([2, 2])))
    agent = QLearningAgent(3, space, seed=2)
    for obs in [(0, np.array([1, 0])), (2, np.array([1, 1]))]:
        agent.act(obs)
        agent.observe(1.0, obs, False, False)
    twin = QLearningAgent.load(agent.save(tmp_path / "t.json"))
    assert list(twin.q) == [(0, (1, 0)), (2, (1, 1))] == list(agent.q)
    assert twin.act((2, np.array([1, 1])), explore=False) == agent.act((2, np.array([1, 1])), explore=False)
    loose = QLearningAgent(2, None, seed=0)  # no space: observations are the keys as they are
    loose.act("left")
    loose.observe(0.5, ("x", 1), True, False)
    twin = QLearningAgent.load(loose.save(tmp_path / "n.json"))
    assert twin.observation_space is None and list(twin.q) == ["left", ("x", 1)]


def test_saving_changes_nothing_and_replaces_atomically(tmp_path):
    env = gym.make(**SLIPPERY)
    agent = QLearningAgent.for_env(env, seed=0)
    ps_graph.train(agent, env, episodes=30, seed=0)
    state, table = agent.rng.bit_generator.state, {k: v.copy() for k, v in agent.q.items()}
    path = tmp_path / "q.json"
    path.write_text("old")
    assert agent.save(str(path)) == path
    assert agent.rng.bit_generator.state == state and all(np.array_equal(agent.q[k], table[k]) for k in table)
    assert [p.name for p in tmp_path.iterdir()] == ["q.json"]  # no temporary file left behind
    assert QLearningAgent.load(path).q.keys() == agent.q.keys()


def test_what_cannot_be_saved_is_refused(tmp_path):
    agent = QLearningAgent(2, spaces.Discrete(2), rng=np.random.Generator(np.random.MT19937(0)))
    QLearningAgent.load(agent.save(tmp_path / "mt.json"))  # a supported bit generator
    odd = QLearningAgent(2, spaces.Discrete(2), rng=np.random.default_rng(0))
    odd.rng = np.random.RandomState(0)
    with pytest.raises(ConfigError, match="rng must be a numpy Generator"):
        odd.save(tmp_path / "odd.json")
    huge = QLearningAgent(2, spaces.Discrete(2), seed=0)
    huge.q[0] = np.array([np.inf, 0.0])
    with pytest.raises(PSGraphError, match=r"cannot save the Q-learning agent .* Out of range float"):
        huge.save(tmp_path / "inf.json")

    class Special(QLearningAgent):
        pass

    with pytest.raises(ConfigError, match="got Special"):
        Special(2, spaces.Discrete(2)).save(tmp_path / "s.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mt.json"]


# ---------------------------------------------------------------------- refused files
class Exploit:
    """Unpickling this would create a marker file (if anything ever unpickled it)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (os.fspath(self.marker), "w"))


@pytest.fixture
def document(tmp_path):
    agent = QLearningAgent(2, spaces.Discrete(3), sarsa=True, seed=0)
    agent.act(0)
    return json.loads(agent.save(tmp_path / "good.json").read_text())


def _edited(document, edit):
    doc = json.loads(json.dumps(document))
    edit(doc)
    return json.dumps(doc)


def test_files_with_the_old_exploration_names_load(document, tmp_path):
    """Files saved before the rename (epsilon_initial, ...) load under today's names."""
    from qbaselines.qlearning import RENAMED

    doc = json.loads(json.dumps(document))
    doc["config"] = {old: doc["config"].pop(new) for old, new in RENAMED.items()} | doc["config"]
    (tmp_path / "old.json").write_text(json.dumps(doc))
    assert QLearningAgent.load(tmp_path / "old.json").config.to_dict() == document["config"]
    doc["config"]["exploration_schedule"] = "linear"  # an old and a new name for one field: refused
    (tmp_path / "both.json").write_text(json.dumps(doc))
    with pytest.raises(PSGraphError, match=r"unknown Q-learning hyperparameter.*'epsilon_schedule' was renamed"):
        QLearningAgent.load(tmp_path / "both.json")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(version=2), "format version 2 is newer than this qbaselines reads (up to 1)"),
        (lambda d: d.update(version=0), "version must be a 64-bit integer >= 1; got 0"),
        (
            lambda d: d.update(format="ps_graph.agent"),
            "not a saved QLearningAgent. It is a PS agent file: load it with ps_graph.load",
        ),
        (lambda d: d.pop("rng"), "the file lacks the field(s) 'rng'"),
        (lambda d: d["config"].update(learning_rate=2), "config: learning_rate must be"),
        (lambda d: d["config"].update(alpha=0.1), "config: unknown Q-learning hyperparameter"),
        (lambda d: d["config"].pop("gamma"), "config lacks the field(s) 'gamma'"),
        (lambda d: d.update(actions=[0, 2]), "actions must be consecutive integers"),
        (lambda d: d.update(observation_space={"type": "Box"}), "observation_space.type is 'Box'"),
        (lambda d: d["rng"].update(bit_generator="Evil"), "rng.bit_generator must be one of"),
        (lambda d: d["state"]["q"][0].update(values=[0.0]), "state.q[0].values must hold 2 entries; it holds 1"),
        (
            lambda d: d["state"]["q"][0].update(values=[0.0, "1"]),
            "state.q[0].values[1] must be a finite number >= -1e+15 and <= 1e+15; got '1'",
        ),
        (lambda d: d["state"]["q"].append(d["state"]["q"][0]), "state.q lists a percept key twice"),
        (lambda d: d["state"]["q"][0].update(key={"a": 1}), "state.q[0].key: a clip key in the file is a dict"),
        (lambda d: d["state"].update(episode=-1), "state.episode must be a 64-bit integer >= 0; got -1"),
        (
            lambda d: d["state"].update(episode=2**63),
            "state.episode must be a 64-bit integer >= 0; got 9223372036854775808",
        ),
        # keys outside the observation space (Discrete(3)), values far from any learned Q
        *[
            (
                lambda d, key=key: d["state"]["q"][0].update(key=key),
                f"state.q[0].key is {key!r}, which is not an observation of the file's observation_space Discrete(3)",
            )
            for key in (-1, 3, 13.000013, 2**63, True, [0])
        ],
        (
            lambda d: d["state"]["pending"].update(key=7),
            "state.pending.key is 7, which is not an observation of the file's observation_space",
        ),
        (
            lambda d: d["state"]["q"][0].update(values=[1e300, 0.0]),
            "state.q[0].values[0] must be a finite number >= -1e+15 and <= 1e+15; got 1e+300",
        ),
        (lambda d: d["state"]["pending"].update(action=2), "state.pending.action must be an index into the 2 actions"),
        (lambda d: d["state"].update(next=[0, 1]), "state.next must be a JSON object"),
        (lambda d: d["state"].pop("next"), "state lacks the field(s) 'next'"),
    ],
)
def test_edited_files_name_the_field(document, edit, message, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(_edited(document, edit))
    with pytest.raises(PSGraphError) as err:
        QLearningAgent.load(path)
    assert str(err.value).startswith(f"cannot load {path}: ") and message in str(err.value)


def test_nan_truncated_and_foreign_files_are_refused(document, tmp_path):
    good = json.dumps(document, separators=(",", ":"))
    ps_file = ps_graph.save(ps_graph.TwoLayerPS(2, seed=0), tmp_path / "ps.json")
    cases = {
        "nan.json": (good.replace('"values":[0.0,0.0]', '"values":[NaN,0.0]', 1), "non-finite number NaN"),
        "cut.json": (good[: len(good) // 2], "the file is truncated"),
        "empty.json": ("", "the file is empty"),
        "text.json": ("hello", "not valid JSON"),
        "list.json": ("[1, 2]", "the file must be a JSON object"),
    }
    assert "NaN" in cases["nan.json"][0]
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(PSGraphError, match=f"cannot load .*{name}: .*{message}"):
            QLearningAgent.load(tmp_path / name)
    with pytest.raises(PSGraphError, match=r"format is 'ps_graph.agent'.*load it with ps_graph.load"):
        QLearningAgent.load(ps_file)
    (tmp_path / "dqn.pt").write_bytes(b"PK\x03\x04" + bytes(20))
    with pytest.raises(PSGraphError, match=r"zip archive.*DQNAgent.load"):
        QLearningAgent.load(tmp_path / "dqn.pt")
    with pytest.raises(FileNotFoundError):
        QLearningAgent.load(tmp_path / "missing.json")


@pytest.mark.parametrize("protocol", [0, pickle.HIGHEST_PROTOCOL])
def test_a_pickle_that_would_run_code_is_refused_and_nothing_runs(protocol, tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.json"
    path.write_bytes(pickle.dumps(Exploit(marker), protocol=protocol))
    with pytest.raises(PSGraphError, match=r"cannot load .*evil.json: .*(Python pickle|not valid JSON)"):
        QLearningAgent.load(path)
    assert not marker.exists()
    pickle.loads(path.read_bytes()).close()  # the payload does run when unpickled: the check above can fail
    assert marker.exists()


def test_a_key_listed_twice_is_refused(document, tmp_path):
    text = json.dumps(document)
    path = tmp_path / "twice.json"
    path.write_text(text.replace('"episode":', '"episode": 0, "episode":', 1))
    with pytest.raises(PSGraphError, match=r"cannot load .*twice.json: .*lists the key 'episode' twice"):
        QLearningAgent.load(path)


def test_only_regular_files_are_read(tmp_path):
    os.mkfifo(tmp_path / "fifo.json")
    with pytest.raises(PSGraphError, match=r"fifo.json: it is a FIFO \(named pipe\), not a regular file"):
        QLearningAgent.load(tmp_path / "fifo.json")
    with pytest.raises(PSGraphError, match=r"it is a directory, not a regular file"):
        QLearningAgent.load(tmp_path)
