"""What the shop and the payment provider share: their fault state, route faults, and shutdown.

Route faults (slow, status, soft-error) are applied here, in front of every handler, so they work
on any path the app serves, pages, images and JSON APIs alike. ``/__faults`` is exempt, so a
fault can never lock people out of removing it.

    app = web.Application(middlewares=[fault_middleware(render_soft_error)])
    install_fault_state(app, FaultSet(["slow:/cart=500"]))
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from aiohttp import web
from aiohttp.typedefs import Middleware

from monitor.demo.faults import FaultSet
from monitor.demo.layout import nginx_error_page

FAULTS = web.AppKey("faults", FaultSet)
CLOSING = web.AppKey("closing", asyncio.Event)
ADMIN_PATH = "/__faults"

# nginx's own wording where it differs from the standard phrase.
_NGINX_REASONS = {503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def install_fault_state(app: web.Application, faults: FaultSet) -> None:
    """Give ``app`` the shared fault set and a ``closing`` event set when it shuts down."""
    app[FAULTS] = faults
    app[CLOSING] = asyncio.Event()

    async def signal_closing(app: web.Application) -> None:
        app[CLOSING].set()

    app.on_shutdown.append(signal_closing)


async def pause(app: web.Application, seconds: float) -> None:
    """Wait ``seconds``, or less if the app is shutting down (so a slow fault never blocks it)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(app[CLOSING].wait(), seconds)


async def hang(app: web.Application) -> None:
    """Never answer, until the app shuts down."""
    await app[CLOSING].wait()


def reason_for(status: int) -> str:
    try:
        return _NGINX_REASONS.get(status, HTTPStatus(status).phrase)
    except ValueError:
        return "Error"


def nginx_error_response(status: int) -> web.Response:
    """What a shopper gets when the proxy in front of the shop gives up on its upstream."""
    reason = reason_for(status)
    return web.Response(
        status=status,
        reason=reason,
        text=nginx_error_page(status, reason),
        content_type="text/html",
        headers={"Server": "nginx"},
    )


def fault_middleware(render_soft_error: Callable[[web.Request], str]) -> Middleware:
    """Apply route faults (slow, status, soft-error) before the real handler runs."""

    @web.middleware
    async def apply_route_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PATH):
            return await handler(request)
        faults = request.app[FAULTS]
        delay_ms = faults.delay_ms(request.path)
        if delay_ms:
            await pause(request.app, delay_ms / 1000)
        status = faults.status_for(request.path)
        if status is not None:
            return nginx_error_response(status)
        if faults.soft_error(request.path):
            return web.Response(text=render_soft_error(request), content_type="text/html")
        return await handler(request)

    return apply_route_faults
