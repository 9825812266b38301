"""The HTML report: a run's journeys as pages a person opens from disk, a CI artifact or `serve`.

A pure output over RunResults (and the journeys' budgets, when known). `index.html` lists every
journey, failures first; each journey has its own page: result, failure kind and reason at the
top; a waterfall of its steps — each step's own time and the page it loaded (TTFB,
DOMContentLoaded, load, LCP) against the budgets — with the HTTP errors, failed requests and
console errors of each step beneath it; the filmstrip (a failed run's re-play frames apart,
said so); links to the trace, HTML and screenshots.

No server and no network: no script, no fonts, no CDN; CSS inline; images and other artifacts
are files beside the pages (copied to `files/`, or linked relatively where they already lie
beside the report, as `serve` does). Plain string templates with `html.escape` on every text —
the status page's way, no template engine to add — and a Content-Security-Policy that lets
nothing run even if an escape were missed.

    >>> write_html_report(Path("report"), results, budgets={j.name: j.budgets for j in journeys})
    ... # doctest: +SKIP
"""

from __future__ import annotations

import html
import os
import re
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from monitor.journey import Budgets
from monitor.result import FilmFrame, PageLoad, ReplayOutcome, RunResult, StepResult

MAX_TEXT = 300
LISTED = 20  # errors listed per step
CSP = (
    "default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; "
    "script-src 'none'; base-uri 'none'; form-action 'none'"
)


def write_html_report(
    out: Path,
    results: Sequence[RunResult],
    budgets: Mapping[str, Budgets] | None = None,
    *,
    copy_files: bool = True,
    now: float | None = None,
) -> Path:
    """Write `out/index.html` and a page per journey; the index's path.

    `copy_files`: copy frames and artifacts into `out/files/` (a folder that travels alone, as
    a CI artifact); False: link them where they lie, relative to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    files = _Files(out, copy_files)
    pages = [(r, _page_name(r, i)) for i, r in enumerate(results)]
    for result, name in pages:
        journey_budgets = (budgets or {}).get(result.journey)
        page = _journey_page(result, journey_budgets or Budgets(), files)
        (out / name).write_text(page, encoding="utf-8")
    index = out / "index.html"
    index.write_text(_index(pages, files, time.time() if now is None else now), encoding="utf-8")
    return index


def _page_name(result: RunResult, i: int) -> str:
    return f"{i + 1:02d}-{_slug(result.journey)}.html"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)


def copied_path(result: RunResult, path: str) -> str:
    """Where `write_html_report` copies a run's file, relative to the report: a URL path."""
    return quote(f"files/{_slug(result.journey)}/{_slug(Path(path).name)}")


@dataclass
class _Files:
    """Links from the report's pages to the run's files."""

    out: Path
    copy: bool
    linked: dict[str, str | None] = field(default_factory=dict)

    def link(self, path: str, group: str) -> str | None:
        if path not in self.linked:
            self.linked[path] = self._place(Path(path), group)
        return self.linked[path]

    def _place(self, source: Path, group: str) -> str | None:
        if not source.is_file():
            return None
        if not self.copy:
            return quote(Path(os.path.relpath(source.resolve(), self.out.resolve())).as_posix())
        folder = self.out / "files" / _slug(group)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / _slug(source.name)
        if source.resolve() != target.resolve():
            shutil.copyfile(source, target)
        return quote(target.relative_to(self.out).as_posix())


# ------------------------------------------------------------------ the first page


def _index(pages: Sequence[tuple[RunResult, str]], files: _Files, now: float) -> str:
    ordered = sorted(pages, key=lambda p: (p[0].passed, p[0].failure_kind == "budget_exceeded"))
    passed = sum(r.passed for r, _ in pages)
    rows = "".join(_index_row(r, name, files) for r, name in ordered)
    headline = f"{passed} of {len(pages)} journeys passed"
    body = (
        f'<header><h1>checkout-monitor report</h1><p class="muted">{_utc(now)}</p></header>'
        f'<main><p class="headline {"ok" if passed == len(pages) else "fail"}">{headline}</p>'
        f'<ol class="journeys">{rows}</ol></main>'
    )
    return _document(f"{headline} — checkout-monitor", body)


