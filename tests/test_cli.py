"""The command line: help that teaches, exit codes that gate CI, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
