"""In-page instrumentation and what the browser reports: timings, vitals, errors, requests.

`Recorder` listens to one browser context (every page and frame in it) and keeps what a
shopper's browser went through, attributed to the step running at the time. `INIT_SCRIPT` runs
in every document before the shop's own scripts and keeps web vitals; `after_step` reads them
with the document's navigation timing, once the document has loaded, through the page's
`DevTools` session (see there why not `page.evaluate`); a top document tells them once more
as the shopper leaves it, if they changed since (`Recorder.note_left`).

    >>> recorder = Recorder(context, page, secrets=("4242...",))   # doctest: +SKIP
    >>> recorder.step = "pay"                                      # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import (
    BrowserContext,
    CDPSession,
    ConsoleMessage,
    Dialog,
    Frame,
    FrameLocator,
    Locator,
    Page,
    Request,
    Response,
    WebError,
)
from playwright.async_api import Error as PlaywrightError

from monitor.content import BROKEN_IMAGES_SCRIPT
from monitor.journey import Target
from monitor.result import (
    ConsoleError,
    HttpError,
    PageLoad,
    RequestFailure,
    ResourceClass,
    mask,
    public_url,
)

MAX_RECORDED = 200  # per kind and run: a hostile page cannot grow a result without bound
FAILED_LOAD = "Failed to load resource"  # how Chromium's console reports a failed answer

# Defines window.__checkoutMonitor: `snapshot()` (timing and vitals) and `look(...)`, the look
# after a step (AFTER_STEP_SCRIPT, put in below), so the call after each step sends no script.
_PROBE_SCRIPT = """
(() => {
  if (window.__checkoutMonitor) return;
  const vitals = { lcp: null, cls: 0, inp: null };
  let changed = -1;  // when the document last changed (a node, a text, an attribute)
  new MutationObserver(() => { changed = performance.now(); }).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true });
  const watch = (type, onEntry, extra) => {
    try {
      const observer = new PerformanceObserver((list) => list.getEntries().forEach(onEntry));
      observer.observe(Object.assign({ type, buffered: true }, extra || {}));
      return observer;
    } catch (e) { return null; /* not supported in this browser */ }
  };
  const onLcp = (e) => { vitals.lcp = e.renderTime || e.loadTime || e.startTime; };
  const lcp = watch('largest-contentful-paint', onLcp);
  watch('layout-shift', (e) => { if (!e.hadRecentInput) vitals.cls += e.value; });
  watch('event', (e) => {
    if (e.interactionId) vitals.inp = Math.max(vitals.inp || 0, e.duration);
  }, { durationThreshold: 16 });
  const FCP = 'first-contentful-paint';
  // Until the first contentful frame is presented (its paint entries delivered), at most ms.
  const presented = (ms) => new Promise((done) => {
    let observer = null;
    const timer = setTimeout(() => finish(), ms);
    const finish = () => { clearTimeout(timer); if (observer) observer.disconnect(); done(); };
    try {
      observer = new PerformanceObserver((list) => {
        if (list.getEntries().some((e) => e.name === FCP)) finish();
      });
      observer.observe({ type: 'paint' });
    } catch (e) { /* no paint timing: the wait runs out */ }
  });
  const now = () => {
    // An entry already made but not yet delivered to the observer.
    if (lcp && vitals.lcp === null) lcp.takeRecords().forEach(onLcp);
    const nav = performance.getEntriesByType('navigation')[0];
    return {
      origin: performance.timeOrigin, url: location.href, title: document.title.slice(0, 300),
      ttfb: nav ? nav.responseStart : null,
      dcl: nav && nav.domContentLoadedEventEnd ? nav.domContentLoadedEventEnd : null,
      load: nav && nav.loadEventEnd ? nav.loadEventEnd : null,
      status: nav && nav.responseStatus ? nav.responseStatus : null,
      lcp: vitals.lcp, cls: vitals.cls, inp: vitals.inp,
    };
  };
  let read = null;  // what the last snapshot said, so `left()` tells only what changed since
  const said = (s) => JSON.stringify([s.load, s.lcp, s.cls, s.inp]);
  Object.defineProperty(window, '__checkoutMonitor', { enumerable: false, value: {
    async snapshot(settleMs) {
      // The run's last look (nothing follows it): wait, up to settleMs, for the first frame
      // to be presented: LCP is reported then, one or more frames after it was drawn. Any
      // other look waits for no frame: what it cannot see yet, the page tells as it is left.
      if (settleMs > 0 && vitals.lcp === null && document.visibilityState === 'visible'
          && !performance.getEntriesByName(FCP).length) {
        await presented(settleMs);
      }
      const snapshot = now();
      read = said(snapshot);
      return snapshot;
    },
    // The document's timing and vitals as the shopper leaves it (told through the page's
    // binding, frustration.py): LCP of a page left before its first frame was presented to
    // the look, layout shifts and interactions since; null when nothing changed.
    left() {
      const snapshot = now();
      if (read === null || said(snapshot) === read) return null;
      read = said(snapshot);
      return snapshot;
    },
    changedAt: () => changed,
    look: __LOOK__,
  }});
})();
"""

# Why an element cannot be used, judged in the page after an action failed.
DIAGNOSE_SCRIPT = """
(el) => {
  const box = el.getBoundingClientRect();
  if (box.width === 0 && box.height === 0) return 'hidden';
  const doc = document.documentElement;
  const left = box.left + window.scrollX, top = box.top + window.scrollY;
  if (left + box.width <= 0 || top + box.height <= 0
      || left >= Math.max(doc.scrollWidth, window.innerWidth)
      || top >= Math.max(doc.scrollHeight, window.innerHeight)) return 'offscreen';
  el.scrollIntoView({ block: 'center', inline: 'center' });
  const r = el.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  if (x < 0 || y < 0 || x > window.innerWidth || y > window.innerHeight) return 'offscreen';
  const hit = document.elementFromPoint(x, y);
  if (hit && hit !== el && !el.contains(hit) && !hit.contains(el)) {
    const cover = hit.closest('[id]') || hit;
    const name = cover.tagName.toLowerCase() + (cover.id ? '#' + cover.id : '');
    return 'covered:' + name.slice(0, 80);
  }
  return 'ok';
}
"""

# The first of `texts` shown to the shopper inside `root`, case-insensitive, or null. Cheap on
# huge pages: textContent narrows it to the smallest elements holding the text, and only those
# are asked for their (layout-dependent) innerText.
VISIBLE_TEXT_SCRIPT = """
(root, texts) => {
  root = root || document.body;
  if (!root) return null;
  const shown = (el, needle) => {
    const holders = [...el.children].filter((c) => c.textContent.toLowerCase().includes(needle));
    if (holders.length === 0) {
      const visible = !el.checkVisibility || el.checkVisibility({ visibilityProperty: true });
      return visible && el.innerText.toLowerCase().includes(needle);
    }
    return holders.some((c) => shown(c, needle))
      || (el.innerText || '').toLowerCase().includes(needle) && holders.length > 1;
  };
  for (const text of texts) {
    const needle = text.toLowerCase();
    if (root.textContent.toLowerCase().includes(needle) && shown(root, needle)) return text;
  }
  return null;
}
"""

TEXTS_SCRIPT = f"(texts) => ({VISIBLE_TEXT_SCRIPT})(null, texts)"  # in a whole document
FRAME_SECONDS = 1.0  # for a look into a frame below the top document (one navigating waits)

PLAYWRIGHT_HINTS = (
    ("intercepts pointer events", "covered"),
    ("outside of the viewport", "offscreen"),
    ("not enabled", "disabled"),
    ("not editable", "not_editable"),
    ("not visible", "hidden"),
)


def site_of(url: str) -> str:
    """The site a URL belongs to, to tell the shop's own servers from third parties': the
    host's last two labels, or three under a country code with a short second level (co.uk,
    com.au); an IP address or a one-label host as it is. No public suffix list: a shop on a
    short second-level name (ab.de) just counts its own subdomains as others."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    labels = host.split(".")
    if len(labels) < 3 or ":" in host or host.replace(".", "").isdigit():
        return host
    keep = 3 if len(labels[-1]) == 2 and len(labels[-2]) <= 3 else 2
    return ".".join(labels[-keep:])


