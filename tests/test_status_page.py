"""The status page: states in words, worst first, failures explained, shop text kept inert."""

from __future__ import annotations

import html
import re
from collections import deque
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route

from monitor.history import JourneyStatus
from monitor.journey import Journey
from monitor.result import (
    ConsoleError,
    Failure,
    FailureKind,
    FilmFrame,
    FrustrationSignal,
    HttpError,
    PageLoad,
    ResourceClass,
    RunResult,
)
from monitor.status_page import render_status_page

NOW = 1_714_557_600.0  # 2024-05-01 10:00:00 UTC
SCRIPT = "<script>window.__pwned=1</script>"
ATTRIBUTE = '"><img src=x onerror="window.__pwned=1">'
JS_URL = "javascript:window.__pwned=1"
HOSTILE = f"{SCRIPT} {ATTRIBUTE} {JS_URL}"
SHOTS = Path("/tmp/shots")


def journey(name: str = "guest-checkout", **fields: Any) -> Journey:
    data: dict[str, Any] = {
        "name": name,
        "base_url": "https://shop.example",
        "steps": [{"goto": "/"}],
    }
    return Journey.model_validate({**data, **fields})


def run(
    at: float,
    kind: FailureKind | None = None,
    step: str | None = "pay",
    reason: str = "step 'pay': card declined: 'Card declined'",
    **fields: Any,
) -> RunResult:
    failure = Failure(kind, step, 7, reason) if kind is not None else None
    fields.setdefault("duration_seconds", 4.2)
    fields.setdefault("clicks", 6)
    return RunResult(
        journey="guest-checkout",
        site="shop.example",
        device="Desktop Chrome",
        started_at=at,
        passed=kind is None,
        failure=failure,
        **fields,
    )


def status(j: Journey, *runs: RunResult, **fields: Any) -> JourneyStatus:
    failing = [r for r in runs if not r.passed]
    fields.setdefault("failing_since", failing[0].started_at if failing else None)
    fields.setdefault("consecutive_failures", len(failing))
    return JourneyStatus(j, deque(runs), **fields)


def one_of_each_state() -> list[JourneyStatus]:
    return [
        status(journey("a-pending"), next_run_at=NOW + 30),
        status(journey("b-passing"), run(NOW - 60)),
        status(journey("c-over-budget"), run(NOW - 60, FailureKind.BUDGET_EXCEEDED, step=None)),
        status(journey("d-failing"), run(NOW - 60, FailureKind.PAYMENT_DECLINED)),
    ]


def test_each_state_is_shown_in_words_and_a_symbol_not_colour_alone() -> None:
    page = render_status_page(one_of_each_state(), NOW)
    for css, words in [
        ("failing", "✗ Failing"),
        ("over_budget", "! Over budget"),
        ("passing", "✓ Passing"),
        ("pending", "… Pending"),
    ]:
        assert re.search(
            rf'<article class="journey {css}"[^>]*><header><span class="badge">{words}</span>',
            page,
        ), css


def test_failing_journeys_come_first_then_over_budget_then_passing_then_pending() -> None:
    page = render_status_page(one_of_each_state(), NOW)
    cards = re.findall(r'<article class="journey \w+" id="journey-([\w-]+)"', page)
    assert cards == ["d-failing", "c-over-budget", "b-passing", "a-pending"]


def test_summary_counts_every_state_and_leads_with_the_worst() -> None:
    page = render_status_page(one_of_each_state(), NOW)
    assert '<section class="summary failing"' in page
    assert "✗ 1 of 4 journeys failing" in page
    for count in ("1</b> failing", "1</b> over budget", "1</b> passing", "1</b> pending"):
        assert count in page
    assert "<title>✗ 1 of 4 journeys failing — checkout-monitor</title>" in page


def test_all_passing_says_so() -> None:
    statuses = [status(journey(n), run(NOW - 60)) for n in ("one", "two")]
    page = render_status_page(statuses, NOW)
    assert "✓ All 2 journeys passing" in page
    assert '<section class="summary passing"' in page


def test_failure_shows_kind_step_reason_streak_and_since_when() -> None:
    runs = [run(NOW - 720 + i * 240, FailureKind.PAYMENT_DECLINED) for i in range(3)]
    page = render_status_page([status(journey(), *runs)], NOW)
    assert '<code class="kind">payment_declined</code>' in page
    assert 'at step <q class="step">pay</q>' in page
    assert "step &#x27;pay&#x27;: card declined: &#x27;Card declined&#x27;" in page
    assert "Failing for 12 min (since 2024-05-01 09:48 UTC)" in page
    assert "3 consecutive failures" in page
    assert "guest-checkout</a> — payment_declined for 12 min" in page  # in the summary too


