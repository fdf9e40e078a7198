"""The ps-graph command line: inspect, compare, train, envs and demo, with tiny budgets; bad values
exit 2 with one line and no traceback."""

import argparse
import json
import pickle
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest

import ps_graph
import ps_graph.cli
import ps_graph.registry
from ps_graph.cli import CommandError, build_parser, main, parse_percept, parse_setting
from ps_graph.cli.kinds import loader_call
from ps_graph.envs import ENV_IDS
from ps_graph.errors import ConfigError
from ps_graph.experiments import AgentSpec, EnvSpec, expand, load_results
from ps_graph.experiments.agents import growth_rule
from ps_graph.registry import agent_kind
from ps_graph.report import rerun
from ps_graph.tabular import SUPPORTED_ENVS


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = ps_graph.PSAgent.for_env(env, eta_glow_damping=0.04, seed=3)
    ps_graph.train(agent, env, episodes=150, seed=3, max_steps=99)
    path = ps_graph.save(agent, tmp_path_factory.mktemp("cli") / "agent.json")
    return path, agent


def test_summary_lists_each_percepts_most_likely_action(saved, capsys):
    path, agent = saved
    assert main(["inspect", str(path), "--rows", "3"]) == 0
    out = capsys.readouterr().out
    rows = ps_graph.policy_summary(agent)
    assert f"{len(rows)} percepts" in out
    first = rows[0]
    labels = agent.labels  # FrozenLake's: "row 0, col 0 -> LEFT"
    assert f"{labels.clip(first.percept):>12} -> {labels.clip(first.most_likely)}" in out
    assert out.count(" -> ") == 3


def test_explain_prints_the_exact_probabilities(saved, capsys):
    path, agent = saved
    assert main(["inspect", str(path), "--explain", "0", "--paths", "2"]) == 0
    out = capsys.readouterr().out
    probs = agent.ecm.action_probabilities(("percept", 0))
    best = max(probs, key=probs.get)
    name = agent.labels.clip(best)  # FrozenLake's action names, padded to the longest (RIGHT)
    assert f"{name:<5}  {probs[best]:.4f}  <- most likely" in out
    assert "2 most probable walks" in out


def test_html_writes_the_offline_page(saved, tmp_path, capsys):
    path, _ = saved
    out_html = tmp_path / "ecm.html"
    assert (
        main(["inspect", str(path), "--html", str(out_html), "--percepts", "0", "14", "--min-probability", "0.1"]) == 0
    )
    page = out_html.read_text()
    assert "vis-network" in page and "https://" not in page.split("<body", 1)[1][:2000]
    assert f"wrote {out_html}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--explain", "99"], "no percept '99' in this agent; known percepts: 0,"),
        (["--explain", "{"], "no percept '{'"),
        (["--html", "X", "--percepts", "[1, 2]"], "no percept '[1, 2]'"),
    ],
)
def test_bad_percepts_give_one_line_and_status_2(saved, capsys, argv, message, tmp_path):
    path, _ = saved
    argv = [a if a != "X" else str(tmp_path / "x.html") for a in argv]
    assert main(["inspect", str(path), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "x.html").exists()


def test_unreadable_files_give_one_line_and_status_2(tmp_path, capsys):
    hostile = tmp_path / "evil.json"
    hostile.write_bytes(pickle.dumps({"a": 1}))
    truncated = tmp_path / "cut.json"
    truncated.write_text(json.dumps({"format": "ps_graph.agent", "version": 1})[:20])
    for path, message in [
        (tmp_path / "missing.json", "No such file"),
        (hostile, "cannot load"),
        (truncated, "cannot load"),
    ]:
        assert main(["inspect", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("ps-graph inspect: error: ") and message in err and "Traceback" not in err


def test_inspect_names_a_format_no_kind_reads(tmp_path, capsys):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "someone.else", "version": 1}))
    err = _fails(
        ["inspect", str(other)],
        capsys,
        "has format 'someone.else', which no registered agent kind reads; expected 'ps_graph.agent'.",
    )
    assert "inspect reads PS agents (ps, ps-fast)" in err


