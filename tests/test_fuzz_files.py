"""Fuzzed save files (issue 12): every mutated file is refused with the package error or loads
into an agent that trains 5 episodes on its env.

A saved file of each kind (PSAgent with and without growth, TwoLayerPS, QLearningAgent and
DQNAgent, and the deliberation variants of format version 4: a voting, primed multi-excitation
PSAgent with Conjunctions and a voting, primed TwoLayerPS; each saved mid-episode) is mutated
many times, seeded: JSON values swapped for other types, huge, negative, non-finite or
off-by-one numbers, keys and entries deleted or repeated, keys listed twice, text cut short
or bytes overwritten; for DQN's torch archive
also its JSON parts and its tensors (NaN, wrong shapes and dtypes, missing or foreign
entries). Loading each mutated file must either raise a :class:`~ps_graph.PSGraphError` or
give an agent that trains 5 episodes without any error; no other exception, no hang (each
case runs under a deadline). A file that loads into an agent for other spaces (the edit
described another env) counts as refused for this env: ``ps_graph.load`` takes no env to
check it against.

Set ``FUZZ_SCALE=20`` in the environment to run 20 times as many cases (a longer search).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import ps_graph
from ps_graph import PSAgent, PSGraphError, TwoLayerPS
from ps_graph.growth import Conjunctions, Generalization
from ps_graph.percepts import discrete_actions
from qbaselines import QLearningAgent

SEED = 12
DEADLINE_S = 20  # per case: loading and 5 episodes take milliseconds


# ---------------------------------------------------------------------- the files
def frozenlake():
    return gym.make("FrozenLake-v1", is_slippery=True)


def driver():
    return gym.make("ps_graph/DriverGame-v0")


def trained(agent, env, episodes=30):
    """``agent`` after some training and one more act() (glow and a pending step in the file)."""
    ps_graph.train(agent, env, episodes=episodes, seed=0)
    agent.act(env.reset(seed=1)[0])
    return agent


def ps_file(path: Path) -> Path:
    env = frozenlake()
    return ps_graph.save(trained(PSAgent.for_env(env, eta_glow_damping=0.2, gamma_damping=0.01, seed=0), env), path)


def growth_file(path: Path) -> Path:
    env = driver()
    agent = PSAgent.for_env(env, growth=Generalization(), glow="accumulate", eta_glow_damping=0.5, seed=0)
    return ps_graph.save(trained(agent, env, episodes=60), path)


def two_layer_file(path: Path) -> Path:
    env = frozenlake()
    return ps_graph.save(trained(TwoLayerPS.for_env(env, eta_glow_damping=0.2, num_reflections=1, seed=0), env), path)


def invasion():
    return gym.make("ps_graph/InvasionWithDistraction-v0")


def meps_file(path: Path) -> Path:
    env = invasion()
    agent = PSAgent.for_env(
        env, percepts="factorized", growth=Conjunctions(k=2), policy="softmax", eta_glow_damping=1.0, votes=3,
        num_reflections=1, priming={1: 0.3}, seed=0,
    )  # fmt: skip
    return ps_graph.save(trained(agent, env, episodes=40), path)


def voting_file(path: Path) -> Path:
    env = frozenlake()
    agent = TwoLayerPS.for_env(env, policy="softmax", votes=3, priming={0: -0.5, 2: 0.5}, gamma_damping=0.01, seed=0)
    return ps_graph.save(trained(agent, env), path)


def q_file(path: Path) -> Path:
    env = frozenlake()
    return trained(QLearningAgent.for_env(env, sarsa=True, seed=0), env).save(path)


def dqn_small(env):
    from qbaselines import DQNAgent

    return DQNAgent.for_env(
        env, learning_starts=20, train_freq=4, batch_size=8, target_update_interval=20, net_arch=[8], seed=0
    )


def dqn_file(path: Path) -> Path:
    env = gym.make("CartPole-v1")
    return trained(dqn_small(env), env, episodes=4).save(path)


def load_dqn(path: Path, env):
    from qbaselines import DQNAgent

    return DQNAgent.load(path, env)


# name: (write a file, the env it trains on, load a file, JSON or torch, mutated files)
KINDS: dict[str, tuple[Callable, Callable, Callable, str, int]] = {
    "PSAgent": (ps_file, frozenlake, lambda path, env: ps_graph.load(path), "json", 120),
    "PSAgent-growth": (growth_file, driver, lambda path, env: ps_graph.load(path), "json", 120),
    "TwoLayerPS": (two_layer_file, frozenlake, lambda path, env: ps_graph.load(path), "json", 120),
    "QLearningAgent": (q_file, frozenlake, lambda path, env: QLearningAgent.load(path), "json", 120),
    "DQNAgent": (dqn_file, lambda: gym.make("CartPole-v1"), load_dqn, "torch", 60),
    "PSAgent-meps": (meps_file, invasion, lambda path, env: ps_graph.load(path), "json", 80),
    "TwoLayerPS-voting": (voting_file, frozenlake, lambda path, env: ps_graph.load(path), "json", 120),
}


# ---------------------------------------------------------------------- mutations
ODD_VALUES = [
    None, True, False, 0, -1, 1, 2, 2**31, 2**63, -(2**63) - 1, 10**30, 0.5, -0.5, 1e-300, 1e15, 1e16, 1e308,
    -1e308, float("nan"), float("inf"), "", "1", "x", "\x1b[31m", "a" * 10_000, [], [0], [[]], {}, {"a": 1},
]  # fmt: skip


def other_value(rng: np.random.Generator, old):
    """A value to put where ``old`` was: one of the odd ones, or a near miss of ``old``."""
    if isinstance(old, (int, float)) and not isinstance(old, bool) and rng.random() < 0.5:
        near = [-old, old + 1, old - 1, old * 1e10, old * 1e300, float(old), int(old) if abs(old) < 1e300 else 0]
        return near[rng.integers(len(near))]
    if isinstance(old, list) and old and rng.random() < 0.5:
        near = [old[:-1], old + old[-1:], old[::-1], old * 2]
        return near[rng.integers(len(near))]
    if isinstance(old, str) and rng.random() < 0.3:
        return [old + "x", old.upper(), old * 3][rng.integers(3)]
    return copy.deepcopy(ODD_VALUES[rng.integers(len(ODD_VALUES))])


def places(doc, found=None, depth=0):
    """Every (container, key) pair in ``doc``, top-level sections first."""
    found = [] if found is None else found
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        found.append((doc, key, depth))
        places(value, found, depth + 1)
    return found


def mutate_document(rng: np.random.Generator, doc) -> str:
    """Edit one random place of ``doc`` (in place); returns what was done."""
    found = places(doc)
    # a uniform place would nearly always hit the big tables: pick a depth first
    depth = rng.integers(max(d for _, _, d in found) + 1)
    at = [(c, k) for c, k, d in found if d == depth]
    container, key = at[rng.integers(len(at))]
    action = rng.random()
    if action < 0.15:
        if isinstance(container, dict):
            del container[key]
        else:
            container.pop(key)
        return f"deleted [{key!r}] at depth {depth}"
    if action < 0.22 and isinstance(container, list):
        container.insert(key, copy.deepcopy(container[key]))
        return f"repeated entry {key} at depth {depth}"
    if action < 0.27 and isinstance(container, dict):
        container["unexpected"] = 1
        return f"added a field next to {key!r} at depth {depth}"
    old = container[key]
    container[key] = other_value(rng, old)
    return f"[{key!r}] at depth {depth}: {str(old)[:40]} -> {str(container[key])[:40]}"


def mutate_text(rng: np.random.Generator, data: bytes) -> tuple[bytes, str]:
    """Byte-level damage: truncation, overwritten bytes, a key listed twice."""
    action = rng.integers(3)
    if action == 0:
        cut = int(rng.integers(len(data)))
        return data[:cut], f"truncated at {cut}"
    if action == 1:
        out = bytearray(data)
        for _ in range(int(rng.integers(1, 5))):
            out[rng.integers(len(out))] = int(rng.integers(256))
        return bytes(out), "overwrote bytes"
    text = data.decode("utf-8", errors="replace")
    keys = [k for k in ('"h":', '"glow":', '"version":', '"config":', '"episode":', '"stamp":') if k in text]
    if not keys:
        return data[: len(data) // 2], "truncated at half"
    key = keys[rng.integers(len(keys))]
    return text.replace(key, f"{key} 1, {key}", 1).encode(), f"listed {key} twice"


def mutated_json(rng: np.random.Generator, original: bytes) -> tuple[bytes, str]:
    if rng.random() < 0.2:
        return mutate_text(rng, original)
    doc = json.loads(original)
    what = "; ".join(mutate_document(rng, doc) for _ in range(int(rng.integers(1, 3))))
    return json.dumps(doc, allow_nan=True).encode(), what


def mutated_torch(rng: np.random.Generator, original: bytes) -> tuple[bytes, str]:
    """A DQN file with its JSON parts, its tensors or its bytes damaged."""
    import torch

    if rng.random() < 0.15:
        return mutate_text(rng, original)
    payload = torch.load(io.BytesIO(original), weights_only=True)
    part = ["config", "state", "q_net", "target_net", "top"][rng.integers(5)]
    if part in ("config", "state"):
        if rng.random() < 0.15:
            payload[part] = other_value(rng, payload[part])
            what = f"{part} replaced by {str(payload[part])[:40]}"
        else:
            doc = json.loads(payload[part])
            what = f"{part}: {mutate_document(rng, doc)}"
            payload[part] = json.dumps(doc, allow_nan=True)
    elif part == "top":
        what = f"top-level: {mutate_document(rng, payload)}"
    else:
        what = f"{part}: {mutate_tensors(rng, payload[part])}"
    buf = io.BytesIO()
    torch.save(payload, buf)
    return buf.getvalue(), what


def mutate_tensors(rng: np.random.Generator, state: dict) -> str:
    import torch

    name = list(state)[rng.integers(len(state))]
    tensor = state[name]
    action = rng.integers(7)
    if action == 0:
        tensor = tensor.clone()
        tensor.view(-1)[0] = float(["nan", "inf", "-inf"][rng.integers(3)])
        state[name] = tensor
    elif action == 1:
        state[name] = torch.zeros(tuple(s + 1 for s in tensor.shape))
    elif action == 2:
        state[name] = tensor.to([torch.float64, torch.int64, torch.float16, torch.bool][rng.integers(4)])
    elif action == 3:
        del state[name]
    elif action == 4:
        state["extra.weight"] = torch.zeros(2)
    elif action == 5:
        state[name] = tensor.flatten()
    else:
        state[name] = tensor * 1e38
    return f"{name}: mutation {action}"


# ---------------------------------------------------------------------- the check
@contextlib.contextmanager
def deadline(seconds: int, what: str):
    """Fail (instead of hanging) when the block runs longer than ``seconds``."""

    def expired(signum, frame):
        raise TimeoutError(f"no result after {seconds} s: {what}")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def fits(agent, env) -> bool:
    """Whether the loaded agent is one for ``env``'s spaces (else the edit described another env)."""
    if list(agent.actions) != discrete_actions(env.action_space):
        return False
    space = getattr(agent, "observation_space", None)
    return space is None or space == env.observation_space


