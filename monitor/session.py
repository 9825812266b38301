"""One Chromium for many runs: launch it, run journeys in it (in parallel), close it.

Closing ends every process Playwright started for it (processes.py): nothing outlives us.

>>> results = asyncio.run(run_journeys(journeys, find_browser(), parallel=2))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.async_api import Browser, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from monitor.browser import FoundBrowser, launch_options, use_node_compile_cache
from monitor.errors import BrowserLaunchFailed
from monitor.processes import ProcessTree, own_children

if TYPE_CHECKING:  # the Runner and the models are imported when a run starts, not here:
    # `run` starts the browser while it imports them and loads the journeys (cli.py).
    from monitor.journey import FilmstripMode, Journey
    from monitor.result import RunResult
    from monitor.runner import Runner, StepListener, TraceMode

ResultListener = Callable[["RunResult"], None]

log = logging.getLogger("checkout_monitor")

CLOSE_SECONDS = 10.0  # for the browser, then the driver, to close before they are killed


async def _start_playwright() -> tuple[Playwright, ProcessTree]:
    """Playwright, and the tree of processes its driver (our new child) will start."""
    use_node_compile_cache()
    before = own_children()
    playwright = await async_playwright().start()
    return playwright, ProcessTree(own_children() - before)


async def _close(browser: Browser | None, playwright: Playwright, tree: ProcessTree) -> None:
    """Close the browser and Playwright, then see every process they started gone."""
    tree.remember()
    if browser is not None:
        with suppress(PlaywrightError, TimeoutError):
            await asyncio.wait_for(browser.close(), timeout=CLOSE_SECONDS)
    with suppress(PlaywrightError, TimeoutError):
        await asyncio.wait_for(playwright.stop(), timeout=CLOSE_SECONDS)
    killed = await tree.end()
    if killed:
        log.warning(
            "%d browser process%s still running after the browser closed; killed",
            len(killed),
            "es were" if len(killed) != 1 else " was",
        )


def _launch_error(found: FoundBrowser, exc: Exception) -> BrowserLaunchFailed:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
    return BrowserLaunchFailed(
        f"Chromium at {found.path} would not start: {first}\n"
        "Check it with `checkout-monitor doctor`, or choose another with --browser-path."
    )


class BrowserKeeper:
    """One Chromium for a long-running process, relaunched when it has died.

    keeper = BrowserKeeper(find_browser(), on_restart=metrics.browser_restarted)
    await keeper.start()
    browser = await keeper.ensure()     # the live browser, relaunched if it died
    await keeper.close()
    """

    def __init__(self, found: FoundBrowser, on_restart: Callable[[], None] | None = None) -> None:
        self.found = found
        self.on_restart = on_restart
        self.devices: Mapping[str, Any] = {}
        self._playwright: Playwright | None = None
        self._tree = ProcessTree(())
        self._browser: Browser | None = None
        self._lock = asyncio.Lock()

    @property
    def up(self) -> bool:
        return self._browser is not None and self._browser.is_connected()

    async def start(self) -> None:
        self._playwright, self._tree = await _start_playwright()
        self.devices = self._playwright.devices
        try:
            await self._launch()
        except BaseException:
            await self.close()
            raise

    async def _launch(self) -> Browser:
        assert self._playwright is not None, "start() first"
        # Reap what closed browsers left us, so a long-lived process collects no zombies.
        self._tree.reap()
        try:
            self._browser = await self._playwright.chromium.launch(**launch_options(self.found))
        except PlaywrightError as exc:
            raise _launch_error(self.found, exc) from exc
        self._tree.remember()
        return self._browser

    async def ensure(self) -> Browser:
        """The running browser; if it has died, a new one (counted as a restart)."""
        async with self._lock:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            if self._browser is not None:
                with suppress(PlaywrightError, TimeoutError):
                    await asyncio.wait_for(self._browser.close(), timeout=10)
                if self.on_restart is not None:
                    self.on_restart()
            return await self._launch()

    async def discard(self) -> None:
        """Give up on the current browser (it hangs): the next `ensure` launches a new one."""
        async with self._lock:
            browser, self._browser = self._browser, None
        if browser is not None:
            with suppress(PlaywrightError, TimeoutError):
                await asyncio.wait_for(browser.close(), timeout=10)
            if self.on_restart is not None:
                self.on_restart()

    async def close(self) -> None:
        """Close the browser and Playwright; returns when every process they started is gone."""
        async with self._lock:
            browser, self._browser = self._browser, None
            playwright, self._playwright = self._playwright, None
            if playwright is not None:
                await _close(browser, playwright, self._tree)


@asynccontextmanager
async def open_browser(found: FoundBrowser) -> AsyncIterator[tuple[Browser, Mapping[str, Any]]]:
    """The launched browser and Playwright's device descriptors; on exit, closed, and every
    process they started gone."""
    playwright, tree = await _start_playwright()
    browser: Browser | None = None
    try:
        try:
            browser = await playwright.chromium.launch(**launch_options(found))
        except PlaywrightError as exc:
            raise _launch_error(found, exc) from exc
        tree.remember()
        yield browser, playwright.devices
    finally:
        await _close(browser, playwright, tree)


async def run_journeys(
    journeys: Sequence[Journey] | Callable[[], Sequence[Journey]],
    found: FoundBrowser,
    *,
    parallel: int = 1,
    artifacts_dir: Path | None = None,
    trace: TraceMode = "on-failure",
    filmstrip: FilmstripMode = "on-failure",
    location: str = "",
    on_step: StepListener | None = None,
    on_result: ResultListener | None = None,
    stop_before_payment: bool = False,
) -> list[RunResult]:
    """Run each journey once, at most `parallel` at a time, in one browser; results in order.

    ``journeys`` may be a function that loads them: it is called in a worker thread while
    Playwright and the browser start (a command's imports and journey files then cost no
    time of their own). Its error wins over the browser's: bad input is said first."""
    loading = asyncio.ensure_future(asyncio.to_thread(_loaded, journeys))
    try:
        async with open_browser(found) as (browser, devices):
            todo, runner_class = await loading
            runner = runner_class(
                browser,
                devices,
                artifacts_dir=artifacts_dir,
                trace=trace,
                filmstrip=filmstrip,
                location=location,
                on_step=on_step,
                stop_before_payment=stop_before_payment,
                close_later=True,  # _play_all waits for the contexts before the browser goes
            )
            return await _play_all(runner, todo, parallel, on_result)
    except BaseException:
        await asyncio.wait([loading])  # a thread cannot be cancelled: let it end
        if not loading.cancelled() and (error := loading.exception()) is not None:
            raise error from None
        raise


