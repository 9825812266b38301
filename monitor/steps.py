"""Each step action, done in the browser as a shopper would, with its deadline.

`perform` returns None when the step worked, or a classify.Problem saying why it did not: the
button that cannot be pressed (and why), the text that is not there, the page that did not load.

    >>> ctx = StepContext(page, journey, step, deadline, time.monotonic)  # doctest: +SKIP
    >>> problem = await perform(ctx)                                     # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import FrameLocator, Locator, Page, Request
from playwright.async_api import TimeoutError as PlaywrightTimeout

from monitor.artifacts import RunFolder
from monitor.classify import Problem
from monitor.content import (
    LOADED_IMAGE_SCRIPT,
    TEXT_CHECKS,
    FormulaError,
    evaluate,
    fill_in,
)
from monitor.journey import (
    CheckStep,
    ClickStep,
    CountOf,
    Expectation,
    ExpectContentStep,
    ExpectStep,
    FieldValue,
    FillStep,
    GotoStep,
    HoverStep,
    Journey,
    PressStep,
    RememberStep,
    ScreenshotStep,
    SelectStep,
    StepBase,
    Target,
    UncheckStep,
    WaitStep,
)
from monitor.probes import (
    REPLACED,
    SENSITIVE_VALUES,
    VISIBLE_TEXT_SCRIPT,
    DevTools,
    call,
    diagnose,
    locate,
    locate_all,
    locate_any,
    texts_in_top_document,
)
from monitor.result import ContentCheck, mask, public_url

POLL = 0.1  # seconds between looks while an expectation is not yet true ...
FIRST_POLLS = (0.02, 0.02, 0.04, 0.04)  # ... after the first few: it is often just a moment away


def poll_pause(looks: int) -> float:
    """Seconds to wait before the next look, after `looks` looks found it not yet true."""
    return FIRST_POLLS[looks - 1] if 0 < looks <= len(FIRST_POLLS) else POLL


# Until the document changes (a node, a text, an attribute: a single-page app drawing what
# its API answered), or `ms` pass; true when it changed. A change since the look before began
# (`agoMs` ago, as the init script saw it) counts: what the look missed is looked at at once.
# A page that never stops changing (a ticker, an animation that writes styles) is looked at
# no more often than every `minMs`.
UNTIL_CHANGED_SCRIPT = """({ ms, minMs, agoMs }) => new Promise((done) => {
  const began = performance.now();
  const probe = window.__checkoutMonitor;
  let timer = null;
  let observer = null;
  const end = (changed) => {
    if (observer) observer.disconnect();
    clearTimeout(timer);
    done(changed);
  };
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => end(true), Math.max(0, minMs - (performance.now() - began)));
  };
  if (probe && probe.changedAt && probe.changedAt() >= began - agoMs) { soon(); return; }
  observer = new MutationObserver(() => { observer.disconnect(); soon(); });
  observer.observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true });
  timer = setTimeout(() => end(false), ms);
})"""
CHANGE_EVERY_MS = 50  # after the first few looks (see UNTIL_CHANGED_SCRIPT): half the old pause


ANSWER_GRACE = 10.0  # seconds past a step's deadline before the browser counts as hung
# In a timed-out action's call log: the action was done, the wait after it ran out.
ACTION_DONE = re.compile(r"^\s*- \w+ action done$", re.MULTILINE)


class StepFailed(Exception):
    """Internal: a step ended with a Problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(problem.message)


