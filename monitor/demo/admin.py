"""``/__faults``: list, add and remove the demo shop's faults while it runs.

    GET    /__faults                          active faults and every fault there is
    POST   /__faults  {"faults": ["decline-all", "slow:/checkout=500"]}     add (same key replaces)
    POST   /__faults  {"faults": ["payment-hang"], "replace": true}       make exactly these active
    DELETE /__faults                          clear all
    DELETE /__faults?name=slow:/checkout      remove one (full name or kind:route)

A bad fault name is answered with HTTP 400 and the list of valid ones; nothing changes.
"""

from __future__ import annotations

import json

from aiohttp import web

from monitor.demo.faults import FAULT_SPECS, FaultError, FaultSet
from monitor.demo.middleware import ADMIN_PATH, FAULTS


def available_faults() -> list[dict[str, str]]:
    return [
        {"fault": spec.syntax, "example": spec.example, "description": spec.description}
        for spec in FAULT_SPECS
    ]


def _listing(faults: FaultSet) -> dict[str, object]:
    return {"active": faults.names(), "available": available_faults()}


def _bad_request(message: str, invalid: list[str] | None = None) -> web.Response:
    body: dict[str, object] = {"error": message, "available": available_faults()}
    if invalid is not None:
        body["invalid"] = invalid
    return web.json_response(body, status=400)


async def list_faults(request: web.Request) -> web.Response:
    return web.json_response(_listing(request.app[FAULTS]))


async def add_faults(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _bad_request('body must be JSON like {"faults": ["decline-all"]}')
    names = body.get("faults") if isinstance(body, dict) else None
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return _bad_request('"faults" must be a list of fault names, e.g. ["decline-all"]')
    faults = request.app[FAULTS]
    try:
        if body.get("replace") is True:
            faults.replace(names)
        else:
            faults.add(names)
    except FaultError as error:
        return _bad_request(str(error), error.invalid)
    return web.json_response(_listing(faults))


async def delete_faults(request: web.Request) -> web.Response:
    faults = request.app[FAULTS]
    name = request.query.get("name")
    if name is None:
        faults.clear()
    elif not faults.remove(name):
        body = {"error": f"fault {name!r} is not active", "active": faults.names()}
        return web.json_response(body, status=404)
    return web.json_response(_listing(faults))


def add_admin_routes(app: web.Application) -> None:
    """Serve the fault admin API on ``app`` (which must hold the FAULTS key)."""
    app.router.add_get(ADMIN_PATH, list_faults)
    app.router.add_post(ADMIN_PATH, add_faults)
    app.router.add_delete(ADMIN_PATH, delete_faults)
