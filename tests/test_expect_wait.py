"""An expectation that is not true yet is looked at again as soon as the page changes, not a
pause later: a single-page shop draws what its API answered at any moment, and the step's time
is the shopper's wait. Small local pages, not the demo shop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from conftest import quick_journey
from local_site import Answer, local_site
from playwright.async_api import Page

from monitor.browser import find_browser
from monitor.probes import INIT_SCRIPT, DevTools
from monitor.session import open_browser
from monitor.steps import StepContext, _until_changed

pytestmark = pytest.mark.browser

PAGES = {
    # Draws its answer a moment after it loaded.
    "/later": Answer(
        body="<h1>Wait</h1><script>setTimeout(() => "
        "document.body.append('Thank you'), 200)</script>"
    ),
    # Never stops changing: a ticker.
    "/ticker": Answer(
        body="<p id=t></p><script>let n = 0; setInterval(() => "
        "{ document.getElementById('t').textContent = n++; }, 5)</script>"
    ),
    # Has broken the observer the wait would use.
    "/no-observer": Answer(
        body="<script>window.MutationObserver = function () "
        "{ throw new Error('not here'); };</script><h1>Odd</h1>"
    ),
    # Goes to the next page on its own.
    "/moves-on": Answer(
        body="<script>setTimeout(() => { location.href = '/later'; }, 200)</script><h1>Moving</h1>"
    ),
}


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with open_browser(find_browser()) as (browser, _):
        context = await browser.new_context()
        await context.add_init_script(INIT_SCRIPT)  # as the runner's contexts have it
        yield await context.new_page()
        await context.close()


async def _pause_on(
    page: Page,
    url: str,
    seconds: float,
    min_ms: int = 0,
    before: float = 0.0,
    looked_ago: float | None = None,
) -> float:
    """How long an expect step's pause lasts on the page at `url`, begun `before` seconds
    after the page loaded; the look before it began `looked_ago` seconds before the pause."""
    await page.goto(url)
    await asyncio.sleep(before)
    journey = quick_journey("wait", url, [{"expect": {"text": "Thank you"}}])
    ctx = StepContext(
        page,
        journey,
        journey.steps[0],
        time.monotonic() + 10,
        time.monotonic,
        devtools=DevTools(page.context),
    )
    began = time.monotonic()
    looked_at = None if looked_ago is None else began - looked_ago
    await _until_changed(ctx, seconds, min_ms, looked_at)
    return time.monotonic() - began


async def test_a_pause_ends_when_the_page_draws_something(page: Page) -> None:
    with local_site(PAGES) as url:
        took = await _pause_on(page, f"{url}/later", seconds=5.0)
    assert 0.1 < took < 2.0, took


async def test_a_page_that_never_stops_changing_is_not_looked_at_more_often_than_asked(
    page: Page,
) -> None:
    with local_site(PAGES) as url:
        took = await _pause_on(page, f"{url}/ticker", seconds=5.0, min_ms=300)
    assert 0.28 < took < 2.0, took


async def test_a_page_that_broke_the_wait_gets_the_whole_pause(page: Page) -> None:
    with local_site(PAGES) as url:
        took = await _pause_on(page, f"{url}/no-observer", seconds=0.5)
    assert took >= 0.45, took


async def test_the_next_document_ends_the_pause(page: Page) -> None:
    with local_site(PAGES) as url:
        took = await _pause_on(page, f"{url}/moves-on", seconds=5.0)
    assert took < 2.0, took


async def test_what_changed_while_the_page_was_looked_at_ends_the_pause_at_once(
    page: Page,
) -> None:
    # The page draws its answer at 0.2 s, while the look (begun at 0) was still on its way:
    # the pause that follows at 0.4 s does not wait for a change that has happened already.
    with local_site(PAGES) as url:
        took = await _pause_on(page, f"{url}/later", seconds=5.0, before=0.4, looked_ago=0.4)
    assert took < 1.0, took


async def test_what_changed_before_the_look_does_not_end_the_pause(page: Page) -> None:
    # Drawn at 0.2 s, looked at from 0.4 s: the look saw it; the pause waits for a new change.
    with local_site(PAGES) as url:
        took = await _pause_on(page, f"{url}/later", seconds=0.6, before=0.4, looked_ago=0.0)
    assert took >= 0.5, took
