"""The observer seam: each measurement beside the steps sees every step once, in order, with
what the look after it read, fills in its part of the result, and can never fail a run."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import pytest
from conftest import JourneyRunner, quick_journey
from local_site import Answer, local_site
from playwright.async_api import BrowserContext, Page

from monitor.broken_images import BrokenImages
from monitor.observers import RunContext, StepSeen
from monitor.result import RunResult

pytestmark = pytest.mark.browser

PAGE = "<title>Shop</title><h1>Welcome</h1><img src=/gone.png><a href=/next>Next</a>"
NEXT = "<title>Next</title><h1>Next page</h1>"


@dataclass
class Diary:
    """A test observer: writes down what it was called with."""

    calls: list[str] = field(default_factory=list)
    looks: list[str] = field(default_factory=list)

    async def attach(self, context: BrowserContext) -> None:
        self.calls.append("attach")

    async def after_step(self, seen: StepSeen) -> None:
        self.calls.append(f"{seen.index}:{seen.action}:{'failed' if seen.failed else 'ok'}")
        self.looks.append(seen.look.snapshot["url"] if seen.look and seen.look.snapshot else "")

    async def finish(self, result: RunResult, page: Page | None) -> RunResult:
        self.calls.append("finish")
        return replace(result, dismissed={"diary": len(self.calls)})


class Broken:
    async def attach(self, context: BrowserContext) -> None:
        pass

    async def after_step(self, seen: StepSeen) -> None:
        raise RuntimeError("a bug in a measurement")

    async def finish(self, result: RunResult, page: Page | None) -> RunResult:
        raise AssertionError("dropped after its first failure: never asked again")


def test_an_observer_sees_every_step_in_order_and_fills_in_the_result(
    journey_runner: JourneyRunner,
) -> None:
    diary = Diary()
    with local_site({"/": Answer(body=PAGE), "/next": Answer(body=NEXT)}) as url:
        journey = quick_journey(
            "observed",
            url,
            [{"goto": "/"}, {"click": {"text": "Next"}}, {"expect": {"text": "Nowhere"}}],
            timeout="1s",
        )
        result = journey_runner.run(
            journey, trace="off", observers=[lambda run: diary, BrokenImages.for_run]
        )
    assert diary.calls == ["attach", "0:goto:ok", "1:click:ok", "2:expect:failed", "finish"]
    assert diary.looks == [f"{url}/", f"{url}/next", f"{url}/next"]
    assert result.dismissed == {"diary": 5}
    assert result.broken_images == (f"{url}/gone.png",)


def test_a_failing_observer_never_fails_the_run(
    journey_runner: JourneyRunner, caplog: pytest.LogCaptureFixture
) -> None:
    def made(run: RunContext) -> Broken:
        assert run.journey.name == "observed" and run.folder is None
        return Broken()

    with local_site({"/": Answer(body=PAGE), "/next": Answer(body=NEXT)}) as url:
        journey = quick_journey("observed", url, [{"goto": "/"}, {"click": {"text": "Next"}}])
        with caplog.at_level(logging.ERROR):
            result = journey_runner.run(journey, artifacts_dir=None, observers=[made])
    assert result.passed, result.failure
    assert "observer Broken failed in after_step" in caplog.text


def test_an_observer_can_stay_out_of_a_run(journey_runner: JourneyRunner) -> None:
    with local_site({"/": Answer(body=PAGE)}) as url:
        journey = quick_journey("observed", url, [{"goto": "/"}])
        result = journey_runner.run(journey, trace="off", observers=[lambda run: None])
    assert result.passed and result.broken_images == ()
