"""ps_graph.experiments: specs and seeds, backends (serial, loky, Dask), resume after a kill, summaries."""

import contextlib
import csv
import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ps_graph import ConfigError, TrainResult
from ps_graph.experiments import (
    EPISODE_COLUMNS,
    AgentSpec,
    EnvSpec,
    RunSpec,
    SummaryRow,
    compare,
    derive_seeds,
    expand,
    load_results,
    plot_comparison,
    register_agent,
    run_folder,
    run_one,
    run_spec,
    summarize,
    write_summary_csv,
)
from ps_graph.registry import agent_kind, unregister_agent

AGENT_KINDS = ["ps", "q"]
ENV = "FrozenLake-v1"
SMALL = dict(runs=2, episodes=20, progress=False)


def rows(path, drop=("wall_time",)):
    with open(path, newline="") as f:
        return [{k: v for k, v in r.items() if k not in drop} for r in csv.DictReader(f)]


def finished(out):
    return sorted(Path(out).glob("runs/*/*/seed-*/config.json"))


def same_results(a, b):
    assert list(a) == list(b)
    for key in a:
        assert len(a[key]) == len(b[key])
        for x, y in zip(a[key], b[key]):
            np.testing.assert_array_equal(x.returns, y.returns)
            np.testing.assert_array_equal(x.lengths, y.lengths)
            np.testing.assert_array_equal(x.terminated, y.terminated)


# ---------------------------------------------------------------------- specs and seeds
def test_seeds_derive_from_one_root_seed_with_seedsequence():
    seeds = derive_seeds(5, 4)
    # by hand: run i's seed is the first 32-bit word of the i-th SeedSequence child of the root
    children = np.random.SeedSequence(5).spawn(4)
    assert seeds == [int(c.generate_state(1)[0]) for c in children]
    assert derive_seeds(5, 6)[:4] == seeds  # more runs later keep the first ones
    assert derive_seeds(6, 4) != seeds and len(set(seeds)) == 4
    with pytest.raises(ConfigError, match="runs must be an integer >= 1"):
        derive_seeds(0, 0)
    with pytest.raises(ConfigError, match="seed"):
        derive_seeds(-1, 2)


def test_expand_uses_common_random_numbers_and_separate_agent_seed():
    specs = expand(["ps", "q"], [ENV, EnvSpec(ENV, {"is_slippery": False})], runs=3, seed=1, episodes=5)
    assert len(specs) == 2 * 2 * 3
    seeds = derive_seeds(1, 3)
    for s in specs:
        assert s.seed == seeds[s.run]  # every agent and env meets the same seed in run i
        assert s.agent_seed != s.seed  # the agent's stream is a child, not the env's own stream
    assert [s.run for s in specs] == sorted(s.run for s in specs)  # run-major
    assert specs[1].env.name == "FrozenLake-v1" and specs[2].env.name == "FrozenLake-v1[is_slippery=false]"


