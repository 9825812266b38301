"""The floor: the demo guest checkout as a bare Playwright script, measuring nothing.

The same steps as journeys/demo-guest-checkout.yaml, written the way one would by hand:
Playwright's own auto-waiting locators and `expect`, no init script, no listeners, no settle
wait, no watcher, no tracing, no result. A fresh context per run, with the options the Runner
uses (the journey's device, service workers blocked).

    seconds = await guest_checkout(browser, devices, shop_url)
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from playwright.async_api import Browser, expect

from monitor.browser import context_options

CARD = "4242424242424242"
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
            f"{list(MIRRORS)}: update guest_checkout() and MIRRORS to match"
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
        page = await context.new_page()
        await page.goto(base_url + "/", wait_until="domcontentloaded")
        await page.get_by_role("link", name="Trail Runner").click()
        await expect(page.locator(".price").first).to_be_visible()
        await expect(page.locator("body")).to_contain_text("€89.00")
        price = " ".join((await page.locator(".price").first.inner_text()).split())
        await page.get_by_role("button", name="Add to cart").click()
        await expect(page.get_by_test_id("cart-total")).to_have_text(price)
        await page.get_by_test_id("checkout-button").click()
        await page.locator("#email").fill("shopper@example.com")
        await page.locator("#name").fill("Sam Shopper")
        await page.get_by_label("Street and house number").fill("Main Street 1")
        await page.locator("#postcode").fill("12345")
        await page.locator("#city").fill("Utrecht")
        await page.get_by_label("Home delivery").check()
        await page.get_by_role("button", name="Continue to payment").click()
        frame = page.frame_locator("iframe#payment-frame")
        await frame.get_by_label("Card number").fill(CARD)
        await frame.locator("#expiry").fill("12/34")
        await frame.locator("#cvc").fill("123")
        await frame.locator("#cardholder-name").fill("Sam Shopper")
        await frame.get_by_role("button", name="Pay now").click()
        await expect(page).to_have_url(re.compile("/order/"))
        await expect(page.locator("body")).to_contain_text("Thank you for your order")
    finally:
        await context.close()
    return time.perf_counter() - began
