"""Reports of a run for people and CI: console table, JSON, JUnit XML, GitHub step summary.

Pure renderers over RunResults; the CLI decides where they go.

    >>> write_json(Path("results.json"), results)       # doctest: +SKIP
    >>> write_junit(Path("junit.xml"), results)         # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rich.table import Table

from monitor import __version__
from monitor.report_html import copied_path, failure_frame
from monitor.result import RunResult


def verdict(result: RunResult) -> str:
    return "passed" if result.passed else (result.failure_kind or "failed")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s"


def summary_table(results: Sequence[RunResult]) -> Table:
    table = Table(title="checkout-monitor results", title_justify="left", expand=False)
    for column, justify in (
        ("journey", "left"),
        ("device", "left"),
        ("result", "left"),
        ("failed step", "left"),
        ("duration", "right"),
        ("clicks", "right"),
        ("slowest page load", "right"),
        ("experience", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for r in results:
        slowest = r.slowest_page_load
        style = "green" if r.passed else "red"
        table.add_row(
            r.journey,
            r.device,
            f"[{style}]{verdict(r)}[/{style}]",
            r.failure.step or "-" if r.failure else "-",
            _seconds(r.duration_seconds),
            str(r.clicks),
            f"{_seconds(slowest.load_seconds)} {urlsplit(slowest.url).path}" if slowest else "-",
            felt(r),
            end_section=False,
        )
    return table


def felt(result: RunResult) -> str:
    """The experience score, its signals and accessibility violations in a few words:
    "72 (2 dead_click, 1 long_wait; 3 a11y)"."""
    if result.experience_score is None:
        return "-"
    counts: dict[str, int] = {}
    for signal in result.frustration:
        counts[signal.signal] = counts.get(signal.signal, 0) + 1
    notes = ", ".join(f"{n} {name}" for name, n in counts.items())
    a11y = result.accessibility
    if a11y is not None and a11y.violations:
        notes += f"{'; ' if notes else ''}{len(a11y.violations)} a11y"
    return f"{result.experience_score}" + (f" ({notes})" if notes else "")


def reasons(results: Sequence[RunResult]) -> list[str]:
    return [f"{r.journey}: {r.failure.reason}" for r in results if r.failure is not None]


def results_document(results: Sequence[RunResult]) -> dict[str, Any]:
    return {
        "tool": "checkout-monitor",
        "version": __version__,
        "generated_at": time.time(),
        "passed": all(r.passed for r in results),
        "journeys": [r.to_dict() for r in results],
    }


def write_json(path: Path, results: Sequence[RunResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results_document(results), indent=2) + "\n", encoding="utf-8")


def junit_xml(results: Sequence[RunResult]) -> str:
    """One testsuite, one testcase per journey run; a failure's message is the human reason."""
    suite = ET.Element(
        "testsuite",
        name="checkout-monitor",
        tests=str(len(results)),
        failures=str(sum(1 for r in results if not r.passed and r.failure_kind != "monitor_error")),
        errors=str(sum(1 for r in results if r.failure_kind == "monitor_error")),
        time=f"{sum(r.duration_seconds for r in results):.3f}",
    )
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"checkout.{r.site}",
            name=f"{r.journey} [{r.device}]",
            time=f"{r.duration_seconds:.3f}",
        )
        if r.failure is not None:
            tag = "error" if r.failure_kind == "monitor_error" else "failure"
            node = ET.SubElement(case, tag, message=r.failure.reason, type=r.failure.kind.value)
            node.text = _failure_detail(r)
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(
            f"{'skip' if s.skipped else 'ok  ' if s.passed else 'FAIL'} {s.index + 1:>2}. "
            f"{s.name} ({s.duration_seconds:.2f}s)"
            for s in r.steps
        )
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _failure_detail(r: RunResult) -> str:
    lines = [r.failure.reason if r.failure else ""]
    lines += [f"artifact {name}: {path}" for name, path in r.artifacts.items()]
    lines += [f"HTTP {e.status} {e.method} {e.url} (step {e.step})" for e in r.http_errors[:10]]
    lines += [f"{c.source} error: {c.text} (step {c.step})" for c in r.console_errors[:10]]
    return "\n".join(lines)


def write_junit(path: Path, results: Sequence[RunResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(results), encoding="utf-8")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_summary(results: Sequence[RunResult], report_url: str | None = None) -> str:
    """A GitHub Actions job summary: one row per journey. `report_url`: where the HTML report
    (`run --html DIR`) is published (CHECKOUT_MONITOR_ARTIFACT_URL): then it is linked, and
    each failed journey's frame at the failure is shown."""
    passed = sum(r.passed for r in results)
    lines = [
        f"### checkout-monitor: {passed}/{len(results)} journeys passed",
        "",
        "| journey | device | result | failed step | reason | duration | clicks |",
        "|---|---|---|---|---|---:|---:|",
    ]
    for r in results:
        icon = "✅" if r.passed else "❌"
        reason = _md(r.failure.reason) if r.failure else ""
        step = _md(r.failure.step or "") if r.failure else ""
        lines.append(
            f"| {_md(r.journey)} | {_md(r.device)} | {icon} {verdict(r)} | {step} | "
            f"{reason} | {r.duration_seconds:.2f}s | {r.clicks} |"
        )
    if report_url:
        base = report_url.rstrip("/")
        lines += ["", f"[HTML report]({base}/index.html)"]
        for r in results:
            frame = failure_frame(r)
            if frame is not None:
                alt = _alt(f"{r.journey} at step {frame.step}")
                lines += ["", f"![{alt}]({base}/{copied_path(r, frame.path)})"]
    return "\n".join(lines) + "\n"


def _alt(text: str) -> str:
    return re.sub(r"[\[\]()<>|\n]", " ", text)