def test_run_spec_is_picklable_and_json_round_trips():
    spec = RunSpec(
        AgentSpec("dqn", {"net_arch": (8, np.int64(4))}, name="d"),
        EnvSpec("CartPole-v1"),
        run=2,
        seed=np.int64(9),
        total_steps=100,
        max_steps=50,
    )
    assert spec.agent.hyperparameters == {"net_arch": [8, 4]}  # normalized to what JSON gives back
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert RunSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    assert type(spec.seed) is int


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(agents="pz"), r"unknown agent kind 'pz'; known kinds: 'ps', 'ps-fast', 'dqn', 'q'"),
        (dict(episodes=None), "give exactly one budget"),
        (dict(total_steps=100), "give exactly one budget"),
        (dict(jobs=0), "jobs must be an integer >= 1"),
        (dict(jobs=-2), "jobs must be an integer >= 1"),
        (dict(jobs=1.5), "jobs must be an integer"),
        (dict(backend="threads"), "backend must be one of 'loky', 'serial', 'dask'"),
        (dict(backend="serial", scheduler="tcp://127.0.0.1:1"), "needs backend='dask'"),
        (dict(scheduler=8786), "Dask scheduler address"),
        (
            dict(agents=[AgentSpec("ps", {"eta_glow_dampin": 0.1})]),
            r"unknown PS hyperparameter\(s\) \['eta_glow_dampin'\]",
        ),
        (dict(agents=[AgentSpec("q", {"learning_rate": 2.0})]), "learning_rate must be a finite number"),
        (dict(agents=[AgentSpec("dqn", {"buffer_sise": 10})]), r"unknown DQN hyperparameter\(s\) \['buffer_sise'\]"),
        (dict(envs="FrozenLak-v1"), "cannot make environment 'FrozenLak-v1'.*Did you mean"),
        (dict(envs=EnvSpec(ENV, {"slippery": True})), "takes no keyword 'slippery' \\(did you mean 'is_slippery'"),
        (dict(envs=EnvSpec(ENV, {"is_slippery": "maybe"})), "is_slippery must be true or false .*got 'maybe'"),
        (dict(envs=EnvSpec(ENV, {"map_name": "9x9"})), r"with kwargs \{'map_name': '9x9'\}: KeyError: '9x9'"),
        (dict(scheduler="notaurl"), "Dask scheduler address SCHEME://HOST:PORT .*got 'notaurl': no port"),
        (dict(scheduler="tcp://host:99999"), "the port '99999' is not a number in 1..65535"),
        (dict(scheduler="http://host:8786"), "unknown scheme 'http'"),
        (dict(scheduler="tcp://127.0.0.1:1", connect_timeout=0), "connect_timeout must be a finite number in"),
        (dict(envs="CartPole-v1"), "discretize"),
        (dict(agents=["ps", AgentSpec("ps", {"eta_glow_damping": 0.5})]), "two agents share the name 'ps'"),
        (dict(runs=0), "runs must be an integer >= 1"),
    ],
)
def test_bad_input_fails_before_anything_runs(tmp_path, kwargs, match):
    args = dict(agents=["ps"], envs=ENV, episodes=5, runs=2, jobs=1, progress=False) | kwargs
    with pytest.raises(Exception, match=match) as info:
        compare(args.pop("agents"), args.pop("envs"), tmp_path / "out", **args)
    assert isinstance(info.value, (ConfigError, TypeError))  # UnsupportedSpaceError is a TypeError
    assert not (tmp_path / "out").exists()  # nothing started, nothing written


def test_spec_values_are_checked():
    with pytest.raises(ConfigError, match="remove 'seed' from the hyperparameters"):
        AgentSpec("ps", {"seed": 3})
    with pytest.raises(ConfigError, match="JSON values"):
        AgentSpec("ps", {"growth": object()})
    with pytest.raises(ConfigError, match="string keys"):
        EnvSpec(ENV, {1: 2})
    with pytest.raises(ConfigError, match="no letters or digits"):
        AgentSpec("ps", name="///")
    with pytest.raises(ConfigError, match="not a run spec"):
        RunSpec.from_dict({"agent": {}})


def test_out_must_be_a_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is not a folder"):
        compare("ps", ENV, tmp_path / "file", episodes=5, **{k: v for k, v in SMALL.items() if k != "episodes"})


# ---------------------------------------------------------------------- running and the folder
def test_compare_writes_the_documented_layout_and_reads_back(tmp_path):
    results = compare(["ps", AgentSpec("q", {"learning_rate": 0.5}, name="q 0.5")], ENV, tmp_path, jobs=1, **SMALL)
    assert list(results) == [("ps", ENV), ("q 0.5", ENV)]
    spec = expand("ps", ENV, runs=2, episodes=20)[1]
    folder = tmp_path / "runs" / "ps" / "FrozenLake-v1" / f"seed-{spec.seed}"
    assert run_folder(tmp_path, spec) == folder and (tmp_path / "runs" / "q-0.5").is_dir()
    config = json.loads((folder / "config.json").read_text())
    assert RunSpec.from_dict(config["spec"]) == spec
    assert config["agent_seed"] == spec.agent_seed and config["agent_config"]["seed"] == spec.agent_seed
    assert config["episodes"] == 20 and config["versions"]["ps_graph"] and config["finished"].endswith("+00:00")
    per_run = rows(folder / "episodes.csv", drop=())
    assert list(per_run[0]) == list(EPISODE_COLUMNS) and [r["episode"] for r in per_run] == [str(i) for i in range(20)]
    result = results["ps", ENV][1]
    assert [float(r["return"]) for r in per_run] == result.returns.tolist()
    assert [int(r["env_steps"]) for r in per_run] == np.cumsum(result.lengths).tolist()
    times = [float(r["wall_time"]) for r in per_run]
    assert times == sorted(times) and 0 < times[-1] <= config["wall_time"] + 1e-3
    combined = rows(tmp_path / "episodes.csv", drop=())
    assert len(combined) == 2 * 2 * 20 and combined[0]["agent"] == "ps" and combined[-1]["agent"] == "q 0.5"
    loaded = load_results(tmp_path)
    same_results(loaded, results)
    assert loaded["ps", ENV][0].info["seed"] == derive_seeds(0, 2)[0]


