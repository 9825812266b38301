"""The pytest plugin, in pytest runs of their own (pytester): what is collected and selected,
how a failing journey and our own fault are reported, JUnit properties, --base-url, xdist.

Runs that need no browser run in this process; runs that play journeys run in a subprocess
against a small local site served from here.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_fixtures import serve_bytes

import monitor.api
from monitor.browser import find_browser
from monitor.journey import Journey
from monitor.pytest_plugin import SETTINGS
from monitor.result import Failure, FailureKind, RunResult

pytest_plugins = ["pytester"]

# Where no shop listens: a journey pointed here passes only when --base-url overrides it.
NOWHERE = "http://127.0.0.1:9"

SHOP_YAML = f"""\
journeys:
  - name: buy
    base_url: {NOWHERE}
    tags: [smoke]
    matrix: [Desktop Chrome, iPhone 13]
    timeout: 3s
    retries: 0
    steps:
      - goto: /
      - click: {{text: Add to cart}}
      - expect: {{text: Your cart}}
  - name: browse
    base_url: {NOWHERE}
    tags: [nightly]
    timeout: 3s
    retries: 0
    steps:
      - goto: /
"""

BROKEN_YAML = f"""\
name: free-shipping
base_url: {NOWHERE}
timeout: 2s
retries: 0
steps:
  - goto: /
  - expect: {{text: Free shipping}}
    name: free shipping shown
