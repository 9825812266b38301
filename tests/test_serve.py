"""`serve` for real: a process, a demo shop, Prometheus scraping it, Chromium reading its page."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gate_fixtures import gate_secrets, gated_shop, write_gated_journey
from playwright.sync_api import Page
from serve_fixtures import (
    ROOT,
    Prometheus,
    ServeProcess,
    busy_cpus,
    http_get,
    self_signed_cert,
    serve_bytes,
    wait_for,
    webhook_receiver,
)

from monitor.demo import DemoShopThread

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=window.__pwned=1>"


def fast_copy(tmp_path: Path, name: str, *, every: str = "2s", retries: int = 0) -> Path:
    """A bundled demo journey that runs every few seconds and gives up quickly."""
    text = (ROOT / "journeys" / f"{name}.yaml").read_text()
    text = text.replace("every: 5m", f"every: {every}").replace("every: 15m", f"every: {every}")
    text = text.replace("timeout: 10s", f"timeout: 4s\nretries: {retries}")
    path = tmp_path / "journeys" / f"{name}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def test_prometheus_sees_success_then_the_failure_kind(
    shop: DemoShopThread,
    tmp_path: Path,
    serve_process: Callable[..., ServeProcess],
    prometheus: Callable[..., Prometheus],
) -> None:
    server = serve_process([fast_copy(tmp_path, "demo-guest-checkout")], env={"SHOP_URL": shop.url})
    prom = prometheus([server.url.removeprefix("http://")])
    success = 'checkout_journey_success{journey="demo-guest-checkout"}'

    wait_for(lambda: prom.value(success) == 1, 60, "a passing run to be scraped")
    shop.set_faults(["decline-all"])
    wait_for(lambda: prom.value(success) == 0, 60, "a failing run to be scraped")

    declined = prom.value(
        'checkout_journey_failures_total{journey="demo-guest-checkout",kind="payment_declined"}'
    )
    assert declined is not None and declined >= 1
    info = prom.query("checkout_journey_last_failure_info")
    assert info and info[0]["metric"]["kind"] == "payment_declined"
    assert info[0]["metric"]["step"] == "pay"


def test_metrics_pass_promtool(
    shop: DemoShopThread, tmp_path: Path, serve_process: Callable[..., ServeProcess]
) -> None:
    import shutil
    import subprocess

    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (scripts/setup --test installs it)")
    server = serve_process([fast_copy(tmp_path, "demo-guest-checkout")], env={"SHOP_URL": shop.url})
    wait_for(lambda: server.metric("checkout_journey_success") is not None, 60, "a run")

    _, text = server.get("/metrics")
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text, text=True, capture_output=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.fixture
def flaky_site() -> Iterator[str]:
    """A shop whose home page fails every other request: each first attempt, not the retry."""
    count = {"n": 0}

    def home() -> tuple[int, bytes]:
        count["n"] += 1
        if count["n"] % 2:
            return 502, b"<h1>Bad Gateway</h1>"
        return 200, b"<title>shop</title><h1>Welcome</h1>"

    with serve_bytes({"/": home}) as url:
        yield url


def test_a_fault_that_fails_only_the_first_attempt_is_not_a_failure(
    flaky_site: str, tmp_path: Path, serve_process: Callable[..., ServeProcess]
) -> None:
    journey = tmp_path / "flaky.yaml"
    journey.write_text(
        f"name: flaky\nbase_url: {flaky_site}\nevery: 2s\nretries: 1\n"
        "steps:\n  - goto: /\n  - expect: {text: Welcome}\n"
    )
    server = serve_process([journey])

    wait_for(
        lambda: (server.metric("checkout_journey_retries_total", journey="flaky") or 0) >= 2,
        60,
        "two retried runs",
    )

    assert server.metric("checkout_journey_success", journey="flaky") == 1
    assert server.metric("checkout_journey_runs_total", journey="flaky", result="failed") == 0
    assert (
        server.metric("checkout_journey_runs_total", journey="flaky", result="passed") or 0
    ) >= 2
    _, body = server.get("/api/runs?journey=flaky")
    runs = json.loads(body)["journeys"]
    assert runs and all(r["passed"] and r["attempt"] == 2 for r in runs)


def test_sigterm_on_a_loaded_machine_leaves_no_process_behind(
    shop: DemoShopThread, tmp_path: Path, serve_process: Callable[..., ServeProcess]
) -> None:
    """A supervisor restarting serve must never find the last one's Chromium still there."""
    journey = fast_copy(tmp_path, "demo-guest-checkout", every="1s")

    def running(server: ServeProcess) -> bool:
        return bool(json.loads(server.get("/api/journeys")[1])["journeys"][0]["running"])

    for attempt in range(5):
        server = serve_process([journey], env={"SHOP_URL": shop.url}, start_seconds=120)
        wait_for(lambda s=server: running(s), 120, "a run in progress")
        started = server.started()
        assert any("chrom" in p.command for p in started.processes), started
        assert started.groups, "Chromium should lead its own process group"

        # The machine is loaded while serve stops (only then: the rest of the suite runs
        # beside this test), and stopping must still be whole and quick.
        with busy_cpus(4):
            began = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            code = server.process.wait(timeout=30)
            left = started.left()  # at once: serve said it was done

        assert left == [], f"stop {attempt + 1}: still there after serve exited: {left}"
        assert code == 0
        assert time.monotonic() - began < 15  # browser closed, helpers waited for