@dataclass
class StepContext:
    start_page: Page
    journey: Journey
    step: StepBase
    deadline: float
    clock: Callable[[], float]
    folder: RunFolder | None = None
    masked_fields: list[Locator] = field(default_factory=list)
    clicks: int = 0
    actions: int = 0
    screenshot: Path | None = None
    secret_list: list[str] = field(default_factory=list)  # grows with typed sensitive values
    typed: list[Typed] = field(default_factory=list)  # values typed: sensitive ones not yet known
    memory: dict[str, str] = field(default_factory=dict)  # what `remember` steps read
    content_checks: list[ContentCheck] = field(default_factory=list)
    name: str = ""
    skipped: bool = False  # an optional step whose target never showed
    # How many documents the top frame has been answered so far, and whether it waits for one:
    # a target is not blamed while the page is between documents or was replaced.
    documents_answered: Callable[[], int] = lambda: 0
    navigating: Callable[[], bool] = lambda: False
    devtools: DevTools | None = None  # reads the top document without Playwright's evaluate

    @property
    def page(self) -> Page:
        """The tab the shopper is on: the newest one, when a click opened another."""
        pages = [p for p in self.start_page.context.pages if not p.is_closed()]
        return pages[-1] if pages else self.start_page

    @property
    def frames(self) -> tuple[str, ...]:
        frame = self.step.frame
        if frame is None:
            return ()
        return (frame,) if isinstance(frame, str) else tuple(frame)

    def ms(self) -> float:
        """Milliseconds left until the step's deadline (at least 1)."""
        return max(1.0, (self.deadline - self.clock()) * 1000)

    def seconds(self) -> float:
        return self.step.timeout or self.journey.timeout


async def perform(ctx: StepContext) -> Problem | None:
    # Playwright enforces step timeouts in its driver; if the driver's answer is lost (seen
    # when Chromium dies mid-call), only our own clock ends the wait.
    limit = max(1.0, ctx.deadline - ctx.clock()) + ANSWER_GRACE
    try:
        if ctx.step.optional and not await asyncio.wait_for(_shows_up(ctx), timeout=limit):
            ctx.skipped = True
            return None
        await asyncio.wait_for(_ACTIONS[type(ctx.step)](ctx), timeout=limit)
    except TimeoutError:
        return Problem("monitor", f"the browser stopped answering ({limit:.0f}s)")
    except StepFailed as failed:
        return failed.problem
    except PlaywrightError as exc:
        return _browser_problem(exc)
    return None


async def perform_trial(ctx: StepContext) -> Problem | None:
    """Check a click step's target could be clicked — visible, enabled, not covered — without
    clicking it (Playwright's trial click)."""
    step = ctx.step
    assert isinstance(step, ClickStep)
    try:
        await _use(ctx, step.click, lambda found: found.click(trial=True, timeout=ctx.ms()))
    except StepFailed as failed:
        return failed.problem
    except PlaywrightError as exc:
        return _browser_problem(exc)
    return None


def _first_target(step: StepBase) -> Target:
    """What an optional step acts on first (journey validation allows no other steps)."""
    if isinstance(step, FillStep):
        return step.fill[0]
    if isinstance(step, SelectStep):
        return step.select[0]
    target = getattr(step, step.ACTION)
    assert isinstance(target, Target), step.ACTION
    return target


async def _shows_up(ctx: StepContext) -> bool:
    """Whether an optional step's target becomes visible before the step's deadline."""
    try:
        await locate(ctx.page, _first_target(ctx.step), ctx.frames).wait_for(
            state="visible", timeout=ctx.ms()
        )
    except PlaywrightTimeout:
        return False
    return True


def _browser_problem(exc: PlaywrightError) -> Problem:
    text = str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if "Target page, context or browser has been closed" in text or "Browser closed" in text:
        return Problem("monitor", f"the browser went away: {first}")
    if net := re.search(r"net::ERR_[A-Z_]+", text):
        return Problem("navigation", first, net_error=net.group(0))
    if isinstance(exc, PlaywrightTimeout):
        return Problem("timeout", first)
    if "Unexpected token" in text or "is not a valid selector" in text:
        return Problem("monitor", f"the journey's selector is not valid: {first}")
    return Problem("monitor", first)


Act = Callable[[Locator], Awaitable[object]]


DIAGNOSE_SECONDS = 2.0  # for finding out why a target could not be used, past the deadline


