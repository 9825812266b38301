"""Prometheus metrics for checkout-monitor: what each run found, in numbers people already watch.

Collectors live on the registry you pass in (never the global one), so two monitors, or two tests,
never share a number. `serve` calls `set_journeys` whenever it (re)loads journeys and `observe`
with each final run; `exposition` renders the registry for `/metrics`.

    >>> from prometheus_client import CollectorRegistry
    >>> from monitor.journey import Journey
    >>> from monitor.result import RunResult
    >>> journey = Journey.model_validate(
    ...     {"name": "checkout", "base_url": "https://shop.example", "steps": [{"goto": "/"}]})
    >>> registry = CollectorRegistry()
    >>> metrics = CheckoutMetrics(registry, location="eu")
    >>> metrics.set_journeys([journey])
    >>> metrics.observe(journey, RunResult(journey="checkout", site="shop.example",
    ...     device="Desktop Chrome", started_at=0.0, duration_seconds=3.2, passed=True))
    >>> registry.get_sample_value("checkout_journey_success", {"journey": "checkout",
    ...     "site": "shop.example", "device": "Desktop Chrome", "location": "eu"})
    1.0
    >>> body, content_type = exposition(registry)

Every journey-level series carries `journey`, `site`, `device` and `location`. Label values come
from configuration (journey and step names, budget names) or small fixed sets, never from what
the shop sent; step names pass through `label_text`, which drops any scheme://host and query.

Series per journey (no `_created` series, see `monitor.exposition`):

- from `set_journeys`, before any run: 33 counter series at 0 (runs 2, failures 11, payment
  failures 3, HTTP errors 6, failed requests 3, console errors 2, retries 1, frustration
  signals 5), 2 gauges
  (interval, consecutive failures), plus a limit gauge and an exceeded counter per budget set;
- after runs: 5 gauges (success, last run, clicks, pages, experience score; 4 more for
  accessibility by impact when the journey asks for it), 14 journey duration histogram
  series, 36 page-load histogram series (3 phases x 12, over all the journey's pages), 1 last
  failure info while failing; 9 per step that passed (step duration histogram); per step that
  loaded a page, 3 last-run gauges (one per phase) and up to 3 web-vital gauges.

A 15-step journey with 3 budgets and 5 page loads: 41 + 55 + 15 x 9 + 5 x 6 = 261 series (262
while failing; it was 444 while page-load histograms were per step). The step
histogram lets a dashboard say which step got slow; a page's phases as last-run gauges say
which page, the way blackbox_exporter's `probe_http_duration_seconds{phase}` does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

import monitor
from monitor.exposition import CONTENT_TYPE, Buckets, Families, Family, Kind, Number, exposition
from monitor.journey import Journey
from monitor.result import (
    IMPACTS,
    SIGNALS,
    Failure,
    FailureKind,
    PageLoad,
    ResourceClass,
    RunResult,
)

log = logging.getLogger("checkout_monitor")

JOURNEY_LABELS = ("journey", "site", "device", "location")
BUDGETS = ("clicks", "journey_seconds", "page_load_seconds", "step_seconds", "experience_score")
PHASES = ("ttfb", "dom_content_loaded", "load")
HTTP_CLASSES = ("4xx", "5xx")
CONSOLE_SOURCES = ("console", "page")
PAYMENT_KINDS = (
    FailureKind.PAYMENT_DECLINED,
    FailureKind.PAYMENT_ERROR,
    FailureKind.ORDER_UNCONFIRMED,
)

JOURNEY_BUCKETS = (0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120)
# Per step, so few: each bucket is a series for every step of every journey. A quantile needs
# a bound on each side of it; 0.25 s resolution is enough to see which step got slow, and a
# step that passed took less than its timeout (15 s unless set).
STEP_BUCKETS = (0.25, 0.5, 1, 2.5, 5, 10)
# Per journey and phase: fine at the low end for ttfb, and 3 s, a common page_load_seconds.
PAGE_LOAD_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10)
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60)

_SCHEME_HOST = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s?#]*")
_QUERY = re.compile(r"\?\S*")

# What each number means to a shop owner; also the metric contract for alert rules and dashboards.
HELP = {
    "checkout_journey_success": (
        "1 if the last run of the journey reached its end (e.g. a confirmed order), else 0."
    ),
    "checkout_journey_duration_seconds": (
        "How long a shopper needed for the whole journey, in runs that reached the end "
        "(passed, or worked but over budget)."
    ),
    "checkout_journey_consecutive_failures": (
        "Failed runs in a row that a shopper would have met (not our own monitor errors, not "
        "slow-but-working runs); 0 after a run that worked."
    ),
    "checkout_journey_interval_seconds": "How often the journey is meant to run (its `every`).",
    "checkout_journey_last_run_timestamp_seconds": (
        "When the last run of the journey finished, as a unix time."
    ),
    "checkout_journey_runs_total": (
        "Runs of the journey, by result (passed or failed), counted after retries."
    ),
    "checkout_journey_failures_total": (
        "Failed runs of the journey, by why the shopper could not finish (failure kind)."
    ),
    "checkout_journey_last_failure_info": (
        "1 while the journey fails, naming the failure kind and the step it failed at."
    ),
    "checkout_journey_clicks": "Clicks the shopper needed in the last run (fewer: easier to buy).",
    "checkout_journey_pages": "Pages the shopper went through in the last run.",
    "checkout_journey_budget": (
        "The journey's budget: most clicks, or most seconds for the journey, a page or a step."
    ),
    "checkout_budget_exceeded_total": (
        "Runs that broke a budget: too many clicks, or too slow a journey, page or step."
    ),
    "checkout_step_duration_seconds": "How long each step took the shopper, in steps that passed.",
    "checkout_page_load_seconds": (
        "Time from navigation start to the page's first byte (ttfb), DOMContentLoaded or load "
        "event, over all pages of the journey."
    ),
    "checkout_step_page_load_seconds": (
        "Time from navigation start to the first byte (ttfb), DOMContentLoaded or load event "
        "of the page a step loaded, last run."
    ),
    "checkout_largest_contentful_paint_seconds": (
        "Largest Contentful Paint of the page a step loaded, last run: when the main content "
        "showed (good: under 2.5s)."
    ),
    "checkout_cumulative_layout_shift": (
        "Cumulative Layout Shift of the page a step loaded, last run: how much the page jumped "
        "around under the shopper (good: under 0.1)."
    ),
    "checkout_interaction_to_next_paint_seconds": (
        "Interaction to Next Paint on the page a step loaded, last run: how long the page took "
        "to react to the shopper (good: under 0.2s)."
    ),
    "checkout_http_errors_total": (
        "HTTP error answers the shopper's browser got, by resource (page, API call or asset) "
        "and class (4xx, 5xx)."
    ),
    "checkout_failed_requests_total": (
        "Requests that got no answer at all (refused, DNS failure, aborted), by resource."
    ),
    "checkout_console_errors_total": (
        "JavaScript errors on the shop's pages: console.error calls (console) and uncaught "
        "exceptions (page)."
    ),
    "checkout_payment_failures_total": (
        "Runs where paying failed: card declined, payment error, or paid without an order "
        "confirmation."
    ),
    "checkout_journey_experience_score": (
        "How buying felt in the last run, 0-100: web vitals, waits and frustration signals "
        "(the README has the formula)."
    ),
    "checkout_frustration_signals_total": (
        "Moments a shopper would have been frustrated, by signal: dead_click, error_click, "
        "long_wait, layout_shift_before_click, error_shown."
    ),
    "checkout_accessibility_violations": (
        "Accessibility rules (axe-core) the last run's pages broke, by impact: critical, "
        "serious, moderate, minor."
    ),
    "checkout_journey_retries_total": (
        "Extra attempts runs of the journey needed before their result counted."
    ),
    "checkout_browser_restarts_total": (
        "Times the monitor's own browser died and was started again."
    ),
    "checkout_browser_up": "1 while the monitor's browser runs, else 0 (no journey can run).",
    "checkout_scheduler_lag_seconds": (
        "How late runs started against their schedule; growing lag means an overloaded monitor."
    ),
    "checkout_journeys_loaded": "Journeys the monitor has loaded and runs on schedule.",
    "checkout_notification_failures_total": (
        "Alerts the monitor could not deliver, by notification target."
    ),
    "checkout_monitor_build_info": "The checkout-monitor version running; always 1.",
}

C = TypeVar("C", Number, Buckets)
_Base = tuple[str, str, str, str]  # journey, site, device, location


def label_text(text: str) -> str:
    """Configured text made fit for a label: no scheme://host, no query, at most 100 chars.

    >>> label_text("goto https://shop.example/search?q=shoes")
    'goto /search'
    """
    text = _QUERY.sub("", _SCHEME_HOST.sub("", text)).replace("://", " ")
    return " ".join(text.split())[:100]


def http_class(status: int) -> str | None:
    return f"{status // 100}xx" if 400 <= status < 600 else None


@dataclass(frozen=True)
class _Shape:
    """What of a journey's definition shows in labels; a change makes old series stale."""

    site: str
    device: str
    steps: frozenset[str]
    budgets: frozenset[str]

    @classmethod
    def of(cls, journey: Journey) -> _Shape:
        steps = frozenset({"", *(label_text(step.label()) for step in journey.steps)})
        named = (*BUDGETS, "accessibility")
        budgets = frozenset(b for b in named if getattr(journey.budgets, b) is not None)
        return cls(_site(journey), label_text(journey.device), steps, budgets)


