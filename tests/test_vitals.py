"""Web vitals read in the look after a step, on small local pages: LCP, CLS and the load
timing of each document, also when the look needs no frame of its own to wait for."""

from __future__ import annotations

from typing import Any

import playwright.async_api._generated as playwright_api
import pytest
from conftest import JourneyRunner, quick_journey
from local_site import Answer, local_site

import monitor.runner

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
