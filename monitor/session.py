"""One Chromium for many runs: launch it, run journeys in it (in parallel), close it.

>>> results = asyncio.run(run_journeys(journeys, find_browser(), parallel=2))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, async_playwright
from playwright.async_api import Error as PlaywrightError

from monitor.browser import FoundBrowser, launch_options
from monitor.errors import BrowserLaunchFailed
from monitor.journey import Journey
from monitor.result import RunResult
from monitor.runner import Runner, StepListener, TraceMode

ResultListener = Callable[[RunResult], None]


@asynccontextmanager
async def open_browser(found: FoundBrowser) -> AsyncIterator[tuple[Browser, Mapping[str, Any]]]:
    """The launched browser and Playwright's device descriptors; closed on exit."""
    async with async_playwright() as pw:
        try:
            browser = await pw.chromium.launch(**launch_options(found))
        except PlaywrightError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise BrowserLaunchFailed(
                f"Chromium at {found.path} would not start: {first}\n"
                "Check it with `checkout-monitor doctor`, or choose another with --browser-path."
            ) from exc
        try:
            yield browser, pw.devices
        finally:
            with suppress(PlaywrightError):
                await browser.close()


async def run_journeys(
    journeys: Sequence[Journey],
    found: FoundBrowser,
    *,
    parallel: int = 1,
    artifacts_dir: Path | None = None,
    trace: TraceMode = "on-failure",
    location: str = "",
    on_step: StepListener | None = None,
    on_result: ResultListener | None = None,
) -> list[RunResult]:
    """Run each journey once, at most `parallel` at a time, in one browser; results in order."""
    async with open_browser(found) as (browser, devices):
        runner = Runner(
            browser,
            devices,
            artifacts_dir=artifacts_dir,
            trace=trace,
            location=location,
            on_step=on_step,
        )
        limit = asyncio.Semaphore(max(1, parallel))

        async def one(journey: Journey) -> RunResult:
            async with limit:
                result = await runner.run(journey)
            if on_result is not None:
                on_result(result)
            return result

        return list(await asyncio.gather(*(one(j) for j in journeys)))
