"""The demo shop's analytics: a tag on every page reporting to a second origin, which counts.

The shop serves its pages from 127.0.0.1 and names this origin `localhost`, so to the browser
it is another site, as a real tracker is. It keeps every request's headers, so a test can prove
what a third party was (not) sent, and counts the hits a tag reported.

    log = AnalyticsLog()
    app = create_analytics_app(log)
    ...; log.hits, log.headers[-1].get("X-Shop-Allowlist")
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from aiohttp import web

from monitor.demo.layout import js_literal

MAX_LOGGED = 1000


@dataclass
class AnalyticsLog:
    """What the analytics origin received: hits (`/collect`) and every request's headers."""

    hits: int = 0
    requests: int = 0
    headers: list[dict[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, headers: dict[str, str], hit: bool) -> None:
        with self._lock:
            self.requests += 1
            self.hits += hit
            if len(self.headers) < MAX_LOGGED:
                self.headers.append(headers)

    def clear(self) -> None:
        with self._lock:
            self.hits = self.requests = 0
            self.headers.clear()


ANALYTICS_LOG = web.AppKey("analytics_log", AnalyticsLog)


def tag_script(origin: str) -> str:
    """The tag the shop's pages load: one hit per page view, like any analytics tag."""
    return (
        f"(function () {{ var origin = {js_literal(origin)};\n"
        "  fetch(origin + '/collect?page=' + encodeURIComponent(location.pathname),\n"
        "        {mode: 'no-cors', keepalive: true}).catch(function () {});\n"
        "})();\n"
    )


async def _tag(request: web.Request) -> web.Response:
    request.app[ANALYTICS_LOG].note(dict(request.headers), hit=False)
    origin = f"{request.scheme}://{request.host}"
    return web.Response(text=tag_script(origin), content_type="application/javascript")


async def _collect(request: web.Request) -> web.Response:
    request.app[ANALYTICS_LOG].note(dict(request.headers), hit=True)
    return web.Response(status=204)


def create_analytics_app(log: AnalyticsLog) -> web.Application:
    app = web.Application()
    app[ANALYTICS_LOG] = log
    app.router.add_get("/tag.js", _tag)
    app.router.add_get("/collect", _collect)
    return app
