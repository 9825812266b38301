"""Journeys as pytest tests, and a fixture to play one in a test of your own.

Installed with the package (entry point `pytest11`), and inert until asked:

    pytest --journeys journeys/                     # or, in the ini: checkout_monitor_journeys
    pytest --journeys journeys/ -k iphone -m smoke --junitxml junit.xml -n 4

collects each journey — each device of a `matrix` — as a test, `FILE::NAME` or
`FILE::NAME[DEVICE]`, marked `journey` and with each of its `tags`. A journey that fails is a
failed test whose report is the failure kind, the one-line reason, the failed step and the
artifacts; our own fault (`monitor_error`, no browser) is an error, not a failure. Clicks,
duration and the slowest page load go into the JUnit properties. As in `checkout-monitor run`,
a passing journey pays for no trace and no filmstrip: a failed one keeps a frame at its failure
and is played once more (its own result stands) for its trace (`--journey-trace on-failure`)
and the frames after its steps (in the result's `filmstrip`, marked `replay`; the filmstrip is
`on-failure` unless the journey says otherwise).

One Chromium per process (per pytest-xdist worker), launched at the first journey; the runs go
through monitor.api.Player, as everything else does.

    def test_checkout_on_staging(play_journey):
        [journey] = monitor.load_journeys("journeys/checkout.yaml")
        result = play_journey(journey)
        assert result.passed and result.clicks <= 8
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _pytest.outcomes import Failed  # a failure shown as its message alone (pytrace=False)

if TYPE_CHECKING:
    from monitor.api import Player
    from monitor.journey import Journey
    from monitor.result import RunResult
    from monitor.runner import TraceMode

JOURNEY_SUFFIXES = (".yaml", ".yml")  # as loader.JOURNEY_SUFFIXES, without importing it here
TRACE_MODES = ("on-failure", "retain-on-failure", "always", "off")
# Tags that would change what pytest does with the test, not just select it.
PYTEST_OWN_MARKS = {"skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings"}
MARKABLE = re.compile(r"^[A-Za-z_][\w.-]*$")  # what `-m` can name


class JourneyFailed(Failed):
    """A journey failed: the shop's fault, shown as our report, without a traceback."""

    __module__ = "builtins"  # as pytest's own: `JourneyFailed: ...` in the short summary

    def __init__(self, text: str) -> None:
        super().__init__(text, pytrace=False)


class MonitorError(Failed):
    """checkout-monitor could not play the journey (no browser, a crash): raised while the
    test is set up, so pytest counts an error, not a failure of the shop."""

    __module__ = "builtins"

    def __init__(self, text: str) -> None:
        super().__init__(text, pytrace=False)


@dataclass(frozen=True)
class Settings:
    """The plugin's options, resolved once: flag, then ini, then default."""

    journey_paths: tuple[Path, ...]
    base_url: str | None
    browser_path: str | None
    stop_before_payment: bool
    artifacts: Path
    trace: TraceMode


SETTINGS = pytest.StashKey[Settings]()
PLAYER = pytest.StashKey["Player"]()


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    group = parser.getgroup("checkout-monitor", "checkout-monitor: checkout journeys as tests")
    group.addoption(
        "--journeys",
        action="append",
        default=[],
        metavar="PATH",
        dest="checkout_journeys",
        help="collect the journeys in these files or folders as tests (repeatable)",
    )
    parser.addini(
        "checkout_monitor_journeys",
        type="paths",
        default=[],
        help="journey files or folders to collect as tests, as --journeys",
    )
    if not _base_url_plugin(pluginmanager):
        # pytest-base-url's option, when it is not installed: the same name and ini key.
        group.addoption(
            "--base-url", metavar="URL", default=None, help="base url for the application"
        )
        parser.addini("base_url", default=None, help="base url for the application")
    group.addoption(
        "--browser-path",
        metavar="PATH",
        default=None,
        help="the Chromium to play journeys in (env CHECKOUT_MONITOR_CHROMIUM; default: found "
        "as `checkout-monitor run` finds it)",
    )
    group.addoption(
        "--stop-before-payment",
        action="store_true",
        help="walk every journey up to its payment step, check the pay button is usable "
        "(without pressing it), place no order",
    )
    group.addoption(
        "--journey-artifacts",
        metavar="DIR",
        default=None,
        help="where failure screenshots, HTML and traces go (env CHECKOUT_MONITOR_ARTIFACTS; "
        "default: artifacts/)",
    )
    group.addoption(
        "--journey-trace",
        choices=TRACE_MODES,
        default="on-failure",
        help="Playwright traces, as `checkout-monitor run --trace` (default: on-failure)",
    )


