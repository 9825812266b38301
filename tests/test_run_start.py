"""How a run starts: the journeys load while Playwright and the browser start, and bad
journeys are said before a browser that would not start."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from monitor.browser import FoundBrowser, find_browser
from monitor.errors import BrowserLaunchFailed, ConfigError
from monitor.journey import Journey
from monitor.processes import own_children
from monitor.session import run_journeys

pytestmark = pytest.mark.browser


async def test_journeys_load_while_the_browser_starts() -> None:
    before = own_children()
    seen_driver: list[bool] = []

    def load() -> list[Journey]:
        # Playwright's driver is our child once it starts: wait for it, with a deadline. Were
        # the journeys loaded before the browser was started, it would never come.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not own_children() - before:
            time.sleep(0.01)
        seen_driver.append(bool(own_children() - before))
        return []

    results = await run_journeys(load, find_browser())

    assert results == [] and seen_driver == [True]


async def test_bad_journeys_are_said_before_a_browser_that_would_not_start(
    tmp_path: Path,
) -> None:
    not_a_browser = tmp_path / "chromium"
    not_a_browser.write_text("#!/bin/sh\nexit 3\n")
    not_a_browser.chmod(0o755)

    def load() -> list[Journey]:
        raise ConfigError("journeys/x.yaml:1:1: steps: field required")

    with pytest.raises(ConfigError, match="field required"):
        await run_journeys(load, FoundBrowser(str(not_a_browser), "explicit"))
    with pytest.raises(BrowserLaunchFailed):
        await run_journeys(list[Journey](), FoundBrowser(str(not_a_browser), "explicit"))
