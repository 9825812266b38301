"""Play journeys from Python: load them, play them, read what the shopper went through.

    import monitor

    journeys = monitor.load_journeys("journeys/")
    results = monitor.play(journeys, parallel=2, artifacts="artifacts")
    for result in results:
        print(result.journey, result.passed, result.failure_kind, result.clicks)

Each result is the RunResult that `checkout-monitor run --json` writes (`result.to_dict()`),
found by the same runner as `run`, `serve` and the pytest plugin (session.py). A failing shop
is a result, never an exception; what is raised is a CheckoutMonitorError (errors.py): bad
journeys (JourneyError, naming file:line) or no usable browser (BrowserError).
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, overload

from monitor.browser import find_browser, in_own_thread
from monitor.errors import BrowserError, ConfigError, JourneyError
from monitor.journey import FilmstripMode, Journey
from monitor.loader import load_journeys as _load_paths
from monitor.loader import load_text
from monitor.result import RunResult
from monitor.runner import StepListener, TraceMode
from monitor.session import AsyncPlayer, run_journeys

T = TypeVar("T")

__all__ = [
    "Player",
    "load_journeys",
    "parse_journeys",
    "play",
    "play_async",
    "with_base_url",
]


def load_journeys(*paths: str | Path, env: Mapping[str, str] | None = None) -> list[Journey]:
    """Every journey in these files and folders (folders: every *.yaml, *.yml inside), a
    `matrix` journey once per device. `${VAR}`s come from `env` (default: the environment).
    Raises JourneyError listing every problem, each with its file:line:column."""
    return _load_paths(paths, env=env)


def parse_journeys(
    text: str, *, source: str = "<string>", env: Mapping[str, str] | None = None
) -> list[Journey]:
    """Every journey in a YAML text (one journey, or several under `journeys:`), as
    `load_journeys` reads a file; problems are named `<string>:line:column` (or `source`).

    >>> [journey] = parse_journeys('''
    ... name: home
    ... base_url: http://127.0.0.1:8080
    ... steps: [{goto: /}]
    ... ''')
    >>> journey.name, journey.device
    ('home', 'Desktop Chrome')
    """
    journeys, problems = load_text(text, source, os.environ if env is None else env)
    if problems:
        raise JourneyError(problems)
    return journeys


def with_base_url(journeys: Sequence[Journey], base_url: str | None) -> list[Journey]:
    """The journeys pointed at another shop (a staging or preview URL): relative `goto`s start
    there. None leaves them as they are."""
    if base_url is None:
        return list(journeys)
    url = base_url.rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        raise ConfigError(
            f"base URL {base_url!r} is not an http(s) URL such as https://staging.example.com"
        )
    return [j.model_copy(update={"base_url": url}) for j in journeys]


def _artifacts(artifacts: str | Path | None) -> Path | None:
    return None if artifacts is None else Path(artifacts)


@overload
async def play_async(
    journeys: Journey,
    *,
    parallel: int = ...,
    artifacts: str | Path | None = ...,
    trace: TraceMode = ...,
    filmstrip: FilmstripMode = ...,
    stop_before_payment: bool = ...,
    browser_path: str | None = ...,
    base_url: str | None = ...,
    on_step: StepListener | None = ...,
) -> RunResult: ...
@overload
async def play_async(
    journeys: Sequence[Journey],
    *,
    parallel: int = ...,
    artifacts: str | Path | None = ...,
    trace: TraceMode = ...,
    filmstrip: FilmstripMode = ...,
    stop_before_payment: bool = ...,
    browser_path: str | None = ...,
    base_url: str | None = ...,
    on_step: StepListener | None = ...,
) -> list[RunResult]: ...
async def play_async(
    journeys: Journey | Sequence[Journey],
    *,
    parallel: int = 1,
    artifacts: str | Path | None = None,
    trace: TraceMode = "on-failure",
    filmstrip: FilmstripMode = "on-failure",
    stop_before_payment: bool = False,
    browser_path: str | None = None,
    base_url: str | None = None,
    on_step: StepListener | None = None,
) -> RunResult | list[RunResult]:
    """Play a journey (its RunResult) or several (their RunResults, in order) once, in one
    Chromium launched for them, as `checkout-monitor run` does with the same options:

    - `parallel`: journeys at a time; `artifacts`: folder for failure screenshots, HTML and
      traces (None: none are kept); `trace`: "on-failure" (a failed run is re-played traced),
      "retain-on-failure", "always" or "off"; `filmstrip`: pictures after the steps,
      "on-failure" (a passing run takes none; a failed run gets the frame at its failure and
      is re-played once for the others, marked `replay`: without `artifacts`, no frames),
      "always" or "off" (a journey's own wins);
    - `stop_before_payment`: walk up to the pay button, check it, place no order;
    - `browser_path`: the Chromium to use (default: found as `run` finds it);
    - `base_url`: play every journey against this URL instead of its `base_url`;
    - `on_step`: called with (journey, StepResult) as each step ends.
    """
    many = list(journeys) if isinstance(journeys, Sequence) else [journeys]
    results = await run_journeys(
        with_base_url(many, base_url),
        find_browser(browser_path),
        parallel=parallel,
        artifacts_dir=_artifacts(artifacts),
        trace=trace,
        filmstrip=filmstrip,
        on_step=on_step,
        stop_before_payment=stop_before_payment,
    )
    return results if isinstance(journeys, Sequence) else results[0]


@overload
def play(
    journeys: Journey,
    *,
    parallel: int = ...,
    artifacts: str | Path | None = ...,
    trace: TraceMode = ...,
    filmstrip: FilmstripMode = ...,
    stop_before_payment: bool = ...,
    browser_path: str | None = ...,
    base_url: str | None = ...,
    on_step: StepListener | None = ...,
) -> RunResult: ...
@overload
def play(
    journeys: Sequence[Journey],
    *,
    parallel: int = ...,
    artifacts: str | Path | None = ...,
    trace: TraceMode = ...,
    filmstrip: FilmstripMode = ...,
    stop_before_payment: bool = ...,
    browser_path: str | None = ...,
    base_url: str | None = ...,
    on_step: StepListener | None = ...,
) -> list[RunResult]: ...
def play(
    journeys: Journey | Sequence[Journey],
    *,
    parallel: int = 1,
    artifacts: str | Path | None = None,
    trace: TraceMode = "on-failure",
    filmstrip: FilmstripMode = "on-failure",
    stop_before_payment: bool = False,
    browser_path: str | None = None,
    base_url: str | None = None,
    on_step: StepListener | None = None,
) -> RunResult | list[RunResult]:
    """`play_async`, from synchronous code (also from code an event loop is running under:
    the play has a thread and loop of its own)."""

    async def both() -> list[RunResult]:
        return await play_async(
            list(journeys) if isinstance(journeys, Sequence) else [journeys],
            parallel=parallel,
            artifacts=artifacts,
            trace=trace,
            filmstrip=filmstrip,
            stop_before_payment=stop_before_payment,
            browser_path=browser_path,
            base_url=base_url,
            on_step=on_step,
        )

    results = in_own_thread(lambda: asyncio.run(both()))
    return results if isinstance(journeys, Sequence) else results[0]


class Player:
    """Plays journeys from synchronous code, now and then, in one Chromium launched at the
    first play and kept until `close` (a test session, a notebook). It runs on a thread and
    event loop of its own, so any thread may call it, also under a running loop.

        with monitor.Player(artifacts="artifacts", base_url="http://127.0.0.1:8080") as player:
            result = player.play(journey)
            assert result.passed, result.failure.reason if result.failure else ""

    The options are those of `play`. Without a browser, every play raises the same
    BrowserError (it is looked for once).
    """

    def __init__(
        self,
        *,
        artifacts: str | Path | None = None,
        trace: TraceMode = "on-failure",
        filmstrip: FilmstripMode = "on-failure",
        stop_before_payment: bool = False,
        browser_path: str | None = None,
        base_url: str | None = None,
        on_step: StepListener | None = None,
    ) -> None:
        with_base_url([], base_url)  # a wrong URL is said now, not at the first play
        self.base_url = base_url
        self._options: dict[str, Any] = {
            "artifacts_dir": _artifacts(artifacts),
            "trace": trace,
            "filmstrip": filmstrip,
            "stop_before_payment": stop_before_payment,
            "on_step": on_step,
        }
        self._browser_path = browser_path
        self._player: AsyncPlayer | None = None
        self._no_browser: BrowserError | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=self._loop.run_forever, name="checkout-monitor-player", daemon=True
                )
                self._thread.start()
            loop = self._loop
        return asyncio.run_coroutine_threadsafe(work, loop).result()

    def _async_player(self) -> AsyncPlayer:
        if self._no_browser is not None:
            raise self._no_browser
        if self._player is None:
            try:
                found = find_browser(self._browser_path)
            except BrowserError as exc:
                self._no_browser = exc
                raise
            self._player = AsyncPlayer(found, **self._options)
        return self._player

    @overload
    def play(self, journeys: Journey, *, parallel: int = ...) -> RunResult: ...
    @overload
    def play(self, journeys: Sequence[Journey], *, parallel: int = ...) -> list[RunResult]: ...
    def play(
        self, journeys: Journey | Sequence[Journey], *, parallel: int = 1
    ) -> RunResult | list[RunResult]:
        """Play a journey (its RunResult) or several (their RunResults, in order) once."""
        many = with_base_url(
            list(journeys) if isinstance(journeys, Sequence) else [journeys], self.base_url
        )
        player = self._async_player()
        try:
            results = self._call(player.play(many, parallel=parallel))
        except BrowserError as exc:
            self._no_browser = exc
            raise
        return results if isinstance(journeys, Sequence) else results[0]

    def close(self) -> None:
        """Close the browser and stop the player's thread; a later play starts them again."""
        with self._lock:
            loop, thread, self._loop, self._thread = self._loop, self._thread, None, None
        if loop is None or thread is None:
            return
        player, self._player = self._player, None
        if player is not None:
            asyncio.run_coroutine_threadsafe(player.close(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
