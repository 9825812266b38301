"""The filmstrip: a small JPEG after each step that changed the screen, and at the failure;
secret fields blacked out; kept always, on failure only, or never."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from conftest import JourneyRunner, quick_journey
from local_site import Answer, local_site
from playwright.sync_api import Page

from monitor.result import RunResult

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


def _run(journey_runner: JourneyRunner, steps: list[dict[str, object]], **kw: object) -> RunResult:
    with local_site({"/": Answer(body=HOME), "/pay": Answer(body=PAY)}) as url:
        journey = quick_journey("filmed", url, steps, timeout="2s", **kw)
        return journey_runner.run(journey, trace="off")


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
    page.set_content(f'<img id=f src="data:image/jpeg;base64,{base64.b64encode(typed).decode()}">')
    page.wait_for_function("document.getElementById('f').complete")
    spread = page.evaluate(
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
    assert spread < 40, "digits drawn inside the card field: it was not masked"


def test_on_failure_keeps_frames_only_of_a_failed_run(journey_runner: JourneyRunner) -> None:
    passed = _run(journey_runner, STEPS[:3], filmstrip="on-failure")
    assert passed.passed and passed.filmstrip == ()
    assert not any(Path(a).parent.glob("frame-*") for a in passed.artifacts.values())

    failing = [*STEPS[:3], {"expect": {"text": "Thank you"}}]
    failed = _run(journey_runner, failing, filmstrip="on-failure")
    assert failed.failure is not None and failed.failure.step_index == 3
    assert [f.step_index for f in failed.filmstrip] == [0, 2, 3]
    assert [f.at_failure for f in failed.filmstrip] == [False, False, True]
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