def resource_class(request: Request) -> ResourceClass:
    kind = request.resource_type
    if kind == "document":
        return ResourceClass.DOCUMENT
    if kind in ("xhr", "fetch", "eventsource", "websocket"):
        return ResourceClass.API
    return ResourceClass.STATIC


Scope = Page | Frame | FrameLocator | Locator  # where a target is looked for


def locate(root: Page | Frame, target: Target, frames: tuple[str, ...] = ()) -> Locator:
    """A Playwright locator for a target, inside its frames; the first *visible* match.

    A shopper uses the element they can see; shops often keep hidden twins (mobile menus)."""
    found = locate_all(root, target, frames).filter(visible=True)
    return found.nth(target.nth) if target.nth is not None else found.first


def locate_all(
    root: Page | Frame, target: Target, frames: tuple[str, ...] = (), include_hidden: bool = False
) -> Locator:
    """Every element matching a target; with include_hidden, also those hidden from ARIA."""
    scope: Scope = root
    for frame in frames:
        scope = scope.frame_locator(frame)
    return _matching(scope, target, include_hidden)


def _matching(scope: Scope, target: Target, include_hidden: bool) -> Locator:
    """A target's elements in a scope: through its frames, inside its `within`."""
    for frame in target.frames:
        scope = scope.frame_locator(frame)
    if target.within is not None:
        container = _matching(scope, target.within, include_hidden)
        scope = container.nth(target.within.nth) if target.within.nth is not None else container
    found = _base_locator(scope, target, include_hidden)
    return found.filter(has_text=target.has_text) if target.has_text is not None else found