@pytest.fixture
def hostile_site() -> Iterator[str]:
    """A page whose pay button is covered by an element with a script in its id."""
    page = (
        "<title>hostile</title><button style='position:fixed;top:10px'>Buy</button>"
        f"<div id='{HOSTILE}' style='position:fixed;inset:0;background:#fff8'></div>"
    ).encode()
    with serve_bytes({"/": page}) as url:
        yield url


def test_status_page_shows_every_journey_and_escapes_the_shops_text(
    shop: DemoShopThread,
    hostile_site: str,
    tmp_path: Path,
    serve_process: Callable[..., ServeProcess],
    page: Page,
) -> None:
    hostile = tmp_path / "journeys" / "hostile.yaml"
    hostile.parent.mkdir()
    hostile.write_text(
        f"name: hostile\nbase_url: {hostile_site}\nevery: 2s\nretries: 0\n"
        "timeout: 2s\nsteps:\n  - goto: /\n  - click: {role: button, name: Buy}\n"
    )
    fast_copy(tmp_path, "demo-guest-checkout")
    server = serve_process([tmp_path / "journeys"], env={"SHOP_URL": shop.url})
    wait_for(
        lambda: (
            server.metric("checkout_journey_success", journey="hostile") == 0
            and server.metric("checkout_journey_success", journey="demo-guest-checkout") == 1
        ),
        60,
        "both journeys to have run",
    )

    page.goto(server.url + "/")

    text = page.inner_text("body")
    assert "demo-guest-checkout" in text and "hostile" in text
    assert "element_unusable" in text
    assert HOSTILE in text  # shown as text ...
    assert page.evaluate("() => window.__pwned") is None  # ... never run
    assert page.locator("img[src=x]").count() == 0


def test_api_and_health_answer_and_bad_queries_get_clear_errors(
    shop: DemoShopThread, tmp_path: Path, serve_process: Callable[..., ServeProcess]
) -> None:
    server = serve_process([fast_copy(tmp_path, "demo-guest-checkout")], env={"SHOP_URL": shop.url})
    wait_for(lambda: json.loads(server.get("/api/runs")[1])["journeys"], 60, "a run")

    assert server.get("/healthz") == (200, "ok\n")
    status, body = server.get("/api/runs?limit=lots")
    assert status == 400 and "limit" in json.loads(body)["error"]
    status, body = server.get("/api/runs?journey=nope")
    assert status == 404 and json.loads(body)["journeys"] == ["demo-guest-checkout"]
    assert http_get(server.url + "/artifacts/../../etc/passwd")[0] == 404
    status, body = server.get("/api/journeys")
    assert status == 200 and json.loads(body)["journeys"][0]["state"] in ("passing", "failing")


def test_journeys_reload_on_change_and_a_broken_file_keeps_the_last_good_one(
    tmp_path: Path, serve_process: Callable[..., ServeProcess]
) -> None:
    with serve_bytes({"/": b"<title>shop</title><h1>Welcome</h1>"}) as site:
        folder = tmp_path / "journeys"
        folder.mkdir()
        good = f"name: home\nbase_url: {site}\nevery: 1s\nsteps:\n  - goto: /\n"
        (folder / "home.yaml").write_text(good)
        server = serve_process([folder])

        def passed_runs(name: str) -> float:
            return server.metric("checkout_journey_runs_total", journey=name, result="passed") or 0

        wait_for(lambda: passed_runs("home") >= 1, 30, "the first run")
        (folder / "home.yaml").write_text(good.replace("steps:", "stepz:"))
        before = passed_runs("home")
        wait_for(lambda: passed_runs("home") >= before + 2, 30, "runs to go on")
        wait_for(lambda: "stepz" in (tmp_path / "serve.log").read_text(), 10, "the bad file")
        assert server.metric("checkout_journeys_loaded") == 1

        (folder / "home.yaml").write_text(good)
        (folder / "more.yaml").write_text(good.replace("name: home", "name: more"))
        wait_for(lambda: passed_runs("more") >= 1, 30, "the added journey to run")
        wait_for(lambda: server.metric("checkout_journeys_loaded") == 2, 10, "two journeys")

        (folder / "more.yaml").unlink()  # gone, e.g. mid-save: the last good version runs on
        before = passed_runs("more")
        wait_for(lambda: passed_runs("more") >= before + 2, 30, "the deleted file's journey")
        server.process.send_signal(signal.SIGHUP)  # a deliberate reload drops it
        wait_for(lambda: server.metric("checkout_journeys_loaded") == 1, 30, "SIGHUP to drop it")

        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=15)
        log = (tmp_path / "serve.log").read_text()
        assert "stepz" in log and "the previous journeys keep running" in log
        assert "Traceback" not in log