def _base_url_plugin(pluginmanager: pytest.PytestPluginManager) -> bool:
    """Whether pytest-base-url (pytest-playwright brings it) gives `--base-url` already."""
    if pluginmanager.has_plugin("base_url"):
        return True
    if pluginmanager.is_blocked("base_url") or os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    return find_spec("pytest_base_url") is not None


def pytest_configure(config: pytest.Config) -> None:
    settings = _settings(config)
    config.stash[SETTINGS] = settings
    if not settings.journey_paths:
        return
    config.addinivalue_line("markers", "journey: a checkout journey (checkout-monitor)")
    here = config.invocation_params.dir
    for path in settings.journey_paths:
        if not any(_overlap(path, Path(here, arg.split("::")[0])) for arg in config.args):
            config.args.append(str(path))


def _settings(config: pytest.Config) -> Settings:
    here = config.invocation_params.dir
    flagged = [Path(os.path.abspath(Path(here, p))) for p in config.getoption("checkout_journeys")]
    paths = flagged or [
        Path(os.path.abspath(p)) for p in config.getini("checkout_monitor_journeys")
    ]
    for path in paths:
        if not path.exists():
            raise pytest.UsageError(f"--journeys {path}: no such file or folder")
    base_url = config.getoption("base_url", None) or config.getini("base_url") or None
    # Only when asked: pytest-base-url's users without journeys may have other URLs there.
    if paths and base_url is not None and not re.match(r"^https?://[^/\s]+", base_url):
        raise pytest.UsageError(
            f"--base-url {base_url!r} is not an http(s) URL such as https://staging.example.com"
        )
    artifacts = config.getoption("journey_artifacts") or os.environ.get(
        "CHECKOUT_MONITOR_ARTIFACTS", "artifacts"
    )
    return Settings(
        journey_paths=tuple(dict.fromkeys(paths)),
        base_url=base_url,
        browser_path=config.getoption("browser_path"),
        stop_before_payment=bool(config.getoption("stop_before_payment")),
        artifacts=Path(here, artifacts),
        trace=config.getoption("journey_trace"),
    )


def _overlap(a: Path, b: Path) -> bool:
    """One holds the other: collecting either collects what they share."""
    b = Path(os.path.abspath(b))
    return a == b or a in b.parents or b in a.parents


def pytest_unconfigure(config: pytest.Config) -> None:
    player = config.stash.get(PLAYER, None)
    if player is not None:
        player.close()


def _player(config: pytest.Config) -> Player:
    """This process's player: one Chromium, launched at its first journey."""
    player = config.stash.get(PLAYER, None)
    if player is None:
        from monitor.api import Player

        settings = config.stash[SETTINGS]
        player = Player(
            artifacts=settings.artifacts,
            trace=settings.trace,
            stop_before_payment=settings.stop_before_payment,
            browser_path=settings.browser_path,
            base_url=settings.base_url,
        )
        config.stash[PLAYER] = player
    return player


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> JourneyFile | None:
    settings = parent.config.stash.get(SETTINGS, None)
    if settings is None or file_path.suffix not in JOURNEY_SUFFIXES:
        return None
    for root in settings.journey_paths:
        if file_path == root or root in file_path.parents:
            inside = file_path.relative_to(root).parts
            if any(part.startswith(".") for part in inside):
                return None  # as the loader: editors' swap files, a ConfigMap's `..data`
            return JourneyFile.from_parent(parent, path=file_path)
    return None


class JourneyFile(pytest.File):
    """A journey file: a test per journey, and per device of a `matrix`."""

    def collect(self) -> Iterator[JourneyItem]:
        from monitor.loader import load_file

        journeys, problems = load_file(self.path, os.environ, display=self._shown())
        if problems:
            lines = [str(p) for p in problems]
            lines.append(f"(check it with: checkout-monitor validate {self._shown()})")
            raise self.CollectError("\n".join(lines))
        for journey in journeys:
            yield JourneyItem.from_parent(self, name=item_name(journey), journey=journey)

    def _shown(self) -> str:
        """The file as the person who ran pytest would type it."""
        try:
            return str(self.path.relative_to(self.config.invocation_params.dir))
        except ValueError:
            return str(self.path)


def item_name(journey: Journey) -> str:
    """`guest-checkout`, or `guest-checkout[iPhone 13]` for a device of a `matrix` (whose
    journey is named `guest-checkout--iphone-13`)."""
    # The suffix `expand` gives this device, from `expand` itself: the two never disagree.
    marked = journey.model_copy(update={"name": "", "matrix": [journey.device]})
    suffix = marked.expand()[0].name
    if journey.name.endswith(suffix) and len(journey.name) > len(suffix):
        return f"{journey.name.removesuffix(suffix)}[{journey.device}]"
    return journey.name