@dataclass(frozen=True)
class _Series:
    """One label set this instance created, and what it depends on, so it can be removed."""

    metric: Family[Any]
    labels: tuple[str, ...]
    step: str | None = None
    budget: str | None = None

    def stale(self, shape: _Shape | None) -> bool:
        return (
            shape is None
            or self.labels[1:3] != (shape.site, shape.device)
            or (self.step is not None and self.step not in shape.steps)
            or (self.budget is not None and self.budget not in shape.budgets)
        )


class CheckoutMetrics:
    """Prometheus collectors for checkout-monitor, registered on the registry given.

    Call from one thread (serve's event loop): the bookkeeping of label sets is not locked.

        metrics = CheckoutMetrics(registry, location="eu-west")
        metrics.set_journeys(journeys)             # on start and on every reload
        metrics.observe(journey, result, retries)  # once per final run
    """

    def __init__(
        self, registry: CollectorRegistry, location: str = "", version: str = monitor.__version__
    ) -> None:
        self.location = label_text(location)
        self._series: dict[str, set[_Series]] = {}  # journey name -> label sets created
        self._failure_info: dict[_Base, _Series] = {}
        self._loaded: dict[str, _Shape] | None = None  # None until set_journeys is called
        families: list[Family[Number] | Family[Buckets]] = []

        def number(kind: Kind, name: str, *labels: str) -> Family[Number]:
            family: Family[Number] = Family(
                name.removesuffix("_total"), HELP[name], kind, (*JOURNEY_LABELS, *labels)
            )
            families.append(family)
            return family

        def histogram(name: str, buckets: Sequence[float], *labels: str) -> Family[Buckets]:
            family: Family[Buckets] = Family(
                name, HELP[name], "histogram", (*JOURNEY_LABELS, *labels), buckets
            )
            families.append(family)
            return family

        self._success = number("gauge", "checkout_journey_success")
        self._duration = histogram("checkout_journey_duration_seconds", JOURNEY_BUCKETS)
        self._last_run = number("gauge", "checkout_journey_last_run_timestamp_seconds")
        self._runs = number("counter", "checkout_journey_runs_total", "result")
        self._failures = number("counter", "checkout_journey_failures_total", "kind")
        self._failure_info_gauge = number(
            "gauge", "checkout_journey_last_failure_info", "step", "kind"
        )
        self._clicks = number("gauge", "checkout_journey_clicks")
        self._streak = number("gauge", "checkout_journey_consecutive_failures")
        self._interval = number("gauge", "checkout_journey_interval_seconds")
        self._pages = number("gauge", "checkout_journey_pages")
        self._budget = number("gauge", "checkout_journey_budget", "budget")
        self._budget_exceeded = number("counter", "checkout_budget_exceeded_total", "budget")
        self._step_duration = histogram("checkout_step_duration_seconds", STEP_BUCKETS, "step")
        self._page_load = histogram("checkout_page_load_seconds", PAGE_LOAD_BUCKETS, "phase")
        self._step_page_load = number("gauge", "checkout_step_page_load_seconds", "step", "phase")
        self._lcp = number("gauge", "checkout_largest_contentful_paint_seconds", "step")
        self._cls = number("gauge", "checkout_cumulative_layout_shift", "step")
        self._inp = number("gauge", "checkout_interaction_to_next_paint_seconds", "step")
        self._http_errors = number("counter", "checkout_http_errors_total", "resource", "class")
        self._failed_requests = number("counter", "checkout_failed_requests_total", "resource")
        self._console_errors = number("counter", "checkout_console_errors_total", "source")
        self._payment_failures = number("counter", "checkout_payment_failures_total", "kind")
        self._retries = number("counter", "checkout_journey_retries_total")
        self._experience = number("gauge", "checkout_journey_experience_score")
        self._signals = number("counter", "checkout_frustration_signals_total", "signal")
        self._violations = number("gauge", "checkout_accessibility_violations", "impact")
        registry.register(Families(families))

        # The monitor's own health: instance-wide, no journey labels.
        self._browser_restarts = Counter(
            "checkout_browser_restarts_total",
            HELP["checkout_browser_restarts_total"],
            registry=registry,
        )
        self._browser_up = Gauge(
            "checkout_browser_up", HELP["checkout_browser_up"], registry=registry
        )
        self._lag = Histogram(
            "checkout_scheduler_lag_seconds",
            HELP["checkout_scheduler_lag_seconds"],
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self._journeys_loaded = Gauge(
            "checkout_journeys_loaded", HELP["checkout_journeys_loaded"], registry=registry
        )
        self._notification_failures = Counter(
            "checkout_notification_failures_total",
            HELP["checkout_notification_failures_total"],
            ("target",),
            registry=registry,
        )
        build = Info(
            "checkout_monitor_build", HELP["checkout_monitor_build_info"], registry=registry
        )
        build.info({"version": version})

    # ------------------------------------------------------------ journeys

    def set_journeys(self, journeys: Sequence[Journey]) -> None:
        """Journeys loaded now: budgets, zeroed counters; every series of a removed one goes."""
        self._loaded = {journey.name: _Shape.of(journey) for journey in journeys}
        self._drop_stale()
        for journey in journeys:
            self._start(journey)
        self._journeys_loaded.set(len(journeys))

    def _start(self, journey: Journey) -> None:
        # Zero the counters alerts use, so rate() and increase() see the very first failure.
        base = self._base(journey, journey.device)
        for result in ("passed", "failed"):
            self._child(self._runs, base, result)
        for kind in FailureKind:
            self._child(self._failures, base, kind.value)
        for kind in PAYMENT_KINDS:
            self._child(self._payment_failures, base, kind.value)
        for resource in ResourceClass:
            self._child(self._failed_requests, base, resource.value)
            for status_class in HTTP_CLASSES:
                self._child(self._http_errors, base, resource.value, status_class)
        for source in CONSOLE_SOURCES:
            self._child(self._console_errors, base, source)
        self._child(self._retries, base)
        for signal in SIGNALS:
            self._child(self._signals, base, signal)
        self._child(self._interval, base).set(journey.every)
        self._child(self._streak, base)
        for budget in BUDGETS:
            limit = getattr(journey.budgets, budget)
            if limit is not None:
                self._child(self._budget, base, budget=budget).set(limit)
                self._child(self._budget_exceeded, base, budget=budget)
        if journey.budgets.accessibility is not None:
            self._child(self._budget_exceeded, base, budget="accessibility")

    def _drop_stale(self) -> None:
        loaded = self._loaded or {}
        for name, created in list(self._series.items()):
            shape = loaded.get(name)
            for series in [s for s in created if s.stale(shape)]:
                series.metric.remove(*series.labels)
                created.discard(series)
            if not created:
                del self._series[name]
        self._failure_info = {
            base: info
            for base, info in self._failure_info.items()
            if info in self._series.get(base[0], ())
        }

    # ------------------------------------------------------------ runs

    def observe(self, journey: Journey, result: RunResult, retries: int = 0) -> None:
        """One finished (final) run of a journey; `retries` = extra attempts it took."""
        if self._loaded is not None and self._loaded.get(journey.name) != _Shape.of(journey):
            # A run that was under way when its journey was removed or changed: its labels
            # belong to a definition that is gone, and must not bring old series back.
            log.debug("not counting a run of %s: the journey was reloaded", journey.name)
            return
        base = self._base(journey, result.device)
        self._child(self._success, base).set(1 if result.passed else 0)
        self._child(self._last_run, base).set(result.started_at + result.duration_seconds)
        self._child(self._runs, base, "passed" if result.passed else "failed").inc()
        self._child(self._clicks, base).set(result.clicks)
        self._child(self._pages, base).set(result.pages_visited)
        if retries > 0:
            self._child(self._retries, base).inc(retries)
        kind = result.failure_kind
        if result.passed or kind is FailureKind.BUDGET_EXCEEDED:
            self._child(self._duration, base).observe(result.duration_seconds)
        streak = self._child(self._streak, base)
        # The monitor's own error in the middle of a shop outage says nothing about the shop:
        # last_failure_info keeps naming the shop's failure, so alerts keep their labels.
        keep_info = kind is FailureKind.MONITOR_ERROR and streak.value > 0
        if result.passed or kind is FailureKind.BUDGET_EXCEEDED:
            streak.set(0)
        elif kind is not FailureKind.MONITOR_ERROR:
            streak.inc()
        self._failed(base, result.failure if not result.passed else None, keep_info)
        for budget in {breach.budget for breach in result.budgets_exceeded}:
            self._child(self._budget_exceeded, base, budget=budget).inc()
        for step in result.steps:
            if step.passed:
                self._child(self._step_duration, base, step=label_text(step.name)).observe(
                    step.duration_seconds
                )
        for load in result.page_loads:
            self._page_loaded(base, load)
        self._requests(base, result)
        self._felt(base, result)

    def _felt(self, base: _Base, result: RunResult) -> None:
        """What the shopper felt: score, frustration signals, accessibility by impact."""
        if result.experience_score is not None:
            self._child(self._experience, base).set(result.experience_score)
        for felt in result.frustration:
            if felt.signal in SIGNALS:
                self._child(self._signals, base, felt.signal).inc()
        if result.accessibility is not None:
            for impact in IMPACTS:
                count = result.accessibility.count(impact)
                self._child(self._violations, base, impact).set(count)

    def _failed(self, base: _Base, failure: Failure | None, keep_info: bool = False) -> None:
        """Count a failure and point last_failure_info at it (unless keep_info); a pass
        (None) clears it."""
        info = None
        if failure is not None:
            kind, step = failure.kind.value, label_text(failure.step or "")
            self._child(self._failures, base, kind).inc()
            if failure.kind in PAYMENT_KINDS:
                self._child(self._payment_failures, base, kind).inc()
            if keep_info:
                return
            self._child(self._failure_info_gauge, base, kind, step=step).set(1)
            info = self._series_of(self._failure_info_gauge, base, kind, step=step)
        old = self._failure_info.pop(base, None)
        if old is not None and old != info:
            old.metric.remove(*old.labels)
            self._series.get(base[0], set()).discard(old)
        if info is not None:
            self._failure_info[base] = info

    def _page_loaded(self, base: _Base, load: PageLoad) -> None:
        step = label_text(load.step)
        phases = (load.ttfb_seconds, load.dom_content_loaded_seconds, load.load_seconds)
        for phase, seconds in zip(PHASES, phases, strict=True):
            if seconds is not None:
                self._child(self._page_load, base, phase).observe(seconds)
                self._child(self._step_page_load, base, phase, step=step).set(seconds)
        for gauge, value in (
            (self._lcp, load.lcp_seconds),
            (self._cls, load.cls),
            (self._inp, load.inp_seconds),
        ):
            if value is not None:
                self._child(gauge, base, step=step).set(value)

    def _requests(self, base: _Base, result: RunResult) -> None:
        for error in result.http_errors:
            if (status_class := http_class(error.status)) is not None:
                self._child(self._http_errors, base, error.resource.value, status_class).inc()
        for failed in result.failed_requests:
            self._child(self._failed_requests, base, failed.resource.value).inc()
        for console in result.console_errors:
            if console.source in CONSOLE_SOURCES:
                self._child(self._console_errors, base, console.source).inc()

    # ------------------------------------------------------------ the monitor itself

    def browser_restarted(self) -> None:
        self._browser_restarts.inc()

    def set_notification_targets(self, names: Iterable[str]) -> None:
        """Start each configured target's failure counter at 0, so alerts see the first one."""
        for name in names:
            self._notification_failures.labels(target=label_text(name))

    def set_browser_up(self, up: bool) -> None:
        self._browser_up.set(1 if up else 0)

    def scheduler_lag(self, seconds: float) -> None:
        self._lag.observe(max(seconds, 0.0))

    def notification_failed(self, target: str) -> None:
        """An alert could not be delivered to `target`, a configured notifier's name."""
        self._notification_failures.labels(label_text(target)).inc()

    # ------------------------------------------------------------ label sets

    def _base(self, journey: Journey, device: str) -> _Base:
        return (journey.name, _site(journey), label_text(device), self.location)

    def _series_of(
        self,
        metric: Family[Any],
        base: _Base,
        *extra: str,
        step: str | None = None,
        budget: str | None = None,
    ) -> _Series:
        named = tuple(v for v in (step, budget) if v is not None)
        return _Series(metric, (*base, *named, *extra), step, budget)

    def _child(
        self,
        metric: Family[C],
        base: _Base,
        *extra: str,
        step: str | None = None,
        budget: str | None = None,
    ) -> C:
        """The child of `metric` for these labels, remembered so set_journeys can remove it."""
        series = self._series_of(metric, base, *extra, step=step, budget=budget)
        self._series.setdefault(base[0], set()).add(series)
        return metric.labels(*series.labels)


def _site(journey: Journey) -> str:
    # site_label falls back to base_url's host part, which can hold user:password@.
    return label_text(journey.site_label.rsplit("@", 1)[-1])


__all__ = ["CONTENT_TYPE", "CheckoutMetrics", "exposition", "http_class", "label_text"]
