"""The filmstrip: a small JPEG after each step that changed the screen, and at the failure;
secret fields blacked out; kept always, on failure only (a passing run takes none: a failed
run is re-played for its frames), or never."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import JourneyRunner, quick_journey
from local_site import Answer, Request, local_site
from playwright.async_api import Page as AsyncPage
from playwright.sync_api import Page

from monitor.observers import RunContext, factories
from monitor.result import ReplayOutcome, RunResult

pytestmark = pytest.mark.browser

HOME = "<title>Shop</title><h1>Welcome</h1><a href=/pay>Checkout</a>"
PAY = (
    "<title>Pay</title><h1>Pay</h1>"
    '<input id=card style="position:absolute;left:20px;top:200px;'
    'width:400px;height:60px;font-size:40px;background:#fff;color:#000">'
)
STEPS = [
    {"goto": "/"},
    {"expect": {"text": "Welcome"}},
    {"click": {"text": "Checkout"}},
    {"fill": {"#card": "4242424242424242"}},
    {"click": "h1"},
]


FAILING = [*STEPS, {"expect": {"text": "Thank you"}}]  # fails at step 5, on the pay page


def _run(
    journey_runner: JourneyRunner,
    steps: list[dict[str, object]],
    attempt: int | None = None,
    observers: list[Callable[[RunContext], Any]] | None = None,
    artifacts: Path | None = None,
    **kw: object,
) -> RunResult:
    with local_site({"/": Answer(body=HOME), "/pay": Answer(body=PAY)}) as url:
        journey = quick_journey("filmed", url, steps, timeout="2s", **kw)
        return journey_runner.run(
            journey,
            attempt,
            trace="off",
            observers=observers,
            artifacts_dir=artifacts or journey_runner.artifacts,
        )


def _blackness_spread(page: Page, jpeg: bytes) -> float:
    """How much the card field's box in a picture varies: one flat mask colour is near 0."""
    page.set_content(f'<img id=f src="data:image/jpeg;base64,{base64.b64encode(jpeg).decode()}">')
    page.wait_for_function("document.getElementById('f').complete")
    spread: float = page.evaluate(
        """() => {
            const img = document.getElementById('f'), c = document.createElement('canvas');
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            const g = c.getContext('2d'); g.drawImage(img, 0, 0);
            const px = g.getImageData(30, 210, 380, 40).data;
            let lo = 255, hi = 0;
            for (let i = 0; i < px.length; i += 4) {
                const v = (px[i] + px[i + 1] + px[i + 2]) / 3;
                lo = Math.min(lo, v); hi = Math.max(hi, v);
            }
            return hi - lo;
        }"""
    )
    return spread


