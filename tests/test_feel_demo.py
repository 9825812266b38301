"""The demo shop's faults a shopper feels: the same guest checkout scores lower under each,
names the signal at the step it belongs to, and scores as before once the fault is off; its
accessibility faults are named by axe's rule."""

from __future__ import annotations

import pytest
from conftest import JourneyRunner, load_journey

from monitor.demo import DemoShopThread
from monitor.result import RunResult

pytestmark = pytest.mark.browser

GUEST = "journeys/demo-guest-checkout.yaml"


def checkout(runner: JourneyRunner, shop: DemoShopThread, **changes: object) -> RunResult:
    journey = load_journey(GUEST, {"SHOP_URL": shop.url}, **changes)
    return runner.run(journey, trace="off", artifacts_dir=None)


def felt(result: RunResult) -> set[tuple[str, str]]:
    return {(s.signal, s.step) for s in result.frustration}


@pytest.mark.parametrize(
    ("fault", "signal", "step"),
    [
        ("dead-click", "dead_click", "add to cart"),
        ("error-click", "error_click", "add to cart"),
        ("jumping-button", "layout_shift_before_click", "add to cart"),
        ("error-alert", "error_shown", "go to checkout"),
        ("slow:/checkout=1500", "long_wait", "go to checkout"),
    ],
)
def test_the_demo_checkout_scores_lower_under_each_fault_and_recovers(
    journey_runner: JourneyRunner, shop: DemoShopThread, fault: str, signal: str, step: str
) -> None:
    shop.set_faults([fault])
    faulty = checkout(journey_runner, shop)
    shop.clear_faults()
    recovered = checkout(journey_runner, shop)
    assert faulty.passed, faulty.failure
    assert (signal, step) in felt(faulty), faulty.frustration
    assert recovered.passed, recovered.failure
    assert signal not in {s for s, _ in felt(recovered)}, recovered.frustration
    assert faulty.experience_score is not None and recovered.experience_score is not None
    assert faulty.experience_score < recovered.experience_score


def test_the_demo_accessibility_faults_are_named_by_rule(
    journey_runner: JourneyRunner, shop: DemoShopThread
) -> None:
    healthy = checkout(journey_runner, shop, accessibility="wcag2aa")
    assert healthy.passed, healthy.failure
    assert healthy.accessibility is not None and healthy.accessibility.pages_checked >= 5
    before = {v.rule for v in healthy.accessibility.violations}
    assert not {"label", "button-name", "color-contrast"} & before

    shop.set_faults(["a11y-low-contrast", "a11y-card-label", "a11y-pay-icon"])
    faulty = checkout(journey_runner, shop, accessibility="wcag2aa")
    assert faulty.accessibility is not None
    found = {(v.rule, v.impact): v for v in faulty.accessibility.violations}
    assert {
        ("color-contrast", "serious"),
        ("label", "critical"),
        ("button-name", "critical"),
    } <= set(found)
    assert found[("label", "critical")].elements == ("#card-number",)
    # The journey finds the card field by its label, as a screen reader would: it cannot.
    assert faulty.failure is not None and faulty.failure.step == "card number"
