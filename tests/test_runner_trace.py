"""Which runs are traced, and which traces are kept: a failure always comes with a trace, a
passing run pays nothing for tracing, and secrets never reach a trace. The one re-play of a
failed run also takes its filmstrip's frames (test_filmstrip.py has the rest of that)."""

from __future__ import annotations

import asyncio
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from conftest import JourneyRunner, load_journey, quick_journey
from local_site import Answer, local_site
from playwright.async_api._generated import Tracing

from monitor.demo import DemoShopThread
from monitor.journey import Journey
from monitor.result import FailureKind, ReplayOutcome, RunResult, StepResult
from monitor.runner import Runner, StepListener

pytestmark = pytest.mark.browser

GUEST = "journeys/demo-guest-checkout.yaml"
CARD = "4242424242424242"


@pytest.fixture
def guest(shop: DemoShopThread) -> Iterator[Journey]:
    yield load_journey(GUEST, {"SHOP_URL": shop.url}, timeout=4.0)


def trace_texts(path: str) -> list[str]:
    with zipfile.ZipFile(path) as trace:
        return [trace.read(name).decode("utf-8", "replace") for name in trace.namelist()]


def traces(result: RunResult) -> dict[str, str]:
    return {key: path for key, path in result.artifacts.items() if key.startswith("trace")}


def heal_when_failed(shop: DemoShopThread) -> StepListener:
    """An on_step listener that switches the shop's faults off once a step has failed: the
    failure is gone by the time anything plays the journey again."""

    def listener(journey: Journey, step: StepResult) -> None:
        if not step.passed:
            shop.set_faults([])

    return listener


def test_a_passing_run_is_not_traced(
    journey_runner: JourneyRunner, guest: Journey, tmp_path: Path
) -> None:
    result = journey_runner.run(guest, artifacts_dir=tmp_path)

    assert result.passed, result.failure
    assert result.artifacts == {} and result.replay is None
    assert list(tmp_path.rglob("*")) == []  # no trace written and thrown away either


def test_a_failure_is_replayed_for_its_trace_and_secrets_stay_out_of_it(
    journey_runner: JourneyRunner, shop: DemoShopThread, guest: Journey
) -> None:
    shop.set_faults(["decline-all"])

    result = journey_runner.run(guest)

    assert result.failure_kind is FailureKind.PAYMENT_DECLINED
    assert set(result.artifacts) >= {"screenshot", "html", "trace"}  # the re-play failed alike
    assert result.replay is not None and result.replay.outcome is ReplayOutcome.FAILED_ALIKE
    trace = Path(result.artifacts["trace"])
    assert trace.parent == Path(result.artifacts["screenshot"]).parent
    texts = trace_texts(str(trace))
    assert any("Pay now" in text for text in texts)  # it is a trace of the checkout
    assert not [text for text in texts if CARD in text]  # typed into a card field: masked


def test_a_replay_that_passes_says_so(
    journey_runner: JourneyRunner, shop: DemoShopThread, guest: Journey
) -> None:
    shop.set_faults(["decline-all"])

    result = journey_runner.run(guest, on_step=heal_when_failed(shop))

    assert result.failure_kind is FailureKind.PAYMENT_DECLINED  # the first run's result stands
    assert list(traces(result)) == ["trace (re-play passed)"]
    assert result.replay is not None and result.replay.outcome is ReplayOutcome.PASSED
    assert result.replay.failure is None
    assert Path(result.artifacts["trace (re-play passed)"]).stat().st_size > 0


def test_one_replay_brings_the_trace_and_the_frames(
    journey_runner: JourneyRunner, shop: DemoShopThread, guest: Journey
) -> None:
    shop.set_faults(["decline-all"])

    result = journey_runner.run(guest, filmstrip="on-failure")

    assert result.failure_kind is FailureKind.PAYMENT_DECLINED
    assert list(traces(result)) == ["trace"]
    own = [f for f in result.filmstrip if not f.replay]
    replayed = [f for f in result.filmstrip if f.replay]
    assert [(f.step, f.at_failure) for f in own] == [("pay", True)]
    assert len(replayed) >= 5 and replayed[0].step_index == 0  # from the first step on
    assert "pay" in [f.step for f in replayed] and not any(f.at_failure for f in replayed)
    folder = Path(result.artifacts["trace"]).parent
    assert {Path(f.path).parent for f in result.filmstrip} == {folder}


def test_retain_on_failure_keeps_the_failing_runs_own_trace(
    journey_runner: JourneyRunner, shop: DemoShopThread, guest: Journey
) -> None:
    shop.set_faults(["decline-all"])

    result = journey_runner.run(guest, trace="retain-on-failure", on_step=heal_when_failed(shop))

    assert result.failure_kind is FailureKind.PAYMENT_DECLINED
    assert list(traces(result)) == ["trace"]  # not re-played: the fault is gone since
    assert any("Your card was declined" in text for text in trace_texts(result.artifacts["trace"]))