def test_built_in_webhook_fires_with_what_a_person_needs_and_resolves(
    shop: DemoShopThread, tmp_path: Path, serve_process: Callable[..., ServeProcess]
) -> None:
    with webhook_receiver() as (hook, received):
        config = tmp_path / "monitor.yaml"
        config.write_text(
            "alerts:\n  after_failures: 2\n  targets:\n"
            f"    - {{name: ops, type: webhook, url: '{hook}'}}\n"
        )
        shop.set_faults(["decline-all"])
        server = serve_process(
            [fast_copy(tmp_path, "demo-guest-checkout")],
            "--config",
            str(config),
            env={"SHOP_URL": shop.url},
        )

        firing = wait_for(
            lambda: [m for m in received if m["status"] == "firing"], 60, "the alert to fire"
        )[0]
        shop.clear_faults()
        resolved = wait_for(
            lambda: [m for m in received if m["status"] == "resolved"], 60, "the alert to resolve"
        )[0]

    assert (firing["journey"], firing["kind"], firing["step"]) == (
        "demo-guest-checkout",
        "payment_declined",
        "pay",
    )
    assert firing["failures"] >= 2 and "Your card was declined" in firing["reason"]
    assert firing["status_page"] == f"{server.url}/#journey-demo-guest-checkout"
    assert firing["screenshot"].startswith(f"{server.url}/artifacts/")
    assert http_get(firing["screenshot"])[0] == 200
    assert resolved["journey"] == "demo-guest-checkout"


def test_a_killed_browser_is_relaunched_and_never_blamed_on_the_shop(
    shop: DemoShopThread, tmp_path: Path, serve_process: Callable[..., ServeProcess]
) -> None:
    server = serve_process(
        [fast_copy(tmp_path, "demo-guest-checkout", every="1s")], env={"SHOP_URL": shop.url}
    )

    def passed() -> float:
        return server.metric("checkout_journey_runs_total", result="passed") or 0

    wait_for(lambda: passed() >= 1, 60, "a first passing run")
    wait_for(
        lambda: json.loads(server.get("/api/journeys")[1])["journeys"][0]["running"],
        30,
        "a run in progress",
    )
    browsers = [
        pid
        for pid in server.children()
        if "headless" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        or "chrom" in Path(f"/proc/{pid}/comm").read_text()
    ]
    assert browsers
    for pid in browsers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    before = passed()

    wait_for(
        lambda: (server.metric("checkout_browser_restarts_total") or 0) >= 1,
        60,
        "the browser to be relaunched",
    )
    wait_for(lambda: passed() > before, 60, "a passing run on the new browser")
    assert server.get("/healthz")[0] == 200
    _, text = server.get("/metrics")
    blamed = [
        line
        for line in text.splitlines()
        if line.startswith("checkout_journey_failures_total")
        and 'kind="monitor_error"' not in line
        and not line.endswith(" 0.0")
    ]
    assert blamed == []


def test_basic_auth_and_tls_from_an_exporter_toolkit_web_config(
    tmp_path: Path, serve_process: Callable[..., ServeProcess]
) -> None:
    import base64
    import ssl
    import urllib.request

    import bcrypt

    self_signed_cert(tmp_path)
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
    web = tmp_path / "web.yml"
    web.write_text(
        "tls_server_config: {cert_file: cert.pem, key_file: key.pem}\n"
        f"basic_auth_users:\n  prometheus: '{hashed}'\n"
    )
    with serve_bytes({"/": b"<h1>Welcome</h1>"}) as site:
        journey = tmp_path / "home.yaml"
        journey.write_text(f"name: home\nbase_url: {site}\nevery: 5s\nsteps: [{{goto: /}}]\n")
        server = serve_process([journey], "--web-config", str(web))
        trusted = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))

        def get(user: str | None) -> int:
            request = urllib.request.Request(server.url + "/metrics")
            if user:
                token = base64.b64encode(user.encode()).decode()
                request.add_header("Authorization", f"Basic {token}")
            try:
                with urllib.request.urlopen(request, context=trusted, timeout=10) as answer:
                    return int(answer.status)
            except urllib.error.HTTPError as error:
                return int(error.code)

        assert server.url.startswith("https://")
        assert get(None) == 401
        assert get("prometheus:wrong") == 401
        assert get("prometheus:s3cret") == 200


