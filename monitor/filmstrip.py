"""The filmstrip: a small picture of what the shopper saw after each step that changed it.

An observer (see observers.py). After each step that changed the screen — a goto, click,
select, check, press, hover — and after any step that failed, the viewport is taken as a JPEG
(quality 50, CSS pixels: a few tens of KB, also on a 3x phone), with password and card fields
and every field typed into with a secret blacked out as in the failure screenshot. Steps that
only look (`expect`, `wait`, `remember`, `expect_content`, `screenshot`) or type (`fill`: the
next frame shows what was typed) are left out unless they failed. The run's failure gets a
frame of its own when its step has none.

Frames are held in memory and written to the run's artifact folder at the end. `always` takes
and keeps every run's; `off` takes none. `on-failure` costs a passing run nothing where the
Runner re-plays a failed run (`run`: no `attempt`, artifacts kept): a run takes no frame but,
when it failed, the one at its failure — the page as the shopper saw it then — and the
re-play takes a frame after each step as `always` does, written beside the failed run's as
`replay-frame-NN-<step>.jpg` and marked `replay` (the result's `replay` says whether the
re-play failed alike, otherwise, or passed). Where no re-play comes (serve's retries, no
artifact folder), `on-failure` takes frames in every run and keeps a failed run's. The picture
is taken inside the look after the step: beside the steps that stay on the page, awaited
before one that may leave it.

    >>> strip = Filmstrip.for_run(RunContext(journey, folder, [], filmstrip="always"))
    >>> await strip.after_step(seen); result = await strip.finish(result, page)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace

from playwright.async_api import BrowserContext, Locator, Page
from playwright.async_api import Error as PlaywrightError

from monitor.artifacts import SENSITIVE_FIELDS, RunFolder
from monitor.journey import FillStep, FilmstripMode, Journey
from monitor.observers import RunContext, StepSeen
from monitor.result import FilmFrame, RunResult

log = logging.getLogger(__name__)

# Steps that leave the screen as it was, or nearly: looking, waiting, typing into a field (the
# next frame shows what was typed). Each frame costs Chromium about 40 ms of CPU (bench/).
UNCHANGED = frozenset({"expect", "wait", "remember", "expect_content", "screenshot", "fill"})
QUALITY = 50  # JPEG: 15-60 KB for a shop page at 1280x720; text still reads
LIMIT = 60  # frames per run: a long journey cannot fill the disk
TAKE_SECONDS = 5.0  # a renderer that does not paint in this time gets no frame
# A frame may be taken while the next step types (the look after a step runs beside a `fill`),
# before the look after that fill has told which fields hold a secret: so every field a
# shopper types into is blacked out, and so is every iframe the journey types into (card
# forms of payment providers). The shopper's own email shows as a block: safe over complete.
TYPED_FIELDS = (
    "input:not([type=checkbox]):not([type=radio]):not([type=submit]):not([type=button])"
    ":not([type=reset]):not([type=image]):not([type=hidden]):not([type=range])"
    ":not([type=color]), textarea, [contenteditable=''], [contenteditable=true]"
)


@dataclass(frozen=True)
class _Taken:
    index: int
    step: str
    jpeg: bytes


@dataclass
class Filmstrip:
    mode: FilmstripMode
    folder: RunFolder
    masked_fields: Sequence[Locator] = ()
    typed_frames: tuple[str, ...] = ()  # the outermost iframe of each field typed into
    # False: only the frame at the failure, taken at the end (the re-play takes the others)
    every_step: bool = True
    replay: bool = False  # the frames of the Runner's re-play, kept for the failed run
    frames: list[_Taken] = field(default_factory=list)

    @classmethod
    def for_run(cls, run: RunContext) -> Filmstrip | None:
        mode = run.journey.filmstrip or run.filmstrip
        if mode == "off":
            return None
        typed = _typed_frames(run.journey)
        if run.replay_of is not None:
            # Only on-failure films a re-play: `always` kept the failed run's own frames.
            if mode != "on-failure":
                return None
            return cls(mode, run.replay_of, run.masked_fields, typed, replay=True)
        if run.folder is None:
            return None
        every_step = not (mode == "on-failure" and run.replay_follows)
        return cls(mode, run.folder, run.masked_fields, typed, every_step=every_step)

    async def attach(self, context: BrowserContext) -> None:
        pass  # nothing to set up: a frame is taken when a step is done

    async def after_step(self, seen: StepSeen) -> None:
        if seen.look is None or not self.every_step:  # nothing to picture, or not yet
            return
        if seen.action in UNCHANGED and not seen.failed:
            return
        await self._take(seen.page, seen.index, seen.name)

    async def finish(self, result: RunResult, page: Page | None) -> RunResult:
        failure = result.failure
        at = failure.step_index if failure is not None else None
        if at is not None and page is not None and all(f.index != at for f in self.frames):
            await self._take(page, at, failure.step or "" if failure else "")
        if self.mode == "on-failure" and result.passed and not self.replay:
            return result
        return replace(result, filmstrip=tuple(self._write(result)))

    async def _take(self, page: Page, index: int, step: str) -> None:
        if len(self.frames) >= LIMIT or page.is_closed():
            return
        masks = [*self.masked_fields, page.locator(f"{SENSITIVE_FIELDS}, {TYPED_FIELDS}")]
        masks += [page.locator(frame) for frame in self.typed_frames]
        with suppress(PlaywrightError, TimeoutError):
            jpeg = await asyncio.wait_for(
                page.screenshot(
                    type="jpeg",
                    quality=QUALITY,
                    scale="css",
                    mask=masks,
                    timeout=TAKE_SECONDS * 1000,
                ),
                TAKE_SECONDS + 1,
            )
            self.frames.append(_Taken(index, step, jpeg))
            return
        log.info("no filmstrip frame after step %d (%s): the page did not answer", index, step)

    def _write(self, result: RunResult) -> list[FilmFrame]:
        failed_at = result.failure.step_index if result.failure is not None else None
        if self.replay:
            failed_at = None  # `at_failure` is the failed run's own frame: see result.replay
        prefix = "replay-frame" if self.replay else "frame"
        written = []
        for number, taken in enumerate(self.frames, 1):
            path = self.folder.file(f"{prefix}-{number:02d}-{taken.step}.jpg")
            path.write_bytes(taken.jpeg)
            at_failure = taken.index == failed_at
            written.append(
                FilmFrame(
                    taken.index, taken.step, str(path), len(taken.jpeg), at_failure, self.replay
                )
            )
        # The last frame of the failing step is the one at the failure: only it is marked.
        marked = [i for i, f in enumerate(written) if f.at_failure]
        for i in marked[:-1]:
            written[i] = replace(written[i], at_failure=False)
        return written


def _typed_frames(journey: Journey) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for step in journey.steps:
        if isinstance(step, FillStep):
            outer = [step.frame] if isinstance(step.frame, str) else list(step.frame or [])
            for value in step.fill:
                frames = value.frames or tuple(outer)
                if frames:
                    found[frames[0]] = None
    return tuple(found)
