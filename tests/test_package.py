"""Packaging promises: a light import, the example and the benchmark run end to end."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import modules_loaded_by

ROOT = Path(__file__).resolve().parents[1]


def test_import_is_light():
    assert modules_loaded_by("import ps_graph, qbaselines", "m in ('torch', 'matplotlib', 'pyvis')") == []
    orchestration = "m.split('.')[:2] in (['ps_graph', 'experiments'], ['ps_graph', 'report'], ['ps_graph', 'cli'])"
    assert modules_loaded_by("import ps_graph", orchestration) == []


def test_example_writes_csv_and_png(tmp_path):
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import frozenlake_ps_vs_q as example
    finally:
        sys.path.pop(0)
    report = example.run(tmp_path, runs=3, episodes=40, seed=0, progress=False)
    csv_lines = (tmp_path / "frozenlake_ps_vs_q.csv").read_text().splitlines()
    assert csv_lines[0] == "agent,env,run,seed,episode,return,length,terminated,env_steps,wall_time"
    assert len(csv_lines) == 1 + 2 * 3 * 40
    assert (tmp_path / "frozenlake_ps_vs_q.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(report["success_last_100"]) == set(example.AGENTS)
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary files


def test_example_command_line_rejects_bad_values(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "frozenlake_ps_vs_q.py"), "--runs", "0", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "--runs" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_benchmark_quick_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    figures = json.loads(out.read_text())
    for key in (
        "graph_us_per_step_16",
        "textbook_us_per_step_16",
        "graph_us_per_step_100k",
        "textbook_us_per_step_100k",
        "batch_frozenlake_30x500_s",
        "textbook_frozenlake_30x500_s",
        "batch_agent_steps_per_s_k1000",
        "invasion_figure_20k_s",
        "vector_env_steps_per_s_k1000_invasion",
        "sync_env_steps_per_s_k1000_invasion",
        "vector_env_steps_per_s_k1000_foraging",
        "dqn_cartpole_steps_per_s",
    ):
        assert figures[key] > 0
    assert "| percept clips |" in proc.stdout and "| native vector env, K = 1,000 |" in proc.stdout


def test_atomic_writes_get_ordinary_permissions_and_keep_existing_ones(tmp_path):
    import os

    from ps_graph.files import atomic_write_text

    mask = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "new.txt", "a")
        assert path.stat().st_mode & 0o777 == 0o666 & ~0o022  # as open() would make it, not mkstemp's 0o600
    finally:
        os.umask(mask)
    os.chmod(path, 0o640)
    atomic_write_text(path, "b")
    assert path.read_text() == "b" and path.stat().st_mode & 0o777 == 0o640
