"""`serve`: journeys on a schedule, in one kept-alive Chromium, with metrics and a status page.

The composition root: it wires the browser keeper, scheduler, runner, history, metrics and the
HTTP server, reloads journeys on SIGHUP or when their files change (a bad file is reported and
the previous version keeps running), and shuts down cleanly on SIGTERM/SIGINT.

    >>> monitor = Monitor(load, find_browser(), ServeOptions(paths=["journeys"]))  # doctest: +SKIP
    >>> await monitor.start(); await monitor.wait(); await monitor.stop()          # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import signal
import ssl
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry

from monitor.alerts import AlertState, Notifier
from monitor.artifacts import RunFolder, prune
from monitor.browser import FoundBrowser
from monitor.config import Alerts
from monitor.errors import BrowserError, JourneyError
from monitor.history import History
from monitor.journey import FilmstripMode, Journey
from monitor.loader import journey_files
from monitor.metrics import CheckoutMetrics
from monitor.report_html import write_html_report
from monitor.result import Failure, FailureKind, RunResult
from monitor.runner import Runner, TraceMode
from monitor.scheduler import Scheduler
from monitor.server import ServerState, artifact_url, create_app
from monitor.session import BrowserKeeper
from monitor.webconfig import WebConfig, basic_auth, ssl_context

log = logging.getLogger("checkout_monitor")

JourneyLoader = Callable[[], list[Journey]]


@dataclass
class ServeOptions:
    paths: Sequence[str] = ("journeys",)
    host: str = "127.0.0.1"
    port: int = 9118
    concurrency: int = 2
    artifacts_dir: Path | None = Path("artifacts")
    keep_artifacts: int = 20  # failed-run folders kept per journey
    trace: TraceMode = "on-failure"
    filmstrip: FilmstripMode = "off"  # for journeys that don't say: frames cost every run
    location: str = ""
    watch_seconds: float = 2.0  # how often journey files are checked for changes
    alerts: Alerts | None = None  # built-in notifications, from --config
    web: WebConfig | None = None  # basic auth and TLS, from --web-config
    stop_before_payment: bool = False


@dataclass
class Monitor:
    load: JourneyLoader
    found: FoundBrowser
    options: ServeOptions
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    history: History = field(default_factory=History)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.metrics = CheckoutMetrics(self.registry, location=self.options.location)
        self.keeper = BrowserKeeper(self.found, on_restart=self._browser_restarted)
        self.scheduler = Scheduler(
            run_journey=self.run_journey,
            on_result=self.publish,
            concurrency=self.options.concurrency,
            on_lag=self.metrics.scheduler_lag,
            on_state=self._state,
        )
        self.notifier: Notifier | None = None
        self._tls: ssl.SSLContext | None = None
        self._site: web.TCPSite | None = None
        self._runner: web.AppRunner | None = None
        self._watch: asyncio.Task[None] | None = None
        self._fingerprint = self._files_fingerprint()
        self._hangup = False

    # ------------------------------------------------------------ lifecycle

    async def start(self, journeys: list[Journey]) -> None:
        await self.keeper.start()
        self.metrics.set_browser_up(True)
        self._apply(journeys)
        state = ServerState(
            self.registry,
            self.history,
            self.options.artifacts_dir,
            browser_up=lambda: self.keeper.up,
            location=self.options.location,
        )
        web_config = self.options.web
        auth = (
            [basic_auth(web_config.basic_auth_users)]
            if web_config and (web_config.basic_auth_users)
            else []
        )
        self._runner = web.AppRunner(create_app(state, auth), access_log=None)
        await self._runner.setup()
        self._tls = ssl_context(web_config) if web_config else None
        self._site = web.TCPSite(
            self._runner, self.options.host, self.options.port, ssl_context=self._tls
        )
        await self._site.start()
        if self.options.alerts is not None and self.options.alerts.targets:
            await self._start_notifier(self.options.alerts, state)
        self._watch = asyncio.create_task(self._watch_files(), name="watch-journeys")

    async def _start_notifier(self, rules: Alerts, state: ServerState) -> None:
        status_url = (rules.status_page_url or self.url).rstrip("/")
        alert_state = AlertState(
            rules,
            status_url=status_url,
            location=self.options.location,
            artifact_url=lambda path: artifact_url(state, path),
        )
        self.notifier = Notifier(rules, alert_state, on_failure=self.metrics.notification_failed)
        self.metrics.set_notification_targets(t.name for t in rules.targets)
        await self.notifier.start()

    @property
    def url(self) -> str:
        assert self._runner is not None
        host, port = self._runner.addresses[0][:2]
        return f"{'https' if self._tls else 'http'}://{host}:{port}"

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with suppress(asyncio.CancelledError):
                await self._watch
        await self.scheduler.stop()
        if self.notifier is not None:
            await self.notifier.stop()
        await self.keeper.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------ runs

    async def run_journey(self, journey: Journey, attempt: int) -> RunResult:
        started = time.time()
        try:
            browser = await self.keeper.ensure()
        except BrowserError as exc:
            self.metrics.set_browser_up(False)
            return _monitor_error(journey, started, attempt, f"no browser: {exc}")
        self.metrics.set_browser_up(True)
        runner = Runner(
            browser,
            self.keeper.devices,
            artifacts_dir=self.options.artifacts_dir,
            trace=self.options.trace,
            filmstrip=self.options.filmstrip,
            location=self.options.location,
            stop_before_payment=self.options.stop_before_payment,
        )
        result = await runner.run(journey, attempt)
        reason = result.failure.reason if result.failure is not None else ""
        if "the browser hangs" in reason or "the browser stopped answering" in reason:
            await self.keeper.discard()
        if not self.keeper.up and result.failure_kind is not FailureKind.MONITOR_ERROR:
            # The browser died under this run: whatever the steps saw, it is not the shop's fault.
            result = _monitor_error(journey, started, attempt, "the browser died during the run")
        return result

    def publish(self, journey: Journey, result: RunResult, retries: int) -> None:
        result = self._with_report(journey, result)
        self.history.record(result)
        self.metrics.observe(journey, result, retries=retries)
        if self.notifier is not None:
            self.notifier.observe(journey, result)
        reason = f" — {result.failure.reason}" if result.failure else ""
        log.info(
            "%s %s in %.2fs, %d clicks%s%s",
            journey.name,
            "passed" if result.passed else result.failure_kind,
            result.duration_seconds,
            result.clicks,
            f" after {retries} retries" if retries else "",
            reason,
        )
        if self.options.artifacts_dir is not None and (not result.passed or result.filmstrip):
            prune(self.options.artifacts_dir, journey.name, self.options.keep_artifacts)

    def _with_report(self, journey: Journey, result: RunResult) -> RunResult:
        """A failed run's HTML report, in its artifact folder beside the files it links."""
        root = self.options.artifacts_dir
        if root is None or result.passed or result.failure_kind is FailureKind.MONITOR_ERROR:
            return result
        folder = RunFolder(root, journey.name, result.started_at, result.attempt).path
        try:
            index = write_html_report(
                folder / "report", [result], {journey.name: journey.budgets}, copy_files=False
            )
        except OSError as exc:
            log.warning("could not write the report of %s: %s", journey.name, exc)
            return result
        return replace(result, artifacts={**result.artifacts, "report": str(index)})

    def _state(self, name: str, running: bool, next_run_at: float | None) -> None:
        status = self.history.status(name)
        if status is not None:
            status.running = running
            if next_run_at is not None or running:
                status.next_run_at = next_run_at

    def _browser_restarted(self) -> None:
        log.warning("the browser had died; relaunched it")
        self.metrics.browser_restarted()

    # ------------------------------------------------------------ journeys

    def _apply(self, journeys: list[Journey]) -> None:
        self.history.track(journeys)
        self.metrics.set_journeys(journeys)
        self.scheduler.update(journeys)

    def reload(self) -> bool:
        """Load the journeys again; on a bad file, report it and keep what runs now."""
        self._fingerprint = self._files_fingerprint()
        try:
            journeys = self.load()
        except JourneyError as exc:
            for problem in exc.problems:
                log.error("journey reload: %s", problem)
            log.error("journey reload failed; the previous journeys keep running")
            return False
        before = {j.name for j in self.scheduler.journeys}
        journeys += self._kept_from_deleted_files(journeys)
        self._apply(journeys)
        after = {j.name for j in journeys}
        log.info(
            "journeys reloaded: %d (added %s, removed %s)",
            len(after),
            sorted(after - before) or "none",
            sorted(before - after) or "none",
        )
        return True

    def _kept_from_deleted_files(self, loaded: list[Journey]) -> list[Journey]:
        """A journey whose file vanished keeps running (an editor saving via a temporary file,
        a ConfigMap being swapped); SIGHUP after a deliberate removal makes it go."""
        if self._hangup:
            self._hangup = False
            return []
        names = {j.name for j in loaded}
        kept = []
        for journey in self.scheduler.journeys:
            file = journey.origin.rsplit(":", 2)[0]
            if journey.name not in names and file and not Path(file).exists():
                log.warning(
                    "%s: file %s is gone; the journey keeps running (send SIGHUP to drop it)",
                    journey.name,
                    file,
                )
                kept.append(journey)
        return kept

    def hangup(self) -> None:
        """SIGHUP: reload exactly what is on disk now."""
        self._hangup = True
        self.reload()

    def _files_fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        files, _ = journey_files(self.options.paths)
        marks = []
        for file in files:
            with suppress(OSError):
                stat = file.stat()
                marks.append((str(file), stat.st_mtime_ns, stat.st_size))
        return tuple(marks)

    async def _watch_files(self) -> None:
        while True:
            await asyncio.sleep(self.options.watch_seconds)
            if self._files_fingerprint() != self._fingerprint:
                self.reload()


