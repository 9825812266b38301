"""Built-in alerts: when they fire, resolve and repeat; delivery that retries and never blocks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from conftest import TIMED

from monitor.alerts import AlertState, Notifier, payload
from monitor.config import Alerts, Target, load_config
from monitor.errors import JourneyError
from monitor.journey import Journey
from monitor.result import Failure, FailureKind, RunResult

JOURNEY = Journey.model_validate(
    {"name": "checkout", "site": "shop", "base_url": "http://127.0.0.1:1", "steps": [{"goto": "/"}]}
)


def run(
    passed: bool, kind: FailureKind = FailureKind.PAYMENT_DECLINED, at: float = 0.0
) -> RunResult:
    failure = None if passed else Failure(kind, "pay", 5, "step 'pay': card declined: 'No'")
    return RunResult("checkout", "shop", "Desktop Chrome", at, 3.0, passed, failure)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def state(**rules: Any) -> tuple[AlertState, Clock]:
    clock = Clock()
    return AlertState(Alerts(**rules), status_url="http://mon:9118", clock=clock), clock


def test_fires_only_after_n_consecutive_failures() -> None:
    alerts, _ = state(after_failures=3)
    assert alerts.observe(JOURNEY, run(False, at=10)) is None
    assert alerts.observe(JOURNEY, run(False)) is None
    fired = alerts.observe(JOURNEY, run(False))
    assert fired is not None and fired.status == "firing"
    assert (fired.kind, fired.step, fired.failures, fired.since) == (
        "payment_declined",
        "pay",
        3,
        10,
    )
    assert fired.status_page == "http://mon:9118/#journey-checkout"


def test_resolves_on_recovery() -> None:
    alerts, _ = state(after_failures=1)
    alerts.observe(JOURNEY, run(False))
    resolved = alerts.observe(JOURNEY, run(True))
    assert resolved is not None and resolved.status == "resolved"
    assert alerts.observe(JOURNEY, run(True)) is None


def test_single_blips_never_fire() -> None:
    alerts, _ = state(after_failures=2)
    outcomes = [False, True, False, True, False, True, False, True]
    assert [alerts.observe(JOURNEY, run(p)) for p in outcomes] == [None] * len(outcomes)


def test_reminders_come_no_more_often_than_the_repeat_interval() -> None:
    alerts, clock = state(after_failures=1, repeat_every=600)
    assert alerts.observe(JOURNEY, run(False)) is not None
    clock.now += 300
    assert alerts.observe(JOURNEY, run(False)) is None
    clock.now += 301
    repeat = alerts.observe(JOURNEY, run(False))
    assert repeat is not None and repeat.status == "firing" and repeat.failures == 3


def test_our_own_errors_neither_fire_nor_break_a_streak() -> None:
    alerts, _ = state(after_failures=2)
    assert alerts.observe(JOURNEY, run(False)) is None
    assert alerts.observe(JOURNEY, run(False, FailureKind.MONITOR_ERROR)) is None
    assert alerts.observe(JOURNEY, run(False)) is not None


def test_messages_say_what_a_person_needs() -> None:
    alerts, _ = state(after_failures=1)
    fired = alerts.observe(JOURNEY, run(False))
    assert fired is not None
    text = payload(Target(name="chat", type="slack", url="http://x"), fired)["text"]
    for needed in (
        "checkout",
        "payment_declined",
        "'pay'",
        "card declined",
        "since",
        "http://mon:9118/#journey-checkout",
    ):
        assert needed in text
    (am,) = payload(Target(name="am", type="alertmanager", url="http://x"), fired)
    assert am["labels"]["journey"] == "checkout" and am["labels"]["kind"] == "payment_declined"
    assert am["endsAt"] > am["startsAt"]


Receiver = Callable[[web.Request], Awaitable[web.Response]]


async def receiver(handler: Receiver) -> TestServer:
    app = web.Application()
    app.router.add_post("/hook", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def wait_until(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_delivery_retries_a_receiver_that_fails_twice() -> None:
    calls: list[dict[str, Any]] = []

    async def flaky(request: web.Request) -> web.Response:
        calls.append(await request.json())
        return web.Response(status=503 if len(calls) <= 2 else 200)

    server = await receiver(flaky)
    failures: list[str] = []
    rules = Alerts(
        after_failures=1,
        retries=3,
        targets=[Target(name="ops", type="webhook", url=str(server.make_url("/hook")))],
    )
    notifier = Notifier(rules, AlertState(rules), on_failure=failures.append, backoff_seconds=0.01)
    await notifier.start()
    try:
        notifier.observe(JOURNEY, run(False))
        await wait_until(lambda: notifier.delivered == 1)
    finally:
        await notifier.stop()
        await server.close()

    assert len(calls) == 3 and failures == []
    assert calls[-1]["status"] == "firing" and calls[-1]["journey"] == "checkout"


@TIMED
async def test_a_hanging_receiver_never_delays_journeys_and_is_counted() -> None:
    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response()

    server = await receiver(hang)
    failures: list[str] = []
    rules = Alerts(
        after_failures=1,
        retries=0,
        targets=[
            Target(name="slow", type="webhook", url=str(server.make_url("/hook")), timeout=0.3)
        ],
    )
    notifier = Notifier(rules, AlertState(rules), on_failure=failures.append)
    await notifier.start()
    try:
        began = time.monotonic()
        notifier.observe(JOURNEY, run(False))
        notifier.observe(JOURNEY, run(True))
        assert time.monotonic() - began < 0.05
        await wait_until(lambda: len(failures) == 2)
    finally:
        await notifier.stop()
        await server.close()

    assert failures == ["slow", "slow"]


def test_config_file_errors_name_file_line_and_fix(tmp_path: Path) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(
        "alerts:\n  after_failure: 2\n  targets:\n    - {name: ops, type: pager, url: 'http://x'}\n"
    )
    with pytest.raises(JourneyError) as caught:
        load_config(config, env={})
    text = str(caught.value)
    assert f"{config}:2:3: alerts.after_failure: unknown key" in text
    assert "did you mean 'after_failures'" in text
    assert f"{config}:4:" in text and "alerts.targets[0].type" in text


def test_config_reads_environment_variables(tmp_path: Path) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text("alerts:\n  targets:\n    - {name: chat, type: slack, url: '${HOOK}'}\n")
    loaded = load_config(config, env={"HOOK": "https://hooks.example/T0/B0"})
    assert loaded.alerts.targets[0].url == "https://hooks.example/T0/B0"
