"""The demo shop's single-page checkout (/spa/): its JSON API, its client-side routing in real
Chromium, and the bundled SPA journey under the Runner with the faults that apply to it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from conftest import JourneyRunner, load_journey
from playwright.sync_api import Page, Request, expect
from shop_fixtures import SHOPPER_DETAILS

from monitor.demo import DemoShop, DemoShopThread, start_demo_shop
from monitor.result import FailureKind

SPA = "journeys/demo-spa-checkout.yaml"
DETAILS = SHOPPER_DETAILS


@pytest.fixture
async def running_shop() -> AsyncIterator[DemoShop]:
    async with await start_demo_shop() as shop:
        yield shop


async def test_the_api_takes_a_cart_to_a_payment_form_of_its_total(running_shop: DemoShop) -> None:
    api = f"{running_shop.url}/spa/api"
    # unsafe: keep the session cookie of a shop on an IP address (127.0.0.1)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        empty = await http.post(f"{api}/checkout", json=DETAILS)
        added = await http.post(f"{api}/cart", json={"product": "trail-runner", "size": "42"})
        cart = (await added.json())["cart"]
        refused = await http.post(f"{api}/checkout", json={**DETAILS, "email": "sam@"})
        accepted = await http.post(f"{api}/checkout", json=DETAILS)
        payment = (await accepted.json())["payment"]

    assert empty.status == 409
    assert (cart["count"], cart["total"]) == (1, "€89.00")
    assert refused.status == 422 and "email" in (await refused.json())["errors"]
    assert payment["summary"]["total"] == "€94.90"  # with home delivery
    assert payment["frame_url"].startswith(f"{running_shop.provider_url}/elements?amount=9490&")


async def test_a_status_fault_on_an_api_route_answers_that_call_only(
    running_shop: DemoShop,
) -> None:
    running_shop.faults.add(["status:/spa/api/cart=503"])
    async with aiohttp.ClientSession() as http:
        cart = await http.get(f"{running_shop.url}/spa/api/cart")
        products = await http.get(f"{running_shop.url}/spa/api/products")
        shell = await http.get(f"{running_shop.url}/spa/cart")

    assert (cart.status, products.status, shell.status) == (503, 200, 200)


@pytest.mark.browser
def test_the_shop_routes_in_the_page_without_loading_documents(
    shop: DemoShopThread, page: Page
) -> None:
    documents: list[str] = []

    def record(request: Request) -> None:
        if request.resource_type == "document" and request.frame == page.main_frame:
            documents.append(request.url)

    page.on("request", record)
    page.goto(f"{shop.url}/spa/")
    page.get_by_role("link", name="Trail Runner").click()
    expect(page.locator(".price")).to_have_text("€89.00")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_test_id("cart-total")).to_have_text("€89.00")
    page.go_back()
    expect(page.locator(".price")).to_have_text("€89.00")

    assert re.search(r"/spa/product/trail-runner$", page.url)
    assert documents == [f"{shop.url}/spa/"]
    assert page.get_by_test_id("cart-link").inner_text() == "Cart (1)"


@pytest.fixture
def env(shop: DemoShopThread) -> Iterator[dict[str, str]]:
    yield {"SHOP_URL": shop.url}


@pytest.mark.browser
def test_the_spa_journey_passes_on_the_healthy_shop_in_one_document(
    journey_runner: JourneyRunner, env: dict[str, str]
) -> None:
    result = journey_runner.run(load_journey(SPA, env))

    assert result.passed, result.failure
    assert result.order_confirmed and result.payment_attempted
    assert result.clicks == 6 and result.pages_visited == 1
    # One document loaded, at the address it loaded with, not the route the shopper ended on.
    assert [load.url for load in result.page_loads] == [f"{env['SHOP_URL']}/spa/"]
    assert result.http_errors == () and result.console_errors == ()


SPA_FAULTS = [
    ("decline-all", FailureKind.PAYMENT_DECLINED, "pay", "declined"),
    ("status:/spa/api/cart=503", FailureKind.ERROR_PAGE, "add to cart", "Something went wrong"),
    ("status:/spa/api/checkout=500", FailureKind.ERROR_PAGE, "continue to payment", "went wrong"),
    ("payment-error", FailureKind.PAYMENT_ERROR, "pay", "HTTP 500"),
    ("pay-button=covered", FailureKind.ELEMENT_UNUSABLE, "pay", "covered"),
    ("no-confirmation", FailureKind.ORDER_UNCONFIRMED, "order confirmed", "not confirmed"),
]


@pytest.mark.browser
@pytest.mark.parametrize(
    ("fault", "kind", "step", "word"), SPA_FAULTS, ids=[case[0] for case in SPA_FAULTS]
)
def test_a_fault_in_the_spa_gives_the_right_kind_at_the_right_step(
    journey_runner: JourneyRunner,
    shop: DemoShopThread,
    env: dict[str, str],
    fault: str,
    kind: FailureKind,
    step: str,
    word: str,
) -> None:
    shop.set_faults([fault])

    result = journey_runner.run_once(load_journey(SPA, env, timeout=4.0))

    assert result.failure is not None
    assert (result.failure.kind, result.failure.step) == (kind, step), result.failure.reason
    assert word in result.failure.reason
