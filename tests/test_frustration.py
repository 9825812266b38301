"""What the shopper felt, in real Chromium on small local pages (not the demo shop): each
frustration signal from the page that causes it, none and a high score from a healthy one,
and the accessibility check naming axe's rule."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import JourneyRunner, quick_journey
from local_site import Answer, json_answer, local_site

from monitor.frustration import Frustration
from monitor.result import FailureKind, RunResult

pytestmark = pytest.mark.browser

HEALTHY = """<!doctype html><html lang=en><title>Shop</title><main><h1>Trail Runner</h1>
<p>A shoe.</p><button id=add onclick="document.querySelector('#cart').textContent='1 item'">
Add to cart</button><p id=cart>0 items</p>
<label for=email>Email</label><input id=email type=email></main>"""

DOES_NOTHING = """<!doctype html><html lang=en><title>Shop</title><main><h1>Shop</h1>
<button id=apply>Apply coupon</button></main>"""

THROWS = """<!doctype html><html lang=en><title>Shop</title><main><h1>Shop</h1>
<button onclick="document.title='Shop.'; null.pay()">Pay now</button></main>"""

# The button is enabled only as a banner pushes it down: the shopper aims, it jumps.
JUMPS = """<!doctype html><html lang=en><title>Shop</title><main><h1>Shop</h1><div id=slot></div>
<button id=pay disabled onclick="document.title='Paid'">Pay now</button></main><script>
addEventListener('load', () => setTimeout(() => {
  document.querySelector('#slot').innerHTML = '<p style="height:120px">Free delivery today!</p>';
  document.querySelector('#pay').disabled = false;
}, 300));
</script>"""

# The answer to "Check stock" takes 1.5 s to come.
SLOW = """<!doctype html><html lang=en><title>Shop</title><main><h1>Shop</h1>
<button onclick="fetch('/api/stock').then((r) => r.json()).then((d) => {
  document.querySelector('#stock').textContent = d.stock; })">Check stock</button>