async def _use(ctx: StepContext, target: Target, act: Act, clicks: int = 0) -> None:
    """Do something to a target (`clicks`: how many clicks that is, counted once done); when
    it cannot be done, find out why."""
    found = locate(ctx.page, target, ctx.frames)
    documents = ctx.documents_answered()
    try:
        await act(found)
        ctx.clicks += clicks
    except PlaywrightTimeout as exc:
        described = target.describe()
        if ctx.frames or target.frames:
            described += " in frame " + " > ".join((*ctx.frames, *target.frames))
        message = str(exc)
        if ACTION_DONE.search(message):
            # Done, and then the page it opened never came: not the target's fault.
            ctx.clicks += clicks
            raise StepFailed(
                Problem("timeout", f"the page did not answer within {ctx.seconds():g}s")
            ) from exc
        if ctx.navigating() or ctx.documents_answered() != documents:
            where = _short_url(ctx.page.url)
            raise StepFailed(
                Problem(
                    "timeout",
                    f"{described} not usable within {ctx.seconds():g}s: the page was "
                    f"changing meanwhile (now at {where})",
                )
            ) from exc
        try:
            why = await asyncio.wait_for(
                diagnose(locate_any(ctx.page, target, ctx.frames), message), DIAGNOSE_SECONDS
            )
        except TimeoutError:
            why = "unknown"  # the page did not answer: nothing to blame the target for
        if why in ("ok", "unknown"):
            raise StepFailed(
                Problem("timeout", f"{described} not usable within {ctx.seconds():g}s")
            ) from exc
        why, _, detail = why.partition(":")
        message = f"covered by {detail}" if detail else str(exc).splitlines()[0]
        raise StepFailed(Problem("unusable", message, why, described, detail=detail)) from exc


async def _goto(ctx: StepContext) -> None:
    step = ctx.step
    assert isinstance(step, GotoStep)
    url = (
        urljoin(ctx.journey.base_url + "/", step.goto.lstrip("/"))
        if not re.match(r"^https?://", step.goto)
        else step.goto
    )
    page = ctx.page
    going = asyncio.ensure_future(page.goto(url, wait_until="domcontentloaded", timeout=ctx.ms()))
    # A page cut off after it began to arrive (a reset connection) never gets to
    # DOMContentLoaded: its failure ends the step, not the timeout.
    cut_off = asyncio.ensure_future(
        page.wait_for_event("requestfailed", predicate=_cuts_off(page), timeout=ctx.ms())
    )
    try:
        await asyncio.wait({going, cut_off}, return_when=asyncio.FIRST_COMPLETED)
        if not going.done():
            request = cut_off.result()
            error = request.failure or "failed"
            going.cancel()
            raise StepFailed(
                Problem(
                    "navigation",
                    f"{_short_url(request.url)} could not be loaded: {error}",
                    net_error=error,
                )
            )
        going.result()
    except PlaywrightTimeout as exc:
        raise StepFailed(
            Problem("timeout", f"{step.goto} did not load within {ctx.seconds():g}s")
        ) from exc
    finally:
        for pending in (going, cut_off):
            if not pending.done():
                pending.cancel()
            with suppress(asyncio.CancelledError, PlaywrightError):
                await pending
    ctx.actions += 1


def _cuts_off(page: Page) -> Callable[[Request], bool]:
    """Whether a failed request is the page's own document failing (not one it replaced)."""

    def top_document_failed(request: Request) -> bool:
        failure = request.failure or ""
        return (
            request.is_navigation_request()
            and request.frame == page.main_frame
            and "ERR_ABORTED" not in failure
        )

    return top_document_failed


async def _click(ctx: StepContext) -> None:
    assert isinstance(ctx.step, ClickStep)
    await _use(ctx, ctx.step.click, lambda found: found.click(timeout=ctx.ms()), clicks=1)


