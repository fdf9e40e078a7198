"""One writer per results folder: the lock file, stale locks, and runs of other settings refused."""

import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ps_graph import ConfigError
from ps_graph.experiments import AgentSpec, EnvSpec, compare, load_results
from ps_graph.experiments.lock import LOCK_NAME, folder_lock, read_owner

ENV = "FrozenLake-v1"
SMALL = dict(runs=2, episodes=5, backend="serial", progress=False)

# A real compare in another process whose one run waits for the file "go" (after writing "running").
BLOCKING_COMPARE = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from ps_graph.experiments import compare, register_agent
    from ps_graph.experiments.agents import build_ps_fast

    out, flags = Path(sys.argv[1]), Path(sys.argv[2])
    calls = []

    def build(env, spec):
        calls.append(spec)
        if len(calls) == 2:  # the first call validates; the second is the run
            (flags / "running").touch()
            while not (flags / "go").exists():
                time.sleep(0.05)
        return build_ps_fast(env, spec)

    register_agent("blocking", build)
    compare("blocking", "FrozenLake-v1", out, runs=1, episodes=3, backend="serial", progress=False)
    """
)


def _wait_for(path: Path, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _fabricate(out: Path, **owner) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    path.write_text(json.dumps({"started": "2024-01-01T00:00:00+00:00", "command": "ps-graph compare", **owner}))
    return path


def test_a_second_compare_on_a_folder_in_use_refuses_naming_the_owner(tmp_path):
    out, flags = tmp_path / "out", tmp_path / "flags"
    flags.mkdir()
    first = subprocess.Popen(
        [sys.executable, "-c", BLOCKING_COMPARE, str(out), str(flags)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(flags / "running", first)
        owner = read_owner(out / LOCK_NAME)
        assert owner is not None and owner["pid"] == first.pid and owner["host"] == socket.gethostname()
        with pytest.raises(ConfigError, match=rf"is in use by process {first.pid} on host .*one compare writes"):
            compare("ps", ENV, out, **SMALL)
        assert not (out / "runs" / "ps").exists()  # the second one wrote nothing
    finally:
        (flags / "go").touch()
        _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert not (out / LOCK_NAME).exists()  # released at the end
    compare("ps", ENV, out, **SMALL)  # and the folder is free again
    assert sorted(load_results(out)) == [("blocking", ENV), ("ps", ENV)]


def test_the_lock_is_released_on_errors_and_interrupts(tmp_path):
    def interrupted(env, spec):
        raise KeyboardInterrupt

    from ps_graph.registry import register_agent, unregister_agent

    register_agent("interrupted", interrupted, check="ps_graph.experiments.agents:build_ps")
    try:
        with pytest.raises(KeyboardInterrupt):
            compare("interrupted", ENV, tmp_path, **SMALL)
    finally:
        unregister_agent("interrupted")
    assert not (tmp_path / LOCK_NAME).exists()
    with pytest.raises(ValueError), folder_lock(tmp_path) as path:
        assert path.exists()
        raise ValueError
    assert not path.exists()


def test_a_stale_lock_of_this_host_is_reported_and_taken_over(tmp_path, caplog):
    pid = _dead_pid()
    _fabricate(tmp_path, pid=pid, host=socket.gethostname(), token="old")
    caplog.set_level(logging.WARNING, logger="ps_graph.experiments")
    results = compare("ps", ENV, tmp_path, **SMALL)
    assert len(results["ps", ENV]) == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("taking over the stale lock" in w and f"process {pid}" in w for w in warnings), warnings
    assert not (tmp_path / LOCK_NAME).exists() and not list(tmp_path.glob(f"{LOCK_NAME}*"))


@pytest.mark.parametrize(
    "owner, match",
    [
        (dict(pid=_dead_pid(), host="elsewhere.example.org"), "another host is never broken automatically"),
        (dict(pid=os.getpid(), host=socket.gethostname()), "one compare writes a results folder at a time"),
        (dict(), "names no owner"),
    ],
)
def test_a_live_foreign_or_unreadable_lock_is_never_broken(tmp_path, owner, match):
    path = _fabricate(tmp_path, **owner)
    before = path.read_bytes()
    with pytest.raises(ConfigError, match=match) as info:
        compare("ps", ENV, tmp_path, **SMALL)
    assert f"delete {path} and run again" in str(info.value)  # says how, if the user knows it is stale
    assert path.read_bytes() == before and not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    "second, match",
    [
        (dict(agents=AgentSpec("ps", {"eta_glow_damping": 0.5})), r"agent 'ps' ran with .*\"hyperparameters\": \{\}"),
        (dict(envs=EnvSpec(ENV, {"is_slippery": False})), r"environment 'FrozenLake-v1' \(its kwargs\) ran with \{\}"),
        (dict(seed=1), r"run 0 of 'ps' on 'FrozenLake-v1' ran with \{\"episodes\": 5, .*\"seed\": "),
        (dict(episodes=6), r"run 0 of 'ps' on 'FrozenLake-v1' ran with \{\"episodes\": 5"),
        (dict(max_steps=50), r"\"max_steps\": null"),
    ],
)
def test_other_settings_on_a_finished_folder_are_refused_before_anything_runs(tmp_path, second, match):
    compare("ps", ENV, tmp_path, **SMALL)
    files = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    args = dict(agents="ps", envs=ENV) | SMALL | second
    with pytest.raises(ConfigError, match=match):
        compare(args.pop("agents"), args.pop("envs"), tmp_path, **args)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == files  # nothing added or changed


def test_resuming_adding_agents_envs_and_runs_is_fine(tmp_path):
    envs = [ENV, EnvSpec(ENV, {"is_slippery": False})]  # two settings of one env in one compare
    compare("ps", envs, tmp_path, **SMALL)
    compare("ps", envs, tmp_path, **SMALL)  # resumed
    compare(["ps", "q"], envs, tmp_path, **(SMALL | {"runs": 3}))  # another agent, one more run
    compare("ps", [*envs, "CliffWalking-v1"], tmp_path, **SMALL)  # another environment
    compare("ps", EnvSpec(ENV, {"is_slippery": False}, name="lake"), tmp_path, **SMALL)  # named apart
    compare(AgentSpec("ps", {"eta_glow_damping": 1.0}, name="ps-1"), ENV, tmp_path, **SMALL)
    compare(AgentSpec("ps", {"eta_glow_damping": 1}, name="ps-1"), ENV, tmp_path, **SMALL)  # 1 is 1.0
    runs = {k: [r.info["run"] for r in v] for k, v in load_results(tmp_path).items()}
    slippery = "FrozenLake-v1[is_slippery=false]"
    assert runs == {
        ("ps", "CliffWalking-v1"): [0, 1],
        ("ps", ENV): [0, 1, 2],
        ("ps", slippery): [0, 1, 2],
        ("ps", "lake"): [0, 1],
        ("ps-1", ENV): [0, 1],
        ("q", ENV): [0, 1, 2],
        ("q", slippery): [0, 1, 2],
    }