def test_last_and_next_run_are_relative_with_the_exact_time_at_hand() -> None:
    page = render_status_page([status(journey(), run(NOW - 180), next_run_at=NOW + 120)], NOW)
    ended = "2024-05-01 09:57 UTC"
    assert f'title="{ended}">2 min ago</time> · <span class="nowrap">took 4.2 s</span>' in page
    assert ">in 2 min</time>" in page


def test_a_running_journey_says_it_is_running_now() -> None:
    page = render_status_page([status(journey(), running=True, next_run_at=NOW - 5)], NOW)
    assert "● running now" in page
    assert "not run yet" in page


def test_screenshot_thumbnail_only_when_artifact_url_gives_one() -> None:
    artifacts = {"screenshot": "/data/a/shot.png", "html": "/data/a/page.html"}
    statuses = [status(journey(), run(NOW - 60, FailureKind.TIMEOUT, artifacts=artifacts))]

    assert "<img" not in render_status_page(statuses, NOW)
    assert "/data/a" not in render_status_page(statuses, NOW)

    served = render_status_page(statuses, NOW, artifact_url=lambda p: "/artifacts" + p)
    assert (
        '<a class="shot" href="/artifacts/data/a/shot.png"><img src="/artifacts/data/a/shot.png"'
        in served
    )
    assert '<a href="/artifacts/data/a/page.html">page HTML</a>' in served


def test_only_http_and_relative_artifact_urls_become_links() -> None:
    urls = {
        "a.png": "javascript:alert(1)",
        "b.html": " JaVa\tScRiPt:alert(1)",
        "c.zip": "data:text/html,<b>x</b>",
        "d.png": "vbscript:msgbox",
        "e.png": "https://artifacts.example/e.png",
    }
    artifacts = {
        "screenshot": "a.png",
        "html": "b.html",
        "trace": "c.zip",
        "x": "d.png",
        "y": "e.png",
    }
    statuses = [status(journey(), run(NOW - 60, FailureKind.TIMEOUT, artifacts=artifacts))]
    page = render_status_page(statuses, NOW, artifact_url=urls.get)
    hrefs = re.findall(r'(?:href|src)="([^"]*)"', page)
    assert [h for h in hrefs if not h.startswith("#")] == ["https://artifacts.example/e.png"]
    assert "script:" not in page.lower()


def test_hostile_shop_text_is_escaped_everywhere_it_appears() -> None:
    page = render_status_page(hostile_statuses(), NOW, artifact_url=hostile_artifact_url)
    tags = Tags()
    tags.feed(page)
    assert "script" not in {tag for tag, _ in tags.found}
    assert [attrs["src"] for tag, attrs in tags.found if tag == "img"] == [
        f'/a/shot.png"{ATTRIBUTE}'  # the one screenshot, its URL kept inside the attribute
    ]
    assert not [name for _, attrs in tags.found for name in attrs if name.startswith("on")]
    links = [attrs.get("href") or "" for tag, attrs in tags.found if tag == "a"]
    assert not [url for url in links if "script:" in url.lower()]
    assert html.escape(HOSTILE, quote=True) in page  # shown, escaped, in the reason


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def test_trends_show_durations_and_clicks_with_numbers_and_the_clicks_budget() -> None:
    runs = [run(NOW - 600 + i * 60, duration_seconds=3.0 + i, clicks=5 + i % 2) for i in range(5)]
    j = journey(budgets={"clicks": 8})
    page = render_status_page([status(j, *runs)], NOW)
    assert "<b>Duration</b> last 7.0 s · median 5.0 s · max 7.0 s" in page
    assert "<b>Clicks</b> last 5 · median 5 · max 6 · budget 8" in page
    assert page.count('<line class="budget"') == 1
    assert "<title>09:54:00 UTC: 7.0 s, passed</title>" in page
    assert page.count('<li class="ok"') == 5


def test_last_runs_row_names_each_failure_kind() -> None:
    runs = [run(NOW - 300), run(NOW - 200, FailureKind.TIMEOUT, step="checkout")]
    runs.append(run(NOW - 100, FailureKind.TIMEOUT, step="checkout"))
    page = render_status_page([status(journey(), *runs)], NOW)
    assert "1 of 3 passed · timeout \u00d72" in page
    assert 'title="09:58:20 UTC: timeout at step &#x27;checkout&#x27;">✗</li>' in page


def test_last_run_slowest_page_load_and_error_counts() -> None:
    last = run(
        NOW - 60,
        page_loads=(
            PageLoad("https://shop.example/", "home", 0.1, 0.5, 0.9),
            PageLoad("https://shop.example/checkout", "checkout", 0.3, 1.5, 2.4),
        ),
        http_errors=(HttpError("https://shop.example/api/x", 502, ResourceClass.API, "POST", "p"),),
        console_errors=(ConsoleError("boom", "page", "p"), ConsoleError("bang", "console", "p")),
    )
    page = render_status_page([status(journey(), last)], NOW)
    slowest = '2.4 s <span class="url" title="https://shop.example/checkout">/checkout</span>'
    assert slowest in page
    assert '<dt>HTTP errors</dt><dd><b class="bad">1</b>' in page
    assert '<dt>Console errors</dt><dd><b class="bad">2</b>' in page
    assert "<summary>3 errors in the last run</summary>" in page