def test_load_results_needs_a_results_folder(tmp_path):
    with pytest.raises(ConfigError, match="no results folder"):
        load_results(tmp_path / "missing")
    assert load_results(tmp_path) == {}


def test_same_root_seed_same_results_whatever_the_workers(tmp_path):
    serial = compare(AGENT_KINDS, ENV, tmp_path / "serial", backend="serial", **SMALL)
    loky = compare(AGENT_KINDS, ENV, tmp_path / "loky", jobs=2, **SMALL)
    same_results(serial, loky)
    assert rows(tmp_path / "serial" / "episodes.csv") == rows(tmp_path / "loky" / "episodes.csv")
    other = compare(AGENT_KINDS, ENV, tmp_path / "other", seed=1, backend="serial", **SMALL)
    assert any(
        (a.returns != b.returns).any() or (a.lengths != b.lengths).any()
        for k in serial
        for a, b in zip(serial[k], other[k])
    )


def test_total_steps_budget_reaches_dqn_total_timesteps(tmp_path):
    pytest.importorskip("torch")
    hp = {"learning_starts": 20, "buffer_size": 100, "net_arch": [8]}
    results = compare(
        [AgentSpec("dqn", hp), AgentSpec("dqn", {**hp, "total_timesteps": 7}, name="dqn7")],
        ENV,
        tmp_path,
        runs=1,
        total_steps=60,
        max_steps=10,
        jobs=1,
        progress=False,
    )
    assert [r.steps for r in results["dqn", ENV]] == [60] and results["dqn", ENV][0].lengths.max() <= 10
    configs = [json.loads(p.read_text())["agent_config"] for p in finished(tmp_path)]
    assert sorted(c["total_timesteps"] for c in configs) == [7, 60]  # set from the budget unless given


def test_run_one_writes_once(tmp_path):
    spec = expand("ps-fast", ENV, runs=1, episodes=10)[0]
    folder = run_one(spec, tmp_path)
    stamp = (folder / "config.json").stat().st_mtime_ns
    assert run_one(spec, tmp_path) == folder and (folder / "config.json").stat().st_mtime_ns == stamp
    result = run_spec(spec)
    assert rows(folder / "episodes.csv")[-1]["return"] == str(result.returns[-1])


def test_worker_errors_name_the_run_and_keep_finished_runs(tmp_path):
    def build(env, spec):
        if spec.run == 1:
            raise RuntimeError("boom")
        return agent_kind("ps").builder()(env, spec)

    register_agent("flaky", build, check=lambda env, spec: None)
    try:
        with pytest.raises(RuntimeError, match="boom") as info:
            compare("flaky", ENV, tmp_path, backend="serial", **SMALL)
    finally:
        unregister_agent("flaky")
    assert any("run 1" in note for note in info.value.__notes__)
    assert len(finished(tmp_path)) == 1  # run 0 finished before run 1 failed, and stays


def test_progress_bar_goes_to_stderr_and_nothing_is_printed(tmp_path, capsys, caplog):
    caplog.set_level(logging.INFO, logger="ps_graph.experiments")
    compare("ps-fast", ENV, tmp_path, runs=2, episodes=5, jobs=1)
    compare("ps-fast", ENV, tmp_path, runs=3, episodes=5, jobs=1)
    captured = capsys.readouterr()
    assert captured.out == "" and "compare" in captured.err and "3/3" in captured.err
    assert "3 runs, 2 already finished" in caplog.text


# ---------------------------------------------------------------------- resume
KILLED_AGENTS = ["ps", "ps-fast"]
KILLED = dict(runs=3, episodes=4000)  # ~0.2 s per run, so the kill lands while runs remain


