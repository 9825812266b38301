"""What one run of a journey found: plain, immutable, JSON-ready data.

The runner produces a RunResult; metrics, reports, history and alerts only read it.

    >>> r = RunResult(journey="checkout", site="shop", device="Desktop Chrome", started_at=0.0,
    ...               duration_seconds=3.2, passed=True)
    >>> r.to_dict()["failure_kind"] is None
    True
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit


class FailureKind(StrEnum):
    """Why a run failed; one per failed run, the most specific that applies."""

    SITE_UNREACHABLE = "site_unreachable"
    REFUSED = "refused"  # the shop's gate shut on the monitor: fix the monitor, not the shop
    ERROR_PAGE = "error_page"
    HTTP_ERROR = "http_error"
    ELEMENT_UNUSABLE = "element_unusable"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_ERROR = "payment_error"
    ORDER_UNCONFIRMED = "order_unconfirmed"
    ASSERTION_FAILED = "assertion_failed"
    TIMEOUT = "timeout"
    DATA_MISMATCH = "data_mismatch"
    BUDGET_EXCEEDED = "budget_exceeded"
    MONITOR_ERROR = "monitor_error"


class ResourceClass(StrEnum):
    """What kind of resource a response was for: the page itself, an API call, or an asset."""

    DOCUMENT = "document"
    API = "api"
    STATIC = "static"


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    step: str | None  # the step's name; None when the run failed before any step
    step_index: int | None
    reason: str  # one line a person understands: "step 'pay': card declined: '...'"


@dataclass(frozen=True)
class StepResult:
    index: int
    name: str
    action: str
    duration_seconds: float
    passed: bool
    clicks: int = 0
    error: str | None = None
    skipped: bool = False  # an optional step whose target did not show


@dataclass(frozen=True)
class PageLoad:
    """Navigation timing of one document load in the top frame, seconds from navigation start."""

    url: str  # scheme://host/path, no query string or fragment
    step: str
    ttfb_seconds: float | None
    dom_content_loaded_seconds: float | None
    load_seconds: float | None
    lcp_seconds: float | None = None
    cls: float | None = None
    inp_seconds: float | None = None
    status: int | None = None
    title: str | None = None  # the page's title, as the shopper's tab showed it


@dataclass(frozen=True)
class HttpError:
    url: str
    status: int
    resource: ResourceClass
    method: str
    step: str


@dataclass(frozen=True)
class RequestFailure:
    url: str
    error: str
    resource: ResourceClass
    step: str


@dataclass(frozen=True)
class ConsoleError:
    text: str
    source: str  # "console" (console.error), "page" (uncaught exception), "dialog" (alert...)
    step: str


@dataclass(frozen=True)
class ContentCheck:
    """One thing a buyer needs to see (price, image, size chart...), and whether it was there."""

    name: str
    passed: bool
    step: str


@dataclass(frozen=True)
class FilmFrame:
    """One picture of the viewport after a step (or at the failure): what the shopper saw."""

    step_index: int
    step: str
    path: str  # a JPEG in the run's artifact folder
    size_bytes: int
    at_failure: bool = False  # the frame of the step the run failed at (never a re-play's)
    replay: bool = False  # taken in the Runner's re-play of the failed run, not in the run


class ReplayOutcome(StrEnum):
    """How the Runner's re-play of a failed run went, against the run it re-played."""

    FAILED_ALIKE = "failed_alike"  # the same failure kind at the same step
    FAILED_OTHERWISE = "failed_otherwise"  # another kind or another step: see its failure
    PASSED = "passed"  # the failure came and went


@dataclass(frozen=True)
class Replay:
    """The one re-play `run` makes of a failed run, for its trace and its filmstrip (see
    runner.py): how it went, and its own failure. The run's own result stands either way."""

    outcome: ReplayOutcome
    failure: Failure | None = None


@dataclass(frozen=True)
class BudgetBreach:
    """One budget a working run broke: which (`clicks`, `journey_seconds`,
    `page_load_seconds`, `step_seconds`) and by how much, in words."""

    budget: str
    detail: str  # "9 clicks > 8", "https://shop/cart loaded in 3.20s > 3s"

    def __str__(self) -> str:
        return self.detail


# What the shopper felt: frustration signals, each a fixed name (bounded metric labels).
SIGNALS = ("dead_click", "error_click", "long_wait", "layout_shift_before_click", "error_shown")
IMPACTS = ("critical", "serious", "moderate", "minor")  # axe-core's impact levels


@dataclass(frozen=True)
class FrustrationSignal:
    """A moment the shopper would have been frustrated: which (one of SIGNALS), at which step,
    and the evidence in words ("nothing happened for 1s after clicking button 'Apply'")."""

    signal: str
    step: str
    detail: str


@dataclass(frozen=True)
class AccessibilityViolation:
    """One axe-core rule a page broke: rule id, impact, the step that reached the page, the
    page (no query) and up to 5 of the elements (CSS selectors)."""

    rule: str
    impact: str  # one of IMPACTS
    step: str
    url: str
    help: str
    elements: tuple[str, ...] = ()


@dataclass(frozen=True)
class Accessibility:
    """The accessibility check of a run: the standard, pages checked, what they broke."""

    standard: str  # wcag2a, wcag2aa, wcag21aa, wcag22aa
    pages_checked: int
    violations: tuple[AccessibilityViolation, ...] = ()

    def count(self, impact: str) -> int:
        return sum(1 for v in self.violations if v.impact == impact)