def locate_any(root: Page | Frame, target: Target, frames: tuple[str, ...] = ()) -> Locator:
    """Like `locate` but also matching hidden elements: for saying why one is unusable.
    (A `display: none` button has no ARIA role, so a role lookup must include hidden ones.)"""
    found = locate_all(root, target, frames, include_hidden=True)
    return found.nth(target.nth) if target.nth is not None else found.first


def _base_locator(scope: Scope, t: Target, include_hidden: bool = False) -> Locator:
    if t.role is not None:
        return scope.get_by_role(
            t.role,  # type: ignore[arg-type]
            name=t.name,
            exact=t.exact,
            include_hidden=include_hidden or None,
        )
    if t.text is not None:
        return scope.get_by_text(t.text, exact=t.exact)
    if t.label is not None:
        return scope.get_by_label(t.label, exact=t.exact)
    if t.placeholder is not None:
        return scope.get_by_placeholder(t.placeholder, exact=t.exact)
    if t.test_id is not None:
        return scope.get_by_test_id(t.test_id)
    if t.alt is not None:
        return scope.get_by_alt_text(t.alt, exact=t.exact)
    if t.title is not None:
        return scope.get_by_title(t.title, exact=t.exact)
    assert t.selector is not None  # Target validation guarantees one kind
    return scope.locator(t.selector)


async def diagnose(any_match: Locator, error_message: str) -> str:
    """Why an action on a target failed: missing, hidden, disabled, covered[:by], offscreen,
    ok (usable now: it was only slow) or unknown."""
    try:
        if await any_match.count() == 0:
            return "missing"
        if not await any_match.is_visible():
            return "hidden"
        if not await any_match.is_enabled():
            return "disabled"
        verdict = str(await any_match.evaluate(DIAGNOSE_SCRIPT, timeout=2000))
    except PlaywrightError:
        verdict = "unknown"
    if verdict in ("ok", "unknown"):
        for hint, reason in PLAYWRIGHT_HINTS:
            if hint in error_message:
                return reason
    return verdict


async def find_visible_text(
    page: Page,
    texts: list[str],
    frame_seconds: float = FRAME_SECONDS,
    devtools: DevTools | None = None,
) -> str | None:
    """The first of `texts` visible in the top document, else in a frame below it
    (case-insensitive; see `visible_text_in_frames` for the frames)."""
    if not texts:
        return None
    try:
        found = await texts_in_top_document(page, texts, devtools)
    except PlaywrightError:
        found = None  # navigating away, or closed
    return str(found) if found else await visible_text_in_frames(page, texts, frame_seconds)


