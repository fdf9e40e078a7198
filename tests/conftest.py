"""Fixtures shared by every test folder.

The real-browser fixtures of :mod:`tests.browser` live here, once for the whole session:
``chromium`` (one headless Chromium per session), ``browser_page`` (a fresh offline page per
test) and the hook that fails a test whose page had a JavaScript error or a request that left.
Defining them once matters: two folders each importing them into their own conftest.py would
start Playwright twice in one session ("Sync API inside the asyncio loop").
"""

from tests.browser import browser_page, chromium, pytest_runtest_call  # noqa: F401
