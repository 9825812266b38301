"""What the shopper felt: frustration signals, and the run's experience score.

An observer (see observers.py). An init script in every document and frame watches the
shopper's clicks and keeps what happens: a click (with the layout shift just before it), its
verdict, an error shown, each with the page's time. The top document's is read by the look
after each step, in the call that look makes anyway (`probes.TOLD`), which also says which
step a click belonged to; what is left when the shopper leaves a page comes through one
Playwright binding, and so does what happens in a frame, at once. So a step costs no call of
its own, and a single-page checkout none but the clicks in its payment frame. (Each message
through a binding is four between Playwright, its driver and the page.)

- `dead_click`: after a click on anything but a form field (input, select, textarea, label,
  option), nothing happened for 1 s: no DOM change (MutationObserver), no request (fetch,
  XHR, sendBeacon), no navigation, scroll, history change, dialog or new window.
- `error_click`: an uncaught error, an unhandled rejection or a console.error within 1 s after
  a click (in any frame; a failed resource load is an http error, not this).
- `layout_shift_before_click`: a layout shift (not caused by input) in the 0.5 s before a click
  moved the element clicked or what contains it.
- `long_wait`: the shopper waited on the shop past 1 s or 10 s at a step (experience.py).
- `error_shown`: one of the journey's `error_page_text`, an ARIA alert (role=alert,
  alertdialog, aria-live=assertive) with text, or an invalid form field (aria-invalid=true,
  :user-invalid, the browser's own validation) was shown, even if the journey went on.

    >>> observer = Frustration.for_run(run)                   # doctest: +SKIP
    >>> await observer.attach(context)                        # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

from playwright.async_api import BrowserContext, ConsoleMessage, Page, WebError
from playwright.async_api import Error as PlaywrightError

from monitor import experience
from monitor.journey import FillStep, Journey, WaitStep
from monitor.observers import RunContext, StepSeen
from monitor.probes import FAILED_LOAD, TOLD
from monitor.result import BudgetBreach, FrustrationSignal, RunResult, mask, over_budget

BINDING = "__checkoutMonitorFeel"
CLICK_WINDOW = 1.0  # seconds after a click in which nothing happening makes it dead
ERROR_WINDOW = 1.0  # seconds after a click in which an error makes it an error click
SKEW = 0.05  # seconds: a click's time comes from the page's clock, an error's from ours
LIMIT = 100  # signals per run: a hostile page cannot grow a result without bound

FEEL_SCRIPT = """
(() => {
  if (window.__checkoutMonitorFeelOn) return;
  Object.defineProperty(window, '__checkoutMonitorFeelOn', { value: true });
  const binding = window.__checkoutMonitorFeel;
  // The top document keeps what it has to tell for the look after the next step, which reads
  // it in the call it makes anyway (TOLD), and sends what is left as it is left (beforeunload).
  // A frame's document is not looked at after each step: it tells at once, through the binding.
  const keeps = window === window.top;
  const kept = [];
  let sent = 0;
  const tell = (told, left) => {
    try {
      (binding || window.__checkoutMonitorFeel)({ origin: performance.timeOrigin, told, left });
    } catch (e) { /* gone */ }
  };
  const send = (message) => {
    if (sent++ > 300) return;  // a page cannot flood us
    message.at = performance.now();
    if (keeps) kept.push(message); else tell([message]);
  };
  Object.defineProperty(window, '__TOLD__', { value: () => (
    { origin: performance.timeOrigin, told: kept.splice(0) }) });
  const WINDOW_MS = 1000, SHIFT_MS = 500;
  const tag = Math.random().toString(36).slice(2, 10);
  let seq = 0;
  const open = [];  // clicks not yet judged
  const describe = (el) => {
    if (!el || !el.tagName) return 'the page';
    const text = (el.getAttribute('aria-label') || el.innerText || el.value || el.title || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 40);
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (text ? ` '${text}'` : '');
  };
  const happened = () => {
    while (open.length) {
      const click = open.shift();
      clearTimeout(click.timer);
      send({ kind: 'answered', id: click.id });
    }
  };
  new MutationObserver(() => { happened(); lookLater(); }).observe(document, {
    subtree: true, childList: true, attributes: true, characterData: true });
  const wrap = (owner, name) => {
    const original = owner && owner[name];
    if (typeof original !== 'function') return;
    owner[name] = function (...args) { happened(); return original.apply(this, args); };
  };
  wrap(window, 'fetch'); wrap(window.XMLHttpRequest && XMLHttpRequest.prototype, 'send');
  wrap(navigator, 'sendBeacon'); wrap(window, 'open'); wrap(window, 'alert');
  wrap(window, 'confirm'); wrap(window, 'prompt');
  wrap(history, 'pushState'); wrap(history, 'replaceState');
  for (const type of ['beforeunload', 'pagehide', 'hashchange', 'popstate', 'submit', 'scroll']) {
    addEventListener(type, happened, { capture: true, passive: true });
  }
  const shifts = [];
  const keep = (entries) => entries.forEach((e) => {
    if (!e.hadRecentInput) { shifts.push(e); if (shifts.length > 20) shifts.shift(); }
  });
  let shiftObserver = null;
  try {
    shiftObserver = new PerformanceObserver((list) => keep(list.getEntries()));
    shiftObserver.observe({ type: 'layout-shift', buffered: true });
  } catch (e) { /* not supported */ }
  const movedBefore = (el, t) => {
    if (shiftObserver) keep(shiftObserver.takeRecords());
    for (const entry of shifts) {
      if (t - entry.startTime > SHIFT_MS) continue;
      for (const source of entry.sources || []) {
        const node = source.node;
        if (node && (node === el || node.contains(el) || el.contains(node))) {
          const dx = source.currentRect.x - source.previousRect.x;
          const dy = source.currentRect.y - source.previousRect.y;
          return `moved ${Math.round(Math.hypot(dx, dy))}px `
            + `${Math.round(t - entry.startTime)}ms before the click`;
        }
      }
    }
    return null;
  };
  addEventListener('click', (event) => {
    if (!event.isTrusted) return;
    const el = event.target instanceof Element ? event.target : null;
    const t = performance.now();
    const id = tag + '-' + (++seq);
    const field = el && el.closest('input, select, textarea, label, option, [contenteditable]');
    send({ kind: 'click', id, what: describe(el), shift: el ? movedBefore(el, t) : null,
           judged: !field });
    if (field) return;
    const click = { id };
    click.timer = setTimeout(() => {
      const at = open.indexOf(click);
      if (at >= 0) { open.splice(at, 1); send({ kind: 'dead', id }); }
    }, WINDOW_MS);
    open.push(click);
  }, true);
  const shown = new Set();
  const show = (what, text) => {
    const key = what + ':' + text;
    if (text && !shown.has(key)) { shown.add(key); send({ kind: 'shown', what, text }); }
  };
  const visible = (el) => !el.checkVisibility || el.checkVisibility({ visibilityProperty: true });
  const look = () => {
    looking = null;
    const alerts = '[role=alert], [role=alertdialog], [aria-live=assertive]';
    for (const el of document.querySelectorAll(alerts)) {
      const text = (el.innerText || '').trim().replace(/\\s+/g, ' ').slice(0, 120);
      if (visible(el)) show('alert', text);
    }
    for (const selector of ['[aria-invalid=true]', ':user-invalid']) {
      try {
        for (const el of document.querySelectorAll(selector)) {
          if (visible(el)) show('invalid', describe(el) + (el.validationMessage ? ': '
            + el.validationMessage.slice(0, 80) : ''));
        }
      } catch (e) { /* :user-invalid not supported */ }
    }
  };
  let looking = null;
  const lookLater = () => { if (!looking) looking = setTimeout(look, 50); };
  addEventListener('invalid', (event) => {
    const el = event.target;
    show('invalid', describe(el) + (el.validationMessage ? ': ' + el.validationMessage : ''));
  }, true);
  addEventListener('change', lookLater, true);
  addEventListener('focusout', lookLater, true);
  addEventListener('DOMContentLoaded', look);
  addEventListener('pagehide', look);  // what was shown until the shopper left
  // Leaving: what is kept goes now, while the document can still send (not at pagehide),
  // with the document's vitals as it is left when the look after the last step could not
  // see them all (probes.py: `left()`): the runner keeps those.
  const leave = () => {
    if (!keeps) return;
    const probe = window.__checkoutMonitor;
    const left = probe && probe.left ? probe.left() : null;
    if (kept.length || left) tell(kept.splice(0), left);
  };
  addEventListener('beforeunload', leave);
  addEventListener('pagehide', leave);
})();
""".replace("__TOLD__", TOLD)


@dataclass
class _Click:
    received: float  # our clock, when the page told us
    what: str
    judged: bool  # not a form field: can be dead
    answered: bool = False
    step: str | None = None  # the step it belonged to, known at the look after that step


@dataclass
class _Signal:
    signal: str
    detail: str
    click: _Click | None = None  # its step is the click's
    step: str | None = None  # else the step whose look came next


@dataclass
class Frustration:
    """Frustration signals of one run, and its experience score (always on: it costs the run
    a binding call per page left and per click in a frame, nothing per step)."""

    journey: Journey
    secrets: Sequence[str]
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time  # the clock a page's timeOrigin is on
    clicks: dict[str, _Click] = field(default_factory=dict)
    signals: list[_Signal] = field(default_factory=list)
    last_step: str = ""
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    errors: list[tuple[float, str]] = field(default_factory=list)  # (when, what), our clock
    # Where a top document's vitals go that it sent as it was left (RunContext.left).
    left: Callable[[dict[str, Any]], None] | None = None

    @classmethod
    def for_run(cls, run: RunContext) -> Frustration:
        return cls(run.journey, run.secrets, left=run.left)

    async def attach(self, context: BrowserContext) -> None:
        await asyncio.gather(
            context.expose_binding(BINDING, self._told), context.add_init_script(FEEL_SCRIPT)
        )
        context.on("weberror", self._on_web_error)
        context.on("console", self._on_console)

    def _told(self, source: Any, told: Any) -> None:
        """What a page sent us: a frame at once, the top document when it is left (then
        with its vitals as it was left, for the runner, if they changed since its last look)."""
        self._take(told, self.clock())
        left = told.get("left") if isinstance(told, dict) else None
        frame = source.get("frame") if isinstance(source, dict) else None
        if isinstance(left, dict) and self.left is not None and _is_top(frame):
            self.left(left)

    def _take(self, told: Any, now: float) -> None:
        """Messages a page kept ({"origin": its timeOrigin, "told": [...]}), read at `now`
        (ours). How long ago each happened is reckoned from the wall clock the page's clock
        starts at, not from when its message reached us: a message that took long on the way
        (a busy machine) must not make a click seem later than the error it caused."""
        if not isinstance(told, dict) or not isinstance(told.get("told"), list):
            return
        origin = _number(told.get("origin"))
        wall_now = self.wall()
        for message in told["told"][: 10 * LIMIT]:
            if not isinstance(message, dict):
                continue
            at = _number(message.get("at"))
            ago = wall_now - (origin + at) / 1000 if origin is not None and at is not None else 0
            self._on_message(message, now - max(0.0, ago))

    def _on_message(self, message: dict[str, Any], when: float) -> None:
        """A click, its verdict, or an error shown, that happened at `when` (our clock)."""
        if len(self.signals) >= LIMIT:
            return
        kind, text = message.get("kind"), str(message.get("what") or "")[:200]
        if kind == "click" and len(self.clicks) < 10 * LIMIT:
            click = _Click(when, text, bool(message.get("judged")))
            self.clicks[str(message.get("id"))] = click
            if isinstance(shift := message.get("shift"), str):
                self._add("layout_shift_before_click", f"{text} {shift[:80]}", click)
        elif kind in ("answered", "dead") and (told := self.clicks.get(str(message.get("id")))):
            click = told
            click.answered = True
            if kind == "dead":
                why = f"nothing happened for {CLICK_WINDOW:g}s after clicking {click.what}"
                self._add("dead_click", why, click)
            if not self._open():
                self.answered.set()
        elif kind == "shown":
            what = "an alert" if text == "alert" else "an invalid field"
            self._add("error_shown", f"{what}: {str(message.get('text'))[:150]}")

    def _on_web_error(self, error: WebError) -> None:
        self._failed(str(error.error.message or error.error))

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith(FAILED_LOAD):
            self._failed(message.text)

    def _failed(self, text: str) -> None:
        if len(self.errors) < 10 * LIMIT:
            self.errors.append((self.clock(), text))

    def _errors_after_clicks(self) -> None:
        """An error within ERROR_WINDOW after a click (its first one) makes it an error click.
        Matched at the end: a click is heard of at the look after it, its errors at once."""
        clicks = sorted(self.clicks.values(), key=lambda c: c.received)
        for when, text in self.errors:
            # (A click's time is read from the page's clock: allow it a few ms of skew.)
            recent = [c for c in clicks if -SKEW <= when - c.received <= ERROR_WINDOW]
            if not recent:
                continue
            click = recent[-1]
            if not any(s.click is click for s in self.signals if s.signal == "error_click"):
                self._add("error_click", f"{text[:150]} after clicking {click.what}", click)

    def _add(self, signal: str, detail: str, click: _Click | None = None) -> None:
        if len(self.signals) < LIMIT:
            self.signals.append(_Signal(signal, detail, click))

    def _open(self) -> list[_Click]:
        return [c for c in self.clicks.values() if c.judged and not c.answered]

    async def after_step(self, seen: StepSeen) -> None:
        if seen.look is not None:
            self._take(seen.look.told, self.clock())
        self.last_step = seen.name
        for click in self.clicks.values():
            if click.step is None:
                click.step = seen.name
        for signal in self.signals:
            if signal.click is None and signal.step is None:
                signal.step = seen.name
        text = seen.look.error_text if seen.look is not None else None
        if text and not any(s.detail.endswith(f"'{text}'") for s in self.signals):
            self._add("error_shown", f"the page shows '{text}'")
            self.signals[-1].step = seen.name

    async def finish(self, result: RunResult, page: Page | None) -> RunResult:
        open_clicks = self._open()
        if open_clicks and page is not None:
            await self._ask(page)  # what the page kept since the last look
            open_clicks = self._open()
        if open_clicks:  # a click in the run's last second: its verdict is still to come
            self.answered.clear()
            left = max(c.received for c in open_clicks) + CLICK_WINDOW + 0.2 - self.clock()
            if left > 0 and self._open():
                with suppress(TimeoutError):  # its page went away unjudged: left out
                    await asyncio.wait_for(self.answered.wait(), left)
            if self._open() and page is not None:
                await self._ask(page)
        self._errors_after_clicks()
        secrets = tuple(self.secrets)
        found = [
            FrustrationSignal(
                s.signal,
                (s.click.step if s.click else s.step) or self.last_step,
                mask(s.detail, secrets),
            )
            for s in self.signals
        ]
        waits = experience.step_waits(result, self._not_waiting())
        found += experience.long_waits(waits)
        found.sort(key=lambda s: self._order(result, s.step))
        score = experience.score(result, found, [seconds for _, seconds in waits])
        result = replace(result, frustration=tuple(found), experience_score=score)
        least = self.journey.budgets.experience_score
        if least is not None and score < least:
            breach = BudgetBreach("experience_score", f"experience score {score} < {least}")
            result = over_budget(result, [breach])
        return result

    async def _ask(self, page: Page) -> None:
        """Read what the top document kept for us (the look after a step does it in its call)."""
        with suppress(PlaywrightError, TimeoutError):
            told = await asyncio.wait_for(
                page.main_frame.evaluate(f"() => window.{TOLD} && window.{TOLD}()"), 2.0
            )
            self._take(told, self.clock())

    def _not_waiting(self) -> set[int]:
        """Steps that are our own doing, not waiting on the shop: typing, a fixed pause."""
        return {
            index
            for index, step in enumerate(self.journey.steps)
            if isinstance(step, FillStep)
            or (isinstance(step, WaitStep) and step.wait.seconds is not None)
        }

    @staticmethod
    def _order(result: RunResult, step: str) -> int:
        return next((s.index for s in result.steps if s.name == step), len(result.steps))


def _is_top(frame: Any) -> bool:
    """Whether a binding's caller is a top document (a frame's own vitals are not a page's)."""
    try:
        return frame is not None and frame.parent_frame is None
    except (PlaywrightError, AttributeError):
        return False


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