# A field a shopper types a secret into: password and card fields, by type, autocomplete or name.
SENSITIVE_FIELD = """(el) => el.type === 'password'
  || /^cc-/.test(el.autocomplete || '')
  || /(card.?num|cc.?num|cvc|cvv|csc|passw)/i.test((el.name || '') + ' ' + (el.id || ''))"""

# Of the values typed into a document's fields, those now in a password or card field. Compared
# without spaces and separators: card forms often format what is typed (4242 4242 ...).
SENSITIVE_VALUES = f"""(fields, typed) => {{
  const plain = (text) => String(text).replace(/[^0-9A-Za-z]/g, '');
  const sensitive = fields.filter({SENSITIVE_FIELD}).map((el) => plain(el.value));
  return typed.filter((value) => sensitive.includes(plain(value)));
}}"""

# What in-page observers kept for us since the last look (see `AfterStep.told`): a function
# an init script may define on the window, returning {origin: performance.timeOrigin,
# told: [...]}.
TOLD = "__checkoutMonitorTold"

# After a step, in one call to the page: which values typed into the top document went into
# password or card fields; then wait (until the step's deadline) for the document's `load`,
# and read its navigation timing and vitals, the images that failed to load, the first of
# the journey's error texts it shows, and what in-page observers kept for us meanwhile.
AFTER_STEP_SCRIPT = f"""
async ({{ waitMs, typed, errorTexts, settleMs }}) => {{
  const sensitive = typed.length === 0 ? [] : ({SENSITIVE_VALUES})(
    [...document.querySelectorAll('input, textarea')], typed);
  if (document.readyState !== 'complete' && waitMs > 0) {{
    await new Promise((done) => {{
      const timer = setTimeout(done, waitMs);
      // loadEventEnd is set once the load handlers have run: one task later.
      const loaded = () => {{ clearTimeout(timer); setTimeout(done, 0); }};
      addEventListener('load', loaded, {{ once: true }});
    }});
  }}
  const probe = window.__checkoutMonitor;
  return {{
    sensitive,
    snapshot: probe ? await probe.snapshot(Math.min(waitMs, settleMs || 0)) : null,
    broken_images: ({BROKEN_IMAGES_SCRIPT.strip()})(),
    error_text: errorTexts.length ? ({VISIBLE_TEXT_SCRIPT.strip()})(null, errorTexts) : null,
    told: typeof window.{TOLD} === 'function' ? window.{TOLD}() : null,
  }};
}}
"""

INIT_SCRIPT = _PROBE_SCRIPT.replace("__LOOK__", AFTER_STEP_SCRIPT.strip())
# The look, by the function the init script defined; None where it did not run (then the
# whole script is sent: a document the init script missed is still read).
_LOOK_CALL = (
    "window.__checkoutMonitor && window.__checkoutMonitor.look"
    " ? window.__checkoutMonitor.look(__ARGS__) : null"
)
# What DevTools answers when the document was replaced (or the page went) during a call.
REPLACED = ("context was destroyed", "navigated or closed", "Cannot find context")


def call(script: str, *args: Any) -> str:
    """An expression that calls a function's source with JSON arguments (for DevTools)."""
    return f"({script.strip()})({', '.join(_json(a) for a in args)})"


def _json(value: Any) -> str:
    # As typed: masking finds a secret in a trace of these calls as it was typed.
    return json.dumps(value, ensure_ascii=False)


