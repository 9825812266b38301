"""Recent results per journey, in memory: what the status page and `/api/runs` show.

>>> history = History(keep=50)
>>> history.record(result)                        # doctest: +SKIP
>>> history.status("demo-guest-checkout").state   # doctest: +SKIP
'failing'
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from monitor.journey import Journey
from monitor.result import RunResult


@dataclass
class JourneyStatus:
    """One journey as the status page shows it."""

    journey: Journey
    recent: deque[RunResult]
    running: bool = False
    next_run_at: float | None = None  # unix time
    failing_since: float | None = None  # unix time of the first failure in the current streak
    consecutive_failures: int = 0

    @property
    def last(self) -> RunResult | None:
        return self.recent[-1] if self.recent else None

    @property
    def state(self) -> str:
        """`passing`, `failing`, `over_budget` or `pending` (not run yet)."""
        last = self.last
        if last is None:
            return "pending"
        if last.passed:
            return "passing"
        return "over_budget" if last.failure_kind == "budget_exceeded" else "failing"


@dataclass
class History:
    keep: int = 50
    _journeys: dict[str, JourneyStatus] = field(default_factory=dict)

    def track(self, journeys: Iterable[Journey]) -> None:
        """Follow exactly these journeys; keep the history of those that stay."""
        wanted = {j.name: j for j in journeys}
        for name in list(self._journeys):
            if name not in wanted:
                del self._journeys[name]
        for name, journey in wanted.items():
            if name in self._journeys:
                self._journeys[name].journey = journey
            else:
                self._journeys[name] = JourneyStatus(journey, deque(maxlen=self.keep))

    def record(self, result: RunResult) -> None:
        status = self._journeys.get(result.journey)
        if status is None:
            return  # the journey was removed while it ran
        status.recent.append(result)
        if result.passed:
            status.failing_since, status.consecutive_failures = None, 0
        else:
            if status.failing_since is None:
                status.failing_since = result.started_at
            status.consecutive_failures += 1

    def status(self, name: str) -> JourneyStatus | None:
        return self._journeys.get(name)

    def statuses(self) -> list[JourneyStatus]:
        return sorted(self._journeys.values(), key=lambda s: s.journey.name)

    def recent(self, name: str | None = None, limit: int = 50) -> list[RunResult]:
        """Newest first, across all journeys unless one is named."""
        pools = (
            [self._journeys[name]]
            if name in self._journeys
            else ([] if name is not None else list(self._journeys.values()))
        )
        runs = [r for s in pools for r in s.recent]
        runs.sort(key=lambda r: r.started_at, reverse=True)
        return runs[:limit]