def _index_row(r: RunResult, page: str, files: _Files) -> str:
    thumb = ""
    frame = failure_frame(r)
    if frame is not None and (src := files.link(frame.path, _slug(r.journey))):
        thumb = f'<img src="{src}" alt="{_e(f"What {r.journey} showed at step {frame.step}")}">'
    return (
        f'<li class="journey {_class(r)}"><a href="{quote(page)}">{thumb}<div>'
        f'<p><span class="badge">{_badge(r)}</span> <b class="name">{_e(r.journey)}</b> '
        f'<span class="muted">{_e(r.device)} · {_secs(r.duration_seconds)} · {r.clicks} '
        f"click{'s' if r.clicks != 1 else ''}</span></p>{_problem_lines(r)}</div></a></li>"
    )


def failure_frame(r: RunResult) -> FilmFrame | None:
    """The frame taken at a failed run's failure, if any."""
    marked = [f for f in r.filmstrip if f.at_failure]
    return marked[-1] if marked else None


# ------------------------------------------------------------------ a journey's page


def _journey_page(r: RunResult, budgets: Budgets, files: _Files) -> str:
    group = _slug(r.journey)
    body = (
        f'<header><p><a href="index.html">← all journeys</a></p>'
        f'<h1><span class="badge {_class(r)}">{_badge(r)}</span> {_e(r.journey)}</h1>'
        f'<p class="muted">{_e(r.site)} · {_e(r.device)}'
        f"{' · ' + _e(r.location) if r.location else ''} · started {_utc(r.started_at)}</p>"
        f"</header><main>"
        f'<section class="problem {_class(r)}" aria-label="Result">{_problem_lines(r)}'
        f"{_facts(r, budgets)}</section>"
        f"{_timeline(r, budgets)}{_filmstrip(r, files, group)}{_artifacts(r, files, group)}"
        f"</main>"
    )
    return _document(f"{_badge(r)}: {r.journey} — checkout-monitor", body)


def _problem_lines(r: RunResult) -> str:
    if r.failure is None:
        return '<p class="reason">Passed within its budgets.</p>'
    step = ""
    if r.failure.step is not None:
        step = f' at step <q class="step">{_e(r.failure.step)}</q>'
    return (
        f'<p><code class="kind">{_e(r.failure.kind)}</code>{step}</p>'
        f'<p class="reason">{_e(_clip(r.failure.reason))}</p>'
    )


def _facts(r: RunResult, budgets: Budgets) -> str:
    clicks = f"{r.clicks}"
    if budgets.clicks is not None:
        over = r.clicks > budgets.clicks
        clicks = (
            f'<b class="{"bad" if over else ""}">{r.clicks}</b> of a budget of {budgets.clicks}'
        )
    took = _secs(r.duration_seconds)
    if budgets.journey_seconds is not None:
        took += f" (budget {_secs(budgets.journey_seconds)})"
    rows = [
        ("Duration", took),
        ("Clicks", clicks),
        ("Pages", str(r.pages_visited)),
        ("HTTP errors", str(len(r.http_errors))),
        ("Failed requests", str(len(r.failed_requests))),
        ("Console errors", str(len(r.console_errors))),
    ]
    if r.blocked:  # the journey's `block` rules: what they stopped, per pattern
        counts = ", ".join(f"<code>{_e(p)}</code> {n}" for p, n in r.blocked.items())
        rows.append(("Blocked requests", f"{sum(r.blocked.values())} ({counts})"))
    breaches = "".join(f"<li>{_e(b.detail)}</li>" for b in r.budgets_exceeded)
    listed = f'<ul class="breaches">{breaches}</ul>' if breaches else ""
    cells = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in rows)
    return f'<dl class="facts">{cells}</dl>{listed}'


# ------------------------------------------------------------------ the waterfall