"""

SITE = {
    "/": b"<title>Shop</title><h1>Trail Runner</h1><a href='/cart'>Add to cart</a>",
    "/cart": b"<title>Cart</title><p>Your cart</p>",
}

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"

PLAIN_TEST = """\
def test_plain():
    assert True
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with a test suite of its own and journeys beside it."""
    pytester.makeini(INI)
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_plain.py").write_text(PLAIN_TEST)
    journeys = pytester.mkdir("journeys")
    (journeys / "shop.yaml").write_text(SHOP_YAML)
    (journeys / "more").mkdir()
    (journeys / "more" / "broken.yml").write_text(BROKEN_YAML)
    (journeys / ".draft.yaml").write_text("not: a journey")  # hidden: never collected
    return pytester


@pytest.fixture
def counted_chromium(tmp_path: Path) -> tuple[str, Path]:
    """A Chromium that notes each launch in a file: (its path, the file)."""
    launches = tmp_path / "launches"
    wrapper = tmp_path / "chromium"
    wrapper.write_text(f'#!/bin/sh\necho $$ >> "{launches}"\nexec "{find_browser().path}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper), launches


def launch_count(launches: Path) -> int:
    return len(launches.read_text().split()) if launches.exists() else 0


@pytest.fixture
def site() -> Iterator[str]:
    with serve_bytes(dict(SITE)) as url:
        yield url


def collected(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if "::" in line and not line.startswith("=")]


def test_each_journey_and_matrix_device_is_an_item_named_after_file_and_journey(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest("--journeys", "journeys", "tests", "--collect-only", "-q")
    assert collected(result) == [
        "tests/test_plain.py::test_plain",
        "journeys/more/broken.yml::free-shipping",
        "journeys/shop.yaml::buy[Desktop Chrome]",
        "journeys/shop.yaml::buy[iPhone 13]",
        "journeys/shop.yaml::browse",
    ]


def test_the_plugin_is_inert_without_journeys_and_the_ini_option_asks_too(
    project: pytest.Pytester,
) -> None:
    alone = project.runpytest(".", "--collect-only", "-q")
    assert collected(alone) == ["tests/test_plain.py::test_plain"]
    project.makeini(f"{INI}testpaths = tests\ncheckout_monitor_journeys = journeys/shop.yaml\n")
    asked = project.runpytest("--collect-only", "-q")
    assert collected(asked) == [
        "tests/test_plain.py::test_plain",
        "journeys/shop.yaml::buy[Desktop Chrome]",
        "journeys/shop.yaml::buy[iPhone 13]",
        "journeys/shop.yaml::browse",
    ]


def test_k_selects_by_name_and_device_and_m_by_tag_with_strict_markers(
    project: pytest.Pytester,
) -> None:
    def select(*how: str) -> list[str]:
        run = project.runpytest("--journeys", "journeys", "--strict-markers", "-q", *how)
        return collected(run)

    only = ("--collect-only",)
    assert select(*only, "-k", "iphone") == ["journeys/shop.yaml::buy[iPhone 13]"]
    assert select(*only, "-m", "smoke") == [
        "journeys/shop.yaml::buy[Desktop Chrome]",
        "journeys/shop.yaml::buy[iPhone 13]",
    ]
    assert select(*only, "-m", "journey and not smoke and not nightly") == [
        "journeys/more/broken.yml::free-shipping"
    ]


def test_base_url_is_pytest_base_urls_option_and_ini_and_must_be_a_url(
    project: pytest.Pytester,
) -> None:
    # The same with pytest-base-url installed (its option, reused) as without (ours).
    flagged = project.parseconfigure("--journeys", "journeys", "--base-url", "http://a.test:1")
    assert flagged.stash[SETTINGS].base_url == "http://a.test:1"
    project.makeini(f"{INI}base_url = https://staging.example.com\n")
    assert project.parseconfigure().stash[SETTINGS].base_url == "https://staging.example.com"
    with pytest.raises(pytest.UsageError, match="'staging' is not an http"):
        project.parseconfigure("--journeys", "journeys", "--base-url", "staging")
    project.parseconfigure("--base-url", "staging")  # not checked when no journeys are asked


def test_a_bad_journey_file_is_a_collection_error_naming_file_line_and_fix(
    project: pytest.Pytester,
) -> None:
    (project.path / "journeys" / "bad.yaml").write_text(
        "name: bad\nbase_url: http://127.0.0.1:9\nsteps:\n  - clik: '#buy'\n"
    )
    result = project.runpytest("--journeys", "journeys", "--collect-only", "-q")
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    assert "ERROR collecting journeys/bad.yaml" in output
    assert (
        "\njourneys/bad.yaml:4:5: steps[0]: unknown step action 'clik' (did you mean 'click'?)"
        in output
    )
    assert "\n(check it with: checkout-monitor validate journeys/bad.yaml)\n" in output
    assert "Traceback" not in result.stdout.str()


def test_no_browser_is_an_error_not_a_failure_and_lf_reruns_it(
    project: pytest.Pytester,
) -> None:
    first = project.runpytest(
        "--journeys", "journeys", "-k", "browse", "--browser-path", "/nowhere/chromium",
        "--junitxml", "junit.xml",
    )  # fmt: skip
    first.assert_outcomes(errors=1, deselected=4)
    first.stdout.fnmatch_lines(
        [
            "*ERROR at setup of browse*",
            "monitor_error: monitor error (not the shop): no usable browser: "
            "The browser '/nowhere/chromium'*",
        ]
    )
    assert "Traceback" not in first.stdout.str()
    case = ET.parse(project.path / "junit.xml").getroot().find(".//testcase[@name='browse']")
    assert case is not None and case.find("error") is not None and case.find("failure") is None
    again = project.runpytest("--journeys", "journeys", "--lf", "--collect-only", "-q")
    assert collected(again) == ["journeys/shop.yaml::browse"]


def test_a_run_that_is_our_fault_is_an_error(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crashed(self: monitor.api.Player, journey: Journey, *, parallel: int = 1) -> RunResult:
        reason = "monitor error (not the shop): RuntimeError: the driver went away"
        return RunResult(
            journey.name, "shop", journey.device, 0.0, 0.2, passed=False,
            failure=Failure(FailureKind.MONITOR_ERROR, "goto /", 0, reason),
        )  # fmt: skip

    monkeypatch.setattr(monitor.api.Player, "play", crashed)
    result = project.runpytest("--journeys", "journeys", "-k", "browse")
    result.assert_outcomes(errors=1, deselected=4)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of browse*",
            "monitor_error: monitor error (not the shop): RuntimeError: the driver went away",
            "failed step: goto / (step 1)",
        ]
    )


@pytest.mark.browser
def test_journeys_play_with_base_url_report_failures_ours_and_fill_junit_properties(
    project: pytest.Pytester, site: str, counted_chromium: tuple[str, Path]
) -> None:
    (project.path / "tests" / "test_own.py").write_text(
        f"""\
