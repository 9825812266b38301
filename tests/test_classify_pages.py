"""Every failure kind on small local shops that are not the demo shop — plain HTML, a
single-page app that fetches JSON, pages with frames — each with the most specific kind and a
reason a person understands. Classification must rest on what a browser sees."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import TIMED, JourneyRunner, quick_journey
from local_site import Answer, Request, json_answer, local_site, redirect

from monitor.result import FailureKind, RunResult

pytestmark = pytest.mark.browser

ERRORS = ["Something went wrong"]
HOME = "<title>Shop</title><h1>Welcome</h1><a href='/product'>Trail Runner</a>"
PRODUCT = (
    "<title>Trail Runner</title><h1>Trail Runner</h1><form method=post action=/cart>"
    "<button>Add to cart</button></form>"
)
# A single-page app: every action is a fetch of JSON and a re-render, no page loads.
SPA = """<title>SPA shop</title><main id=app><h1>Basket</h1>
<p>Trail Runner <span class=price>€89.00</span></p>
<label>E-mail <input id=email></label>
<button id=pay>Pay now</button></main>
<script>
const app = document.getElementById('app');
document.getElementById('pay').addEventListener('click', async () => {
  const answer = await fetch('/api/pay', {method: 'POST',
    body: JSON.stringify({email: document.getElementById('email').value})});
  let data = {};
  try { data = await answer.json(); } catch (e) {}
  if (!answer.ok) console.error('payment failed: ' + answer.status);
  const shown = data.message || (answer.ok ? 'Order confirmed. Thank you!' : 'Error');
  app.insertAdjacentHTML('beforeend', '<p role=alert>' + shown + '</p>');
});
</script>"""


def run(runner: JourneyRunner, url: str, steps: list[dict[str, Any]], **fields: Any) -> RunResult:
    fields.setdefault("error_page_text", ERRORS)
    fields.setdefault("timeout", "2s")
    return runner.run(quick_journey("local-shop", url, steps, **fields), trace="off")


def kind_reason(result: RunResult) -> tuple[FailureKind | None, str | None, str]:
    failure = result.failure
    return result.failure_kind, failure.step if failure else None, failure.reason if failure else ""


def test_a_healthy_local_shop_passes(journey_runner: JourneyRunner) -> None:
    with local_site({"/": Answer(body=HOME), "/product": Answer(body=PRODUCT)}) as url:
        result = run(
            journey_runner,
            url,
            [
                {"goto": "/"},
                {"click": {"role": "link", "name": "Trail Runner"}},
                {"expect": {"text": "Add to cart"}},
            ],
        )
    assert result.passed, result.failure


# ------------------------------------------------------------ error_page


def test_error_text_after_a_step_that_came_true_is_an_error_page(
    journey_runner: JourneyRunner,
) -> None:
    """The expect matches text that sits on an error page: every step came true, yet the
    shopper saw 'Something went wrong' after pressing Add to cart."""
    cart = "<title>Cart</title><h1>Your cart</h1><p class=error>Something went wrong</p>"
    routes = {"/": Answer(body=HOME), "/product": Answer(body=PRODUCT), "/cart": Answer(body=cart)}
    with local_site(routes) as url:
        result = run(
            journey_runner,
            url,
            [
                {"goto": "/product"},
                {"name": "add to cart", "click": {"text": "Add to cart"}},
                {"expect": {"text": "Your cart"}},
            ],
        )
    kind, step, reason = kind_reason(result)
    assert kind is FailureKind.ERROR_PAGE, reason
    assert step == "add to cart"
    assert "Something went wrong" in reason and "/cart" in reason


def test_a_last_step_landing_on_an_error_page_fails(journey_runner: JourneyRunner) -> None:
    cart = "<title>Oops</title><h1>Something went wrong</h1>"
    routes = {"/product": Answer(body=PRODUCT), "/cart": Answer(body=cart)}
    with local_site(routes) as url:
        result = run(
            journey_runner, url, [{"goto": "/product"}, {"click": {"text": "Add to cart"}}]
        )
    kind, step, _ = kind_reason(result)
    assert kind is FailureKind.ERROR_PAGE and step == "click text 'Add to cart'"
    assert not result.steps[-1].passed


def test_error_text_inside_a_frame_is_an_error_page(journey_runner: JourneyRunner) -> None:
    page = "<title>Checkout</title><h1>Checkout</h1><iframe src=/pay-frame></iframe>"
    frame = "<p>Card form</p><div>Something went wrong</div>"
    with local_site({"/": Answer(body=page), "/pay-frame": Answer(body=frame)}) as url:
        result = run(journey_runner, url, [{"goto": "/"}, {"expect": {"text": "Checkout"}}])
    kind, step, reason = kind_reason(result)
    assert kind is FailureKind.ERROR_PAGE and step == "goto /", reason
    assert "Something went wrong" in reason


@TIMED
def test_an_error_banner_a_second_after_load_is_an_error_page_seen_early(
    journey_runner: JourneyRunner,
) -> None:
    """A single-page app loads its basket a second after the page; the call fails and a banner
    says so. What the shopper waited for never comes: an error page, seen when it shows."""
    page = """<title>Basket</title><h1>Basket</h1><div id=basket>Loading…</div><script>
      setTimeout(async () => {
        const answer = await fetch('/api/basket');
        document.getElementById('basket').textContent = answer.ok ? 'Total €89'
          : 'Something went wrong. Please try again.';
      }, 1000);</script>"""
    routes = {"/": Answer(body=page), "/api/basket": json_answer(409, {"error": "conflict"})}
    with local_site(routes) as url:
        result = run(
            journey_runner,
            url,
            [{"goto": "/"}, {"name": "basket total", "expect": {"text": "Total"}}],
            timeout="8s",
        )
    kind, step, reason = kind_reason(result)
    assert kind is FailureKind.ERROR_PAGE, reason
    assert step == "basket total" and "Something went wrong" in reason
    assert result.steps[-1].duration_seconds < 4, "seen when shown, not at the 8 s timeout"


def test_a_single_page_apps_5xx_call_is_an_error_page_naming_it(
    journey_runner: JourneyRunner,
) -> None:
    routes = {"/": Answer(body=SPA), "/api/pay": json_answer(503, {})}
    with local_site(routes) as url:
        result = run(
            journey_runner,
            url,
            [{"goto": "/"}, {"click": "#pay"}, {"expect": {"text": "Thank you"}}],
        )
    kind, _, reason = kind_reason(result)
    assert kind is FailureKind.ERROR_PAGE and "POST" in reason and "503" in reason, reason


# ------------------------------------------------------------ http_error


def test_a_product_that_is_gone_is_an_http_error(journey_runner: JourneyRunner) -> None:
    with local_site({"/": Answer(body=HOME)}) as url:
        result = run(journey_runner, url, [{"goto": "/"}, {"click": {"text": "Trail Runner"}}])
    kind, step, reason = kind_reason(result)
    assert kind is FailureKind.HTTP_ERROR and step == "click text 'Trail Runner'"
    assert "HTTP 404" in reason and "/product" in reason


def _refuse_form(request: Request) -> Answer:
    if request.method == "GET":
        return Answer(
            body="<title>Address</title><form method=post action=/address>"
            "<input name=zip><button>Continue</button></form>"
        )
    return Answer(
        422,
        "<title>Address</title><form method=post action=/address>"
        "<input name=zip aria-invalid=true><p class=field-error>Enter a valid "
        "postcode</p><button>Continue</button></form>",
    )


def test_a_form_answered_422_with_field_errors_is_an_http_error(
    journey_runner: JourneyRunner,
) -> None:
    with local_site({"/address": _refuse_form}) as url:
        result = run(
            journey_runner,
            url,
            [
                {"goto": "/address"},
                {"fill": {"[name=zip]": "nowhere"}},
                {"name": "continue", "click": {"text": "Continue"}},
                {"expect": {"text": "Delivery"}},
            ],
        )
    kind, step, reason = kind_reason(result)
    assert kind is FailureKind.HTTP_ERROR and step == "continue", reason
    assert "HTTP 422" in reason


def test_a_single_page_apps_422_answer_is_an_http_error_naming_the_call(
    journey_runner: JourneyRunner,
) -> None:
    refusal = json_answer(422, {"message": "Enter a valid e-mail address"})
    with local_site({"/": Answer(body=SPA), "/api/pay": refusal}) as url:
        result = run(
            journey_runner,
            url,
            [
                {"goto": "/"},
                {"fill": {"#email": "not-an-address"}},
                {"name": "pay", "click": "#pay"},
                {"expect": {"text": "Thank you"}},
            ],
        )
    kind, _, reason = kind_reason(result)
    assert kind is FailureKind.HTTP_ERROR, reason
    assert "POST" in reason and "/api/pay" in reason and "422" in reason


# ------------------------------------------------------------ element_unusable


def test_a_disabled_button_in_a_frame_is_element_unusable(journey_runner: JourneyRunner) -> None:
    page = "<title>Checkout</title><iframe id=pay src=/frame></iframe>"
    frame = "<button disabled>Pay now</button>"
    with local_site({"/": Answer(body=page), "/frame": Answer(body=frame)}) as url:
        result = run(
            journey_runner,
            url,
            [{"goto": "/"}, {"click": {"role": "button", "name": "Pay now"}, "frame": "#pay"}],
        )
    kind, _, reason = kind_reason(result)
    assert kind is FailureKind.ELEMENT_UNUSABLE and "is disabled" in reason, reason
    assert "in frame #pay" in reason


# ------------------------------------------------------------ payments


def _pay_step(**extra: Any) -> dict[str, Any]:
    return {"name": "pay", "click": "#pay", "payment": True, **extra}


def test_a_declined_card_on_a_single_page_app_is_payment_declined(
    journey_runner: JourneyRunner,
) -> None:
    declined = json_answer(402, {"message": "Your card was declined"}, delay=0.3)
    with local_site({"/": Answer(body=SPA), "/api/pay": declined}) as url:
        result = run(
            journey_runner,
            url,
            [
                {"goto": "/"},
                _pay_step(declined_text=["card was declined"]),
                {"name": "confirmed", "expect": {"text": "Thank you"}, "confirms_order": True},
            ],
        )
    kind, step, reason = kind_reason(result)
    assert kind is FailureKind.PAYMENT_DECLINED and step == "pay", reason
    # The 402 and the console error it caused arrived after the pay click had returned, while
    # the next step waited: they are still the pay step's doing.
    assert [(e.status, e.step) for e in result.http_errors] == [(402, "pay")]
    assert {c.step for c in result.console_errors} == {"pay"}, result.console_errors


def test_a_payment_call_that_fails_is_a_payment_error(journey_runner: JourneyRunner) -> None:
    with local_site({"/": Answer(body=SPA), "/api/pay": json_answer(500, {})}) as url:
        result = run(
            journey_runner,
            url,
            [{"goto": "/"}, _pay_step(), {"expect": {"text": "Thank you"}, "confirms_order": True}],
        )
    kind, step, reason = kind_reason(result)
    assert kind is FailureKind.PAYMENT_ERROR and step == "pay", reason
    assert "/api/pay" in reason and "500" in reason


def test_a_payment_page_that_never_answers_is_a_payment_error(
    journey_runner: JourneyRunner,
) -> None:
    page = "<title>Pay</title><form method=post action=/pay><button id=pay>Pay</button></form>"
    with local_site({"/": Answer(body=page), "/pay": Answer(hang=6)}) as url:
        result = run(
            journey_runner,
            url,
            [{"goto": "/"}, _pay_step(), {"expect": {"text": "Thank you"}, "confirms_order": True}],
        )
    kind, step, reason = kind_reason(result)
    assert kind is FailureKind.PAYMENT_ERROR and step == "pay", reason
    assert "never answered" in reason and "/pay" in reason


def test_paid_but_never_confirmed_is_order_unconfirmed(journey_runner: JourneyRunner) -> None:
    pending = json_answer(200, {"message": "We are processing your payment"})
    with local_site({"/": Answer(body=SPA), "/api/pay": pending}) as url:
        result = run(
            journey_runner,
            url,
            [
                {"goto": "/"},
                _pay_step(),
                {"name": "confirmed", "expect": {"text": "Thank you"}, "confirms_order": True},
            ],
        )
    kind, step, reason = kind_reason(result)
    assert kind is FailureKind.ORDER_UNCONFIRMED and step == "confirmed", reason


# ------------------------------------------------------------ assertion, mismatch, timeout


def test_text_that_never_shows_is_an_assertion_failure(journey_runner: JourneyRunner) -> None:
    with local_site({"/": Answer(body=HOME)}) as url:
        result = run(journey_runner, url, [{"goto": "/"}, {"expect": {"text": "Free delivery"}}])
    kind, _, reason = kind_reason(result)
    assert kind is FailureKind.ASSERTION_FAILED and "Free delivery" in reason


def test_a_redirect_to_a_sign_in_page_says_so(journey_runner: JourneyRunner) -> None:
    login = (
        "<title>Sign in</title><form><input name=email><input type=password name=pw>"
        "<button>Sign in</button></form>"
    )
    checkout = "<title>Basket</title><a href='/checkout'>Checkout</a>"
    routes = {
        "/": Answer(body=checkout),
        "/checkout": redirect("/login?next=/checkout"),
        "/login": Answer(body=login),
    }
    with local_site(routes) as url:
        result = run(
            journey_runner,
            url,
            [
                {"goto": "/"},
                {"name": "checkout", "click": {"text": "Checkout"}},
                {"expect": {"url": "/checkout", "text": "Delivery"}},
            ],
        )
    kind, _, reason = kind_reason(result)
    assert kind is FailureKind.ASSERTION_FAILED, reason
    assert "sign-in page" in reason and "/login" in reason


def test_a_price_that_differs_is_a_data_mismatch(journey_runner: JourneyRunner) -> None:
    with local_site({"/": Answer(body=SPA)}) as url:
        result = run(
            journey_runner,
            url,
            [{"goto": "/"}, {"expect": {"within": ".price", "text_equals": "€79.00"}}],
        )
    kind, _, reason = kind_reason(result)
    assert kind is FailureKind.DATA_MISMATCH and "€89.00" in reason and "€79.00" in reason


@TIMED
def test_a_click_whose_page_never_answers_is_a_timeout_naming_the_page(
    journey_runner: JourneyRunner,
) -> None:
    """The shopper pressed the link and watched a page that never came: not the link's fault,
    and the step's deadline holds."""
    with local_site({"/": Answer(body=HOME), "/product": Answer(hang=8)}) as url:
        result = run(
            journey_runner,
            url,
            [
                {"goto": "/"},
                {"name": "open product", "click": {"text": "Trail Runner"}},
                {"expect": {"text": "Add to cart"}},
            ],
        )
    kind, step, reason = kind_reason(result)
    assert kind is FailureKind.TIMEOUT and step == "open product", reason
    assert "/product did not answer within 2s" in reason
    assert result.steps[-1].duration_seconds < 3.0, "the step's 2 s deadline holds"
    assert result.clicks == 1, "the link was clicked"
    assert result.duration_seconds < 6.0, "nothing afterwards waits for the page either"


# ------------------------------------------------------------ budget, monitor


def test_a_slow_page_within_its_timeout_is_over_budget(journey_runner: JourneyRunner) -> None:
    with local_site({"/": Answer(body=HOME, delay=0.6)}) as url:
        result = run(
            journey_runner,
            url,
            [{"goto": "/"}, {"expect": {"text": "Welcome"}}],
            budgets={"page_load_seconds": 0.3},
        )
    kind, _, reason = kind_reason(result)
    assert kind is FailureKind.BUDGET_EXCEEDED and "loaded in" in reason and "0.3s" in reason


def test_a_selector_the_browser_cannot_parse_is_a_monitor_error(
    journey_runner: JourneyRunner,
) -> None:
    with local_site({"/": Answer(body=HOME)}) as url:
        result = run(journey_runner, url, [{"goto": "/"}, {"click": "a[href="}])
    kind, _, reason = kind_reason(result)
    assert kind is FailureKind.MONITOR_ERROR and "not the shop" in reason, reason
