"""Files: atomic writes and the one per-episode CSV schema.

Every file is written to a temporary file in the same folder and moved into place with
:func:`os.replace`, so a crash never leaves a half-written file behind.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from .training import TrainResult

__all__ = [
    "EPISODE_COLUMNS",
    "atomic_write_bytes",
    "atomic_write_text",
    "episode_csv_text",
    "episode_rows",
    "save_figure",
    "write_episode_csv",
]

EPISODE_COLUMNS = ("agent", "env", "run", "seed", "episode", "return", "length", "terminated", "env_steps", "wall_time")
"""Columns of every per-episode CSV (experiment run folders, their combined file, the examples):
``run`` counts an agent's runs from 0, ``episode`` counts from 0, ``env_steps`` is cumulative over
the run, ``wall_time`` is seconds from the start of training to the end of the episode (NaN where
not measured)."""


def _new_file_mode() -> int:
    """What ``open()`` would give a new file under the current umask (mkstemp gives 0o600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + rename); returns the path.

    The file gets the permissions a plain ``open(path, "w")`` would give it (or keeps those
    of the file it replaces).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = _new_file_mode()
        os.chmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def save_figure(fig, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Render a matplotlib figure to ``path`` (format from the suffix) atomically."""
    path = Path(path)
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lstrip(".") or "png", dpi=dpi)
    return atomic_write_bytes(path, buf.getvalue())


def episode_rows(result: TrainResult, *, agent: str, env: str, run: int, seed: int) -> list[dict[str, object]]:
    """One dict per episode of ``result`` with the :data:`EPISODE_COLUMNS` as keys.

    ``wall_time`` comes from ``result.info["episode_wall_time"]`` (recorded by
    :func:`ps_graph.experiments.run_spec`) and is NaN where it was not measured.

    >>> import numpy as np
    >>> result = TrainResult(np.array([0.0, 1.0]), np.array([3, 2]), np.array([False, True]))
    >>> episode_rows(result, agent="ps", env="FrozenLake-v1", run=0, seed=7)[1]  # doctest: +NORMALIZE_WHITESPACE
    {'agent': 'ps', 'env': 'FrozenLake-v1', 'run': 0, 'seed': 7, 'episode': 1, 'return': 1.0, 'length': 2,
     'terminated': True, 'env_steps': 5, 'wall_time': nan}
    """
    times = np.asarray(result.info.get("episode_wall_time", np.full(result.episodes, np.nan)), dtype=np.float64)
    env_steps = result.env_steps
    return [
        {
            "agent": agent,
            "env": env,
            "run": run,
            "seed": seed,
            "episode": i,
            "return": float(result.returns[i]),
            "length": int(result.lengths[i]),
            "terminated": bool(result.terminated[i]),
            "env_steps": int(env_steps[i]),
            "wall_time": float(times[i]),
        }
        for i in range(result.episodes)
    ]


def episode_csv_text(rows: Iterable[Mapping[str, object]]) -> str:
    """The per-episode CSV (header :data:`EPISODE_COLUMNS`, then ``rows``) as text.

    >>> print(episode_csv_text([]), end="")
    agent,env,run,seed,episode,return,length,terminated,env_steps,wall_time
    """
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=EPISODE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_episode_csv(
    path: str | os.PathLike, runs: Mapping[str, Iterable[tuple[int, TrainResult]]], *, env: str
) -> Path:
    """Write the per-episode CSV of ``{agent: [(seed, result), ...]}`` on ``env`` atomically.

    Run ``i`` is the ``i``-th pair of an agent's list. Same columns as the run folders of
    :func:`ps_graph.experiments.compare` (:data:`EPISODE_COLUMNS`).

    >>> import numpy as np, tempfile
    >>> result = TrainResult(np.array([1.0]), np.array([4]), np.array([True]))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     text = write_episode_csv(Path(tmp) / "e.csv", {"ps": [(3, result)]}, env="GridWorld").read_text()
    >>> text.splitlines()[1]
    'ps,GridWorld,0,3,0,1.0,4,True,4,nan'
    """
    rows = [
        row
        for agent, results in runs.items()
        for run, (seed, result) in enumerate(results)
        for row in episode_rows(result, agent=agent, env=env, run=run, seed=seed)
    ]
    return atomic_write_text(path, episode_csv_text(rows))
