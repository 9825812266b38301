"""Web vitals read in the look after a step, on small local pages: LCP, CLS and the load
timing of each document, also when the look needs no frame of its own to wait for."""

from __future__ import annotations

from typing import Any

import playwright.async_api._generated as playwright_api
import pytest
from conftest import JourneyRunner, quick_journey
from local_site import Answer, local_site

import monitor.runner
from monitor.probes import Recorder

pytestmark = pytest.mark.browser

# Text that paints at once, then a layout shift a moment later.
SHIFTING = """<title>Shop</title><h1 style="font-size:60px">Gear for the trail</h1>
<p id=below>Free returns within 30 days.</p>
<script>
setTimeout(() => {
  const banner = document.createElement('div');
  banner.style.height = '200px';
  banner.textContent = 'Sale!';
  document.body.prepend(banner);
}, 50);
</script>"""
PLAIN = "<title>Next</title><p style='font-size:40px'>Thank you for your order</p>"


def test_lcp_cls_and_load_are_read_for_each_page(journey_runner: JourneyRunner) -> None:
    with local_site({"/": Answer(body=SHIFTING), "/next": Answer(body=PLAIN)}) as url:
        journey = quick_journey(
            "vitals",
            url,
            [
                {"goto": "/"},
                {"wait": {"seconds": 0.3}},  # the banner has pushed the text down
                {"goto": "/next"},
                {"expect": {"text": "Thank you"}},
            ],
        )
        result = journey_runner.run(journey, trace="off")
    assert result.passed, result.failure
    first, second = result.page_loads
    assert first.url.endswith("/") and second.url.endswith("/next")
    for load in (first, second):
        assert load.lcp_seconds is not None and 0 < load.lcp_seconds < 2
        assert load.load_seconds is not None and load.ttfb_seconds is not None
    assert first.cls is not None and first.cls > 0.01  # the banner moved the text
    assert second.cls == 0


LINKED = """<title>Shop</title><h1 style="font-size:60px">Gear for the trail</h1>
<a href="/next">Trail Runner</a>"""


def test_a_page_left_at_once_still_has_its_lcp(journey_runner: JourneyRunner) -> None:
    """A click right after `goto` leaves the page before its first frame was presented to the
    look (LCP is reported a frame or more after it was drawn): the page tells its vitals as it
    is left."""
    with local_site({"/": Answer(body=LINKED), "/next": Answer(body=PLAIN)}) as url:
        journey = quick_journey(
            "left-at-once",
            url,
            [{"goto": "/"}, {"click": {"text": "Trail Runner"}}, {"expect": {"text": "Thank"}}],
        )
        results = [journey_runner.run(journey, trace="off") for _ in range(3)]
    for result in results:
        assert result.passed, result.failure
        first, second = result.page_loads
        assert first.url.endswith("/") and second.url.endswith("/next")
        assert first.lcp_seconds is not None and 0 < first.lcp_seconds < 2
        assert first.load_seconds is not None and first.load_seconds <= first.lcp_seconds + 1
        assert second.lcp_seconds is not None  # the last page: its look waits for the frame


def test_the_look_reads_each_page_without_page_evaluate(
    journey_runner: JourneyRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look after a step goes through the page's DevTools session: `page.evaluate` would
    first install Playwright's utility script in each new document, on the way to the next
    click (probes.DevTools)."""
    calls: list[str] = []
    evaluate = playwright_api.Page.evaluate

    async def counted(self: Any, expression: str, arg: Any = None) -> Any:
        calls.append(expression)
        return await evaluate(self, expression, arg)

    monkeypatch.setattr(playwright_api.Page, "evaluate", counted)
    with local_site({"/": Answer(body=SHIFTING), "/next": Answer(body=PLAIN)}) as url:
        journey = quick_journey(
            "looks", url, [{"goto": "/"}, {"goto": "/next"}, {"expect": {"text": "Thank you"}}]
        )
        result = journey_runner.run(journey, trace="off")
    assert result.passed, result.failure
    assert [load.load_seconds is not None for load in result.page_loads] == [True, True]
    assert calls == []


def test_a_document_the_init_script_missed_is_still_looked_at(
    journey_runner: JourneyRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the probe script in the page (here: none given to the context), the look sends
    its whole script: the journey's error text is still found after the step that led there."""
    monkeypatch.setattr(monitor.runner, "INIT_SCRIPT", "/* no probes */")
    broken = "<title>Shop</title><p>Sorry, something went wrong</p>"
    with local_site({"/": Answer(body=PLAIN), "/broken": Answer(body=broken)}) as url:
        journey = quick_journey(
            "missed",
            url,
            [{"goto": "/"}, {"goto": "/broken"}, {"expect": {"text": "Sorry"}}],
            error_page_text=["something went wrong"],
        )
        result = journey_runner.run(journey, trace="off")
    assert result.failure is not None and result.failure.kind.value == "error_page"
    assert result.failure.step == "step 2: goto /broken" or "broken" in str(result.failure.step)
    assert result.page_loads == ()  # no probe: no timing, but the page was read


def test_what_a_page_tells_as_it_is_left_completes_what_its_look_read() -> None:
    recorder = Recorder(context=None, page=None)  # type: ignore[arg-type]
    origin = 1.7e12
    look = {"origin": origin, "url": "http://127.0.0.1/", "title": "Shop", "load": 50.0}
    recorder.note_snapshot(look | {"lcp": None, "cls": 0}, step="home")
    left = {"origin": origin, "url": "http://127.0.0.1/#x", "title": "Forged", "lcp": 80.0}
    recorder.note_left(left | {"cls": 0.25, "load": None, "inp": True})
    recorder.note_left({"origin": 1.8e12, "lcp": 5.0})  # a document no look read: not a page

    (page,) = recorder.page_loads()
    assert (page.url, page.title, page.step) == ("http://127.0.0.1/", "Shop", "home")
    assert (page.lcp_seconds, page.cls, page.load_seconds) == (0.08, 0.25, 0.05)
    assert page.inp_seconds is None  # not a number
