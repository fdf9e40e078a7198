"""Saving the deliberation variants (issue 14, format version 4): majority voting, factorized
percepts with Conjunctions, action priming; the version each agent is written with; edited
new fields refused with errors that name them."""

import copy
import json

import gymnasium as gym
import numpy as np
import pytest

from ps_graph import PSAgent, TwoLayerPS, rules
from ps_graph.growth import Conjunctions
from ps_graph.saving import VERSION, load, save
from tests.ps_graph.test_saving import AGENTS, DELETE, edited, expect_error, frozenlake, put, run, state

PRIMING = {0: -0.4, 2: 0.7}


def invasion():
    return gym.make("ps_graph/InvasionWithDistraction-v0")


def meps_agent(env, **hp):
    """A multi-excitation agent of the MEPS papers (see ps_graph.growth.conjunctions)."""
    base = dict(percepts="factorized", growth=Conjunctions(k=2), policy="softmax", eta_glow_damping=1.0, seed=5)
    return PSAgent.for_env(env, **{**base, **hp})


def continues_bit_for_bit(tmp_path, agent, env, obs, steps):
    """Save ``agent`` mid-decision (a pending reward), load it, and run both ``steps`` more steps
    on copies of ``env``: the same actions, probabilities and bit-identical state. Returns the file."""
    a = agent.act(obs)  # the reward for this action is still to come
    before = state(agent)
    path = save(agent, tmp_path / "agent.json")
    twin = load(path)
    assert state(agent) == before and state(twin) == before  # saving only reads; loading restores all
    assert type(twin) is type(agent) and twin.config == agent.config and twin.priming == agent.priming
    runs = []
    for ag, e in ((agent, env), (twin, copy.deepcopy(env))):  # the same env state and random stream
        nxt, r, term, trunc, _ = e.step(a)
        ag.observe(r, nxt, term, trunc)
        if term or trunc:
            nxt, _ = e.reset()
        runs.append(run(ag, e, nxt, steps))
    assert runs[1][0] == runs[0][0]
    assert state(twin) == state(agent)
    last = runs[0][1]
    assert twin.decision_probabilities(last) == agent.decision_probabilities(last)
    assert twin.h_values(last) == agent.h_values(last)
    return path


@pytest.mark.parametrize(
    "hp",
    [
        pytest.param(dict(gamma_damping=0.0), id="paper"),
        pytest.param(dict(gamma_damping=0.002, votes=3, num_reflections=1, priming={1: 0.3}), id="voting-primed"),
        pytest.param(dict(growth=Conjunctions(k=2, min_order=1), num_reflections=2), id="orders-1-2"),
        pytest.param(dict(growth=None, votes=5), id="features-alone"),
    ],
)
def test_a_factorized_agent_with_conjunctions_continues_bit_for_bit(tmp_path, hp):
    env = invasion()
    agent = meps_agent(env, **hp)
    obs, _ = env.reset(seed=2)
    _, obs = run(agent, env, obs, 400)
    path = continues_bit_for_bit(tmp_path, agent, env, obs, 600)
    doc = json.loads(path.read_text())
    assert doc["version"] == VERSION == 5 and doc["config"]["percepts"] == "factorized"  # with for_env's labels
    assert doc["growth"] == (None if agent.growth is None else agent.growth.to_json())
    assert doc.get("priming", []) == [{"action": a, "term": t} for a, t in hp.get("priming", {}).items()]
    hidden = [c for c in doc["ecm"]["clips"] if c["kind"] == "hidden"]
    assert all(c["key"][1][0] == "conjunction" for c in hidden) and (len(hidden) > 50) == (agent.growth is not None)
    deciders = {None: {"percept"}, 1: {"percept", "hidden"}, 2: {"hidden"}}[getattr(agent.growth, "min_order", None)]
    assert doc["state"]["pending"]["source"][0] in deciders  # the deciding clip


@pytest.mark.parametrize("cls", AGENTS)
def test_voting_and_primed_agents_continue_bit_for_bit(tmp_path, cls):
    env = frozenlake()
    agent = cls.for_env(
        env, votes=3, priming=PRIMING, policy="softmax", beta_softmax=2.0, gamma_damping=0.01, num_reflections=1, seed=8
    )
    obs, _ = env.reset(seed=4)
    _, obs = run(agent, env, obs, 800)
    path = continues_bit_for_bit(tmp_path, agent, env, obs, 1500)
    doc = json.loads(path.read_text())
    assert doc["version"] == 5 and doc["config"]["votes"] == 3  # with for_env's labels
    assert doc["priming"] == [{"action": 0, "term": -0.4}, {"action": 2, "term": 0.7}]
    assert load(path).priming == PRIMING
    h = np.ravel(agent.h_matrix()) if cls is TwoLayerPS else [e[2] for e in agent.ecm.snapshot()["edges"]]
    assert np.ptp(h) > 1e-3  # it learned: the comparisons can fail


# ---------------------------------------------------------------------- the version written
@pytest.mark.parametrize("cls", AGENTS)
@pytest.mark.parametrize(
    "hp, version",
    [
        (dict(), 2),
        (dict(votes=3), 4),
        (dict(policy="softmax", priming={1: 0.5}), 4),
        (dict(policy="softmax", priming={}), 2),  # nothing primed
    ],
)
def test_an_agent_is_written_with_the_lowest_version_that_holds_it(tmp_path, cls, hp, version):
    doc = json.loads(save(cls(2, seed=0, **hp), tmp_path / "agent.json").read_text())
    assert doc["version"] == version
    assert ("votes" in doc["config"] and "percepts" in doc["config"]) == (version == 4)  # older readers refuse them
    assert ("priming" in doc) == bool(hp.get("priming"))
    twin = load(tmp_path / "agent.json")
    assert twin.config == cls(2, seed=0, **hp).config and twin.priming == hp.get("priming", {})


