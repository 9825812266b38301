"""Whether the checkout is accessible: each page the journey reaches, checked with axe-core.

An observer (see observers.py), opt-in per journey (`accessibility: wcag2aa`). In the look
after a step that brought a new document (the look already read its time origin), axe-core
(as bundled by axe-playwright-python) runs in it and in each of its frames — a payment
provider's card form is part of the checkout. A page reached twice is checked once per
document; a rule broken on the same page (URL without query) is kept once.

Violations keep axe's rule id, impact (critical, serious, moderate, minor), the step, the page
and up to 5 elements. `budgets: {accessibility: {critical: 0, serious: 0}}` makes a run that
worked but broke more than that `budget_exceeded` (budget `accessibility`).

    >>> check = AccessibilityCheck.for_run(run)               # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.resources import files
from typing import Any

from playwright.async_api import BrowserContext, Frame, Page
from playwright.async_api import Error as PlaywrightError

from monitor.journey import Journey
from monitor.observers import RunContext, StepSeen
from monitor.result import (
    IMPACTS,
    Accessibility,
    AccessibilityViolation,
    BudgetBreach,
    RunResult,
    mask,
    over_budget,
    public_url,
)

log = logging.getLogger(__name__)

CHECK_SECONDS = 15.0  # per frame; a page that hangs axe is left unchecked, not the run
LIMIT = 200  # violations per run
TAGS = {
    "wcag2a": ["wcag2a"],
    "wcag2aa": ["wcag2a", "wcag2aa"],
    "wcag21aa": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
    "wcag22aa": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
}
RUN_SCRIPT = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
  return results.violations.map((v) => ({
    rule: v.id, impact: v.impact || 'minor', help: v.help,
    elements: v.nodes.slice(0, 5).map((n) => [].concat(n.target).join(' ').slice(0, 200)),
  }));
}
"""


@cache
def axe_source() -> str:
    """axe-core, as axe-playwright-python bundles it (read once)."""
    return (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


@dataclass
class AccessibilityCheck:
    journey: Journey
    standard: str
    secrets: Sequence[str]
    documents: set[float] = field(default_factory=set)  # time origins checked
    violations: dict[tuple[str, str], AccessibilityViolation] = field(default_factory=dict)

    @classmethod
    def for_run(cls, run: RunContext) -> AccessibilityCheck | None:
        standard = run.journey.accessibility
        return cls(run.journey, standard, run.secrets) if standard else None

    async def attach(self, context: BrowserContext) -> None:
        pass  # axe is brought into a document only when it is checked

    async def after_step(self, seen: StepSeen) -> None:
        snapshot = seen.look.snapshot if seen.look is not None else None
        origin = snapshot.get("origin") if snapshot else None
        url = str(snapshot.get("url", "")) if snapshot else ""
        if not isinstance(origin, int | float) or origin in self.documents:
            return
        if not url.startswith(("http://", "https://")):
            return  # an error page of the browser's own
        self.documents.add(origin)
        for frame in seen.page.frames:
            if frame.url.startswith(("http://", "https://")):
                await self._check(frame, seen.name)

    async def _check(self, frame: Frame, step: str) -> None:
        try:
            await asyncio.wait_for(frame.evaluate(axe_source()), CHECK_SECONDS)
            found = await asyncio.wait_for(
                frame.evaluate(RUN_SCRIPT, TAGS[self.standard]), CHECK_SECONDS
            )
        except (PlaywrightError, TimeoutError) as exc:
            log.info("%s: could not check %s: %s", self.journey.name, frame.url, exc)
            return
        url = public_url(frame.url)
        for violation in found if isinstance(found, list) else []:
            self._keep(violation, step, url)

    def _keep(self, violation: Any, step: str, url: str) -> None:
        if not isinstance(violation, dict) or len(self.violations) >= LIMIT:
            return
        rule = str(violation.get("rule", ""))
        impact = str(violation.get("impact"))
        secrets = tuple(self.secrets)
        elements = violation.get("elements")
        self.violations.setdefault(
            (rule, url),
            AccessibilityViolation(
                rule=rule,
                impact=impact if impact in IMPACTS else "minor",
                step=step,
                url=mask(url, secrets),
                help=str(violation.get("help", ""))[:200],
                elements=tuple(
                    mask(str(e), secrets) for e in (elements if isinstance(elements, list) else [])
                ),
            ),
        )

    async def finish(self, result: RunResult, page: Page | None) -> RunResult:
        order = {impact: rank for rank, impact in enumerate(IMPACTS)}
        report = Accessibility(
            self.standard,
            len(self.documents),
            tuple(sorted(self.violations.values(), key=lambda v: order[v.impact])),
        )
        result = replace(result, accessibility=report)
        return over_budget(result, self._breaches(report))

    def _breaches(self, report: Accessibility) -> list[BudgetBreach]:
        budget = self.journey.budgets.accessibility
        if budget is None:
            return []
        broken = []
        for impact in IMPACTS:
            most = getattr(budget, impact)
            found = [v.rule for v in report.violations if v.impact == impact]
            if most is not None and len(found) > most:
                rules = ", ".join(sorted(set(found)))
                detail = f"{len(found)} {impact} accessibility violations > {most} ({rules})"
                broken.append(BudgetBreach("accessibility", detail))
        return broken