def test_secrets_never_reach_logs_status_page_api_alerts_or_artifacts(
    shop: DemoShopThread, tmp_path: Path, serve_process: Callable[..., ServeProcess]
) -> None:
    import zipfile

    card, password = "4000000000000002", "hunter2-Secret"
    journey = fast_copy(tmp_path, "demo-guest-checkout")
    # A password typed into a password field, never declared as a secret, is masked too.
    login = tmp_path / "journeys" / "login.yaml"
    with (
        serve_bytes(
            {"/": b"<form><input type=password id=pw><button>Sign in</button></form><p>Welcome</p>"}
        ) as site,
        gated_shop() as gated,  # basic auth, an allowlist header, a TOTP code: all secrets
    ):
        gated_env = write_gated_journey(tmp_path / "journeys", gated)[1]
        login.write_text(
            f"name: login\nbase_url: {site}\nevery: 2s\nretries: 0\ntimeout: 2s\nsteps:\n"
            "  - goto: /\n"
            f"  - fill: {{'#pw': '{password}'}}\n"
            "  - expect: {text: Signed in}\n"  # fails: artifacts are written
        )
        with webhook_receiver() as (hook, received):
            config = tmp_path / "monitor.yaml"
            config.write_text(
                "alerts:\n  after_failures: 1\n  targets:\n"
                f"    - {{name: ops, type: webhook, url: '{hook}'}}\n"
            )
            server = serve_process(
                [journey.parent],
                "--config",
                str(config),
                "--trace",
                "always",
                env={"SHOP_URL": shop.url, "TEST_CARD": card, **gated_env},
            )
            wait_for(
                lambda: (
                    {m["journey"] for m in received}
                    >= {"login", "demo-guest-checkout", "gated-sign-in"}
                ),
                90,
                "every journey to alert",
            )
            texts = [
                json.dumps(received),
                server.get("/")[1],
                server.get("/api/runs")[1],
                server.get("/api/journeys")[1],
                server.get("/metrics")[1],
            ]
        secrets = gate_secrets(gated)
    server.stop()
    texts.append((tmp_path / "serve.log").read_text())
    for path in (tmp_path / "artifacts").rglob("*"):
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as trace:
                texts += [trace.read(n).decode("utf-8", "replace") for n in trace.namelist()]
        elif path.is_file() and path.suffix != ".png":
            texts.append(path.read_text(errors="replace"))
    assert any("trace.zip" in str(p) for p in (tmp_path / "artifacts").rglob("*"))
    leaks = [t[:200] for t in texts if card in t or "4000 0000 0000 0002" in t or password in t]
    assert leaks == []
    assert "'Signed in as somebody else' on the page" in json.dumps(received)  # past the gates
    assert [(s, t[:200]) for t in texts for s in secrets if s in t] == []


def test_a_failed_run_keeps_its_report_and_filmstrip_served_and_named_in_the_api(
    tmp_path: Path, serve_process: Callable[..., ServeProcess]
) -> None:
    from local_site import Answer, local_site

    with local_site({"/": Answer(body="<title>Shop</title><h1>Sold out</h1>")}) as url:
        journey = tmp_path / "filmed.yaml"
        journey.write_text(
            f"name: filmed\nbase_url: {url}\nevery: 30s\nretries: 0\ntimeout: 1s\n"
            "filmstrip: on-failure\nsteps:\n  - goto: /\n  - expect: {text: Welcome}\n"
        )
        server = serve_process([journey])
        runs = wait_for(
            lambda: json.loads(server.get("/api/runs?journey=filmed")[1])["journeys"], 60, "a run"
        )
    urls = runs[0]["urls"]
    assert runs[0]["failure_kind"] == "assertion_failed"
    assert [f["step"] for f in runs[0]["filmstrip"]] == ["goto /", "expect text Welcome"]
    assert len(urls["filmstrip"]) == 2 and urls["report"].endswith("/report/index.html")
    for frame in urls["filmstrip"]:
        assert server.get(frame)[0] == 200
    status, report = server.get(urls["report"])
    assert status == 200 and "Sold out" not in report and "assertion_failed" in report
    journey_page = server.get(urls["report"].replace("index.html", "01-filmed.html"))[1]
    assert 'src="../frame-01-goto-.jpg"' in journey_page
    page = server.get("/")[1]
    assert f'href="{urls["report"]}"' in page and f'src="{urls["filmstrip"][1]}"' in page
