"""The status page `serve` shows at `/`: what is broken, since when, and why, at a glance.

A pure renderer: JourneyStatus objects in, one self-contained HTML document out (inline CSS and
SVG, no JavaScript, no external assets). Every text that can come from a shop or a journey file
is escaped; the only URLs in `href`/`src` are those `artifact_url` returns, and only http(s) or
relative ones.

    >>> html = render_status_page(history.statuses(), now=time.time(),    # doctest: +SKIP
    ...                           artifact_url=lambda path: f"/artifacts/{path}")
    >>> "<meta http-equiv=\\"refresh\\"" in html                           # doctest: +SKIP
    True
"""

from __future__ import annotations

import html
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from monitor.history import JourneyStatus
from monitor.report import felt
from monitor.result import RunResult

ArtifactUrl = Callable[[str], str | None]

# state -> (order on the page, words, symbol); the symbol and words mean colour is never alone.
STATES: dict[str, tuple[int, str, str]] = {
    "failing": (0, "Failing", "✗"),
    "over_budget": (1, "Over budget", "!"),
    "passing": (2, "Passing", "✓"),
    "pending": (3, "Pending", "…"),
}
TREND_RUNS = 30  # bars in a trend chart
MARK_RUNS = 12  # pass/fail marks in the "last runs" row
LISTED_ERRORS = 5  # HTTP / console errors listed per kind
MAX_TEXT = 300  # characters of one shop-supplied message


def render_status_page(
    statuses: Sequence[JourneyStatus],
    now: float,
    *,
    title: str = "checkout-monitor",
    artifact_url: ArtifactUrl = lambda path: None,
    location: str = "",
    refresh_seconds: int = 15,
) -> str:
    """The whole page: summary first, then one card per journey, worst first."""
    ordered = sorted(statuses, key=_order)
    cards = "\n".join(_card(s, now, artifact_url) for s in ordered)
    where = f" · from {_e(location)}" if location else ""
    refresh = int(refresh_seconds)
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh > 0 else ""
    every = f" · refreshes every {refresh} s" if refresh > 0 else ""
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{meta}'
        f"<title>{_headline(ordered)} — {_e(title)}</title><style>{CSS}</style></head>\n"
        f'<body><header><h1>{_e(title)}</h1><p class="muted">Updated '
        f"{_clock(now)}{where}{every}</p></header>\n"
        f"<main>{_summary(ordered, now)}\n{cards}</main></body></html>\n"
    )


def _order(status: JourneyStatus) -> tuple[int, float, str]:
    # Within a state the longest-broken journey comes first, then by name: stable across refreshes.
    since = status.failing_since if status.failing_since is not None else float("inf")
    return STATES[_key(status)][0], since, status.journey.name


def _key(status: JourneyStatus) -> str:
    """The status's state as a key of STATES (also its CSS class)."""
    return status.state if status.state in STATES else "pending"


# ------------------------------------------------------------------ summary


def _counts(ordered: Sequence[JourneyStatus]) -> Counter[str]:
    return Counter(_key(s) for s in ordered)


def _summary(ordered: Sequence[JourneyStatus], now: float) -> str:
    counts = _counts(ordered)
    worst = _key(ordered[0]) if ordered else "pending"
    pills = "".join(
        f'<li class="pill {state if counts[state] else "none"}"><b>{counts[state]}</b> '
        f"{words.lower()}</li>"
        for state, (_, words, _symbol) in STATES.items()
    )
    problems = "".join(
        f'<li><a href="#{_anchor(s)}">{_e(s.journey.name)}</a> — {_e(_kind(s.last))}'
        f"{_for(s, now)}</li>"
        for s in ordered
        if _key(s) in ("failing", "over_budget")
    )
    listed = f'<ul class="problems">{problems}</ul>' if problems else ""
    return (
        f'<section class="summary {worst}" aria-label="Summary">'
        f'<p class="headline">{_headline(ordered)}</p>'
        f'<ul class="pills">{pills}</ul>{listed}</section>'
    )


def _headline(ordered: Sequence[JourneyStatus]) -> str:
    counts, total = _counts(ordered), len(ordered)
    of_total = f" of {total} journeys" if total > 1 else " journey"
    for state in ("failing", "over_budget"):
        if counts[state]:
            _, words, symbol = STATES[state]
            return f"{symbol} {counts[state]}{of_total} {words.lower()}"
    if counts["pending"] == total:
        return "… No results yet" if total else "No journeys"
    if counts["pending"]:
        return f"✓ {counts['passing']} passing, {counts['pending']} not run yet"
    return f"✓ All {total} journeys passing" if total > 1 else "✓ 1 journey passing"