class DevTools:
    """Reads the top document of a run's pages through a DevTools session of each page's own.

    `page.evaluate` first installs Playwright's utility script in each new document (about
    10 ms of the page's main thread, measured on the demo shop) before the call can run; after
    a `goto` that is on the way to the next click. A `Runtime.evaluate` needs nothing
    installed. Sessions are opened beside the page's first load (`open`), one per page (a
    popup gets its own at its first look), and closed with the context.

        devtools = DevTools(context)
        devtools.open(page)                               # while the page loads
        value = await devtools.evaluate(page, "document.title")
    """

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self._sessions: dict[Page, asyncio.Future[CDPSession]] = {}

    def open(self, page: Page) -> None:
        if page not in self._sessions:
            self._sessions[page] = asyncio.ensure_future(self.context.new_cdp_session(page))

    async def evaluate(self, page: Page, expression: str) -> Any:
        """The expression's value (awaited if a promise), as JSON data. Raises PlaywrightError
        as `page.evaluate` does: the page closed, the document replaced, the script threw."""
        self.open(page)
        session = await self._sessions[page]
        answer = await session.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True, "silent": True},
        )
        thrown = answer.get("exceptionDetails")
        if thrown:
            error = thrown.get("exception", {}).get("description") or thrown.get("text")
            raise PlaywrightError(f"the page's script failed: {str(error)[:200]}")
        return answer.get("result", {}).get("value")

    def close(self) -> None:
        """Forget the sessions (they end with their pages); one still opening is cancelled."""
        for opening in self._sessions.values():
            if not opening.done():
                opening.cancel()
            elif not opening.cancelled():
                opening.exception()  # retrieved: a page closed before its session opened
        self._sessions.clear()


async def texts_in_top_document(
    page: Page, texts: list[str], devtools: DevTools | None = None
) -> Any:
    """The first of `texts` visible in the top document (TEXTS_SCRIPT), else None: through
    the page's DevTools session when there is one. Raises PlaywrightError as evaluate does."""
    if devtools is not None:
        return await devtools.evaluate(page, call(TEXTS_SCRIPT, texts))
    return await page.main_frame.evaluate(TEXTS_SCRIPT, texts)


@dataclass(frozen=True)
class AfterStep:
    """What the page showed once a step was done: timing and vitals, broken images, and which
    of the values typed into it went into password or card fields."""

    snapshot: dict[str, Any] | None
    broken_images: tuple[str, ...]
    sensitive: tuple[str, ...] = ()
    error_text: str | None = None  # one of the journey's error texts, shown in the top document
    # What in-page observers kept since the last look, and when: {"origin": the page's
    # timeOrigin, "told": [...]}, read in the same call (an observer's messages cost no call
    # of their own).
    told: dict[str, Any] | None = None


async def after_step(
    devtools: DevTools,
    page: Page,
    deadline: float,
    clock: Callable[[], float],
    typed: tuple[str, ...] = (),
    error_texts: tuple[str, ...] = (),
    settle_ms: int = 0,
) -> AfterStep | None:
    """Let the document in the top frame finish loading (slow is measured, not failed), then
    read it: one round trip to the page, or a second when a navigation replaced the document
    while we waited (then the values typed count as sensitive: their fields are gone). None
    when the page cannot be read (closed, crashed, between documents)."""
    for replaced in (False, True):
        if page.is_closed():
            return None
        try:
            wait_ms = max(0, int((deadline - clock()) * 1000))
            look = {
                "waitMs": wait_ms,
                "typed": typed,
                "errorTexts": error_texts,
                "settleMs": settle_ms,
            }
            data = await devtools.evaluate(page, _LOOK_CALL.replace("__ARGS__", _json(look)))
            if data is None:  # the init script did not run in this document
                data = await devtools.evaluate(page, call(AFTER_STEP_SCRIPT, look))
        except PlaywrightError as exc:
            if any(sign in str(exc) for sign in REPLACED):
                continue  # the step's navigation committed meanwhile: read the new document
            return None
        if not isinstance(data, dict):
            return None
        snapshot = data.get("snapshot")
        broken = data.get("broken_images")
        sensitive = data.get("sensitive")
        error_text = data.get("error_text")
        told = data.get("told")
        return AfterStep(
            snapshot if isinstance(snapshot, dict) else None,
            tuple(str(url) for url in broken) if isinstance(broken, list) else (),
            tuple(str(v) for v in sensitive)
            if isinstance(sensitive, list) and not replaced
            else typed,
            str(error_text) if isinstance(error_text, str) else None,
            told if isinstance(told, dict) else None,
        )
    return None


