"""DQN files are checked like the JSON agent files: every field and tensor, one package error
naming the file and the problem, the env's spaces compared; and a seeded fuzz over saved files."""

import copy
import io
import json
import os
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

import ps_graph
from ps_graph.errors import FileFormatError, PSGraphError
from qbaselines import DQNAgent, QLearningAgent

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "format_v2"


def lake():
    return gym.make("FrozenLake-v1", is_slippery=False)


@pytest.fixture(autouse=True)
def torch_threads():
    """Restores torch's thread count, which building an agent (from a file, too) sets for the process."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> bytes:
    """The bytes of a trained DQNAgent's file (FrozenLake, a tiny network)."""
    env = lake()
    agent = DQNAgent.for_env(
        env, net_arch=[8], learning_starts=20, batch_size=8, buffer_size=500, target_update_interval=50, seed=2
    )
    ps_graph.train(agent, env, total_steps=200, seed=1)
    return agent.save(tmp_path_factory.mktemp("dqn") / "agent.pt").read_bytes()


def payload_of(data: bytes) -> dict:
    return torch.load(io.BytesIO(data), weights_only=True)


def write(tmp_path, payload, name="edited.pt") -> Path:
    path = tmp_path / name
    torch.save(payload, path)
    return path


def edited(saved, field, change):
    """The saved payload with the JSON text ``field`` changed by ``change(document)``."""
    payload = payload_of(saved)
    doc = json.loads(payload[field])
    change(doc)
    payload[field] = json.dumps(doc)
    return payload


# ---------------------------------------------------------------------- the reproducers
def test_a_counter_of_the_wrong_type_is_refused_not_crashing_train_later(tmp_path, saved):
    path = write(tmp_path, edited(saved, "state", lambda d: d.update(num_timesteps="300")))
    with pytest.raises(FileFormatError, match=r"edited\.pt: state\.num_timesteps must be a 64-bit integer >= 0"):
        DQNAgent.load(path, lake())


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e30])
def test_weights_that_are_not_finite_or_diverged_are_refused(tmp_path, saved, value):
    payload = payload_of(saved)
    payload["q_net"]["2.bias"][1] = value
    with pytest.raises(FileFormatError, match=r"q_net\['2\.bias'\] holds"):
        DQNAgent.load(write(tmp_path, payload), lake())


def test_a_file_for_another_env_says_which_space_differs(tmp_path, saved):
    path = tmp_path / "agent.pt"
    path.write_bytes(saved)
    with pytest.raises(FileFormatError, match=r"agent\.pt: observation_space and actions differ from the env's \("):
        DQNAgent.load(path, gym.make("CartPole-v1"))
    with pytest.raises(FileFormatError, match=r"actions differs from the env's \(actions: the file's is '\[0,1,2,3\]'"):
        DQNAgent.load(path, actions=gym.spaces.Discrete(2), observation_space=gym.spaces.Discrete(16))
    same_size = gym.spaces.Box(0, 1, (16,))  # as many inputs, another space
    with pytest.raises(FileFormatError, match="observation_space differs"):
        DQNAgent.load(path, actions=gym.spaces.Discrete(4), observation_space=same_size)


def test_an_old_file_for_another_env_says_which_space_differs_from_the_tensors():
    old = FIXTURES / "dqn_agent.pt"  # version 1: no spaces in the file
    with pytest.raises(FileFormatError, match=r"the network takes 16 inputs but the env's observations encode to 4"):
        DQNAgent.load(old, gym.make("CartPole-v1"))
    with pytest.raises(FileFormatError, match=r"values 4 actions but the env has 3"):
        DQNAgent.load(old, actions=gym.spaces.Discrete(3), observation_space=gym.spaces.Discrete(16))
    with pytest.raises(PSGraphError, match="needs the env"):
        DQNAgent.load(old)


def test_directories_special_and_unreadable_files_are_reported_as_such(tmp_path, saved):
    env = lake()
    with pytest.raises(FileFormatError, match="it is a directory"):
        DQNAgent.load(tmp_path, env)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(FileFormatError, match="FIFO"):
        DQNAgent.load(fifo, env)  # refused without opening it (opening would block)
    with pytest.raises(FileNotFoundError):
        DQNAgent.load(tmp_path / "missing.pt", env)
    locked = tmp_path / "locked.pt"
    locked.write_bytes(saved)
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # root reads anything
        pytest.skip("this process may read any file")
    with pytest.raises(FileFormatError, match="permission denied"):
        DQNAgent.load(locked, env)


def test_json_agent_files_are_named(tmp_path):
    path = QLearningAgent.for_env(lake(), seed=0).save(tmp_path / "q.json")
    with pytest.raises(FileFormatError, match=r"q\.json: this is a JSON file, not a saved DQNAgent"):
        DQNAgent.load(path, lake())


