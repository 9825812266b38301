"""Small local shops that are not the demo shop: plain HTML, a single-page app that fetches
JSON, pages with frames. Each path answers with an `Answer`, or a function of the request
giving one, so a test can make any page slow, broken, redirecting or refusing.

    with local_site({"/": Answer(body="<h1>Hi</h1>"), "/api/pay": Answer(402, PAY_JSON)}) as url:
        ...
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from serve_fixtures import serving


@dataclass(frozen=True)
class Answer:
    """What a path answers: status, body, how long before the first byte (`delay`), and for
    `hang`, nothing at all for that many seconds."""

    status: int = 200
    body: str | bytes = ""
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0
    hang: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def json_answer(status: int, data: Any, delay: float = 0.0) -> Answer:
    return Answer(status, json.dumps(data), "application/json", delay=delay)


def redirect(location: str) -> Answer:
    return Answer(302, b"", headers={"Location": location})


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


Route = Answer | Callable[[Request], Answer]


@contextmanager
def local_site(routes: dict[str, Route]) -> Iterator[str]:
    """Serve `routes` on a free port of 127.0.0.1 (GET and POST); the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?")[0]
            route = routes.get(path)
            if route is None:
                answer = Answer(404, "<title>Not found</title><h1>Not found</h1>")
            elif callable(route):
                answer = route(Request(self.command, self.path, body, dict(self.headers)))
            else:
                answer = route
            if answer.hang:
                time.sleep(answer.hang)
                return
            time.sleep(answer.delay)
            data = answer.body.encode() if isinstance(answer.body, str) else answer.body
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = _answer
        do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    with serving(Handler) as url:
        yield url
