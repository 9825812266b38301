"""What `run` and `demo` print while they work: a line per step, then a table.

>>> progress = Progress(Console())           # doctest: +SKIP
>>> Runner(..., on_step=progress.step)       # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape

from monitor.journey import Journey
from monitor.report import reasons, summary_table, verdict
from monitor.result import RunResult, StepResult


@dataclass
class Progress:
    console: Console
    quiet: bool = False

    def step(self, journey: Journey, step: StepResult) -> None:
        if self.quiet:
            return
        mark = (
            "[dim]-[/dim]"
            if step.skipped
            else "[green]✓[/green]"
            if step.passed
            else "[red]✗[/red]"
        )
        total = len(journey.steps)
        self.console.print(
            f"  {escape(journey.name)} {mark} {step.index + 1}/{total} {escape(step.name)} "
            f"[dim]{'skipped, not shown ' if step.skipped else ''}"
            f"{step.duration_seconds:.2f}s[/dim]",
            highlight=False,
        )

    def result(self, result: RunResult) -> None:
        style = "green" if result.passed else "red"
        self.console.print(
            f"[{style}]{escape(result.journey)}: {verdict(result)}[/{style}] in "
            f"{result.duration_seconds:.2f}s, {result.clicks} clicks"
            + (f", {blocked} requests blocked" if (blocked := sum(result.blocked.values())) else "")
            + (f" — {escape(result.failure.reason)}" if result.failure else ""),
            highlight=False,
        )


def print_summary(console: Console, results: Sequence[RunResult]) -> None:
    console.print()
    console.print(summary_table(results))
    for line in reasons(results):
        console.print(f"[red]✗[/red] {escape(line)}", highlight=False)
    for r in results:
        for name, path in r.artifacts.items():
            console.print(
                f"  [dim]{escape(r.journey)} {escape(name)}: {escape(path)}[/dim]", highlight=False
            )
