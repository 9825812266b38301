"""Browser discovery and a real Chromium opening a real page on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from serve_fixtures import serve_bytes

from monitor.browser import find_browser, launch_options
from monitor.cli import main
from monitor.errors import BrowserNotFound


def fake_executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho 'Chromium 1.0'\n")
    path.chmod(0o755)
    return path


def test_explicit_path_wins(tmp_path: Path) -> None:
    chrome = fake_executable(tmp_path / "bin" / "my-chrome")
    system = fake_executable(tmp_path / "path" / "chromium")
    found = find_browser(str(chrome), env={"PATH": str(system.parent)})
    assert (found.path, found.source) == (str(chrome), "explicit")


def test_environment_variable_names_the_browser(tmp_path: Path) -> None:
    chrome = fake_executable(tmp_path / "chrome")
    found = find_browser(None, env={"CHECKOUT_MONITOR_CHROMIUM": str(chrome), "PATH": ""})
    assert found.source == "explicit"


def test_explicit_path_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BrowserNotFound, match="is not an executable file"):
        find_browser(str(tmp_path / "missing"), env={})


def test_playwrights_own_browser_before_the_system_one(tmp_path: Path) -> None:
    shell = fake_executable(
        tmp_path / "pw" / "chromium_headless_shell-1200" / "chrome-linux" / "chrome-headless-shell"
    )
    fake_executable(tmp_path / "pw" / "chromium-1200" / "chrome-linux" / "chrome")
    system = fake_executable(tmp_path / "path" / "chromium")
    found = find_browser(
        None, env={"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "pw"), "PATH": str(system.parent)}
    )
    assert (found.path, found.source, found.is_headless_shell) == (str(shell), "playwright", True)


def test_system_headless_shell_is_preferred_over_full_chromium(tmp_path: Path) -> None:
    fake_executable(tmp_path / "path" / "chromium")
    shell = fake_executable(tmp_path / "path" / "chromium-headless-shell")
    found = find_browser(
        None,
        env={"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "none"), "PATH": str(tmp_path / "path")},
    )
    assert (found.path, found.source) == (str(shell), "system")


def test_no_browser_says_how_to_install_one(tmp_path: Path) -> None:
    with pytest.raises(BrowserNotFound) as caught:
        find_browser(None, env={"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path), "PATH": str(tmp_path)})
    assert "apt-get install chromium" in str(caught.value)
    assert "playwright install chromium" in str(caught.value)


def test_launch_options_keep_chromium_off_the_network() -> None:
    options = launch_options(find_browser())
    assert options["headless"] is True
    assert "--disable-background-networking" in options["args"]
    assert ("--no-sandbox" in options["args"]) == (os.geteuid() == 0)


@pytest.fixture
def local_page_url() -> Iterator[str]:
    page = b"<!doctype html><title>hello</title><button id=b onclick=\"this.textContent='done'\">go"
    with serve_bytes({"/": page}) as url:
        yield url + "/"


@pytest.mark.browser
def test_discovered_chromium_opens_and_clicks_a_local_page(page: Page, local_page_url: str) -> None:
    page.goto(local_page_url)
    page.click("#b")
    assert page.title() == "hello"
    assert page.inner_text("#b") == "done"


@pytest.mark.browser
def test_doctor_finds_and_checks_the_browser(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "The browser works." in out and "Chromium" in out


def test_doctor_without_a_browser_exits_2_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    monkeypatch.delenv("CHECKOUT_MONITOR_CHROMIUM", raising=False)
    assert main(["doctor"]) == 2
    assert "apt-get install chromium" in capsys.readouterr().err