def test_the_cli_finds_agents_only_through_the_registry():
    import ast

    for module in Path(ps_graph.cli.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n.split(".")[0] == "qbaselines" for n in names), module
            assert not any(n.endswith("experiments.agents") or n == "agents" for n in names), module


@pytest.mark.parametrize(
    "argv",
    [
        ["inspect", "a.json", "--min-probability", "2"],
        ["inspect", "a.json", "--paths", "0"],
        ["inspect"],
        ["frobnicate"],
    ],
)
def test_bad_options_exit_2_with_a_usage_message(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert "usage: ps-graph" in capsys.readouterr().err


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["inspect", "--help"])
    out = capsys.readouterr().out
    for option in ("--html", "--explain", "--paths", "--rows", "--percepts", "--min-probability"):
        assert option in out


def test_parse_percept_reads_json_then_labels():
    assert parse_percept("[2,[1,0]]", [(2, (1, 0))]) == (2, (1, 0))
    assert parse_percept("3", [3, "3"]) == 3
    assert parse_percept("s", ["s"]) == "s"
    with pytest.raises(CommandError, match="none"):
        parse_percept("1", [])


def test_the_installed_command_runs(saved):
    path, _ = saved
    exe = Path(sys.executable).with_name("ps-graph")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "ps_graph.cli"]
    done = subprocess.run(
        [*command, "inspect", str(path), "--explain", "0"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "action probabilities (exact)" in done.stdout


# ---------------------------------------------------------------------- every subcommand
LAKE_ARGS = "--env FrozenLake-v1 --set env.is_slippery=false"
LAKE = LAKE_ARGS.split()
LAKE_NAME = "FrozenLake-v1-is_slippery=false"  # its folder name


def cli(command: str, *extra: str, out: Path) -> int:
    """``main`` on ``command`` split at spaces, then ``extra`` as they are (JSON with spaces), then ``--out out``."""
    return main([*command.split(), *extra, "--out", str(out)])


def run_zero(agent: AgentSpec, *, seed: int, episodes: int):
    """Run 0 of ``compare --seed seed`` on the non-slippery lake with at most 30 steps per episode."""
    return expand(
        agent, EnvSpec("FrozenLake-v1", {"is_slippery": False}), runs=1, seed=seed, episodes=episodes, max_steps=30
    )[0]


def _subparsers():
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_the_commands_are_demo_compare_train_inspect_envs():
    assert sorted(_subparsers()) == ["compare", "demo", "envs", "inspect", "train", "tune"]


@pytest.mark.parametrize("command", ["demo", "compare", "tune", "train", "inspect", "envs"])
def test_help_of_every_subcommand_documents_every_option(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    options = [s for a in _subparsers()[command]._actions for s in a.option_strings if s.startswith("--")]
    documented = [a for a in _subparsers()[command]._actions if a.option_strings and a.help]
    assert len(documented) == len([a for a in _subparsers()[command]._actions if a.option_strings])
    for option in options:
        assert option in out, option
    if command == "compare":
        assert "run the same command again" in " ".join(out.split())


@pytest.mark.parametrize(
    "argv, message",
    [
        (["compare", *LAKE, "--agents", "ps", "--episodes", "0", "--out", "x"], "expected a positive whole number"),
        (["compare", *LAKE, "--agents", "ps", "--episodes", "5", "--runs", "-2", "--out", "x"], "--runs"),
        (["compare", *LAKE, "--agents", "ps", "--episodes", "5", "--jobs", "0", "--out", "x"], "or -1 for one per"),
        (["compare", *LAKE, "--agents", "ps", "--episodes", "5", "--seed", "-1", "--out", "x"], "a seed"),
        (["compare", *LAKE, "--agents", "ps", "--episodes", "5", "--threshold", "nan", "--out", "x"], "finite number"),
        (["compare", *LAKE, "--agents", "ps", "--episodes", "5", "--backend", "mpi", "--out", "x"], "invalid choice"),
        (["compare", *LAKE, "--agents", "ps", "--episodes", "5", "--env-kwargs", "[1]", "--out", "x"], "JSON object"),
        (
            ["compare", *LAKE, "--agents", "ps", "--episodes", "5", "--total-steps", "9", "--out", "x"],
            "not allowed with",
        ),
        (["compare", *LAKE, "--agents", "ps", "--out", "x"], "one of the arguments --episodes --total-steps"),
        (["compare", *LAKE, "--agents", "ps,zz", "--episodes", "5", "--out", "x"], "unknown agent kind 'zz'"),
        (["compare", *LAKE, "--agents", "ps,q,ps", "--episodes", "5", "--out", "x"], "ps given twice"),
        (["compare", *LAKE, "--agents", "ps", "--episodes", "5", "--set", "ps.gamma", "--out", "x"], "NAME=VALUE"),
        (
            ["compare", "--env", "FrozenLak-v1", "--agents", "ps", "--episodes", "5", "--out", "x"],
            "did you mean 'FrozenLake-v1'",
        ),
        (
            ["compare", "--env", "frozenlake-v1", "--agents", "ps", "--episodes", "5", "--out", "x"],
            "did you mean 'FrozenLake-v1'",
        ),
        (["train", *LAKE, "--agent", "sarsa", "--episodes", "5", "--out", "a.json"], "unknown agent kind 'sarsa'"),
        (["demo", "--jobs", "two"], "or -1 for one per"),
        (["envs", "--all"], "unrecognized arguments"),
    ],
)
def test_bad_option_values_exit_2_with_usage_and_one_error_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: ps-graph") and err.count("error:") == 1 and message in err
    assert "Traceback" not in err and list(tmp_path.iterdir()) == []


def _fails(argv, capsys, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    command = argv[0]
    assert err.startswith(f"ps-graph {command}: error: ") and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--set", "qq.gamma=0.5"], "'qq' is not one of the --agents (ps, q); write e.g. ps.gamma=VALUE"),
        (["--set", "gamma=0.5"], "write NAME.PARAM=VALUE, with NAME one of the --agents (ps, q) or env"),
        (["--set", "ps.eta=0.5"], "unknown PS hyperparameter(s) ['eta']; allowed: beta_softmax, eta_glow_damping"),
        (["--set", "q.learning_rate=2"], "learning_rate must be a finite number in (0.0, 1.0]; got 2"),
        (["--set", "ps.gamma_damping=NaN"], "gamma_damping must be a finite number in [0.0, 1.0]; got 'NaN'"),
        (["--set", "env.is_slipery=false"], "cannot make environment"),
        (
            ["--set", "ps.growth=Generalisation"],
            "growth rule 'Generalisation' is unknown; known rules: 'Generalization'",
        ),
        (
            ["--set", 'ps.growth={"rule": "Generalization", "params": {"cap": 3}}'],
            "unknown Generalization growth parameter(s) ['cap']",
        ),
        (
            ["--set", 'ps.growth={"rule": "Generalization", "params": {"max_hidden": -1}}'],
            "growth params of Generalization: max_hidden must be an integer >= 0",
        ),
        (["--set", "ps.growth=[1]"], "growth must be a growth rule's name or a JSON object"),
        (["--backend", "serial", "--scheduler", "tcp://127.0.0.1:9"], "needs backend='dask'"),
    ],
)
def test_bad_settings_fail_in_one_line_before_any_run(extra, message, capsys, tmp_path):
    out = tmp_path / "out"
    _fails(
        ["compare", *LAKE, "--agents", "ps,q", "--runs", "2", "--episodes", "5", "--out", str(out), *extra],
        capsys,
        message,
    )
    assert not out.exists()  # nothing ran, nothing was written


def test_out_must_be_a_folder(capsys, tmp_path):
    (tmp_path / "f").write_text("x")
    _fails(
        ["compare", *LAKE, "--agents", "q", "--episodes", "5", "--out", str(tmp_path / "f")],
        capsys,
        "exists and is not a folder",
    )


def test_parse_setting_reads_json_else_text():
    assert parse_setting("ps.h0=2") == ("ps.h0", 2)
    assert parse_setting("dqn.net_arch=[32, 32]") == ("dqn.net_arch", [32, 32])
    assert parse_setting("env.map_name=8x8") == ("env.map_name", "8x8")
    assert parse_setting("q.sarsa=true") == ("q.sarsa", True)
    assert parse_setting("ps.growth=null") == ("ps.growth", None)
    assert parse_setting("a.b=c=d") == ("a.b", "c=d")  # the first = splits
    assert parse_setting("a.b=Infinity") == ("a.b", "Infinity")  # never a non-finite float
    assert parse_setting('ps.growth={"rule": "Generalization"}') == ("ps.growth", {"rule": "Generalization"})
    for bad in ("novalue", "=3", " =3"):
        with pytest.raises(argparse.ArgumentTypeError, match="NAME=VALUE"):
            parse_setting(bad)


def test_growth_rule_from_json():
    assert growth_rule(None) is None
    rule = growth_rule({"rule": "Generalization", "params": {"max_hidden": 7, "all_wildcard": True}})
    assert (rule.max_hidden, rule.all_wildcard) == (7, True)
    assert growth_rule("Generalization").params() == ps_graph.Generalization().params()
    for bad, message in [
        (3, "name or a JSON object"),
        ({"rule": ["x"]}, "is unknown"),
        ({"rule": "Generalization", "state": {}}, "name or a JSON object"),
        ({"rule": "Generalization", "params": 5}, "must be a JSON object"),
    ]:
        with pytest.raises(ConfigError, match=message):
            growth_rule(bad)


# ---------------------------------------------------------------------- compare
def _files(folder):
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.glob("runs/*/*/*/*"))}


