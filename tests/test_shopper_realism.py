"""Shopper realism on the demo shop: devices, networks, the information a buyer needs, numbers
that add up, and production-safe journeys that never place an order."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TIMED, JourneyRunner, load_journey

from monitor.content import evaluate, money
from monitor.demo import DemoShopThread
from monitor.errors import JourneyError
from monitor.loader import load_journeys
from monitor.result import FailureKind

pytestmark = pytest.mark.browser

GUEST = "journeys/demo-guest-checkout.yaml"
INFO = "journeys/demo-product-info.yaml"


def test_a_device_matrix_runs_once_per_device_and_catches_the_phone_only_fault(
    journey_runner: JourneyRunner, shop: DemoShopThread, tmp_path: Path
) -> None:
    text = (Path(__file__).parent.parent / GUEST).read_text()
    text = text.replace("device: Desktop Chrome", "matrix: [Desktop Chrome, iPhone 13]")
    file = tmp_path / "matrix.yaml"
    file.write_text(text.replace("timeout: 10s", "timeout: 4s"))
    journeys = load_journeys([file], env={"SHOP_URL": shop.url})
    shop.set_faults(["pay-button=offscreen-mobile"])

    results = {j.device: journey_runner.run_once(j) for j in journeys}

    assert [j.name for j in journeys] == [
        "demo-guest-checkout--desktop-chrome",
        "demo-guest-checkout--iphone-13",
    ]
    assert results["Desktop Chrome"].passed, results["Desktop Chrome"].failure
    phone = results["iPhone 13"]
    assert (phone.failure_kind, phone.failure.step if phone.failure else None) == (
        FailureKind.ELEMENT_UNUSABLE,
        "pay",
    )
    assert phone.device == "iPhone 13"


@TIMED
def test_a_slow_4g_network_makes_page_loads_measurably_slower(
    journey_runner: JourneyRunner, shop: DemoShopThread
) -> None:
    def product_load(network: str | None) -> float:
        journey = load_journey(INFO, {"SHOP_URL": shop.url}, network=network)
        result = journey_runner.run(journey)
        assert result.passed, result.failure
        (load,) = [p.load_seconds for p in result.page_loads if "/product/" in p.url]
        assert load is not None
        return load

    fast, slow = product_load(None), product_load("slow-4g")

    assert slow >= fast + 0.15  # at least one 150 ms round trip more for the page itself


def test_missing_size_chart_and_broken_image_are_reported_by_name(
    journey_runner: JourneyRunner, shop: DemoShopThread
) -> None:
    shop.set_faults(["no-size-chart", "broken-images"])

    result = journey_runner.run_once(load_journey(INFO, {"SHOP_URL": shop.url}, timeout=2.0))

    assert result.failure is not None
    assert result.failure.kind is FailureKind.ASSERTION_FAILED
    assert result.failure.step == "buyer information"
    assert "missing for the buyer: image, size chart" in result.failure.reason
    checks = {c.name: c.passed for c in result.content_checks}
    assert checks == {
        "price": True,
        "image": False,
        "delivery": True,
        "returns": True,
        "payment_methods": True,
        "size_chart": False,
    }
    assert result.broken_images and all("/images/" in url for url in result.broken_images)


def test_healthy_product_page_has_everything_a_buyer_needs(
    journey_runner: JourneyRunner, shop: DemoShopThread
) -> None:
    result = journey_runner.run(load_journey(INFO, {"SHOP_URL": shop.url}))
    assert result.passed, result.failure
    assert all(c.passed for c in result.content_checks) and len(result.content_checks) == 6
    assert result.broken_images == ()


def test_a_cart_total_that_does_not_match_the_product_price_is_a_data_mismatch(
    journey_runner: JourneyRunner, shop: DemoShopThread
) -> None:
    shop.set_faults(["price-mismatch"])

    result = journey_runner.run_once(load_journey(GUEST, {"SHOP_URL": shop.url}, timeout=2.0))

    assert result.failure is not None
    assert (result.failure.kind, result.failure.step) == (FailureKind.DATA_MISMATCH, "cart total")
    assert "shows '€99.00', expected '€89.00'" in result.failure.reason


def test_a_formula_over_remembered_numbers(
    journey_runner: JourneyRunner, shop: DemoShopThread, tmp_path: Path
) -> None:
    file = tmp_path / "sum.yaml"
    file.write_text(
        f"name: sums\nbase_url: {shop.url}\ntimeout: 2s\nsteps:\n"
        "  - goto: /product/trail-runner\n"
        "  - remember: {price: '#price'}\n"
        "  - fill: {label: Quantity, value: '2'}\n"
        "  - click: {role: button, name: Add to cart}\n"
        "  - remember: {total: {test_id: cart-total}, qty: {label: Quantity}}\n"
        "  - expect: {formula: total == price * qty}\n"
    )
    (journey,) = load_journeys([file], env={})

    healthy = journey_runner.run(journey)
    shop.set_faults(["price-mismatch"])
    broken = journey_runner.run_once(journey)

    assert healthy.passed, healthy.failure
    assert broken.failure is not None and broken.failure.kind is FailureKind.DATA_MISMATCH
    assert "198 is not 178" in broken.failure.reason


def test_stop_before_payment_checks_the_pay_button_and_places_no_order(
    journey_runner: JourneyRunner, shop: DemoShopThread
) -> None:
    orders = len(shop.orders)
    journey = load_journey(GUEST, {"SHOP_URL": shop.url}, stop_before="payment", timeout=3.0)

    result = journey_runner.run(journey)

    assert result.passed, result.failure
    assert result.stopped_before_payment and not result.payment_attempted
    assert result.steps[-1].name == "pay" and result.steps[-1].action == "check usable"
    assert len(shop.orders) == orders
    shop.set_faults(["pay-button=disabled"])
    blocked = journey_runner.run_once(journey)
    assert (blocked.failure_kind, blocked.failure.step if blocked.failure else None) == (
        FailureKind.ELEMENT_UNUSABLE,
        "pay",
    )
    assert len(shop.orders) == orders


def test_remembered_names_are_not_environment_variables(tmp_path: Path) -> None:
    file = tmp_path / "j.yaml"
    file.write_text(
        "name: j\nbase_url: http://127.0.0.1:1\nsteps:\n"
        "  - expect: {within: '#t', text_equals: '${price}'}\n"
    )
    with pytest.raises(JourneyError, match="price is not set"):
        load_journeys([file], env={})
    file.write_text(file.read_text() + "  - remember: {price: '#p'}\n")
    assert load_journeys([file], env={})


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("€89.00", 89.0),
        ("$1,234.50", 1234.5),
        ("1.234,50 €", 1234.5),
        ("CHF 12", 12.0),
        ("2", 2.0),
        ("Total: £7.5", 7.5),
    ],
)
def test_money_reads_prices_as_shops_write_them(text: str, number: float) -> None:
    assert money(text) == number


def test_formulas_compare_within_half_a_cent() -> None:
    assert evaluate("t == p * q + d", {"t": "€183.90", "p": "€89.00", "q": "2", "d": "5.90"})[0]
    assert not evaluate("t == p * q", {"t": "€99.00", "p": "€89.00", "q": "1"})[0]