def _kind(result: RunResult | None) -> str:
    return str(result.failure_kind) if result and result.failure_kind else "failed"


def _for(status: JourneyStatus, now: float) -> str:
    since = status.failing_since
    return f" for {_span(now - since)}" if since is not None else ""


# ------------------------------------------------------------------ one journey


def _anchor(status: JourneyStatus) -> str:
    return "journey-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", status.journey.name)


def _card(status: JourneyStatus, now: float, artifact_url: ArtifactUrl) -> str:
    journey, last = status.journey, status.last
    _, words, symbol = STATES[_key(status)]
    running = '<span class="running">● running now</span>' if status.running else ""
    shots = _artifacts(journey.name, last, artifact_url) if last else ""
    overview = f'<div class="overview"><div class="main">{_problem(status, now)}'
    overview += f"{_facts(status, now)}</div>{shots}</div>"
    history = _filmstrip(last, artifact_url) + _trends(status) + _errors(last) if last else ""
    return (
        f'<article class="journey {_key(status)}" id="{_anchor(status)}">'
        f'<header><span class="badge">{symbol} {words}</span>'
        f'<h2><a href="#{_anchor(status)}">{_e(journey.name)}</a></h2>{running}'
        f'<p class="muted">{_e(journey.site_label)} · {_e(journey.device)} · every '
        f"{_span(journey.every)}</p></header>{overview}{history}</article>"
    )


def _problem(status: JourneyStatus, now: float) -> str:
    last = status.last
    if last is None or last.failure is None:
        return ""
    words = STATES[_key(status)][1]
    since = ""
    if status.failing_since is not None:
        since = f" for {_span(now - status.failing_since)} (since {_utc(status.failing_since)})"
    times = status.consecutive_failures
    streak = f" · {times} consecutive failure{'s' if times != 1 else ''}" if times else ""
    step = ""
    if last.failure.step is not None:
        step = f' at step <q class="step">{_e(last.failure.step)}</q>'
    return (
        f'<div class="problem"><p class="since"><b>{words}{since}</b>{streak}</p>'
        f'<p><code class="kind">{_e(last.failure.kind)}</code>{step}</p>'
        f'<p class="reason">{_e(_clip(last.failure.reason))}</p></div>'
    )


def _felt_rows(last: RunResult, least: int | None) -> list[tuple[str, str]]:
    """How buying felt: score (and budget), the first frustration signals, accessibility."""
    if last.experience_score is None:
        return []
    budget = f" (budget {least})" if least is not None else ""
    rows = [("Experience", f"{_e(felt(last))}{budget}")]
    for signal in last.frustration[:3]:
        said = f"{signal.signal} at '{signal.step}': {signal.detail}"
        rows.append(("Frustration", f'<span class="reason">{_e(_clip(said, 160))}</span>'))
    return rows


def _facts(status: JourneyStatus, now: float) -> str:
    last, budgets = status.last, status.journey.budgets
    rows: list[tuple[str, str]] = []
    if last is None:
        rows.append(("Last run", "not run yet"))
    else:
        ended = last.started_at + last.duration_seconds
        took = f'<span class="nowrap">took {_secs(last.duration_seconds)}</span>'
        rows.append(("Last run", f"{_ago(ended, now)} · {took}"))
    rows.append(("Next run", _next(status, now)))
    if last is not None:
        budget = f" (budget {budgets.clicks})" if budgets.clicks is not None else ""
        rows.append(("Clicks", f"{last.clicks}{budget}"))
        slowest = last.slowest_page_load
        if slowest is not None and slowest.load_seconds is not None:
            path = urlsplit(slowest.url).path or "/"
            where = (
                f' <span class="url" title="{_e(_clip(slowest.url))}">{_e(_clip(path, 80))}</span>'
            )
            rows.append(("Slowest page load", f"{_secs(slowest.load_seconds)}{where}"))
        rows.append(("HTTP errors", _count(len(last.http_errors))))
        rows.append(("Console errors", _count(len(last.console_errors))))
        rows += _felt_rows(last, budgets.experience_score)
    cells = "".join(f"<div><dt>{name}</dt><dd>{value}</dd></div>" for name, value in rows)
    return f'<dl class="facts">{cells}</dl>'