def _timeline(r: RunResult, budgets: Budgets) -> str:
    if not r.steps:
        return ""
    starts: list[float] = []
    at = 0.0
    for step in r.steps:
        starts.append(at)
        at += step.duration_seconds
    loads = {p.step: p for p in r.page_loads}
    ends = [at]
    for step, start in zip(r.steps, starts, strict=True):
        load = loads.get(step.name)
        if load is not None:
            seen = (load.load_seconds, load.lcp_seconds, budgets.page_load_seconds)
            ends.append(start + max((v for v in seen if v is not None), default=0.0))
        ends.append(start + (budgets.step_seconds or 0.0))
    scale = max(ends) or 1.0
    rows = "".join(
        _step_row(r, step, start, scale, budgets, loads)
        for step, start in zip(r.steps, starts, strict=True)
    )
    legend = (
        '<p class="legend"><span class="k step"></span> step\'s own time '
        '<span class="k ttfb"></span> first byte <span class="k dcl"></span> DOMContentLoaded '
        '<span class="k load"></span> load <span class="k lcp"></span> LCP '
        '<span class="k budget"></span> budget</p>'
    )
    named = {step.name for step in r.steps}
    steps = [e.step for e in r.http_errors] + [f.step for f in r.failed_requests]
    others = {*steps, *(c.step for c in r.console_errors)} - named
    elsewhere = "".join(_step_errors(r, name) for name in sorted(others))
    if elsewhere:  # e.g. after the last step that ran: never left out
        elsewhere = f"<h3>Not at a step above</h3>{elsewhere}"
    return (
        f'<section aria-label="Steps"><h2>Steps</h2>{legend}'
        f'<ol class="timeline">{rows}</ol>{elsewhere}</section>'
    )


def _step_row(
    r: RunResult,
    step: StepResult,
    start: float,
    scale: float,
    budgets: Budgets,
    loads: Mapping[str, PageLoad],
) -> str:
    failed = r.failure is not None and r.failure.step_index == step.index
    state = "skip" if step.skipped else "fail" if failed or not step.passed else "ok"
    mark = {"skip": "\u2013", "fail": "✗", "ok": "✓"}[state]
    bars = _bar("step", start, step.duration_seconds, scale, f"{_secs(step.duration_seconds)}")
    if budgets.step_seconds is not None:
        bars += _budget(
            start + budgets.step_seconds, scale, f"step budget {budgets.step_seconds:g}s"
        )
    numbers = [f"step {_secs(step.duration_seconds)}"]
    page = ""
    load = loads.get(step.name)
    if load is not None:
        segments = ""
        previous = 0.0
        for css, value, label in (
            ("ttfb", load.ttfb_seconds, "TTFB"),
            ("dcl", load.dom_content_loaded_seconds, "DOMContentLoaded"),
            ("load", load.load_seconds, "load"),
        ):
            if value is None:
                continue
            segments += _bar(
                css, start + previous, value - previous, scale, f"{label} {value:.2f}s"
            )
            numbers.append(f"{label} {_secs(value)}")
            previous = max(previous, value)
        if load.lcp_seconds is not None:
            segments += _tick(
                "lcp", start + load.lcp_seconds, scale, f"LCP {load.lcp_seconds:.2f}s"
            )
            numbers.append(f"LCP {_secs(load.lcp_seconds)}")
        if budgets.page_load_seconds is not None:
            segments += _budget(
                start + budgets.page_load_seconds,
                scale,
                f"page load budget {budgets.page_load_seconds:g}s",
            )
        status = f" · HTTP {load.status}" if load.status else ""
        title = f'<q class="title">{_e(_clip(load.title, 160))}</q> ' if load.title else ""
        page = (
            f'<div class="bars page">{segments}</div>'
            f'<p class="url">{title}{_e(_clip(load.url, 160))}{status}</p>'
        )
    error = f'<p class="error">{_e(_clip(step.error))}</p>' if step.error else ""
    return (
        f'<li class="{state}" id="step-{step.index + 1}"><div class="what">'
        f'<span class="mark">{mark}</span> <b>{step.index + 1}. {_e(step.name)}</b>'
        f'<span class="muted"> {" · ".join(numbers)}'
        f"{f' · {step.clicks} click' + ('s' if step.clicks != 1 else '') if step.clicks else ''}"
        f'</span></div><div class="bars">{bars}</div>{page}{error}'
        f"{_step_errors(r, step.name)}</li>"
    )


def _bar(css: str, start: float, length: float, scale: float, title: str) -> str:
    left, width = start / scale * 100, max(length / scale * 100, 0.4)
    return (
        f'<span class="bar {css}" style="left:{left:.2f}%;width:{min(width, 100 - left):.2f}%" '
        f'title="{_e(title)}"></span>'
    )


def _tick(css: str, at: float, scale: float, title: str) -> str:
    left = min(at / scale * 100, 99.6)
    return f'<span class="tick {css}" style="left:{left:.2f}%" title="{_e(title)}"></span>'


def _budget(at: float, scale: float, title: str) -> str:
    return _tick("budget", at, scale, title)