def _loaded(
    journeys: Sequence[Journey] | Callable[[], Sequence[Journey]],
) -> tuple[Sequence[Journey], type[Runner]]:
    """The journeys, and the Runner (its import is most of a command's start)."""
    from monitor.runner import Runner

    return (journeys() if callable(journeys) else journeys), Runner


async def _play_all(
    runner: Runner, journeys: Sequence[Journey], parallel: int, on_result: ResultListener | None
) -> list[RunResult]:
    # At most `parallel` runs act at once; a run that passed its steps makes way for the next
    # while it reads its last page (see Runner.slots).
    runner.slots = asyncio.Semaphore(max(1, parallel))

    async def one(journey: Journey) -> RunResult:
        result = await runner.run(journey)
        if on_result is not None:
            on_result(result)
        return result

    try:
        return list(await asyncio.gather(*(one(j) for j in journeys)))
    finally:
        await runner.contexts_closed()  # (with close_later, the last ones may still close)


class AsyncPlayer:
    """What `run_journeys` does, for callers that play now and then: one Chromium, launched
    at the first play and kept (relaunched if it died) until `close`. The pytest plugin and
    the Python API play through it.

        player = AsyncPlayer(find_browser(), artifacts_dir=Path("artifacts"))
        results = await player.play(journeys, parallel=2)
        await player.close()
    """

    def __init__(
        self,
        found: FoundBrowser,
        *,
        artifacts_dir: Path | None = None,
        trace: TraceMode = "on-failure",
        filmstrip: FilmstripMode = "on-failure",
        location: str = "",
        on_step: StepListener | None = None,
        stop_before_payment: bool = False,
    ) -> None:
        self.found = found
        self.artifacts_dir = artifacts_dir
        self.trace: TraceMode = trace
        self.filmstrip: FilmstripMode = filmstrip
        self.location = location
        self.on_step = on_step
        self.stop_before_payment = stop_before_payment
        self._keeper: BrowserKeeper | None = None
        self._lock = asyncio.Lock()

    async def _browser(self) -> tuple[Browser, Mapping[str, Any]]:
        async with self._lock:
            if self._keeper is None:
                keeper = BrowserKeeper(self.found)
                try:
                    await keeper.start()
                except BaseException:
                    await keeper.close()
                    raise
                self._keeper = keeper
        return await self._keeper.ensure(), self._keeper.devices

    async def play(
        self,
        journeys: Sequence[Journey],
        *,
        parallel: int = 1,
        on_result: ResultListener | None = None,
    ) -> list[RunResult]:
        """Run each journey once, at most `parallel` at a time; results in order. Raises
        BrowserError when there is no browser to play them in."""
        from monitor.runner import Runner  # imported when a play starts (see run_journeys)

        browser, devices = await self._browser()
        runner = Runner(
            browser,
            devices,
            artifacts_dir=self.artifacts_dir,
            trace=self.trace,
            filmstrip=self.filmstrip,
            location=self.location,
            on_step=self.on_step,
            stop_before_payment=self.stop_before_payment,
            close_later=True,  # _play_all waits for the contexts before the browser goes
        )
        return await _play_all(runner, journeys, parallel, on_result)

    async def close(self) -> None:
        async with self._lock:
            keeper, self._keeper = self._keeper, None
        if keeper is not None:
            await keeper.close()
