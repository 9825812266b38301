"""The seam every measurement beside the steps goes behind: one module per measurement.

An observer watches one run. The runner calls it three times, and nothing else:

- `attach(context)` once, before the run's first page opens: add init scripts, bindings,
  listeners, routes to the context (they reach every page, frame and popup of the run);
- `after_step(seen)` after each step, inside the look after it — beside the steps that stay on
  the page, awaited before a step that may leave it — with what that look read;
- `finish(result, page)` once at the end: it returns the RunResult with its part filled in.

It never decides whether the run passed, except by a budget on what it alone measures (a run
that worked but scored below its `experience_score` budget is `budget_exceeded`, through
`result.over_budget`); it never fails a run otherwise: an observer that breaks is logged
and leaves its part empty (a monitor fault must not be blamed on the shop). Adding a
measurement adds a module with a factory and one line in `FACTORIES`; the runner does not
change. (Modelled on client_python's collectors in a registry.)

    >>> observers = Observers.for_run(journey, folder)          # doctest: +SKIP
    >>> await observers.attach(context)                         # doctest: +SKIP
    >>> await observers.after_step(StepSeen(0, "goto /", ...))  # doctest: +SKIP
    >>> result = await observers.finish(result, page)           # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from playwright.async_api import BrowserContext, Locator, Page

from monitor.artifacts import RunFolder
from monitor.journey import FilmstripMode, Journey
from monitor.probes import AfterStep
from monitor.result import RunResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepSeen:
    """A step, as the look after it found the page."""

    index: int
    name: str
    action: str  # "click", "expect", ...
    page: Page  # the tab the shopper is on now
    look: AfterStep | None  # what the one round trip after the step read; None: unreadable
    failed: bool = False  # the step did not come true


@dataclass(frozen=True)
class RunContext:
    """What an observer may know of its run when it is made."""

    journey: Journey
    folder: RunFolder | None  # where the run's artifacts go; None: no artifacts
    secrets: Sequence[str]  # grows as the run types secrets: read it late, mask with it
    # Fields typed into with a secret (grows like `secrets`): black them out in any picture.
    masked_fields: Sequence[Locator] = ()
    filmstrip: FilmstripMode = "off"  # the run's --filmstrip; the journey's setting wins
    # The Runner's re-play of a failed run (runner.py). `replay_of`: this play is one, and
    # that is the failed run's folder; a re-play keeps no files (`folder` is None) except the
    # filmstrip's frames, which belong to the failed run. `replay_follows`: if this play
    # fails, the Runner plays it once more (no `attempt` given, artifacts kept).
    replay_of: RunFolder | None = None
    replay_follows: bool = False
    # A top document's timing and vitals ({"origin": its timeOrigin, ...}, as the look reads
    # them) that it sent as the shopper left it: the runner keeps them with what the looks
    # read (what the page's channel to us, frustration.py's binding, hears of them).
    left: Callable[[dict[str, Any]], None] | None = None


class Observer(Protocol):
    async def attach(self, context: BrowserContext) -> None: ...

    async def after_step(self, seen: StepSeen) -> None: ...

    async def finish(self, result: RunResult, page: Page | None) -> RunResult: ...


# Each measurement's factory: its observer for a run, or None when the journey doesn't ask.
Factory = Callable[[RunContext], "Observer | None"]


def factories() -> tuple[Factory, ...]:
    """Every measurement, in the order they see each step and fill in the result."""
    from monitor.accessibility import AccessibilityCheck
    from monitor.broken_images import BrokenImages
    from monitor.filmstrip import Filmstrip
    from monitor.frustration import Frustration

    # The picture first, while the screen is as the step left it; the slow check last.
    return (
        BrokenImages.for_run,
        Filmstrip.for_run,
        Frustration.for_run,
        AccessibilityCheck.for_run,
    )


@dataclass
class Observers:
    """The observers of one run, called together; one that raises is logged and dropped."""

    members: list[Observer]

    @classmethod
    def for_run(cls, run: RunContext, made_by: Sequence[Factory] | None = None) -> Observers:
        made = (factory(run) for factory in (factories() if made_by is None else made_by))
        return cls([observer for observer in made if observer is not None])

    async def attach(self, context: BrowserContext) -> None:
        """Every observer at once: each is a few calls to the browser, none waits for another."""

        async def attach(observer: Observer) -> None:
            try:
                await observer.attach(context)
            except Exception:
                self._drop(observer, "attach")

        await asyncio.gather(*(attach(observer) for observer in list(self.members)))

    async def after_step(self, seen: StepSeen) -> None:
        for observer in list(self.members):
            try:
                await observer.after_step(seen)
            except Exception:
                self._drop(observer, "after_step")

    async def finish(self, result: RunResult, page: Page | None) -> RunResult:
        for observer in list(self.members):
            try:
                result = await observer.finish(result, page)
            except Exception:
                self._drop(observer, "finish")
        return result

    def _drop(self, observer: Observer, where: str) -> None:
        log.exception(
            "observer %s failed in %s; its part of this run is left out",
            type(observer).__name__,
            where,
        )
        self.members.remove(observer)
