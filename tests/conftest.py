"""Shared fixtures: one real Chromium per session, a fresh context per test."""

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