import monitor

def test_checkout_in_my_own_test(play_journey):
    [journey] = monitor.parse_journeys('''
name: mine
base_url: {NOWHERE}
timeout: 3s
steps:
  - goto: /
  - click: {{text: Add to cart}}
''')
    result = play_journey(journey)
    assert result.passed, result.failure
    assert result.clicks == 1
"""
    )
    result = project.runpytest_subprocess(
        "--journeys", "journeys", "tests/test_own.py", "-k", "not iphone and not browse",
        "--base-url", site, "--journey-artifacts", "artifacts", "--journey-trace", "off",
        "--junitxml", "junit.xml", "-p", "no:cacheprovider", "--browser-path", counted_chromium[0],
    )  # fmt: skip
    result.assert_outcomes(passed=2, failed=1, deselected=2)
    assert launch_count(counted_chromium[1]) == 1  # the journeys' and the fixture's browser
    output = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*_ free-shipping _*",
            "assertion_failed: step 'free shipping shown': expected text 'Free shipping' *",
            "failed step: free shipping shown (step 2)",
            "screenshot: */artifacts/free-shipping/*",
            "html: */artifacts/free-shipping/*",
            "free-shipping on Desktop Chrome: *s, 0 clicks, 2 steps",
            "FAILED journeys/more/broken.yml::free-shipping - JourneyFailed: *",
        ]
    )
    assert "Traceback" not in output and "monitor/" not in output.replace("/artifacts/", "")
    screenshot = next(line for line in result.outlines if line.startswith("screenshot: "))
    assert Path(screenshot.removeprefix("screenshot: ")).is_file()

    suite = ET.parse(project.path / "junit.xml").getroot()
    cases = {case.get("name"): case for case in suite.iter("testcase")}

    def properties(name: str) -> dict[str | None, str | None]:
        return {p.get("name"): p.get("value") for p in cases[name].iter("property")}

    passed = properties("buy[Desktop Chrome]")
    assert passed["clicks"] == "1" and passed["pages_visited"] == "2"
    assert 0 < float(passed["duration_seconds"] or 0) < 30
    assert float(passed["slowest_page_load_seconds"] or 0) > 0
    assert str(passed["slowest_page"]).startswith(site)  # played where --base-url said
    failed = properties("free-shipping")
    assert failed["failure_kind"] == "assertion_failed"
    assert failed["failed_step"] == "free shipping shown"
    failure = cases["free-shipping"].find("failure")
    assert failure is not None and "assertion_failed: step 'free shipping shown'" in str(
        failure.get("message")
    )
    own = properties("test_checkout_in_my_own_test")
    assert own["journey"] == "mine" and own["clicks"] == "1"


@pytest.mark.browser
def test_journeys_run_on_xdist_workers_one_browser_each(
    project: pytest.Pytester, site: str, counted_chromium: tuple[str, Path]
) -> None:
    pytest.importorskip("xdist")
    result = project.runpytest_subprocess(
        "--journeys", "journeys/shop.yaml", "-n", "2", "--base-url", site,
        "-p", "no:cacheprovider", "-v", "--browser-path", counted_chromium[0],
    )  # fmt: skip
    result.assert_outcomes(passed=4)  # the project's own test, and the journeys
    # Launched by a worker at its first journey, kept for the next: never one per journey.
    assert 1 <= launch_count(counted_chromium[1]) <= 2
    result.stdout.fnmatch_lines(["*2 workers [[]4 items[]]*"])
    result.stdout.fnmatch_lines(["*PASSED journeys/shop.yaml::buy[[]iPhone 13[]]*"])
