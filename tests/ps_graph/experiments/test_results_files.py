"""The results folder across versions, its one per-episode schema, and the one seed derivation."""

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from ps_graph import TrainResult
from ps_graph.errors import DamagedRunError, IncompleteRunError, PSGraphError
from ps_graph.experiments import EPISODE_COLUMNS, compare, derive_seeds, expand, load_results, read_run
from ps_graph.files import episode_csv_text, write_episode_csv
from ps_graph.streams import agent_seeds, spawn_seeds

#: Written by ps_graph before the CSV schema and seed derivation were merged (format
#: "ps_graph.experiments.run" version 1): compare(["ps", "q"], "FrozenLake-v1", runs=1, seed=3, episodes=5).
RESULTS_V1 = Path(__file__).parent / "results_v1"


def copy_v1(tmp_path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(RESULTS_V1, out)
    return out


def test_a_results_folder_written_before_is_resumed_without_redoing_a_run(tmp_path):
    out = copy_v1(tmp_path)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    before = {p: p.read_bytes() for p in files}
    results = compare(["ps", "q"], "FrozenLake-v1", out, runs=1, seed=3, episodes=5, backend="serial", progress=False)
    assert {p: p.read_bytes() for p in files} == before  # nothing redone, the combined CSV rebuilt identically
    assert [r.episodes for r in results["q", "FrozenLake-v1"]] == [5]
    spec, result = read_run(next((out / "runs" / "ps").glob("*/seed-*")))
    assert spec == expand("ps", "FrozenLake-v1", runs=1, seed=3, episodes=5)[0]  # same seeds as then
    assert result.info["config"]["agent_seed"] == spec.agent_seed
    assert list(load_results(out)) == [("ps", "FrozenLake-v1"), ("q", "FrozenLake-v1")]


def test_unfinished_and_damaged_runs_raise_package_errors(tmp_path):
    folder = next((copy_v1(tmp_path) / "runs" / "ps").glob("*/seed-*"))
    (folder / "episodes.csv").write_text((folder / "episodes.csv").read_text() + "\n")
    with pytest.raises(DamagedRunError, match="does not match the checksum"):
        read_run(folder)
    (folder / "config.json").write_text("{")
    with pytest.raises(DamagedRunError, match="is malformed"):
        read_run(folder)
    (folder / "config.json").unlink()
    with pytest.raises(IncompleteRunError, match="config.json is missing") as info:
        read_run(folder)
    assert not isinstance(info.value, DamagedRunError) and isinstance(info.value, PSGraphError)


def test_examples_and_run_folders_share_one_episode_schema(tmp_path):
    result = TrainResult(
        np.array([0.0, 1.0]),
        np.array([3, 2]),
        np.array([False, True]),
        info={"episode_wall_time": np.array([0.5, 0.75])},
    )
    path = write_episode_csv(tmp_path / "e.csv", {"ps": [(7, result)], "q": [(7, result), (8, result)]}, env="E")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == EPISODE_COLUMNS
    assert [(r["agent"], r["run"], r["seed"], r["episode"]) for r in rows] == [
        ("ps", "0", "7", "0"),
        ("ps", "0", "7", "1"),
        ("q", "0", "7", "0"),
        ("q", "0", "7", "1"),
        ("q", "1", "8", "0"),
        ("q", "1", "8", "1"),
    ]
    assert rows[1] == {
        "agent": "ps",
        "env": "E",
        "run": "0",
        "seed": "7",
        "episode": "1",
        "return": "1.0",
        "length": "2",
        "terminated": "True",
        "env_steps": "5",
        "wall_time": "0.75",
    }
    header = (RESULTS_V1 / "episodes.csv").read_text().splitlines()[0]
    assert episode_csv_text([]) == header + "\n"  # the schema of results folders written before


def test_one_seed_derivation_gives_the_seeds_of_before():
    # by hand: child i of SeedSequence(root), its first 64-bit state word
    words = [int(c.generate_state(1, np.uint64)[0]) for c in np.random.SeedSequence(11).spawn(3)]
    assert spawn_seeds(11, 3) == derive_seeds(11, 3) == [w & 0xFFFFFFFF for w in words]  # run seeds
    assert spawn_seeds(11, 3, bits=63) == agent_seeds(3, 11) == [w >> 1 for w in words]  # batched agents
    spec = expand("ps", "FrozenLake-v1", runs=1, seed=11, episodes=1)[0]
    assert spec.agent_seed == spawn_seeds(spec.seed, 1)[0]  # the agent's seed: child 0 of the run's seed
    # pinned, as computed by the two derivations before they were merged
    assert derive_seeds(0, 2) == [3757552657, 673228719]
    assert agent_seeds(2, 0) == [4334430513956379144, 2440950710608614359]
    with pytest.raises(PSGraphError, match="bits must be 32"):
        spawn_seeds(0, 1, bits=64)