def _next(status: JourneyStatus, now: float) -> str:
    if status.running:
        return '<span class="running">running now</span>'
    if status.next_run_at is None:
        return "not scheduled"
    if status.next_run_at - now < 1:
        return "due now"
    return _time(status.next_run_at, f"in {_span(status.next_run_at - now)}")


def _count(n: int) -> str:
    return f'<b class="bad">{n}</b>' if n else "0"


# ------------------------------------------------------------------ artifacts


def _artifacts(journey: str, last: RunResult, artifact_url: ArtifactUrl) -> str:
    links: list[str] = []
    figure = ""
    for name, path in last.artifacts.items():
        url = _safe_url(artifact_url(path))
        if url is None:
            continue
        if name == "screenshot":
            alt = f"Screenshot of {journey} when its last run ended"
            figure = (
                f'<a class="shot" href="{url}"><img src="{url}" alt="{_e(alt)}" loading="lazy"></a>'
            )
        links.append(f'<a href="{url}">{_e(_artifact_label(name))}</a>')
    if not links:
        return ""
    return f'<div class="artifacts">{figure}<p>Last run: {" · ".join(links)}</p></div>'


def _filmstrip(last: RunResult, artifact_url: ArtifactUrl) -> str:
    """The last run's frames, the one at the failure first, those of its re-play (`run`'s, for
    a failed run) last and said so; each links to its picture."""
    frames = sorted(last.filmstrip, key=lambda f: (not f.at_failure, f.replay))
    figures = []
    for frame in frames:
        url = _safe_url(artifact_url(frame.path))
        if url is None:
            continue
        label = f"{frame.step_index + 1}. {frame.step}" + (" (failed)" if frame.at_failure else "")
        label += " (re-play)" if frame.replay else ""
        figures.append(
            f'<figure class="{"fail" if frame.at_failure else ""}"><a href="{url}">'
            f'<img src="{url}" alt="{_e("After step " + label)}" loading="lazy"></a>'
            f"<figcaption>{_e(label)}</figcaption></figure>"
        )
    if not figures:
        return ""
    return f'<div class="filmstrip" aria-label="What the shopper saw">{"".join(figures)}</div>'


def _artifact_label(name: str) -> str:
    labels = {
        "screenshot": "full screenshot",
        "html": "page HTML",
        "trace": "Playwright trace",
        "report": "report",
    }
    if name.startswith("screenshot:"):
        return f"screenshot “{name.removeprefix('screenshot:')}”"
    return labels.get(name, name)


def _safe_url(url: str | None) -> str | None:
    """The URL escaped for an attribute, or None unless it is http(s) or relative."""
    if not url:
        return None
    # Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
    squashed = re.sub(r"[\x00-\x20\x7f]+", "", url).lower()
    scheme = re.match(r"[a-z][a-z0-9+.-]*:", squashed)
    if scheme and scheme.group() not in ("http:", "https:"):
        return None
    return _e(url)


# ------------------------------------------------------------------ trends


def _trends(status: JourneyStatus) -> str:
    runs = list(status.recent)[-TREND_RUNS:]
    budgets = status.journey.budgets
    durations = [r.duration_seconds for r in runs]
    clicks = [float(r.clicks) for r in runs]
    return (
        '<div class="trends">'
        + _chart("Duration", runs, durations, budgets.journey_seconds, _secs)
        + _chart("Clicks", runs, clicks, budgets.clicks, lambda v: f"{v:g}")
        + _marks(list(status.recent)[-MARK_RUNS:])
        + "</div>"
    )


def _chart(
    label: str,
    runs: Sequence[RunResult],
    values: Sequence[float],
    budget: float | None,
    show: Callable[[float], str],
) -> str:
    """A bar per run, oldest left; the numbers are in each bar's <title> and in the caption."""
    width, height = 240, 40
    top = max([*values, budget or 0.0]) * 1.1 or 1.0
    step = width / max(len(values), 12)  # a few runs get narrow bars, not one wide block
    bars = []
    for i, (run, value) in enumerate(zip(runs, values, strict=True)):
        h = max(value / top * height, 1.5)
        tip = f"{_clock(run.started_at)}: {show(value)}, {_outcome(run)}"
        bars.append(
            f'<rect class="{_run_class(run)}" x="{i * step + 0.5:.1f}" y="{height - h:.1f}" '
            f'width="{max(step - 1, 1):.1f}" height="{h:.1f}"><title>{_e(tip)}</title></rect>'
        )
    line, budget_text = "", ""
    if budget is not None:
        y = height - budget / top * height
        line = f'<line class="budget" x1="0" x2="{width}" y1="{y:.1f}" y2="{y:.1f}"/>'
        budget_text = f" · budget {show(budget)}"
    numbers = (
        f"last {show(values[-1])} · median {show(statistics.median(values))} · "
        f"max {show(max(values))}{budget_text}"
    )
    return (
        f'<figure class="chart"><figcaption><b>{label}</b> {numbers}</figcaption>'
        f'<svg viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img" '
        f'aria-label="{label} of the last {len(values)} runs: {numbers}">{"".join(bars)}{line}'
        "</svg></figure>"
    )


