"""The Python API: journeys from files or a YAML string, played once or by a kept Player, the
same RunResults `run` reports; `import monitor` stays cheap."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_fixtures import serve_bytes

import monitor
from monitor.errors import ConfigError, JourneyError
from monitor.result import FailureKind, RunResult

NOWHERE = "http://127.0.0.1:9"  # nothing listens: only a base_url override reaches the shop

JOURNEYS = f"""\
journeys:
  - name: add-to-cart
    base_url: {NOWHERE}
    timeout: 3s
    retries: 0
    secrets: [CARD]
    steps:
      - goto: /
      - click: {{text: Add to cart}}
      - expect: {{text: Your cart}}
  - name: free-shipping
    base_url: {NOWHERE}
    timeout: 2s
    retries: 0
    steps:
      - goto: /
      - expect: {{text: Free shipping}}
"""

SITE = {
    "/": b"<title>Shop</title><h1>Trail Runner</h1><a href='/cart'>Add to cart</a>",
    "/cart": b"<title>Cart</title><p>Your cart</p>",
}


@pytest.fixture
def site() -> Iterator[str]:
    with serve_bytes(dict(SITE)) as url:
        yield url


def test_import_monitor_loads_nothing_heavy_until_the_api_is_used() -> None:
    code = (
        "import sys, monitor\n"
        "heavy = {'playwright', 'pydantic', 'yaml', 'aiohttp'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "assert monitor.play.__module__ == 'monitor.api'\n"
        "assert 'playwright' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(AttributeError, match="no attribute 'plya'"):
        monitor.plya  # noqa: B018


def test_journeys_from_a_yaml_string_name_its_problems_by_line() -> None:
    add, free = monitor.parse_journeys(JOURNEYS, env={"CARD": "4242424242424242"})
    assert (add.name, free.name) == ("add-to-cart", "free-shipping")
    assert add.secret_values == ("4242424242424242",) and add.origin == "<string>:2:5"
    with pytest.raises(JourneyError) as raised:
        monitor.parse_journeys(
            "name: x\nbase_url: shop\nsteps:\n  - clik: '#buy'\n", source="inline.yaml"
        )
    assert [str(p) for p in raised.value.problems] == [
        "inline.yaml:2:11: base_url: 'shop' is not an http(s) URL such as https://shop.example.com",
        "inline.yaml:4:5: steps[0]: unknown step action 'clik' (did you mean 'click'?); "
        "one of: goto, click, fill, select, check, uncheck, press, hover, wait, expect, "
        "screenshot, remember, expect_content",
    ]


def test_journeys_from_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(JOURNEYS)
    assert [j.name for j in monitor.load_journeys(tmp_path)] == ["add-to-cart", "free-shipping"]
    with pytest.raises(JourneyError, match="no such file or folder"):
        monitor.load_journeys(tmp_path / "missing.yaml")


def test_another_base_url_changes_only_where_the_journey_starts() -> None:
    [add, _] = monitor.parse_journeys(JOURNEYS, env={"CARD": "4242424242424242"})
    [moved] = monitor.with_base_url([add], "https://staging.example.com/")
    assert moved.base_url == "https://staging.example.com"
    assert moved.secret_values == add.secret_values and moved.origin == add.origin
    assert moved.steps == add.steps and add.base_url == NOWHERE
    with pytest.raises(ConfigError, match="'staging' is not an http"):
        monitor.with_base_url([add], "staging")


@pytest.mark.browser
def test_play_gives_each_journey_its_run_result_in_order(site: str, tmp_path: Path) -> None:
    journeys = monitor.parse_journeys(JOURNEYS, env={})
    added, free = monitor.play(journeys, parallel=2, base_url=site, artifacts=tmp_path, trace="off")
    assert isinstance(added, RunResult) and added.journey == "add-to-cart"
    assert added.passed and added.clicks == 1 and added.pages_visited == 2
    assert free.failure_kind is FailureKind.ASSERTION_FAILED
    assert free.failure is not None and free.failure.step == "expect text Free shipping"
    assert Path(free.artifacts["screenshot"]).is_file()
    assert Path(free.artifacts["screenshot"]).is_relative_to(tmp_path)


def kept_browser(player: monitor.Player) -> object:
    assert player._player is not None and player._player._keeper is not None
    return player._player._keeper._browser


@pytest.mark.browser
async def test_a_player_keeps_its_browser_and_plays_under_a_running_loop(site: str) -> None:
    add, _ = monitor.parse_journeys(JOURNEYS, env={})
    with monitor.Player(base_url=site, trace="off") as player:
        first = player.play(add)  # the sync player, called with this test's loop running
        browser = kept_browser(player)
        [second] = player.play([add])
        assert browser is not None and kept_browser(player) is browser
    assert first.passed and second.passed
    assert (await monitor.play_async(add, base_url=site)).passed


def test_a_player_without_a_browser_says_so_at_every_play() -> None:
    [add, _] = monitor.parse_journeys(JOURNEYS, env={})
    with monitor.Player(browser_path="/nowhere/chromium") as player:
        for _ in range(2):
            with pytest.raises(monitor.BrowserError, match="'/nowhere/chromium'"):
                player.play(add)
    with pytest.raises(ConfigError, match="not an http"):
        monitor.Player(base_url="staging.example.com")
