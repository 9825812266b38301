"""When each journey runs: its own interval, spread out, a cap on runs at once, retries.

Each journey has one loop task, so a journey never overlaps itself. The first runs are spread
over a short window and every interval gets a little jitter, so journeys don't fire together.
A failed run is retried up to the journey's `retries` before it counts; only the final attempt
is reported, with the number of retries it took.

    >>> scheduler = Scheduler(run_journey=run, on_result=publish, concurrency=2)  # doctest: +SKIP
    >>> scheduler.update(journeys)       # start, replace or stop loops to match   # doctest: +SKIP
    >>> await scheduler.stop()                                                     # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

from monitor.journey import Journey
from monitor.result import RunResult

log = logging.getLogger(__name__)

RunJourney = Callable[[Journey, int], Awaitable[RunResult]]
ResultListener = Callable[[Journey, RunResult, int], None]
StateListener = Callable[[str, bool, float | None], None]  # journey, running, next run (unix)

FIRST_RUN_SPREAD = 10.0  # seconds over which the first runs are spread
JITTER = 0.05  # each interval varies by up to ±5% ...
MAX_JITTER = 15.0  # ... but never by more than 15 s
RETRY_DELAY = 1.0  # seconds before a failed run is tried again


@dataclass
class Scheduler:
    run_journey: RunJourney
    on_result: ResultListener
    concurrency: int = 2
    on_lag: Callable[[float], None] | None = None
    on_state: StateListener | None = None
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=random.Random)
    _journeys: dict[str, Journey] = field(default_factory=dict)
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _limit: asyncio.Semaphore | None = None

    @property
    def limit(self) -> asyncio.Semaphore:
        if self._limit is None:
            self._limit = asyncio.Semaphore(max(1, self.concurrency))
        return self._limit

    def update(self, journeys: Sequence[Journey]) -> None:
        """Run exactly these journeys. A changed journey keeps its place in the schedule and
        uses its new definition from its next run; a removed one stops after its current run."""
        wanted = {j.name: j for j in journeys}
        for name in list(self._tasks):
            if name not in wanted:
                self._tasks.pop(name).cancel()
                self._journeys.pop(name, None)
        for name, journey in wanted.items():
            self._journeys[name] = journey
            if name not in self._tasks:
                self._tasks[name] = asyncio.create_task(self._loop(name), name=f"journey:{name}")

    @property
    def journeys(self) -> list[Journey]:
        return list(self._journeys.values())

    async def stop(self) -> None:
        """Cancel every loop; runs in progress are cancelled (their contexts close)."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        self._journeys.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task

    async def _loop(self, name: str) -> None:
        first = self._journeys[name]
        due = self.clock() + self.rng.uniform(0, min(first.every, FIRST_RUN_SPREAD))
        while name in self._journeys:
            self._state(name, False, due)
            await asyncio.sleep(max(0.0, due - self.clock()))
            journey = self._journeys.get(name)
            if journey is None:
                return
            try:
                result, retries = await self._attempts(journey, due)
                self.on_result(journey, result, retries)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must not stop this journey's schedule
                log.exception("scheduler: run of %s failed unexpectedly", name)
            every = journey.every
            due = max(due + every, self.clock())  # after a long outage, don't catch up in a burst
            due += self.rng.uniform(-1.0, 1.0) * min(every * JITTER, MAX_JITTER)

    async def _attempts(self, journey: Journey, due: float) -> tuple[RunResult, int]:
        attempt = 1
        while True:
            async with self.limit:
                if attempt == 1 and self.on_lag is not None:
                    self.on_lag(max(0.0, self.clock() - due))
                self._state(journey.name, True, None)
                try:
                    result = await self.run_journey(journey, attempt)
                finally:
                    self._state(journey.name, False, None)
            if result.passed or attempt > journey.retries:
                return result, attempt - 1
            log.info(
                "%s failed (%s), retry %d of %d",
                journey.name,
                result.failure_kind,
                attempt,
                journey.retries,
            )
            attempt += 1
            await asyncio.sleep(RETRY_DELAY)

    def _state(self, name: str, running: bool, due: float | None) -> None:
        if self.on_state is None:
            return
        next_run = None if due is None else self.wall_clock() + max(0.0, due - self.clock())
        self.on_state(name, running, next_run)
