"""pytest plugin: `serve` as a real process, and a real Prometheus scraping it.

def test_x(serve_process, shop, tmp_path):
    server = serve_process([journey_file])
    server.get("/metrics")
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1, made with openssl: (cert.pem, key.pem)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
        except (OSError, urllib.error.URLError, ValueError, KeyError) as exc:
            last_error, value = exc, None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error})")


def http_get(url: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


Page = bytes | Callable[[], tuple[int, bytes]]


@contextmanager
def serve_bytes(pages: dict[str, Page]) -> Iterator[str]:
    """A tiny site on 127.0.0.1: path → HTML, or a function giving (status, HTML) each time."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = pages.get(self.path.split("?")[0])
            if page is None:
                self.send_error(404)
                return
            status, body = page() if callable(page) else (200, page)
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with serving(Handler) as url:
        yield url


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` answering on a free port of 127.0.0.1, a thread per request; the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, list[Any]]]:
    """A webhook on 127.0.0.1 that answers 200 and keeps every JSON body POSTed to it."""
    received: list[Any] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.append(json.loads(self.rfile.read(length) or b"null"))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass(frozen=True)
class ProcessEntry:
    """One line of /proc: a pid is only the same process while its start time is the same."""

    pid: int
    start_ticks: int
    pgid: int
    state: str
    command: str


def process_table() -> dict[int, ProcessEntry]:
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        command, rest = text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1]
        fields = rest.split()
        pid = int(stat.parent.name)
        table[pid] = ProcessEntry(pid, int(fields[19]), int(fields[2]), fields[0], command)
    return table


@dataclass(frozen=True)
class StartedProcesses:
    processes: frozenset[ProcessEntry]
    groups: frozenset[int]

    def left(self) -> list[ProcessEntry]:
        """Those still in the process table, and anything in one of their groups. A zombie
        counts: it holds its pid and is listed by `ps` until a parent reaps it."""
        known = {(p.pid, p.start_ticks) for p in self.processes}
        return [
            p
            for p in process_table().values()
            if (p.pid, p.start_ticks) in known or p.pgid in self.groups
        ]


def descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def started_by(root: int) -> StartedProcesses:
    """What a process has started so far: its descendants and the process groups they lead
    (Chromium leads its own; a process orphaned when its parent exits keeps its group)."""
    table = process_table()
    found = [table[pid] for pid in descendants(root) if pid in table]
    return StartedProcesses(frozenset(found), frozenset(p.pgid for p in found) - {os.getpgrp()})


@contextmanager
def busy_cpus(count: int) -> Iterator[None]:
    """`count` busy loops for the duration: a loaded machine."""
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


@dataclass
class ServeProcess:
    process: subprocess.Popen[str]
    url: str
    output: list[str]
    log: IO[str]

    def read_through(self, last: str) -> list[str]:
        """Read what it prints up to the line holding `last` (printed at once with the
        status page line); every line read so far."""
        assert self.process.stdout is not None
        while not any(last in line for line in self.output):
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError(f"it ended before printing {last!r}: {self.output}")
            self.output.append(line)
        return self.output

    def get(self, path: str) -> tuple[int, str]:
        return http_get(self.url + path)

    def metric(self, name: str, **labels: str) -> float | None:
        """The value of one sample on /metrics, or None when it is not there."""
        _, text = self.get("/metrics")
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    return float(sample.value)
        return None

    def children(self) -> set[int]:
        """Every process descending from serve (the Playwright driver, Chromium)."""
        return descendants(self.process.pid)

    def started(self) -> StartedProcesses:
        return started_by(self.process.pid)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log.close()
        return self.process.returncode


def start_serve(
    paths: list[Path],
    tmp_path: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    start_seconds: float = 30,
) -> ServeProcess:
    arguments = ["serve", *map(str, paths), "--listen", "127.0.0.1:0"]
    return start_monitor(
        [*arguments, "--artifacts", str(tmp_path / "artifacts"), *extra],
        tmp_path,
        env=env,
        start_seconds=start_seconds,
    )


def start_monitor(
    arguments: list[str],
    tmp_path: Path,
    env: dict[str, str] | None = None,
    start_seconds: float = 30,
) -> ServeProcess:
    """`checkout-monitor ARGUMENTS` as a user starts it, once it prints its status page."""
    log = open(tmp_path / "serve.log", "w+")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", *arguments],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, **(env or {})},
    )
    lines: list[str] = []
    assert process.stdout is not None
    began = time.monotonic()
    while time.monotonic() < began + start_seconds:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if match := re.search(r"status page\s+(https?://\S+)/", line):
            return ServeProcess(process, match.group(1), lines, log)
    process.kill()
    process.wait()
    process.stdout.close()
    log.seek(0)
    problem = log.read()
    log.close()
    raise AssertionError(
        f"serve did not start in {time.monotonic() - began:.0f}s (exit {process.returncode}): "
        f"{''.join(lines)}\n{problem}"
    )


@pytest.fixture
def serve_process(tmp_path: Path) -> Iterator[Callable[..., ServeProcess]]:
    started: list[ServeProcess] = []

    def start(
        paths: list[Path], *extra: str, env: dict[str, str] | None = None, start_seconds: float = 30
    ) -> ServeProcess:
        server = start_serve(paths, tmp_path, *extra, env=env, start_seconds=start_seconds)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@dataclass
class Prometheus:
    url: str

    def query(self, expression: str) -> list[dict[str, Any]]:
        _, body = http_get(
            f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
        )
        data = json.loads(body)
        assert data["status"] == "success", data
        return list(data["data"]["result"])

    def value(self, expression: str) -> float | None:
        result = self.query(expression)
        return float(result[0]["value"][1]) if result else None


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[Callable[..., Prometheus]]:
    """Start a real Prometheus scraping the given targets every second."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("Prometheus is not installed (scripts/setup --test installs it)")
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[IO[str]] = []

    def start(targets: list[str], rule_files: list[Path] = (), extra: str = "") -> Prometheus:
        port = free_port()
        config = tmp_path / f"prometheus-{port}.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            f"rule_files: {json.dumps([str(p) for p in rule_files])}\n"
            "scrape_configs:\n"
            "  - job_name: checkout-monitor\n"
            f"    static_configs: [{{targets: {json.dumps(targets)}}}]\n" + extra
        )
        log = open(tmp_path / f"prometheus-{port}.log", "w")  # noqa: SIM115 - closed at teardown
        logs.append(log)
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / str(port)}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_get(url + "/-/ready")[0] == 200, 30, "Prometheus to be ready")
        return Prometheus(url)

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=20)
    for log in logs:
        log.close()
