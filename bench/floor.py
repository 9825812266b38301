"""The floor: the demo guest checkout as a bare Playwright script, measuring nothing.

The same steps as journeys/demo-guest-checkout.yaml, written the way one would by hand:
Playwright's own auto-waiting locators and `expect`, no init script, no listeners, no settle
wait, no watcher, no tracing, no result. A fresh context per run, with the options the Runner
uses (the journey's device, service workers blocked).

    seconds = await guest_checkout(browser, devices, shop_url)
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from playwright.async_api import Browser

from bench.bare import buy
from monitor.browser import context_options

# The journey's step actions this script mirrors; bench refuses to compare if they differ.
MIRRORS = (
    "goto", "click", "expect", "remember", "click", "expect", "click", "fill", "fill", "fill",
    "check", "click", "fill", "fill", "click", "expect",
)  # fmt: skip


def check_mirrors(actions: list[str]) -> None:
    """Fail loudly when journeys/demo-guest-checkout.yaml no longer has the floor's steps."""
    if tuple(actions) != MIRRORS:
        raise SystemExit(
            f"the demo guest checkout's steps are now {actions}; bench/floor.py plays "
            f"{list(MIRRORS)}: update buy() in bench/bare.py and MIRRORS to match"
        )


def floor_context_options(devices: Mapping[str, Any], device: str) -> dict[str, Any]:
    options = context_options(devices, device)
    options["service_workers"] = "block"
    return options


async def guest_checkout(
    browser: Browser, devices: Mapping[str, Any], base_url: str, device: str = "Desktop Chrome"
) -> float:
    """Buy the Trail Runner as a guest; the wall time from new context to closed context."""
    began = time.perf_counter()
    context = await browser.new_context(**floor_context_options(devices, device))
    try:
        await buy(await context.new_page(), base_url)
    finally:
        await context.close()
    return time.perf_counter() - began