class JourneyItem(pytest.Item):
    """One journey on one device. It is played while the test is set up — no result is our
    fault, an error — and judged when the test runs: a shop that failed fails the test."""

    def __init__(self, *, journey: Journey, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.journey = journey
        self.result: RunResult | None = None
        self.extra_keyword_matches.update({journey.name, journey.device, *journey.tags})
        self.add_marker("journey")
        for tag in journey.tags:
            if MARKABLE.match(tag) and tag not in PYTEST_OWN_MARKS:
                # Registered, so --strict-markers accepts it.
                self.config.addinivalue_line("markers", f"{tag}: journeys tagged {tag}")
                self.add_marker(tag)

    def setup(self) -> None:
        from monitor.result import FailureKind

        result = _play(self.config, self.journey)
        self.result = result
        self.user_properties.extend(journey_properties(result))
        if result.failure_kind is FailureKind.MONITOR_ERROR:
            raise MonitorError(failure_report(result))

    def runtest(self) -> None:
        if self.result is not None and not self.result.passed:
            raise JourneyFailed(failure_report(self.result))

    def reportinfo(self) -> tuple[Path, int, str]:
        parts = self.journey.origin.rsplit(":", 2)  # file:line:column
        lineno = int(parts[1]) - 1 if len(parts) == 3 and parts[1].isdigit() else 0
        return self.path, lineno, self.name


def _play(config: pytest.Config, journey: Journey) -> RunResult:
    """Play in this process's player; no browser (our fault) said as such, no traceback."""
    from monitor.errors import BrowserError, CheckoutMonitorError

    try:
        return _player(config).play(journey)
    except BrowserError as exc:
        reason = f"monitor error (not the shop): no usable browser: {exc}"
        raise MonitorError(f"monitor_error: {reason}") from None
    except CheckoutMonitorError as exc:  # a setting (--base-url) that is wrong
        raise MonitorError(str(exc)) from None


def failure_report(result: RunResult) -> str:
    """What a failed journey's test says: kind and reason, step, budgets, artifacts."""
    failure = result.failure
    if failure is None:
        return "failed"
    lines = [f"{failure.kind.value}: {failure.reason}"]
    if failure.step is not None and failure.step_index is not None:
        lines.append(f"failed step: {failure.step} (step {failure.step_index + 1})")
    else:
        lines.append("failed step: none (before the first step)")
    lines += [f"budget exceeded: {breach}" for breach in result.budgets_exceeded]
    lines += [f"{name}: {path}" for name, path in result.artifacts.items()]
    lines.append(
        f"{result.journey} on {result.device}: {result.duration_seconds:.2f}s, "
        f"{result.clicks} clicks, {len(result.steps)} steps"
    )
    return "\n".join(lines)


def journey_properties(result: RunResult) -> list[tuple[str, object]]:
    """What CI dashboards plot, as JUnit properties (record_property)."""
    properties: list[tuple[str, object]] = [
        ("journey", result.journey),
        ("device", result.device),
        ("duration_seconds", round(result.duration_seconds, 3)),
        ("clicks", result.clicks),
        ("pages_visited", result.pages_visited),
    ]
    slowest = result.slowest_page_load
    if slowest is not None and slowest.load_seconds is not None:
        properties.append(("slowest_page_load_seconds", round(slowest.load_seconds, 3)))
        properties.append(("slowest_page", slowest.url))
    if result.failure is not None:
        properties.append(("failure_kind", result.failure.kind.value))
        properties.append(("failed_step", result.failure.step or ""))
    properties += [(f"artifact {name}", path) for name, path in result.artifacts.items()]
    return properties


@pytest.fixture
def play_journey(request: pytest.FixtureRequest) -> Callable[[Journey], RunResult]:
    """Play a journey in this session's Chromium and get its RunResult, to assert on:

        def test_checkout_within_eight_clicks(play_journey):
            [journey] = monitor.load_journeys("journeys/checkout.yaml")
            result = play_journey(journey)
            assert result.passed, result.failure.reason if result.failure else ""
            assert result.clicks <= 8

    The session's --base-url, --browser-path, --stop-before-payment, --journey-artifacts and
    --journey-trace apply; clicks, duration and the slowest page load become the test's JUnit
    properties. A failing shop is a result, not an exception; no browser fails the test.
    """

    def play(journey: Journey) -> RunResult:
        result = _play(request.config, journey)
        request.node.user_properties.extend(journey_properties(result))
        return result

    return play
