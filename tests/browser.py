"""Pages in a real headless Chromium for tests: Playwright driving Debian's ``/usr/bin/chromium``.

Playwright for Python (the ``dev`` extra) launches the Chromium that the system has, through
its executable path, so no browser is ever downloaded (``playwright install`` is not needed).
:func:`chromium` is a session-scoped fixture (one browser for the whole run) and
:func:`browser_page` a per-test one: a fresh context and page that

* blocks every request that is not the page itself: anything but ``file:``, ``data:``,
  ``about:`` and ``blob:`` is aborted (web sockets and service workers too), and every
  URL the page tried is recorded in :attr:`BrowserPage.requests`;
* collects console errors and uncaught exceptions in :attr:`BrowserPage.errors`; the
  test fails at teardown when any are left, or when a request tried to leave the page;
* saves a PNG of every page the test opened under :data:`SCREENSHOTS`
  (``results/browser-screenshots/`` beside the other results, or ``$PS_GRAPH_TEST_ARTIFACTS``),
  named after the test, so a person can look at what the tests saw.

Without Chromium (or Playwright) the browser tests skip with the command that installs it,
except under CI (``CI`` set), where they fail: ``.ci/run`` installs Chromium.

tests/conftest.py imports them once for every test folder
(``from tests.browser import browser_page, chromium, pytest_runtest_call``): Playwright must start
once per session, and the hook makes the test itself fail on a page problem.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "CHROMIUM",
    "EXPLORER_READY",
    "SCREENSHOTS",
    "BrowserPage",
    "browser_page",
    "chromium",
    "chromium_or_skip",
    "is_local",
    "pytest_runtest_call",
]

ROOT = Path(__file__).resolve().parent.parent
#: The system's Chromium (Debian's package ``chromium``); ``$PS_GRAPH_CHROMIUM`` overrides it.
CHROMIUM = Path(os.environ.get("PS_GRAPH_CHROMIUM", "/usr/bin/chromium"))
#: Where every page a browser test used is saved as PNG.
SCREENSHOTS = Path(os.environ.get("PS_GRAPH_TEST_ARTIFACTS") or ROOT / "results" / "browser-screenshots")
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")
VIEWPORT = {"width": 1280, "height": 900}
# Belt and braces beside the request routing: no proxy and no name resolves.
FLAGS = ["--no-sandbox", "--disable-gpu", "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]


#: The explorer page is drawn and its JavaScript API is there.
EXPLORER_READY = "() => document.body.dataset.psgraphReady === '1' && !!window.psGraph"
_NODE_AT = """([id, index]) => {
  const net = window.psGraph && window.psGraph.network;
  if (!net) return null;
  net.fit({animation: false});
  const positions = net.getPositions();
  const p = net.canvasToDOM(positions[id] || positions[index]);
  const box = net.body.container.getBoundingClientRect();
  return [p.x + box.left, p.y + box.top];
}"""


def is_local(url: str) -> bool:
    """Whether ``url`` stays on this machine's page (file:, data:, about:, blob:).

    >>> is_local("file:///tmp/x.html"), is_local("https://cdn.example/vis.js")
    (True, False)
    """
    return url.startswith(LOCAL_SCHEMES)


def chromium_or_skip() -> Path:
    """The Chromium to launch; skips the test without one (fails under CI, which must have it)."""
    missing = None
    if not os.access(CHROMIUM, os.X_OK):
        missing = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "Playwright for Python is not installed (pip install -e '.[dev]', or pip install playwright)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}, but CI must run the browser tests (.ci/run installs them).")
        pytest.skip(f"{missing}; skipping the real-browser test.")
    return CHROMIUM


def _file_name(nodeid: str) -> str:
    """A file name for a test id: ``tests/a/test_x.py::test_y[z]`` -> ``test_x-test_y_z``.

    >>> _file_name("tests/ps_graph/inspection/test_viz.py::test_page[trained frozenlake]")
    'test_viz-test_page_trained_frozenlake'
    """
    name = nodeid.rsplit("/", 1)[-1].replace(".py::", "::")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name.replace("::", "-")).strip("_-") or "page"


class BrowserPage:
    """One test's page in Chromium, offline, watched for errors and requests.

    Attributes
    ----------
    page : playwright.sync_api.Page, to click, type and evaluate with the Playwright API
    requests : every URL the page (and its web sockets) tried to load, in order
    errors : console errors and uncaught exceptions, as text
    screenshots : the PNG files saved so far
    """

    def __init__(self, context: Any, name: str) -> None:
        self.context = context
        self.name = name
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.screenshots: list[Path] = []
        self._opened = False
        context.route("**/*", self._route)
        if hasattr(context, "route_web_socket"):  # Playwright >= 1.48
            context.route_web_socket("**/*", self._web_socket)
        self.page = context.new_page()
        self.page.set_default_timeout(30_000)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def _route(self, route: Any) -> None:
        url = route.request.url
        self.requests.append(url)
        if is_local(url):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def _web_socket(self, socket: Any) -> None:
        self.requests.append(socket.url)
        socket.close()

    # ------------------------------------------------------------------ driving
    def open(self, path: str | os.PathLike, ready: str | None = None, timeout: float = 30.0) -> float:
        """Open a local file (the page shown before is saved first); with ``ready``, wait until
        that JavaScript expression is truthy. Returns the seconds from navigation to ready."""
        if self._opened:
            self.screenshot()
        self._opened = True
        start = time.monotonic()
        self.page.goto(Path(path).resolve().as_uri(), wait_until="load", timeout=timeout * 1000)
        if ready is not None:
            self.wait_for(ready, timeout=max(timeout - (time.monotonic() - start), 0.1))
        return time.monotonic() - start

    def wait_for(self, expression: str, timeout: float = 30.0) -> Any:
        """Poll a JavaScript expression until it is truthy; its value. Raises on timeout,
        listing the page's errors."""
        try:
            handle = self.page.wait_for_function(expression, timeout=timeout * 1000, polling=50)
        except Exception as exc:
            raise AssertionError(f"timed out waiting for {expression!r}; page errors: {self.errors}") from exc
        return handle.json_value()

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        """The value of a JavaScript expression (or of a function applied to ``arg``)."""
        return self.page.evaluate(expression, arg)

    def screenshot(self, label: str = "") -> Path:
        """Save the page as PNG under :data:`SCREENSHOTS`; the file's path."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        stem = "-".join(x for x in (self.name, re.sub(r"[^A-Za-z0-9_.-]+", "_", label)) if x)
        path = SCREENSHOTS / f"{stem}-{len(self.screenshots) + 1}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.screenshots.append(path)
        return path

    # ------------------------------------------------------------------ checking
    def outside_requests(self) -> list[str]:
        """The URLs the page tried to load that are not local (all were blocked)."""
        return [u for u in self.requests if not is_local(u)]

    def problems(self) -> list[str]:
        """What makes the test fail at teardown: errors, then requests that tried to leave."""
        return self.errors + [f"request left the page: {u}" for u in self.outside_requests()]

    def check(self, when: str) -> None:
        """Fail the test when the page had problems (each is reported once)."""
        problems = self.problems()
        if problems:
            self.forget()
            pytest.fail(f"the page had {len(problems)} problem(s) {when}:\n" + "\n".join(problems), pytrace=False)

    def forget(self) -> None:
        """Drop the errors and requests seen so far (for tests that provoke them on purpose)."""
        self.errors.clear()
        self.requests.clear()

    def node_point(self, clip_id: str, index: int) -> list[float]:
        """Viewport point of a clip's node on the explorer page (``window.psGraph.network``, the
        vis Network): the clip's document ``id`` and its ``index`` in the document's clips (the
        page may name vis nodes by either). Fits the whole graph into view first."""
        point = self.evaluate(_NODE_AT, [clip_id, index])
        assert point is not None, "the page must expose its vis Network as window.psGraph.network for mouse tests"
        return point

    def close(self) -> None:
        if self._opened:
            try:
                self.screenshot()
            finally:
                self.context.close()
        else:
            self.context.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium (the system's, via Playwright) for the whole test session."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[BrowserPage]:
    """A fresh offline page for one test; fails the test on a JS error or a request that left."""
    context = chromium.new_context(viewport=VIEWPORT, service_workers="block", offline=True)
    page = BrowserPage(context, _file_name(request.node.nodeid))
    try:
        yield page
    finally:
        page.close()
    page.check("after the test")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Make a test that used :func:`browser_page` fail (not only error at teardown) when its page
    had a JavaScript error or a request that tried to leave."""
    result = yield
    page = getattr(item, "funcargs", {}).get("browser_page")
    if isinstance(page, BrowserPage):
        page.check("during the test")
    return result
