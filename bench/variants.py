"""Runner variants that each leave one kind of measurement out, and a timing profile.

Nothing in monitor/ is edited: a variant swaps a module attribute for the length of a run
(`with variant.applied(): await runner.run(journey)`) and puts it back after.

    for variant in VARIANTS:
        with variant.applied():
            result = await variant.runner(browser, devices, artifacts).run(journey)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import playwright.async_api._generated as playwright_api
from playwright.async_api import Browser, Frame, Locator, Page

import monitor.classify
import monitor.observers
import monitor.probes
import monitor.runner
import monitor.steps
from monitor.accessibility import AccessibilityCheck
from monitor.journey import FilmstripMode, Target
from monitor.observers import RunContext
from monitor.runner import Runner, TraceMode


@dataclass(frozen=True)
class Patch:
    owner: object
    name: str
    value: object


@contextmanager
def patched(patches: tuple[Patch, ...]) -> Iterator[None]:
    saved = [(p.owner, p.name, getattr(p.owner, p.name)) for p in patches]
    try:
        for p in patches:
            setattr(p.owner, p.name, p.value)
        yield
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)


async def _no_look(
    self: monitor.runner._Play, page: Page, deadline: float, step: str, typed: list[Any]
) -> None:
    return None


async def _never(page: Page, texts: list[str], devtools: object = None) -> str:
    await asyncio.Event().wait()  # cancelled when the step ends
    return ""


def _no_attach(self: monitor.probes.Recorder) -> None:
    return None


def _first_match(root: Page | Frame, target: Target, frames: tuple[str, ...] = ()) -> Locator:
    found = monitor.probes.locate_all(root, target, frames)
    return found.nth(target.nth) if target.nth is not None else found.first


def _no_feel() -> tuple[Any, ...]:
    from monitor.broken_images import BrokenImages

    return (BrokenImages.for_run,)


def _checked(cls: type[AccessibilityCheck], run: RunContext) -> AccessibilityCheck:
    return cls(run.journey, "wcag2aa", run.secrets)


NO_LOOK = Patch(monitor.runner._Play, "_look_after_step", _no_look)
NO_FEEL = Patch(monitor.observers, "factories", _no_feel)
ACCESSIBILITY = Patch(AccessibilityCheck, "for_run", classmethod(_checked))
NO_INIT_SCRIPT = Patch(monitor.runner, "INIT_SCRIPT", "/* no probes */")
NO_WATCHER = Patch(monitor.runner, "_watch_for", _never)
NO_LISTENERS = Patch(monitor.probes.Recorder, "attach", _no_attach)
NO_VISIBLE_FILTER = Patch(monitor.steps, "locate", _first_match)
SLOW_FIRST_POLLS = Patch(monitor.steps, "FIRST_POLLS", ())
INIT_SCRIPT: str = monitor.probes.INIT_SCRIPT
_PAINT_WAIT = "await presented(settleMs);"
assert _PAINT_WAIT in INIT_SCRIPT, "the init script changed: update bench/variants"
NO_PAINT_WAIT = Patch(monitor.runner, "INIT_SCRIPT", INIT_SCRIPT.replace(_PAINT_WAIT, ""))


@dataclass(frozen=True)
class Variant:
    name: str
    leaves_out: str
    trace: TraceMode = "on-failure"
    artifacts: bool = True
    patches: tuple[Patch, ...] = ()
    filmstrip: FilmstripMode = "on-failure"

    def runner(self, browser: Browser, devices: Mapping[str, Any], artifacts: Path) -> Runner:
        folder = artifacts if self.artifacts else None
        return Runner(
            browser, devices, artifacts_dir=folder, trace=self.trace, filmstrip=self.filmstrip
        )

    @contextmanager
    def applied(self) -> Iterator[None]:
        with patched(self.patches):
            yield


RUNNER = Variant("runner", "nothing: as `checkout-monitor run` (filmstrip on-failure)")
EVERYTHING = (
    NO_LOOK,
    NO_INIT_SCRIPT,
    NO_WATCHER,
    NO_LISTENERS,
    NO_VISIBLE_FILTER,
    NO_FEEL,
)
VARIANTS = (
    RUNNER,
    Variant(
        "trace every run",
        "(adds) a trace of every run, kept on failure (trace='retain-on-failure')",
        trace="retain-on-failure",
    ),
    Variant("filmstrip off", "the filmstrip (no frames taken)", filmstrip="off"),
    Variant(
        "filmstrip always",
        "(adds) writing the frames of passing runs too (filmstrip='always')",
        filmstrip="always",
    ),
    Variant(
        "no after-step look",
        "the look after each step: load wait, timing/vitals, broken images",
        patches=(NO_LOOK,),
    ),
    Variant(
        "no probes", "init script and the look after each step", patches=(NO_LOOK, NO_INIT_SCRIPT)
    ),
    Variant("no watcher", "the look for error/declined text every 0.5s", patches=(NO_WATCHER,)),
    Variant("no feel", "frustration signals and experience score", patches=(NO_FEEL,)),
    Variant(
        "accessibility on",
        "(adds) axe-core, wcag2aa, on each new document and its frames",
        patches=(ACCESSIBILITY,),
    ),
    Variant("no listeners", "request/response/console listeners", patches=(NO_LISTENERS,)),
    Variant("no visible filter", "visible-only locators", patches=(NO_VISIBLE_FILTER,)),
    Variant(
        "no paint wait",
        "the last look's wait for the first frame to be presented (its LCP)",
        patches=(NO_PAINT_WAIT,),
    ),
    Variant(
        "expect polls 100ms",
        "(changes) expect's quick first looks: every pause 100 ms, ended by a change after 50",
        patches=(SLOW_FIRST_POLLS,),
    ),
    Variant(
        "bare runner",
        "every removal above, trace and filmstrip off",
        trace="off",
        patches=EVERYTHING,
        filmstrip="off",
    ),
)


# ---------------------------------------------------------------- where a run's time goes


@dataclass
class Profile:
    """Wall seconds and calls per instrumented function, over the runs it was applied to."""

    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, took: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + took
        self.calls[name] = self.calls.get(name, 0) + 1


AsyncFunction = Callable[..., Awaitable[Any]]


def _timed(profile: Profile, name: str, function: AsyncFunction) -> AsyncFunction:
    async def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return await function(*args, **kwargs)
        finally:
            profile.add(name, time.perf_counter() - began)

    return timed


def _timed_sync(profile: Profile, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            profile.add(name, time.perf_counter() - began)

    return timed


# What is timed: (owner, attribute, label). The watcher's look runs beside the step, and the
# look after a step beside the steps that follow it, so their seconds overlap others'; the
# wait for those looks, and everything else here, is on the run's critical path.
PROFILED: tuple[tuple[object, str, str], ...] = (
    (playwright_api.Browser, "new_context", "new context"),
    (playwright_api.BrowserContext, "add_init_script", "add init script"),
    (playwright_api.Tracing, "start", "tracing start"),
    (monitor.runner, "perform", "step actions (perform)"),
    (monitor.runner._Play, "_look_after_step", "look after step (beside the next steps)"),
    (monitor.runner._Play, "_looked", "waiting for those looks (before leaving a page)"),
    (monitor.runner, "find_visible_text", "watcher look (beside the step)"),
    (monitor.runner._Play, "_finish", "finish: observe + classify + result"),
    (monitor.runner._Play, "_save_trace", "tracing stop (discard)"),
    (playwright_api.BrowserContext, "close", "close context"),
)


@contextmanager
def profiled(profile: Profile) -> Iterator[None]:
    patches = [
        Patch(owner, attribute, _timed(profile, label, getattr(owner, attribute)))
        for owner, attribute, label in PROFILED
    ]
    classify = _timed_sync(profile, "classify", monitor.classify.classify)
    with patched((*patches, Patch(monitor.runner, "classify", classify))):
        yield
