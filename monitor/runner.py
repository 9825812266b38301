"""Play one journey in a fresh browser context and say what the shopper went through.

One Chromium per process, a new context (no cookies, no cache) per run. Steps run in order;
the first that fails ends the run. A failing shop is a RunResult, never an exception: anything
that escapes `Runner.run` is a bug in the monitor.

    >>> runner = Runner(browser, devices, artifacts_dir=Path("artifacts"))   # doctest: +SKIP
    >>> result = await runner.run(journey)                                  # doctest: +SKIP
    >>> result.passed, result.failure_kind, result.clicks                   # doctest: +SKIP
    (False, <FailureKind.PAYMENT_DECLINED: 'payment_declined'>, 5)
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

from playwright.async_api import Browser, BrowserContext, Locator, Page
from playwright.async_api import Error as PlaywrightError

from monitor.artifacts import SENSITIVE_FIELDS, RunFolder, mask_zip, write_masked_text
from monitor.browser import context_options
from monitor.classify import FailedStep, Observation, Problem, classify
from monitor.gates import RequestRules, gate_options
from monitor.journey import (
    ClickStep,
    ExpectContentStep,
    ExpectStep,
    FillStep,
    FilmstripMode,
    Journey,
    RememberStep,
    ScreenshotStep,
    StepBase,
    WaitStep,
)
from monitor.observers import Factory, Observers, RunContext, StepSeen
from monitor.probes import (
    FRAME_SECONDS,
    INIT_SCRIPT,
    AfterStep,
    DevTools,
    Recorder,
    after_step,
    find_visible_text,
    locate,
    visible_text_in_frames,
)
from monitor.result import (
    BudgetBreach,
    ContentCheck,
    Failure,
    FailureKind,
    Replay,
    ReplayOutcome,
    RunResult,
    StepResult,
    mask,
)
from monitor.steps import StepContext, Typed, perform, perform_trial, sensitive

log = logging.getLogger(__name__)
T = TypeVar("T")

TraceMode = Literal["off", "on-failure", "retain-on-failure", "always"]
StepListener = Callable[[Journey, StepResult], None]
LAST_LOOK_SETTLE_MS = 500  # the last page's first frame, for its LCP (see probes.snapshot)
# Steps that read the page or type into it: they cannot take the shopper to another document,
# so the look after the step before (which fields were secret; the page's load, timing, broken
# images) may still be going on while they act. Any other step first waits for that look: it
# may leave the page. (A screenshot waits too: it must know which fields to black out.)
STAYS_ON_PAGE = (ExpectStep, RememberStep, ExpectContentStep, FillStep)
# Steps that only look or wait: what the browser does meanwhile (an answer arriving, a console
# error) is the doing of the step that last acted.
ONLY_LOOKS = (ExpectStep, WaitStep, RememberStep, ExpectContentStep, ScreenshotStep)
BOUNDED_SECONDS = 10.0  # for page calls Playwright gives no timeout of their own
NAVIGATING_SECONDS = 1.0  # for a look at a page whose next document has not answered yet
WATCH_EVERY = 0.5  # seconds between looks for error or declined text while a step waits
DISMISS_TIMEOUT_MS = 5000  # for clicking a `dismiss` overlay away


@dataclass
class Runner:
    """Runs journeys in one browser. Safe to call `run` concurrently (one context each).

    `trace` says which runs record a Playwright trace (DOM snapshots, no screencast) and which
    traces are kept. Recording costs time in every step, so by default a run is not traced:

    - "on-failure": a run plays untraced; when it fails, it is re-played once with tracing and
      that trace is kept (`artifacts["trace"]`, or a key saying the re-play passed or failed
      otherwise); the first play's result stands. A caller that retries failed runs itself
      (serve, `retries:`) passes `attempt`: nothing is re-played (a re-play would delay the
      result that alerts wait for), a retry (attempt ≥ 2) is traced from its start.
    - "retain-on-failure": every run traced, the trace kept when the run failed (the failing
      run's own trace, at a cost on every run).
    - "always": every run traced and kept. "off": none.

    The filmstrip's "on-failure" (a journey's `filmstrip:`, else `filmstrip`) re-plays a failed
    run the same way, for its frames: a run takes none but the one at its failure, and the
    re-play takes a frame after each step that changed the screen (traced only when `trace`
    asks as above). Without `attempt` and with `artifacts_dir` only; otherwise every run takes
    its frames and a failed run keeps them (see filmstrip.py). How the re-play went is the
    result's `replay`.
    """

    browser: Browser
    devices: Mapping[str, Any]
    artifacts_dir: Path | None = None
    trace: TraceMode = "on-failure"
    location: str = ""
    on_step: StepListener | None = None
    stop_before_payment: bool = False  # for every journey, as `stop_before: payment` does
    observers: Sequence[Factory] | None = None  # the measurements beside the steps; None: all
    # For journeys that don't say (see filmstrip.py). Off unless asked: frames cost Chromium
    # CPU on every run (`run` asks for on-failure, `serve` leaves it off).
    filmstrip: FilmstripMode = "off"
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    # A run's result is ready before its browser context has closed: with this, `run` returns
    # it at once and the context closes meanwhile (the next run need not wait); the caller
    # awaits `contexts_closed()` before closing the browser.
    close_later: bool = False
    # At most this many runs act at once (None: as many as are called). A run takes a slot
    # before it opens its context. One whose steps all passed gives it back when they are
    # done: while its last look waits for the last page's first frame (for its LCP), the
    # next run opens its context and page, and starts its first step once this run has
    # ended and its context has closed (what it measures shares the browser with nobody
    # more than it would have). A failing run keeps its slot for its captures and re-play.
    slots: asyncio.Semaphore | None = None
    _closing: set[asyncio.Task[None]] = field(default_factory=set, init=False, repr=False)
    # Runs that gave back their slot and have not ended (their context not closed yet).
    _finishing: set[asyncio.Event] = field(default_factory=set, init=False, repr=False)

    async def run(self, journey: Journey, attempt: int | None = None) -> RunResult:
        """Play the journey once. `attempt`: which attempt this is when the caller retries
        failed runs `journey.retries` times itself; None for a run that stands alone."""
        traced = self.artifacts_dir is not None and (
            self.trace in ("always", "retain-on-failure")
            or (self.trace == "on-failure" and (attempt or 1) > 1)
        )
        follows = attempt is None and self._replays_on_failure(journey, traced)
        slot = _Slot(self.slots)
        await slot.take()
        try:
            play = _Play(self, journey, attempt or 1, slot, traced=traced, replay_follows=follows)
            result = await self._play(play)
            failed = not result.passed and result.failure_kind is not FailureKind.MONITOR_ERROR
            if follows and failed:
                # (A monitor error has no browser to play in, and the shop is not to blame.)
                await slot.take()
                result = await self._replay(
                    journey, result, slot, traced=self._traces_replay(traced)
                )
        finally:
            slot.give_back()
        return result

    def _replays_on_failure(self, journey: Journey, traced: bool) -> bool:
        """A run that fails is played once more, for its trace or for its filmstrip, when
        its files are kept: see the class's docstring."""
        films = (journey.filmstrip or self.filmstrip) == "on-failure"
        return self.artifacts_dir is not None and (self._traces_replay(traced) or films)

    def _traces_replay(self, traced: bool) -> bool:
        return not traced and self.trace == "on-failure"

    async def _replay(
        self, journey: Journey, first: RunResult, slot: _Slot, traced: bool
    ) -> RunResult:
        """Play a failed run again, for its trace (`traced`) and its filmstrip's frames: the
        first run's result stands, with what the re-play found added."""
        again = await self._play(
            _Play(self, journey, first.attempt, slot, traced=traced, replay_of=first)
        )
        if again.passed:
            outcome = ReplayOutcome.PASSED
        elif _where(again) == _where(first):
            outcome = ReplayOutcome.FAILED_ALIKE
        else:
            outcome = ReplayOutcome.FAILED_OTHERWISE
        artifacts = first.artifacts
        trace = again.artifacts.get("trace")
        if trace is not None:
            key = TRACE_KEYS[outcome]
            artifacts = {**artifacts, key: trace}
        log.info(
            "%s: the failed run re-played (%s, %d frames): %s",
            journey.name,
            "traced" if traced else "untraced",
            len(again.filmstrip),
            outcome.value,
        )
        return replace(
            first,
            artifacts=artifacts,
            filmstrip=first.filmstrip + again.filmstrip,
            replay=Replay(outcome, again.failure),
        )

    async def _play(self, play: _Play) -> RunResult:
        journey = play.journey
        limit = run_time_limit(journey)
        try:
            return await asyncio.wait_for(play.run(), timeout=limit)
        except TimeoutError:
            # Every step has its own timeout, so only a hung browser gets here.
            log.error("%s did not finish within %.0fs: the browser hangs", journey.name, limit)
            return play.crashed(
                TimeoutError(f"the run did not finish within {limit:.0f}s"), "the browser hangs"
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("monitor error while running %s", journey.name)
            return play.crashed(exc)

    def close_meanwhile(self, context: BrowserContext) -> asyncio.Future[None]:
        closing = asyncio.ensure_future(_close_context(context))
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)
        return closing

    async def contexts_closed(self) -> None:
        """Wait for the contexts of finished runs to close (see `close_later`)."""
        while self._closing:
            await asyncio.wait(set(self._closing))

    def context_options(self, journey: Journey) -> dict[str, Any]:
        options = context_options(self.devices, journey.device)
        if journey.viewport is not None:
            options["viewport"] = {
                "width": journey.viewport.width,
                "height": journey.viewport.height,
            }
        if journey.locale:
            options["locale"] = journey.locale
        options["service_workers"] = "block"  # a cached worker would hide the real network
        options.update(gate_options(journey, options.get("user_agent")))
        return options


