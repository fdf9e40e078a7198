"""One writer per results folder: ``OUT/compare.lock``, held while :func:`~ps_graph.experiments.compare` runs.

The lock file is created atomically (``O_CREAT | O_EXCL``) and holds its owner: process id,
host, start time and command. A second ``compare`` on the same folder finds it and refuses,
naming the owner. A lock whose owner is gone (same host, no such process: a ``kill -9``) is
reported and taken over with a warning; a lock from another host is never broken
automatically, since this process cannot see whether its owner still runs.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as out:
...     with folder_lock(out) as path:
...         owner = read_owner(path)
...         try:
...             with folder_lock(out):
...                 pass
...         except ConfigError as err:
...             print("in use by process" in str(err))
...     path.exists(), owner["pid"] == os.getpid()
True
(False, True)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..checks import printable
from ..errors import ConfigError

__all__ = ["LOCK_NAME", "folder_lock", "read_owner"]

logger = logging.getLogger("ps_graph.experiments")

LOCK_NAME = "compare.lock"
_TRIES = 3


def _host() -> str:
    return socket.gethostname()


def read_owner(path: Path) -> dict[str, Any] | None:
    """The owner recorded in the lock file at ``path`` (``pid``, ``host``, ``started``, ``command``,
    ``token``), or None when the file is missing, empty or not a lock this module wrote."""
    try:
        with open(path, "rb") as f:
            data = f.read(65536)
        owner = json.loads(data.decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(owner, dict) or not isinstance(owner.get("pid"), int) or not isinstance(owner.get("host"), str):
        return None
    return owner


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this host (one of another user counts as running)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:  # e.g. a pid out of range
        return False
    return True


def _describe(owner: dict[str, Any]) -> str:
    command = f" ({printable(owner['command'], 200)})" if owner.get("command") else ""
    started = printable(owner.get("started", "an unknown time"), 40)
    return f"process {owner['pid']} on host {printable(owner['host'], 80)!r}, started {started}{command}"


def _wait_for_owner(path: Path) -> dict[str, Any] | None:
    """The lock's owner, given a second to be written (the file exists before its content)."""
    for _ in range(10):
        owner = read_owner(path)
        if owner is not None or not path.exists():
            return owner
        time.sleep(0.1)
    return None


def _create(path: Path, token: str) -> bool:
    """Create the lock file, holding this process as its owner; False if it exists already."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    owner = {
        "pid": os.getpid(),
        "host": _host(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "token": token,
    }
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(owner) + "\n")
            f.flush()
            os.fsync(f.fileno())
    except BaseException:  # a full disk, an interrupt: leave no lock without an owner behind
        path.unlink(missing_ok=True)
        raise
    return True


def _take_over(path: Path, stale: dict[str, Any]) -> None:
    """Move the stale lock ``stale`` aside (if another process has not taken it over first)."""
    aside = path.with_name(f"{path.name}.stale-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:  # another process moved it first
        return
    if read_owner(aside) != stale:  # a new owner's lock came in between: put it back
        try:
            os.link(aside, path)  # fails, rightly, if yet another lock is there now
        except FileExistsError:
            pass
    aside.unlink(missing_ok=True)


def _remove(path: Path) -> str:
    return f"If you know no compare is writing there any more, delete {path} and run again."


def _refusal(path: Path, owner: dict[str, Any]) -> ConfigError | None:
    """The error for a lock held by ``owner``, or None when it is stale (this host, no such process)."""
    remove = _remove(path)
    if owner["host"] != _host():
        return ConfigError(
            f"{path.parent} is in use by {_describe(owner)}; a lock from another host is never broken "
            f"automatically. Wait for that compare to finish, or use another out folder. {remove}"
        )
    if _alive(owner["pid"]):
        return ConfigError(
            f"{path.parent} is in use by {_describe(owner)}: one compare writes a results folder at a time. "
            f"Wait for it to finish, or use another out folder. {remove}"
        )
    return None


@contextlib.contextmanager
def folder_lock(out) -> Iterator[Path]:
    """Hold ``OUT/compare.lock`` (creating ``out``) until the block ends, however it ends.

    Raises :class:`~ps_graph.errors.ConfigError` when another process holds it; takes over,
    with a warning, a lock left by a process of this host that no longer runs. Yields the
    lock file's path.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    token = secrets.token_hex(8)
    for _ in range(_TRIES):
        if _create(path, token):
            break
        owner = _wait_for_owner(path)
        if owner is None:
            if not path.exists():
                continue  # released in between: try again
            raise ConfigError(
                f"{out} is locked by {path}, which names no owner (damaged, or not written by ps_graph). "
                + _remove(path)
            )
        refusal = _refusal(path, owner)
        if refusal is not None:
            raise refusal
        logger.warning("taking over the stale lock %s of %s, which no longer runs", path, _describe(owner))
        _take_over(path, owner)
    else:
        raise ConfigError(f"could not lock {out}: other processes keep taking {path}; try again.")
    try:
        yield path
    finally:
        owner = read_owner(path)
        if owner is not None and owner.get("token") == token:
            path.unlink(missing_ok=True)
