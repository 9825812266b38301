"""Shared fixtures: one real Chromium per session (per xdist worker), a fresh context per test."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from monitor.browser import find_browser, launch_options
from monitor.journey import Journey
from monitor.loader import load_journeys
from monitor.result import RunResult
from monitor.runner import Runner
from monitor.session import open_browser

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent

pytest_plugins = ["shop_fixtures", "serve_fixtures"]

# The suite runs on pytest-xdist (pyproject: `-n auto --dist loadgroup`). Tests that bound a
# duration from above (a step "< 4 s", a first byte "< 2.5 s") carry this mark: they run one
# after another on one worker, last (see below), so no two of them share the CPU.
TIMED = pytest.mark.xdist_group("timed")
# Fixtures that start real services: a test using one takes tens of seconds.
STARTS_SERVICES = frozenset({"serve_process", "prometheus", "alertmanager"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first, so no worker starts one while the others are done; the timed
    ones last, when the fewest other tests share the CPU. Otherwise in the order collected."""

    def order(item: pytest.Item) -> int:
        group = item.get_closest_marker("xdist_group")
        if group is not None and group.args == TIMED.args:
            return 2
        return 0 if STARTS_SERVICES & set(getattr(item, "fixturenames", ())) else 1

    items.sort(key=order)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: two workers per core, at most 8 (PYTEST_XDIST_AUTO_NUM_WORKERS still rules).
    The suite mostly waits (for a step's timeout, a scrape, a journey's next run), so one
    worker per core would leave the cores idle."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(8, 2 * (cores or 1))


# Module scope, not session: sync Playwright keeps an event loop running on the main thread
# while it lives, and pytest-asyncio / aiohttp tests in other modules need that loop free.
@pytest.fixture(scope="module")
def playwright_sync() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright_sync: Playwright) -> Iterator[Browser]:
    """The discovered Chromium, launched once per test module."""
    chromium = playwright_sync.chromium.launch(**launch_options(find_browser()))
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context (no cookies, no cache) and page, desktop sized."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


class JourneyRunner:
    """The product's async Runner on one real Chromium, driven from sync tests.

    The browser lives on its own event loop in a thread for the whole session, as `serve`
    would keep it; each run still gets a fresh context."""

    def __init__(self, artifacts: Path) -> None:
        self.artifacts = artifacts
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._session = open_browser(find_browser())
        self.browser, self.devices = self._call(self._session.__aenter__())

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=180)

    def run(self, journey: Journey, attempt: int | None = None, **options: Any) -> RunResult:
        options.setdefault("artifacts_dir", self.artifacts)
        return self._call(Runner(self.browser, self.devices, **options).run(journey, attempt))

    def run_once(self, journey: Journey, **options: Any) -> RunResult:
        """A run that is played once, for tests about what a run found (its kind, reason,
        step, numbers). `run` plays a failed run a second time to record its trace, as the
        product does by default; the first run's result stands either way, and the re-play
        doubles the wait of every failure that ends in a timeout. test_runner_trace.py and
        test_failure_leaves_screenshot_html_and_trace prove the re-play. (A filmstrip
        `on-failure` re-plays a failed run for its frames even so: test_filmstrip.py.)"""
        return self.run(journey, trace="off", **options)

    def close(self) -> None:
        self._call(self._session.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


@pytest.fixture(scope="session")
def journey_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JourneyRunner]:
    runner = JourneyRunner(tmp_path_factory.mktemp("artifacts"))
    yield runner
    runner.close()


def quick_journey(
    name: str, url: str, steps: list[dict[str, Any]], timeout: str = "3s", **fields: Any
) -> Journey:
    """A journey for a test site: short step timeout, no retries."""
    data = {"name": name, "base_url": url, "timeout": timeout, "retries": 0, "steps": steps}
    return Journey.model_validate(data | fields)


def load_journey(path: str | Path, env: dict[str, str] | None = None, **changes: Any) -> Journey:
    """A journey from a file (relative to the repository), with fields changed for a test."""
    (journey,) = load_journeys([ROOT / path], env={**os.environ, **(env or {})})
    return journey.model_copy(update=changes) if changes else journey
