"""Built-in alerts for owners without Prometheus: per-journey state, and delivery to targets.

`AlertState` decides (pure): a journey fires after `after_failures` consecutive failed runs,
resolves after `recover_after` passing ones, reminds at most every `repeat_every`. A single
blip never fires; our own `monitor_error` neither fires nor breaks a streak.
`Notifier` delivers (async): each target has its own queue and worker, retries with backoff,
and never blocks the scheduler; failed deliveries are logged and counted.

    >>> notifier = Notifier(config.alerts, status_url="http://127.0.0.1:9118")   # doctest: +SKIP
    >>> await notifier.start()                                                   # doctest: +SKIP
    >>> notifier.observe(journey, result)        # returns at once                # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

import aiohttp
from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential

from monitor.config import Alerts, Target
from monitor.journey import Journey
from monitor.result import FailureKind, RunResult

log = logging.getLogger(__name__)

Status = Literal["firing", "resolved"]
QUEUE_SIZE = 100  # per target; beyond it the oldest message is dropped (and logged)


@dataclass(frozen=True)
class Alert:
    """One message to send: a journey started, went on, or stopped failing."""

    status: Status
    journey: str
    site: str
    device: str
    location: str
    kind: str
    step: str
    reason: str
    since: float  # unix time of the first failure
    failures: int  # consecutive failed runs
    every: float  # the journey's interval, for Alertmanager's endsAt
    status_page: str
    screenshot: str | None = None
    at: float = field(default_factory=time.time)

    def text(self) -> str:
        since = datetime.fromtimestamp(self.since, UTC).strftime("%Y-%m-%d %H:%M UTC")
        if self.status == "resolved":
            return (
                f"RESOLVED: checkout journey {self.journey} ({self.site}, {self.device}) "
                f"works again; it had failed since {since}. {self.status_page}"
            )
        lines = [
            f"FIRING: checkout journey {self.journey} ({self.site}, {self.device}) is failing: "
            f"{self.kind} at step '{self.step}'",
            self.reason,
            f"Failing since {since}, {self.failures} runs in a row.",
            f"Status page: {self.status_page}",
        ]
        if self.screenshot:
            lines.append(f"Screenshot: {self.screenshot}")
        return "\n".join(lines)


@dataclass
class _Journey:
    failures: int = 0
    passes: int = 0
    firing: bool = False
    since: float = 0.0
    last_sent: float = 0.0


@dataclass
class AlertState:
    """Decides which alerts a run causes; knows nothing of delivery."""

    rules: Alerts
    status_url: str = ""
    artifact_url: Callable[[str], str | None] = lambda path: None
    clock: Callable[[], float] = time.time
    location: str = ""
    _journeys: dict[str, _Journey] = field(default_factory=dict)

    def observe(self, journey: Journey, result: RunResult) -> Alert | None:
        state = self._journeys.setdefault(journey.name, _Journey())
        now = self.clock()
        if result.failure_kind is FailureKind.MONITOR_ERROR:
            return None  # not the shop's doing: neither fires nor ends a streak
        if result.passed:
            state.failures, state.passes = 0, state.passes + 1
            if state.firing and state.passes >= self.rules.recover_after:
                state.firing = False
                return self._alert("resolved", journey, result, state)
            return None
        if state.failures == 0:
            state.since = result.started_at
        state.failures, state.passes = state.failures + 1, 0
        if not state.firing and state.failures >= self.rules.after_failures:
            state.firing, state.last_sent = True, now
            return self._alert("firing", journey, result, state)
        if state.firing and now - state.last_sent >= self.rules.repeat_every:
            state.last_sent = now
            return self._alert("firing", journey, result, state)
        return None

    def still_firing(self, journey: Journey, result: RunResult) -> Alert | None:
        """The alert a journey that keeps failing is firing, to repeat (Alertmanager)."""
        state = self._journeys.get(journey.name)
        if state is None or not state.firing or result.passed:
            return None
        return self._alert("firing", journey, result, state)

    def _alert(self, status: Status, journey: Journey, result: RunResult, state: _Journey) -> Alert:
        failure = result.failure
        shot = result.artifacts.get("screenshot")
        return Alert(
            status=status,
            journey=journey.name,
            site=journey.site_label,
            device=result.device,
            location=self.location,
            kind=failure.kind.value if failure else "",
            step=(failure.step or "") if failure else "",
            reason=failure.reason if failure else "passed",
            since=state.since,
            failures=state.failures,
            every=journey.every,
            status_page=f"{self.status_url}/#journey-{quote(journey.name)}",
            screenshot=(
                f"{self.status_url}{url}" if shot and (url := self.artifact_url(shot)) else None
            ),
            at=self.clock(),
        )


def payload(target: Target, alert: Alert) -> Any:
    """What one target receives for an alert."""
    if target.type == "slack":
        return {"text": alert.text()}
    if target.type == "alertmanager":
        # Alertmanager forgets an alert at endsAt unless told again; we re-send on every run.
        ends = alert.at if alert.status == "resolved" else alert.at + max(3 * alert.every, 300)
        labels = {
            "alertname": "CheckoutJourneyFailing",
            "journey": alert.journey,
            "site": alert.site,
            "device": alert.device,
            "severity": "page",
            "kind": alert.kind,
            "step": alert.step,
            "source": "checkout-monitor",
        }
        if alert.location:
            labels["location"] = alert.location
        return [
            {
                "labels": labels,
                "annotations": {
                    "summary": alert.text().splitlines()[0],
                    "description": alert.reason,
                    "status_page": alert.status_page,
                },
                "startsAt": datetime.fromtimestamp(alert.since, UTC).isoformat(),
                "endsAt": datetime.fromtimestamp(ends, UTC).isoformat(),
                "generatorURL": alert.status_page,
            }
        ]
    return {
        "status": alert.status,
        "journey": alert.journey,
        "site": alert.site,
        "device": alert.device,
        "location": alert.location,
        "kind": alert.kind,
        "step": alert.step,
        "reason": alert.reason,
        "since": datetime.fromtimestamp(alert.since, UTC).isoformat(),
        "failures": alert.failures,
        "status_page": alert.status_page,
        "screenshot": alert.screenshot,
        "text": alert.text(),
    }


def _endpoint(target: Target) -> str:
    return f"{target.url}/api/v2/alerts" if target.type == "alertmanager" else target.url


@dataclass
class Notifier:
    """Deliver alerts to every target without ever holding up a journey."""

    rules: Alerts
    state: AlertState
    on_failure: Callable[[str], None] = lambda target: None
    backoff_seconds: float = 1.0
    _queues: dict[str, asyncio.Queue[Alert]] = field(default_factory=dict)
    _workers: list[asyncio.Task[None]] = field(default_factory=list)
    _session: aiohttp.ClientSession | None = None
    delivered: int = 0

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        for target in self.rules.targets:
            queue: asyncio.Queue[Alert] = asyncio.Queue(maxsize=QUEUE_SIZE)
            self._queues[target.name] = queue
            self._workers.append(
                asyncio.create_task(self._work(target, queue), name=f"notify:{target.name}")
            )

    def observe(self, journey: Journey, result: RunResult) -> Alert | None:
        alert = self.state.observe(journey, result)
        if alert is not None:
            for queue in self._queues.values():
                self._put(queue, alert)
            return alert
        # Alertmanager forgets a firing alert unless it is repeated: tell it on every run.
        repeat = self.state.still_firing(journey, result)
        if repeat is not None:
            for target in self.rules.targets:
                if target.type == "alertmanager":
                    self._put(self._queues[target.name], repeat)
        return None

    def _put(self, queue: asyncio.Queue[Alert], alert: Alert) -> None:
        if queue.full():
            dropped = queue.get_nowait()
            log.warning(
                "alert queue full: dropped the %s alert of %s", dropped.status, dropped.journey
            )
        queue.put_nowait(alert)

    async def _work(self, target: Target, queue: asyncio.Queue[Alert]) -> None:
        while True:
            alert = await queue.get()
            try:
                await self._deliver(target, alert)
                self.delivered += 1
            except Exception as exc:  # every failure to deliver is counted, never raised
                self.on_failure(target.name)
                log.error(
                    "could not deliver the %s alert of %s to %s: %s",
                    alert.status,
                    alert.journey,
                    target.name,
                    exc,
                )

    async def _deliver(self, target: Target, alert: Alert) -> None:
        assert self._session is not None
        body = payload(target, alert)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.rules.retries + 1),
            wait=wait_exponential(multiplier=self.backoff_seconds, max=60),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                timeout = aiohttp.ClientTimeout(total=target.timeout)
                async with self._session.post(
                    _endpoint(target), json=body, headers=target.headers, timeout=timeout
                ) as answer:
                    if answer.status >= 300:
                        raise RuntimeError(f"{target.name} answered HTTP {answer.status}")

    async def stop(self) -> None:
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()
        if self._session is not None:
            await self._session.close()
