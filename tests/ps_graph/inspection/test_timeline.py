"""Timeline: h-value snapshots during training, their plot, CSV rows and dynamic GEXF."""

from __future__ import annotations

import csv

import gymnasium as gym
import networkx as nx
import numpy as np
import pytest
from gymnasium import spaces

import ps_graph
from ps_graph.errors import ConfigError, PSGraphError
from ps_graph.inspection.timeline import (
    TIMELINE_FIELDS,
    Timeline,
    plot_timeline,
    write_dynamic_gexf,
    write_timeline_csv,
)
from ps_graph.keys import key_id
from tests.envs import RandomMDP
from tests.factories import make_ecm

REWARDS = (0.5, 2.0)  # reward of action 0 and action 1; sums of these are exact in floating point


class ScriptedBandit(gym.Env):
    """One step per episode: shows percept ``script[i]`` in episode i (the last one after the
    script ends), pays ``REWARDS[action]`` and terminates. Logs the actions taken."""

    def __init__(self, script=(0,)):
        self.observation_space = spaces.Discrete(2)
        self.action_space = spaces.Discrete(2)
        self.script, self.episode, self.actions = list(script), 0, []

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        obs = self.script[min(self.episode, len(self.script) - 1)]
        self.episode += 1
        return obs, {}

    def step(self, action):
        self.actions.append(int(action))
        return 0, REWARDS[action], True, False, {}


def p(key):
    return ("percept", key)


def a(action):
    return ("action", action)


def bandit_run(cls=ps_graph.PSAgent, episodes=12, every=1, script=(0,), seed=3, start=True):
    env = ScriptedBandit(script)
    agent = cls.for_env(env, eta_glow_damping=1.0, gamma_damping=0.0, seed=seed)
    timeline = Timeline(every=every)
    if start:
        timeline.snapshot(agent, episode=0)
    ps_graph.train(agent, env, episodes=episodes, seed=0, callback=timeline)
    return timeline, env.actions


# ---------------------------------------------------------------- values by hand
def test_snapshots_match_hand_computed_h_and_probability():
    timeline, actions = bandit_run()
    assert set(actions) == {0, 1}  # both edges learn, so the check below can tell them apart
    assert timeline.edges == [(p(0), a(0)), (p(0), a(1))]
    assert timeline.episodes.tolist() == list(range(13))
    # eta = 1, gamma = 0: only the edge just walked glows, so after t episodes
    # h(0 -> b) = 1 + REWARDS[b] * (times b was chosen in episodes 1..t), P = h / (h0 + h1).
    counts = np.cumsum(np.eye(2)[actions], axis=0)  # (episode, action)
    expected_h = 1.0 + counts * np.array(REWARDS)
    assert timeline.present[1:].all() and not timeline.present[0].any()  # no percept before episode 1
    np.testing.assert_array_equal(timeline.h[1:].data, expected_h)
    np.testing.assert_array_equal(timeline.probability[1:].data, expected_h / expected_h.sum(axis=1, keepdims=True))
    final = expected_h[-1]
    assert timeline.strongest(1) == [(p(0), a(int(final.argmax())))]


def test_edges_created_later_are_masked_not_nan():
    # percept 1 is first shown in episode 3, so its edges exist from the snapshot after episode 3
    timeline, _ = bandit_run(episodes=6, script=(0, 0, 1, 1, 0, 1))
    assert timeline.edges == [(p(0), a(0)), (p(0), a(1)), (p(1), a(0)), (p(1), a(1))]
    expected = np.array(
        [[0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]], dtype=bool
    )
    np.testing.assert_array_equal(timeline.present, expected)
    np.testing.assert_array_equal(timeline.h.mask, ~expected)
    np.testing.assert_array_equal(timeline.probability.mask, ~expected)
    assert timeline.first_seen.tolist() == [1, 1, 3, 3]
    assert np.isfinite(timeline.h.data).all() and np.isfinite(timeline.probability.data).all()
    assert timeline.h[3, 2:].sum() in (1.0 + 1.0 + 0.5, 1.0 + 1.0 + 2.0)  # one of percept 1's edges learned once
    assert len(timeline.rows()) == expected.sum()


@pytest.mark.parametrize(
    "every, start, expected, edges",
    [
        (3, True, [0, 3, 6, 9], 2),
        (3, False, [1, 3, 6, 9], 2),  # no snapshot before training: the first call records one
        (1, True, list(range(11)), 2),
        (20, True, [0], 0),  # only the start, when the agent had seen no percept
    ],
)
def test_every_k_episodes(every, start, expected, edges):
    timeline, _ = bandit_run(episodes=10, every=every, start=start)
    assert timeline.episodes.tolist() == expected
    assert len(timeline) == len(expected) and timeline.h.shape == (len(expected), edges)


