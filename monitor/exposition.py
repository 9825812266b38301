"""Labelled metric families kept as plain numbers, and a /metrics text rendered fast from them.

prometheus_client builds a `Sample` and a label dict for every number on every scrape, then
validates and escapes each label again: about 30 µs a series, 5 s for the 160,000 series of 500
journeys. A `Family` escapes a label set once, when it is created, so a scrape only formats
numbers (about 1 µs a series). Families also give ordinary `Metric`s with samples, so
`registry.get_sample_value` and any other reader of the registry see the same numbers.

    >>> from prometheus_client import CollectorRegistry
    >>> registry = CollectorRegistry()
    >>> runs = Family("checkout_journey_runs", "Runs.", "counter", ("journey", "result"))
    >>> registry.register(Families([runs]))
    >>> runs.labels("checkout", "passed").inc()
    >>> print(exposition(registry)[0].decode(), end="")
    # HELP checkout_journey_runs_total Runs.
    # TYPE checkout_journey_runs_total counter
    checkout_journey_runs_total{journey="checkout",result="passed"} 1.0
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Generic, Literal, TypeVar, cast

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # what generate_latest writes

Kind = Literal["counter", "gauge", "histogram"]

# A number as Go writes it (+Inf, 1e+09), so our text reads like prometheus_client's own.
go_float = cast("Callable[[float], str]", floatToGoString)


def _label_value(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


class Number:
    """The value of one label set of a counter or gauge."""

    __slots__ = ("_counter", "_line", "value")

    def __init__(self, line: str, counter: bool) -> None:
        self._line = line  # 'name{labels} '
        self._counter = counter
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        if self._counter and amount < 0:
            raise ValueError("a counter only goes up")
        self.value += amount

    def set(self, value: float) -> None:
        if self._counter:
            raise ValueError("a counter cannot be set")
        self.value = float(value)

    def text(self) -> str:
        return f"{self._line}{go_float(self.value)}\n"

    def samples(self, name: str, labels: dict[str, str]) -> list[Sample]:
        return [Sample(name, labels, self.value)]


class Buckets:
    """The counts of one label set of a histogram: per bucket (not cumulative), sum, count."""

    __slots__ = ("_bounds", "_lines", "counts", "sum")

    def __init__(self, bounds: Sequence[float], lines: list[str]) -> None:
        self._bounds = bounds  # ends with +Inf
        self._lines = lines  # one per bucket, then _sum and _count: 'name_bucket{..,le=".."} '
        self.counts = [0] * len(bounds)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        # bisect_left: a value equal to a bound belongs in that bound's bucket (le = "<=").
        self.counts[bisect_left(self._bounds, value)] += 1
        self.sum += value

    def _cumulative(self) -> list[int]:
        total, out = 0, []
        for count in self.counts:
            total += count
            out.append(total)
        return out

    def text(self) -> str:
        # Counts as whole numbers, as client_golang writes them; the sum as Go writes a float.
        counts = [str(total) for total in self._cumulative()]
        values = [*counts, go_float(self.sum), counts[-1]]  # ..., _sum, _count (the +Inf bucket)
        return "".join(f"{line}{value}\n" for line, value in zip(self._lines, values, strict=True))

    def samples(self, name: str, labels: dict[str, str]) -> list[Sample]:
        cumulative = self._cumulative()
        out = [
            Sample(f"{name}_bucket", labels | {"le": go_float(bound)}, float(value))
            for bound, value in zip(self._bounds, cumulative, strict=True)
        ]
        out.append(Sample(f"{name}_count", labels, float(cumulative[-1])))
        out.append(Sample(f"{name}_sum", labels, self.sum))
        return out


C = TypeVar("C", Number, Buckets)


class Family(Generic[C]):
    """A counter, gauge or histogram with labels: `labels(...)` gives the child to update.

    `name` is the family's name as prometheus_client's `Metric` has it: a counter's without
    `_total`. No `_created` series: the text format has no use for them.

        >>> steps = Family("checkout_step_seconds", "Step times.", "histogram", ("step",),
        ...                buckets=(0.5, 1))
        >>> steps.labels("pay").observe(0.7)
        >>> [s.value for s in steps.metric().samples]
        [0.0, 1.0, 1.0, 1.0, 0.7]
    """

    def __init__(
        self,
        name: str,
        documentation: str,
        kind: Kind,
        labelnames: Sequence[str],
        buckets: Sequence[float] = (),
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.kind: Kind = kind
        self.labelnames = tuple(labelnames)
        self._bounds = (*sorted(float(b) for b in buckets), float("inf"))
        self._children: dict[tuple[str, ...], C] = {}
        shown = f"{name}_total" if kind == "counter" else name
        help_text = documentation.replace("\\", r"\\").replace("\n", r"\n")
        self._header = f"# HELP {shown} {help_text}\n# TYPE {shown} {kind}\n"

    def labels(self, *values: str) -> C:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self._new(values)
        return child

    def remove(self, *values: str) -> None:
        self._children.pop(values, None)

    def _new(self, values: tuple[str, ...]) -> C:
        if len(values) != len(self.labelnames):
            raise ValueError(f"{self.name}: {len(self.labelnames)} label values expected")
        labels = ",".join(
            f'{name}="{_label_value(value)}"'
            for name, value in zip(self.labelnames, values, strict=True)
        )
        if self.kind != "histogram":
            shown = f"{self.name}_total" if self.kind == "counter" else self.name
            return Number(f"{shown}{{{labels}}} ", self.kind == "counter")  # type: ignore[return-value]
        lines = [f'{self.name}_bucket{{{labels},le="{go_float(b)}"}} ' for b in self._bounds]
        lines += [f"{self.name}_sum{{{labels}}} ", f"{self.name}_count{{{labels}}} "]
        return Buckets(self._bounds, lines)  # type: ignore[return-value]

    def _snapshot(self) -> list[tuple[tuple[str, ...], C]]:
        # list() of a dict is one step under the GIL: safe while the event loop adds children.
        return list(self._children.items())

    def text(self) -> str:
        """The family in Prometheus text format, HELP and TYPE first (nothing without series)."""
        children = self._snapshot()
        if not children:
            return ""
        return self._header + "".join(child.text() for _, child in children)

    def metric(self) -> Metric:
        """The family as prometheus_client's `Metric`, samples and all."""
        metric = Metric(self.name, self.documentation, self.kind)
        sample_name = f"{self.name}_total" if self.kind == "counter" else self.name
        for values, child in self._snapshot():
            labels = dict(zip(self.labelnames, values, strict=True))
            metric.samples.extend(child.samples(sample_name, labels))
        return metric