async def _check(ctx: StepContext) -> None:
    step = ctx.step
    assert isinstance(step, CheckStep | UncheckStep)
    if isinstance(step, CheckStep):
        await _use(ctx, step.check, lambda found: found.check(timeout=ctx.ms()), clicks=1)
    else:
        await _use(ctx, step.uncheck, lambda found: found.uncheck(timeout=ctx.ms()), clicks=1)


@dataclass(frozen=True)
class Typed:
    """A value typed into a field that may turn out to be a password or card field."""

    value: str
    field: Locator
    frames: tuple[str, ...]  # iframe selectors to the field's frame, outermost first


async def _fill(ctx: StepContext) -> None:
    assert isinstance(ctx.step, FillStep)
    for field_value in ctx.step.fill:
        found = locate(ctx.page, field_value, ctx.frames)
        await _use(ctx, field_value, _filler(ctx, field_value))
        value = field_value.value
        if any(secret and secret in value for secret in ctx.secret_list):
            ctx.masked_fields.append(found)  # a declared secret
        elif len(value) >= 3:
            # Password and card fields are found after the step, all at once (`sensitive`).
            ctx.typed.append(Typed(value, found, (*ctx.frames, *field_value.frames)))
        ctx.actions += 1


async def sensitive(page: Page, typed: list[Typed]) -> list[Typed]:
    """Which of the values typed into iframes went into a password or card field. Every frame
    below the top one is asked at once, with a plain evaluation (a locator's would cost a copy
    of Playwright's injected script in the frame). (The top document's are found by the look
    after the step: `after_step`.) When no frame could be read, the values count as sensitive:
    mask rather than leak."""
    values = [t.value for t in typed]
    script = (
        f"(typed) => ({SENSITIVE_VALUES})([...document.querySelectorAll('input, textarea')], typed)"
    )
    frames = [frame for frame in page.frames if frame is not page.main_frame]
    answers = await asyncio.gather(
        *(asyncio.wait_for(frame.evaluate(script, values), 5.0) for frame in frames),
        return_exceptions=True,
    )
    hits = {hit for answer in answers if isinstance(answer, list) for hit in answer}
    if not hits and not any(isinstance(answer, list) for answer in answers):
        hits = set(values)
    return [t for t in typed if t.value in hits]


def _filler(ctx: StepContext, field_value: FieldValue) -> Act:
    value = fill_in(field_value.value, ctx.memory)
    return lambda found: found.fill(value, timeout=ctx.ms())


async def _select(ctx: StepContext) -> None:
    assert isinstance(ctx.step, SelectStep)
    for choice in ctx.step.select:
        await _use(ctx, choice, _selector(ctx, choice), clicks=1)


def _selector(ctx: StepContext, choice: FieldValue) -> Act:
    return lambda found: found.select_option(choice.value, timeout=ctx.ms())


async def _press(ctx: StepContext) -> None:
    step = ctx.step
    assert isinstance(step, PressStep)
    if isinstance(step.press, str):
        await ctx.page.keyboard.press(step.press)
    else:
        key = step.press.key
        await _use(ctx, step.press, lambda found: found.press(key, timeout=ctx.ms()))
    ctx.actions += 1


async def _hover(ctx: StepContext) -> None:
    assert isinstance(ctx.step, HoverStep)
    await _use(ctx, ctx.step.hover, lambda found: found.hover(timeout=ctx.ms()))
    ctx.actions += 1


def url_pattern(expected: str) -> re.Pattern[str]:
    """`re:REGEX`, a glob with `*`, or else a plain substring of the URL."""
    if expected.startswith("re:"):
        return re.compile(expected[3:])
    if "*" in expected:
        return re.compile(fnmatch.translate(expected))
    return re.compile(re.escape(expected))


