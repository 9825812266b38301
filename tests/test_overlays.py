"""Overlays a shopper clicks away (`dismiss`) and steps that only sometimes apply (`optional`).

A small shop that is not the demo shop: a cookie banner that slides in late and covers the
product page's "Add to basket" button, as consent managers do, and a "Sign in or continue as
guest" page that only some visits see.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import JourneyRunner, quick_journey
from serve_fixtures import serve_bytes

from monitor.journey import Journey
from monitor.result import RunResult

pytestmark = pytest.mark.browser

BANNER = b"""
<div id="consent" hidden style="position:fixed;inset:auto 0 0 0;height:60vh;background:#eee;
     z-index:9" role="dialog" aria-label="Cookies">
  <p>We use cookies.</p><button onclick="this.parentNode.remove()">Accept all</button>
</div>
<script>setTimeout(() => document.getElementById('consent').hidden = false, 300)</script>
"""

PRODUCT = (
    b"<!doctype html><title>Trail Runner</title><h1>Trail Runner</h1>"
    b"<div style='height:70vh'></div>"
    b"<button onclick=\"location.href='/basket'\">Add to basket</button>" + BANNER
)
BASKET = b"<!doctype html><title>Basket</title><h1>Basket</h1><a href='/checkout'>Checkout</a>"
SIGN_IN = (
    b"<!doctype html><title>Sign in</title><h1>Sign in</h1>"
    b"<button onclick=\"location.href='/address'\">Continue as guest</button>"
)
ADDRESS = b"<!doctype html><title>Address</title><h1>Delivery address</h1>"


@pytest.fixture(scope="module")
def consent_shop() -> Iterator[dict[str, Any]]:
    """The shop, and a switch: whether /checkout asks to sign in first."""
    state = {"interstitial": True}

    def checkout() -> tuple[int, bytes]:
        return 200, SIGN_IN if state["interstitial"] else ADDRESS

    pages = {"/": PRODUCT, "/basket": BASKET, "/checkout": checkout, "/address": ADDRESS}
    with serve_bytes(pages) as url:  # type: ignore[arg-type]
        state["url"] = url
        yield state


def journey(url: str, **fields: Any) -> Journey:
    steps: list[dict[str, Any]] = [
        {"goto": "/", "name": "product"},
        {"wait": {"seconds": 0.5}, "name": "banner slides in"},
        {"click": {"role": "button", "name": "Add to basket"}, "name": "add"},
        {"click": {"role": "link", "name": "Checkout"}, "name": "checkout"},
        {
            "click": {"role": "button", "name": "Continue as guest"},
            "name": "guest",
            "optional": True,
            "timeout": "1s",
        },
        {"expect": {"text": "Delivery address"}, "name": "address"},
    ]
    return quick_journey("consent", url, steps, timeout="4s", **fields)


def step(result: RunResult, name: str) -> Any:
    (found,) = [s for s in result.steps if s.name == name]
    return found


def test_a_banner_in_the_way_fails_the_journey_without_dismiss(
    journey_runner: JourneyRunner, consent_shop: dict[str, Any]
) -> None:
    result = journey_runner.run_once(journey(consent_shop["url"]))
    assert not result.passed
    assert result.failure is not None
    assert result.failure.kind == "element_unusable"
    assert result.failure.step == "add"
    assert "covered" in result.failure.reason


def test_dismiss_clicks_the_banner_away_and_counts_the_click(
    journey_runner: JourneyRunner, consent_shop: dict[str, Any]
) -> None:
    consent_shop["interstitial"] = True
    dismiss = [{"role": "button", "name": "Accept all"}]
    result = journey_runner.run(journey(consent_shop["url"], dismiss=dismiss))
    assert result.passed, result.failure
    # Clicked away on the product page, where it came; nothing is clicked for nothing.
    assert result.dismissed == {"button 'Accept all'": 1}
    assert step(result, "add").clicks == 2  # the banner, then the button
    assert step(result, "checkout").clicks == 1
    assert step(result, "guest").skipped is False
    assert result.clicks == 4  # the banner, add, checkout, guest


def test_an_optional_step_is_skipped_when_its_target_never_shows(
    journey_runner: JourneyRunner, consent_shop: dict[str, Any]
) -> None:
    consent_shop["interstitial"] = False
    try:
        result = journey_runner.run(
            journey(consent_shop["url"], dismiss=[{"role": "button", "name": "Accept all"}])
        )
    finally:
        consent_shop["interstitial"] = True
    assert result.passed, result.failure
    guest = step(result, "guest")
    assert guest.skipped and guest.passed and guest.clicks == 0
    # It waited its own 1s timeout, not the journey's 4s.
    assert 0.9 <= guest.duration_seconds < 4, result.steps
    assert result.clicks == 3
    assert result.to_dict()["steps"][4]["skipped"] is True


FRAMED = (
    b"<!doctype html><title>Trail Runner</title><h1>Trail Runner</h1>"
    b"<button onclick=\"document.querySelector('h1').textContent='Added'\">Add to basket</button>"
    b"<iframe id='cmp' srcdoc=\"<button onclick='parent.document.getElementById(&quot;cmp&quot;)"
    b".remove()'>Accept all</button>\" style='position:fixed;inset:0;width:100vw;"
    b"height:100vh;border:0;background:#eee'></iframe>"
)


def test_dismiss_reaches_a_consent_manager_inside_an_iframe(
    journey_runner: JourneyRunner,
) -> None:
    with serve_bytes({"/": FRAMED}) as url:
        framed = quick_journey(
            "framed-consent",
            url,
            [
                {"goto": "/"},
                {"click": {"role": "button", "name": "Add to basket"}},
                {"expect": {"text": "Added"}},
            ],
            timeout="4s",
            dismiss=[{"role": "button", "name": "Accept all", "frame": "#cmp"}],
        )
        result = journey_runner.run(framed)
    assert result.passed, result.failure
    assert result.dismissed == {"button 'Accept all'": 1}