def test_compare_writes_results_and_report_and_resumes(tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = [
        "compare",
        *LAKE,
        "--agents",
        "ps-fast,q",
        "--runs",
        "2",
        "--episodes",
        "20",
        "--max-steps",
        "30",
        "--set",
        "ps-fast.eta_glow_damping=0.5",
        "--set",
        "q.learning_rate=0.8",
        "--jobs",
        "1",
        "--threshold",
        "0.5",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert f"wrote the results to {out} and the report to {out / 'report.html'}" in printed
    assert printed.startswith("agent    environment") and "episodes to 0.5 (window 10)" in printed
    assert {p.name for p in out.iterdir()} == {
        "runs",
        "episodes.csv",
        "report.html",
        "summary.csv",
        f"curves-{LAKE_NAME}.png",
        "profile.png",  # 2 runs of every agent: the performance profile
        "ps_agent.json",
    }
    config = json.loads(next((out / "runs" / "ps-fast" / LAKE_NAME).glob("seed-*/config.json")).read_text())
    assert config["agent_config"]["eta_glow_damping"] == 0.5 and config["spec"]["max_steps"] == 30
    assert config["spec"]["env"]["kwargs"] == {"is_slippery": False}
    page = (out / "report.html").read_text()
    assert "ps-graph compare --env FrozenLake-v1 --set env.is_slippery=false" in page
    assert type(ps_graph.load(out / "ps_agent.json")).__name__ == "TwoLayerPS"

    before = _files(out)
    assert len(before) == 8  # 2 agents x 2 runs x (episodes.csv, config.json)
    assert main([*argv, "--quiet"]) == 0  # the same command again: every run is finished, none is redone
    assert _files(out) == before
    assert capsys.readouterr().out.count("\n") == 1  # --quiet: only where it wrote

    redo = next(iter(before)).parent  # an interrupted run (no config.json) is redone, alone
    (redo / "config.json").unlink()
    assert main([*argv, "--quiet", "--no-report"]) == 0
    after = _files(out)
    assert [p for p in after if after[p] != before.get(p)] == sorted(redo.iterdir())
    assert [len(runs) for runs in load_results(out).values()] == [2, 2]


def test_compare_two_envs_and_env_kwargs_json(tmp_path, capsys):
    out = tmp_path / "two"
    two_envs = "--env FrozenLake-v1 --env ps_graph/InvasionGame-v0 --env-kwargs {}"
    assert cli(f"compare {two_envs} --agents q --episodes 10 --jobs 1 --quiet", out=out) == 0
    assert sorted(p.name for p in (out / "runs" / "q").iterdir()) == ["FrozenLake-v1", "ps_graph-InvasionGame-v0"]
    page = (out / "report.html").read_text()
    assert "<iframe" not in page  # no PS agent: no ECM
    assert "best expected return within 100 steps" in page  # FrozenLake has a table; the invasion game not


def test_ps_growth_through_set(tmp_path, capsys):
    out = tmp_path / "grow"
    growth = 'ps.growth={"rule": "Generalization", "params": {"max_hidden": 50}}'
    assert (
        cli(
            "compare --env ps_graph/DriverGame-v0 --agents ps --runs 1 --episodes 30 --jobs 1 --quiet --set",
            growth,
            out=out,
        )
        == 0
    )
    agent = ps_graph.load(out / "ps_agent.json")
    assert agent.growth.max_hidden == 50 and agent.ecm.clips("hidden")  # the driver game grows wildcard clips


def test_interrupting_compare_says_how_to_resume(tmp_path, capsys, monkeypatch):
    import ps_graph.experiments

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ps_graph.experiments, "compare", interrupted)
    assert main(["compare", *LAKE, "--agents", "q", "--episodes", "5", "--out", str(tmp_path / "i")]) == 130
    assert "interrupted; finished runs are kept, run the same command again to resume" in capsys.readouterr().err


# ---------------------------------------------------------------------- train
def test_train_saves_a_ps_agent_that_inspect_opens(tmp_path, capsys):
    path = tmp_path / "sub" / "agent.json"
    assert (
        cli(f"train {LAKE_ARGS} --agent ps --episodes 60 --max-steps 30 --seed 5 --set eta_glow_damping=0.3", out=path)
        == 0
    )
    line = capsys.readouterr().out
    assert line.count("\n") == 1 and line.startswith("ps on FrozenLake-v1[is_slippery=false]: 60 episodes, ")
    assert f"saved {path}; open it with: ps-graph inspect {path}" in line
    saved = ps_graph.load(path)
    assert saved.config.eta_glow_damping == 0.3
    # --seed S is run 0 of compare --seed S: the same agent, edge for edge
    agent, result = rerun(run_zero(AgentSpec("ps", {"eta_glow_damping": 0.3}), seed=5, episodes=60))
    assert f"{result.steps} steps" in line and f"mean return {result.returns[-60:].mean():.3f}" in line
    h = {e: d["h"] for e, d in agent.ecm.graph.edges.items()}
    assert {e: d["h"] for e, d in saved.ecm.graph.edges.items()} == h
    assert main(["inspect", str(path), "--rows", "1"]) == 0
    assert f"{path}: PSAgent" in capsys.readouterr().out


def test_train_saves_a_q_learning_agent_that_loads_exactly(tmp_path, capsys):
    from qbaselines import QLearningAgent

    path = tmp_path / "q.json"
    command = f"train {LAKE_ARGS} --agent q --episodes 40 --max-steps 30 --seed 2 --set learning_rate=0.8 --set"
    assert cli(command, 'exploration="noisy_argmax"', out=path) == 0
    line = capsys.readouterr().out
    assert line.startswith("q on FrozenLake-v1[is_slippery=false]: 40 episodes, ")
    assert f"saved {path}; load it with {loader_call(agent_kind('q'))}" in line  # the registry's q loader
    saved = QLearningAgent.load(path)
    assert saved.config.exploration == "noisy_argmax" and saved.config.learning_rate == 0.8
    # --seed S is run 0 of compare --seed S: the same Q-table, bit for bit, and the same rng state
    agent, _ = rerun(
        run_zero(AgentSpec("q", {"exploration": "noisy_argmax", "learning_rate": 0.8}), seed=2, episodes=40)
    )
    assert saved.q.keys() == agent.q.keys() and all((saved.q[k] == agent.q[k]).all() for k in agent.q)
    assert saved.episode == agent.episode == 40 and saved.q_table().any()
    assert saved.rng.bit_generator.state == agent.rng.bit_generator.state
    # inspect reads PS agents and says where a Q-learning file loads instead
    loader = loader_call(agent_kind("q"))
    err = _fails(
        ["inspect", str(path)],
        capsys,
        f"holds a q agent (format 'qbaselines.QLearningAgent', not 'ps_graph.agent'): load it in Python with {loader}",
    )
    assert "inspect reads PS agents (ps, ps-fast)" in err


def test_train_saves_dqn_weights(tmp_path, capsys):
    from qbaselines import DQNAgent

    path = tmp_path / "dqn.pt"
    assert (
        cli(f"train {LAKE_ARGS} --agent dqn --total-steps 60 --set learning_starts=20 --set net_arch=[8]", out=path)
        == 0
    )
    assert f"load it with {loader_call(agent_kind('dqn'))}" in capsys.readouterr().out
    loaded = DQNAgent.load(path, gym.make("FrozenLake-v1", is_slippery=False))
    assert loaded.config.net_arch == (8,) and loaded.num_timesteps == 60
    err = _fails(["inspect", str(path)], capsys, "is a zip archive (as torch.save writes), not a JSON agent file")
    assert f"dqn: {loader_call(agent_kind('dqn'))}" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--agent", "q", "--episodes", "5", "--set", "learning_rate=0"], "learning_rate must be"),
        (["--agent", "ps", "--episodes", "5", "--set", "ps.h0=2"], "write PARAM=VALUE for an agent hyperparameter"),
        (["--agent", "ps", "--episodes", "5", "--set", "h0=0"], "h0 must be"),
        (["--agent", "ps-fast", "--episodes", "5", "--set", 'growth="Generalization"'], "growth"),
    ],
)
def test_train_refuses_clearly(argv, message, tmp_path, capsys):
    _fails(["train", *LAKE, *argv, "--out", str(tmp_path / "a.json")], capsys, message)
    assert list(tmp_path.iterdir()) == []