async def visible_text_in_frames(page: Page, texts: list[str], seconds: float) -> str | None:
    """The first of `texts` shown in a frame below the top document (an iframe's checkout, a
    payment provider's form), every frame asked at once; a frame that does not answer within
    `seconds` (navigating, hung) shows nothing."""
    # A frame whose first document has not arrived (a hung widget) has nothing to show, and
    # asking it would wait for that document.
    frames = [
        frame
        for frame in page.frames
        if frame is not page.main_frame and frame.url.startswith(("http://", "https://"))
    ]
    if not texts or not frames:
        return None
    answers = await asyncio.gather(
        *(asyncio.wait_for(frame.evaluate(TEXTS_SCRIPT, texts), seconds) for frame in frames),
        return_exceptions=True,
    )
    return next((str(answer) for answer in answers if isinstance(answer, str)), None)


def _seconds(ms: Any) -> float | None:
    return round(float(ms) / 1000.0, 4) if isinstance(ms, int | float) and ms > 0 else None


# What a document's message as it is left may change of what its look read (what `left()`
# compares in the page).
_LEFT_KEYS = frozenset({"load", "lcp", "cls", "inp"})


@dataclass
class _Loaded:
    step: str
    snapshot: dict[str, Any]


@dataclass
class _InFlight:
    request: Request
    step_index: int  # the step running when it was sent
    started: float
    cause: str  # the step whose action sent it (see Recorder.cause)


