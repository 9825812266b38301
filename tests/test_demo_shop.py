"""The demo shop over HTTP: pages, the purchase flow, every fault, the fault API, and the CLI."""

from __future__ import annotations

import asyncio
import functools
import html
import inspect
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from conftest import TIMED
from shop_fixtures import SHOPPER_DETAILS

from monitor.demo import (
    FAULT_SPECS,
    DemoShop,
    DemoShopThread,
    Fault,
    FaultError,
    FaultKind,
    FaultSet,
    PayButtonMode,
    parse_fault,
    start_demo_shop,
)
from monitor.demo.__main__ import main
from monitor.demo.catalog import PRODUCTS, price_cart, product_by_slug
from monitor.demo.payments import CardOutcome, card_outcome, card_problem
from monitor.demo.state import validate_checkout

REPO = Path(__file__).resolve().parents[1]
FRAME_SRC = re.compile(r'id="payment-frame".*?src="([^"]+)"', re.S)
CHECKOUT_FORM = {**SHOPPER_DETAILS, "delivery-window": "12:00-17:00"}
GOOD_CARD = "4242 4242 4242 4242"
TEST_TIMEOUT_S = 30


# --- fault names (pure) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("slow:/checkout=1500", Fault(FaultKind.SLOW, "/checkout", 1500)),
        ("status:/cart=502", Fault(FaultKind.STATUS, "/cart", 502)),
        ("soft-error:/product/trail-runner", Fault(FaultKind.SOFT_ERROR, "/product/trail-runner")),
        ("js-error:/payment", Fault(FaultKind.JS_ERROR, "/payment")),
        (
            "pay-button=offscreen-mobile",
            Fault(FaultKind.PAY_BUTTON, mode=PayButtonMode("offscreen-mobile")),
        ),
        ("slow-script=3000", Fault(FaultKind.SLOW_SCRIPT, value=3000)),
        ("decline-all", Fault(FaultKind.DECLINE_ALL)),
        ("slow:/api/pay=200", Fault(FaultKind.SLOW, "/api/pay", 200)),
    ],
)
def test_fault_names_parse_into_typed_faults_and_print_back_the_same(
    name: str, expected: Fault
) -> None:
    assert parse_fault(name) == expected
    assert str(parse_fault(name)) == name


def test_every_documented_fault_example_parses() -> None:
    for spec in FAULT_SPECS:
        assert parse_fault(spec.example).kind is spec.kind


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("slow:/checkout", "write slow:ROUTE=MS"),
        ("slow:checkout=500", "must be a path starting with '/'"),
        ("slow:/checkout=fast", "must be a whole number"),
        ("status:/cart=200", "must be a whole number 400..599"),
        ("soft-error", "missing ROUTE"),
        ("pay-button=sideways", "unknown mode 'sideways'"),
        ("slow-script", "missing =MS"),
        ("decline-all=yes", "takes no argument"),
        ("decline-al", "did you mean 'decline-all'?"),
    ],
)
def test_malformed_fault_names_say_how_to_write_them(name: str, hint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(hint)):
        parse_fault(name)


def test_every_bad_name_is_reported_at_once_with_the_valid_faults() -> None:
    with pytest.raises(FaultError) as caught:
        FaultSet(["decline-all", "nope", "slow:/x"])
    assert caught.value.invalid == ["nope", "slow:/x"]
    assert "Valid faults: slow:ROUTE=MS, status:ROUTE=CODE" in str(caught.value)


def test_a_newer_fault_with_the_same_route_replaces_the_older() -> None:
    faults = FaultSet(["slow:/cart=100", "slow:/checkout=50", "slow:/cart=900"])
    assert faults.names() == ["slow:/checkout=50", "slow:/cart=900"]
    assert faults.delay_ms("/cart") == 900


def test_adding_faults_is_all_or_nothing() -> None:
    faults = FaultSet(["decline-all"])
    with pytest.raises(FaultError):
        faults.add(["payment-hang", "bogus"])
    assert faults.names() == ["decline-all"]


