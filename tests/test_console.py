"""What `run` prints as each journey ends."""

from __future__ import annotations

from dataclasses import replace

from rich.console import Console

from monitor.console import Progress
from monitor.result import RunResult


def _printed(result: RunResult) -> str:
    console = Console(record=True, width=200, color_system=None)
    Progress(console).result(result)
    return console.export_text()


def test_a_journeys_line_says_how_many_requests_its_block_rules_stopped() -> None:
    result = RunResult(
        journey="buy",
        site="shop",
        device="Desktop Chrome",
        started_at=0.0,
        duration_seconds=1.5,
        passed=True,
        clicks=6,
        blocked={"www.google-analytics.com": 3, "*.doubleclick.net": 0},
    )
    assert _printed(result).strip() == "buy: passed in 1.50s, 6 clicks, 3 requests blocked"
    nothing = _printed(replace(result, blocked={}))
    assert nothing.strip() == "buy: passed in 1.50s, 6 clicks"