def _marks(runs: Sequence[RunResult]) -> str:
    marks = "".join(
        f'<li class="{_run_class(r)}" title="{_e(_clock(r.started_at) + ": " + _outcome(r))}">'
        f"{'✓' if r.passed else '!' if _run_class(r) == 'over' else '✗'}</li>"
        for r in runs
    )
    kinds = Counter(str(r.failure_kind) for r in runs if r.failure_kind)
    kinds_text = ", ".join(f"{_e(kind)} \u00d7{n}" for kind, n in kinds.most_common())
    passed = sum(r.passed for r in runs)
    tally = f"{passed} of {len(runs)} passed" + (f" · {kinds_text}" if kinds_text else "")
    return (
        f'<figure class="chart"><figcaption><b>Last {len(runs)} runs</b> {tally}</figcaption>'
        f'<ol class="marks">{marks}</ol></figure>'
    )


def _run_class(run: RunResult) -> str:
    if run.passed:
        return "ok"
    return "over" if run.failure_kind == "budget_exceeded" else "fail"


def _outcome(run: RunResult) -> str:
    if run.passed:
        return "passed"
    step = run.failure.step if run.failure else None
    return f"{_kind(run)} at step '{step}'" if step else _kind(run)


# ------------------------------------------------------------------ errors of the last run


def _errors(last: RunResult) -> str:
    lines = [
        f'<li><b>HTTP {e.status}</b> {_e(e.method)} <span class="url">{_e(_clip(e.url))}'
        f"</span> ({_e(e.resource)}, step <q>{_e(e.step)}</q>)</li>"
        for e in last.http_errors[:LISTED_ERRORS]
    ] + [
        f"<li><b>{'console' if c.source == 'console' else 'uncaught'}</b> "
        f"<code>{_e(_clip(c.text))}</code> (step <q>{_e(c.step)}</q>)</li>"
        for c in last.console_errors[:LISTED_ERRORS]
    ]
    if not lines:
        return ""
    total = len(last.http_errors) + len(last.console_errors)
    more = total - len(lines)
    tail = f'<li class="muted">… and {more} more</li>' if more > 0 else ""
    opened = "" if last.passed else " open"  # a failure's errors are what a person came for
    return (
        f'<details class="errors"{opened}><summary>{total} error{"s" if total != 1 else ""} '
        f"in the last run</summary><ul>{''.join(lines)}{tail}</ul></details>"
    )


# ------------------------------------------------------------------ text and time


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _span(seconds: float) -> str:
    s = int(max(seconds, 0))
    if s < 60:
        return f"{s} s"
    m = s // 60
    if m < 60:
        return f"{m} min"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h} h {m} min" if m else f"{h} h"
    d, h = divmod(h, 24)
    return f"{d} d {h} h" if h else f"{d} d"


def _secs(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 100 else _span(seconds)


def _ago(moment: float, now: float) -> str:
    return _time(moment, "just now" if now - moment < 5 else f"{_span(now - moment)} ago")


def _time(moment: float, words: str) -> str:
    """Relative words for people, with the exact UTC time on hover and for machines."""
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))
    return f'<time datetime="{iso}" title="{_utc(moment)}">{words}</time>'


def _utc(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(moment))


def _clock(moment: float) -> str:
    return time.strftime("%H:%M:%S UTC", time.gmtime(moment))