<p id=stock></p></main>"""

UNLABELLED = """<!doctype html><html lang=en><title>Shop</title><main><h1>Pay</h1>
<input id=card name=card></main>"""


def signals(result: RunResult) -> list[tuple[str, str]]:
    return [(s.signal, s.step) for s in result.frustration]


def run_page(
    runner: JourneyRunner, body: str, steps: list[dict[str, Any]], **fields: Any
) -> RunResult:
    routes = {"/": Answer(body=body), "/api/stock": json_answer(200, {"stock": 3}, delay=1.5)}
    with local_site(routes) as url:
        journey = quick_journey("felt", url, [{"goto": "/"}, *steps], **fields)
        return runner.run(journey, trace="off", artifacts_dir=None)


def test_a_healthy_page_gives_no_signal_and_a_high_score(journey_runner: JourneyRunner) -> None:
    steps = [
        {"click": {"role": "button", "name": "Add to cart"}},
        {"expect": {"text": "1 item"}},
        {"fill": {"#email": "shopper@example.com"}},
    ]
    result = run_page(journey_runner, HEALTHY, steps, accessibility="wcag2aa")
    assert result.passed, result.failure
    assert result.frustration == ()
    assert result.experience_score is not None and result.experience_score >= 90
    assert result.accessibility is not None and result.accessibility.pages_checked == 1
    assert result.accessibility.violations == ()


def test_a_button_that_does_nothing_is_a_dead_click(journey_runner: JourneyRunner) -> None:
    result = run_page(journey_runner, DOES_NOTHING, [{"click": {"text": "Apply coupon"}}])
    assert result.passed, result.failure
    assert signals(result) == [("dead_click", "click text 'Apply coupon'")]
    assert "button#apply 'Apply coupon'" in result.frustration[0].detail
    assert result.experience_score is not None and result.experience_score < 100


def test_a_button_that_throws_is_an_error_click(journey_runner: JourneyRunner) -> None:
    result = run_page(journey_runner, THROWS, [{"click": {"text": "Pay now"}, "name": "pay"}])
    assert ("error_click", "pay") in signals(result)
    detail = next(s.detail for s in result.frustration if s.signal == "error_click")
    assert "null" in detail and "Pay now" in detail


# The click throws, and its form leaves the page: what the page kept goes with it.
THROWS_AND_LEAVES = """<!doctype html><html lang=en><title>Shop</title><main><h1>Shop</h1>
<form method=post action=/next><button id=add>Add to cart</button></form></main>
<script>document.querySelector('#add').addEventListener('click', () => null.add());</script>"""


def test_a_click_that_throws_and_leaves_the_page_is_an_error_click(
    journey_runner: JourneyRunner,
) -> None:
    routes = {"/": Answer(body=THROWS_AND_LEAVES), "/next": Answer(body="<title>Cart</title>ok")}
    with local_site(routes) as url:
        steps = [
            {"goto": "/"},
            {"click": {"text": "Add to cart"}, "name": "add"},
            {"expect": {"text": "ok"}},
            {"goto": "/"},  # a second page left by the monitor, not by a click: no signal
        ]
        journey = quick_journey("felt", url, steps)
        result = journey_runner.run(journey, trace="off", artifacts_dir=None)
    assert result.passed, result.failure
    assert signals(result) == [("error_click", "add")]
    assert "Add to cart" in result.frustration[0].detail


def test_a_dead_click_in_the_middle_of_a_journey_belongs_to_its_step(
    journey_runner: JourneyRunner,
) -> None:
    steps = [
        {"click": {"text": "Apply coupon"}, "name": "coupon"},
        {"wait": {"seconds": 1.3}},  # its verdict comes while the journey goes on
        {"expect": {"text": "Shop"}},
    ]
    result = run_page(journey_runner, DOES_NOTHING, steps)
    assert result.passed, result.failure
    assert signals(result) == [("dead_click", "coupon")]


def test_a_button_that_jumps_before_the_click_is_a_layout_shift_before_click(
    journey_runner: JourneyRunner,
) -> None:
    steps = [{"click": {"role": "button", "name": "Pay now"}, "name": "pay"}]
    result = run_page(journey_runner, JUMPS, steps)
    assert result.passed, result.failure
    assert ("layout_shift_before_click", "pay") in signals(result)
    assert "before the click" in result.frustration[0].detail


def test_a_slow_answer_is_a_long_wait(journey_runner: JourneyRunner) -> None:
    steps = [
        {"click": {"text": "Check stock"}},
        {"expect": {"text": "3", "within": "#stock"}, "name": "stock shown"},
    ]
    result = run_page(journey_runner, SLOW, steps)
    assert result.passed, result.failure
    assert signals(result) == [("long_wait", "stock shown")]
    assert "attention drifts" in result.frustration[0].detail
    assert result.experience_score is not None and result.experience_score <= 95


def test_an_unlabelled_input_is_an_accessibility_violation(journey_runner: JourneyRunner) -> None:
    result = run_page(
        journey_runner,
        UNLABELLED,
        [],
        accessibility="wcag2aa",
        budgets={"accessibility": {"critical": 0}},
    )
    assert result.accessibility is not None
    (violation,) = result.accessibility.violations
    assert (violation.rule, violation.impact, violation.step) == ("label", "critical", "goto /")
    assert violation.elements == ("#card",)
    assert result.failure_kind is FailureKind.BUDGET_EXCEEDED
    assert result.budgets_exceeded[0].budget == "accessibility"


def test_a_score_below_its_budget_is_budget_exceeded(journey_runner: JourneyRunner) -> None:
    steps = [{"click": {"text": "Apply coupon"}}]
    result = run_page(journey_runner, DOES_NOTHING, steps, budgets={"experience_score": 95})
    assert result.failure_kind is FailureKind.BUDGET_EXCEEDED
    assert "experience score" in (result.failure.reason if result.failure else "")


def test_a_click_told_late_is_still_before_the_error_it_caused() -> None:
    # On a busy machine the page's message can take long to reach us: the click's time comes
    # from the wall clock the page's clock starts at, not from when we heard of it.
    now = {"mono": 100.0, "wall": 5000.0}
    feel = Frustration(
        quick_journey("felt", "http://127.0.0.1:1", [{"goto": "/"}]),
        (),
        clock=lambda: now["mono"],
        wall=lambda: now["wall"],
    )
    feel._failed("TypeError: boom")  # heard at 100.0, soon after the click
    now.update(mono=100.6, wall=5000.6)  # the click's message arrives 0.6 s after it was sent
    origin_ms = (5000.0 - 2.0) * 1000  # the page started 2 s before the error
    click = {"kind": "click", "id": "a-1", "what": "button 'Pay'", "judged": True, "at": 1990.0}
    feel._take({"now": 1990.0, "origin": origin_ms, "told": [click]}, now["mono"])
    feel._errors_after_clicks()

    assert [s.signal for s in feel.signals] == ["error_click"]


class _Frame:
    def __init__(self, parent: object | None) -> None:
        self.parent_frame = parent


def test_only_a_top_document_hands_on_its_vitals_as_it_is_left() -> None:
    """The page's binding carries a top document's vitals as it is left (probes `left()`);
    the same message from a frame (a widget's own document, or one forging it) is no page's."""
    handed: list[dict[str, Any]] = []
    feel = Frustration(
        quick_journey("felt", "http://127.0.0.1:1", [{"goto": "/"}]), (), left=handed.append
    )
    vitals = {"origin": 1.0e12, "lcp": 120.0, "cls": 0.0}
    feel._told({"frame": _Frame(None)}, {"origin": 1.0e12, "told": [], "left": vitals})
    feel._told({"frame": _Frame(_Frame(None))}, {"origin": 2.0e12, "told": [], "left": vitals})
    feel._told({"frame": _Frame(None)}, {"origin": 1.0e12, "told": []})  # nothing changed
    assert handed == [vitals]
