"""The HTML report opens from disk in a real Chromium: every picture loads, the failure comes
first, nothing runs and nothing leaves the machine; text from the shop is text."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import JourneyRunner, quick_journey
from local_site import Answer, local_site
from playwright.sync_api import Page

from monitor.journey import Budgets
from monitor.report_html import replay_heading, write_html_report
from monitor.result import (
    ConsoleError,
    Failure,
    FailureKind,
    FilmFrame,
    HttpError,
    Replay,
    ReplayOutcome,
    ResourceClass,
    RunResult,
    StepResult,
)

HOSTILE = "<img src=x onerror=document.title='pwned'>"
HOME = "<title>Shop</title><h1>Welcome</h1><a href=/cart>Cart</a>"
CART = (
    f"<title>{HOSTILE}</title><h1>Cart</h1><button>Pay</button>"
    f"<script>console.error({HOSTILE!r})</script>"
)


def _runs(journey_runner: JourneyRunner) -> list[RunResult]:
    with local_site({"/": Answer(body=HOME), "/cart": Answer(body=CART)}) as url:
        passing = quick_journey(
            "browse", url, [{"goto": "/"}, {"click": {"text": "Cart"}}], filmstrip="always"
        )
        failing = quick_journey(
            "buy",
            url,
            [{"goto": "/"}, {"click": {"text": "Cart"}}, {"expect": {"text": HOSTILE}}],
            timeout="1s",
            filmstrip="always",
            budgets={"clicks": 3, "page_load_seconds": 3},
        )
        return [journey_runner.run(j, trace="off") for j in (passing, failing)]


@pytest.mark.browser
def test_the_report_opens_from_disk_with_the_failure_first(
    journey_runner: JourneyRunner, page: Page, tmp_path: Path
) -> None:
    results = _runs(journey_runner)
    assert results[0].passed and results[1].failure_kind == "assertion_failed"
    assert any(HOSTILE in c.text for c in results[1].console_errors)
    index = write_html_report(
        tmp_path / "report", results, {"buy": Budgets(clicks=3, page_load_seconds=3)}
    )
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else 0)
    page.on("pageerror", lambda exc: console.append(str(exc)))

    page.goto(index.as_uri())
    first = page.locator(".journeys > li").first
    assert "buy" in first.inner_text() and "assertion_failed" in first.inner_text()
    assert "click text 'Cart'" not in first.inner_text()  # the reason, not the steps
    _all_pictures_load(page)

    first.locator("a").click()
    page.wait_for_url("**/*buy.html")
    top = page.locator("main > section").first
    assert "assertion_failed" in top.inner_text()
    reason = results[1].failure.reason if results[1].failure else "?"
    assert f"at step expect text {HOSTILE}" in top.inner_text() and reason in top.inner_text()
    assert "1 of a budget of 3" in top.inner_text()
    frames = page.locator(".filmstrip figure")
    assert frames.count() == 3 and "the failure" in frames.last.inner_text()
    _all_pictures_load(page)
    # The shop's text is shown as text, and none of it became an element or ran.
    assert HOSTILE in page.locator("#step-2 .errors").inner_text()
    assert page.locator("#step-2 q.title").inner_text() == HOSTILE  # the cart page's title
    assert page.locator("img[src=x]").count() == 0 and page.title() != "pwned"

    page.goto(index.as_uri())
    page.locator(".journeys > li").last.locator("a").click()
    page.wait_for_url("**/*browse.html")
    assert "Passed" in page.locator("main > section").first.inner_text()
    _all_pictures_load(page)

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing runs off the side
    for report_page in index.parent.glob("*.html"):
        page.goto(report_page.as_uri())
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"{report_page.name} is {wide}px wider than a phone"

    assert console == []
    assert requests and all(u.startswith("file://") or "//127.0.0.1" in u for u in requests)


def _all_pictures_load(page: Page) -> None:
    images = page.locator("img")
    for i in range(images.count()):
        images.nth(i).scroll_into_view_if_needed()
    page.wait_for_function("[...document.images].every(i => i.complete)")
    widths = page.eval_on_selector_all("img", "all => all.map(i => i.naturalWidth)")
    assert widths and all(w > 0 for w in widths), widths


def test_every_text_from_the_shop_is_escaped(tmp_path: Path) -> None:
    shot = tmp_path / "frame.jpg"
    shot.write_bytes(b"\xff\xd8\xff")
    result = RunResult(
        journey="buy",
        site=HOSTILE,
        device="Desktop Chrome",
        started_at=0.0,
        duration_seconds=1.0,
        passed=False,
        failure=Failure(FailureKind.ERROR_PAGE, HOSTILE, 0, f"the page shows '{HOSTILE}'"),
        steps=(StepResult(0, HOSTILE, "click", 0.5, False, 1, HOSTILE),),
        http_errors=(
            HttpError(f"http://127.0.0.1/{HOSTILE}", 500, ResourceClass.API, "GET", HOSTILE),
        ),
        console_errors=(ConsoleError(HOSTILE, "page", HOSTILE), ConsoleError("late", "page", "?")),
        filmstrip=(FilmFrame(0, HOSTILE, str(shot), 3, True),),
        artifacts={HOSTILE: str(shot), "trace": "javascript:alert(1)"},
        blocked={HOSTILE: 3, "*.doubleclick.net": 2},
    )
    index = write_html_report(tmp_path / "report", [result])
    pages = [p.read_text() for p in index.parent.glob("*.html")]
    assert len(pages) == 2
    assert "<dt>Blocked requests</dt><dd>5 (<code>&lt;img src=x" in pages[0] + pages[1]
    for text in pages:
        assert "<img src=x" not in text and "javascript:" not in text
    assert pages[0].count("&lt;img src=x onerror=") + pages[1].count("&lt;img src=x") >= 6
    assert (index.parent / "files" / "buy" / "frame.jpg").read_bytes() == b"\xff\xd8\xff"
    assert 'Not at a step above</h3><ul class="errors"><li><b>page error</b> <code>late' in (
        pages[0] + pages[1]
    )


@pytest.mark.browser
def test_the_replays_frames_are_shown_apart_and_say_how_it_went(page: Page, tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    page.set_content("<h1>A frame</h1>")
    jpeg = page.screenshot(type="jpeg", quality=50)
    names = ["frame-01-pay.jpg", "replay-frame-01-goto.jpg", "replay-frame-02-x.jpg"]
    for name in names:
        (run / name).write_bytes(jpeg)
    elsewhere = Failure(FailureKind.TIMEOUT, HOSTILE, 1, f"step '{HOSTILE}': timed out")
    result = RunResult(
        "buy", "shop", "Desktop Chrome", 0.0, 1.0, passed=False,
        failure=Failure(FailureKind.PAYMENT_DECLINED, "pay", 2, "step 'pay': card declined"),
        filmstrip=(
            FilmFrame(2, "pay", str(run / names[0]), 3, at_failure=True),
            FilmFrame(0, "goto /", str(run / names[1]), 3, replay=True),
            FilmFrame(1, HOSTILE, str(run / names[2]), 3, replay=True),
        ),
        replay=Replay(ReplayOutcome.FAILED_OTHERWISE, elsewhere),
    )  # fmt: skip
    index = write_html_report(tmp_path / "report", [result])

    page.goto(index.as_uri())
    assert page.locator(".journeys img").count() == 1  # the run's own frame at its failure
    page.locator(".journeys a").first.click()
    page.wait_for_url("**/*buy.html")
    strips = page.locator("section[aria-label=Filmstrip] .filmstrip")
    assert strips.count() == 2
    assert strips.first.locator("figcaption").all_inner_texts() == ["3. pay — the failure"]
    heading = page.locator("h3.replayed").inner_text()
    assert heading == (
        f"From the re-play of the failed run (it failed otherwise: step '{HOSTILE}': timed out)"
    )
    assert strips.last.locator("figcaption").all_inner_texts() == [
        "1. goto /",
        f"2. {HOSTILE} — the re-play failed here",
    ]
    _all_pictures_load(page)
    assert page.locator("img[src=x]").count() == 0 and page.title() != "pwned"


def test_the_replay_heading_says_how_the_replay_went() -> None:
    failed = RunResult("buy", "shop", "Desktop Chrome", 0.0, 1.0, passed=False)
    assert replay_heading(failed) == "From the re-play of the failed run"
    alike = replace(failed, replay=Replay(ReplayOutcome.FAILED_ALIKE))
    assert replay_heading(alike).endswith("(it failed the same way, at the same step)")
    passed = replace(failed, replay=Replay(ReplayOutcome.PASSED))
    assert replay_heading(passed).endswith("(it passed: the failure came and went)")


def test_serve_reports_link_files_where_they_lie(tmp_path: Path) -> None:
    run = tmp_path / "artifacts" / "buy" / "20260101-000000.000-1"
    run.mkdir(parents=True)
    (run / "frame-01-goto.jpg").write_bytes(b"\xff\xd8\xff")
    result = RunResult(
        "buy", "shop", "Desktop Chrome", 0.0, 1.0, passed=True,
        filmstrip=(FilmFrame(0, "goto /", str(run / "frame-01-goto.jpg"), 3),),
    )  # fmt: skip
    index = write_html_report(run / "report", [result], copy_files=False)
    page = next(p for p in index.parent.glob("*.html") if p != index).read_text()
    assert 'src="../frame-01-goto.jpg"' in page and not (run / "report" / "files").exists()


def test_the_github_summary_links_the_published_report_and_the_failure_frame(
    tmp_path: Path,
) -> None:
    from monitor.report import markdown_summary

    frame = tmp_path / "art" / "frame-02-pay.jpg"
    frame.parent.mkdir()
    frame.write_bytes(b"\xff\xd8\xff")
    failed = RunResult(
        "buy", "shop", "Desktop Chrome", 0.0, 1.0, passed=False,
        failure=Failure(FailureKind.PAYMENT_DECLINED, "pay", 1, "step 'pay': card declined"),
        filmstrip=(FilmFrame(1, "pay [x](y)", str(frame), 3, at_failure=True),),
    )  # fmt: skip
    report = tmp_path / "report"
    write_html_report(report, [failed])
    base = "https://ci.example/runs/7/report"
    summary = markdown_summary([failed], base + "/")
    assert f"[HTML report]({base}/index.html)" in summary
    image = f"![buy at step pay  x  y ]({base}/files/buy/frame-02-pay.jpg)"
    assert image in summary
    assert (report / "files" / "buy" / "frame-02-pay.jpg").is_file()  # what the link points to
    assert "HTML report" not in markdown_summary([failed])  # no published URL: no dead link
