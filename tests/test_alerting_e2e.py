"""End to end with the real parts: demo shop → serve → Prometheus (the alert rules, 60x faster)
→ Alertmanager → a webhook receiver (aiohttp) in the test."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from serve_fixtures import ROOT, Prometheus, ServeProcess, free_port, http_get, wait_for
from test_dashboards import compressed_rules
from test_serve import fast_copy

from monitor.demo import DemoShopThread

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An aiohttp webhook on its own loop and thread, keeping every alert Alertmanager posts."""
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.extend((await request.json())["alerts"])
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/", hook)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def call(work: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(work, loop).result(timeout=30)

    call(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    call(site.start())
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/", received
    call(runner.cleanup())
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        pytest.skip("Alertmanager is not installed (scripts/setup --test installs it)")
    processes: list[subprocess.Popen[bytes]] = []

    def start(webhook: str) -> str:
        port = free_port()
        config = tmp_path / "alertmanager.yml"
        config.write_text(
            "route:\n  receiver: hook\n  group_by: [alertname, journey]\n"
            "  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n"
            f"receivers:\n  - name: hook\n    webhook_configs:\n"
            f"      - {{url: '{webhook}', send_resolved: true}}\n"
        )
        with open(tmp_path / "alertmanager.log", "w") as log:
            processes.append(
                subprocess.Popen(
                    [
                        binary,
                        f"--config.file={config}",
                        f"--storage.path={tmp_path / 'am'}",
                        f"--web.listen-address=127.0.0.1:{port}",
                        "--cluster.listen-address=",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_get(url + "/-/ready")[0] == 200, 30, "Alertmanager to be ready")
        return url

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=20)


def test_payment_fault_pages_through_alertmanager_and_resolves(
    shop: DemoShopThread,
    tmp_path: Path,
    serve_process: Callable[..., ServeProcess],
    prometheus: Callable[..., Prometheus],
    alertmanager: Callable[[str], str],
    receiver: tuple[str, list[dict[str, Any]]],
) -> None:
    hook, received = receiver
    am = alertmanager(hook)
    server = serve_process([fast_copy(tmp_path, "demo-guest-checkout")], env={"SHOP_URL": shop.url})
    rules = tmp_path / "alerts-fast.yml"
    rules.write_text(compressed_rules((ROOT / "dashboards" / "alerts.yml").read_text()))
    alerting = (
        "alerting:\n  alertmanagers:\n"
        f"    - static_configs: [{{targets: [{json.dumps(am.removeprefix('http://'))}]}}]\n"
    )
    prometheus([server.url.removeprefix("http://")], rule_files=[rules], extra=alerting)
    wait_for(lambda: server.metric("checkout_journey_success") == 1, 60, "a passing run")

    def payment_alerts(status: str) -> list[dict[str, Any]]:
        return [
            a
            for a in received
            if a["labels"].get("alertname") == "CheckoutPaymentFailing" and a["status"] == status
        ]

    shop.set_faults(["decline-all"])
    (firing, *_) = wait_for(lambda: payment_alerts("firing"), 60, "the payment alert")
    shop.clear_faults()
    wait_for(lambda: payment_alerts("resolved"), 90, "the payment alert to resolve")

    labels = firing["labels"]
    assert labels["journey"] == "demo-guest-checkout"
    assert labels["kind"] == "payment_declined" and labels["severity"] == "page"
    assert labels["site"] == "demo-shop" and labels["job"] == "checkout-monitor"
    assert "demo-guest-checkout" in firing["annotations"]["summary"]
    assert "#journey-demo-guest-checkout" in firing["annotations"]["status_page"]