def test_a_retry_is_traced_from_its_start(
    journey_runner: JourneyRunner, shop: DemoShopThread, guest: Journey
) -> None:
    shop.set_faults(["decline-all"])

    result = journey_runner.run(guest, attempt=2, on_step=heal_when_failed(shop))

    assert result.failure_kind is FailureKind.PAYMENT_DECLINED
    assert list(traces(result)) == ["trace"]


def test_no_replay_when_the_caller_retries_itself(
    journey_runner: JourneyRunner, shop: DemoShopThread, guest: Journey
) -> None:
    shop.set_faults(["decline-all"])

    result = journey_runner.run(guest, attempt=1)  # as serve runs a first attempt

    assert result.failure_kind is FailureKind.PAYMENT_DECLINED
    assert traces(result) == {} and result.replay is None  # the caller's retry will be traced
    assert {"screenshot", "html"} <= set(result.artifacts)


def test_card_fields_are_found_and_masked_without_being_declared(
    journey_runner: JourneyRunner, shop: DemoShopThread, guest: Journey
) -> None:
    undeclared = guest.model_copy()
    undeclared._secret_values = ()  # TEST_CARD not named a secret: found as a card field
    shop.set_faults(["decline-all"])

    result = journey_runner.run(undeclared)

    assert result.failure_kind is FailureKind.PAYMENT_DECLINED
    html = Path(result.artifacts["html"]).read_text()
    texts = [html, *trace_texts(result.artifacts["trace"])]
    assert not [t for t in texts if CARD in t or "4242 4242 4242 4242" in t]
    assert not [t for t in texts if "12/34" in t]  # the expiry field (autocomplete cc-exp)


LOGIN = """<form method=post action=/login>
  <label>Password <input type=password id=pw name=password></label><button>Log in</button>
  </form>"""


def test_a_password_with_quotes_and_backslashes_stays_out_of_the_kept_trace(
    journey_runner: JourneyRunner,
) -> None:
    # A trace is JSON: there a typed `"` is `\"` and `\` is `\\`. Found as a password field,
    # not declared; the run fails, so its re-play's trace and the page's HTML are kept.
    secret = 'zq"Pw\\ö<&>1'
    steps = [
        {"goto": "/"},
        {"fill": {"#pw": secret}},
        {"click": {"role": "button", "name": "Log in"}},
        {"expect": {"text": "Welcome"}, "timeout": "1s"},
    ]
    wrong = Answer(body="<h1>Wrong password</h1>")
    with local_site({"/": Answer(body=LOGIN), "/login": wrong}) as url:
        result = journey_runner.run(quick_journey("login", url, steps))

    assert result.failure is not None and result.failure.step_index == 3, result.failure
    kept = [Path(result.artifacts["html"]).read_text(), *trace_texts(result.artifacts["trace"])]
    assert any('\\"' in text for text in kept)  # the trace holds escaped strings
    assert not [text for text in kept if "zq" in text]


def test_a_run_stopped_while_its_trace_is_written_leaves_no_unmasked_trace(
    journey_runner: JourneyRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # serve stopping cancels the runs in progress. The browser writes a trace's zip whether or
    # not anyone still waits for it: a run stopped just then must not leave it unmasked.
    secret = "Stopped-Midway-Pw7"
    site_steps = [{"goto": "/"}, {"fill": {"#pw": secret}}]
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    artifacts = tmp_path / "artifacts"
    writing = threading.Event()
    original = Tracing.stop

    async def stop(self: Tracing, *, path: str | Path | None = None) -> None:
        job = asyncio.ensure_future(original(self, path=path))
        while path is not None and not Path(path).exists() and not job.done():
            await asyncio.sleep(0.001)  # until the browser has begun to write the zip
        writing.set()
        await job

    monkeypatch.setattr(Tracing, "stop", stop)

    async def stopped_while_writing(journey: Journey) -> None:
        runner = Runner(
            journey_runner.browser, journey_runner.devices, artifacts_dir=artifacts, trace="always"
        )
        run = asyncio.ensure_future(runner.run(journey))
        await asyncio.get_running_loop().run_in_executor(None, writing.wait, 30)
        run.cancel()
        with suppress(asyncio.CancelledError):
            await run
        await asyncio.sleep(1.0)  # the browser has finished any zip it was writing

    with local_site({"/": Answer(body=LOGIN)}) as url:
        journey_runner._call(stopped_while_writing(quick_journey("stopped", url, site_steps)))

    assert writing.is_set()
    zips = list(artifacts.rglob("*.zip"))
    assert [z.name for z in zips] == ["trace.zip"]  # kept: it was masked, not dropped
    assert any("Password" in text for text in trace_texts(str(zips[0])))
    assert not [text for text in trace_texts(str(zips[0])) if secret in text]
    assert list((tmp_path / "tmp").iterdir()) == []  # the browser's own zip is gone