@dataclass
class Recorder:
    """Everything the context's browser reports, attributed to the step that caused it.

    A request, its answer and its failure belong to the step whose action sent it, however
    late the answer comes; a console error to the request it reports, else to the step that
    last acted (clicked, typed, loaded a page): a step that only looks (expect, wait) causes
    nothing, so what happens while it waits is the doing of the step before."""

    context: BrowserContext
    page: Page
    secrets: list[str] = field(default_factory=list)  # shared with the run: grows as it goes
    step: str = ""  # the step running now
    step_index: int = -1
    cause: str = ""  # the step that last acted: what happens now is put down to it
    http_errors: list[HttpError] = field(default_factory=list)
    failed_requests: list[RequestFailure] = field(default_factory=list)
    console_errors: list[ConsoleError] = field(default_factory=list)
    documents: dict[float, _Loaded] = field(default_factory=dict)
    in_flight: dict[int, _InFlight] = field(default_factory=dict)
    answers: list[tuple[int, ResourceClass, int, str, str]] = field(default_factory=list)
    last_document_status: int | None = None
    last_document_url: str = ""
    last_document_error: str | None = None
    last_document_step: tuple[int, str] | None = None
    last_document_redirected: bool = False  # the shop sent the top frame there by a redirect
    page_errors_by_step: dict[int, list[str]] = field(default_factory=dict)
    top_documents_answered: int = 0  # top-frame documents answered so far: a new page arrived
    sent_by: dict[str, str] = field(default_factory=dict)  # URL -> the step that last sent it

    def attach(self) -> None:
        self.context.on("request", self._on_request)
        self.context.on("response", self._on_response)
        self.context.on("requestfailed", self._on_failed)
        self.context.on("console", self._on_console)
        self.context.on("weberror", self._on_web_error)
        self.context.on("dialog", self._on_dialog)
        self.context.on("page", self._on_page)

    def _on_page(self, page: Page) -> None:
        """A tab the shop opened (a link with target=_blank): the shopper is there now, so its
        document is the one whose answer counts."""
        self.page = page

    def _url(self, url: str) -> str:
        return mask(public_url(url), tuple(self.secrets))

    def _is_top_document(self, request: Request) -> bool:
        try:
            return request.is_navigation_request() and request.frame == self.page.main_frame
        except PlaywrightError:
            return False

    def _on_request(self, request: Request) -> None:
        flight = _InFlight(request, self.step_index, time.monotonic(), self.cause)
        self.in_flight[id(request)] = flight
        if len(self.sent_by) < 10 * MAX_RECORDED or request.url in self.sent_by:
            self.sent_by[request.url] = self.cause
        if self._is_top_document(request):
            self.last_document_error = None

    def _sender(self, request: Request) -> tuple[int, str]:
        """The step running when a request was sent, and the step whose action sent it."""
        flight = self.in_flight.get(id(request))
        if flight is None:
            return self.step_index, self.cause
        return flight.step_index, flight.cause

    def _on_response(self, response: Response) -> None:
        request = response.request
        status = response.status
        kind = resource_class(request)
        sent_in, cause = self._sender(request)
        # Answered: no longer in flight. (No `requestfinished` listener: one event fewer per
        # request crossing from the browser; a body cut off later still fires `requestfailed`.)
        self.in_flight.pop(id(request), None)
        if kind is not ResourceClass.STATIC and len(self.answers) < 10 * MAX_RECORDED:
            self.answers.append((sent_in, kind, status, request.method, self._url(request.url)))
        if self._is_top_document(request):
            self.top_documents_answered += 1
            self.last_document_redirected = request.redirected_from is not None
            self.last_document_status = status
            self.last_document_url = self._url(request.url)
            self.last_document_step = (self.step_index, self.step)
        if status >= 400 and len(self.http_errors) < MAX_RECORDED:
            self.http_errors.append(
                HttpError(self._url(request.url), status, kind, request.method, cause)
            )

    def _on_failed(self, request: Request) -> None:
        _, cause = self._sender(request)
        self.in_flight.pop(id(request), None)
        error = request.failure or "failed"
        if self._is_top_document(request) and "ERR_ABORTED" not in error:
            self.last_document_error = error
            self.last_document_url = self._url(request.url)
        if "ERR_ABORTED" in error or len(self.failed_requests) >= MAX_RECORDED:
            return  # the page moved on before it finished: not a failure
        if "ERR_BLOCKED_BY_CLIENT" in error:
            return  # the journey's `block` rules stopped it (gates.py counts those)
        self.failed_requests.append(
            RequestFailure(self._url(request.url), error, resource_class(request), cause)
        )

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and len(self.console_errors) < MAX_RECORDED:
            text = mask(message.text[:500], tuple(self.secrets))
            # "Failed to load resource: ... 402" is the browser reporting an answer: it
            # belongs with the request, to the step that sent it.
            url = message.location.get("url", "") if message.location else ""
            cause = self.sent_by.get(url, self.cause) if text.startswith(FAILED_LOAD) else None
            self.console_errors.append(ConsoleError(text, "console", cause or self.cause))

    def _on_web_error(self, error: WebError) -> None:
        text = mask(str(error.error.message or error.error)[:500], tuple(self.secrets))
        self.page_errors_by_step.setdefault(self.step_index, []).append(text)
        if len(self.console_errors) < MAX_RECORDED:
            self.console_errors.append(ConsoleError(text, "page", self.cause))

    async def _on_dialog(self, dialog: Dialog) -> None:
        """A shopper answers alert/confirm/prompt with OK; we note what it said."""
        text = mask(f"{dialog.type}: {dialog.message}"[:500], tuple(self.secrets))
        if len(self.console_errors) < MAX_RECORDED:
            self.console_errors.append(ConsoleError(text, "dialog", self.cause))
        with suppress(PlaywrightError):
            await dialog.accept()

    def note_snapshot(self, snapshot: dict[str, Any] | None, step: str | None = None) -> None:
        """Keep the latest timing of each document, attributed to the step it arrived in: the
        one after which it was first seen (`step`, else the current one)."""
        if not snapshot or not isinstance(snapshot.get("origin"), int | float):
            return
        origin = float(snapshot["origin"])
        url = str(snapshot.get("url", ""))
        if not url.startswith(("http://", "https://")):
            return  # about:blank, chrome-error:// pages are not page loads of the shop
        known = self.documents.get(origin)
        arrived = known.step if known else self.step if step is None else step
        if known is not None:
            # The document's address and title are those it loaded with: a single-page app
            # that routes with pushState (and retitles) loaded one page, not its last route.
            first = known.snapshot
            snapshot = {**snapshot, "url": first.get("url"), "title": first.get("title")}
        self.documents[origin] = _Loaded(arrived, snapshot)

    def note_left(self, snapshot: dict[str, Any]) -> None:
        """A document's timing and vitals as it was left, sent by the page itself: what a
        look could not wait for (the first frame's LCP of a page left at once; shifts and
        interactions since the look). Only for a document a look has read (its step and
        address are that look's); a value the page no longer gives is kept as read."""
        origin = snapshot.get("origin")
        if not isinstance(origin, int | float):
            return
        known = self.documents.get(float(origin))
        if known is None:
            return
        newer = {
            key: value
            for key, value in snapshot.items()
            if key in _LEFT_KEYS and isinstance(value, int | float) and not isinstance(value, bool)
        }
        self.documents[float(origin)] = _Loaded(known.step, {**known.snapshot, **newer})

    def page_loads(self) -> list[PageLoad]:
        loads = []
        for loaded in list(self.documents.values())[:MAX_RECORDED]:
            s = loaded.snapshot
            cls = s.get("cls")
            loads.append(
                PageLoad(
                    url=self._url(str(s.get("url", ""))),
                    step=loaded.step,
                    ttfb_seconds=_seconds(s.get("ttfb")),
                    dom_content_loaded_seconds=_seconds(s.get("dcl")),
                    load_seconds=_seconds(s.get("load")),
                    lcp_seconds=_seconds(s.get("lcp")),
                    cls=round(float(cls), 4) if isinstance(cls, int | float) else None,
                    inp_seconds=_seconds(s.get("inp")),
                    status=s.get("status") if isinstance(s.get("status"), int) else None,
                    title=mask(str(s.get("title") or ""), tuple(self.secrets)) or None,
                )
            )
        return loads

    def top_document_pending(self) -> bool:
        return self.pending_document() is not None

    def pending_document(self) -> tuple[str, float] | None:
        """The page the top frame is loading and has no answer for yet, and for how long."""
        now = time.monotonic()
        for flight in self.in_flight.values():
            if self._is_top_document(flight.request):
                return self._url(flight.request.url), now - flight.started
        return None

    def pending_since(self, step_index: int) -> list[str]:
        """API and document requests sent at or after a step that never got an answer."""
        now = time.monotonic()
        return [
            f"{f.request.method} {self._url(f.request.url)} unanswered after {now - f.started:.1f}s"
            for f in self.in_flight.values()
            if f.step_index >= step_index and resource_class(f.request) is not ResourceClass.STATIC
        ]

    def answers_since(self, step_index: int, shop_only: bool = False) -> tuple[list[str], int]:
        """API/document answers since a step: the 5xx ones described, and the count of good.
        shop_only: only the shop's own, those whose site is the page's (a third party's
        failing tracker is not the shop's server)."""
        shop = site_of(self.page.url) if shop_only else None
        errors: list[str] = []
        good = 0
        for index, kind, status, method, url in self.answers:
            if index < step_index or kind is ResourceClass.STATIC:
                continue
            if shop is not None and site_of(url) != shop:
                continue
            if status >= 500:
                errors.append(f"{method} {url} answered HTTP {status}")
            elif status < 400:
                good += 1
        return errors, good

    def first_server_error_step(self) -> int | None:
        """The step that sent the first request of this document's life that the shop's own
        server answered 5xx: on a single-page app, the click whose API call failed, though the
        error it shows may only be seen after the next step."""
        shop = site_of(self.page.url)
        since = self.last_document_step[0] if self.last_document_step else 0
        failed = (
            index
            for index, kind, status, _, url in self.answers
            if index >= since
            and kind is not ResourceClass.STATIC
            and status >= 500
            and site_of(url) == shop
        )
        return next(failed, None)

    def refusals_since(self, step_index: int) -> list[str]:
        """The shop's own answers 4xx to what the shopper sent (POST, PUT...) since a step: a
        form or an API call that refused the shopper's input."""
        shop = site_of(self.page.url)
        return [
            f"{method} {url} answered HTTP {status}"
            for index, kind, status, method, url in self.answers
            if index >= step_index
            and kind is ResourceClass.API
            and 400 <= status < 500
            and method != "GET"
            and site_of(url) == shop
        ]

    def enter_step(self, index: int, name: str, acts: bool = True) -> None:
        """A step starts; `acts`: it does something to the page (not only look or wait)."""
        self.step_index = index
        self.step = name
        if acts or not self.cause:
            self.cause = name