def test_faults_are_removed_by_full_name_or_by_kind_and_route() -> None:
    faults = FaultSet(["slow:/cart=900", "pay-button=covered", "decline-all"])
    assert faults.remove("slow:/cart")
    assert faults.remove("pay-button=covered")
    assert not faults.remove("payment-hang")
    assert faults.names() == ["decline-all"]


def test_a_trailing_star_route_covers_every_path_under_it() -> None:
    faults = FaultSet(["status:/product/*=503"])
    assert faults.status_for("/product/trail-runner") == 503
    assert faults.status_for("/products") is None
    assert faults.status_for("/cart") is None


# --- catalogue, cards, checkout rules (pure) -------------------------------------------------


def test_stale_prices_make_the_cart_total_disagree_with_price_times_quantity() -> None:
    runner = product_by_slug("trail-runner")
    healthy = price_cart({("trail-runner", "42"): 2})
    stale = price_cart({("trail-runner", "42"): 2}, stale_prices=True)
    assert healthy.total_cents == 2 * runner.price_cents
    assert stale.lines[0].unit_cents == runner.price_cents
    assert stale.total_cents != 2 * runner.price_cents


@pytest.mark.parametrize(
    ("card", "outcome"),
    [
        ("4242 4242 4242 4242", CardOutcome.SUCCEEDED),
        ("4000 0000 0000 0002", CardOutcome.DECLINED),
        ("4000 0000 0000 0119", CardOutcome.PROCESSING_ERROR),
        ("4000 0027 6000 3184", CardOutcome.REQUIRES_ACTION),
    ],
)
def test_test_cards_have_their_documented_outcomes(card: str, outcome: CardOutcome) -> None:
    assert card_problem(card, "12/34", "123", today=date(2025, 6, 1)) is None
    assert card_outcome(card) is outcome


@pytest.mark.parametrize(
    ("card", "expiry", "cvc", "problem"),
    [
        ("4242", "12/34", "123", "Your card number is incomplete."),
        ("4242 4242 4242 4241", "12/34", "123", "Your card number is invalid."),
        (GOOD_CARD, "1234", "123", "Your card's expiration date is incomplete."),
        (GOOD_CARD, "13/34", "123", "Your card's expiration month is invalid."),
        (GOOD_CARD, "05/25", "123", "Your card's expiration date is in the past."),
        (GOOD_CARD, "12/34", "12", "Your card's security code is incomplete."),
    ],
)
def test_card_problems_are_worded_like_a_card_form(
    card: str, expiry: str, cvc: str, problem: str
) -> None:
    assert card_problem(card, expiry, cvc, today=date(2025, 6, 1)) == problem


def test_checkout_validation_names_every_wrong_field() -> None:
    details, errors = validate_checkout({"email": "nope", "delivery": "pickup-point"})
    assert details is None
    assert set(errors) == {
        "email", "name", "street", "postcode", "city", "country", "pickup-location"
    }  # fmt: skip


# --- a running shop --------------------------------------------------------------------------


