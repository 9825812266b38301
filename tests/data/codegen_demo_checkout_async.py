# The form `codegen --target python-async` writes, with the locators it picks on shops without test ids.
# ruff: noqa
# fmt: off
import asyncio
import re
from playwright.async_api import Playwright, async_playwright, expect


async def run(playwright: Playwright) -> None:
    browser = await playwright.chromium.launch(headless=False)
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = await context.new_page()
    await page.goto("http://127.0.0.1:8080/")
    await page.locator("a.product-card").filter(has_text="Trail Runner").first.click()
    await expect(page.locator(".price")).to_contain_text("€89.00")
    await page.get_by_label("Size (EU)").select_option("43")
    await page.get_by_role("button", name="Add to cart").click()
    await expect(page.get_by_test_id("cart-total")).to_have_text("€89.00")
    await page.get_by_role("button", name="Go to checkout").click()
    await page.get_by_label("Email").click()
    await page.get_by_label("Email").fill("shopper@example.com")
    await page.get_by_label("Full name").fill("Sam Shopper")
    await page.get_by_label("Street and house number").fill("Main Street 1")
    await page.get_by_role("textbox", name="Postcode").fill("12345")
    await page.get_by_role("textbox", name="City", exact=True).fill("Utrecht")
    await page.get_by_label("Country").select_option("Netherlands")
    await page.get_by_text("Home delivery", exact=True).click()
    await page.get_by_role("button", name="Continue to payment").click()
    await page.locator("#payment-frame").content_frame.get_by_label("Card number").click()
    await page.locator("#payment-frame").content_frame.get_by_label("Card number").fill("4242424242424242")
    await page.locator("#payment-frame").content_frame.get_by_placeholder("MM/YY").fill("12/34")
    await page.frame_locator("#payment-frame").get_by_label("CVC").fill("123")
    await page.frame_locator("#payment-frame").get_by_label("Name on card").fill("Sam Shopper")
    await page.locator("#payment-frame").content_frame.get_by_role("button", name="Pay now").click()
    await expect(page.locator("h1")).to_contain_text("Thank you for your order")
    await expect(page).to_have_title(re.compile(r"Order"))

    # ---------------------
    await context.close()
    await browser.close()


async def main() -> None:
    async with async_playwright() as playwright:
        await run(playwright)


asyncio.run(main())