def test_train_refuses_a_kind_without_a_file_format(tmp_path, capsys):
    ps_graph.registry.register_agent("ps-unsaved", agent_kind("ps").build, description="ps without save")
    try:
        _fails(
            ["train", *LAKE, "--agent", "ps-unsaved", "--episodes", "5", "--out", str(tmp_path / "a.json")],
            capsys,
            "agent kind 'ps-unsaved' has no file format to save it in; train one of ps, ps-fast",
        )
    finally:
        ps_graph.registry.unregister_agent("ps-unsaved")
    assert list(tmp_path.iterdir()) == []


def test_train_out_must_be_a_file(tmp_path, capsys):
    _fails(["train", *LAKE, "--agent", "ps", "--episodes", "5", "--out", str(tmp_path)], capsys, "is a folder")


# ---------------------------------------------------------------------- envs and demo
def test_envs_lists_every_registered_and_tabular_env(capsys):
    assert main(["envs"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    for env_id in (*ENV_IDS, *SUPPORTED_ENVS):
        assert env_id in rows
    agents, exact = rows["FrozenLake-v1"].split()[-2:]
    assert sorted(agents.split(",")) == ["dqn", "ps", "ps-fast", "q"] and exact == "yes"
    assert rows["ps_graph/InvasionGame-v0"].split()[-1] == "no"
    assert rows["CartPole-v1"].split()[-2:] == ["dqn", "no"]  # Box observations: DQN only


def test_demo_quick_writes_the_report_folder(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--jobs", "1", "--quiet", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"wrote the results to {out} and the report to {out / 'report.html'} (self-contained, works offline)"
    )
    rows = (out / "summary.csv").read_text().splitlines()
    assert [r.split(",")[:3] for r in rows[1:]] == [
        ["ps", "FrozenLake-v1[is_slippery=false]", "3"],
        ["q-learning", "FrozenLake-v1[is_slippery=false]", "3"],
        ["dqn", "FrozenLake-v1[is_slippery=false]", "1"],
    ]
    page = (out / "report.html").read_text()
    assert "best expected return within 99 steps (undiscounted): 1" in page and "<iframe" in page
    assert "noisy argmax" in page and "eta_glow_damping 0.04" in page
