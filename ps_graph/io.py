"""Files: atomic writes and tidy per-episode CSV.

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

from .training import TrainResult

__all__ = ["atomic_write_bytes", "atomic_write_text", "save_figure", "episode_rows", "write_episode_csv", "EPISODE_FIELDS"]

EPISODE_FIELDS = ("agent", "run", "seed", "episode", "return", "length", "terminated", "env_steps")


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


def episode_rows(result: TrainResult, **labels: object) -> list[dict[str, object]]:
    """One dict per episode of ``result``, starting with the given labels (agent, run, seed)."""
    env_steps = result.env_steps
    return [
        {**labels, "episode": i, "return": float(result.returns[i]), "length": int(result.lengths[i]),
         "terminated": bool(result.terminated[i]), "env_steps": int(env_steps[i])}
        for i in range(result.episodes)
    ]


def write_episode_csv(path: str | os.PathLike, runs: Mapping[str, Iterable[tuple[int, TrainResult]]]) -> Path:
    """Write a tidy CSV (one row per episode) of ``{agent: [(seed, result), ...]}`` atomically.

    Columns: agent, run, seed, episode, return, length, terminated, env_steps.
    """
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=EPISODE_FIELDS, lineterminator="\n")
    writer.writeheader()
    for agent, results in runs.items():
        for run, (seed, result) in enumerate(results):
            writer.writerows(episode_rows(result, agent=agent, run=run, seed=seed))
    return atomic_write_text(path, buf.getvalue())
