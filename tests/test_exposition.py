"""The fast /metrics text: the same numbers prometheus_client's own renderer would write."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from test_metrics import failed, make_journey, passed

from monitor.exposition import Buckets, Families, Family, exposition
from monitor.metrics import CheckoutMetrics
from monitor.result import FailureKind, HttpError, PageLoad, ResourceClass, StepResult

Reading = set[tuple[str, str, str, tuple[tuple[str, str], ...], float]]


def reading(text: bytes) -> Reading:
    """Every sample as Prometheus' text parser reads it, `_created` left out."""
    return {
        (family.name, family.type, s.name, tuple(sorted(s.labels.items())), s.value)
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
        if not s.name.endswith("_created")
    }


def test_fast_text_reads_the_same_as_prometheus_clients_rendering() -> None:
    registry = CollectorRegistry()
    metrics = CheckoutMetrics(registry, location="eu-west")
    journeys = [make_journey("checkout"), make_journey("phone", device="iPhone 13")]
    metrics.set_journeys(journeys)
    steps = (StepResult(0, "home", "goto", 0.25, True), StepResult(1, "pay", "click", 3, True))
    loads = (PageLoad("https://shop.example/", "home", 0.05, 0.4, 1.0, 1.2, 0.01, 0.08),)
    errors = (HttpError("https://shop.example/api", 502, ResourceClass.API, "POST", "pay"),)
    for journey in journeys:
        metrics.observe(journey, passed(journey, steps=steps, page_loads=loads), retries=1)
        metrics.observe(journey, failed(journey, FailureKind.PAYMENT_ERROR, http_errors=errors))
    metrics.scheduler_lag(0.3)
    metrics.notification_failed("ops")

    body, _ = exposition(registry)

    assert reading(body) == reading(generate_latest(registry))
    assert len(reading(body)) > 200


def test_label_values_are_escaped_once_and_read_back_intact() -> None:
    registry = CollectorRegistry()
    odd = Family("odd_thing", 'Help with "quotes" \\ and\nlines.', "gauge", ("step",))
    registry.register(Families([odd]))
    odd.labels('say "hi" \\ then\nleave').set(2)

    body, _ = exposition(registry)

    assert body.startswith(b'# HELP odd_thing Help with "quotes" \\\\ and\\nlines.\n')
    assert reading(body) == {
        ("odd_thing", "gauge", "odd_thing", (("step", 'say "hi" \\ then\nleave'),), 2.0)
    }


def test_a_value_on_a_bucket_bound_counts_in_that_bucket() -> None:
    registry = CollectorRegistry()
    family: Family[Buckets] = Family(
        "step_seconds", "Steps.", "histogram", ("step",), buckets=(0.5, 1)
    )
    registry.register(Families([family]))
    for seconds in (0.5, 1.0, 7.0):
        family.labels("pay").observe(seconds)

    buckets = {
        labels[0][1]: value
        for _, _, name, labels, value in reading(exposition(registry)[0])
        if name == "step_seconds_bucket"
    }

    assert buckets == {"0.5": 1, "1.0": 2, "+Inf": 3}
    assert registry.get_sample_value("step_seconds_count", {"step": "pay"}) == 3
    assert registry.get_sample_value("step_seconds_sum", {"step": "pay"}) == 8.5


def test_removed_label_sets_and_empty_families_are_not_written() -> None:
    registry = CollectorRegistry()
    runs = Family("runs", "Runs.", "counter", ("journey",))
    other = Family("other", "Never used.", "gauge", ("journey",))
    registry.register(Families([runs, other]))
    runs.labels("a").inc()
    runs.labels("b").inc(2)
    runs.remove("a")

    text = exposition(registry)[0].decode()

    assert text.splitlines() == [
        "# HELP runs_total Runs.",
        "# TYPE runs_total counter",
        'runs_total{journey="b"} 2.0',
    ]


def test_counters_only_go_up() -> None:
    runs = Family("runs", "Runs.", "counter", ("journey",))
    with pytest.raises(ValueError, match="only goes up"):
        runs.labels("a").inc(-1)
    with pytest.raises(ValueError, match="cannot be set"):
        runs.labels("a").set(3)


def test_families_share_a_registry_with_prometheus_client_metrics_without_created() -> None:
    registry = CollectorRegistry()
    restarts = Counter("restarts_total", "Restarts.", registry=registry)
    restarts.inc()
    registry.register(Families([Family("runs", "Runs.", "counter", ("journey",))]))

    text = exposition(registry)[0].decode()

    assert "restarts_total 1.0" in text
    assert "_created" not in text
