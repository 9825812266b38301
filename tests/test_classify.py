"""Classification rules, one by one, on plain observations (no browser)."""

from __future__ import annotations

import pytest

from monitor.classify import UNUSABLE_WORDS, FailedStep, Observation, Problem, classify
from monitor.probes import site_of
from monitor.result import FailureKind


def at(index: int, problem: Problem, name: str = "") -> FailedStep:
    return FailedStep(index, name or f"step{index}", problem)


TIMEOUT = Problem("timeout", "not within 10s")


def test_a_run_with_every_step_passed_and_in_budget_has_no_failure() -> None:
    assert classify(Observation()) is None


def test_over_budget_is_budget_exceeded_with_the_numbers() -> None:
    failure = classify(Observation(budgets_exceeded=("9 clicks > 8",)))
    assert failure is not None
    assert failure.kind is FailureKind.BUDGET_EXCEEDED and "9 clicks > 8" in failure.reason


def test_our_own_fault_is_never_blamed_on_the_shop() -> None:
    seen = Observation(step=at(1, Problem("monitor", "browser went away")), document_status=503)
    failure = classify(seen)
    assert failure is not None and failure.kind is FailureKind.MONITOR_ERROR


def test_network_error_is_site_unreachable() -> None:
    problem = Problem("navigation", "cannot load", net_error="net::ERR_CONNECTION_REFUSED")
    failure = classify(Observation(step=at(0, problem)))
    assert failure is not None and failure.kind is FailureKind.SITE_UNREACHABLE
    assert "ERR_CONNECTION_REFUSED" in failure.reason


@pytest.mark.parametrize(
    ("status", "kind"), [(502, FailureKind.ERROR_PAGE), (404, FailureKind.HTTP_ERROR)]
)
def test_error_document_is_blamed_on_the_step_that_led_to_it(
    status: int, kind: FailureKind
) -> None:
    seen = Observation(step=at(4, TIMEOUT), document_status=status, document_step=(3, "go"))
    failure = classify(seen)
    assert failure is not None
    assert (failure.kind, failure.step, failure.step_index) == (kind, "go", 3)
    assert f"HTTP {status}" in failure.reason


def test_visible_error_text_is_an_error_page_even_with_status_200() -> None:
    seen = Observation(step=at(2, TIMEOUT), document_status=200, error_text="Something went wrong")
    failure = classify(seen)
    assert failure is not None and failure.kind is FailureKind.ERROR_PAGE


def test_declined_text_after_paying_is_payment_declined_at_the_pay_step() -> None:
    seen = Observation(
        step=at(6, TIMEOUT, "confirm"),
        payment_step=5,
        payment_step_name="pay",
        declined_text="Your card was declined",
    )
    failure = classify(seen)
    assert failure is not None
    assert (failure.kind, failure.step) == (FailureKind.PAYMENT_DECLINED, "pay")
    assert failure.reason == "step 'pay': card declined: 'Your card was declined'"


def test_payment_api_5xx_is_payment_error() -> None:
    seen = Observation(
        step=at(6, TIMEOUT),
        payment_step=5,
        payment_step_name="pay",
        payment_api_errors=("POST /api/pay answered HTTP 502",),
    )
    failure = classify(seen)
    assert failure is not None and failure.kind is FailureKind.PAYMENT_ERROR


def test_payment_that_never_answers_is_payment_error() -> None:
    seen = Observation(
        step=at(6, TIMEOUT),
        payment_step=5,
        payment_step_name="pay",
        payment_pending=("POST /api/pay unanswered after 10.0s",),
    )
    failure = classify(seen)
    assert failure is not None and failure.kind is FailureKind.PAYMENT_ERROR
    assert "never answered" in failure.reason


