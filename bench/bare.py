"""The bare script `bench command` times `checkout-monitor run` against: the demo checkouts as
one plain Playwright-Python program, started as a new process like the command is.

    python bench/bare.py --shop URL --browser PATH --checkout spa --journeys 10 --parallel 4
    python bench/bare.py ... --goto-waits load     # the first goto as Playwright's default

It imports nothing of checkout-monitor (a user's own script would not), launches the same
Chromium with the same arguments (passed in, one `--arg` each), and plays the same 16 steps as
journeys/demo-guest-checkout.yaml or demo-spa-checkout.yaml (bench/floor.py's way: auto-waiting
locators and `expect`, nothing measured), each in a fresh context, N at once. Exit 0 when every
checkout reached its confirmation.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys

from playwright.async_api import Browser, Page, async_playwright, expect

CARD = "4242424242424242"
DCL = "domcontentloaded"


async def checkout(
    browser: Browser, device: dict[str, object], shop: str, prefix: str, goto_waits: str = DCL
) -> None:
    """Buy the Trail Runner as a guest; `prefix` is "" (the server-rendered shop) or "/spa"."""
    context = await browser.new_context(**device, service_workers="block")  # type: ignore[arg-type]
    try:
        await buy(await context.new_page(), shop, prefix, goto_waits)
    finally:
        await context.close()


async def buy(page: Page, shop: str, prefix: str = "", goto_waits: str = DCL) -> None:
    """The 16 steps of the demo guest checkout, as one would write them by hand (also the
    in-process floor's, bench/floor.py). `goto_waits`: what the first `goto` waits for, the
    page's DOMContentLoaded (as `checkout-monitor run`'s goto) or its `load` (Playwright's
    default, as a script that does not say)."""
    await page.goto(f"{shop}{prefix}/", wait_until=goto_waits)  # type: ignore[arg-type]
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
    await expect(page).to_have_url(re.compile(f"{prefix}/order/"))
    await expect(page.locator("body")).to_contain_text("Thank you for your order")


async def main(args: argparse.Namespace) -> int:
    prefix = "/spa" if args.checkout == "spa" else ""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=args.browser, headless=True, args=args.arg
        )
        device = dict(pw.devices["Desktop Chrome"])
        device.pop("default_browser_type", None)
        at_once = asyncio.Semaphore(args.parallel)

        async def one() -> bool:
            async with at_once:
                try:
                    await checkout(browser, device, args.shop, prefix, args.goto_waits)
                except Exception as error:  # a failed checkout is counted, not raised
                    print(f"failed: {error}", file=sys.stderr)
                    return False
                return True

        passed = await asyncio.gather(*(one() for _ in range(args.journeys)))
        await browser.close()
    print(f"{sum(passed)} of {len(passed)} checkouts passed")
    return 0 if all(passed) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--shop", required=True)
    parser.add_argument("--browser", required=True)
    parser.add_argument("--arg", action="append", default=[])
    parser.add_argument("--checkout", choices=["ssr", "spa"], default="ssr")
    parser.add_argument("--journeys", type=int, default=1)
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--goto-waits", choices=[DCL, "load"], default=DCL)
    raise SystemExit(asyncio.run(main(parser.parse_args())))
