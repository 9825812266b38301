"""The scheduler on a real event loop with a stand-in for the browser run."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

import pytest

from monitor import scheduler as scheduler_module
from monitor.journey import Journey
from monitor.result import Failure, FailureKind, RunResult
from monitor.scheduler import Scheduler


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduler_module, "FIRST_RUN_SPREAD", 0.2)
    monkeypatch.setattr(scheduler_module, "RETRY_DELAY", 0.01)


def journey(name: str, every: float = 1.0, retries: int = 1) -> Journey:
    return Journey.model_validate(
        {
            "name": name,
            "base_url": "http://127.0.0.1:1",
            "every": every,
            "retries": retries,
            "steps": [{"goto": "/"}],
        }
    )


def result(j: Journey, passed: bool, attempt: int) -> RunResult:
    failure = None if passed else Failure(FailureKind.TIMEOUT, "goto /", 0, "slow")
    return RunResult(
        j.name, j.site_label, j.device, time.time(), 0.01, passed, failure, attempt=attempt
    )


async def wait_until(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_a_journey_never_overlaps_itself_and_the_cap_holds() -> None:
    active: Counter[str] = Counter()
    most = {"total": 0, "self": 0}
    done: list[str] = []

    async def slow_run(j: Journey, attempt: int) -> RunResult:
        active[j.name] += 1
        most["self"] = max(most["self"], active[j.name])
        most["total"] = max(most["total"], sum(active.values()))
        await asyncio.sleep(1.3)  # longer than `every`
        active[j.name] -= 1
        return result(j, True, attempt)

    sched = Scheduler(
        slow_run, lambda j, r, n: done.append(j.name), concurrency=2, rng=random.Random(1)
    )
    sched.update([journey(f"j{i}") for i in range(4)])
    await wait_until(lambda: len(done) >= 6, seconds=10)
    await sched.stop()

    assert most == {"total": 2, "self": 1}


async def test_a_failure_is_retried_and_only_the_final_attempt_counts() -> None:
    seen: list[tuple[bool, int, int]] = []

    async def flaky(j: Journey, attempt: int) -> RunResult:
        return result(j, attempt > 1, attempt)  # the first attempt of each run fails

    sched = Scheduler(flaky, lambda j, r, n: seen.append((r.passed, r.attempt, n)))
    sched.update([journey("flaky", retries=1)])
    await wait_until(lambda: len(seen) >= 1)
    await sched.stop()

    assert seen[0] == (True, 2, 1)


async def test_without_retries_a_failure_counts_at_once() -> None:
    seen: list[tuple[bool, int]] = []

    async def broken(j: Journey, attempt: int) -> RunResult:
        return result(j, False, attempt)

    sched = Scheduler(broken, lambda j, r, n: seen.append((r.passed, n)))
    sched.update([journey("broken", retries=0), journey("twice", retries=2)])
    await wait_until(lambda: len(seen) >= 2)
    await sched.stop()

    assert sorted(seen) == [(False, 0), (False, 2)]


async def test_removed_journeys_stop_and_new_ones_start() -> None:
    runs: list[str] = []

    async def run(j: Journey, attempt: int) -> RunResult:
        runs.append(j.name)
        return result(j, True, attempt)

    sched = Scheduler(run, lambda j, r, n: None)
    sched.update([journey("old")])
    await wait_until(lambda: "old" in runs)
    sched.update([journey("new")])
    await wait_until(lambda: "new" in runs)
    count_old = runs.count("old")
    await asyncio.sleep(1.3)
    await sched.stop()

    assert runs.count("old") == count_old
    assert [j.name for j in sched.journeys] == []


async def test_a_crashing_run_does_not_stop_the_schedule() -> None:
    calls: list[int] = []

    async def crashing(j: Journey, attempt: int) -> RunResult:
        calls.append(attempt)
        if len(calls) == 1:
            raise RuntimeError("bug")
        return result(j, True, attempt)

    published: list[bool] = []
    sched = Scheduler(crashing, lambda j, r, n: published.append(r.passed))
    sched.update([journey("survivor")])
    await wait_until(lambda: published, seconds=4)
    await sched.stop()

    assert published == [True]