def test_resume_after_kill_redoes_only_unfinished_runs(tmp_path):
    out = tmp_path / "killed"
    code = (
        "import sys; from ps_graph.experiments import compare; "
        f"compare({KILLED_AGENTS!r}, {ENV!r}, sys.argv[1], backend='serial', progress=False, **{KILLED!r})"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(out)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not finished(out) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    done = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in finished(out)}
    total = len(KILLED_AGENTS) * KILLED["runs"]
    assert 1 <= len(done) < total, (
        f"the kill should land mid-comparison; {len(done)} of {total} runs had finished "
        f"(exit {proc.returncode}, stderr: {proc.stderr.read().decode()[-500:]})"
    )
    proc.stderr.close()
    assert not (out / "episodes.csv").exists()

    resumed = compare(KILLED_AGENTS, ENV, out, jobs=2, progress=False, **KILLED)
    assert len(finished(out)) == total
    for path, (data, stamp) in done.items():  # finished runs were not redone
        assert path.read_bytes() == data and path.stat().st_mtime_ns == stamp
    combined = rows(out / "episodes.csv")
    keys = [(r["agent"], r["env"], r["run"], r["episode"]) for r in combined]
    assert len(keys) == len(set(keys)) == total * KILLED["episodes"]
    for agent in KILLED_AGENTS:
        assert sum(r["agent"] == agent for r in combined) == KILLED["runs"] * KILLED["episodes"]

    clean = compare(KILLED_AGENTS, ENV, tmp_path / "clean", backend="serial", progress=False, **KILLED)
    assert combined == rows(tmp_path / "clean" / "episodes.csv")  # same seeds, same rows (but wall time)
    same_results(resumed, clean)


def test_resume_redoes_damaged_runs_with_a_warning(tmp_path, caplog):
    compare(AGENT_KINDS, ENV, tmp_path, backend="serial", **SMALL)
    before = rows(tmp_path / "episodes.csv")
    configs = finished(tmp_path)
    malformed, truncated, interrupted, intact = configs[0], configs[1], configs[2], configs[3]
    malformed.write_text('{"format": "ps_graph.experiments.run", "spec": ')
    (truncated.parent / "episodes.csv").write_text(",".join(EPISODE_COLUMNS) + "\n")
    interrupted.unlink()  # killed between writing episodes.csv and config.json
    (interrupted.parent / ".episodes.csv.abc.tmp").write_text("partial")
    stamp = intact.stat().st_mtime_ns
    (tmp_path / "episodes.csv").unlink()

    caplog.set_level(logging.INFO, logger="ps_graph.experiments")
    compare(AGENT_KINDS, ENV, tmp_path, backend="serial", **SMALL)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and "malformed" in warnings[0] and "checksum" in warnings[1]
    assert "unfinished run" in caplog.text
    assert intact.stat().st_mtime_ns == stamp and all(p.is_file() for p in configs)
    assert not list(interrupted.parent.glob(".*.tmp"))
    assert rows(tmp_path / "episodes.csv") == before


def test_a_finished_run_of_another_spec_is_never_overwritten(tmp_path):
    compare("ps", ENV, tmp_path, backend="serial", **SMALL)
    data = [p.read_bytes() for p in finished(tmp_path)]
    with pytest.raises(ConfigError, match=r"agent 'ps' ran with .*\"hyperparameters\": \{\}"):
        compare(AgentSpec("ps", {"eta_glow_damping": 0.5}), ENV, tmp_path, backend="serial", **SMALL)
    with pytest.raises(ConfigError, match=r"run 0 of 'ps' on 'FrozenLake-v1' ran with .*\"episodes\": 20"):
        compare("ps", ENV, tmp_path, backend="serial", **(SMALL | {"episodes": 30}))
    assert [p.read_bytes() for p in finished(tmp_path)] == data


# ---------------------------------------------------------------------- Dask
def test_dask_cluster_on_loopback_gives_the_serial_results(tmp_path):
    distributed = pytest.importorskip("distributed")
    serial = compare(AGENT_KINDS, ENV, tmp_path / "serial", backend="serial", **SMALL)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        on_cluster = compare(AGENT_KINDS, ENV, tmp_path / "dask", scheduler=cluster.scheduler_address, **SMALL)
        with distributed.Client(cluster, set_as_default=False) as client:
            resumed = compare(AGENT_KINDS + ["ps-fast"], ENV, tmp_path / "dask", scheduler=client, **SMALL)
            assert client.status == "running"  # a Client we were given is left open
    assert cluster.status.name == "closed"
    same_results(serial, on_cluster)
    same_results(serial, {k: v for k, v in resumed.items() if k[0] != "ps-fast"})
    assert rows(tmp_path / "serial" / "episodes.csv") == [
        r for r in rows(tmp_path / "dask" / "episodes.csv") if r["agent"] != "ps-fast"
    ]


