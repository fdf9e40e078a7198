"""Reading an agent file safely (re-exported by :mod:`ps_graph.fileformat`, the public face):
only a regular file under a size limit is read, and its JSON without pickles, non-finite
numbers or keys listed twice; every problem becomes a
:class:`~ps_graph.errors.FileFormatError` that names the file.

>>> parse_json(b'{"h": 1.0, "h": 2.0}')
Traceback (most recent call last):
...
ps_graph.errors.FileFormatError: a JSON object in the file lists the key 'h' twice; ...
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .checks import check_int, printable, show
from .errors import ConfigError, FileFormatError, PSGraphError

__all__ = ["MAX_FILE_BYTES", "check_path", "load_file", "parse_json", "read_agent_file"]

T = TypeVar("T")

#: The largest agent file read (256 MiB); ``load_file(..., max_bytes=...)`` reads larger ones.
MAX_FILE_BYTES = 256 * 2**20

_SPECIAL = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_path(path) -> Path:
    """``path`` as a Path, after checking it is a str or os.PathLike."""
    if not isinstance(path, (str, os.PathLike)):
        raise ConfigError(f"path must be a str or os.PathLike; got {type(path).__name__}.")
    return Path(path)


def read_agent_file(path, what: str = "agent file", max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the file at ``path``, read only if it is a regular file of at most
    ``max_bytes`` bytes; anything else (a directory, a FIFO, a device such as
    ``/dev/zero``, a larger file, one this process may not read) raises
    :class:`~ps_graph.errors.FileFormatError` ``"cannot load <path>: <problem>"`` without
    reading it (``what`` names the kind of file). A missing file raises ``FileNotFoundError``.

    >>> read_agent_file("/dev/zero")
    Traceback (most recent call last):
    ...
    ps_graph.errors.FileFormatError: cannot load /dev/zero: it is a character device, not a regular file; ...
    """
    path = check_path(path)
    max_bytes = check_int("max_bytes", max_bytes, 0)

    def refuse(problem: str) -> FileFormatError:
        return FileFormatError(f"cannot load {path}: {problem}")

    def check_kind(mode: int, size: int) -> None:
        if not stat.S_ISREG(mode):
            kind = next((kind for test, kind in _SPECIAL if test(mode)), "a special file")
            raise refuse(f"it is {kind}, not a regular file; {what}s are regular files.")
        if size > max_bytes:
            raise refuse(
                f"it holds {size} bytes, over the limit of {max_bytes} bytes ({max_bytes / 2**20:g} MiB) for "
                f"{what}s; if it really is one, pass a larger max_bytes."
            )

    try:
        info = os.stat(path)
        check_kind(info.st_mode, info.st_size)  # before opening: opening a FIFO would block
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(file.fileno())  # the file opened, in case the path changed since
            check_kind(info.st_mode, info.st_size)
            data = file.read(max_bytes + 1)
    except FileNotFoundError:
        raise
    except PermissionError:
        raise refuse("permission denied: this process may not read the file; check its permissions.") from None
    except OSError as err:
        raise refuse(f"the file cannot be read ({err.strerror or type(err).__name__}).") from None
    if len(data) > max_bytes:
        raise refuse(f"it grew past the limit of {max_bytes} bytes for {what}s while it was read.")
    return data


def load_file(path, read: Callable[[bytes], T], what: str, *, max_bytes: int = MAX_FILE_BYTES) -> T:
    """``read(the bytes at path)``, read with :func:`read_agent_file`; any error it raises
    on a bad file becomes one :class:`~ps_graph.errors.FileFormatError` ``"cannot load
    <path>: <problem>"`` (``what`` names the kind of file in the message). A missing file
    raises ``FileNotFoundError``.
    """
    path = check_path(path)
    data = read_agent_file(path, what, max_bytes)
    try:
        return read(data)
    except PSGraphError as err:
        problem = str(err)
    except RecursionError:
        problem = f"the JSON is nested too deeply to be a {what}."
    except MemoryError:
        problem = f"it describes more than fits in memory, so it is no {what} this package wrote."
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, AssertionError) as err:
        problem = f"malformed {what} ({type(err).__name__}: {printable(str(err), 200)})."
    raise FileFormatError(f"cannot load {path}: {problem}")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused if it lists a key twice (``json`` would silently keep the last)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise FileFormatError(
                    f"a JSON object in the file lists the key {show(key)} twice; each key may appear once "
                    "(the file was edited, or not written by ps_graph)."
                )
            seen.add(key)
    return obj


def parse_json(data: bytes):
    """The JSON document in ``data``; refuses pickles (never unpickled), non-UTF-8 bytes, empty,
    truncated or invalid JSON, non-finite numbers (NaN, Infinity) and objects that list a
    key twice, saying which."""
    if data[:1] == b"\x80":
        raise FileFormatError(
            "this is a Python pickle, not a ps_graph agent file; ps_graph never unpickles (unpickling can run code)."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FileFormatError("the file is not UTF-8 text, so not a ps_graph agent file (those are JSON).") from None
    if not text.strip():
        raise FileFormatError("the file is empty.")

    def reject(constant: str):
        raise FileFormatError(f"the file holds the non-finite number {constant}; agent files hold finite numbers only.")

    try:
        return json.loads(text, parse_constant=reject, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as err:
        end = text.rstrip()
        if err.pos >= len(end) or (end.startswith("{") and not end.endswith("}")):  # agent files end with }
            raise FileFormatError(f"the JSON ends early (line {err.lineno}): the file is truncated.") from None
        raise FileFormatError(f"not valid JSON ({err.msg} at line {err.lineno}, column {err.colno}).") from None
    except PSGraphError:
        raise  # from reject or _unique_keys
    except ValueError as err:  # an integer of more digits than Python converts (4300)
        problem = "an integer of thousands of digits" if "digits" in str(err) else printable(str(err), 200)
        raise FileFormatError(f"the file holds {problem}; agent files hold 64-bit integers and floats.") from None
