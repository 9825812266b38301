"""The command line: help that teaches, exit codes that gate CI, no tracebacks."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from serve_fixtures import free_port, http_get, start_monitor, wait_for

from monitor import __version__
from monitor.cli import main

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["demo", "run", "serve", "validate", "import", "schema", "doctor"]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"checkout-monitor {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert "examples:" in out and f"checkout-monitor {command}" in out


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "commands:" in capsys.readouterr().out


def test_validate_lists_the_bundled_journeys(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    names = [line.split()[1] for line in out.splitlines() if line.startswith("ok ")]
    assert len(names) >= 1 and all(n.startswith("demo-") for n in names)
    assert "steps" in out and "valid." in out


def test_validate_without_a_journeys_folder_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--no-devices"]) == 2
    assert "no journeys/ folder here" in capsys.readouterr().err


def test_schema_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "Journey" in schema["$defs"]


def test_module_entry_point_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "monitor", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"checkout-monitor {__version__}"


def test_bad_journey_through_the_real_command_has_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nbase_url: http://x\nsteps:\n  - clik: '#a'\n")
    out = subprocess.run(
        [sys.executable, "-m", "monitor", "validate", "--no-devices", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2
    assert f"{bad}:4:5: steps[0]: unknown step action 'clik'" in out.stderr
    assert "Traceback" not in out.stderr


def test_demo_shop_takes_its_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo-shop", "--list-faults"]) == 0
    assert "decline-all" in capsys.readouterr().out
    assert main(["demo-shop", "--port", "80", "--fault", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_demo_names_every_unknown_or_malformed_fault(capsys: pytest.CaptureFixture[str]) -> None:
    """Before any browser starts: exit 2, each bad name said, and the faults there are."""
    assert main(["demo", "--fault", "nope", "--fault", "slow:/x=abc"]) == 2
    err = capsys.readouterr().err
    assert "unknown fault 'nope'" in err and "delay 'abc'" in err and "decline-all" in err


def test_import_writes_a_journey_that_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "checkout.yaml"
    script = ROOT / "tests" / "data" / "codegen_demo_checkout.py"
    assert main(["import", str(script), "-o", str(out), "--name", "imported"]) == 0
    report = capsys.readouterr().out
    assert f"wrote {out}: journey 'imported'" in report and "secrets: TEST_CARD" in report
    assert main(["validate", "--no-devices", str(out)]) == 0


def test_import_of_a_broken_script_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("page.goto(\n")
    assert main(["import", str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err


@pytest.mark.parametrize("flag", [["--listen", "127.0.0.1:9200"], ["--every", "5s"]])
def test_a_flag_of_demo_serve_without_serve_is_refused_not_ignored(
    flag: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", *flag]) == 2
    assert f"{flag[0]}: only with --serve; add --serve, or leave it out" in capsys.readouterr().err


def test_demo_serve_refuses_an_interval_under_a_second(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--serve", "--every", "500ms"])
    assert exited.value.code == 2
    assert "--every: must be 1s or more" in capsys.readouterr().err


@pytest.mark.browser
def test_demo_serve_shows_a_fault_switched_on_in_the_shop_and_stops_clean_on_ctrl_c(
    tmp_path: Path,
) -> None:
    if shutil.which("curl") is None:
        pytest.skip("the test runs the curl lines demo --serve prints")
    listen = f"127.0.0.1:{free_port()}"
    slow = "slow:/favicon.svg=1"  # harmless: shows --fault switches faults on from the start
    artifacts = str(tmp_path / "artifacts")
    command = ["demo", "--serve", "--listen", listen, "--every", "2s", "--fault", slow]
    server = start_monitor([*command, "--artifacts", artifacts], tmp_path)
    try:
        printed = server.read_through("Ctrl+C stops.")
        assert server.url == f"http://{listen}"
        shop = re.search(r"shop\s+(http://127\.0\.0\.1:\d+)/", "".join(printed))
        assert shop is not None, printed
        curl = {line.split()[2]: shlex.split(line) for line in printed if "curl -X" in line}
        assert set(curl) == {"POST", "DELETE"}
        assert json.loads(http_get(shop.group(1) + "/__faults")[1])["active"] == [slow]

        wait_for(
            lambda: "All 5 journeys passing" in server.get("/")[1], 90, "every journey to pass"
        )
        guest = {"journey": "demo-guest-checkout"}
        assert server.metric("checkout_journey_success", **guest) == 1

        subprocess.run(curl["POST"], check=True, capture_output=True, timeout=30)
        wait_for(
            lambda: server.metric(
                "checkout_journey_last_failure_info", **guest, kind="payment_declined", step="pay"
            ),
            90,
            "the guest checkout to fail as payment_declined",
        )
        assert server.metric("checkout_journey_success", **guest) == 0

        subprocess.run(curl["DELETE"], check=True, capture_output=True, timeout=30)
        wait_for(
            lambda: server.metric("checkout_journey_success", **guest) == 1,
            90,
            "the guest checkout to pass again",
        )

        started = server.started()
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=30) == 0
        assert started.left() == []  # at once: the browser and its helpers went first
        server.read_through("Stopped: the runs, the browser and the demo shop.")
    finally:
        server.stop()
    log = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in log, log[log.index("Traceback") - 300 :][:3000]