@dataclass(frozen=True)
class RunResult:
    """Everything one run of one journey observed."""

    journey: str
    site: str
    device: str
    started_at: float  # unix time
    duration_seconds: float
    passed: bool
    failure: Failure | None = None
    location: str = ""
    steps: tuple[StepResult, ...] = ()
    clicks: int = 0
    actions: int = 0
    pages_visited: int = 0
    page_loads: tuple[PageLoad, ...] = ()
    http_errors: tuple[HttpError, ...] = ()
    failed_requests: tuple[RequestFailure, ...] = ()
    console_errors: tuple[ConsoleError, ...] = ()
    budgets_exceeded: tuple[BudgetBreach, ...] = ()
    artifacts: dict[str, str] = field(default_factory=dict)
    payment_attempted: bool = False
    order_confirmed: bool = False
    stopped_before_payment: bool = False
    content_checks: tuple[ContentCheck, ...] = ()
    broken_images: tuple[str, ...] = ()  # URLs (no query) of images that did not load
    attempt: int = 1
    dismissed: dict[str, int] = field(default_factory=dict)  # `dismiss` target -> times clicked
    blocked: dict[str, int] = field(default_factory=dict)  # `block` pattern -> requests aborted
    frustration: tuple[FrustrationSignal, ...] = ()
    experience_score: int | None = None  # 0-100, see experience.py; None: not scored
    accessibility: Accessibility | None = None  # None: the journey did not ask
    filmstrip: tuple[FilmFrame, ...] = ()  # pictures after the steps that changed the screen
    replay: Replay | None = None  # the Runner's re-play of this failed run; None: not re-played

    @property
    def failure_kind(self) -> FailureKind | None:
        return self.failure.kind if self.failure else None

    @property
    def slowest_page_load(self) -> PageLoad | None:
        loads = [p for p in self.page_loads if p.load_seconds is not None]
        return max(loads, key=lambda p: p.load_seconds or 0.0) if loads else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["name"] = self.journey
        data["failure_kind"] = self.failure.kind.value if self.failure else None
        data["failed_step"] = self.failure.step if self.failure else None
        data["reason"] = self.failure.reason if self.failure else None
        return data


def over_budget(result: RunResult, breaches: Sequence[BudgetBreach]) -> RunResult:
    """A run judged against budgets only known at its end (experience score, accessibility):
    a run that worked becomes `budget_exceeded`; one that failed otherwise stays as it is.

    >>> ok = RunResult(journey="j", site="s", device="d", started_at=0, duration_seconds=1,
    ...                passed=True)
    >>> over_budget(ok, [BudgetBreach("experience_score", "score 70 < 90")]).failure.reason
    'over budget: score 70 < 90'
    """
    kind = result.failure_kind
    if not breaches or not (result.passed or kind is FailureKind.BUDGET_EXCEEDED):
        return result
    broken = (*result.budgets_exceeded, *breaches)
    reason = "over budget: " + "; ".join(b.detail for b in broken)
    failure = Failure(FailureKind.BUDGET_EXCEEDED, None, None, reason)
    return replace(result, passed=False, failure=failure, budgets_exceeded=broken)


def public_url(url: str) -> str:
    """A URL safe to show and bounded to label: no query, fragment or credentials."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0][:200]
    if parts.scheme in ("data", "blob", "about", "javascript"):
        return f"{parts.scheme}:"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"[:300]


def mask(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret value (as typed; escaped, as JSON, HTML and URLs write it; and its
    digits-only or spaced forms) with ***."""
    for secret in secrets:
        if not secret:
            continue
        for form in _written_forms(secret):
            text = text.replace(form, "***")
        digits = re.sub(r"\D", "", secret)
        if len(digits) >= 6 and digits != secret:
            text = text.replace(digits, "***")
        if len(digits) >= 12:  # card numbers are also shown in groups: 4242 4242 ...
            grouped = re.compile(r"[ -]?".join(re.escape(d) for d in digits))
            text = grouped.sub("***", text)
    return text


@functools.lru_cache(maxsize=256)
def _written_forms(secret: str) -> tuple[str, ...]:
    """A secret as a file may hold it, longest first: as typed; inside a JSON string (a
    trace: `"` and `\\` escaped, non-ASCII as is or as \\u escapes), or a JSON body inside
    one (escaped twice); in HTML text or an attribute (`&`, `<`, `>`, `"` as entities); in a
    URL or a form's body (percent-encoded, as browsers and scripts encode it)."""
    in_json = {json.dumps(secret, ensure_ascii=ascii)[1:-1] for ascii in (False, True)}
    twice = {
        json.dumps(form, ensure_ascii=ascii)[1:-1] for form in in_json for ascii in (False, True)
    }
    in_html = html.escape(secret, quote=False)
    in_url = {
        quote_plus(secret, safe="*").replace("~", "%7E"),  # a form's body, as a browser sends it
        quote(secret, safe="!~*'()"),  # encodeURIComponent: a script's query or JSON-less body
        quote(secret, safe=""),
    }
    in_url |= {re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), form) for form in in_url}
    forms = {secret, *in_json, *twice, in_html, in_html.replace('"', "&quot;"), *in_url}
    return tuple(sorted(forms, key=len, reverse=True))
