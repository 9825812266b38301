"""Web vitals read in the look after a step, on small local pages: LCP, CLS and the load
timing of each document, also when the look needs no frame of its own to wait for."""

from __future__ import annotations

import pytest
from conftest import JourneyRunner, quick_journey
from local_site import Answer, local_site

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
