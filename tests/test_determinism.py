"""Same seed, same result: one test parametrized over every registered agent kind.

Each kind is built through the registry from a run spec, as the runner and the CLI build
it, so a kind registered later (by ps_graph or by a package's entry point) is covered
without editing this file.
"""

from __future__ import annotations

import numpy as np
import pytest

from ps_graph.experiments import AgentSpec, EnvSpec, RunSpec, make_env
from ps_graph.registry import agent_kind, kinds
from ps_graph.training import train

ENV = EnvSpec("FrozenLake-v1", {"is_slippery": True, "map_name": "4x4"})


def build(kind: str, seed: int):
    spec = RunSpec(AgentSpec(kind), ENV, run=0, seed=seed, episodes=8, max_steps=40)
    env = make_env(ENV)
    return agent_kind(kind).builder()(env, spec), env, spec


def actions_on_a_fixed_stream(agent, steps: int = 60) -> list[int]:
    """The agent's actions on observations 0, 1, 2, ... (rewarding every 7th step): only the
    agent's own randomness decides them."""
    chosen = []
    for t in range(steps):
        chosen.append(int(agent.act(t % 16)))
        agent.observe(float(t % 7 == 0), (t + 1) % 16, False, t % 20 == 19)
    return chosen


def test_every_kind_is_covered():
    assert {"ps", "ps-fast", "q", "dqn"} <= set(kinds())


@pytest.mark.parametrize("kind", sorted(kinds()))
def test_same_seed_same_actions_and_results(kind):
    first, env, spec = build(kind, seed=11)
    second, _, _ = build(kind, seed=11)
    assert actions_on_a_fixed_stream(first) == actions_on_a_fixed_stream(second)

    trained = [build(kind, seed=5) for _ in range(2)]
    results = [
        train(agent, env, episodes=spec.episodes, seed=spec.seed, max_steps=spec.max_steps)
        for agent, env, spec in trained
    ]
    np.testing.assert_array_equal(results[0].returns, results[1].returns)
    np.testing.assert_array_equal(results[0].lengths, results[1].lengths)
    greedy = [[agent.act(s, explore=False) for s in range(16)] for agent, _, _ in trained]
    assert greedy[0] == greedy[1]


@pytest.mark.parametrize("kind", sorted(kinds()))
def test_another_seed_other_actions(kind):
    """The test above could not fail if seeds were ignored: another seed must change the actions."""
    a, _, _ = build(kind, seed=11)
    b, _, _ = build(kind, seed=12)
    assert actions_on_a_fixed_stream(a) != actions_on_a_fixed_stream(b)