def _monitor_error(journey: Journey, started: float, attempt: int, why: str) -> RunResult:
    return RunResult(
        journey=journey.name,
        site=journey.site_label,
        device=journey.device,
        started_at=started,
        duration_seconds=round(time.time() - started, 4),
        passed=False,
        failure=Failure(
            FailureKind.MONITOR_ERROR, None, None, f"monitor error (not the shop): {why}"
        ),
        attempt=attempt,
    )


async def serve_forever(
    monitor: Monitor, journeys: list[Journey], on_ready: Callable[[str], None] | None = None
) -> None:
    """Start, run until SIGTERM/SIGINT (SIGHUP reloads), then stop cleanly."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, monitor.stopping.set)
    loop.add_signal_handler(signal.SIGHUP, monitor.hangup)
    try:
        await monitor.start(journeys)
        if on_ready is not None:
            on_ready(monitor.url)
        await monitor.stopping.wait()
        log.info("stopping: finishing up")
        loop.set_exception_handler(_quiet_driver_gone)
        # Events still arriving for pages being closed fail in Playwright's dispatch; once we
        # stop, that is the stop itself, not a fault worth a traceback in the log.
        logging.getLogger("playwright").setLevel(logging.CRITICAL)
    finally:
        await monitor.stop()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(signum)


def _quiet_driver_gone(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """While stopping: Ctrl+C in a terminal reaches Playwright's driver too, and its calls
    still waiting then fail with nobody to hear it. That is the stop we asked for, not news."""
    if "Connection closed while reading from the driver" in str(context.get("exception", "")):
        return
    loop.default_exception_handler(context)