def test_ecm_with_hidden_clips_and_no_mutation():
    ecm = make_ecm(
        ["s"],
        ["L", "R"],
        {"s": {"x": 3.0, "L": 1.0}, "x": {"L": 1.0, "R": 1.0}},
        hidden=["x"],
        labels={"x": "hidden x"},
        gamma_damping=0.1,
    )
    timeline = Timeline()
    timeline.snapshot(ecm, episode=5)
    # P(s -> x) = 3 / (3 + 1), P(s -> L) = 1 / 4, P(x -> .) = 1 / 2
    assert dict(zip(timeline.edges, timeline.probability[0].tolist())) == {
        ("s", "x"): 0.75,
        ("s", "L"): 0.25,
        ("x", "L"): 0.5,
        ("x", "R"): 0.5,
    }
    assert timeline.edge_label(("s", "x")) == "s -> hidden x"
    assert timeline.kind("x") == "hidden" and timeline.label("L") == "L"
    assert ecm.h("s", "x") == 3.0 and ecm.num_edges == 4 and len(ecm) == 4


# ---------------------------------------------------------------- graph agent = matrix agent
@pytest.mark.parametrize("policy", ["standard", "softmax"])
@pytest.mark.parametrize("gamma", [0.0, 0.01])
def test_psagent_and_two_layer_give_the_same_timeline(policy, gamma):
    timelines = []
    for cls in (ps_graph.PSAgent, ps_graph.TwoLayerPS):
        env = RandomMDP(num_states=12, num_actions=3, layout_seed=1, reward_fraction=0.3, max_episode_steps=20)
        agent = cls.for_env(env, eta_glow_damping=0.2, gamma_damping=gamma, policy=policy, seed=7)
        timeline = Timeline(every=4)
        timeline.snapshot(agent, episode=0)
        ps_graph.train(agent, env, episodes=40, seed=7, callback=timeline)
        timelines.append(timeline)
    graph, fast = timelines
    assert graph.edges == fast.edges and graph.clips == fast.clips
    assert [graph.label(c) for c in graph.clips] == [fast.label(c) for c in fast.clips]
    np.testing.assert_array_equal(graph.episodes, fast.episodes)
    np.testing.assert_array_equal(graph.present, fast.present)
    assert graph.h.max() > 1.5  # learning happened, so equal values mean something
    # the two cores do the same float operations, damped or not
    np.testing.assert_array_equal(graph.h.data, fast.h.data)
    np.testing.assert_array_equal(graph.probability.data, fast.probability.data)
    assert graph.rows() == fast.rows()


@pytest.mark.parametrize("cls", [ps_graph.PSAgent, ps_graph.TwoLayerPS])
def test_recording_does_not_change_training(cls):
    runs = []
    for callback in (None, Timeline(every=1)):
        env = RandomMDP(num_states=12, num_actions=3, layout_seed=2, reward_fraction=0.3, max_episode_steps=20)
        agent = cls.for_env(env, eta_glow_damping=0.3, seed=1)
        result = ps_graph.train(agent, env, episodes=30, seed=1, callback=callback)
        after = Timeline()
        after.snapshot(agent, episode=30)
        runs.append((result.lengths, after.h.data))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


# ---------------------------------------------------------------- rows, CSV, strongest
def test_rows_and_csv(tmp_path):
    timeline, actions = bandit_run(episodes=2)
    rows = timeline.rows()
    assert [tuple(r) for r in rows] == [TIMELINE_FIELDS] * 4  # 2 snapshots with edges x 2 edges
    first = rows[0]
    assert (first["episode"], first["source"], first["target"]) == (1, "0", "0")
    assert first["h"] == 1.0 + REWARDS[0] * (actions[0] == 0)
    assert (first["source_id"], first["target_id"]) == (key_id(p(0)), key_id(a(0)))
    path = write_timeline_csv(timeline, tmp_path / "out" / "timeline.csv")
    with open(path, newline="") as f:
        back = list(csv.DictReader(f))
    assert len(back) == 4 and tuple(back[0]) == TIMELINE_FIELDS
    assert float(back[-1]["h"]) == rows[-1]["h"] and back[-1]["target_id"] == '["action",1]'
    assert [q.name for q in path.parent.iterdir()] == ["timeline.csv"]  # no temporary file left


def test_strongest_orders_by_final_h_then_first_appearance():
    ecm = make_ecm(["s"], ["a", "b", "c", "d"], {"s": {"a": 2.0, "b": 5.0, "c": 2.0, "d": 1.0}})
    timeline = Timeline()
    timeline.snapshot(ecm, episode=0)
    assert timeline.strongest(3) == [("s", "b"), ("s", "a"), ("s", "c")]
    assert len(timeline.strongest(100)) == 4
    assert Timeline().strongest(2) == []


# ---------------------------------------------------------------- plot
def test_plot_draws_top_edges_in_two_panels():
    from matplotlib.figure import Figure

    timeline, _ = bandit_run(episodes=6, script=(0, 0, 1, 1, 0, 1))
    fig = plot_timeline(timeline, top=3)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    h_ax, p_ax = fig.axes
    assert len(h_ax.get_lines()) == 3 and len(p_ax.get_lines()) == 3
    labels = [timeline.edge_label(e) for e in timeline.strongest(3)]
    assert [line.get_label() for line in h_ax.get_lines()] == labels
    assert [t.get_text() for t in h_ax.get_legend().get_texts()] == labels
    assert len(plot_timeline(timeline, top=50).axes[0].get_lines()) == 4  # only 4 edges exist
    # an edge born in episode 3 is masked before it, not drawn as 0 or NaN
    j = timeline.edges.index((p(1), a(0)))
    line = next(
        ln
        for ln in plot_timeline(timeline, top=4).axes[0].get_lines()
        if ln.get_label() == timeline.edge_label(timeline.edges[j])
    )
    y = line.get_ydata()
    assert np.ma.getmaskarray(y).tolist() == [True, True, True, False, False, False, False]