async def _wait(ctx: StepContext) -> None:
    step = ctx.step
    assert isinstance(step, WaitStep)
    w = step.wait
    try:
        if w.visible is not None:
            await locate(ctx.page, w.visible, ctx.frames).wait_for(
                state="visible", timeout=ctx.ms()
            )
        elif w.hidden is not None:
            await locate_any(ctx.page, w.hidden, ctx.frames).wait_for(
                state="hidden", timeout=ctx.ms()
            )
        elif w.url is not None:
            await ctx.page.wait_for_url(url_pattern(w.url), timeout=ctx.ms(), wait_until="commit")
        elif w.load is not None:
            await ctx.page.wait_for_load_state(w.load, timeout=ctx.ms())
        elif w.seconds is not None:
            await asyncio.sleep(w.seconds)
    except PlaywrightTimeout as exc:
        where = f" (now at {_short_url(ctx.page.url)})" if w.url else ""
        raise StepFailed(
            Problem("timeout", f"{step.label()}: not within {ctx.seconds():g}s{where}")
        ) from exc


async def _expect(ctx: StepContext) -> None:
    """Every check given must hold before the deadline; poll until then."""
    step = ctx.step
    assert isinstance(step, ExpectStep)
    looks = 0
    while True:
        looks += 1
        looked_at = ctx.clock()
        try:
            failing = await _first_unmet(ctx, step.expect)
        except _Mismatch as mismatch:
            if ctx.clock() >= ctx.deadline:
                message = mask(str(mismatch), tuple(ctx.secret_list))
                raise StepFailed(Problem("mismatch", message)) from None
            failing = str(mismatch)
        if failing is None:
            return
        if ctx.clock() >= ctx.deadline:
            raise StepFailed(Problem("assertion", mask(failing, tuple(ctx.secret_list))))
        await _pause(ctx, step.expect, looks, looked_at)


URL_WAIT = 0.25  # seconds at most between looks while the URL is awaited (a tab may open)


async def _pause(ctx: StepContext, e: Expectation, looks: int, looked_at: float) -> None:
    """Until the next look: while the URL is not yet the one expected, until it changes
    (Playwright sees the navigation commit); else until the page changes (since the look
    began at `looked_at`), at most a short pause."""
    e = _filled(e, ctx.memory)
    page = ctx.page
    if e.url is not None and not url_pattern(e.url).search(page.url):
        wait = min(URL_WAIT, ctx.ms() / 1000)
        try:
            await page.wait_for_url(url_pattern(e.url), wait_until="commit", timeout=wait * 1000)
        except PlaywrightError as exc:
            if "has been closed" in str(exc):
                raise
        return
    min_ms = 0 if looks <= len(FIRST_POLLS) else CHANGE_EVERY_MS
    await _until_changed(ctx, poll_pause(looks), min_ms, looked_at)


async def _until_changed(
    ctx: StepContext, seconds: float, min_ms: int, looked_at: float | None = None
) -> None:
    """Pause before the next look, ended early by a change of the top document since the
    look began (`looked_at`, our clock): what the step waits for is looked at as soon as the
    page draws it, not up to a pause later. (In a frame, a pause: the top document does not
    see it change.)"""
    if ctx.frames or ctx.devtools is None:
        await asyncio.sleep(seconds)
        return
    began = ctx.clock()
    ago_ms = 1 + (began - looked_at) * 1000 if looked_at is not None else 0
    wait = {"ms": int(seconds * 1000), "minMs": min_ms, "agoMs": ago_ms}
    waiting = ctx.devtools.evaluate(ctx.page, call(UNTIL_CHANGED_SCRIPT, wait))
    try:
        await asyncio.wait_for(waiting, seconds + 1.0)
    except TimeoutError:
        pass  # a page that does not answer is looked at again, as after a pause
    except PlaywrightError as exc:
        if "has been closed" in str(exc):
            raise
        if not any(sign in str(exc) for sign in REPLACED):  # (the next document: a change)
            # The page would not run the waiter (its MutationObserver replaced): a pause.
            await asyncio.sleep(max(0.0, seconds - (ctx.clock() - began)))


