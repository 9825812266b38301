"""`checkout-monitor run` as CI runs it: a real process, a real shop, real reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from gate_fixtures import gate_secrets, gated_shop, write_gated_journey
from serve_fixtures import StartedProcesses, busy_cpus, started_by, wait_for

from monitor.demo import DemoShopThread

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
GUEST = str(ROOT / "journeys" / "demo-guest-checkout.yaml")
DECLINED_CARD = "4000000000000002"


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "run", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "140", **(env or {})},
    )


def test_passing_checkout_exits_0_with_reports(shop: DemoShopThread, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    out = run_cli(
        GUEST,
        "--json",
        str(tmp_path / "r.json"),
        "--junit",
        str(tmp_path / "j.xml"),
        env={"SHOP_URL": shop.url, "GITHUB_STEP_SUMMARY": str(summary)},
        cwd=tmp_path,
    )

    assert out.returncode == 0, out.stdout + out.stderr
    assert "demo-guest-checkout ✓ 16/16 order confirmed" in out.stdout
    assert "passed" in out.stdout and "slowest page load" in out.stdout
    document = json.loads((tmp_path / "r.json").read_text())
    (journey,) = document["journeys"]
    for key in (
        "name",
        "passed",
        "failure_kind",
        "failed_step",
        "duration_seconds",
        "clicks",
        "steps",
        "page_loads",
        "http_errors",
        "console_errors",
        "artifacts",
    ):
        assert key in journey
    assert (journey["passed"], journey["failure_kind"], journey["clicks"]) == (True, None, 6)
    assert len(journey["steps"]) == 16 and journey["page_loads"]
    suite = ET.parse(tmp_path / "j.xml").getroot()
    assert (suite.tag, suite.get("tests"), suite.get("failures")) == ("testsuite", "1", "0")
    assert "✅" in summary.read_text()


def test_failing_checkout_exits_1_and_junit_carries_the_reason(
    shop: DemoShopThread, tmp_path: Path
) -> None:
    shop.set_faults(["decline-all"])
    out = run_cli(
        GUEST,
        "--junit",
        str(tmp_path / "j.xml"),
        "--json",
        str(tmp_path / "r.json"),
        "--artifacts",
        str(tmp_path / "art"),
        env={"SHOP_URL": shop.url},
    )

    assert out.returncode == 1
    failure = ET.parse(tmp_path / "j.xml").getroot().find("testcase/failure")
    assert failure is not None
    assert failure.get("type") == "payment_declined"
    assert failure.get("message") == "step 'pay': card declined: 'Your card was declined'"
    journey = json.loads((tmp_path / "r.json").read_text())["journeys"][0]
    assert (journey["failure_kind"], journey["failed_step"]) == ("payment_declined", "pay")
    assert Path(journey["artifacts"]["trace"]).is_file()


def test_a_failed_checkout_shows_its_failure_frame_and_the_replays_frames(
    shop: DemoShopThread, tmp_path: Path
) -> None:
    shop.set_faults(["decline-all"])
    out = run_cli(
        GUEST,
        "--json",
        str(tmp_path / "r.json"),
        "--html",
        str(tmp_path / "report"),
        "--artifacts",
        str(tmp_path / "art"),
        "--quiet",
        env={"SHOP_URL": shop.url},
    )

    assert out.returncode == 1, out.stdout + out.stderr
    journey = json.loads((tmp_path / "r.json").read_text())["journeys"][0]
    assert journey["failure_kind"] == "payment_declined"  # the run's own result
    assert journey["replay"]["outcome"] == "failed_alike"
    assert journey["replay"]["failure"]["kind"] == "payment_declined"
    first, *replayed = journey["filmstrip"]  # the default --filmstrip on-failure
    assert (first["step"], first["at_failure"], first["replay"]) == ("pay", True, False)
    assert len(replayed) >= 5 and all(f["replay"] and not f["at_failure"] for f in replayed)
    paths = [Path(f["path"]) for f in journey["filmstrip"]]
    assert all(p.is_file() for p in paths) and len({p.name for p in paths}) == len(paths)
    assert Path(journey["artifacts"]["trace"]).parent == paths[0].parent  # one re-play: both
    index = tmp_path / "report" / "index.html"
    page = next(p for p in index.parent.glob("*.html") if p != index).read_text()
    assert "From the re-play of the failed run (it failed the same way, at the same step)" in page
    assert page.count("<figure") == len(paths)
    copied = tmp_path / "report" / "files" / "demo-guest-checkout"
    assert all((copied / p.name).read_bytes() == p.read_bytes() for p in paths)


def test_no_browser_exits_2_and_never_reports_a_pass(shop: DemoShopThread, tmp_path: Path) -> None:
    out = run_cli(
        GUEST,
        "--json",
        str(tmp_path / "r.json"),
        "--junit",
        str(tmp_path / "j.xml"),
        env={"SHOP_URL": shop.url, "CHECKOUT_MONITOR_CHROMIUM": "/nonexistent/chrome"},
    )

    assert out.returncode == 2
    assert "not an executable file" in out.stderr and "Traceback" not in out.stderr
    journey = json.loads((tmp_path / "r.json").read_text())["journeys"][0]
    assert (journey["passed"], journey["failure_kind"]) == (False, "monitor_error")
    assert ET.parse(tmp_path / "j.xml").getroot().get("errors") == "1"


def test_bad_input_exits_2(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: x\nbase_url: http://127.0.0.1:1\nsteps: []\n")
    assert run_cli(str(tmp_path / "bad.yaml")).returncode == 2
    unknown = run_cli(GUEST, "--journey", "nope")
    assert unknown.returncode == 2
    assert "no journey named 'nope'; known: demo-guest-checkout" in unknown.stderr


def test_secrets_never_appear_in_output_reports_or_artifacts(
    shop: DemoShopThread, tmp_path: Path
) -> None:
    art = tmp_path / "art"
    with gated_shop() as gated:  # basic auth, an allowlist header, a TOTP code: all secrets
        gated_file, gated_env = write_gated_journey(tmp_path, gated)
        out = run_cli(
            GUEST,
            str(gated_file),
            "--json",
            str(tmp_path / "r.json"),
            "--junit",
            str(tmp_path / "j.xml"),
            "--artifacts",
            str(art),
            "--trace",
            "always",
            "--html",
            str(tmp_path / "report"),
            env={"SHOP_URL": shop.url, "TEST_CARD": DECLINED_CARD, **gated_env},
        )
        secrets = gate_secrets(gated)

    assert out.returncode == 1  # the secret card is declined: the failure path writes most
    reasons = [j["reason"] for j in json.loads((tmp_path / "r.json").read_text())["journeys"]]
    assert "expected text 'Signed in as somebody else' on the page" in str(reasons)  # past gates
    texts = [
        out.stdout,
        out.stderr,
        (tmp_path / "r.json").read_text(),
        (tmp_path / "j.xml").read_text(),
    ]
    files = [p for p in art.rglob("*") if p.is_file()]
    assert any(p.name == "trace.zip" for p in files) and any(p.suffix == ".html" for p in files)
    assert any(p.suffix == ".jpg" for p in files)  # the filmstrip: its card field is masked
    files += [p for p in (tmp_path / "report").rglob("*") if p.is_file()]
    for path in files:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as trace:
                texts += [trace.read(n).decode("utf-8", "replace") for n in trace.namelist()]
        elif path.suffix not in (".png", ".jpg"):  # pictures: secret fields blacked out
            texts.append(path.read_text())
    leaked = [t for t in texts if DECLINED_CARD in t or "4000 0000 0000 0002" in t]
    assert leaked == []
    leaked_gates = [(s, t[:200]) for t in texts for s in secrets if s in t]
    assert leaked_gates == []


def test_stop_before_payment_flag_places_no_order(shop: DemoShopThread, tmp_path: Path) -> None:
    orders = len(shop.orders)
    out = run_cli(
        GUEST,
        "--stop-before-payment",
        "--json",
        str(tmp_path / "r.json"),
        env={"SHOP_URL": shop.url},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    journey = json.loads((tmp_path / "r.json").read_text())["journeys"][0]
    assert journey["stopped_before_payment"] and not journey["order_confirmed"]
    assert len(shop.orders) == orders


def test_run_exits_only_once_every_process_it_started_is_gone(
    shop: DemoShopThread, tmp_path: Path
) -> None:
    def browser_started(pid: int) -> StartedProcesses | None:
        started = started_by(pid)
        return started if any("chrom" in p.command for p in started.processes) else None

    journey = tmp_path / "home.yaml"
    journey.write_text(f"name: home\nbase_url: {shop.url}\nsteps:\n  - goto: /\n")
    command = [sys.executable, "-m", "monitor", "run", str(journey), "--artifacts", str(tmp_path)]
    with (
        busy_cpus(2),
        subprocess.Popen(command, stdout=subprocess.DEVNULL) as process,
    ):
        started = wait_for(lambda: browser_started(process.pid), 60, "Chromium to start")
        assert process.wait(timeout=120) == 0
        assert started.left() == []  # at once: run said it was done
