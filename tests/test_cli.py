"""The ps-graph command line: inspect a saved agent without writing code."""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest

import ps_graph
from ps_graph.cli import CommandError, main, parse_percept


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
    assert f"{first.label:>12} -> {first.most_likely_label}" in out
    assert out.count(" -> ") == 3


def test_explain_prints_the_exact_probabilities(saved, capsys):
    path, agent = saved
    assert main(["inspect", str(path), "--explain", "0", "--paths", "2"]) == 0
    out = capsys.readouterr().out
    probs = agent.ecm.action_probabilities(("percept", 0))
    best = max(probs, key=probs.get)
    assert f"{best[1]}  {probs[best]:.4f}  <- most likely" in out
    assert "2 most probable walks" in out


def test_html_writes_the_offline_page(saved, tmp_path, capsys):
    path, _ = saved
    out_html = tmp_path / "ecm.html"
    assert main(["inspect", str(path), "--html", str(out_html), "--percepts", "0", "14", "--min-probability", "0.1"]) == 0
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
    for path, message in [(tmp_path / "missing.json", "No such file"), (hostile, "cannot load"),
                          (truncated, "cannot load")]:
        assert main(["inspect", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("ps-graph inspect: error: ") and message in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["inspect", "a.json", "--min-probability", "2"], ["inspect", "a.json", "--paths", "0"],
                                  ["inspect"], ["frobnicate"]])
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
    done = subprocess.run([*command, "inspect", str(path), "--explain", "0"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "action probabilities (exact)" in done.stdout