class _Rendered(Metric):
    """What `Families.collect` yields: a Metric whose text comes straight from its family."""

    def __init__(self, family: Family[Number] | Family[Buckets]) -> None:
        super().__init__(family.name, family.documentation, family.kind)
        self.family = family

    @property
    def samples(self) -> list[Sample]:
        return self.family.metric().samples

    @samples.setter
    def samples(self, _: list[Sample]) -> None:
        """Metric.__init__ starts with an empty list; the samples come from the family."""


class Families(Collector):
    """Families on a registry: `registry.register(Families([...]))`."""

    def __init__(self, families: Iterable[Family[Number] | Family[Buckets]]) -> None:
        self.families = list(families)

    def describe(self) -> Iterable[Metric]:
        return [Metric(f.name, f.documentation, f.kind) for f in self.families]

    def collect(self) -> Iterable[Metric]:
        return [_Rendered(family) for family in self.families]


class _Only(Collector):
    """One metric of another collector without its `_created` samples.

    In the text format those are plain gauges holding a start time: one extra series per
    label set that no query here uses (Prometheus reads created timestamps from
    OpenMetrics/protobuf only), and disabling them in prometheus_client is process-global.
    """

    def __init__(self, metric: Metric) -> None:
        self.metric = metric

    def collect(self) -> Iterator[Metric]:
        created = f"{self.metric.name}_created"
        kept = Metric(self.metric.name, self.metric.documentation, self.metric.type)
        kept.samples = [s for s in self.metric.samples if s.name != created]
        yield kept


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The registry in Prometheus text format, and the Content-Type to send it with.

    Families render themselves; anything else on the registry goes through prometheus_client,
    without `_created` series. The type is text 0.0.4, which every scraper reads.
    prometheus_client 0.26's CONTENT_TYPE_LATEST says 1.0.0, which its own handlers send only
    to scrapers asking for it.
    """
    parts: list[bytes] = []
    for metric in registry.collect():
        if isinstance(metric, _Rendered):
            parts.append(metric.family.text().encode())
        else:
            parts.append(generate_latest(_Only(metric)))
    return b"".join(parts), CONTENT_TYPE