def _step_errors(r: RunResult, step: str) -> str:
    lines = [
        f'<li><b>HTTP {e.status}</b> {_e(e.method)} <span class="url">{_e(_clip(e.url))}</span>'
        f" ({_e(e.resource)})</li>"
        for e in r.http_errors
        if e.step == step
    ]
    lines += [
        f'<li><b>failed</b> <span class="url">{_e(_clip(f.url))}</span>: {_e(_clip(f.error))}</li>'
        for f in r.failed_requests
        if f.step == step
    ]
    lines += [
        f"<li><b>{_e(c.source)} error</b> <code>{_e(_clip(c.text))}</code></li>"
        for c in r.console_errors
        if c.step == step
    ]
    if not lines:
        return ""
    more = f'<li class="muted">… and {len(lines) - LISTED} more</li>' if len(lines) > LISTED else ""
    return f'<ul class="errors">{"".join(lines[:LISTED])}{more}</ul>'


# ------------------------------------------------------------------ pictures and files


def _filmstrip(r: RunResult, files: _Files, group: str) -> str:
    """The run's own frames (the one at the failure marked); then, apart and said so, those
    of the Runner's re-play of the failed run, with how that re-play went."""
    own = [f for f in r.filmstrip if not f.replay]
    replayed = [f for f in r.filmstrip if f.replay]
    failed_at = r.replay.failure.step_index if r.replay and r.replay.failure else None
    there = [i for i, f in enumerate(replayed) if f.step_index == failed_at][-1:]
    own_figures = [_figure(f, files, group, f.at_failure, " — the failure") for f in own]
    replay_figures = [
        _figure(f, files, group, i in there, " — the re-play failed here", " in the re-play")
        for i, f in enumerate(replayed)
    ]
    shown = "".join(own_figures)
    again = "".join(replay_figures)
    if not shown and not again:
        return ""
    return (
        '<section aria-label="Filmstrip"><h2>What the shopper saw</h2>'
        + (f'<div class="filmstrip">{shown}</div>' if shown else "")
        + (
            f'<h3 class="replayed">{_e(replay_heading(r))}</h3>'
            f'<div class="filmstrip replay">{again}</div>'
            if again
            else ""
        )
        + "</section>"
    )


def _figure(
    frame: FilmFrame, files: _Files, group: str, marked: bool, mark: str, where: str = ""
) -> str:
    src = files.link(frame.path, group)
    if src is None:
        return ""
    label = f"{frame.step_index + 1}. {frame.step}" + (mark if marked else "")
    return (
        f'<figure class="{"fail" if marked else ""}"><a href="{src}">'
        f'<img src="{src}" alt="{_e(f"The screen after step {label}{where}")}" loading="lazy">'
        f"</a><figcaption>{_e(label)}</figcaption></figure>"
    )


def replay_heading(r: RunResult) -> str:
    """What a failed run's re-play frames are, and how that re-play went, in words."""
    heading = "From the re-play of the failed run"
    replay = r.replay
    if replay is None:
        return heading
    if replay.outcome is ReplayOutcome.PASSED:
        return f"{heading} (it passed: the failure came and went)"
    if replay.outcome is ReplayOutcome.FAILED_ALIKE:
        return f"{heading} (it failed the same way, at the same step)"
    reason = replay.failure.reason if replay.failure else "unknown"
    return f"{heading} (it failed otherwise: {_clip(reason)})"


LABELS = {"screenshot": "full screenshot", "html": "page HTML", "trace": "Playwright trace"}


def _artifacts(r: RunResult, files: _Files, group: str) -> str:
    links = []
    for name, path in r.artifacts.items():
        if name == "report":
            continue
        href = files.link(path, group)
        if href is not None:
            links.append(f'<li><a href="{href}">{_e(LABELS.get(name, name))}</a></li>')
    if not links:
        return ""
    hint = ""
    if any(n.startswith("trace") for n in r.artifacts):
        hint = (
            '<p class="muted">Open a trace with <code>playwright show-trace trace.zip</code>.</p>'
        )
    return f'<section aria-label="Files"><h2>Files</h2><ul>{"".join(links)}</ul>{hint}</section>'


# ------------------------------------------------------------------ text


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head>\n<body>{body}</body></html>\n"
    )


def _badge(r: RunResult) -> str:
    return "✓ passed" if r.passed else f"✗ {r.failure_kind or 'failed'}"


def _class(r: RunResult) -> str:
    return "ok" if r.passed else "over" if r.failure_kind == "budget_exceeded" else "fail"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _secs(seconds: float) -> str:
    return f"{seconds:.2f} s"


