"""How a run starts: the journeys load while Playwright and the browser start, and bad
journeys are said before a browser that would not start."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import quick_journey
from local_site import Answer, Request, Route, local_site

from monitor.browser import FoundBrowser, find_browser, use_node_compile_cache
from monitor.errors import BrowserLaunchFailed, ConfigError
from monitor.journey import Journey
from monitor.processes import own_children
from monitor.session import run_journeys

pytestmark = pytest.mark.browser


async def test_journeys_load_while_the_browser_starts() -> None:
    before = own_children()
    seen_driver: list[bool] = []

    def load() -> list[Journey]:
        # Playwright's driver is our child once it starts: wait for it, with a deadline. Were
        # the journeys loaded before the browser was started, it would never come.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not own_children() - before:
            time.sleep(0.01)
        seen_driver.append(bool(own_children() - before))
        return []

    results = await run_journeys(load, find_browser())

    assert results == [] and seen_driver == [True]


async def test_bad_journeys_are_said_before_a_browser_that_would_not_start(
    tmp_path: Path,
) -> None:
    not_a_browser = tmp_path / "chromium"
    not_a_browser.write_text("#!/bin/sh\nexit 3\n")
    not_a_browser.chmod(0o755)

    def load() -> list[Journey]:
        raise ConfigError("journeys/x.yaml:1:1: steps: field required")

    with pytest.raises(ConfigError, match="field required"):
        await run_journeys(load, FoundBrowser(str(not_a_browser), "explicit"))
    with pytest.raises(BrowserLaunchFailed):
        await run_journeys(list[Journey](), FoundBrowser(str(not_a_browser), "explicit"))


async def test_the_driver_keeps_its_compiled_code_for_the_next_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Node's compile cache, in the user's cache folder: the next command's driver starts
    # sooner. (setenv first, so that the variable we set is undone after the test.)
    monkeypatch.setenv("NODE_COMPILE_CACHE", "")
    monkeypatch.delenv("NODE_COMPILE_CACHE")
    monkeypatch.delenv("NODE_DISABLE_COMPILE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    assert await run_journeys(list[Journey](), find_browser()) == []

    kept = list((tmp_path / "checkout-monitor" / "node-compile-cache").rglob("*"))
    assert [path for path in kept if path.is_file()], "node kept no compiled code"


def test_the_users_own_compile_cache_setting_is_left_alone(tmp_path: Path) -> None:
    home = {"XDG_CACHE_HOME": str(tmp_path)}
    assert use_node_compile_cache(env := dict(home)) == tmp_path / "checkout-monitor" / (
        "node-compile-cache"
    )
    assert env["NODE_COMPILE_CACHE"] == str(tmp_path / "checkout-monitor" / "node-compile-cache")
    for own in ({"NODE_COMPILE_CACHE": "/srv/cache"}, {"NODE_DISABLE_COMPILE_CACHE": "1"}):
        env = home | own
        assert use_node_compile_cache(env) is None and env == home | own


# Two pages of a small shop that is not the demo: the second has an image that takes a while.
SLOW_IMAGE = 1.5
START = '<title>Start</title><h1>Start</h1><a href="/done">Done</a>'
DONE = '<title>Done</title><h1>Done</h1><img src="/slow.png" alt="">'


def _journeys(url: str, last: dict[str, object] | None = None) -> list[Journey]:
    last = last or {"expect": {"text": "Done"}}
    first = quick_journey(
        "first", url, [{"goto": "/"}, {"click": {"role": "link", "name": "Done"}}, last]
    )
    second = quick_journey("second", url, [{"goto": "/?second"}, {"expect": {"text": "Start"}}])
    return [first, second]


def _site(asked: dict[str, float]) -> dict[str, Route]:
    def start(request: Request) -> Answer:
        asked.setdefault(request.path, time.time())
        return Answer(body=START)

    return {
        "/": start,
        "/done": Answer(body=DONE),
        "/slow.png": Answer(body=b"", content_type="image/png", delay=SLOW_IMAGE),
    }


async def test_the_next_run_opens_its_page_while_the_last_page_is_still_measured() -> None:
    # One at a time: the first run's last look waits for its last page's load (the slow
    # image). The second run opens its context and page meanwhile, and starts its steps once
    # the first has ended: its first page shares the browser with no other run.
    asked: dict[str, float] = {}
    with local_site(_site(asked)) as url:
        first, second = await run_journeys(_journeys(url), find_browser(), parallel=1)

    assert first.passed and second.passed, (first.failure, second.failure)
    first_ended = first.started_at + first.duration_seconds
    assert (load := first.page_loads[-1].load_seconds) is not None and load >= SLOW_IMAGE
    assert second.started_at < first_ended - 1.0, "the second run waited for the first's end"
    assert asked["/?second"] >= first_ended, "the second run's steps overlapped the first run"


async def test_a_failing_run_keeps_its_place_until_it_has_ended() -> None:
    asked: dict[str, float] = {}
    with local_site(_site(asked)) as url:
        first, second = await run_journeys(
            _journeys(url, {"expect": {"text": "Thank you"}, "timeout": "1s"}),
            find_browser(),
            parallel=1,
        )

    assert not first.passed and second.passed
    assert second.started_at >= first.started_at + first.duration_seconds
