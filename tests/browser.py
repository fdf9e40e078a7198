"""A tiny headless-Chromium driver for tests: the Chrome DevTools Protocol over a pipe.

Standard library only. Chromium is started with ``--remote-debugging-pipe``: it reads
commands on its fd 3 and writes replies and events on its fd 4, each message one JSON
object followed by a NUL byte. Networking is cut three ways (a dead proxy, a host
resolver that resolves nothing, and ``Network.emulateNetworkConditions`` offline), and
every ``Network.requestWillBeSent`` is recorded so a test can check what a page tried
to load.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

__all__ = ["Browser", "BrowserError", "chromium_path"]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1280,900",
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
)


class BrowserError(RuntimeError):
    """Chromium failed, answered with an error, or did not answer in time."""


def chromium_path() -> str | None:
    """The Chromium executable on PATH (Debian's ``chromium``), or None."""
    return shutil.which("chromium")


class Browser:
    """One headless Chromium and one page, driven over the DevTools pipe.

    Use as a context manager; leaving it always kills Chromium (and its children) and
    removes its profile folder, also when a test fails.
    """

    def __init__(self, executable: str | None = None, timeout: float = 30.0) -> None:
        self.executable = executable or chromium_path()
        if self.executable is None:
            raise BrowserError("chromium is not installed (apt-get install chromium)")
        self.timeout = timeout
        self.events: list[dict] = []
        self._replies: dict[int, dict] = {}
        self._cond = threading.Condition()
        self._next_id = 0
        self._closed = False
        self._closed_pipe = False
        self._pid: int | None = None
        self._profile = tempfile.mkdtemp(prefix="ps_graph_chromium_")
        self._log = open(Path(self._profile).parent / (Path(self._profile).name + ".log"), "w+b")
        self.session: str | None = None

    # ---------------------------------------------------------------- process
    def __enter__(self) -> Browser:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        cmd_read, cmd_write = os.pipe()  # we write commands, Chromium reads them on its fd 3
        reply_read, reply_write = os.pipe()  # Chromium writes on its fd 4, we read
        # subprocess's pass_fds keeps fds at the numbers they have here, and Chromium needs
        # exactly 3 and 4; posix_spawn's dup2 actions put them there (no shell, no
        # preexec_fn). The child ends go to fds >= 10 first, so no dup2 overwrites another.
        child_ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (cmd_read, reply_write)]
        os.close(cmd_read)
        os.close(reply_write)
        log = self._log.fileno()
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, log, 1),
            (os.POSIX_SPAWN_DUP2, log, 2),
            (os.POSIX_SPAWN_DUP2, child_ends[0], 3),
            (os.POSIX_SPAWN_DUP2, child_ends[1], 4),
        ]
        argv = [self.executable, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"]
        try:
            # its own session, so closing can kill Chromium and every child it started
            self._pid = os.posix_spawn(self.executable, argv, dict(os.environ), file_actions=actions, setsid=True)
        finally:
            for fd in child_ends:
                os.close(fd)
        self._out = os.fdopen(cmd_write, "wb", buffering=0)
        self._in = os.fdopen(reply_read, "rb", buffering=0)
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        target = self.send("Target.createTarget", url="about:blank", session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True, session=False)["sessionId"]
        self.send("Network.enable")
        self.send(
            "Network.emulateNetworkConditions", offline=True, latency=0, downloadThroughput=-1, uploadThroughput=-1
        )
        self.send("Page.enable")
        self.send("Runtime.enable")

    def _reaped(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for Chromium to exit; whether it did (and was reaped)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                pid, _ = os.waitpid(self._pid, os.WNOHANG)
            except ChildProcessError:
                return True
            if pid:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)

    def close(self) -> None:
        """Kill Chromium's process group, close the pipes, delete the profile."""
        if self._closed:
            return
        self._closed = True
        if self._pid is not None:
            try:
                os.killpg(self._pid, signal.SIGKILL)  # its session: Chromium and its children
            except ProcessLookupError:
                pass
            if not self._reaped(10.0):
                try:
                    os.kill(self._pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self._reaped(5.0)
        for f in (getattr(self, "_out", None), getattr(self, "_in", None)):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        with self._cond:
            self._cond.notify_all()
        shutil.rmtree(self._profile, ignore_errors=True)
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)

    def log_tail(self, n: int = 2000) -> str:
        """The end of Chromium's stdout/stderr, for error messages."""
        try:
            self._log.flush()
            return Path(self._log.name).read_bytes()[-n:].decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    # ---------------------------------------------------------------- protocol
    def _read_loop(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = self._in.read(65536)
            except (OSError, ValueError):
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                with self._cond:
                    if "id" in message:
                        self._replies[message["id"]] = message
                    else:
                        self.events.append(message)
                    self._cond.notify_all()
        with self._cond:
            self._closed_pipe = True
            self._cond.notify_all()

    def send(self, method: str, session: bool = True, **params) -> dict:
        """Send one command (to the page's session unless ``session=False``); its result."""
        with self._cond:
            self._next_id += 1
            msg_id = self._next_id
        message = {"id": msg_id, "method": method, "params": params}
        if session and self.session is not None:
            message["sessionId"] = self.session
        try:
            self._out.write(json.dumps(message).encode() + b"\0")
        except OSError as exc:
            raise BrowserError(f"Chromium's pipe closed ({exc}); its log:\n{self.log_tail()}") from None
        deadline = time.monotonic() + self.timeout
        with self._cond:
            while msg_id not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed_pipe or self._closed:
                    raise BrowserError(f"no reply to {method} from Chromium; its log:\n{self.log_tail()}")
                self._cond.wait(left)
            reply = self._replies.pop(msg_id)
        if "error" in reply:
            raise BrowserError(f"{method} failed: {reply['error']}")
        return reply.get("result", {})

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def navigate(self, url: str) -> None:
        reply = self.send("Page.navigate", url=url)
        if reply.get("errorText"):
            raise BrowserError(f"opening {url} failed: {reply['errorText']}")

    def wait_for(self, expression: str, timeout: float | None = None, poll: float = 0.05):
        """Poll ``expression`` until it is truthy; its value. Raises on timeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        last_error = None
        while True:
            try:  # while the page loads, document.body may still be null
                value = self.evaluate(expression)
            except BrowserError as exc:
                value, last_error = None, exc
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(
                    f"timed out waiting for {expression!r} (last error: {last_error}); "
                    f"page errors: {self.console_errors()}; Chromium's log:\n{self.log_tail()}"
                )
            time.sleep(poll)

    def hover(self, x: float, y: float) -> None:
        """Move the mouse to viewport point (x, y)."""
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)

    def screenshot(self) -> bytes:
        """A PNG of the page's viewport."""
        return base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])

    def requested_urls(self) -> list[str]:
        """The URL of every request the page started (``Network.requestWillBeSent``)."""
        with self._cond:
            return [
                e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"
            ]

    def console_errors(self) -> list[str]:
        """Exceptions thrown in the page (``Runtime.exceptionThrown``)."""
        with self._cond:
            return [json.dumps(e["params"])[:500] for e in self.events if e.get("method") == "Runtime.exceptionThrown"]