async def _first_unmet(ctx: StepContext, e: Expectation) -> str | None:
    page = ctx.page
    seconds = f"within {ctx.seconds():g}s"
    e = _filled(e, ctx.memory)
    if e.url is not None and not url_pattern(e.url).search(page.url):
        return f"expected the URL to match '{e.url}' {seconds}, it is {_short_url(page.url)}"
    if e.title is not None and e.title.lower() not in (await _title(page)).lower():
        return f"expected the title to contain '{e.title}' {seconds}"
    if e.visible is not None and not await _quick(locate(page, e.visible, ctx.frames).is_visible()):
        return f"expected {e.visible.describe()} to be visible {seconds}"
    if e.hidden is not None and await _quick(locate(page, e.hidden, ctx.frames).is_visible()):
        return f"expected {e.hidden.describe()} to be hidden {seconds}"
    if e.text is not None and not await _has_text(ctx, e.text, e.within):
        where = f" in {e.within.describe()}" if e.within else " on the page"
        return f"expected text '{e.text}'{where} {seconds}"
    if e.count is not None and (unmet := await _count_unmet(ctx, e.count, seconds)):
        return unmet
    if e.text_equals is not None and e.within is not None:
        shown = await _text_of(locate(page, e.within, ctx.frames))
        if _normal(shown) != _normal(e.text_equals):
            raise _Mismatch(
                f"{e.within.describe()} shows '{_normal(shown)[:80]}', expected "
                f"'{_normal(e.text_equals)[:80]}'"
            )
    if e.formula is not None:
        try:
            equal, left, right = evaluate(e.formula, ctx.memory)
        except FormulaError as exc:
            raise StepFailed(Problem("monitor", f"formula '{e.formula}': {exc}")) from None
        if not equal:
            raise _Mismatch(
                f"{e.formula}: {left:g} is not {right:g} (values: "
                + ", ".join(f"{k}={v!r}" for k, v in ctx.memory.items())
                + ")"
            )
    return None


class _Mismatch(Exception):
    """Numbers or texts the shop shows don't agree: a data_mismatch, once the deadline passed."""


def _normal(text: str) -> str:
    return " ".join(text.split())


def _filled(e: Expectation, memory: dict[str, str]) -> Expectation:
    if not memory:
        return e
    changes = {
        key: fill_in(value, memory)
        for key in ("text", "text_equals", "url", "title")
        if isinstance(value := getattr(e, key), str)
    }
    return e.model_copy(update=changes)


async def _text_of(found: Locator) -> str:
    """What an element shows: a field's value, or its visible text. (Asked with Playwright's
    own calls: they run in its utility world, where a script of ours in the page's world would
    cost a second copy of Playwright's injected script in every new document.) Both are asked
    at once: one round trip to the page, not two for the usual element that is no field."""
    value, text = await asyncio.gather(
        found.input_value(timeout=1000),
        _quick(found.inner_text(timeout=1000), default=""),
        return_exceptions=True,
    )
    if isinstance(value, str):
        return value
    if not isinstance(value, PlaywrightError) or "has been closed" in str(value):
        raise value
    if "not an <input>" not in str(value):
        return ""  # not there (yet)
    if isinstance(text, BaseException):
        raise text
    return str(text or "")


async def _count_unmet(ctx: StepContext, count: CountOf, seconds: str) -> str | None:
    matches = locate_all(ctx.page, count.of, ctx.frames).filter(visible=True)
    found = await _quick(matches.count(), default=0)
    assert isinstance(found, int)
    what = count.of.describe()
    if count.equals is not None and found != count.equals:
        return f"expected {count.equals} of {what} {seconds}, found {found}"
    if count.min is not None and found < count.min:
        return f"expected at least {count.min} of {what} {seconds}, found {found}"
    if count.max is not None and found > count.max:
        return f"expected at most {count.max} of {what} {seconds}, found {found}"
    return None