def test_plot_into_given_axes():
    from matplotlib.figure import Figure

    timeline, _ = bandit_run(episodes=3)
    fig = Figure()
    axes = fig.subplots(1, 2)
    assert plot_timeline(timeline, top=1, ax=axes) is fig
    assert [len(ax.get_lines()) for ax in axes] == [1, 1]
    with pytest.raises(ConfigError, match="pair of matplotlib Axes"):
        plot_timeline(timeline, ax=axes[0])


# ---------------------------------------------------------------- dynamic GEXF
def test_dynamic_gexf_reads_back_with_values_at_their_spells(tmp_path):
    timeline, _ = bandit_run(episodes=7, every=3, script=(0, 0, 0, 0, 1, 1, 1))
    assert timeline.episodes.tolist() == [0, 3, 6]
    path = write_dynamic_gexf(timeline, tmp_path / "timeline.gexf")
    assert [q.name for q in tmp_path.iterdir()] == ["timeline.gexf"]
    g = nx.read_gexf(path)
    assert g.graph["mode"] == "dynamic" and g.is_directed()
    assert set(g.nodes) == {key_id(c) for c in timeline.clips}
    percept1 = g.nodes[key_id(p(1))]
    assert (percept1["label"], percept1["kind"], percept1["start"], percept1["end"]) == ("1", "percept", 6, 6)
    assert g.nodes[key_id(a(0))]["start"] == 0  # action clips exist before any percept
    # snapshot at episode t_i holds on [t_i, t_{i+1} - 1]: [3, 5] and [6, 6] (closed, no overlap)
    h, prob = timeline.h, timeline.probability
    old = g.edges[key_id(p(0)), key_id(a(1))]
    assert (old["start"], old["end"], old["label"]) == (3, 6, "0 -> 1")
    assert old["h"] == [(h[1, 1], 3, 5), (h[2, 1], 6, 6)]
    assert old["probability"] == [(prob[1, 1], 3, 5), (prob[2, 1], 6, 6)]
    new = g.edges[key_id(p(1)), key_id(a(0))]
    assert (new["start"], new["end"]) == (6, 6)
    assert new["h"] == [(h[2, 2], 6, 6)]
    assert g.number_of_edges() == 4


def test_gexf_every_one_gives_point_spells(tmp_path):
    timeline, _ = bandit_run(episodes=2)
    g = nx.read_gexf(write_dynamic_gexf(timeline, tmp_path / "t.gexf"))
    spells = [(s, e) for _, s, e in g.edges[key_id(p(0)), key_id(a(0))]["h"]]
    assert spells == [(1, 1), (2, 2)]


# ---------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("every", [0, -1, 1.5, True, "2"])
def test_bad_every(every):
    with pytest.raises(ConfigError, match="every must be an integer >= 1"):
        Timeline(every=every)


def test_bad_top_and_empty_timeline(tmp_path):
    timeline, _ = bandit_run(episodes=1)
    for top in (0, -3, 2.5):
        with pytest.raises(ConfigError, match="top must be an integer >= 1"):
            plot_timeline(timeline, top=top)
    with pytest.raises(ConfigError, match="n must be an integer >= 1"):
        timeline.strongest(0)
    with pytest.raises(PSGraphError, match="no snapshots"):
        plot_timeline(Timeline())
    with pytest.raises(PSGraphError, match="no snapshots"):
        write_dynamic_gexf(Timeline(), tmp_path / "x.gexf")
    with pytest.raises(ConfigError, match="needs a Timeline"):
        write_dynamic_gexf(timeline.rows(), tmp_path / "x.gexf")
    assert not list(tmp_path.iterdir())


def test_bad_snapshots():
    env = ScriptedBandit()
    agent = ps_graph.PSAgent.for_env(env, seed=0)
    timeline = Timeline()
    timeline.snapshot(agent, episode=4)
    with pytest.raises(ConfigError, match="episodes must increase"):
        timeline.snapshot(agent, episode=4)
    with pytest.raises(ConfigError, match="episode must be an integer >= 0"):
        Timeline().snapshot(agent, episode=-1)
    with pytest.raises(ConfigError, match="one Timeline per agent"):
        timeline.snapshot(ps_graph.PSAgent.for_env(env, seed=0), episode=5)
    with pytest.raises(ConfigError, match="PSAgent, TwoLayerPS"):
        Timeline().snapshot(object(), episode=0)
    with pytest.raises(KeyError, match="not in this timeline"):
        timeline.label("nope")
    assert len(timeline) == 1  # failed snapshots record nothing