def test_factorized_percepts_alone_make_version_4(tmp_path):
    doc = json.loads(save(PSAgent(2, percepts="factorized", seed=0), tmp_path / "agent.json").read_text())
    assert doc["version"] == 4 and doc["config"]["percepts"] == "factorized"


@pytest.mark.parametrize("version", [1, 2, 3])
def test_older_versions_load_with_the_defaults(tmp_path, version):
    doc = json.loads(save(PSAgent(2, seed=0), tmp_path / "agent.json").read_text())
    doc["version"] = version
    if version == 1:
        del doc["growth"]
    twin = load(edited(tmp_path, doc))
    assert (twin.config.votes, twin.config.percepts, twin.priming) == (1, "whole", {})


# ---------------------------------------------------------------------- edited files
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Version 4 files, mid-decision: a voting, primed MEPS agent and a voting, primed TwoLayerPS."""
    folder = tmp_path_factory.mktemp("saved")
    env = invasion()
    agent = meps_agent(env, votes=3, num_reflections=1, priming={1: 0.3})
    obs, _ = env.reset(seed=2)
    _, obs = run(agent, env, obs, 200)
    agent.act(obs)
    env = frozenlake()
    fast = TwoLayerPS.for_env(env, votes=3, priming=PRIMING, policy="softmax", num_reflections=1, seed=8)
    obs, _ = env.reset(seed=4)
    _, obs = run(fast, env, obs, 300)
    fast.act(obs)
    agent.labels = fast.labels = None  # without for_env's labels: version 4 files
    return {
        name: json.loads(save(a, folder / f"{name}.json").read_text())
        for name, a in (("PSAgent", agent), ("TwoLayerPS", fast))
    }


def test_the_version_4_files_load(tmp_path, saved):
    for name, doc in saved.items():
        assert doc["version"] == 4 and doc["priming"]
        assert type(load(edited(tmp_path, doc))).__name__ == name


MAX_VOTES, MAX_PRIMING = rules.MAX_VOTES, rules.MAX_PRIMING
CONJUNCTION = ["hidden", ["conjunction", [[0, 1], [1, 2], [2, 3]]]]  # 3 features: never created
MUTATIONS = [
    # (agent, [(dotted field, new value), ...], fragments of the message)
    ("PSAgent", [("config.votes", 0)], ["config: votes must be an integer", "got 0"]),
    ("PSAgent", [("config.votes", MAX_VOTES + 1)], ["config: votes must be an integer", f"got {MAX_VOTES + 1}"]),
    ("TwoLayerPS", [("config.votes", 3.0)], ["config: votes must be an integer", "got 3.0"]),
    ("PSAgent", [("config.votes", DELETE)], ["config lacks the field(s) 'votes'"]),
    ("PSAgent", [("config.percepts", "parts")], ["config: percepts must be one of 'whole', 'factorized'"]),
    ("PSAgent", [("config.percepts", "whole")], ["ecm.clips[2].key[1] is [0, ", "not an observation"]),
    ("TwoLayerPS", [("config.percepts", "factorized")], ["make no TwoLayerPS", "percepts='whole'"]),
    ("PSAgent", [("version", 3)], ["priming came in version 4, but the file says version 3"]),
    ("TwoLayerPS", [("version", 3), ("priming", DELETE)], ["config.votes came in version 4", "it was edited"]),
    ("PSAgent", [("priming.0.action", 2)], ["priming[0].action must be one of the actions [0, 1]; got 2"]),
    ("TwoLayerPS", [("priming.1.action", True)], ["priming[1].action must be one of the actions [0, 1, 2, 3]"]),
    ("PSAgent", [("priming.0.term", 2 * MAX_PRIMING)], ["priming[0].term must be a finite number", "got 2000000.0"]),
    ("TwoLayerPS", [("priming.0.term", "0.5")], ["priming[0].term must be a finite number", "got '0.5'"]),
    ("TwoLayerPS", [("priming.0.term", DELETE)], ["priming[0] lacks the field(s) 'term'"]),
    ("TwoLayerPS", [("priming.1.action", 0)], ["priming[1].action primes action 0 again (priming[0] did)"]),
    ("TwoLayerPS", [("priming", {"0": 0.5})], ["priming must be a JSON list"]),
    ("TwoLayerPS", [("config.policy", "standard")], ["config.policy is 'standard'", "needs policy 'softmax'"]),
    ("PSAgent", [("growth.params.k", 0)], ["growth", "k must be an integer"]),
    ("PSAgent", [("growth.params.min_order", 3), ("growth.params.k", 3)], ["which is not a conjunction of 3..3"]),
    ("PSAgent", [("growth.state", {"clips": []})], ["growth must hold params {k, min_order} and an empty state"]),
    ("PSAgent", [("ecm.clips.2.key", ["percept", [7, 1]])], ["ecm.clips[2].key[1] is [7, 1]", "(feature, value)"]),
    ("PSAgent", [("state.pending.source", ["action", 0])], ["state.pending.source", "kind 'percept' or 'hidden'"]),
    ("PSAgent", [("state.pending.source", CONJUNCTION)], ["state.pending.source names the clip"]),
]


@pytest.mark.parametrize("agent, edits, fragments", MUTATIONS, ids=[f"{m[0]}:{m[1][-1][0]}" for m in MUTATIONS])
def test_edited_new_fields_give_errors_that_name_them(tmp_path, saved, agent, edits, fragments):
    doc = copy.deepcopy(saved[agent])
    for field, value in edits:
        put(doc, field, value)
    expect_error(edited(tmp_path, doc), *fragments)
