"""The reproductions of the PS literature's experiments (examples/invasion_game.py,
examples/dyna_maze.py, examples/colour_game.py): tiny-budget runs that write their files,
hand-computed pieces, bad command lines, and one slow test per example asserting the
qualitative result the paper shows."""

import csv
import doctest
import sys
from pathlib import Path

import numpy as np
import pytest

from ps_graph import BatchedTwoLayerPS, ConfigError
from ps_graph.envs import GridWorld, InvasionGame
from ps_graph.tabular import from_env
from qbaselines import BatchedQLearning

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))
import _common  # noqa: E402
import colour_game  # noqa: E402
import dyna_maze  # noqa: E402
import invasion_game  # noqa: E402

sys.path.pop(0)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def assert_png(path: Path) -> None:
    assert path.exists() and path.read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize("module", [invasion_game, dyna_maze, colour_game, _common], ids=lambda m: m.__name__)
def test_example_doctests_pass(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


# ---------------------------------------------------------------- invasion game
@pytest.mark.parametrize("invert_at", [None, 0])
def test_invasion_reward_table_rewards_the_door_the_env_calls_correct(invert_at):
    """The reward table the exact efficiency uses must agree with InvasionGame's own correct_action."""
    n = 3
    table = invasion_game.reward_table(5, 0 if invert_at == 0 else 10**9, n)
    env = InvasionGame(num_symbols=n, invert_at=invert_at)
    env.reset(seed=0)
    seen = set()
    for _ in range(60):
        symbol, info = env.reset()
        row = np.zeros(n)
        row[info["correct_action"]] = 1.0
        np.testing.assert_array_equal(table[symbol], row)
        seen.add(symbol)
    assert seen == set(range(n))


def test_invasion_exact_efficiency_after_one_trial_is_hand_computed():
    """One agent, gamma 0, eta 1, symbols inverted from trial 1: before trial 0 every door
    has h = 1, efficiency 1/2. A blocked trial 0 raises h(symbol, its door) to 2; inverted,
    that door is now wrong, so that symbol blocks with 1/3 and the other with 1/2:
    efficiency (1/3 + 1/2) / 2 = 5/12. A missed trial changes nothing: 1/2."""
    outcomes = set()
    for seed in range(8):
        agent = BatchedTwoLayerPS(2, 2, 1, gamma_damping=0.0, eta_glow_damping=1.0, seed=seed)
        exact, observed = invasion_game.play(agent, trials=2, invert_at=1, num_symbols=2, seed=seed)
        assert exact[0] == 0.5
        expected = 5 / 12 if observed[0] == 1.0 else 0.5
        assert exact[1] == pytest.approx(expected, abs=1e-12)
        outcomes.add(observed[0])
    assert outcomes == {0.0, 1.0}  # both branches were checked


def test_invasion_run_with_a_tiny_budget_writes_png_and_tidy_csv(tmp_path):
    report = invasion_game.run(
        tmp_path, agents=20, trials=10, invert_at=5, gammas=(0.0, 0.1), reflections=(0, 1), seed=3, progress=False
    )
    assert_png(report["png"])
    assert report["png"] == tmp_path / "invasion_game.png" and report["csv"] == tmp_path / "invasion_game.csv"
    rows = read_rows(report["csv"])
    assert list(rows[0]) == list(invasion_game.FIELDS)
    # damping: 2 gammas x 10 trials x (exact + observed); reflection: 2 counts x 10 trials x (exact + observed)
    assert len(rows) == 2 * 10 * 2 + 2 * 10 * 2
    exact = [r for r in rows if r["measure"] == "exact"]
    assert {float(r["value"]) for r in exact if r["trial"] == "0"} == {0.5}
    assert all(0.0 <= float(r["value"]) <= 1.0 for r in rows)
    assert set(report["damping"]) == {0.0, 0.1} and set(report["reflection"]) == {0, 1}


def test_invasion_exact_efficiency_includes_reflection():
    """One agent, gamma 0, two reflections: after a missed trial 0 the (symbol, door) pair is
    tagged negative, so before trial 1 that symbol blocks with 1 - (1/2)**3 = 7/8 (the wrong
    door is re-drawn twice), the other with 1/2: efficiency (7/8 + 1/2) / 2 = 11/16. After a
    block h = 2 at that symbol's door: (2/3 + 1/2) / 2 = 7/12."""
    outcomes = set()
    for seed in range(8):
        agent = BatchedTwoLayerPS(2, 2, 1, gamma_damping=0.0, eta_glow_damping=1.0, num_reflections=2, seed=seed)
        exact, observed = invasion_game.play(agent, trials=2, invert_at=5, num_symbols=2, seed=seed)
        expected = 11 / 16 if observed[0] == 0.0 else 7 / 12
        assert exact[1] == pytest.approx(expected, abs=1e-12)
        outcomes.add(observed[0])
    assert outcomes == {0.0, 1.0}


@pytest.mark.parametrize("invert_at", [0, 10, 11])
def test_invasion_run_refuses_an_inversion_outside_the_trials(tmp_path, invert_at):
    with pytest.raises(ConfigError, match="invert_at"):
        invasion_game.run(tmp_path, agents=2, trials=10, invert_at=invert_at, progress=False)


BAD_ARGV = {
    invasion_game: [
        ["--agents", "0"],
        ["--trials", "1"],
        ["--invert-at", "0"],
        ["--trials", "10", "--invert-at", "10"],
        ["--gammas", "1.5"],
        ["--reflection-gamma", "-0.1"],
        ["--reflections", "-1"],
        ["--seed", "-1"],
        ["--symbols", "1"],
    ],
    dyna_maze: [
        ["--agents", "0"],
        ["--episodes", "0"],
        ["--etas", "0"],
        ["--etas", "1.5"],
        ["--beta", "0"],
        ["--beta", "nan"],
        ["--seed", "-2"],
    ],
    colour_game: [["--agents", "0"], ["--trials", "0"], ["--directions", "1"], ["--seed", "-1"]],
}


@pytest.mark.parametrize(
    "module, argv",
    [(module, argv) for module, cases in BAD_ARGV.items() for argv in cases],
    ids=[f"{m.__name__} {' '.join(argv)}" for m, cases in BAD_ARGV.items() for argv in cases],
)
def test_example_cli_rejects_bad_values(tmp_path, module, argv, capsys):
    with pytest.raises(SystemExit) as err:
        module.main(["--out", str(tmp_path), *argv])
    assert err.value.code == 2 and "error:" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing was written


@pytest.mark.slow
def test_invasion_forgetting_relearns_after_the_inversion_and_reflection_helps(tmp_path):
    """The papers' result with the defaults (1000 agents, 500 trials, inversion at 250).

    Before the inversion forgetting costs efficiency (gamma 1/10 settles near 0.83; the
    mean-field fixed point of h_right, gamma (h - 1) = 1/2 h / (h + 1), gives 0.84). By
    trial 400, 150 trials after the inversion, gamma 1/50 and 1/10 have relearned (> 0.8)
    while gamma 0 is still below 0.05. Reflection raises the blocking rate before the
    inversion and speeds the relearning after it."""
    report = invasion_game.run(tmp_path, progress=False)
    d = report["damping"]
    before, later = 249, 400
    assert d[0.0][before] > d[0.01][before] > d[0.02][before] > d[0.1][before]
    assert d[0.0][before] > 0.98 and 0.80 < d[0.1][before] < 0.85
    assert d[0.0][later] < 0.05
    assert d[0.02][later] > 0.8 and d[0.1][later] > 0.8 and d[0.01][later] > d[0.0][later] + 0.2
    r = report["reflection"]
    calm, relearning = slice(100, 250), slice(290, 340)
    assert r[1][calm].mean() > r[0][calm].mean() + 0.03 and r[2][calm].mean() > r[0][calm].mean() + 0.03
    assert r[2][relearning].mean() > r[1][relearning].mean() > r[0][relearning].mean() + 0.1
    # the observed rates scatter around their exact curves (20,000 agents: sd <= 0.004 per trial)
    for refl, rate in report["reflection_observed"].items():
        assert abs((rate - r[refl]).mean()) < 0.005


# ---------------------------------------------------------------- Dyna maze
def test_shortest_path_of_a_small_grid_is_hand_counted():
    assert dyna_maze.shortest_path(from_env(GridWorld(["S.#", "..G"]))) == 3  # down, right, right
    assert dyna_maze.shortest_path(dyna_maze.dyna_maze_mdp()) == 14


def test_greedy_lengths_follow_the_greedy_action():
    """On "S.G": always right reaches the goal in 2 steps; the untrained greedy action (the
    first of ties, left) bumps into the wall forever and is reported at the limit."""
    mdp = from_env(GridWorld(["S.G"]))
    agents = BatchedQLearning.for_mdp(mdp, 2, seed=0)
    assert dyna_maze.greedy_lengths(agents, mdp, limit=7).tolist() == [7, 7]
    agents.q[1, :, 2] = 1.0  # agent 1 prefers right everywhere
    assert dyna_maze.greedy_lengths(agents, mdp, limit=7).tolist() == [7, 2]


def test_dyna_maze_run_with_a_tiny_budget_writes_png_and_tidy_csv(tmp_path):
    report = dyna_maze.run(tmp_path, agents=3, episodes=2, etas=(0.2,), seed=1, progress=False)
    assert_png(report["png"])
    rows = read_rows(report["csv"])
    assert list(rows[0]) == list(dyna_maze.FIELDS)
    labels = ["PS standard, eta_glow_damping = 0.2", "PS softmax, eta_glow_damping = 0.2", dyna_maze.Q_NAME]
    assert list(report["steps"]) == labels
    assert [(r["setting"], r["episode"]) for r in rows] == [(label, str(e)) for label in labels for e in (1, 2)]
    assert all(float(r["value"]) >= 14 for r in rows)  # nobody beats the shortest path
    assert report["shortest_path"] == 14
    assert all(0.0 <= v <= 1.0 for v in report["greedy_shortest"].values())


@pytest.mark.slow
def test_dyna_maze_ps_and_q_learning_come_near_the_14_step_path(tmp_path):
    """50 agents per curve, 300 episodes. Everyone starts near a random walk (> 300 steps in
    episode 1). Q-learning (Sutton & Barto's settings) levels off at about 17.5 steps, the
    cost of epsilon = 0.1; softmax PS with eta 0.2 comes within 2 steps of 14 and most of
    its agents' greedy paths are shortest paths; standard-policy PS learns more slowly but
    cuts its episodes by more than a factor of 10."""
    report = dyna_maze.run(tmp_path, agents=50, episodes=300, etas=(0.05, 0.2), progress=False)
    steps, final = report["steps"], report["final_steps"]
    assert all(curve[0] > 300 for curve in steps.values())
    q = dyna_maze.Q_NAME
    assert 14 < final[q] < 20 and report["greedy_median"][q] <= 16
    soft = "PS softmax, eta_glow_damping = 0.2"
    assert 14 <= final[soft] < 16 and report["greedy_shortest"][soft] >= 0.6
    assert final["PS softmax, eta_glow_damping = 0.05"] < 18
    for eta in (0.05, 0.2):
        label = f"PS standard, eta_glow_damping = {eta:g}"
        assert final[label] < steps[label][0] / 10 and final[label] < 60


# ---------------------------------------------------------------- never-ending colour game
def test_asymptotes():
    assert colour_game.asymptote(2, True) == pytest.approx(2 / 3)
    assert colour_game.asymptote(3, True) == pytest.approx(1 / 2)  # 2 / (3 + 1)
    assert colour_game.asymptote(3, False) == pytest.approx(1 / 3)


def test_colour_game_run_with_a_tiny_budget_writes_png_and_tidy_csv(tmp_path):
    report = colour_game.run(tmp_path, agents=3, trials=6, seed=2, progress=False)
    assert_png(report["png"])
    rows = read_rows(report["csv"])
    assert list(rows[0]) == list(colour_game.FIELDS)
    assert len(rows) == 2 * 2 * 6  # 2 agent kinds x (exact + observed) x 6 trials
    exact = report["exact"]
    assert exact["plain 2-layer PS"].shape == (3, 6)
    np.testing.assert_array_equal(exact["plain 2-layer PS"], 0.5)  # fresh percept, 2 fresh edges
    assert (exact["PS with generalization"][:, 0] == 0.5).all()  # no wildcard clip yet
    assert (exact["PS with generalization"] <= 2 / 3 + 1e-12).all()
    assert set(np.unique(report["rewards"]["plain 2-layer PS"])) <= {0.0, 1.0}


def test_colour_game_with_three_directions_stays_below_its_own_asymptote(tmp_path):
    report = colour_game.run(tmp_path, agents=3, trials=60, num_directions=3, progress=False)
    assert report["asymptote"] == {"PS with generalization": 0.5, "plain 2-layer PS": pytest.approx(1 / 3)}
    np.testing.assert_allclose(report["exact"]["plain 2-layer PS"], 1 / 3)
    gen = report["exact"]["PS with generalization"]
    # a fresh percept: 1/4 straight to the right action + 1/4 via (d, #), which picks the right
    # action with 1/3 or more (rewards only raise it): between 1/3 and 2/(n+1) = 1/2
    assert (gen >= 1 / 3 - 1e-12).all() and (gen <= 0.5 + 1e-12).all()
    assert gen[:, -1].mean() > 1 / 3 + 0.01  # learned through (d, #)


@pytest.mark.slow
def test_colour_game_generalization_learns_towards_two_thirds_and_plain_ps_cannot(tmp_path):
    """The defaults (100 agents, 300 trials). Plain PS is at exactly 1/2 in every trial;
    with generalization the exact success probability climbs towards 2/3 from below (above
    0.64 over the last 50 trials, never above 2/3) and the observed rewards agree."""
    report = colour_game.run(tmp_path, progress=False)
    gen, plain = report["exact"]["PS with generalization"], report["exact"]["plain 2-layer PS"]
    np.testing.assert_allclose(plain, 0.5, rtol=0, atol=1e-12)
    assert gen.min() >= 0.5 - 1e-12 and gen.max() <= 2 / 3 + 1e-12  # 1/3 + 1/3 * [1/2, 1)
    assert 0.64 < gen[:, -50:].mean() < 2 / 3
    assert gen[:, -50:].mean() > plain[:, -50:].mean() + 0.14
    assert gen.mean(axis=0)[-1] > gen.mean(axis=0)[20] + 0.05  # it learns over the trials
    assert report["rewards"]["PS with generalization"][:, -100:].mean() > 0.6
    assert abs(report["rewards"]["plain 2-layer PS"].mean() - 0.5) < 0.02  # 30,000 fair coin flips
