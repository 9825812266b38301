"""Every way a site can fail, beyond the demo shop: each is classified with a clear reason, and
the next run of a healthy journey on the same browser is unaffected."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from conftest import TIMED, JourneyRunner
from serve_fixtures import free_port, self_signed_cert, serve_bytes, serving

from monitor.journey import Journey
from monitor.result import FailureKind, RunResult

pytestmark = pytest.mark.browser

HOME = b"<title>shop</title><h1>Welcome</h1><a href='/next'>Next</a>"


def journey(base_url: str, *steps: dict[str, Any], timeout: float = 3.0) -> Journey:
    return Journey.model_validate(
        {
            "name": "site-fault",
            "base_url": base_url,
            "timeout": timeout,
            "steps": list(steps) or [{"goto": "/"}, {"expect": {"text": "Welcome"}}],
        }
    )


Handler = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def raw_site(handle: Handler) -> Iterator[str]:
    """A site whose every GET is answered by `handle`, however badly."""

    class Raw(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            handle(self)

        def log_message(self, *args: object) -> None:
            pass

    with serving(Raw) as url:
        yield url


@pytest.fixture
def healthy_after(journey_runner: JourneyRunner) -> Iterator[None]:
    """After each fault, a healthy journey on the same browser still passes."""
    yield
    with serve_bytes({"/": HOME}) as url:
        assert journey_runner.run(journey(url)).passed


def kind_and_reason(result: RunResult) -> tuple[FailureKind | None, str]:
    return result.failure_kind, result.failure.reason if result.failure else ""


@pytest.mark.usefixtures("healthy_after")
def test_connection_refused(journey_runner: JourneyRunner) -> None:
    kind, reason = kind_and_reason(
        journey_runner.run_once(journey(f"http://127.0.0.1:{free_port()}"))
    )
    assert kind is FailureKind.SITE_UNREACHABLE and "ERR_CONNECTION_REFUSED" in reason


@pytest.mark.usefixtures("healthy_after")
def test_unresolvable_host(journey_runner: JourneyRunner) -> None:
    kind, reason = kind_and_reason(journey_runner.run_once(journey("http://shop.invalid")))
    assert kind is FailureKind.SITE_UNREACHABLE and "ERR_NAME_NOT_RESOLVED" in reason


@pytest.fixture
def self_signed_site(tmp_path: Path) -> Iterator[str]:
    cert, key = self_signed_cert(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    tls_port = listener.getsockname()[1]

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                tls.wrap_socket(conn, server_side=True).close()
            except (ssl.SSLError, OSError):
                conn.close()  # the browser refuses our certificate: exactly the point

    threading.Thread(target=accept, daemon=True).start()
    yield f"https://127.0.0.1:{tls_port}"
    listener.close()


@pytest.mark.usefixtures("healthy_after")
def test_tls_certificate_error(journey_runner: JourneyRunner, self_signed_site: str) -> None:
    kind, reason = kind_and_reason(journey_runner.run_once(journey(self_signed_site)))
    assert kind is FailureKind.SITE_UNREACHABLE and "ERR_CERT" in reason


def _never_finishes(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.end_headers()
    h.wfile.write(b"<title>loading</title><p>Welc")
    h.wfile.flush()
    time.sleep(8)


@pytest.mark.usefixtures("healthy_after")
def test_a_response_that_never_finishes_is_a_timeout(journey_runner: JourneyRunner) -> None:
    with raw_site(_never_finishes) as url:
        kind, reason = kind_and_reason(journey_runner.run_once(journey(url)))
        assert kind is FailureKind.TIMEOUT and "did not load within 3s" in reason


def _redirect_loop(h: BaseHTTPRequestHandler) -> None:
    h.send_response(302)
    h.send_header("Location", "/loop" if h.path == "/" else "/")
    h.send_header("Content-Length", "0")
    h.end_headers()


@pytest.mark.usefixtures("healthy_after")
def test_redirect_loop_is_an_error_page(journey_runner: JourneyRunner) -> None:
    with raw_site(_redirect_loop) as url:
        kind, reason = kind_and_reason(journey_runner.run_once(journey(url)))
        assert kind is FailureKind.ERROR_PAGE and "redirects in a loop" in reason


def _reset(h: BaseHTTPRequestHandler) -> None:
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<title>x</title>")
    h.wfile.flush()
    h.connection.setsockopt(
        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
    )
    h.connection.close()


@TIMED
@pytest.mark.usefixtures("healthy_after")
def test_connection_reset_mid_response(journey_runner: JourneyRunner) -> None:
    """The page is cut off once it began to arrive: the step ends then, not at its timeout,
    and the run does not wait for a picture of a page that never paints."""
    with raw_site(_reset) as url:
        result = journey_runner.run_once(journey(url, timeout=6.0))
        kind, reason = kind_and_reason(result)
        assert kind in (FailureKind.SITE_UNREACHABLE, FailureKind.ERROR_PAGE), reason
        assert "net::ERR_" in reason
        assert result.steps[0].duration_seconds < 3.0, "ended by the reset, not the 6 s timeout"
        assert result.duration_seconds < 8.0


@pytest.mark.usefixtures("healthy_after")
def test_a_20_mb_page_loads_and_is_measured(journey_runner: JourneyRunner) -> None:
    # 20 MB as real shops bloat pages: a huge inline state blob (think __NEXT_DATA__).
    item = b'{"sku": "TR-42", "name": "Trail Runner", "stock": 12}'
    state = b"[" + b",".join([item] * 400_000) + b"]"
    big = b"<title>big</title><h1>Welcome</h1><script type=application/json>" + state
    big += b"</script>"
    assert len(big) > 20_000_000
    with serve_bytes({"/": big}) as url:
        result = journey_runner.run(journey(url, timeout=20))
    assert result.passed, result.failure
    assert result.page_loads and result.page_loads[0].load_seconds is not None


@pytest.mark.usefixtures("healthy_after")
def test_dialogs_are_answered_and_recorded(journey_runner: JourneyRunner) -> None:
    page = (
        b"<title>d</title><button onclick=\"alert('Cookies!'); "
        b"if (confirm('Really buy?')) document.body.append('Welcome')\">Buy</button>"
    )
    with serve_bytes({"/": page}) as url:
        result = journey_runner.run(
            journey(
                url,
                {"goto": "/"},
                {"click": {"role": "button", "name": "Buy"}},
                {"expect": {"text": "Welcome"}},
            )
        )
    assert result.passed, result.failure
    dialogs = [c.text for c in result.console_errors if c.source == "dialog"]
    assert dialogs == ["alert: Cookies!", "confirm: Really buy?"]


@pytest.mark.usefixtures("healthy_after")
def test_a_link_that_opens_a_new_tab_is_followed(journey_runner: JourneyRunner) -> None:
    pages = {
        "/": b"<a href='/tab' target='_blank'>Open offer</a>",
        "/tab": b"<title>offer</title><h1>Welcome to the offer</h1>",
    }
    with serve_bytes(pages) as url:
        result = journey_runner.run(
            journey(
                url,
                {"goto": "/"},
                {"click": {"role": "link", "name": "Open offer"}},
                {"expect": {"text": "Welcome to the offer", "url": "/tab"}},
            )
        )
    assert result.passed, result.failure


def _slow_first_byte(h: BaseHTTPRequestHandler) -> None:
    time.sleep(1.2)
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", str(len(HOME)))
    h.end_headers()
    h.wfile.write(HOME)


@TIMED
@pytest.mark.usefixtures("healthy_after")
def test_slow_first_byte_is_measured_as_ttfb(journey_runner: JourneyRunner) -> None:
    with raw_site(_slow_first_byte) as url:
        result = journey_runner.run(journey(url))
        assert result.passed, result.failure
        ttfb = result.page_loads[0].ttfb_seconds
        assert ttfb is not None and 1.2 <= ttfb < 2.5