def outcome(load, path: Path, make_env) -> str:
    """The result: "refused", "other env" or "trained"; any other exception propagates."""
    env = make_env()
    try:
        agent = load(path, env)
    except PSGraphError:
        return "refused"
    if not fits(agent, env):
        return "other env"
    ps_graph.train(agent, env, episodes=5, seed=0)
    return "trained"


@pytest.mark.parametrize("name", list(KINDS))
def test_mutated_files_are_refused_or_train(name, tmp_path):
    if name == "DQNAgent":
        pytest.importorskip("torch")
    write, make_env, load, kind, cases = KINDS[name]
    cases *= int(os.environ.get("FUZZ_SCALE", "1"))
    original = write(tmp_path / "original").read_bytes()
    with deadline(DEADLINE_S, f"{name}: the unmutated file"):
        assert outcome(load, tmp_path / "original", make_env) == "trained"
    rng = np.random.default_rng([SEED, list(KINDS).index(name), cases])
    mutate = mutated_json if kind == "json" else mutated_torch
    seen: dict[str, int] = {}
    for case in range(cases):
        data, what = mutate(rng, original)
        path = tmp_path / f"case{case}"
        path.write_bytes(data)
        described = f"{name} case {case} ({what})"
        with deadline(DEADLINE_S, described):
            try:
                result = outcome(load, path, make_env)
            except Exception as err:
                raise AssertionError(f"{described}: {type(err).__name__}: {str(err)[:300]}") from err
        seen[result] = seen.get(result, 0) + 1
        path.unlink()
    assert seen.get("refused", 0) > cases // 4, seen  # the mutations do break files
    assert seen.get("trained", 0) > 0, seen  # and some edits are harmless
