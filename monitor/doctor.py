"""`checkout-monitor doctor`: is there a browser, and can it open a page?

>>> report = check_browser(None)             # doctest: +SKIP
>>> report.ok, dict(report.lines)["browser"]  # doctest: +SKIP
(True, '/usr/bin/chromium-headless-shell (system)')
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from monitor.browser import (
    browser_version,
    find_browser,
    in_own_thread,
    launch_options,
    use_node_compile_cache,
)
from monitor.errors import BrowserNotFound

PAGE = b"<!doctype html><title>checkout-monitor doctor</title><p id=ok>ok</p>"


@dataclass
class DoctorReport:
    lines: list[tuple[str, str]] = field(default_factory=list)
    ok: bool = False
    problem: str = ""


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _playwright_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("playwright")
    except PackageNotFoundError:
        return "not installed"


def check_browser(explicit: str | None) -> DoctorReport:
    """Find the browser, launch it, and open a page served on 127.0.0.1."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    report = DoctorReport()
    report.lines.append(("playwright", _playwright_version()))
    try:
        found = find_browser(explicit)
    except BrowserNotFound as exc:
        report.lines.append(("browser", "none found"))
        report.problem = str(exc)
        return report
    report.lines.append(("browser", f"{found.path} ({found.source})"))
    report.lines.append(("version", browser_version(found)))
    report.lines.append(
        ("engine", "headless shell" if found.is_headless_shell else "full chromium")
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"

    def open_page() -> tuple[str, str]:
        use_node_compile_cache()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(**launch_options(found))
            try:
                page = browser.new_page()
                page.goto(url, timeout=15_000)
                return page.title(), page.locator("#ok").inner_text(timeout=5_000)
            finally:
                browser.close()

    try:
        title, text = in_own_thread(open_page)
        report.ok = title == "checkout-monitor doctor" and text == "ok"
        report.lines.append(("test page", f"{url} opened, title {title!r}"))
        if not report.ok:
            report.problem = "The browser opened the test page but did not render it."
    except PlaywrightError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        report.lines.append(("test page", "failed"))
        report.problem = (
            f"The browser at {found.path} could not open a page: {first_line}\n"
            "Try another with --browser-path, or reinstall it."
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    return report
