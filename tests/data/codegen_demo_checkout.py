# The form `playwright codegen --target python` writes; locators as its generator picks them here.
# ruff: noqa
# fmt: off
import re
from playwright.sync_api import Playwright, sync_playwright, expect


def run(playwright: Playwright) -> None:
    browser = playwright.chromium.launch(headless=False)
    context = browser.new_context()
    page = context.new_page()
    page.goto("http://127.0.0.1:8080/")
    page.get_by_test_id("product-link-trail-runner").click()
    expect(page.get_by_test_id("price")).to_contain_text("€89.00")
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("cart-total")).to_contain_text("€89.00")
    page.get_by_test_id("checkout-button").click()
    page.get_by_test_id("email").click()
    page.get_by_test_id("email").fill("shopper@example.com")
    page.get_by_test_id("email").press("Tab")
    page.get_by_test_id("name").fill("Sam Shopper")
    page.get_by_test_id("street").click()
    page.get_by_test_id("street").fill("Main Street 1")
    page.get_by_test_id("postcode").click()
    page.get_by_test_id("postcode").fill("12345")
    page.get_by_test_id("city").click()
    page.get_by_test_id("city").fill("Utrecht")
    page.get_by_test_id("delivery-home").check()
    page.get_by_test_id("continue-to-payment").click()
    page.locator('[data-testid="payment-frame"]').content_frame.get_by_test_id(
        "card-number"
    ).click()
    page.locator('[data-testid="payment-frame"]').content_frame.get_by_test_id("card-number").fill(
        "4242 4242 4242 4242"
    )
    page.locator('[data-testid="payment-frame"]').content_frame.get_by_test_id("expiry").click()
    page.locator('[data-testid="payment-frame"]').content_frame.get_by_test_id("expiry").fill(
        "12/34"
    )
    page.locator('[data-testid="payment-frame"]').content_frame.get_by_test_id("cvc").click()
    page.locator('[data-testid="payment-frame"]').content_frame.get_by_test_id("cvc").fill("123")
    page.locator('[data-testid="payment-frame"]').content_frame.get_by_test_id(
        "cardholder-name"
    ).click()
    page.locator('[data-testid="payment-frame"]').content_frame.get_by_test_id(
        "cardholder-name"
    ).fill("Sam Shopper")
    page.locator('[data-testid="payment-frame"]').content_frame.get_by_test_id("pay-button").click()
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    expect(page.get_by_test_id("order-number")).to_contain_text("SO-")

    # ---------------------
    context.close()
    browser.close()


with sync_playwright() as playwright:
    run(playwright)
