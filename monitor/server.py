"""The HTTP face of `serve`: /metrics, /healthz, /api/runs, /artifacts/..., and the status page.

Thin aiohttp handlers over plain state; rendering lives in metrics.py and status_page.py.

    >>> app = create_app(ServerState(registry, history, artifacts_dir=Path("artifacts")))
    >>> web.run_app(app, host="127.0.0.1", port=9118)                      # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CollectorRegistry

from monitor.history import History
from monitor.metrics import exposition
from monitor.report import results_document
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


STATE = web.AppKey("state", ServerState)


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
    # Rendering many series takes seconds: off the event loop, so runs in flight don't stall.
    loop = asyncio.get_running_loop()
    body, content_type = await loop.run_in_executor(None, exposition, request.app[STATE].registry)
    response = web.Response(body=body)
    response.headers["Content-Type"] = content_type
    return response


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
    return web.json_response(results_document(state.history.recent(journey, limit)))


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
    app.router.add_get("/", status_page)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/runs", api_runs)
    app.router.add_get("/api/journeys", api_journeys)
    app.router.add_get("/artifacts/{path:.+}", artifact)
    return app