def test_the_tensors_are_checked_before_they_reach_the_network(tmp_path, saved):
    cases = {
        "q_net": lambda p: p["q_net"].pop("0.bias"),
        "target_net": lambda p: p["target_net"].update({"4.weight": torch.zeros(1)}),
    }
    for where, change in cases.items():
        payload = payload_of(saved)
        change(payload)
        with pytest.raises(FileFormatError, match=rf"{where} holds the tensors .*net_arch \[8\] has"):
            DQNAgent.load(write(tmp_path, payload), lake())
    payload = payload_of(saved)
    payload["q_net"]["0.weight"] = payload["q_net"]["0.weight"].double()
    with pytest.raises(FileFormatError, match=r"q_net\['0\.weight'\] must be a dense float32 tensor; got a torch"):
        DQNAgent.load(write(tmp_path, payload), lake())
    payload = payload_of(saved)
    payload["q_net"]["2.weight"] = torch.zeros(4, 9)
    with pytest.raises(FileFormatError, match=r"has shape \(4, 9\), expected \(4, 8\) \(from config\.net_arch"):
        DQNAgent.load(write(tmp_path, payload), lake())


def test_a_saved_file_is_version_2_and_an_agent_with_nan_weights_is_not_saved(tmp_path, saved):
    payload = payload_of(saved)
    assert payload["version"] == 2 and json.loads(payload["observation_space"])["n"] == 16
    agent = DQNAgent.load(write(tmp_path, payload, "ok.pt"), lake())
    with torch.no_grad():
        agent.q_net[0].weight[0, 0] = float("nan")
    with pytest.raises(PSGraphError, match=r"cannot save the DQN agent to .*q_net\['0\.weight'\] holds NaN"):
        agent.save(tmp_path / "nan.pt")
    assert not (tmp_path / "nan.pt").exists()


# ---------------------------------------------------------------------- fuzz
ODD_VALUES = [None, -1, 0, 1, 2**63, -(2**63) - 1, 1e308, 0.5, "300", "", [], {}, True]


def leaves(doc, path=()):
    """The paths to every value in a JSON document (dicts and lists), containers included."""
    yield path
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from leaves(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from leaves(v, (*path, i))


def replaced(doc, path, value):
    doc = copy.deepcopy(doc)
    if not path:
        return value
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if value is KeyError:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def mutations(saved: bytes, rng: np.random.Generator):
    """(name, bytes) of mutated files: JSON fields, top-level fields, tensors, truncation, flipped bytes."""
    base = payload_of(saved)

    def torch_bytes(payload) -> bytes:
        buf = io.BytesIO()
        torch.save(payload, buf)
        return buf.getvalue()

    for field in ("config", "actions", "observation_space", "state"):
        doc = json.loads(base[field])
        for path in leaves(doc):
            for value in [KeyError, *ODD_VALUES] if path else ODD_VALUES:
                payload = dict(base, **{field: json.dumps(replaced(doc, path, value))})
                yield f"{field}{list(path)}={value!r}", payload
        for text in ("", "{", "NaN", '{"a": 1, "a": 2}', "[" * 10_000, "\ud800"):
            yield f"{field} text {text[:5]!r}", dict(base, **{field: text})
    for key in base:
        yield f"no {key}", {k: v for k, v in base.items() if k != key}
        for value in (None, 3, "x", torch.zeros(2), {}, [], 2.5):
            yield f"{key}={value!r}", dict(base, **{key: value})
    for net in ("q_net", "target_net"):
        for name, tensor in base[net].items():
            for change in (
                lambda t: t.fill_(float("nan")),
                lambda t: t.fill_(-float("inf")),
                lambda t: t.mul_(1e12),
                lambda t: t.double(),
                lambda t: t.int(),
                lambda t: t.T if t.ndim == 2 else t[:-1],
                lambda t: t.reshape(-1)[:1],
                lambda t: t.tolist(),
            ):
                yield f"{net}[{name}] changed", dict(base, **{net: {**base[net], name: change(tensor.clone())}})
    data = torch_bytes(base)
    for cut in sorted(rng.integers(1, len(data), 12)):
        yield f"truncated at {cut}", data[:cut]
    for _ in range(24):
        flipped = bytearray(data)
        for i in rng.integers(0, len(data), 3):
            flipped[i] ^= int(rng.integers(1, 256))
        yield "flipped bytes", bytes(flipped)


def test_fuzzed_dqn_files_are_refused_or_train(tmp_path, saved):
    """Every mutated file raises the package error, or loads into an agent that trains 5 episodes."""
    rng = np.random.default_rng(12)
    cases = list(mutations(saved, rng))
    picked = [cases[i] for i in sorted(rng.choice(len(cases), size=min(len(cases), 400), replace=False))]
    refused = trained = 0
    for name, case in picked:
        path = tmp_path / "fuzzed.pt"
        if isinstance(case, bytes):
            path.write_bytes(case)
        else:
            torch.save(case, path)
        try:
            agent = DQNAgent.load(path, lake())
        except FileFormatError as err:
            assert str(err).startswith(f"cannot load {path}: ") and "\n" not in str(err), name
            refused += 1
            continue
        ps_graph.train(agent, lake(), episodes=5, seed=0)
        trained += 1
    assert refused > 100 and trained > 10  # the fuzz reaches both outcomes