def test_page_refreshes_itself_and_needs_no_script_or_outside_asset() -> None:
    page = render_status_page(one_of_each_state(), NOW, refresh_seconds=30, location="eu-west")
    assert '<meta http-equiv="refresh" content="30">' in page
    assert "from eu-west" in page
    assert "<script" not in page
    assert not re.search(r'(?:href|src)="(?!#)', page)
    assert "refresh" not in render_status_page([], NOW, refresh_seconds=0)


def test_no_journeys_is_an_honest_empty_page() -> None:
    assert '<p class="headline">No journeys</p>' in render_status_page([], NOW)


# ---------------------------------------------------------------- hostile input


def hostile_statuses() -> list[JourneyStatus]:
    last = run(
        NOW - 60,
        FailureKind.ERROR_PAGE,
        step=HOSTILE,
        reason=HOSTILE,
        http_errors=(HttpError(f"https://x/{ATTRIBUTE}", 500, ResourceClass.API, "GET", HOSTILE),),
        console_errors=(ConsoleError(HOSTILE, "console", HOSTILE),),
        page_loads=(PageLoad(f"https://x/{SCRIPT}", HOSTILE, 0.1, 0.2, 0.3),),
        artifacts={"screenshot": "shot.png", f"screenshot:{SCRIPT}": "step.png", HOSTILE: "x"},
    )
    # model_copy skips validation: the page must stay safe even with names the loader rejects.
    j = journey().model_copy(update={"name": HOSTILE, "site": ATTRIBUTE, "device": SCRIPT})
    return [status(j, last)]


def hostile_artifact_url(path: str) -> str:
    return {"shot.png": f'/a/shot.png"{ATTRIBUTE}', "step.png": JS_URL, "x": f"/a/{SCRIPT}"}[path]


@pytest.mark.browser
def test_hostile_shop_text_never_runs_in_chromium_and_reads_as_text(page: Page) -> None:
    page.set_content(render_status_page(hostile_statuses(), NOW, artifact_url=hostile_artifact_url))
    assert page.locator("details.errors").get_attribute("open") is not None  # failed: shown

    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("script").count() == 0
    assert page.locator("img").count() == 1  # the screenshot, with the hostile URL inert
    assert page.locator("a[href^='javascript' i]").count() == 0
    with_handlers = "[...document.querySelectorAll('*')].some(e => e.getAttributeNames()"
    assert not page.evaluate(f"{with_handlers}.some(a => a.startsWith('on')))")
    assert HOSTILE in page.locator(".reason").inner_text()
    assert HOSTILE in page.locator(".errors code").inner_text()
    assert HOSTILE in page.locator("q.step").inner_text()
    assert page.locator("h2").inner_text() == HOSTILE
    assert page.locator("img").get_attribute("src") == f'/a/shot.png"{ATTRIBUTE}'


def filmed_status() -> JourneyStatus:
    frames = (
        FilmFrame(0, "goto /", "f1.jpg", 20_000),
        FilmFrame(3, HOSTILE, "f2.jpg", 20_000),
        FilmFrame(7, f"pay {ATTRIBUTE}", "f3.jpg", 20_000, at_failure=True),
    )
    last = run(
        NOW - 60, FailureKind.PAYMENT_DECLINED, filmstrip=frames, artifacts={"report": "r.html"}
    )
    return status(journey(), last)


@pytest.mark.browser
def test_the_last_runs_filmstrip_leads_with_the_failure_and_links_its_report(page: Page) -> None:
    shown = render_status_page([filmed_status()], NOW, artifact_url=lambda p: f"/artifacts/{p}")
    page.set_content(shown)
    captions = page.locator(".filmstrip figcaption").all_inner_texts()
    assert captions == [f"8. pay {ATTRIBUTE} (failed)", "1. goto /", f"4. {HOSTILE}"]
    srcs = page.locator(".filmstrip img").evaluate_all("all => all.map(i => i.getAttribute('src'))")
    assert srcs == ["/artifacts/f3.jpg", "/artifacts/f1.jpg", "/artifacts/f2.jpg"]
    assert page.get_by_role("link", name="report").get_attribute("href") == "/artifacts/r.html"
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("script").count() == 0 and page.locator("img[src=x]").count() == 0


