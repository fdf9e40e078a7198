"""Static drawings (draw_ecm, plot_policy_map) and learning curves over environment steps."""

import math
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from matplotlib.figure import Figure

from ps_graph import ConfigError, PSAgent, TwoLayerPS
from ps_graph.errors import UnsupportedSourceError
from ps_graph.inspection.drawing import _ARROW_MAX, draw_ecm, plot_policy_map
from ps_graph.inspection.plots import plot_learning_curves, resample_on_steps
from ps_graph.training import TrainResult
from tests.factories import make_ecm


def small_ecm():
    """3 percepts, 2 hidden clips in a cycle, 3 actions; 12 edges."""
    targets = {"s0": "x L", "s1": "x y R", "s2": "U R", "x": "y L R", "y": "x U"}
    return make_ecm(
        ["s0", "s1", "s2"],
        ["L", "R", "U"],
        {s: dict.fromkeys(t.split()) for s, t in targets.items()},
        hidden={"x": 1, "y": 2},
        labels={"x": "wall", "y": "corner"},
        eta_glow_damping=0.5,
    )


def clip_sizes(ax):
    """Drawn clips as {label: marker size}, read back from the artists."""
    texts = [t.get_text() for t in ax.texts if t.get_gid() == "ps_graph.label"]
    sizes, positions = [], []
    for coll in ax.collections:
        if str(coll.get_gid()).startswith("ps_graph.clips"):
            positions.extend(map(tuple, coll.get_offsets()))
            sizes.extend(coll.get_sizes())
    label_at = {t.get_position(): t.get_text() for t in ax.texts if t.get_gid() == "ps_graph.label"}
    assert len(texts) == len(positions)
    return {label_at[p]: s for p, s in zip(positions, sizes)}


def edges(ax):
    return [p for p in ax.patches if p.get_gid() == "ps_graph.edge"]