# ---------------------------------------------------------------------- summaries
def run(returns):
    r = np.asarray(returns, dtype=float)
    return TrainResult(r, np.ones(len(r), dtype=np.int64), np.ones(len(r), dtype=bool))


def test_summarize_by_hand():
    results = {("a", "e"): [run([0, 1, 1]), run([0, 0, 1])], ("b", "e"): [run([0, 0, 0]), run([2, 0, 0])]}
    a, b = summarize(results, last=2, threshold=1, window=1)
    # a: last-2 means 1 and 0.5 -> 0.75; std (ddof 1) of [1, .5] is sqrt(.125), CI 1.96 * sqrt(.125) / sqrt(2) = 0.49
    assert (a.agent, a.env, a.runs, a.final_mean) == ("a", "e", 2, 0.75) and a.final_ci == pytest.approx(0.49)
    # AUC: whole-curve means 2/3 and 1/3 -> 0.5; threshold 1 first reached at episodes 2 and 3 -> median 2.5
    assert a.auc == pytest.approx(0.5) and (a.episodes_to_threshold, a.reached) == (2.5, 2)
    # b: run 2 reaches 1 at episode 1, run 1 never: half the runs is not enough for a median
    assert (b.final_mean, b.auc, b.episodes_to_threshold, b.reached) == (0.0, pytest.approx(1 / 3), None, 1)


def test_summarize_success_windows_and_short_runs():
    runs = [run([0, 1, 0, 1, 1]), run([0, 0, 1, 1, 1]), run([0, 0, 0, 0, 0])]
    (row,) = summarize({("a", "e"): runs}, last=100, threshold=0.5, window=2, metric="success")
    # last=100 > 5 episodes: whole curves, success means 3/5, 3/5, 0 -> 0.4 (also the AUC)
    assert row.final_mean == pytest.approx(0.4) and row.auc == pytest.approx(0.4) and row.window == 2
    # 2-episode means reach 0.5 at episode 2 ([0, 1]) and at episode 3 ([0, 1]); run 3 never: median of [2, 3, inf] = 3
    assert (row.episodes_to_threshold, row.reached) == (3.0, 2)
    (one,) = summarize({("a", "e"): runs[:1]}, last=2)
    assert one.final_ci == 0.0 and one.threshold is None and one.episodes_to_threshold is None


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(last=0), "last must be an integer >= 1"),
        (dict(window=0), "window must be an integer >= 1"),
        (dict(metric="reward"), "metric must be one of 'return', 'success'"),
        (dict(threshold=float("nan")), "threshold must be a finite number"),
        (dict(results=[run([1])]), "results must be a dict"),
        (dict(results={"a": [run([1])]}), r"\(agent, env\) pairs"),
        (dict(results={("a", "e"): []}), "non-empty list of TrainResults"),
    ],
)
def test_summarize_rejects_bad_input(kwargs, match):
    args = dict(results={("a", "e"): [run([1, 0])]}) | kwargs
    with pytest.raises(ConfigError, match=match):
        summarize(args.pop("results"), **args)


def test_summary_csv_and_comparison_plots(tmp_path):
    results = {("a", "e1"): [run([0, 1]), run([1, 1])], ("b", "e1"): [run([0, 0])], ("a", "e2"): [run([1, 0])]}
    summary = summarize(results, last=1, threshold=5)
    path = write_summary_csv(tmp_path / "summary.csv", summary)
    back = rows(path, drop=())
    assert [r["agent"] for r in back] == ["a", "b", "a"] and back[0]["final_mean"] == "1.0"
    assert back[0]["episodes_to_threshold"] == "" and list(back[0]) == list(SummaryRow.__dataclass_fields__)
    with pytest.raises(ConfigError, match="SummaryRows"):
        write_summary_csv(tmp_path / "x.csv", [("a", "e")])
    figures = plot_comparison(results, panels=("reward",))
    assert list(figures) == ["e1", "e2"]
    ax = figures["e1"].axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a (2 runs)", "b (1 runs)"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.5, 1.0])  # mean over a's two runs