async def _has_text(ctx: StepContext, text: str, within: Target | None) -> bool:
    if within is None and not ctx.frames:  # the whole page: a plain evaluation, the cheapest
        looking = texts_in_top_document(ctx.page, [text], ctx.devtools)
        return await _quick(looking, default=None) is not None
    if within is not None:
        scope = locate(ctx.page, within, ctx.frames)
    else:
        root: Page | FrameLocator = ctx.page
        for frame in ctx.frames:
            root = root.frame_locator(frame)
        scope = root.locator("body")
    found = await _quick(scope.evaluate(VISIBLE_TEXT_SCRIPT, [text], timeout=1000), default=None)
    return found is not None


async def _quick(awaitable: Awaitable[object], default: object = False) -> object:
    """A look at the page now; a page between documents has nothing to show yet."""
    try:
        return await awaitable
    except PlaywrightError as exc:
        if "has been closed" in str(exc):
            raise
        return default


async def _title(page: Page) -> str:
    try:
        return await page.title()
    except PlaywrightError:
        return ""


def _short_url(url: str) -> str:
    return public_url(url)


async def _remember(ctx: StepContext) -> None:
    step = ctx.step
    assert isinstance(step, RememberStep)
    for name, target in step.remember.items():
        found = locate(ctx.page, target, ctx.frames)
        try:
            await found.wait_for(state="visible", timeout=ctx.ms())
        except PlaywrightTimeout as exc:
            raise StepFailed(
                Problem(
                    "unusable", f"nothing to remember as '{name}'", "missing", target.describe()
                )
            ) from exc
        ctx.memory[name] = _normal(await _text_of(found))
    ctx.actions += 1


async def _expect_content(ctx: StepContext) -> None:
    """Each named check until it holds or the deadline passes; then say what is missing."""
    step = ctx.step
    assert isinstance(step, ExpectContentStep)
    pending = dict(step.expect_content)
    while True:
        looked_at = ctx.clock()
        for name, target in list(pending.items()):
            if await _content_shown(ctx, name, target):
                del pending[name]
        if not pending or ctx.clock() >= ctx.deadline:
            break
        await _until_changed(ctx, POLL * 2, CHANGE_EVERY_MS, looked_at)
    for name in step.expect_content:
        ctx.content_checks.append(ContentCheck(name, name not in pending, ctx.name))
    if pending:
        missing = ", ".join(name.replace("_", " ") for name in pending)
        raise StepFailed(Problem("assertion", f"missing for the buyer: {missing}"))


async def _content_shown(ctx: StepContext, name: str, target: Target | None) -> bool:
    page = ctx.page
    if target is not None:
        found = locate(page, target, ctx.frames)
        if name == "image" or (target.alt is not None):
            return bool(
                await _quick(
                    found.evaluate("(img) => img.complete && img.naturalWidth > 0", timeout=500)
                )
            )
        return bool(await _quick(found.is_visible()))
    if name == "image":
        return bool(await _quick(page.evaluate(LOADED_IMAGE_SCRIPT, None)))
    text = await _quick(page.locator("body").inner_text(timeout=1000), default="")
    return re.search(TEXT_CHECKS[name], str(text), re.IGNORECASE) is not None


async def _screenshot(ctx: StepContext) -> None:
    step = ctx.step
    assert isinstance(step, ScreenshotStep)
    if ctx.folder is None:
        return
    path = ctx.folder.file(f"{step.screenshot.name}.png")
    masks = [*ctx.masked_fields, ctx.page.locator("input[type=password]")]
    await ctx.page.screenshot(
        path=path, full_page=step.screenshot.full_page, mask=masks, timeout=ctx.ms()
    )
    ctx.screenshot = path


_ACTIONS: dict[type[StepBase], Callable[[StepContext], Awaitable[None]]] = {
    GotoStep: _goto,
    ClickStep: _click,
    FillStep: _fill,
    SelectStep: _select,
    CheckStep: _check,
    UncheckStep: _check,
    PressStep: _press,
    HoverStep: _hover,
    WaitStep: _wait,
    ExpectStep: _expect,
    ScreenshotStep: _screenshot,
    RememberStep: _remember,
    ExpectContentStep: _expect_content,
}
