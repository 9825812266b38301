"""Shared fixtures: one real Chromium per session, a fresh context per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from monitor.browser import find_browser, launch_options

pytest_plugins = ["shop_fixtures"]


@pytest.fixture(scope="session")
def playwright_sync() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_sync: Playwright) -> Iterator[Browser]:
    """The discovered Chromium, launched once for the whole session."""
    chromium = playwright_sync.chromium.launch(**launch_options(find_browser()))
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context (no cookies, no cache) and page, desktop sized."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()
