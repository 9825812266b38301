"""Prometheus metrics: RunResults in, the numbers alert rules and dashboards read out."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from monitor.journey import Budgets, Journey
from monitor.metrics import (
    BUDGETS,
    CheckoutMetrics,
    exposition,
    label_text,
)
from monitor.result import (
    Accessibility,
    AccessibilityViolation,
    BudgetBreach,
    ConsoleError,
    Failure,
    FailureKind,
    FrustrationSignal,
    HttpError,
    PageLoad,
    RequestFailure,
    ResourceClass,
    RunResult,
    StepResult,
)

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
STEPS = [
    {"goto": "/", "name": "home"},
    {"click": {"role": "button", "name": "Add to cart"}, "name": "add to cart"},
    {"click": {"role": "button", "name": "Pay now"}, "name": "pay", "payment": True},
    {"expect": {"text": "Thank you"}, "name": "order confirmed", "confirms_order": True},
]


def make_journey(name: str = "checkout", **fields: Any) -> Journey:
    data: dict[str, Any] = {
        "name": name,
        "site": "demo-shop",
        "base_url": "https://shop.example",
        "budgets": {"clicks": 8, "journey_seconds": 20, "page_load_seconds": 3},
        "steps": STEPS,
    }
    return Journey.model_validate(data | fields)


def passed(journey: Journey, **fields: Any) -> RunResult:
    result = RunResult(
        journey=journey.name,
        site=journey.site_label,
        device=journey.device,
        started_at=1_700_000_000.0,
        duration_seconds=4.0,
        passed=True,
        clicks=3,
        pages_visited=4,
    )
    return replace(result, **fields)


def failed(
    journey: Journey, kind: FailureKind, step: str | None = "pay", **fields: Any
) -> RunResult:
    failure = Failure(kind, step, 2 if step else None, f"step '{step}': {kind.value}")
    return passed(journey, passed=False, failure=failure, **fields)


def labels(journey: Journey, location: str = "", **extra: str) -> dict[str, str]:
    base = {"journey": journey.name, "site": journey.site_label, "device": journey.device}
    return base | {"location": location} | extra


def value(registry: CollectorRegistry, name: str, journey: Journey, **extra: str) -> float | None:
    return registry.get_sample_value(name, labels(journey, **extra))


def series_of(registry: CollectorRegistry, journey_name: str) -> list[str]:
    return [
        f"{sample.name}{sample.labels}"
        for metric in registry.collect()
        for sample in metric.samples
        if sample.labels.get("journey") == journey_name
    ]


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def journey() -> Journey:
    return make_journey()


@pytest.fixture
def metrics(registry: CollectorRegistry, journey: Journey) -> CheckoutMetrics:
    checkout_metrics = CheckoutMetrics(registry)
    checkout_metrics.set_journeys([journey])
    return checkout_metrics


def test_success_gauge_flips_from_pass_to_fail_and_back(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    assert value(registry, "checkout_journey_success", journey) is None  # unknown before a run
    seen = []
    for result in (passed(journey), failed(journey, FailureKind.TIMEOUT), passed(journey)):
        metrics.observe(journey, result)
        seen.append(value(registry, "checkout_journey_success", journey))
    assert seen == [1.0, 0.0, 1.0]
    assert value(registry, "checkout_journey_runs_total", journey, result="passed") == 2
    assert value(registry, "checkout_journey_runs_total", journey, result="failed") == 1
    assert value(registry, "checkout_journey_last_run_timestamp_seconds", journey) == 1_700_000_004


def test_failures_are_counted_by_kind_and_payment_failures_apart(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    metrics.observe(journey, failed(journey, FailureKind.PAYMENT_DECLINED))
    metrics.observe(journey, failed(journey, FailureKind.PAYMENT_DECLINED))
    metrics.observe(journey, failed(journey, FailureKind.ELEMENT_UNUSABLE))

    def failures(kind: str) -> float | None:
        return value(registry, "checkout_journey_failures_total", journey, kind=kind)

    def payment_failures(kind: str) -> float | None:
        return value(registry, "checkout_payment_failures_total", journey, kind=kind)

    assert failures("payment_declined") == 2
    assert failures("element_unusable") == 1
    assert failures("timeout") == 0
    assert payment_failures("payment_declined") == 2
    assert payment_failures("order_unconfirmed") == 0
    assert payment_failures("element_unusable") is None  # not a payment kind


def test_counters_alerts_use_start_at_zero_when_the_journey_is_loaded(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    for kind in FailureKind:
        assert value(registry, "checkout_journey_failures_total", journey, kind=kind.value) == 0
    for result in ("passed", "failed"):
        assert value(registry, "checkout_journey_runs_total", journey, result=result) == 0
    for payment in ("payment_declined", "payment_error", "order_unconfirmed"):
        assert value(registry, "checkout_payment_failures_total", journey, kind=payment) == 0
    for resource in ("document", "api", "static"):
        assert value(registry, "checkout_failed_requests_total", journey, resource=resource) == 0
        for status_class in ("4xx", "5xx"):
            name = "checkout_http_errors_total"
            assert value(registry, name, journey, resource=resource, **{"class": status_class}) == 0
    for source in ("console", "page"):
        assert value(registry, "checkout_console_errors_total", journey, source=source) == 0
    assert value(registry, "checkout_journey_retries_total", journey) == 0
    assert value(registry, "checkout_budget_exceeded_total", journey, budget="clicks") == 0
    assert value(registry, "checkout_budget_exceeded_total", journey, budget="step_seconds") is None


def test_last_failure_info_names_kind_and_step_until_the_journey_passes(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    name = "checkout_journey_last_failure_info"
    declined = {"kind": "payment_declined", "step": "pay"}
    unusable = {"kind": "element_unusable", "step": "add to cart"}

    metrics.observe(journey, failed(journey, FailureKind.PAYMENT_DECLINED, "pay"))
    assert value(registry, name, journey, **declined) == 1

    metrics.observe(journey, failed(journey, FailureKind.ELEMENT_UNUSABLE, "add to cart"))
    assert value(registry, name, journey, **unusable) == 1
    assert value(registry, name, journey, **declined) is None  # one failure at a time

    metrics.observe(journey, passed(journey))
    assert value(registry, name, journey, **unusable) is None
    assert not [s for s in series_of(registry, journey.name) if s.startswith(name)]


def test_a_failure_before_any_step_has_an_empty_step_label(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    metrics.observe(journey, failed(journey, FailureKind.SITE_UNREACHABLE, step=None))
    info = {"kind": "site_unreachable", "step": ""}
    assert value(registry, "checkout_journey_last_failure_info", journey, **info) == 1


def test_budgets_are_exposed_and_each_broken_budget_counted_once_per_run(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    assert value(registry, "checkout_journey_budget", journey, budget="clicks") == 8
    assert value(registry, "checkout_journey_budget", journey, budget="journey_seconds") == 20
    assert value(registry, "checkout_journey_budget", journey, budget="page_load_seconds") == 3
    assert value(registry, "checkout_journey_budget", journey, budget="step_seconds") is None

    broken = (
        BudgetBreach("clicks", "9 clicks > 8"),
        BudgetBreach("page_load_seconds", "https://shop.example/cart loaded in 3.20s > 3s"),
        BudgetBreach("page_load_seconds", "https://shop.example/checkout loaded in 4.10s > 3s"),
    )
    metrics.observe(journey, failed(journey, FailureKind.BUDGET_EXCEEDED, budgets_exceeded=broken))

    def exceeded(budget: str) -> float | None:
        return value(registry, "checkout_budget_exceeded_total", journey, budget=budget)

    assert exceeded("clicks") == 1
    assert exceeded("page_load_seconds") == 1  # two slow pages, one run over budget
    assert exceeded("journey_seconds") == 0


def test_budget_names_are_the_journey_budgets() -> None:
    # accessibility is counts by impact: it has an exceeded counter, no single limit
    assert tuple(Budgets.model_fields) == (*BUDGETS, "accessibility")


def test_what_the_shopper_felt_is_a_score_signals_by_name_and_violations_by_impact(
    registry: CollectorRegistry,
) -> None:
    journey = make_journey(
        accessibility="wcag2aa",
        budgets={"experience_score": 80, "accessibility": {"critical": 0}},
    )
    metrics = CheckoutMetrics(registry)
    metrics.set_journeys([journey])
    signal = "checkout_frustration_signals_total"
    assert value(registry, signal, journey, signal="dead_click") == 0
    assert value(registry, "checkout_budget_exceeded_total", journey, budget="accessibility") == 0
    assert value(registry, "checkout_journey_budget", journey, budget="experience_score") == 80
    felt = (
        FrustrationSignal("dead_click", "pay", "nothing happened"),
        FrustrationSignal("dead_click", "pay", "nothing happened again"),
        FrustrationSignal("long_wait", "home", "waited 1.50s"),
    )
    bad = AccessibilityViolation("label", "critical", "home", "https://shop.example/", "x")
    metrics.observe(
        journey,
        passed(
            journey,
            frustration=felt,
            experience_score=72,
            accessibility=Accessibility("wcag2aa", 2, (bad,)),
        ),
    )
    assert value(registry, "checkout_journey_experience_score", journey) == 72
    assert value(registry, signal, journey, signal="dead_click") == 2
    assert value(registry, signal, journey, signal="long_wait") == 1
    assert value(registry, signal, journey, signal="error_click") == 0
    violations = "checkout_accessibility_violations"
    assert value(registry, violations, journey, impact="critical") == 1
    assert value(registry, violations, journey, impact="serious") == 0


def test_step_histograms_by_step_page_loads_by_phase_and_last_run_by_step(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    steps = (
        StepResult(0, "home", "goto", 0.8, True),
        StepResult(1, "add to cart", "click", 0.3, True),
        StepResult(2, "pay", "click", 10.0, False, error="timed out"),
    )
    loads = (
        PageLoad("https://shop.example/", "home", 0.12, 0.4, 0.9, lcp_seconds=1.1, cls=0.02),
        PageLoad("https://shop.example/cart", "add to cart", 0.2, None, None),
    )
    result = failed(journey, FailureKind.TIMEOUT, steps=steps, page_loads=loads)
    metrics.observe(journey, result)

    def step(name: str, suffix: str, **extra: str) -> float | None:
        metric = f"checkout_step_duration_seconds_{suffix}"
        return value(registry, metric, journey, step=name, **extra)

    assert step("home", "count") == 1
    assert step("home", "sum") == pytest.approx(0.8)
    assert step("home", "bucket", le="0.5") == 0
    assert step("home", "bucket", le="1.0") == 1
    assert step("add to cart", "count") == 1
    assert step("pay", "count") is None  # a failed step's time is the timeout, not the shop's

    def load(phase: str, suffix: str = "count", **extra: str) -> float | None:
        metric = f"checkout_page_load_seconds_{suffix}"
        return value(registry, metric, journey, phase=phase, **extra)

    # one histogram per phase over all the journey's pages: which page is in the gauges
    assert load("ttfb") == 2
    assert load("ttfb", "sum") == pytest.approx(0.32)
    assert load("ttfb", "bucket", le="0.1") == 0
    assert load("ttfb", "bucket", le="0.25") == 2
    assert load("dom_content_loaded") == 1
    assert load("load") == 1  # the cart's load was never measured
    assert load("load", step="home") is None  # no step label on the histogram

    def last(step: str, phase: str) -> float | None:
        return value(registry, "checkout_step_page_load_seconds", journey, step=step, phase=phase)

    assert last("home", "ttfb") == 0.12
    assert last("home", "dom_content_loaded") == 0.4
    assert last("home", "load") == 0.9
    assert last("add to cart", "ttfb") == 0.2
    assert last("add to cart", "load") is None  # never measured

    assert value(registry, "checkout_largest_contentful_paint_seconds", journey, step="home") == 1.1
    assert value(registry, "checkout_cumulative_layout_shift", journey, step="home") == 0.02
    inp = "checkout_interaction_to_next_paint_seconds"
    assert value(registry, inp, journey, step="home") is None
    # the journey histogram holds working checkouts only
    assert value(registry, "checkout_journey_duration_seconds_count", journey) is None
    metrics.observe(journey, passed(journey))
    assert value(registry, "checkout_journey_duration_seconds_count", journey) == 1


def test_http_errors_are_counted_by_resource_and_class(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    errors = (
        HttpError("https://shop.example/cart", 404, ResourceClass.DOCUMENT, "GET", "home"),
        HttpError("https://shop.example/api/pay", 502, ResourceClass.API, "POST", "pay"),
        HttpError("https://shop.example/api/pay", 503, ResourceClass.API, "POST", "pay"),
        HttpError("https://cdn.example/app.js", 403, ResourceClass.STATIC, "GET", "home"),
    )
    metrics.observe(journey, failed(journey, FailureKind.PAYMENT_ERROR, http_errors=errors))

    def count(resource: str, status_class: str) -> float | None:
        name = "checkout_http_errors_total"
        return value(registry, name, journey, resource=resource, **{"class": status_class})

    assert count("document", "4xx") == 1
    assert count("api", "5xx") == 2
    assert count("static", "4xx") == 1
    assert count("document", "5xx") == 0


def test_failed_requests_console_errors_clicks_and_retries_are_counted(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    result = passed(
        journey,
        clicks=5,
        pages_visited=6,
        failed_requests=(
            RequestFailure(
                "https://cdn.example/x.js", "net::ERR_FAILED", ResourceClass.STATIC, "home"
            ),
        ),
        console_errors=(
            ConsoleError("TypeError: x is undefined", "page", "home"),
            ConsoleError("failed to load", "console", "pay"),
            ConsoleError("another", "console", "pay"),
        ),
    )
    metrics.observe(journey, result, retries=2)
    metrics.observe(journey, passed(journey))

    assert value(registry, "checkout_failed_requests_total", journey, resource="static") == 1
    assert value(registry, "checkout_console_errors_total", journey, source="console") == 2
    assert value(registry, "checkout_console_errors_total", journey, source="page") == 1
    assert value(registry, "checkout_journey_retries_total", journey) == 2
    assert value(registry, "checkout_journey_clicks", journey) == 3  # the last run's
    assert value(registry, "checkout_journey_pages", journey) == 4


def test_labels_never_hold_a_url_or_query(registry: CollectorRegistry) -> None:
    journey = Journey.model_validate(
        {
            "name": "search",
            "base_url": "https://buyer:hunter22@shop.example:8443",
            "steps": [
                {"goto": "https://shop.example:8443/search?q=shoes&session=abc"},
                {"expect": {"url": "re:https?://shop.example/cart\\?step=2"}},
                {"click": "text=Pay?", "payment": True},
            ],
        }
    )
    metrics = CheckoutMetrics(registry, location="eu?x=1")
    metrics.set_journeys([journey])
    goto, expect, pay = (step.label() for step in journey.steps)
    url = "https://shop.example:8443/search?q=shoes"
    result = RunResult(
        journey=journey.name,
        site=journey.site_label,
        device=journey.device,
        started_at=0.0,
        duration_seconds=3.0,
        passed=False,
        failure=Failure(FailureKind.ASSERTION_FAILED, expect, 1, "url"),
        steps=(StepResult(0, goto, "goto", 1.0, True), StepResult(1, expect, "expect", 2.0, False)),
        page_loads=(PageLoad(url, goto, 0.1, 0.2, 0.3, lcp_seconds=0.5),),
        http_errors=(HttpError(url, 500, ResourceClass.DOCUMENT, "GET", goto),),
        failed_requests=(RequestFailure(url, "net::ERR_ABORTED", ResourceClass.API, pay),),
        console_errors=(ConsoleError(f"failed {url}", "console", goto),),
        budgets_exceeded=(BudgetBreach("page_load_seconds", f"{url} loaded in 3.20s > 3s"),),
    )
    metrics.observe(journey, result)
    metrics.notification_failed("https://hooks.example/x?token=secret")

    found = [
        (sample.name, key, label)
        for metric in registry.collect()
        for sample in metric.samples
        for key, label in sample.labels.items()
        if "://" in label or "?" in label or "hunter22" in label
    ]
    assert found == []
    step_labels = {
        sample.labels["step"]
        for metric in registry.collect()
        for sample in metric.samples
        if "step" in sample.labels
    }
    assert "goto /search" in step_labels  # still tells which step it was


def test_label_text_keeps_a_path_and_drops_host_and_query() -> None:
    assert label_text("goto https://shop.example/cart?id=1") == "goto /cart"
    assert label_text("in stock?") == "in stock"
    assert label_text("  pay   now ") == "pay now"
    assert len(label_text("x" * 500)) == 100


def test_set_journeys_removes_every_series_of_a_removed_journey(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    other = make_journey("pickup")
    metrics.set_journeys([journey, other])
    for each in (journey, other):
        loads = (PageLoad("https://shop.example/", "home", 0.1, 0.2, 0.3, lcp_seconds=1.0),)
        steps = (StepResult(0, "home", "goto", 0.5, True),)
        metrics.observe(each, failed(each, FailureKind.TIMEOUT, steps=steps, page_loads=loads))
    kept = series_of(registry, "pickup")
    assert series_of(registry, "checkout") and kept

    metrics.set_journeys([other])

    assert series_of(registry, "checkout") == []
    assert series_of(registry, "pickup") == kept
    assert registry.get_sample_value("checkout_journeys_loaded") == 1


def test_a_changed_journey_loses_the_series_of_its_removed_steps_and_budgets(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    steps = (
        StepResult(0, "home", "goto", 0.5, True),
        StepResult(1, "add to cart", "click", 1, True),
    )
    metrics.observe(journey, passed(journey, steps=steps))
    metrics.observe(journey, passed(journey))

    changed = make_journey(steps=[STEPS[0], STEPS[2]], budgets={"clicks": 5})
    metrics.set_journeys([changed])

    assert value(registry, "checkout_step_duration_seconds_count", changed, step="home") == 1
    assert (
        value(registry, "checkout_step_duration_seconds_count", journey, step="add to cart") is None
    )
    assert value(registry, "checkout_journey_budget", changed, budget="clicks") == 5
    assert value(registry, "checkout_journey_budget", changed, budget="journey_seconds") is None
    assert value(registry, "checkout_journey_runs_total", changed, result="passed") == 2  # kept


def test_a_journey_on_another_device_starts_afresh(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    metrics.observe(journey, passed(journey))
    phone = make_journey(device="iPhone 13")
    metrics.set_journeys([phone])
    assert value(registry, "checkout_journey_success", journey) is None
    assert value(registry, "checkout_journey_runs_total", phone, result="passed") == 0


def test_a_run_that_ends_after_its_journey_was_removed_brings_no_series_back(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    metrics.set_journeys([])
    metrics.observe(journey, failed(journey, FailureKind.TIMEOUT))
    assert series_of(registry, journey.name) == []


def test_two_instances_on_two_registries_do_not_interfere(journey: Journey) -> None:
    first, second = CollectorRegistry(), CollectorRegistry()
    eu, us = CheckoutMetrics(first, location="eu"), CheckoutMetrics(second, location="us")
    eu.set_journeys([journey])
    us.set_journeys([journey])
    eu.observe(journey, failed(journey, FailureKind.TIMEOUT))
    us.observe(journey, passed(journey))
    eu.browser_restarted()

    runs = "checkout_journey_runs_total"
    assert first.get_sample_value(runs, labels(journey, "eu", result="failed")) == 1
    assert second.get_sample_value(runs, labels(journey, "us", result="failed")) == 0
    assert second.get_sample_value(runs, labels(journey, "us", result="passed")) == 1
    assert first.get_sample_value(runs, labels(journey, "us", result="passed")) is None
    assert first.get_sample_value("checkout_browser_restarts_total") == 1
    assert second.get_sample_value("checkout_browser_restarts_total") == 0


def test_the_monitor_reports_its_own_health(registry: CollectorRegistry) -> None:
    metrics = CheckoutMetrics(registry, version="9.9.9")
    metrics.set_browser_up(True)
    metrics.set_browser_up(False)
    metrics.browser_restarted()
    metrics.scheduler_lag(0.3)
    metrics.scheduler_lag(-0.01)  # a run started early counts as on time
    metrics.notification_failed("ops-webhook")

    assert registry.get_sample_value("checkout_browser_up") == 0
    assert registry.get_sample_value("checkout_browser_restarts_total") == 1
    assert registry.get_sample_value("checkout_scheduler_lag_seconds_count") == 2
    assert registry.get_sample_value("checkout_scheduler_lag_seconds_bucket", {"le": "0.01"}) == 1
    failures = "checkout_notification_failures_total"
    assert registry.get_sample_value(failures, {"target": "ops-webhook"}) == 1
    assert registry.get_sample_value("checkout_monitor_build_info", {"version": "9.9.9"}) == 1


def test_exposition_is_text_format_without_created_series(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    metrics.observe(journey, passed(journey))
    body, content_type = exposition(registry)
    text = body.decode()
    assert content_type.startswith("text/plain; version=0.0.4")
    assert "# TYPE checkout_journey_runs_total counter" in text
    assert "# TYPE checkout_monitor_build_info gauge" in text
    assert "_created" not in text


def test_exposition_passes_promtool_check_metrics(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    if shutil.which(PROMTOOL) is None:
        pytest.skip("promtool is not installed (it comes with Prometheus)")
    loads = (PageLoad("https://shop.example/", "home", 0.1, 0.2, 0.3, 1.0, 0.01, 0.1),)
    steps = (StepResult(0, "home", "goto", 0.5, True),)
    errors = (HttpError("https://shop.example/", 500, ResourceClass.DOCUMENT, "GET", "home"),)
    metrics.observe(journey, passed(journey, steps=steps, page_loads=loads), retries=1)
    metrics.observe(journey, failed(journey, FailureKind.ERROR_PAGE, "home", http_errors=errors))
    metrics.browser_restarted()
    metrics.set_browser_up(True)
    metrics.scheduler_lag(0.2)
    metrics.notification_failed("ops-webhook")
    body, _ = exposition(registry)

    check = subprocess.run(
        [PROMTOOL, "check", "metrics"], input=body, capture_output=True, timeout=30, check=False
    )

    assert check.returncode == 0, (check.stdout + check.stderr).decode()
    assert (check.stdout + check.stderr).strip() == b""  # not even a lint warning


def test_consecutive_failures_count_shop_failures_only(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    def streak() -> float | None:
        return value(registry, "checkout_journey_consecutive_failures", journey)

    assert streak() == 0
    metrics.observe(journey, failed(journey, FailureKind.PAYMENT_DECLINED))
    metrics.observe(journey, failed(journey, FailureKind.MONITOR_ERROR, step=None))
    metrics.observe(journey, failed(journey, FailureKind.ERROR_PAGE))
    assert streak() == 2  # our own error neither counts nor breaks the streak
    metrics.observe(journey, failed(journey, FailureKind.BUDGET_EXCEEDED, step=None))
    assert streak() == 0  # slow, but the shopper could buy
    metrics.observe(journey, failed(journey, FailureKind.TIMEOUT))
    metrics.observe(journey, passed(journey))
    assert streak() == 0


def test_interval_gauge_is_the_journeys_every(
    registry: CollectorRegistry, journey: Journey
) -> None:
    assert value(registry, "checkout_journey_interval_seconds", journey) is None
    CheckoutMetrics(registry).set_journeys([journey])
    assert value(registry, "checkout_journey_interval_seconds", journey) == journey.every


def test_notification_targets_start_at_zero(registry: CollectorRegistry) -> None:
    CheckoutMetrics(registry).set_notification_targets(["ops", "chat"])
    for target in ("ops", "chat"):
        assert (
            registry.get_sample_value("checkout_notification_failures_total", {"target": target})
            == 0
        )


def test_a_site_with_thousands_of_distinct_urls_and_errors_adds_no_series(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    def series() -> int:
        return sum(len(family.samples) for family in registry.collect())

    metrics.observe(journey, passed(journey))
    before = series()
    noisy = passed(
        journey,
        http_errors=tuple(
            HttpError(
                f"https://shop.example/p/{i}?s={i}",
                404 + i % 100,
                ResourceClass.STATIC,
                "GET",
                "home",
            )
            for i in range(3000)
        ),
        failed_requests=tuple(
            RequestFailure(
                f"https://cdn{i}.example/x.js", "net::ERR_FAILED", ResourceClass.STATIC, "home"
            )
            for i in range(3000)
        ),
        console_errors=tuple(
            ConsoleError(f"error {i} at https://x/{i}", "console", "home") for i in range(3000)
        ),
    )
    metrics.observe(journey, noisy)
    assert series() == before


def test_the_monitors_own_error_mid_outage_keeps_naming_the_shops_failure(
    metrics: CheckoutMetrics, registry: CollectorRegistry, journey: Journey
) -> None:
    def info(kind: str, step: str) -> float | None:
        return value(registry, "checkout_journey_last_failure_info", journey, kind=kind, step=step)

    # Alone, the monitor's error is the last failure, and counted.
    metrics.observe(journey, failed(journey, FailureKind.MONITOR_ERROR, step="home"))
    assert info("monitor_error", "home") == 1
    metrics.observe(journey, passed(journey))
    assert info("monitor_error", "home") is None
    # In the middle of the shop's outage it is counted but does not replace the outage's
    # kind and step, so CheckoutDown keeps its labels.
    metrics.observe(journey, failed(journey, FailureKind.PAYMENT_DECLINED))
    metrics.observe(journey, failed(journey, FailureKind.MONITOR_ERROR, step="home"))
    assert info("payment_declined", "pay") == 1
    assert info("monitor_error", "home") is None
    assert value(registry, "checkout_journey_failures_total", journey, kind="monitor_error") == 2
    metrics.observe(journey, failed(journey, FailureKind.ERROR_PAGE, step="cart"))
    assert info("error_page", "cart") == 1
    assert info("payment_declined", "pay") is None