# The re-play's trace, by how the re-play went: "trace" is a trace of the failure itself.
TRACE_KEYS = {
    ReplayOutcome.FAILED_ALIKE: "trace",
    ReplayOutcome.FAILED_OTHERWISE: "trace (re-play failed otherwise)",
    ReplayOutcome.PASSED: "trace (re-play passed)",
}


async def _close_context(context: BrowserContext) -> None:
    with suppress(PlaywrightError, TimeoutError):
        await asyncio.wait_for(context.close(), timeout=15)


def _where(result: RunResult) -> tuple[FailureKind | None, str | None]:
    failure = result.failure
    return (failure.kind, failure.step) if failure is not None else (None, None)


def run_time_limit(journey: Journey) -> float:
    """Longest a run may take: every step's timeout, plus room to look and save artifacts."""
    steps = sum(step.timeout or journey.timeout for step in journey.steps)
    return steps + 60.0


async def bounded(work: Awaitable[T], default: T, seconds: float = BOUNDED_SECONDS) -> T:
    """A look at the page that cannot hang the run (a crashed renderer never answers)."""
    try:
        return await asyncio.wait_for(work, timeout=seconds)
    except TimeoutError:
        log.warning("the page did not answer within %.0fs", seconds)
        return default


class _Slot:
    """A run's place among those that act at once (`Runner.slots`), held until given back."""

    def __init__(self, slots: asyncio.Semaphore | None) -> None:
        self.slots = slots
        self.held = False

    async def take(self) -> None:
        if self.slots is not None and not self.held:
            await self.slots.acquire()
            self.held = True

    def give_back(self) -> None:
        if self.slots is not None and self.held:
            self.held = False
            self.slots.release()


