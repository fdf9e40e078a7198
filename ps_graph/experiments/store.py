"""The results folder: one folder per run, written atomically, read back without pickle.

Layout (see :mod:`ps_graph.experiments`)::

    OUT/runs/<agent>/<env>/seed-<seed>/episodes.csv   per-episode rows of one run
    OUT/runs/<agent>/<env>/seed-<seed>/config.json    spec, agent config, versions, wall time, why it
                                                      stopped early (or null); written last
    OUT/episodes.csv                                  every finished run's rows, rebuilt at the end

A run is finished when its ``config.json`` parses, holds a run spec, and records the
SHA-256 of the ``episodes.csv`` beside it; anything else is an unfinished run.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..checks import printable
from ..errors import ConfigError, DamagedRunError, IncompleteRunError
from ..files import EPISODE_COLUMNS, atomic_write_text, episode_csv_text, episode_rows
from ..training import TrainResult
from .specs import EnvSpec, RunSpec, slug

__all__ = [
    "EPISODE_COLUMNS",
    "check_settings",
    "load_results",
    "read_run",
    "rebuild_episode_csv",
    "run_folder",
    "save_run",
    "same_spec",
]

logger = logging.getLogger("ps_graph.experiments")

FORMAT = "ps_graph.experiments.run"
VERSION = 1
RUNS = "runs"
EPISODES_CSV = "episodes.csv"
CONFIG_JSON = "config.json"


def check_out(out) -> Path:
    """``out`` as a Path to a folder (created if missing); a ConfigError if it is a file."""
    if not isinstance(out, (str, os.PathLike)):
        raise ConfigError(f"out must be a folder path (str or pathlib.Path); got {out!r}.")
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"out={str(path)!r} exists and is not a folder; give a folder path for the results.")
    return path


def run_folder(out, spec: RunSpec) -> Path:
    """``OUT/runs/<agent>/<env>/seed-<seed>`` (names made folder-safe)."""
    return Path(out) / RUNS / slug(spec.agent.name) / slug(spec.env.name) / f"seed-{spec.seed}"


def _episode_csv_text(spec: RunSpec, result: TrainResult) -> str:
    """One run's ``episodes.csv`` (the schema of :data:`ps_graph.files.EPISODE_COLUMNS`)."""
    return episode_csv_text(
        episode_rows(result, agent=spec.agent.name, env=spec.env.name, run=spec.run, seed=spec.seed)
    )


def _versions() -> dict[str, str]:
    import gymnasium

    import ps_graph

    return {
        "ps_graph": ps_graph.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "gymnasium": gymnasium.__version__,
    }