CSS = """
:root{--fail:#b42318;--fail-bg:#fef3f2;--over:#b54708;--over-bg:#fffaeb;--ok:#067647;
--ok-bg:#ecfdf3;--wait:#475467;--wait-bg:#f2f4f7;--line:#e4e7ec;--text:#101828;--muted:#667085}
*{box-sizing:border-box}
body{margin:0;background:#f9fafb;color:var(--text);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
body>header,main{max-width:1100px;margin:0 auto;padding:0 16px}
body>header{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 16px;padding-top:16px}
h1{font-size:20px;margin:0}h2{font-size:18px;margin:0;word-break:break-word}
h2 a{color:inherit;text-decoration:none}.muted{color:var(--muted);margin:0}a{color:#175cd3}
.summary{border-radius:10px;padding:14px 18px;margin:12px 0 16px;border:1px solid var(--line)}
.headline{font-size:22px;font-weight:700;margin:0 0 8px}
.pills,.problems,.marks{list-style:none;margin:0;padding:0}
.pills{display:flex;flex-wrap:wrap;gap:8px}
.pill{background:#fff;color:var(--text);border:1px solid var(--line);border-radius:999px;
padding:2px 10px}.pill.none{color:var(--muted)}.problems{margin-top:10px;color:var(--text)}
.problems li{margin:2px 0}
.journey{background:#fff;border:1px solid var(--line);border-left:6px solid var(--wait);
border-radius:10px;padding:14px 18px;margin:0 0 16px}
.journey>header{display:flex;flex-wrap:wrap;align-items:center;gap:4px 12px;margin-bottom:8px}
.journey>header .muted{flex-basis:100%}
.badge{font-weight:700;font-size:13px;border-radius:6px;padding:2px 8px;white-space:nowrap}
.running{color:#175cd3;font-weight:600;white-space:nowrap}
.problem{background:var(--fail-bg);border-radius:8px;padding:8px 12px;margin:0 0 10px}
.problem p{margin:2px 0}.reason{font-weight:600;word-break:break-word}.kind{font-weight:700}
.url{color:var(--muted);overflow-wrap:anywhere}.nowrap{white-space:nowrap}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(130px,1fr));gap:8px 16px;
margin:0 0 10px}
.facts dt{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.facts dd{margin:0}.bad{color:var(--fail)}.overview{display:flex;flex-wrap:wrap;gap:0 20px}
.overview>.main{flex:1 1 420px;min-width:0}.artifacts{flex:0 1 340px;margin:0 0 10px}
.artifacts p{margin:4px 0}
.shot img{display:block;max-width:100%;border:1px solid var(--line);border-radius:6px}
.trends{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:12px 20px}
.chart{margin:0}.chart figcaption{font-size:13px;color:var(--muted)}
.chart figcaption b{color:var(--text)}
.chart svg{display:block;width:100%;height:40px;margin-top:4px;background:#fcfcfd}
rect.ok{fill:#47cd89}rect.fail{fill:#f04438}rect.over{fill:#fdb022}
.budget{stroke:var(--text);stroke-dasharray:4 3;stroke-width:1;vector-effect:non-scaling-stroke}
.marks{display:flex;flex-wrap:wrap;gap:3px;margin-top:4px}
.marks li{width:22px;height:22px;border-radius:4px;text-align:center;
font:700 13px/22px system-ui,sans-serif;color:#fff}.marks .ok{background:var(--ok)}
.marks .fail{background:var(--fail)}.marks .over{background:var(--over)}.errors{margin-top:10px}
.errors summary{cursor:pointer;font-weight:600}.errors ul{margin:6px 0;padding-left:20px}
.errors li{word-break:break-word}
.failing .badge,.summary.failing{background:var(--fail-bg);color:var(--fail)}
.over_budget .badge,.summary.over_budget{background:var(--over-bg);color:var(--over)}
.passing .badge,.summary.passing{background:var(--ok-bg);color:var(--ok)}
.pending .badge,.summary.pending{background:var(--wait-bg);color:var(--wait)}
.journey.failing{border-left-color:var(--fail)}.journey.over_budget{border-left-color:var(--over)}
.journey.passing{border-left-color:var(--ok)}.over_budget .problem{background:var(--over-bg)}
.pill.failing b{color:var(--fail)}.pill.over_budget b{color:var(--over)}
.pill.passing b{color:var(--ok)}
.filmstrip{display:flex;gap:8px;overflow-x:auto;margin:0 0 10px;padding-bottom:4px}
.filmstrip figure{flex:0 0 160px;margin:0}.filmstrip figcaption{font-size:12px;
overflow-wrap:anywhere}.filmstrip img{display:block;width:100%;height:auto;
border:2px solid var(--line);border-radius:4px}.filmstrip .fail img{border-color:var(--fail)}
@media (max-width:600px){body{font-size:14px}.headline{font-size:19px}
.journey,.summary{padding:12px}.facts{grid-template-columns:1fr 1fr}}
"""
