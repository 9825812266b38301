"""The runner on the real demo shop in real Chromium: the fault matrix is the product's promise.

For every fault the demo shop offers, the bundled guest-checkout journey yields the right failure
kind at the right step, and the healthy shop passes.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TIMED, JourneyRunner, load_journey

from monitor.demo import DemoShopThread
from monitor.journey import Budgets, CheckStep, ClickStep, SelectStep, UncheckStep
from monitor.result import FailureKind, ResourceClass

pytestmark = pytest.mark.browser

GUEST = "journeys/demo-guest-checkout.yaml"
PHONE = "journeys/demo-guest-checkout-phone.yaml"
FAST = {"timeout": 4.0}  # faults that end in a timeout need not take the journey's full 10s


@pytest.fixture
def env(shop: DemoShopThread) -> Iterator[dict[str, str]]:
    yield {"SHOP_URL": shop.url}


# fault, expected kind, expected failed step, a word the reason must contain
FAULT_MATRIX = [
    ("decline-all", FailureKind.PAYMENT_DECLINED, "pay", "declined"),
    ("payment-error", FailureKind.PAYMENT_ERROR, "pay", "HTTP 5"),
    ("payment-hang", FailureKind.PAYMENT_ERROR, "pay", "never answered"),
    ("pay-button=hidden", FailureKind.ELEMENT_UNUSABLE, "pay", "hidden"),
    ("pay-button=disabled", FailureKind.ELEMENT_UNUSABLE, "pay", "disabled"),
    ("pay-button=covered", FailureKind.ELEMENT_UNUSABLE, "pay", "covered"),
    ("js-error:/payment", FailureKind.PAYMENT_ERROR, "pay", "no payment request"),
    ("no-confirmation", FailureKind.ORDER_UNCONFIRMED, "order confirmed", "not confirmed"),
    ("status:/checkout=502", FailureKind.ERROR_PAGE, "go to checkout", "HTTP 502"),
    ("status:/checkout=503", FailureKind.ERROR_PAGE, "go to checkout", "HTTP 503"),
    ("status:/cart=500", FailureKind.ERROR_PAGE, "add to cart", "HTTP 500"),
    ("soft-error:/cart", FailureKind.ERROR_PAGE, "add to cart", "Something went wrong"),
    ("status:/product/trail-runner=404", FailureKind.HTTP_ERROR, "open product", "HTTP 404"),
    ("price-mismatch", FailureKind.DATA_MISMATCH, "cart total", "shows '€99.00'"),
    ("slow-script=3500", FailureKind.BUDGET_EXCEEDED, None, "loaded in"),
    ("slow:/checkout=3500", FailureKind.BUDGET_EXCEEDED, None, "/checkout loaded in"),
]


def test_healthy_shop_passes(journey_runner: JourneyRunner, env: dict[str, str]) -> None:
    result = journey_runner.run(load_journey(GUEST, env))

    assert result.passed, result.failure
    assert result.failure_kind is None
    assert result.order_confirmed and result.payment_attempted
    assert result.pages_visited >= 5
    assert [s.passed for s in result.steps] == [True] * len(result.steps)
    assert result.http_errors == () and result.console_errors == ()
    assert result.artifacts == {}  # nothing kept when nothing failed


@pytest.mark.parametrize(
    ("fault", "kind", "step", "word"), FAULT_MATRIX, ids=[case[0] for case in FAULT_MATRIX]
)
def test_fault_gives_the_right_failure_at_the_right_step(
    journey_runner: JourneyRunner,
    shop: DemoShopThread,
    env: dict[str, str],
    fault: str,
    kind: FailureKind,
    step: str | None,
    word: str,
) -> None:
    shop.set_faults([fault])
    # A run over budget ends when its steps do, not on a timeout: it keeps the journey's own
    # step timeout, so a page slowed on purpose never runs into a shortened one.
    fast = FAST if kind is not FailureKind.BUDGET_EXCEEDED else {}

    result = journey_runner.run_once(load_journey(GUEST, env, **fast))

    assert not result.passed
    assert result.failure is not None
    assert (result.failure.kind, result.failure.step) == (kind, step), result.failure.reason
    assert word in result.failure.reason


def test_pay_button_off_screen_on_phones_only(
    journey_runner: JourneyRunner, shop: DemoShopThread, env: dict[str, str]
) -> None:
    shop.set_faults(["pay-button=offscreen-mobile"])

    desktop = journey_runner.run_once(load_journey(GUEST, env, **FAST))
    phone = journey_runner.run_once(load_journey(PHONE, env, **FAST))

    assert desktop.passed, desktop.failure
    assert phone.failure is not None
    assert (phone.failure.kind, phone.failure.step) == (FailureKind.ELEMENT_UNUSABLE, "pay")
    assert "outside the screen" in phone.failure.reason


def test_broken_images_are_counted_but_do_not_stop_a_purchase(
    journey_runner: JourneyRunner, shop: DemoShopThread, env: dict[str, str]
) -> None:
    shop.set_faults(["broken-images"])

    result = journey_runner.run(load_journey(GUEST, env))

    assert result.passed, result.failure
    static_404 = [e for e in result.http_errors if e.resource is ResourceClass.STATIC]
    assert static_404 and all(e.status == 404 for e in static_404)
    assert all("?" not in e.url for e in result.http_errors)


def test_failure_leaves_screenshot_html_and_trace(
    journey_runner: JourneyRunner, shop: DemoShopThread, env: dict[str, str]
) -> None:
    shop.set_faults(["decline-all"])

    result = journey_runner.run(load_journey(GUEST, env))

    assert set(result.artifacts) >= {"screenshot", "html", "trace"}
    for path in result.artifacts.values():
        assert Path(path).stat().st_size > 0
    assert Path(result.artifacts["screenshot"]).read_bytes()[:4] == b"\x89PNG"
    assert "<html" in Path(result.artifacts["html"]).read_text().lower()


@TIMED
def test_slowed_page_load_is_reported_truly(
    journey_runner: JourneyRunner, shop: DemoShopThread, env: dict[str, str]
) -> None:
    healthy = journey_runner.run(load_journey(GUEST, env))
    shop.set_faults(["slow:/product/trail-runner=1500"])
    slowed = journey_runner.run(load_journey(GUEST, env))

    def product_load(result: object) -> float:
        loads = [
            p.load_seconds
            for p in result.page_loads  # type: ignore[attr-defined]
            if p.url.endswith("/product/trail-runner")
        ]
        assert loads and loads[0] is not None
        return loads[0]

    assert 1.5 <= product_load(slowed) <= 1.5 + product_load(healthy) + 0.25
    loaded = next(p for p in slowed.page_loads if p.url.endswith("/product/trail-runner"))
    assert loaded.ttfb_seconds is not None and loaded.ttfb_seconds >= 1.5
    assert loaded.step == "open product"


def test_click_count_is_the_click_steps_performed(
    journey_runner: JourneyRunner, env: dict[str, str]
) -> None:
    journey = load_journey(GUEST, env)
    click_like = (ClickStep, CheckStep, UncheckStep)
    expected = sum(1 for s in journey.steps if isinstance(s, click_like)) + sum(
        len(s.select) for s in journey.steps if isinstance(s, SelectStep)
    )

    result = journey_runner.run(journey)

    assert result.clicks == expected == sum(s.clicks for s in result.steps)


def test_fewer_clicks_than_needed_is_over_budget(
    journey_runner: JourneyRunner, env: dict[str, str]
) -> None:
    journey = load_journey(GUEST, env)
    tight = journey.model_copy(update={"budgets": Budgets(clicks=2)})

    result = journey_runner.run_once(tight)

    assert result.failure is not None
    assert result.failure.kind is FailureKind.BUDGET_EXCEEDED
    assert f"{result.clicks} clicks > 2" in result.failure.reason
    assert all(s.passed for s in result.steps)


def test_unreachable_site_is_site_unreachable(journey_runner: JourneyRunner) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    journey = load_journey(GUEST, {"SHOP_URL": f"http://127.0.0.1:{port}"})

    result = journey_runner.run_once(journey)

    assert result.failure is not None
    assert result.failure.kind is FailureKind.SITE_UNREACHABLE
    assert "ERR_CONNECTION_REFUSED" in result.failure.reason
    assert result.failure.step_index == 0