@pytest.mark.parametrize("why", ["missing", "hidden", "disabled", "covered", "offscreen"])
def test_a_button_that_cannot_be_pressed_says_why(why: str) -> None:
    problem = Problem("unusable", "timeout", why, "button 'Pay now'")
    failure = classify(Observation(step=at(5, problem, "pay"), payment_step=5))
    assert failure is not None and failure.kind is FailureKind.ELEMENT_UNUSABLE
    assert failure.reason == f"step 'pay': button 'Pay now' {UNUSABLE_WORDS[why]}"


def test_paid_but_not_confirmed_is_order_unconfirmed() -> None:
    seen = Observation(
        step=at(6, Problem("assertion", "expected text 'Thank you'")),
        payment_step=5,
        confirms_order=True,
        payment_requests_ok=2,
    )
    failure = classify(seen)
    assert failure is not None and failure.kind is FailureKind.ORDER_UNCONFIRMED


def test_pay_that_sent_nothing_because_of_a_script_error_is_payment_error() -> None:
    seen = Observation(
        step=at(6, TIMEOUT),
        payment_step=5,
        payment_step_name="pay",
        confirms_order=True,
        payment_requests_ok=0,
        page_errors=("TypeError: x is undefined",),
    )
    failure = classify(seen)
    assert failure is not None
    assert (failure.kind, failure.step) == (FailureKind.PAYMENT_ERROR, "pay")
    assert "TypeError" in failure.reason


def test_failed_expectation_before_paying_is_assertion_failed() -> None:
    failure = classify(Observation(step=at(2, Problem("assertion", "expected text 'x'"))))
    assert failure is not None and failure.kind is FailureKind.ASSERTION_FAILED


def test_a_wait_that_runs_out_is_a_timeout() -> None:
    failure = classify(Observation(step=at(2, TIMEOUT)))
    assert failure is not None and failure.kind is FailureKind.TIMEOUT


def test_a_covered_button_names_what_covers_it() -> None:
    problem = Problem(
        "unusable", "covered", "covered", "button 'Pay now'", detail="div#consent-overlay"
    )
    failure = classify(Observation(step=at(5, problem, "pay")))
    assert failure is not None
    assert failure.reason == "step 'pay': button 'Pay now' is covered by div#consent-overlay"


def test_the_shops_server_failing_before_a_missing_text_is_an_error_page() -> None:
    missing = Problem("assertion", "text 'Basket (1)' is not on the page")
    seen = Observation(
        step=at(3, missing, "basket"), server_errors=("POST http://shop/api/cart answered 500",)
    )
    failure = classify(seen)
    assert failure is not None
    assert (failure.kind, failure.step) == (FailureKind.ERROR_PAGE, "basket")
    assert (
        "Basket (1)" in failure.reason
        and "POST http://shop/api/cart answered 500" in failure.reason
    )
    # Without the server's failure it is what the shopper saw: the text was not there.
    failure = classify(Observation(step=at(3, missing, "basket")))
    assert failure is not None and failure.kind is FailureKind.ASSERTION_FAILED


def test_a_server_error_does_not_hide_an_unusable_button() -> None:
    covered = Problem("unusable", "covered", "covered", "button 'Pay'", detail="div#banner")
    seen = Observation(step=at(3, covered), server_errors=("GET http://shop/api/x answered 503",))
    failure = classify(seen)
    assert failure is not None and failure.kind is FailureKind.ELEMENT_UNUSABLE


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.shop.example/cart", "shop.example"),
        ("https://api.shop.example/v1/cart", "shop.example"),
        ("https://www.bbc.co.uk/", "bbc.co.uk"),
        ("https://shop.de/", "shop.de"),
        ("https://checkout.shop.com.au/pay", "shop.com.au"),
        ("http://127.0.0.1:8080/api", "127.0.0.1"),
        ("http://localhost:8080/", "localhost"),
        ("https://www.google-analytics.com/collect", "google-analytics.com"),
    ],
)
def test_site_of_tells_the_shop_from_third_parties(url: str, site: str) -> None:
    assert site_of(url) == site