def with_shop(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test against a fresh shop (``demo``) with a cookie-keeping client (``http``).

    The test runs on its own event loop in a worker thread: the session's sync Playwright keeps
    an event loop marked as running on the main thread, where no other loop may then run.
    """
    signature = inspect.signature(test)
    params = [p for name, p in signature.parameters.items() if name not in ("demo", "http")]

    async def scenario(kwargs: dict[str, object]) -> None:
        demo = await start_demo_shop()
        try:
            jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                await asyncio.wait_for(test(demo=demo, http=http, **kwargs), TEST_TIMEOUT_S)
        finally:
            await demo.close()

    @functools.wraps(test)
    def run(**kwargs: object) -> None:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="shop-test") as pool:
            pool.submit(asyncio.run, scenario(kwargs)).result()

    run.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return run


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as response:
        return response.status, await response.text()


async def add_to_cart(
    http: aiohttp.ClientSession, demo: DemoShop, slug: str = "trail-runner", quantity: int = 1
) -> str:
    size = product_by_slug(slug).default_size
    form = {"product": slug, "size": size, "quantity": str(quantity)}
    async with http.post(f"{demo.url}/cart/add", data=form) as response:
        assert response.status == 200 and response.url.path == "/cart"
        return await response.text()


async def to_payment(http: aiohttp.ClientSession, demo: DemoShop, **form: str) -> str:
    """Fill the cart and checkout; returns the payment page."""
    await add_to_cart(http, demo)
    async with http.post(f"{demo.url}/checkout", data={**CHECKOUT_FORM, **form}) as response:
        assert response.url.path == "/payment"
        return await response.text()


def frame_url(payment_page: str) -> str:
    found = FRAME_SRC.search(payment_page)
    assert found, "payment page has no payment iframe"
    return html.unescape(found.group(1))


async def pay(
    http: aiohttp.ClientSession, payment_page: str, card: str = GOOD_CARD
) -> tuple[int, dict[str, str]]:
    """What the card form's script does: POST /api/pay on the provider's origin."""
    url = urlsplit(frame_url(payment_page))
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    body = {
        "reference": query["reference"],
        "amount": int(query["amount"]),
        "currency": query["currency"],
        "shop_origin": query["origin"],
        "card_number": card,
        "expiry": "12/34",
        "cvc": "123",
        "name": "Sam Shopper",
    }
    async with http.post(f"{url.scheme}://{url.netloc}/api/pay", json=body) as response:
        return response.status, await response.json()


async def complete(http: aiohttp.ClientSession, demo: DemoShop, payment_id: str) -> tuple[str, str]:
    """What the payment page's script does with the provider's message. Returns (path, page)."""
    data = {"payment_id": payment_id}
    async with http.post(f"{demo.url}/payment/complete", data=data) as response:
        return response.url.path, await response.text()


@with_shop
async def test_home_lists_every_product_with_its_image_and_price(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    status, page = await get(http, demo.url)
    assert status == 200
    for product in PRODUCTS:
        assert f'href="/product/{product.slug}"' in page
        assert f'src="/images/{product.slug}-side.svg"' in page
        assert product.name in page
    assert "€89.00" in page


@with_shop
async def test_product_page_shows_what_a_shopper_needs_to_decide(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    status, page = await get(http, f"{demo.url}/product/trail-runner")
    assert status == 200
    assert '<p class="price" id="price" data-testid="price">€89.00</p>' in page
    assert 'id="product-image"' in page and "/images/trail-runner-detail.svg" in page
    for section in ("description", "materials", "size-chart", "delivery-info", "returns-info"):
        assert f'id="{section}"' in page
    for text in ("Home delivery", "Pickup point", "Parcel locker", "Free returns within 30 days"):
        assert text in page
    assert '<li class="badge">Visa</li>' in page
    assert '<label for="size">Size (EU)</label>' in page
    assert 'id="add-to-cart" data-testid="add-to-cart"' in page


@with_shop
async def test_product_images_are_real_svg_pictures(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{demo.url}/images/trail-runner-side.svg") as response:
        assert response.status == 200
        assert response.content_type == "image/svg+xml"
        assert (await response.text()).startswith('<svg xmlns="http://www.w3.org/2000/svg"')


@with_shop
async def test_an_unknown_page_gets_the_shops_own_404(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    status, page = await get(http, f"{demo.url}/product/unicorn-saddle")
    assert status == 404 and "Page not found" in page and "Summit Outfitters" in page


@with_shop
async def test_cart_keeps_quantities_line_totals_and_total(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    await add_to_cart(http, demo, "trail-runner", 2)
    page = await add_to_cart(http, demo, "merino-tee", 1)
    assert "Cart (3)" in page
    assert ">€178.00</p>" in page  # 2 x €89.00
    assert 'id="cart-total" data-testid="cart-total"\n        >€223.00</dd>' in page
    async with http.post(
        f"{demo.url}/cart/update", data={"line": "trail-runner:42", "quantity": "1"}
    ) as response:
        page = await response.text()
    assert ">€134.00</dd>" in page
    async with http.post(f"{demo.url}/cart/remove", data={"line": "merino-tee:M"}) as response:
        page = await response.text()
    assert "Merino Base Tee" not in page and "Cart (1)" in page


@with_shop
async def test_checkout_without_a_cart_goes_back_to_the_cart(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{demo.url}/checkout") as response:
        assert response.url.path == "/cart"
        assert "Your cart is empty" in await response.text()


@with_shop
async def test_checkout_shows_every_problem_and_escapes_what_was_typed(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    await add_to_cart(http, demo)
    form = {**CHECKOUT_FORM, "email": "<script>alert(1)</script>", "postcode": ""}
    async with http.post(f"{demo.url}/checkout", data=form) as response:
        page = await response.text()
    assert response.url.path == "/checkout"
    assert "Please check your details" in page
    assert "Enter an email address like name@example.com" in page
    assert "Enter a valid postcode" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("delivery", "choice_field", "choice", "delivery_price"),
    [
        ("home", "delivery-window", "17:00-21:00", "€5.90"),
        ("pickup-point", "pickup-location", "Corner Kiosk, Main Street 12", "€3.90"),
        ("parcel-locker", "locker-location", "Central Station locker", "€2.90"),
    ],
)
@with_shop
async def test_a_paid_order_is_confirmed_with_its_number_items_delivery_and_total(
    demo: DemoShop,
    http: aiohttp.ClientSession,
    delivery: str,
    choice_field: str,
    choice: str,
    delivery_price: str,
) -> None:
    payment_page = await to_payment(http, demo, delivery=delivery, **{choice_field: choice})
    assert delivery_price in payment_page
    status, paid = await pay(http, payment_page)
    assert (status, paid["status"]) == (200, "succeeded")
    path, page = await complete(http, demo, paid["payment_id"])
    (order,) = demo.orders
    assert path == f"/order/{order.number}"
    assert "Thank you for your order" in page
    assert f'data-testid="order-number">{order.number}</strong>' in page
    assert "Trail Runner" in page and choice in page and "Visa ending in 4242" in page
    total = 8900 + int(delivery_price[1:].replace(".", ""))
    assert order.summary.total_cents == total
    assert f"€{total // 100}.{total % 100:02d}" in page
    _, cart_page = await get(http, f"{demo.url}/cart")
    assert "Your cart is empty" in cart_page


@with_shop
async def test_a_3d_secure_card_pays_only_after_authentication(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    payment_page = await to_payment(http, demo)
    status, paid = await pay(http, payment_page, "4000 0027 6000 3184")
    assert (status, paid["status"]) == (200, "requires_action")
    provider = demo.provider_url
    status, challenge = await get(http, provider + paid["next_url"])
    assert 'id="complete-authentication"' in challenge and "€94.90" in challenge
    path, _ = await complete(http, demo, paid["payment_id"])
    assert path == "/payment" and not demo.orders  # not paid yet
    async with http.post(f"{provider}/3ds/{paid['payment_id']}/complete") as response:
        assert "payment_succeeded" in await response.text()
    path, page = await complete(http, demo, paid["payment_id"])
    assert path.startswith("/order/") and "Thank you for your order" in page


@with_shop
async def test_declined_and_failing_cards_are_answered_like_a_processor(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    payment_page = await to_payment(http, demo)
    status, declined = await pay(http, payment_page, "4000 0000 0000 0002")
    assert (status, declined["message"]) == (402, "Your card was declined.")
    status, failed = await pay(http, payment_page, "4000 0000 0000 0119")
    assert status == 500 and failed["message"].startswith("Payment could not be processed")
    path, page = await complete(http, demo, declined["payment_id"])
    assert path == "/payment" and "couldn&#x27;t confirm your payment" in page
    assert not demo.orders


@with_shop
async def test_an_order_page_is_only_shown_to_the_shopper_who_placed_it(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    _, paid = await pay(http, await to_payment(http, demo))
    path, _ = await complete(http, demo, paid["payment_id"])
    async with aiohttp.ClientSession() as stranger:
        status, _ = await get(stranger, demo.url + path)
    assert status == 404


@with_shop
async def test_the_card_form_refuses_a_malformed_payment_link(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    status, page = await get(http, f"{demo.provider_url}/elements?amount=10&currency=EUR")
    assert status == 400 and "This payment link is invalid" in page


# --- faults, one by one ----------------------------------------------------------------------


async def timed_get(http: aiohttp.ClientSession, url: str) -> tuple[float, int, str]:
    started = time.monotonic()
    status, text = await get(http, url)
    return time.monotonic() - started, status, text


@TIMED
@pytest.mark.parametrize("route", ["/checkout", "/product/trail-runner", "/api/pay"])
@with_shop
async def test_slow_delays_only_its_route(
    demo: DemoShop, http: aiohttp.ClientSession, route: str
) -> None:
    payment_page = await to_payment(http, demo)
    demo.faults.add([f"slow:{route}=400"])
    if route == "/api/pay":
        started = time.monotonic()
        status, _ = await pay(http, payment_page)
        elapsed = time.monotonic() - started
    else:
        elapsed, status, _ = await timed_get(http, demo.url + route)
    assert status == 200
    assert 0.4 <= elapsed < 0.4 + 1.5
    fast, _, _ = await timed_get(http, f"{demo.url}/cart")
    assert fast < 0.4


@pytest.mark.parametrize(
    ("code", "title"),
    [
        (500, "500 Internal Server Error"),
        (502, "502 Bad Gateway"),
        (503, "503 Service Temporarily Unavailable"),
        (504, "504 Gateway Time-out"),
    ],
)
@with_shop
async def test_status_answers_with_an_nginx_error_page(
    demo: DemoShop, http: aiohttp.ClientSession, code: int, title: str
) -> None:
    demo.faults.add([f"status:/cart={code}"])
    async with http.get(f"{demo.url}/cart") as response:
        page = await response.text()
        assert response.status == code and response.headers["Server"] == "nginx"
    assert f"<title>{title}</title>" in page and "<center>nginx</center>" in page
    status, _ = await get(http, demo.url)
    assert status == 200


@with_shop
async def test_status_on_the_payment_api_fails_the_payment(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    payment_page = await to_payment(http, demo)
    demo.faults.add(["status:/api/pay=502"])
    url = urlsplit(frame_url(payment_page))
    async with http.post(f"{url.scheme}://{url.netloc}/api/pay", json={}) as response:
        assert response.status == 502 and "Bad Gateway" in await response.text()


@with_shop
async def test_soft_error_is_a_200_page_saying_something_went_wrong(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    demo.faults.add(["soft-error:/product/trail-runner"])
    status, page = await get(http, f"{demo.url}/product/trail-runner")
    assert status == 200 and "Something went wrong" in page and "€89.00" not in page


@with_shop
async def test_js_error_on_the_payment_page_breaks_the_card_form_script_too(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    demo.faults.add(["js-error:/payment"])
    payment_page = await to_payment(http, demo)
    statement = "window.shopAnalytics.init({ consent: true });"
    assert f"<script>\n{statement}" in payment_page
    _, card_form = await get(http, frame_url(payment_page))
    assert f"<script>\n{statement}" in card_form
    _, home = await get(http, demo.url)
    assert statement not in home


@with_shop
async def test_decline_all_declines_even_the_good_card(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    payment_page = await to_payment(http, demo)
    demo.faults.add(["decline-all"])
    status, body = await pay(http, payment_page)
    assert (status, body["status"], body["message"]) == (402, "declined", "Your card was declined.")


@with_shop
async def test_payment_error_makes_the_processor_answer_500(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    payment_page = await to_payment(http, demo)
    demo.faults.add(["payment-error"])
    status, body = await pay(http, payment_page)
    assert status == 500 and body["message"].startswith("Payment could not be processed")


@with_shop
async def test_payment_hang_never_answers_until_the_shop_closes(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    payment_page = await to_payment(http, demo)
    demo.faults.add(["payment-hang"])
    paying = asyncio.ensure_future(pay(http, payment_page))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(asyncio.shield(paying), 0.5)
    await demo.close()
    try:
        status, _ = await asyncio.wait_for(paying, 5)
    except aiohttp.ClientError:
        pass  # the connection was dropped on shutdown: an end too
    else:
        assert status == 503


@pytest.mark.parametrize(
    ("mode", "marker"),
    [
        ("hidden", 'id="pay-button" data-testid="pay-button" style="display: none"'),
        ("disabled", 'id="pay-button" data-testid="pay-button" disabled'),
        ("covered", 'id="consent-overlay"'),
        ("offscreen-mobile", "@media (max-width: 480px)"),
    ],
)
@with_shop
async def test_pay_button_faults_change_the_card_form(
    demo: DemoShop, http: aiohttp.ClientSession, mode: str, marker: str
) -> None:
    payment_page = await to_payment(http, demo)
    _, healthy = await get(http, frame_url(payment_page))
    assert marker not in healthy
    demo.faults.add([f"pay-button={mode}"])
    _, broken = await get(http, frame_url(payment_page))
    assert marker in broken


@with_shop
async def test_no_confirmation_takes_the_money_but_never_confirms(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    demo.faults.add(["no-confirmation"])
    _, paid = await pay(http, await to_payment(http, demo))
    path, page = await complete(http, demo, paid["payment_id"])
    assert path == "/checkout/processing"
    assert "Processing your order" in page and "Thank you for your order" not in page
    assert len(demo.orders) == 1  # the shop did take the order


@with_shop
async def test_broken_images_answer_404_while_pages_still_point_at_them(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    demo.faults.add(["broken-images"])
    _, page = await get(http, f"{demo.url}/product/trail-runner")
    assert 'src="/images/trail-runner-side.svg"' in page
    status, _ = await get(http, f"{demo.url}/images/trail-runner-side.svg")
    assert status == 404


@with_shop
async def test_price_mismatch_makes_the_cart_total_disagree_with_the_price(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    demo.faults.add(["price-mismatch"])
    page = await add_to_cart(http, demo, "trail-runner", 2)
    assert 'data-testid="unit-price">€89.00</span>' in page
    assert "€178.00" not in page and "€198.00" in page


@with_shop
async def test_slow_script_holds_a_third_party_tag_on_every_page(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    _, healthy = await get(http, demo.url)
    assert "reviews-widget.js" not in healthy
    demo.faults.add(["slow-script=500"])
    _, page = await get(http, demo.url)
    assert '<script async src="/vendor/reviews-widget.js"></script>' in page
    elapsed, status, _ = await timed_get(http, f"{demo.url}/vendor/reviews-widget.js")
    assert status == 200 and 0.5 <= elapsed < 0.5 + 1.5


# --- the fault admin API ---------------------------------------------------------------------


@with_shop
async def test_fault_api_lists_active_faults_and_every_available_one(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    demo.faults.add(["decline-all"])
    async with http.get(f"{demo.url}/__faults") as response:
        listing = await response.json()
    assert listing["active"] == ["decline-all"]
    assert [item["fault"] for item in listing["available"]] == [s.syntax for s in FAULT_SPECS]
    assert all(item["description"] and item["example"] for item in listing["available"])


@with_shop
async def test_fault_api_adds_replaces_and_removes_faults(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    api = f"{demo.url}/__faults"
    async with http.post(api, json={"faults": ["decline-all", "slow:/checkout=500"]}) as r:
        assert (await r.json())["active"] == ["decline-all", "slow:/checkout=500"]
    async with http.delete(api, params={"name": "slow:/checkout"}) as r:
        assert (await r.json())["active"] == ["decline-all"]
    async with http.post(api, json={"faults": ["payment-hang"], "replace": True}) as r:
        assert (await r.json())["active"] == ["payment-hang"]
    async with http.delete(api, params={"name": "decline-all"}) as r:
        assert r.status == 404
    async with http.delete(api) as r:
        assert (await r.json())["active"] == []
    assert demo.faults.names() == []


@pytest.mark.parametrize(
    "body", [{"faults": ["decline-all", "teleport"]}, {"faults": "decline-all"}, "not json"]
)
@with_shop
async def test_fault_api_rejects_bad_requests_with_400_and_the_valid_names(
    demo: DemoShop, http: aiohttp.ClientSession, body: object
) -> None:
    data = body if isinstance(body, str) else json.dumps(body)
    async with http.post(f"{demo.url}/__faults", data=data) as response:
        answer = await response.json()
        assert response.status == 400
    assert "slow:ROUTE=MS" in [item["fault"] for item in answer["available"]]
    if isinstance(body, dict) and isinstance(body["faults"], list):
        assert answer["invalid"] == ["teleport"]
        assert "unknown fault 'teleport'" in answer["error"]
    assert demo.faults.names() == []


@with_shop
async def test_route_faults_never_block_the_fault_api(
    demo: DemoShop, http: aiohttp.ClientSession
) -> None:
    demo.faults.add(["status:/*=503"])
    status, _ = await get(http, demo.url)
    assert status == 503
    async with http.delete(f"{demo.url}/__faults") as response:
        assert response.status == 200
    status, _ = await get(http, demo.url)
    assert status == 200


# --- starting and stopping -------------------------------------------------------------------


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def test_thread_wrapper_serves_changes_faults_and_leaves_no_thread_behind() -> None:
    before = set(threading.enumerate())
    with DemoShopThread(faults=["status:/cart=502"]) as shop:
        assert shop.url.startswith("http://127.0.0.1:")
        assert shop.provider_url != shop.url
        assert http_status(f"{shop.url}/cart") == 502
        shop.set_faults(["decline-all"])
        assert http_status(f"{shop.url}/cart") == 200
        shop.clear_faults()
        assert shop.faults.names() == []
    assert set(threading.enumerate()) == before


def test_thread_wrapper_rejects_bad_faults_before_starting() -> None:
    with pytest.raises(FaultError):
        DemoShopThread(faults=["nope"])


def test_a_taken_port_fails_the_start_and_leaves_nothing_running() -> None:
    before = set(threading.enumerate())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            DemoShopThread(port=taken.getsockname()[1]).start()
    assert set(threading.enumerate()) == before


def test_cli_rejects_a_bad_fault_with_exit_2_and_lists_the_valid_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--port", "0", "--fault", "decline-al"]) == 2
    err = capsys.readouterr().err
    assert "unknown fault 'decline-al' (did you mean 'decline-all'?)" in err
    assert "pay-button=hidden|disabled|covered|offscreen-mobile" in err


def test_cli_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--fault slow:/checkout=2000" in out and "/__faults" in out


def test_cli_prints_its_addresses_serves_and_stops_on_ctrl_c() -> None:
    command = [sys.executable, "-m", "monitor.demo", "--port", "0", "--fault", "decline-all"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    killer = threading.Timer(30, process.kill)  # a hung server must not hang the suite
    killer.start()
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        assert lines[0].startswith("Demo shop:") and lines[1].startswith("Payment provider:")
        assert lines[2].split() == ["Active", "faults:", "decline-all"]
        url = lines[0].split()[-1]
        assert http_status(url) == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        killer.cancel()
        process.kill()
        process.wait()
        if process.stdout:
            process.stdout.close()


def test_the_packaged_demo_journeys_are_the_ones_in_the_journeys_folder() -> None:
    packaged = {p.name: p.read_bytes() for p in (REPO / "monitor/demo/journeys").glob("*.yaml")}
    in_repo = {p.name: p.read_bytes() for p in (REPO / "journeys").glob("demo-*.yaml")}
    assert packaged == in_repo and len(packaged) == 5
