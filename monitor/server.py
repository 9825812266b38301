"""The HTTP face of `serve`: /metrics, /healthz, /api/runs, /artifacts/..., and the status page.

Thin aiohttp handlers over plain state; rendering lives in metrics.py and status_page.py.

    >>> app = create_app(ServerState(registry, history, artifacts_dir=Path("artifacts")))
    >>> web.run_app(app, host="127.0.0.1", port=9118)                      # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CollectorRegistry

from monitor.history import History
from monitor.metrics import exposition
from monitor.report import results_document
from monitor.result import RunResult
from monitor.status_page import render_status_page

DEFAULT_PORT = 9118  # not 9115: that is blackbox_exporter's


@dataclass
class ServerState:
    registry: CollectorRegistry
    history: History
    artifacts_dir: Path | None = None
    browser_up: Callable[[], bool] = lambda: True
    location: str = ""
    title: str = "checkout-monitor"
    metrics_max_age: float = 1.0  # seconds a rendered /metrics body serves other scrapes


@dataclass(frozen=True)
class Rendering:
    """The registry's text at one moment, plain and gzipped."""

    at: float
    body: bytes
    gzipped: bytes
    content_type: str


def render(registry: CollectorRegistry, at: float) -> Rendering:
    body, content_type = exposition(registry)
    # Level 3: as fast as level 1 on this text and 10% smaller; 6 takes 4x as long for 13%.
    return Rendering(at, body, gzip.compress(body, compresslevel=3), content_type)


@dataclass
class MetricsPage:
    """One rendering of /metrics shared by every scrape that arrives while it is under way or
    less than `max_age` seconds old, so scrapes arriving together (two Prometheus servers, a
    curl beside them) render once. Renders in a worker thread: at 500 journeys it takes a
    tenth of a second, during which runs in flight must not stall.

        page = MetricsPage(registry)
        rendering = await page.latest()
    """

    registry: CollectorRegistry
    max_age: float = 1.0
    clock: Callable[[], float] = time.monotonic
    renders: int = 0
    _task: asyncio.Future[Rendering] | None = field(default=None, repr=False)

    async def latest(self) -> Rendering:
        task = self._task
        if task is None or (task.done() and not self._fresh(task)):
            self.renders += 1
            loop = asyncio.get_running_loop()
            task = self._task = loop.run_in_executor(None, render, self.registry, self.clock())
        # A scrape that gives up (its client went away) must not cancel the others' rendering.
        return await asyncio.shield(task)

    def _fresh(self, task: asyncio.Future[Rendering]) -> bool:
        if task.cancelled() or task.exception() is not None:
            return False
        return self.clock() - task.result().at <= self.max_age


STATE = web.AppKey("state", ServerState)
PAGE = web.AppKey("metrics_page", MetricsPage)


def artifact_url(state: ServerState, path: str) -> str | None:
    """The URL under /artifacts/ of an artifact file, if it lies in the artifacts folder."""
    if state.artifacts_dir is None:
        return None
    try:
        relative = Path(path).resolve().relative_to(state.artifacts_dir.resolve())
    except ValueError:
        return None
    return "/artifacts/" + quote(relative.as_posix())


async def metrics(request: web.Request) -> web.Response:
    rendering = await request.app[PAGE].latest()
    response = web.Response(body=rendering.body)
    if accepts_gzip(request.headers.get("Accept-Encoding", "")):
        response.body = rendering.gzipped
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Type"] = rendering.content_type
    response.headers["Vary"] = "Accept-Encoding"
    return response


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (Prometheus sends `gzip`).

    >>> accepts_gzip("gzip"), accepts_gzip("br, gzip;q=0.5"), accepts_gzip("gzip;q=0, *")
    (True, True, False)
    """
    for coding in accept_encoding.lower().split(","):
        name, _, params = coding.partition(";")
        quality = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
        try:
            wanted = float(quality) > 0
        except ValueError:
            wanted = False
        if name.strip() in ("gzip", "x-gzip") and wanted:
            return True
    return False


async def healthz(request: web.Request) -> web.Response:
    if request.app[STATE].browser_up():
        return web.Response(text="ok\n")
    return web.Response(status=503, text="browser not running\n")


async def api_runs(request: web.Request) -> web.Response:
    state = request.app[STATE]
    journey = request.query.get("journey") or None
    try:
        limit = int(request.query.get("limit", "50"))
    except ValueError:
        return _bad_request("limit must be a whole number, e.g. ?limit=20")
    if not 1 <= limit <= 1000:
        return _bad_request("limit must be between 1 and 1000")
    if journey is not None and state.history.status(journey) is None:
        known = ", ".join(s.journey.name for s in state.history.statuses())
        return web.json_response(
            {"error": f"no journey named {journey!r}", "journeys": known.split(", ")}, status=404
        )
    runs = state.history.recent(journey, limit)
    document = results_document(runs)
    for run, shown in zip(runs, document["journeys"], strict=True):
        shown["urls"] = _urls(state, run)
    return web.json_response(document)


def _urls(state: ServerState, run: RunResult) -> dict[str, object]:
    """Where a run's report, files and filmstrip frames are served, under /artifacts/."""
    return {
        "report": artifact_url(state, run.artifacts["report"])
        if "report" in run.artifacts
        else None,
        "artifacts": {name: artifact_url(state, path) for name, path in run.artifacts.items()},
        "filmstrip": [artifact_url(state, frame.path) for frame in run.filmstrip],
    }


def _bad_request(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


async def api_journeys(request: web.Request) -> web.Response:
    state = request.app[STATE]
    journeys = []
    for status in state.history.statuses():
        last = status.last
        journeys.append(
            {
                "name": status.journey.name,
                "site": status.journey.site_label,
                "device": status.journey.device,
                "every_seconds": status.journey.every,
                "state": status.state,
                "running": status.running,
                "next_run_at": status.next_run_at,
                "failing_since": status.failing_since,
                "consecutive_failures": status.consecutive_failures,
                "last": last.to_dict() if last else None,
            }
        )
    return web.json_response({"journeys": journeys})


async def artifact(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    if state.artifacts_dir is None:
        raise web.HTTPNotFound(text="no artifacts folder\n")
    root = state.artifacts_dir.resolve()
    wanted = (root / request.match_info["path"]).resolve()
    if not wanted.is_relative_to(root) or not wanted.is_file():
        raise web.HTTPNotFound(text="no such artifact\n")
    response = web.FileResponse(wanted)
    # Saved pages come from the monitored site: never let them run as our origin.
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def status_page(request: web.Request) -> web.Response:
    state = request.app[STATE]
    html = render_status_page(
        state.history.statuses(),
        time.time(),
        title=state.title,
        artifact_url=lambda path: artifact_url(state, path),
        location=state.location,
    )
    response = web.Response(text=html, content_type="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    )
    return response


def create_app(state: ServerState, middlewares: Sequence[Middleware] = ()) -> web.Application:
    app = web.Application(middlewares=list(middlewares))
    app[STATE] = state
    app[PAGE] = MetricsPage(state.registry, state.metrics_max_age)
    app.router.add_get("/", status_page)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/runs", api_runs)
    app.router.add_get("/api/journeys", api_journeys)
    app.router.add_get("/artifacts/{path:.+}", artifact)
    return app