def save_run(out, spec: RunSpec, result: TrainResult) -> Path:
    """Write one run's ``episodes.csv``, then its ``config.json`` (the completion marker), atomically.

    Returns the run's folder.
    """
    folder = run_folder(out, spec)
    text = _episode_csv_text(spec, result)
    atomic_write_text(folder / EPISODES_CSV, text)
    config = {
        "format": FORMAT,
        "version": VERSION,
        "spec": spec.to_dict(),
        "agent_seed": spec.agent_seed,
        "agent_config": result.info.get("agent_config"),
        "episodes": result.episodes,
        "steps": result.steps,
        "wall_time": float(result.wall_time),
        "stopped": result.stopped,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
        "episodes_csv_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }
    atomic_write_text(folder / CONFIG_JSON, json.dumps(config, indent=2) + "\n")
    return folder


def read_config(folder: Path) -> tuple[RunSpec, dict[str, Any]]:
    """The spec and config of a finished run.

    Raises :class:`~ps_graph.errors.IncompleteRunError` (a file is missing) or its child
    :class:`~ps_graph.errors.DamagedRunError` (a file is malformed or fails its checksum).
    """
    path = folder / CONFIG_JSON
    if not path.is_file():
        raise IncompleteRunError(f"{path} is missing")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            raise ValueError(f"format is not {FORMAT!r}")
        if config.get("version") != VERSION:
            raise ValueError(f"version {config.get('version')!r} is not {VERSION}")
        spec = RunSpec.from_dict(config["spec"])
        digest = config["episodes_csv_sha256"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:  # ConfigError is a ValueError
        raise DamagedRunError(f"{path} is malformed ({exc})") from None
    try:
        data = (folder / EPISODES_CSV).read_bytes()
    except OSError:
        raise IncompleteRunError(f"{folder / EPISODES_CSV} is missing") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise DamagedRunError(f"{folder / EPISODES_CSV} does not match the checksum in {path}")
    return spec, config


def read_run(folder) -> tuple[RunSpec, TrainResult]:
    """A finished run's spec and :class:`~ps_graph.TrainResult` (read from CSV and JSON, no pickle).

    ``info`` holds ``stopped`` (why a stopping rule ended the run early, or None: its
    :attr:`~ps_graph.TrainResult.stopped`), ``agent``, ``env``, ``run``, ``seed``, ``folder``,
    ``config`` (the parsed config.json) and ``episode_wall_time``. Raises :class:`~ps_graph.errors.IncompleteRunError`
    (or its child :class:`~ps_graph.errors.DamagedRunError`) if the folder does not hold a finished run.
    """
    folder = Path(folder)
    spec, config = read_config(folder)
    with open(folder / EPISODES_CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    try:
        returns = np.array([float(r["return"]) for r in rows], dtype=np.float64)
        lengths = np.array([int(r["length"]) for r in rows], dtype=np.int64)
        terminated = np.array([r["terminated"] == "True" for r in rows], dtype=bool)
        times = np.array([float(r["wall_time"]) for r in rows], dtype=np.float64)
    except (KeyError, ValueError, TypeError) as exc:
        raise DamagedRunError(f"{folder / EPISODES_CSV} is malformed ({exc})") from None
    if len(rows) != config.get("episodes"):
        raise DamagedRunError(
            f"{folder / EPISODES_CSV} has {len(rows)} rows, config.json says {config.get('episodes')}"
        )
    info = {
        "stopped": config.get("stopped"),
        "agent": spec.agent.name,
        "env": spec.env.name,
        "run": spec.run,
        "seed": spec.seed,
        "folder": str(folder),
        "config": config,
        "episode_wall_time": times,
    }
    return spec, TrainResult(returns, lengths, terminated, float(config["wall_time"]), info=info)


def _run_folders(out: Path) -> list[Path]:
    return sorted(p for p in (out / RUNS).glob("*/*/seed-*") if p.is_dir())


def _finished(out: Path) -> list[tuple[RunSpec, Path]]:
    found = []
    for folder in _run_folders(out):
        try:
            spec, _ = read_config(folder)
        except IncompleteRunError as exc:
            logger.debug("skipping unfinished run: %s", exc)
            continue
        found.append((spec, folder))
    return sorted(found, key=lambda sf: (sf[0].agent.name, sf[0].env.name, sf[0].run))


def load_results(out) -> dict[tuple[str, str], list[TrainResult]]:
    """Every finished run under ``out``: ``{(agent, env): [TrainResult of run 0, 1, ...]}``.

    Keys are sorted by agent then environment name; unfinished run folders are skipped.

    >>> import tempfile
    >>> from ps_graph.experiments import compare
    >>> with tempfile.TemporaryDirectory() as out:
    ...     _ = compare(["q", "ps"], "FrozenLake-v1", out, runs=2, episodes=5, jobs=1, progress=False)
    ...     results = load_results(out)
    >>> list(results), [r.info["run"] for r in results["q", "FrozenLake-v1"]]
    ([('ps', 'FrozenLake-v1'), ('q', 'FrozenLake-v1')], [0, 1])
    """
    out = check_out(out)
    if not out.is_dir():
        raise ConfigError(f"no results folder at {str(out)!r}; run ps_graph.experiments.compare(..., out=...) first.")
    results: dict[tuple[str, str], list[TrainResult]] = {}
    for spec, folder in _finished(out):
        try:
            _, result = read_run(folder)
        except IncompleteRunError as exc:
            logger.warning("skipping run: %s", exc)
            continue
        results.setdefault((spec.agent.name, spec.env.name), []).append(result)
    return results


def rebuild_episode_csv(out) -> Path:
    """Rewrite ``OUT/episodes.csv`` (atomically) from every finished run, sorted by agent, env, run.

    Built from the run folders, so no row is ever duplicated or lost however often runs
    were interrupted and resumed.
    """
    out = check_out(out)
    header = ",".join(EPISODE_COLUMNS) + "\n"
    parts = [header]
    for _, folder in _finished(out):
        text = (folder / EPISODES_CSV).read_text(encoding="utf-8")
        if not text.startswith(header):
            logger.warning("skipping %s: its header is not %s", folder / EPISODES_CSV, header.strip())
            continue
        parts.append(text[len(header) :])
    return atomic_write_text(out / EPISODES_CSV, "".join(parts))


def clear_unfinished(folder: Path) -> None:
    """Remove what an interrupted run left in ``folder`` (the marker first), so it is redone from scratch."""
    for name in (CONFIG_JSON, EPISODES_CSV):
        (folder / name).unlink(missing_ok=True)
    for tmp in folder.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def _canonical(value: Any) -> str:
    """``value`` (JSON data) as canonical JSON text: keys sorted, a whole float written as the
    integer (1.0 is 1), a boolean kept apart from the numbers (True is not 1, as Python says)."""

    def plain(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return v

    return json.dumps(plain(value), sort_keys=True)


def same_spec(a: RunSpec, b: RunSpec) -> bool:
    """Whether two specs ask for the same run: equal as JSON, where 1.0 is 1 but True is not 1.

    >>> from ps_graph.experiments import AgentSpec, EnvSpec
    >>> specs = [RunSpec(AgentSpec("q", {"x": v}), EnvSpec("E-v0"), run=0, seed=1, episodes=2) for v in (1, 1.0, True)]
    >>> same_spec(specs[0], specs[1]), same_spec(specs[0], specs[2]), specs[0] == specs[2]
    (True, False, True)
    """
    return _canonical(a.to_dict()) == _canonical(b.to_dict())


def _settings(spec: RunSpec) -> dict[str, Any]:
    """The settings a results folder keeps one of, by what names them: an agent name, an
    environment name and a run of an agent on an environment (its seed and budget)."""
    d = spec.to_dict()
    return {
        f"agent {spec.agent.name!r}": d["agent"],
        f"environment {spec.env.name!r}": d["env"],
        f"run {spec.run} of {spec.agent.name!r} on {spec.env.name!r}": {
            k: d[k] for k in ("seed", "episodes", "total_steps", "max_steps", "stop")
        },
    }


def _default_named(spec: RunSpec) -> bool:
    """Whether the spec's environment has its default name, made from its id and kwargs."""
    return EnvSpec(spec.env.id, spec.env.kwargs).name == spec.env.name


def _refuse(out: Path, name: str, was: str, now: str) -> ConfigError:
    return ConfigError(
        f"{out} holds finished runs of other settings: {name} ran with {printable(was, 200)}, this compare asks "
        f"for {printable(now, 200)}. A results folder keeps one setting of each agent and environment, and runs "
        "are never overwritten or mixed: use another out folder, or the settings it was made with (its "
        "runs/*/*/*/config.json say which), or give the agent or environment another name."
    )


def check_settings(out, specs) -> None:
    """Refuse ``specs`` that contradict the finished runs in ``out``, before anything runs.

    A results folder keeps one setting of each name: the same agent name with other
    hyperparameters, an environment with kwargs it has not run with (unless named apart:
    the default names differ with the kwargs, so those folders would never meet), another
    root seed (run ``i`` would be there twice), another budget or another stopping rule raise
    :class:`~ps_graph.errors.ConfigError` naming the first conflict. New agents, new
    environments and more runs are fine; runs are never overwritten or mixed.
    """
    out = Path(out)
    if not (out / RUNS).is_dir():
        return
    recorded: dict[str, str] = {}
    variants: dict[str, set[str]] = {}  # env id -> the kwargs it ran with under its default name
    for found, _ in _finished(out):
        for name, value in _settings(found).items():
            recorded.setdefault(name, _canonical(value))
        if _default_named(found):
            variants.setdefault(found.env.id, set()).add(_canonical(found.env.kwargs))
    for spec in specs:
        for name, value in _settings(spec).items():
            now = _canonical(value)
            if recorded.get(name, now) != now:
                raise _refuse(out, name, recorded[name], now)
        kwargs = _canonical(spec.env.kwargs)
        if _default_named(spec) and kwargs not in variants.get(spec.env.id, {kwargs}):
            was = " or ".join(sorted(variants[spec.env.id]))
            raise _refuse(out, f"environment {spec.env.id!r} (its kwargs)", was, kwargs)