def _utc(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(moment))


CSS = """
:root{--fail:#b42318;--fail-bg:#fef3f2;--over:#b54708;--over-bg:#fffaeb;--ok:#067647;
--ok-bg:#ecfdf3;--line:#e4e7ec;--text:#101828;--muted:#667085}
*{box-sizing:border-box}
body{margin:0;background:#f9fafb;color:var(--text);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
header,main{max-width:1100px;margin:0 auto;padding:0 16px}header{padding-top:16px}
h1{font-size:21px;margin:4px 0;word-break:break-word}h2{font-size:17px;margin:18px 0 8px}
a{color:#175cd3}.muted{color:var(--muted)}.url{color:var(--muted);overflow-wrap:anywhere}
.headline{font-size:21px;font-weight:700;border-radius:10px;padding:12px 16px}
.headline.ok,.badge.ok,.ok .badge{background:var(--ok-bg);color:var(--ok)}
.headline.fail,.badge.fail,.fail .badge{background:var(--fail-bg);color:var(--fail)}
.badge.over,.over .badge{background:var(--over-bg);color:var(--over)}
.badge{font-weight:700;font-size:14px;border-radius:6px;padding:2px 8px;white-space:nowrap}
.journeys{list-style:none;margin:0;padding:0}
.journeys li{background:#fff;border:1px solid var(--line);border-left:6px solid var(--ok);
border-radius:10px;margin:0 0 12px}.journeys li.fail{border-left-color:var(--fail)}
.journeys li.over{border-left-color:var(--over)}
.journeys a{display:flex;gap:14px;padding:12px 16px;color:inherit;text-decoration:none}
.journeys img{width:160px;height:auto;align-self:flex-start;border:1px solid var(--line);
border-radius:6px}.journeys p{margin:2px 0}.journeys div{min-width:0}
.problem{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 16px}
.problem.fail{background:var(--fail-bg)}.problem.over{background:var(--over-bg)}
.problem p{margin:2px 0}.reason{font-weight:600;word-break:break-word}.kind{font-weight:700}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:8px 16px;
margin:10px 0 0}.facts dt{color:var(--muted);font-size:12px;text-transform:uppercase}
.facts dd{margin:0}.bad{color:var(--fail)}
.legend{font-size:13px;color:var(--muted)}
.k{display:inline-block;width:12px;height:10px;margin:0 2px 0 8px;vertical-align:middle}
.timeline{list-style:none;margin:0;padding:0}
.timeline>li{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 12px;
margin:0 0 6px}.timeline>li.fail{border-color:var(--fail);background:var(--fail-bg)}
.timeline>li.skip{opacity:.7}.mark{font-weight:700}.fail .mark{color:var(--fail)}
.ok .mark{color:var(--ok)}.what{overflow-wrap:anywhere}
.bars{position:relative;height:12px;margin:6px 0 2px;background:#f2f4f7;border-radius:3px}
.bar{position:absolute;top:0;bottom:0;border-radius:2px}.tick{position:absolute;top:-3px;
bottom:-3px;width:3px}
.bar.step,.k.step{background:#2e90fa}.bar.ttfb,.k.ttfb{background:#d0d5dd}
.bar.dcl,.k.dcl{background:#7a5af8}.bar.load,.k.load{background:#12b76a}
.tick.lcp,.k.lcp{background:#f79009}.tick.budget,.k.budget{background:var(--fail)}
.tick.budget{width:2px;opacity:.8}
.error{color:var(--fail);font-weight:600;margin:4px 0;word-break:break-word}
.errors{margin:4px 0;padding-left:20px;font-size:14px}.errors li{word-break:break-word}
.filmstrip{display:flex;gap:10px;overflow-x:auto;padding-bottom:8px;scroll-snap-type:x mandatory}
.filmstrip figure{flex:0 0 220px;margin:0;scroll-snap-align:start}
.filmstrip img{display:block;width:100%;height:auto;border:2px solid var(--line);border-radius:6px}
.filmstrip figure.fail img{border-color:var(--fail)}
.filmstrip figcaption{font-size:13px;overflow-wrap:anywhere}
h3.replayed{font-size:15px;margin:12px 0 6px;overflow-wrap:anywhere}
.filmstrip.replay img{border-style:dashed}
@media (max-width:600px){body{font-size:14px}.journeys a{flex-direction:column}
.journeys img{width:100%}.filmstrip figure{flex-basis:75%}}
"""