@dataclass
class _Play:
    runner: Runner
    journey: Journey
    attempt: int
    slot: _Slot
    traced: bool = False
    replay_of: RunResult | None = None  # a re-play of this failed run, for its trace or frames
    replay_follows: bool = False  # the Runner re-plays this play if it fails
    steps: list[StepResult] = field(default_factory=list)
    failed: FailedStep | None = None
    payment_step: int | None = None
    confirmed: bool = False
    clicks: int = 0
    actions: int = 0
    context: BrowserContext | None = None
    recorder: Recorder | None = None
    artifacts: dict[str, str] = field(default_factory=dict)
    masked_fields: list[Locator] = field(default_factory=list)
    _breaches: list[BudgetBreach] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.started_at, self.t0 = self.runner.wall_clock(), self.runner.clock()
        self.names = self.journey.step_names()
        self.content_checks: list[ContentCheck] = []
        self.stopped = False
        self.secret_list: list[str] = list(self.journey.secret_values)
        self.memory = self.journey.run_values(self.secret_list.append, self.started_at)
        self.rules: RequestRules | None = None
        self.page: Page | None = None
        self.devtools: DevTools | None = None  # reads the pages' top documents (see probes)
        self.observers = Observers([])  # made per play, once the context is open
        self.dismissed: dict[str, int] = {}
        self.looking: asyncio.Future[None] | None = None  # the looks after steps, in order
        self.shown_error: _ShownError | None = None  # the first error text a look found
        self.unanswered: tuple[str, float] | None = None  # the page that never came, and wait
        self.ahead = tuple(self.runner._finishing)  # runs this one waits for before its steps
        self.finishing: asyncio.Event | None = None  # when this run gave back its slot

    @property
    def secrets(self) -> tuple[str, ...]:
        """Declared secrets and whatever was typed into password or card fields so far."""
        return tuple(self.secret_list)

    @property
    def folder(self) -> RunFolder | None:
        """Where this run's artifacts go; a re-play's trace and frames go beside the failed
        run's."""
        root = self.runner.artifacts_dir
        started_at = self.replay_of.started_at if self.replay_of else self.started_at
        return RunFolder(root, self.journey.name, started_at, self.attempt) if root else None

    async def run(self) -> RunResult:
        try:
            self.context = await asyncio.wait_for(
                self.runner.browser.new_context(**self.runner.context_options(self.journey)),
                timeout=30,
            )
        except (PlaywrightError, TimeoutError) as exc:
            return self.crashed(exc, "could not open a browser context")
        try:
            return await self._play(self.context)
        finally:
            if self.looking is not None:
                self.looking.cancel()
            if self.devtools is not None:
                self.devtools.close()
            if self.runner.close_later:
                closing = self.runner.close_meanwhile(self.context)
                closing.add_done_callback(lambda _: self._ended())
            else:
                try:
                    await _close_context(self.context)
                finally:
                    self._ended()

    def _ended(self) -> None:
        """This run's context has closed: a run that waits for it may start its steps."""
        if self.finishing is not None:
            self.finishing.set()
            self.runner._finishing.discard(self.finishing)

    async def _play(self, context: BrowserContext) -> RunResult:
        tracing = self.traced and self.folder is not None
        # A re-play is for the failed run's trace and frames: its observers keep no other files.
        replay = self.replay_of is not None
        self.observers = Observers.for_run(
            RunContext(
                self.journey,
                None if replay else self.folder,
                self.secret_list,
                self.masked_fields,
                self.runner.filmstrip,
                replay_of=self.folder if replay else None,
                replay_follows=self.replay_follows,
                left=self._document_left,
            ),
            self.runner.observers,
        )
        # The context's scripts, bindings, routes and listeners, all at once (each is a call to
        # the browser that waits for no other), in place before its first page opens.
        rules = asyncio.ensure_future(RequestRules.attach(context, self.journey))
        setup: list[Awaitable[object]] = [
            rules,
            context.add_init_script(INIT_SCRIPT),
            self.observers.attach(context),
        ]
        if tracing:
            # No screencast: its frames could show typed secrets. DOM snapshots are masked.
            setup.append(context.tracing.start(snapshots=True, screenshots=False))
        await asyncio.gather(*setup)
        self.rules = rules.result()
        page = self.page = await asyncio.wait_for(context.new_page(), timeout=30)
        self.devtools = DevTools(context)
        self.devtools.open(page)  # beside the first page's load, for the look after it
        self.recorder = Recorder(context, page, self.secret_list)
        self.recorder.attach()
        await self._emulate_network(context, page)
        await self._add_dismissers(page)
        for ahead in self.ahead:  # what this run measures does not overlap their ends
            await ahead.wait()
        for index, step in enumerate(self.journey.steps):
            await self._follow_popup(context)  # a tab opened late by the step before
            if not isinstance(step, STAYS_ON_PAGE):
                await self._looked()  # the page this step may leave has been measured
            if self._failed_on_error_text():
                break
            if step.payment and self._stops_before_payment:
                await self._check_pay_step(self.page, index, step)
                break
            if not await self._step(self.page, index, step):
                break
            await self._follow_popup(context)
        if self.failed is None and self.shown_error is None and self.slot.held:
            # Only the last look and the result are left: the next run may open its page.
            self.finishing = asyncio.Event()
            self.runner._finishing.add(self.finishing)
            self.slot.give_back()
        await self._looked()
        self._failed_on_error_text()
        result = await self._finish(self.page)
        if tracing:
            keep = not result.passed or self.runner.trace == "always" or self.replay_of is not None
            await self._save_trace(context, keep=keep)
        return self._with_artifacts(result)

    def _document_left(self, snapshot: dict[str, Any]) -> None:
        """A top document's vitals as the shopper left it (RunContext.left)."""
        if self.recorder is not None:
            self.recorder.note_left(snapshot)

    async def _step(self, page: Page, index: int, step: StepBase) -> bool:
        assert self.recorder is not None
        name = self.names[index]
        self.recorder.enter_step(index, name, acts=not isinstance(step, ONLY_LOOKS))
        if step.payment:
            self.payment_step = index
        timeout = step.timeout or self.journey.timeout
        began = self.clock()
        deadline = began + timeout
        context = StepContext(
            page,
            self.journey,
            step,
            deadline,
            self.clock,
            self.folder if self.replay_of is None else None,  # the failed run's shots stand
            self.masked_fields,
            secret_list=self.secret_list,
            memory=self.memory,
            content_checks=self.content_checks,
            name=name,
            documents_answered=lambda: self.recorder.top_documents_answered if self.recorder else 0,
            navigating=self.recorder.top_document_pending,
            devtools=self.devtools,
        )
        dismissed_before = sum(self.dismissed.values())
        problem = await self._act_watching(context)
        if problem is not None and problem.kind != "monitor":
            await self._stop_unanswered(context.page)
            if self.unanswered is not None and problem.kind == "timeout":
                url = self.unanswered[0]
                problem = Problem("timeout", f"the page {url} did not answer within {timeout:g}s")
        took = round(self.clock() - began, 4)
        if problem is None or problem.kind != "monitor":
            # After a failed step there is nothing left to wait for: the page is read as it is.
            settle_by = deadline if problem is None else self.clock()
            self._look_later(context.page, settle_by, index, context.typed, problem is not None)
        if problem is not None:
            if problem.kind == "monitor":  # no look at the page: mask rather than leak
                self.secret_list += [t.value for t in context.typed]
            await self._looked()  # every secret typed so far is known before the reason is kept
        if problem is None and (status := self._error_status_now(index)) is not None:
            # The shopper is looking at an error page: no need to wait for the next step.
            problem = Problem("assertion", f"the page answered HTTP {status}")
        clicks = context.clicks + sum(self.dismissed.values()) - dismissed_before
        self.clicks += clicks
        self.actions += context.actions
        result = StepResult(
            index,
            name,
            step.ACTION,
            took,
            problem is None,
            clicks,
            mask(problem.message, self.secrets) if problem else None,
            skipped=context.skipped,
        )
        self.steps.append(result)
        if context.screenshot:
            self.artifacts[f"screenshot:{context.screenshot.stem}"] = str(context.screenshot)
        if self.runner.on_step is not None and self.replay_of is None:
            self.runner.on_step(self.journey, result)
        if problem is not None:
            self.failed = FailedStep(index, name, problem)
            return False
        self.confirmed = self.confirmed or step.confirms_order
        return True

    def clock(self) -> float:
        return self.runner.clock()

    async def _follow_popup(self, context: BrowserContext) -> None:
        """A link that opened a new tab takes the shopper there: so do we."""
        assert self.recorder is not None and self.page is not None
        opened = [p for p in context.pages if not p.is_closed()]
        if opened and opened[-1] is not self.page:
            self.page = self.recorder.page = opened[-1]
            if self.devtools is not None:
                self.devtools.open(self.page)  # for the look after this step
            await self._emulate_network(context, self.page)
            await self._add_dismissers(self.page)

    async def _add_dismissers(self, page: Page) -> None:
        """Click away the journey's `dismiss` overlays whenever one is in a step's way.

        Playwright runs the handler before an action or expectation whenever the overlay is
        visible, then waits for it to go. Each click counts as a shopper's click."""
        for target in self.journey.dismiss:
            described = target.describe()

            async def dismiss(overlay: Locator, described: str = described) -> None:
                await overlay.click(timeout=DISMISS_TIMEOUT_MS)
                self.dismissed[described] = self.dismissed.get(described, 0) + 1

            with suppress(PlaywrightError):
                await page.add_locator_handler(locate(page, target), dismiss)

    @property
    def _stops_before_payment(self) -> bool:
        return self.journey.stop_before == "payment" or self.runner.stop_before_payment

    async def _check_pay_step(self, page: Page, index: int, step: StepBase) -> None:
        """`stop_before: payment`: the pay button must be there and usable; it is not pressed."""
        assert self.recorder is not None
        self.stopped = True
        if not isinstance(step, ClickStep):
            return  # nothing to try without acting
        name = self.names[index]
        self.recorder.enter_step(index, name)
        began = self.clock()
        deadline = began + (step.timeout or self.journey.timeout)
        context = StepContext(
            page, self.journey, step, deadline, self.clock, secret_list=self.secret_list
        )
        problem = await perform_trial(context)
        self.steps.append(
            StepResult(
                index,
                name,
                "check usable",
                round(self.clock() - began, 4),
                problem is None,
                0,
                problem.message if problem else None,
            )
        )
        if problem is not None:
            self.failed = FailedStep(index, name, problem)

    async def _emulate_network(self, context: BrowserContext, page: Page) -> None:
        """Throttle like the shopper's network (Chromium's DevTools network emulation)."""
        journey = self.journey
        profile = journey.network_profile
        if profile is None:
            return
        session = await context.new_cdp_session(page)
        await session.send("Network.enable")
        await session.send(
            "Network.emulateNetworkConditions",
            {
                "offline": journey.network == "offline",
                "latency": profile.latency_ms,
                "downloadThroughput": profile.download_kbps * 1000 / 8,
                "uploadThroughput": profile.upload_kbps * 1000 / 8,
            },
        )

    def _look_later(
        self, page: Page, deadline: float, index: int, typed: list[Typed], failed: bool
    ) -> None:
        """Look at the page after a step, beside the steps that follow and stay on the page;
        then the observers see the step."""
        before = self.looking

        async def look() -> None:
            if before is not None:
                await before
            in_frames = [t for t in typed if t.frames]
            on_top = [t for t in typed if not t.frames]
            looking = self._look_after_step(page, deadline, index, on_top)
            if in_frames:  # the frames' fields and the top document are read at once
                framed, seen = await asyncio.gather(
                    sensitive(page, in_frames), looking, return_exceptions=True
                )
                # Unread: every value typed into a frame counts (mask rather than leak).
                self._note_secrets(framed if isinstance(framed, list) else in_frames)
                if isinstance(seen, BaseException):
                    raise seen
            else:
                seen = await looking
            action = self.journey.steps[index].ACTION
            await self.observers.after_step(
                StepSeen(index, self.names[index], action, page, seen, failed)
            )

        self.looking = asyncio.ensure_future(look())

    async def _looked(self) -> None:
        """Wait for the looks after the steps so far."""
        looking, self.looking = self.looking, None
        if looking is not None:
            await looking

    def _note_secrets(self, typed: list[Typed]) -> None:
        """Values typed into password or card fields: masked everywhere, as declared secrets."""
        for secret in typed:
            if secret.value not in self.secret_list:
                self.secret_list.append(secret.value)
            self.masked_fields.append(secret.field)

    async def _look_after_step(
        self, page: Page, deadline: float, index: int, typed: list[Typed]
    ) -> AfterStep | None:
        """One round trip: which values typed went into password or card fields; the page
        settles (until the step's deadline: slow is measured, not failed); its timing, vitals,
        broken images and any of the journey's error texts are read (in its frames too)."""
        assert self.recorder is not None and self.devtools is not None
        step = self.names[index]
        wait = max(0.0, deadline - self.clock())
        values = tuple(t.value for t in typed)
        texts = tuple(self.journey.error_page_text)
        # A page whose next document has not answered cannot be read until it does.
        grace = NAVIGATING_SECONDS if self.recorder.top_document_pending() else BOUNDED_SECONDS
        # The last look waits longer for the page's first frame: no step follows to read it.
        settle = LAST_LOOK_SETTLE_MS if index == len(self.journey.steps) - 1 else 0
        look = after_step(self.devtools, page, deadline, self.clock, values, texts, settle)
        seen = await bounded(look, None, wait + grace)
        if seen is None:
            self._note_secrets(typed)  # the page could not be read: mask rather than leak
            return None
        self._note_secrets([t for t in typed if t.value in seen.sensitive])
        shown = seen.error_text or await visible_text_in_frames(page, list(texts), FRAME_SECONDS)
        if shown and self.shown_error is None:
            # The step whose call failed led there, if it came before this one (an SPA shows
            # a failed API call's error a moment after the click that sent it).
            sent = self.recorder.first_server_error_step()
            if sent is not None and 0 <= sent < index:
                index, step = sent, self.names[sent]
            self.shown_error = _ShownError(index, step, shown)
        self.recorder.note_snapshot(seen.snapshot, step)
        return seen

    def _failed_on_error_text(self) -> bool:
        """A look found one of the journey's error texts: the run fails at the step that led
        there, even when every step so far came true (an `expect` can match text that sits on
        an error page)."""
        shown = self.shown_error
        if shown is None:
            return self.failed is not None
        failed = self.failed
        if failed is not None and (failed.problem.kind == "monitor" or failed.index < shown.index):
            return True
        problem = Problem("error_text", f"the page shows '{shown.text}'")
        self.failed = FailedStep(shown.index, shown.name, problem)
        if failed is None or failed.index != shown.index:
            self.steps = [
                replace(s, passed=False, error=problem.message) if s.index == shown.index else s
                for s in self.steps
            ]
        return True

    async def _stop_unanswered(self, page: Page) -> None:
        """A step failed while the page it opened has not answered: note which page and how
        long the shopper waited, then stop loading it (Chromium's DevTools call), so the page
        the shopper still looks at can be read and captured instead of hanging every look."""
        pending = self.recorder.pending_document() if self.recorder else None
        if pending is None or page.is_closed():
            return
        self.unanswered = pending
        with suppress(PlaywrightError, TimeoutError):
            session = await page.context.new_cdp_session(page)
            await asyncio.wait_for(session.send("Page.stopLoading"), NAVIGATING_SECONDS)
            await session.detach()

    def _error_status_now(self, index: int) -> int | None:
        recorder = self.recorder
        assert recorder is not None
        status = recorder.last_document_status
        step = recorder.last_document_step
        if status is not None and status >= 400 and step is not None and step[0] == index:
            return status
        return None

    async def _act_watching(self, context: StepContext) -> Problem | None:
        """Run the step; meanwhile, look for error or declined text so a failure is seen when
        the shopper sees it, not when the step's timeout runs out."""
        texts = list(self.journey.error_page_text)
        if self.payment_step is not None and not self.confirmed:
            texts += self.journey.steps[self.payment_step].declined_text
        action = asyncio.ensure_future(perform(context))
        if not texts:
            return await action
        watcher = asyncio.ensure_future(_watch_for(context.page, texts, self.devtools))
        try:
            done, _ = await asyncio.wait({action, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            watcher.cancel()
        if action in done:
            return action.result()
        action.cancel()
        with suppress(asyncio.CancelledError, PlaywrightError):
            await action
        shown = watcher.result()
        return Problem("assertion", f"the page shows '{shown}'")

    async def _finish(self, page: Page) -> RunResult:
        recorder = self.recorder
        assert recorder is not None
        self._breaches = self._budget_breaches() if self.failed is None else []
        seen = await self._observe(page)
        failure = classify(seen)
        secrets = self.secrets
        captures = failure is not None and failure.kind is not FailureKind.BUDGET_EXCEEDED
        if captures and self.replay_of is None:  # a re-play is for the trace and the frames
            await self._capture(page)
        result = RunResult(
            journey=self.journey.name,
            site=self.journey.site_label,
            device=self.journey.device,
            location=self.runner.location,
            started_at=self.started_at,
            duration_seconds=round(self.clock() - self.t0, 4),
            passed=failure is None,
            failure=_masked(failure, self.secrets),
            steps=tuple(self.steps),
            clicks=self.clicks,
            actions=self.actions,
            pages_visited=len(recorder.documents),
            page_loads=tuple(recorder.page_loads()),
            # Masked again: a field is known to be a card field only once the page was looked at.
            http_errors=tuple(replace(e, url=mask(e.url, secrets)) for e in recorder.http_errors),
            failed_requests=tuple(
                replace(f, url=mask(f.url, secrets), error=mask(f.error, secrets))
                for f in recorder.failed_requests
            ),
            console_errors=tuple(
                replace(c, text=mask(c.text, secrets)) for c in recorder.console_errors
            ),
            budgets_exceeded=tuple(self._breaches) if failure is not None else (),
            payment_attempted=self.payment_step is not None and not self.stopped,
            order_confirmed=self.confirmed,
            stopped_before_payment=self.stopped,
            content_checks=tuple(self.content_checks),
            attempt=self.attempt,
            dismissed=dict(self.dismissed),
            blocked=dict(self.rules.blocked) if self.rules else {},
        )
        return await self.observers.finish(result, None if page.is_closed() else page)

    async def _observe(self, page: Page) -> Observation:
        recorder = self.recorder
        assert recorder is not None
        failed = self.failed
        if failed is not None and recorder.last_document_error and failed.problem.kind != "monitor":
            failed = FailedStep(
                failed.index,
                failed.name,
                Problem(
                    "navigation",
                    f"{recorder.last_document_url} could not be loaded",
                    net_error=recorder.last_document_error,
                ),
            )
        error_text = declined = None
        api_errors: list[str] = []
        pending: list[str] = []
        good = 0
        shown = self.shown_error
        if shown is not None:
            error_text = shown.text
        elif failed is not None:
            error_text = await bounded(
                find_visible_text(page, list(self.journey.error_page_text)), None
            )
            if self.payment_step is not None:
                payment = self.journey.steps[self.payment_step]
                declined = await bounded(find_visible_text(page, list(payment.declined_text)), None)
                api_errors, good = recorder.answers_since(self.payment_step)
                pending = recorder.pending_since(self.payment_step)
        pay_name = self.names[self.payment_step] if self.payment_step is not None else ""
        return Observation(
            step=failed,
            payment_step=self.payment_step,
            payment_step_name=pay_name,
            document_step=recorder.last_document_step,
            confirms_order=any(s.confirms_order for s in self.journey.steps),
            order_confirmed=self.confirmed,
            document_status=recorder.last_document_status if failed else None,
            document_url=recorder.last_document_url,
            error_text=error_text,
            error_text_step=(shown.index, shown.name) if shown is not None else self._sent_5xx(),
            unanswered_page=self.unanswered,
            declined_text=declined,
            payment_api_errors=tuple(api_errors),
            payment_pending=tuple(pending),
            payment_requests_ok=good,
            page_errors=tuple(self._page_errors_since(failed)),
            server_errors=tuple(
                recorder.answers_since(max(0, failed.index - 1), shop_only=True)[0]
                if failed
                else ()
            ),
            refusals=tuple(recorder.refusals_since(self._refusals_from(failed)) if failed else ()),
            sign_in_page=await self._sign_in_page(page) if failed else None,
            budgets_exceeded=tuple(b.detail for b in self._breaches) if failed is None else (),
            stopped_before_payment=self.stopped,
            refused=self.rules.refused if self.rules else None,
        )

    def _sent_5xx(self) -> tuple[int, str] | None:
        """The step that sent the first call of this page the shop's server failed."""
        sent = self.recorder.first_server_error_step() if self.recorder else None
        return (sent, self.names[sent]) if sent is not None and sent >= 0 else None

    def _refusals_from(self, failed: FailedStep) -> int:
        """Since paying, when the run failed after it; else from the step before the failing
        one (its action may have sent what the shop refused)."""
        pay = self.payment_step
        return pay if pay is not None and failed.index >= pay else max(0, failed.index - 1)

    async def _sign_in_page(self, page: Page) -> str | None:
        """The page, when the shop redirected the shopper to one asking for a password."""
        recorder = self.recorder
        if recorder is None or not recorder.last_document_redirected or page.is_closed():
            return None
        asks = page.locator("input[type=password]").first.is_visible()
        return recorder.last_document_url if await bounded(asks, False, 2.0) else None

    def _page_errors_since(self, failed: FailedStep | None) -> list[str]:
        """Uncaught errors of the failing step, or since paying when it failed after that."""
        if failed is None or self.recorder is None:
            return []
        first = min(failed.index, self.payment_step if self.payment_step is not None else 10**6)
        by_step = self.recorder.page_errors_by_step
        return [text for index in sorted(by_step) if index >= first for text in by_step[index]]

    def _budget_breaches(self) -> list[BudgetBreach]:
        budgets = self.journey.budgets
        assert self.recorder is not None
        broken = []
        if budgets.clicks is not None and self.clicks > budgets.clicks:
            broken.append(BudgetBreach("clicks", f"{self.clicks} clicks > {budgets.clicks}"))
        took = self.clock() - self.t0
        if budgets.journey_seconds is not None and took > budgets.journey_seconds:
            limit = budgets.journey_seconds
            broken.append(BudgetBreach("journey_seconds", f"journey took {took:.2f}s > {limit:g}s"))
        if budgets.page_load_seconds is not None:
            limit = budgets.page_load_seconds
            for load in self.recorder.page_loads():
                if (load.load_seconds or 0.0) > limit:
                    detail = f"{load.url} loaded in {load.load_seconds:.2f}s > {limit:g}s"
                    broken.append(BudgetBreach("page_load_seconds", detail))
        if budgets.step_seconds is not None:
            limit = budgets.step_seconds
            for step in self.steps:
                if step.duration_seconds > limit:
                    detail = f"step '{step.name}' took {step.duration_seconds:.2f}s > {limit:g}s"
                    broken.append(BudgetBreach("step_seconds", detail))
        return broken

    async def _capture(self, page: Page) -> None:
        folder = self.folder
        if folder is None or page.is_closed():
            return
        masks = [*self.masked_fields, page.locator(SENSITIVE_FIELDS)]
        # A document cut off mid-way may never paint: don't wait long for a picture of it.
        cut_off = self.recorder is not None and self.recorder.last_document_error is not None
        with suppress(PlaywrightError):
            shot = folder.file("failure.png")
            await page.screenshot(
                path=shot, mask=masks, timeout=2_000 if cut_off else 10_000, animations="disabled"
            )
            self.artifacts["screenshot"] = str(shot)
        with suppress(PlaywrightError):
            html = folder.file("page.html")
            write_masked_text(html, await bounded(page.content(), ""), self.secrets)
            self.artifacts["html"] = str(html)

    async def _save_trace(self, context: BrowserContext, keep: bool) -> None:
        folder = self.folder
        try:
            if keep and folder is not None:
                trace = folder.file("trace.zip")
                # The browser writes the zip even if we stop waiting for it, so a run stopped
                # meanwhile (serve shutting down) still lets it be masked before it goes.
                saving = asyncio.ensure_future(self._write_masked_trace(context, trace))
                try:
                    await asyncio.shield(saving)
                except asyncio.CancelledError:
                    with suppress(Exception):
                        await asyncio.wait_for(saving, timeout=60)
                    raise
                self.artifacts["trace"] = str(trace)
            else:
                await asyncio.wait_for(context.tracing.stop(), timeout=30)
        except (PlaywrightError, TimeoutError) as exc:
            log.warning("could not save the trace of %s: %s", self.journey.name, exc)

    async def _write_masked_trace(self, context: BrowserContext, trace: Path) -> None:
        """The trace, masked, as `trace`. The browser's own zip holds the secrets as typed:
        it is written to a private folder outside the run's and deleted once masked."""
        private = Path(tempfile.mkdtemp(prefix="checkout-monitor-trace-"))
        try:
            raw = private / "trace.zip"
            await asyncio.wait_for(context.tracing.stop(path=raw), timeout=60)
            mask_zip(raw, self.secrets, into=trace)
        finally:
            shutil.rmtree(private, ignore_errors=True)

    def _with_artifacts(self, result: RunResult) -> RunResult:
        if not self.artifacts:
            return result
        return replace(result, artifacts=dict(self.artifacts))

    def crashed(self, exc: BaseException, what: str = "") -> RunResult:
        reason = mask(f"{what + ': ' if what else ''}{type(exc).__name__}: {exc}", self.secrets)
        reason = reason.strip().splitlines()[0][:300] if reason.strip() else type(exc).__name__
        index = len(self.steps) if self.steps or self.journey.steps else None
        step = self.names[index] if index is not None and index < len(self.journey.steps) else None
        return RunResult(
            journey=self.journey.name,
            site=self.journey.site_label,
            device=self.journey.device,
            location=self.runner.location,
            started_at=self.started_at,
            duration_seconds=round(self.clock() - self.t0, 4),
            passed=False,
            failure=Failure(
                FailureKind.MONITOR_ERROR, step, index, f"monitor error (not the shop): {reason}"
            ),
            steps=tuple(self.steps),
            clicks=self.clicks,
            actions=self.actions,
            attempt=self.attempt,
            dismissed=dict(self.dismissed),
        )


@dataclass(frozen=True)
class _ShownError:
    """One of the journey's error texts, seen by the look after a step."""

    index: int
    name: str
    text: str


def _masked(failure: Failure | None, secrets: tuple[str, ...]) -> Failure | None:
    if failure is None or not secrets:
        return failure
    return Failure(failure.kind, failure.step, failure.step_index, mask(failure.reason, secrets))


async def _watch_for(page: Page, texts: list[str], devtools: DevTools | None = None) -> str:
    while True:
        await asyncio.sleep(WATCH_EVERY)
        found = await bounded(find_visible_text(page, texts, devtools=devtools), None)
        if found:
            return found