@pytest.mark.browser
def test_a_replays_frames_come_after_the_runs_own_and_say_so(page: Page) -> None:
    frames = (
        FilmFrame(2, "pay", "f1.jpg", 20_000, at_failure=True),
        FilmFrame(0, "goto /", "r1.jpg", 20_000, replay=True),
        FilmFrame(2, HOSTILE, "r2.jpg", 20_000, replay=True),
    )
    last = run(NOW - 60, FailureKind.PAYMENT_DECLINED, filmstrip=frames)
    shown = render_status_page([status(journey(), last)], NOW, artifact_url=lambda p: f"/a/{p}")
    page.set_content(shown)
    captions = page.locator(".filmstrip figcaption").all_inner_texts()
    assert captions == ["3. pay (failed)", "1. goto / (re-play)", f"3. {HOSTILE} (re-play)"]
    assert page.evaluate("typeof window.__pwned") == "undefined"


# ---------------------------------------------------------------- how it looks


def realistic_statuses(shot: str) -> list[JourneyStatus]:
    declined = "step 'pay': card declined: 'Your card was declined. Try another card.'"
    fails = [
        run(
            NOW - 960 + i * 300,
            FailureKind.PAYMENT_DECLINED,
            reason=declined,
            duration_seconds=9.5 + i * 0.3,
            clicks=7,
            http_errors=(
                HttpError("https://shop.example/api/pay", 402, ResourceClass.API, "POST", "pay"),
            ),
            console_errors=(ConsoleError("Payment failed: card_declined", "console", "pay"),),
            page_loads=(PageLoad("https://shop.example/checkout", "checkout", 0.4, 1.2, 2.1),),
            artifacts={"screenshot": shot, "html": "page.html", "trace": "trace.zip"},
        )
        for i in range(4)
    ]
    earlier = [run(NOW - 6000 + i * 300, duration_seconds=6 + i % 3 * 0.4) for i in range(12)]
    failing = status(
        journey("guest-checkout", budgets={"clicks": 8, "journey_seconds": 20}),
        *earlier,
        *fails,
        failing_since=fails[0].started_at,
        consecutive_failures=4,
        next_run_at=NOW + 200,
    )
    phone_runs = [
        run(
            NOW - 20 * 300 + i * 300,
            FailureKind.TIMEOUT if i == 6 else None,
            step="checkout",
            reason="step 'checkout': timed out after 15s waiting for #checkout",
            duration_seconds=5.1 + (i * 7 % 5) * 0.35 + (9 if i == 6 else 0),
            clicks=9 if i in (11, 12) else 8,
            page_loads=(PageLoad("https://shop.example/product/trail-runner", "p", 0.2, 0.8, 1.4),),
        )
        for i in range(20)
    ]
    passing = status(
        journey("phone-checkout", device="iPhone 13", every="2m", budgets={"clicks": 10}),
        *phone_runs,
        failing_since=None,
        consecutive_failures=0,
        next_run_at=NOW + 95,
    )
    pending = status(journey("account-login", every="10m"), running=True, next_run_at=NOW)
    return [pending, passing, failing]


@pytest.mark.browser
def test_status_page_reads_well_on_desktop_and_phone(page: Page) -> None:
    page.set_content(
        "<body style='font:16px sans-serif;margin:0'><header style='background:#222;color:#fff;"
        "padding:12px'>Trail Shop</header><main style='padding:16px'><h1>Payment</h1>"
        "<p style='background:#fde8e8;color:#a00;padding:12px'>Your card was declined. Try "
        "another card.</p><button style='padding:10px 20px'>Pay now</button></main></body>"
    )
    page.set_viewport_size({"width": 640, "height": 400})
    shot = page.screenshot()
    status_page = render_status_page(
        realistic_statuses("shot.png"),
        NOW,
        location="eu-west",
        artifact_url=lambda path: f"/artifacts/{path}",
    )

    def serve(route: Route) -> None:
        if route.request.url.endswith("/artifacts/shot.png"):
            route.fulfill(body=shot, content_type="image/png")
        else:
            route.fulfill(body=status_page, content_type="text/html; charset=utf-8")

    page.route("http://status.test/**", serve)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, width, height in [("desktop", 1280, 800), ("phone", 390, 664)]:
        page.set_viewport_size({"width": width, "height": height})
        page.goto("http://status.test/")
        page.screenshot(path=SHOTS / f"status-{name}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
        assert page.locator("img").evaluate("img => img.naturalWidth") == 640


def test_how_buying_felt_shows_score_budget_and_signals_escaped() -> None:
    felt = (FrustrationSignal("dead_click", "apply", "clicking <b>Apply</b>: nothing"),)
    last = replace(run(NOW - 60), experience_score=72, frustration=felt)
    page = render_status_page([status(journey(budgets={"experience_score": 80}), last)], NOW)
    assert "<dt>Experience</dt><dd>72 (1 dead_click) (budget 80)</dd>" in page
    assert "dead_click at &#x27;apply&#x27;: clicking &lt;b&gt;Apply&lt;/b&gt;" in page