@pytest.fixture
def screenshots(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every picture Playwright takes of a page while the test runs (the runner's thread too)."""
    taken: list[str] = []
    screenshot = AsyncPage.screenshot

    async def counted(self: AsyncPage, **options: Any) -> bytes:
        taken.append(self.url)
        return await screenshot(self, **options)

    monkeypatch.setattr(AsyncPage, "screenshot", counted)
    return taken


def test_a_frame_after_each_step_that_changed_the_screen(journey_runner: JourneyRunner) -> None:
    result = _run(journey_runner, STEPS, filmstrip="always")
    assert result.passed, result.failure
    assert [(f.step_index, f.step) for f in result.filmstrip] == [
        (0, "goto /"),
        (2, "click text 'Checkout'"),
        (4, "click h1"),
    ]
    for frame in result.filmstrip:
        data = Path(frame.path).read_bytes()
        assert data[:3] == b"\xff\xd8\xff" and len(data) == frame.size_bytes  # a JPEG
        assert 1_000 < frame.size_bytes < 80_000
        assert not frame.at_failure
    assert result.to_dict()["filmstrip"][1]["step"] == "click text 'Checkout'"


def test_typed_fields_are_blacked_out_in_frames(journey_runner: JourneyRunner, page: Page) -> None:
    # A field not known as a card field yet (a frame can be taken while the next step types):
    # every field typed into is blacked out.
    result = _run(journey_runner, STEPS, filmstrip="always")
    typed = Path(result.filmstrip[-1].path).read_bytes()
    # Read the picture's pixels in the browser: the field's box is one flat mask colour.
    assert _blackness_spread(page, typed) < 40, "digits drawn inside the card field: not masked"


def test_a_passing_run_takes_no_frame_on_failure(
    journey_runner: JourneyRunner, screenshots: list[str], tmp_path: Path
) -> None:
    filmed = _run(journey_runner, STEPS, filmstrip="always")
    assert filmed.passed and len(screenshots) == len(filmed.filmstrip) == 3  # the spy counts

    screenshots.clear()
    passed = _run(journey_runner, STEPS, artifacts=tmp_path, filmstrip="on-failure")
    assert passed.passed, passed.failure
    assert screenshots == [] and passed.filmstrip == () and passed.replay is None
    assert list(tmp_path.rglob("*")) == []


def test_a_failed_run_keeps_its_failure_frame_and_the_replays_frames(
    journey_runner: JourneyRunner, page: Page
) -> None:
    contexts: list[RunContext] = []

    def noted(run: RunContext) -> None:
        contexts.append(run)

    failed = _run(journey_runner, FAILING, observers=[*factories(), noted], filmstrip="on-failure")

    assert failed.failure is not None and failed.failure.step_index == 5  # the run's own
    assert failed.replay is not None and failed.replay.outcome is ReplayOutcome.FAILED_ALIKE
    frames = [(f.step_index, f.at_failure, f.replay) for f in failed.filmstrip]
    assert frames == [
        (5, True, False),  # taken by the run, when it failed: no frame before it
        (0, False, True),  # then the re-play's, after each step that changed the screen
        (2, False, True),
        (4, False, True),
        (5, False, True),  # the re-play failed there too
    ]
    paths = [Path(f.path) for f in failed.filmstrip]
    assert len(set(paths)) == 5 and all(p.is_file() for p in paths)
    assert paths[0].name.startswith("frame-01-")
    assert all(p.name.startswith("replay-frame-") for p in paths[1:])
    folder = paths[0].parent
    assert all(p.parent == folder for p in paths)  # the re-play's frames are the failed run's
    # Nothing else of the re-play is kept (trace off): the run's own screenshot and HTML.
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == sorted(["failure.png", "page.html", *(p.name for p in paths)])
    assert "trace" not in str(failed.artifacts)  # --trace off: re-played for the frames alone
    for path in (paths[0], paths[3], paths[4]):  # the card typed at step 3 shows in these
        assert _blackness_spread(page, path.read_bytes()) < 40, f"{path.name}: not masked"
    # The re-play's observers keep no files: only the filmstrip is given the failed run's folder.
    (first, again) = contexts
    assert first.folder is not None and first.replay_follows and first.replay_of is None
    assert again.folder is None and again.replay_of == first.folder


def test_a_replay_that_passes_still_films_the_failed_run(journey_runner: JourneyRunner) -> None:
    plays: list[int] = []

    def pay(request: Request) -> Answer:  # the pay page answers 503 once, then heals
        plays.append(1)
        return Answer(503, "<h1>Busy</h1>") if len(plays) == 1 else Answer(body=PAY)

    with local_site({"/": Answer(body=HOME), "/pay": pay}) as url:
        journey = quick_journey("flaky", url, STEPS, timeout="2s", filmstrip="on-failure")
        failed = journey_runner.run(journey, trace="off")

    assert failed.failure is not None and failed.failure.step_index == 2  # its result stands
    assert failed.replay is not None and failed.replay.outcome is ReplayOutcome.PASSED
    assert [(f.step_index, f.at_failure, f.replay) for f in failed.filmstrip] == [
        (2, True, False),
        (0, False, True),
        (2, False, True),
        (4, False, True),
    ]


def test_on_failure_with_the_callers_own_retries_films_every_run(
    journey_runner: JourneyRunner, screenshots: list[str], tmp_path: Path
) -> None:
    # A caller that retries failed runs itself (serve) passes `attempt`: no re-play comes,
    # so the run takes its frames and keeps them when it failed.
    passed = _run(journey_runner, STEPS[:3], 1, artifacts=tmp_path, filmstrip="on-failure")
    assert passed.passed and passed.filmstrip == () and len(screenshots) == 2  # taken...
    assert list(tmp_path.rglob("*")) == []  # ...and not kept

    failing = [*STEPS[:3], {"expect": {"text": "Thank you"}}]
    failed = _run(journey_runner, failing, 1, filmstrip="on-failure")
    assert failed.failure is not None and failed.failure.step_index == 3
    assert [f.step_index for f in failed.filmstrip] == [0, 2, 3]
    assert [f.at_failure for f in failed.filmstrip] == [False, False, True]
    assert not any(f.replay for f in failed.filmstrip) and failed.replay is None
    assert all(Path(f.path).is_file() for f in failed.filmstrip)


def test_the_journey_setting_wins_over_the_runs(journey_runner: JourneyRunner) -> None:
    with local_site({"/": Answer(body=HOME)}) as url:
        journey = quick_journey("filmed", url, [{"goto": "/"}], filmstrip="off")
        quiet = journey_runner.run(journey, trace="off", filmstrip="always")
        journey = quick_journey("filmed", url, [{"goto": "/"}], filmstrip="always")
        shown = journey_runner.run(journey, trace="off", filmstrip="off")
        journey = quick_journey("filmed", url, [{"goto": "/"}])
        default = journey_runner.run(journey, trace="off", filmstrip="always")
    assert quiet.filmstrip == () and len(shown.filmstrip) == 1 and len(default.filmstrip) == 1
