"""No traceback for a user error: every subcommand, given bad values, exits 2 with exactly one line."""

import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import pytest

import ps_graph
from ps_graph.cli import main
from ps_graph.experiments.lock import LOCK_NAME

LAKE = ["--env", "FrozenLake-v1"]
COMPARE = ["compare", *LAKE, "--agents", "ps", "--runs", "1", "--episodes", "2", "--quiet", "--out", "{tmp}/out"]
TRAIN = ["train", *LAKE, "--episodes", "2", "--out", "{tmp}/agent.json"]

# (argv, part of the one error line); "{tmp}" is the test's folder, which holds a file "file",
# a folder "dir", a pickle "evil.json" and a folder "locked" whose lock is another host's.
# `envs` takes no values: its only bad input is an unknown option, a usage error (test_cli.py).
BAD = [
    (["demo", "--quick", "--out", "{tmp}/file"], "exists and is not a folder"),
    (["demo", "--quick", "--out", "{tmp}/locked"], "a lock from another host is never broken automatically"),
    ([*COMPARE, "--set", 'env.map_name="9x9"'], "with kwargs {'map_name': '9x9'}: KeyError: '9x9'"),
    ([*COMPARE, "--set", "env.is_slippery=maybe"], "is_slippery must be true or false (default True); got 'maybe'"),
    ([*COMPARE, "--set", "env.is_slipery=false"], "takes no keyword 'is_slipery' (did you mean 'is_slippery'?)"),
    ([*COMPARE, "--set", "env.map_name=3"], "map_name must be a string"),
    ([*COMPARE, "--set", "ps.num_reflections=1000000000000000000"], "num_reflections must be an integer"),
    ([*COMPARE[:4], "dqn", *COMPARE[5:], "--set", "dqn.buffer_size=1000000000000"], "buffer_size must be"),
    ([*COMPARE, "--scheduler", "notaurl"], "got 'notaurl': no port"),
    ([*COMPARE, "--scheduler", "tcp://10.0.0.1:99999"], "the port '99999' is not a number in 1..65535"),
    ([*COMPARE, "--scheduler", "http://10.0.0.1:8786"], "unknown scheme 'http'"),
    ([*COMPARE, "--scheduler", "tcp://a b:1"], "'a b' is not a host name or IP address"),
    ([*COMPARE, "--scheduler", "tcp://127.0.0.1:1", "--connect-timeout", "1e9"], "connect_timeout must be"),
    ([*COMPARE[:-1], "{tmp}/file"], "exists and is not a folder"),
    ([*COMPARE[:-1], "{tmp}/locked"], "is in use by process 4242 on host 'elsewhere.example.org'"),
    ([*TRAIN, "--agent", "ps", "--set", 'env.map_name="9x9"'], "KeyError: '9x9'"),
    ([*TRAIN, "--agent", "q", "--set", "env.is_slippery=maybe"], "is_slippery must be true or false"),
    ([*TRAIN, "--agent", "dqn", "--set", "buffer_size=1000000000000"], "buffer_size must be"),
    ([*TRAIN, "--agent", "dqn", "--set", "torch_threads=1000000"], "torch_threads must be"),
    ([*TRAIN[:-1], "{tmp}/dir", "--agent", "ps"], "is a folder; give a file name"),
    (["inspect", "/dev/zero"], "it is a character device, not a regular file"),
    (["inspect", "{tmp}/dir"], "it is a directory, not a regular file"),
    (["inspect", "{tmp}/evil.json"], "this is a Python pickle"),
    (["inspect", "{tmp}/missing.json"], "No such file or directory"),
    (["inspect", "{tmp}/file"], "cannot load"),
]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("not a folder, not an agent\n")
    (tmp_path / "dir").mkdir()
    (tmp_path / "evil.json").write_bytes(pickle.dumps({"format": "ps_graph.agent"}))
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / LOCK_NAME).write_text(json.dumps({"pid": 4242, "host": "elsewhere.example.org"}))
    return tmp_path