# ---------------------------------------------------------------------- draw_ecm
def test_draw_ecm_draws_every_clip_and_edge(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ecm = small_ecm()
    fig = draw_ecm(ecm)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert set(clip_sizes(ax)) == {"s0", "s1", "s2", "wall", "corner", "L", "R", "U"}
    assert len(edges(ax)) == ecm.num_edges == 12
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_draw_ecm_layers_left_to_right():
    fig = draw_ecm(small_ecm())
    x = {t.get_text(): t.get_position()[0] for t in fig.axes[0].texts if t.get_gid() == "ps_graph.label"}
    assert x["s0"] == x["s1"] == x["s2"] < x["wall"] < x["corner"] < x["L"] == x["R"] == x["U"]


def test_draw_ecm_percepts_restricts_to_reachable_clips():
    ecm = small_ecm()
    fig = draw_ecm(ecm, percepts=["s2"])  # s2 -> U, R only
    assert set(clip_sizes(fig.axes[0])) == {"s2", "U", "R"}
    assert len(edges(fig.axes[0])) == 2
    fig = draw_ecm(ecm, percepts=["s0"])  # s0 -> x -> y -> x...; x -> L, R; y -> U
    assert set(clip_sizes(fig.axes[0])) == {"s0", "wall", "corner", "L", "R", "U"}
    assert len(edges(fig.axes[0])) == 2 + 3 + 2


def test_draw_ecm_width_by_probability_and_min_probability():
    ecm = small_ecm()
    ecm.add_edge("s2", "U", h=3.0)  # s2: U 3/4, R 1/4
    ax = draw_ecm(ecm, percepts=["s2"]).axes[0]
    widths = sorted(p.get_linewidth() for p in edges(ax))
    assert widths == pytest.approx([0.5 + 4 * 0.25, 0.5 + 4 * 0.75])
    # probabilities: s0 1/2 1/2; s1 1/3 x3; s2 3/4 1/4; x 1/3 x3; y 1/2 1/2 -> 5 edges >= 0.5
    assert len(edges(draw_ecm(ecm, min_probability=0.5).axes[0])) == 5


def test_draw_ecm_glow_colour_and_visit_size():
    ecm = small_ecm()
    ecm.decay_glow()
    ecm.excite(["s1", "x", "y", "U"])
    ecm.learn(1.0)
    fig = draw_ecm(ecm)
    ax = fig.axes[0]
    colours = {tuple(p.get_edgecolor()) for p in edges(ax)}
    assert len(colours) == 2  # three edges glow equally, the rest are grey
    assert len(fig.axes) == 2  # a glow colour bar
    sizes = clip_sizes(ax)
    assert sizes["s1"] > sizes["s0"] and sizes["U"] > sizes["L"]
    assert len(draw_ecm(small_ecm()).axes) == 1  # no glow: no colour bar


def test_draw_ecm_into_given_axes_and_agents():
    fig = Figure()
    ax = fig.add_subplot()
    agent = PSAgent(2)
    for s in range(3):
        agent.percept(s)
    assert draw_ecm(agent, ax=ax) is fig
    assert len(edges(ax)) == 6
    fast = TwoLayerPS(2)
    fast.percept(0)
    ax = draw_ecm(fast, percepts=[0]).axes[0]
    assert set(clip_sizes(ax)) == {"0", "1"} and len(edges(ax)) == 2  # percept "0", actions "0", "1"


def test_draw_ecm_errors():
    ecm = small_ecm()
    with pytest.raises(ConfigError, match=r"8 clips.*max_clips=5.*percepts=.*ps_graph\.inspection\.viz"):
        draw_ecm(ecm, max_clips=5)
    draw_ecm(ecm, percepts=["s2"], max_clips=3)  # a part fits
    with pytest.raises(KeyError, match="nope"):
        draw_ecm(ecm, percepts=["s0", "nope"])
    with pytest.raises(ConfigError, match="empty"):
        draw_ecm(ecm, percepts=[])
    with pytest.raises(ConfigError, match="min_probability"):
        draw_ecm(ecm, min_probability=1.5)
    with pytest.raises(UnsupportedSourceError, match="ECM, a PSAgent or a TwoLayerPS"):
        draw_ecm(ecm.graph)


def test_drawing_never_loads_pyplot():
    code = (
        "import sys, gymnasium as gym, numpy as np, ps_graph\n"
        "from ps_graph.inspection.drawing import draw_ecm, plot_policy_map\n"
        "from ps_graph.inspection.plots import plot_learning_curves\n"
        "assert 'matplotlib' not in sys.modules\n"
        "env = gym.make('FrozenLake-v1'); a = ps_graph.PSAgent.for_env(env); a.percept(0)\n"
        "draw_ecm(a); plot_policy_map(a, env)\n"
        "r = ps_graph.TrainResult(np.ones(3), np.ones(3, int), np.ones(3, bool))\n"
        "plot_learning_curves({'a': [r]}, x='steps')\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# ---------------------------------------------------------------------- plot_policy_map
def arrows(ax):
    """{(row, col, action): (d_col, d_row) from the cell centre to the arrow's tip}."""
    out = {}
    for patch in ax.patches:
        r, c, a = map(int, patch.get_gid().removeprefix("policy:").split(","))
        xy = patch.get_xy() - np.array([c, r])
        tip = xy[np.argmax(np.hypot(xy[:, 0], xy[:, 1]))]
        out[r, c, a] = tuple(tip)
    return out


def test_policy_map_arrows_match_exact_probabilities():
    env = gym.make("FrozenLake-v1")
    agent = PSAgent.for_env(env)
    agent.percept(0)
    agent.percept(6)
    agent.ecm.add_edge(("percept", 0), ("action", 2), h=3.0)  # state 0: 1/6, 1/6, 1/2, 1/6
    fig = plot_policy_map(agent, env)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    drawn = arrows(ax)
    assert set(drawn) == {(r, c, a) for r, c in ((0, 0), (1, 2)) for a in range(4)}  # unseen cells blank
    # FrozenLake: 0 left, 1 down, 2 right, 3 up; rows grow downwards
    unit = {0: (-1, 0), 1: (0, 1), 2: (1, 0), 3: (0, -1)}
    probs = {(0, 0): [1 / 6, 1 / 6, 1 / 2, 1 / 6], (1, 2): [1 / 4] * 4}
    for (r, c, a), tip in drawn.items():
        length = _ARROW_MAX * probs[r, c][a]
        assert tip == pytest.approx((unit[a][0] * length, unit[a][1] * length), abs=1e-9)
    assert len(ax.images) == 1  # the tiles are shaded


def test_policy_map_cliffwalking_directions_and_cliff():
    env = gym.make("CliffWalking-v1")
    agent = TwoLayerPS.for_env(env)
    agent.percept(36)  # the start, bottom left
    ax = plot_policy_map(agent, env).axes[0]
    drawn = arrows(ax)
    assert set(drawn) == {(3, 0, a) for a in range(4)}
    assert drawn[3, 0, 0][1] < 0 and drawn[3, 0, 1][0] > 0 and drawn[3, 0, 2][1] > 0 and drawn[3, 0, 3][0] < 0
    assert len(ax.images) == 1
    assert {t.get_text() for t in ax.texts} >= {"S", "G", "C"}


def test_policy_map_shape_with_directions_on_a_plain_ecm():
    fast = TwoLayerPS(2)
    fast.percept(4)  # cell (1, 1) of a 2 x 3 grid
    ecm = fast.to_ecm()
    ecm.add_edge(("percept", 4), ("action", 1), h=4.0)  # 1/5, 4/5
    ax = plot_policy_map(ecm, (2, 3), directions={0: "left", 1: (0, -2)}).axes[0]
    drawn = arrows(ax)
    assert drawn[1, 1, 0] == pytest.approx((-_ARROW_MAX / 5, 0.0))
    assert drawn[1, 1, 1] == pytest.approx((0.0, -_ARROW_MAX * 4 / 5))
    assert len(drawn) == 2 and len(ax.images) == 0  # no desc: no tiles


def test_policy_map_errors():
    agent = PSAgent(2)
    agent.percept(0)
    with pytest.raises(ConfigError, match="directions="):
        plot_policy_map(agent, (2, 2))
    with pytest.raises(ConfigError, match="no entry for action 1"):
        plot_policy_map(agent, (2, 2), directions={0: "up"})
    with pytest.raises(ConfigError, match="'north'"):
        plot_policy_map(agent, (2, 2), directions={0: "north", 1: "up"})
    with pytest.raises(ConfigError, match=r"\(nrows, ncols\)"):
        plot_policy_map(agent, (2, 2, 2), directions={0: "up", 1: "down"})
    with pytest.raises(ConfigError, match="nrows"):
        plot_policy_map(agent, (0, 2), directions={0: "up", 1: "down"})
    with pytest.raises(ConfigError, match="CartPoleEnv.*nrow/ncol"):
        plot_policy_map(agent, gym.make("CartPole-v1"))
    with pytest.raises(UnsupportedSourceError, match="ECM, a PSAgent or a TwoLayerPS"):
        plot_policy_map(None, (2, 2), directions={0: "up", 1: "down"})


# ---------------------------------------------------------------------- learning curves over steps
def result(returns, lengths):
    return TrainResult(
        returns=np.array(returns, dtype=float),
        lengths=np.array(lengths),
        terminated=np.ones(len(lengths), bool),
        wall_time=0.0,
    )


# run a ends episodes at steps 2, 4, 6 with returns 0, 1, 1;
# run b ends episodes at steps 1, 4, 8 with returns 1, 0, 1.
RUN_A, RUN_B = result([0, 1, 1], [2, 2, 2]), result([1, 0, 1], [1, 3, 4])


def test_resample_on_steps_by_hand():
    grid, curves = resample_on_steps([RUN_A, RUN_B])
    # grid: from 2 (both runs have a first episode) to 6 (the shortest total), one per step
    assert grid.tolist() == [2, 3, 4, 5, 6]
    # a: 0 at 2, 1 at 4 and 6. b: linear from (1, 1) to (4, 0), then to (8, 1)
    assert curves[0] == pytest.approx([0, 0.5, 1, 1, 1])
    assert curves[1] == pytest.approx([2 / 3, 1 / 3, 0, 0.25, 0.5])
    # window 2: a -> 0, .5, 1 and b -> 1, .5, .5, then interpolated the same way
    _, smoothed = resample_on_steps([RUN_A, RUN_B], window=2)
    assert smoothed[0] == pytest.approx([0, 0.25, 0.5, 0.75, 1])
    assert smoothed[1] == pytest.approx([5 / 6, 2 / 3, 0.5, 0.5, 0.5])


def test_resample_on_steps_caps_the_grid():
    long = result(np.arange(1000.0), np.full(1000, 10))
    short = result(np.zeros(500), np.full(500, 12))
    grid, curves = resample_on_steps([long, short], points=100)
    assert len(grid) == 100 and grid[0] == 12 and grid[-1] == 6000
    assert curves[0] == pytest.approx(grid / 10 - 1)  # episode i (0-based) ends at 10 (i + 1)


def test_learning_curves_over_steps_plot_the_interpolated_mean():
    fig = plot_learning_curves({"PS": [RUN_A, RUN_B]}, x="steps")
    reward_ax, steps_ax = fig.axes
    x, mean = reward_ax.lines[0].get_xydata().T
    assert x.tolist() == [2, 3, 4, 5, 6]
    assert mean == pytest.approx([1 / 3, 5 / 12, 1 / 2, 5 / 8, 3 / 4])
    # the band: 1.96 * sample std / sqrt(2) = 0.98 * |a - b| for two runs; |a - b| is
    # 2/3, 1/6, 1, 3/4, 1/2, widest at step 4: 1/2 +- 0.98
    band = reward_ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].max() == pytest.approx(0.5 + 0.98) and band[:, 1].min() == pytest.approx(0.5 - 0.98)
    assert steps_ax.get_xlabel() == "environment steps"
    # lengths per episode, interpolated: a 2, 2, 2; b 1 -> 3 (steps 1..4) -> 4 (steps 4..8)
    assert steps_ax.lines[0].get_ydata() == pytest.approx([(2 + 5 / 3) / 2, (2 + 7 / 3) / 2, 2.5, 2.625, 2.75])


def test_learning_curves_by_episode_unchanged():
    fig = plot_learning_curves({"PS": [RUN_A, RUN_B]}, panels=("reward",))
    x, mean = fig.axes[0].lines[0].get_xydata().T
    assert x.tolist() == [1, 2, 3] and mean == pytest.approx([0.5, 0.5, 1.0])
    assert fig.axes[0].get_xlabel() == "episode"


def test_learning_curves_bad_x():
    with pytest.raises(ConfigError, match="x must be one of 'episode', 'steps'"):
        plot_learning_curves({"PS": [RUN_A]}, x="time")
    with pytest.raises(ConfigError, match="at least one episode"):
        resample_on_steps([RUN_A, result([], [])])
    assert math.isfinite(resample_on_steps([RUN_A])[1].sum())
