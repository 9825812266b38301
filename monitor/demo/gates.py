"""The gates in front of the demo shop: staging basic auth and a bot wall.

Basic auth (``--basic-auth USER:PASS``) guards every path, as a staging deployment's proxy does.
The bot wall (fault ``bot-wall``) answers any request without the allowlist header with a 403
challenge page, marked ``cf-mitigated: challenge`` as Cloudflare marks its own; ``/__faults``
stays open so the fault can always be switched off.

    app = web.Application(middlewares=[basic_auth_middleware("staging", "pw"),
                                       bot_wall_middleware("X-Shop-Allowlist", token)])
"""

from __future__ import annotations

import base64
import binascii
import secrets

from aiohttp import web
from aiohttp.typedefs import Middleware

from monitor.demo.faults import FaultKind
from monitor.demo.layout import esc
from monitor.demo.middleware import ADMIN_PATH, FAULTS, Handler

ALLOWLIST_HEADER = "X-Shop-Allowlist"


def new_allowlist_token() -> str:
    return f"allow-{secrets.token_hex(8)}"


def basic_auth_middleware(username: str, password: str) -> Middleware:
    """Every request needs `Authorization: Basic ...` with these credentials, else 401."""
    expected = f"{username}:{password}".encode()

    @web.middleware
    async def require_basic_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.headers.get("Authorization", "")
        scheme, _, token = given.partition(" ")
        try:
            decoded = base64.b64decode(token, validate=True) if scheme == "Basic" else b""
        except (binascii.Error, ValueError):
            decoded = b""
        if not secrets.compare_digest(decoded, expected):
            return web.Response(
                status=401,
                text="<!doctype html><title>401 Authorization Required</title>"
                "<h1>401 Authorization Required</h1><p>This is a staging site.</p>",
                content_type="text/html",
                headers={"WWW-Authenticate": 'Basic realm="staging", charset="UTF-8"'},
            )
        return await handler(request)

    return require_basic_auth


def challenge_page() -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Just a moment...</title></head>
<body><h1>Checking your browser before accessing the shop</h1>
<p>This takes a few seconds. Automated traffic is blocked unless it is allowlisted
({esc(ALLOWLIST_HEADER)}).</p></body></html>"""


def bot_wall_middleware(token: str) -> Middleware:
    """With the `bot-wall` fault on: 403 + challenge page unless the allowlist header matches."""

    @web.middleware
    async def bot_wall(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PATH) or not request.app[FAULTS].has(FaultKind.BOT_WALL):
            return await handler(request)
        if secrets.compare_digest(request.headers.get(ALLOWLIST_HEADER, ""), token):
            return await handler(request)
        return web.Response(
            status=403,
            text=challenge_page(),
            content_type="text/html",
            headers={"cf-mitigated": "challenge", "Cache-Control": "no-store"},
        )

    return bot_wall