@pytest.mark.parametrize("argv, message", BAD, ids=[" ".join(a[:1] + a[-2:]) for a, _ in BAD])
def test_every_subcommand_gives_one_line_and_status_2_for_bad_values(argv, message, folder, capsys):
    argv = [a.replace("{tmp}", str(folder)) for a in argv]
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert err.startswith(f"ps-graph {argv[0]}: error: ") and message in err, err
    assert err.count("\n") == 1 and err.endswith("\n") and "Traceback" not in err
    assert not (folder / "out" / "runs").exists()  # nothing ran


def _ps_graph(*argv: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "ps_graph.cli", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return done, time.monotonic() - start


@pytest.mark.parametrize(
    "scheduler, message",
    [
        ("notaurl", "got 'notaurl': no port"),  # was a traceback, and the process never exited
        ("tcp://127.0.0.1:1", "cannot reach the Dask scheduler at 'tcp://127.0.0.1:1' within 0.5 s"),  # was 32 s
        ("tls://127.0.0.1:1", "cannot reach the Dask scheduler at 'tls://127.0.0.1:1'"),  # fails inside Client
    ],
)
def test_a_bad_scheduler_fails_fast_and_the_process_exits(tmp_path, scheduler, message):
    pytest.importorskip("distributed")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in COMPARE]
    done, seconds = _ps_graph(
        *argv[:-2], "--no-report", *argv[-2:], "--scheduler", scheduler, "--connect-timeout", "0.5"
    )
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert seconds < 20  # no thread left that keeps the process alive
    assert not (tmp_path / "out" / LOCK_NAME).exists()


def test_two_compares_of_other_settings_on_one_out_the_second_refuses(tmp_path, capsys):
    out = tmp_path / "out"
    plain = ["compare", *LAKE, "--agents", "ps,q", "--runs", "2", "--episodes", "3", "--quiet", "--out", str(out)]
    assert main(plain) == 0
    capsys.readouterr()
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for extra, message in [
        (["--set", "env.is_slippery=false"], "environment 'FrozenLake-v1' (its kwargs) ran with {}, this compare"),
        (["--set", "ps.eta_glow_damping=0.5"], "agent 'ps' ran with"),
        (["--seed", "1"], "run 0 of 'ps' on 'FrozenLake-v1' ran with"),
        (["--episodes", "4"], "run 0 of 'ps' on 'FrozenLake-v1' ran with"),
    ]:
        argv = [*plain, *extra] if extra[0] != "--episodes" else [*plain[:7], *extra, *plain[9:]]
        assert main(argv) == 2, extra
        err = capsys.readouterr().err
        assert err.startswith("ps-graph compare: error: ") and err.count("\n") == 1 and message in err, err
        assert "runs are never overwritten or mixed" in err
        assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files  # nothing changed
    assert main([*plain, "--runs", "3"]) == 0  # more runs of the same settings resume


def test_inspect_prints_labels_with_control_characters_escaped(tmp_path, capsys):
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = ps_graph.PSAgent.for_env(env, seed=1)
    ps_graph.train(agent, env, episodes=5, seed=1, max_steps=20)
    path = Path(ps_graph.save(agent, tmp_path / "agent.json"))
    saved = json.loads(path.read_text())
    hostile = "\x1b[2J\x1b[31mpwned\nfake line\r" + "x" * 500
    for clip in saved["ecm"]["clips"]:
        clip["label"] = hostile
    saved["labels"]["actions"] = [hostile] * 4  # and FrozenLake's labels, which inspect shows instead
    for entry in saved["labels"]["percepts"]:
        entry["label"] = hostile
    path.write_text(json.dumps(saved))
    for extra in ([], ["--explain", "0"]):
        assert main(["inspect", str(path), *extra]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\r" not in out and "pwned\n" not in out
        assert "\\x1b[2J\\x1b[31mpwned\\nfake line\\r" in out and "(525 characters)" in out
        assert max(len(line) for line in out.splitlines()) < 400
