"""Turn what the browser observed into one failure kind and a reason a person understands.

A pure function over plain data: no Playwright here, so every rule is testable on its own.
The most specific explanation wins: our own fault before the shop's, the network before the
page, the page before the button, the payment before the confirmation.

    >>> seen = Observation(step=FailedStep(2, "pay", Problem("unusable", "...", "hidden")),
    ...                    payment_step=2)
    >>> classify(seen).kind
    <FailureKind.ELEMENT_UNUSABLE: 'element_unusable'>
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from monitor.result import Failure, FailureKind

ProblemKind = Literal[
    "unusable", "timeout", "assertion", "mismatch", "navigation", "monitor", "error_text"
]

UNUSABLE_WORDS = {
    "missing": "is not on the page",
    "hidden": "is on the page but hidden",
    "disabled": "is disabled",
    "covered": "is covered by another element",
    "offscreen": "is outside the screen and cannot be scrolled to",
    "not_editable": "cannot be typed into",
    "unknown": "cannot be used",
}


BROKEN_RESPONSES = {
    "net::ERR_TOO_MANY_REDIRECTS": "the page redirects in a loop",
    "net::ERR_INVALID_RESPONSE": "the server sent a response the browser cannot read",
    "net::ERR_INVALID_REDIRECT": "the server redirects to an invalid address",
    "net::ERR_RESPONSE_HEADERS_TOO_BIG": "the server's response headers are too big",
    "net::ERR_CONTENT_LENGTH_MISMATCH": "the server cut the page short",
    "net::ERR_INCOMPLETE_CHUNKED_ENCODING": "the server cut the page short",
    "net::ERR_HTTP2_PROTOCOL_ERROR": "the server broke the HTTP/2 protocol",
}

REFUSED_HINT = "allowlist it or give it credentials — see README 'Gates'"


@dataclass(frozen=True)
class Problem:
    """Why a step did not complete, as the runner saw it."""

    kind: ProblemKind
    message: str  # short, secret-free
    unusable: str | None = None  # a key of UNUSABLE_WORDS, with kind "unusable"
    target: str = ""  # "button 'Pay now'"
    net_error: str | None = None  # net::ERR_CONNECTION_REFUSED, with kind "navigation"
    detail: str = ""  # what covers a covered element: "div#consent-overlay"


@dataclass(frozen=True)
class FailedStep:
    index: int
    name: str
    problem: Problem


@dataclass(frozen=True)
class Observation:
    """What the runner knew when the run ended."""

    step: FailedStep | None = None  # None when every step passed
    payment_step: int | None = None  # index of the payment step, once it was started
    payment_step_name: str = ""
    document_step: tuple[int, str] | None = None  # the step that loaded the current page
    confirms_order: bool = False  # the journey has a step that confirms the order
    order_confirmed: bool = False
    document_status: int | None = None  # status of the page the shopper was looking at
    document_url: str = ""
    error_text: str | None = None  # error_page_text the shopper was shown
    error_text_step: tuple[int, str] | None = None  # the step after which it was first seen
    unanswered_page: tuple[str, float] | None = None  # a page the failed step opened, unanswered
    declined_text: str | None = None  # declined_text visible when the run ended
    payment_api_errors: tuple[str, ...] = ()  # "POST /api/pay answered 502" after paying
    payment_pending: tuple[str, ...] = ()  # requests sent after paying, never answered
    payment_requests_ok: int = 0  # API or document answers < 400 after paying
    page_errors: tuple[str, ...] = ()  # uncaught JS errors during the failing step
    server_errors: tuple[str, ...] = ()  # the shop's own 5xx answers in and just before it
    refusals: tuple[str, ...] = ()  # the shop's own 4xx answers to what the shopper sent
    sign_in_page: str | None = None  # the shop redirected the shopper to a sign-in page
    budgets_exceeded: tuple[str, ...] = field(default_factory=tuple)
    stopped_before_payment: bool = False  # `stop_before: payment`: no order was meant
    refused: str | None = None  # the shop's first document shut its gate: "HTTP 403 at URL"


def classify(seen: Observation) -> Failure | None:
    """The one failure that explains the run, or None when it passed within budget."""
    step = seen.step
    if step is None:
        if seen.confirms_order and not seen.order_confirmed and not seen.stopped_before_payment:
            return Failure(
                FailureKind.ORDER_UNCONFIRMED,
                None,
                None,
                "the journey ended without confirming the order",
            )
        if seen.budgets_exceeded:
            return Failure(
                FailureKind.BUDGET_EXCEEDED,
                None,
                None,
                "over budget: " + "; ".join(seen.budgets_exceeded),
            )
        return None

    def failure(kind: FailureKind, why: str, at: tuple[int, str] | None = None) -> Failure:
        index, name = at or (step.index, step.name)
        return Failure(kind, name, index, f"step '{name}': {why}")

    problem = step.problem
    if problem.kind == "monitor":
        return failure(
            FailureKind.MONITOR_ERROR, f"monitor error (not the shop): {problem.message}"
        )
    if seen.refused:
        why = f"the shop refused the monitor ({seen.refused}): {REFUSED_HINT}"
        return failure(FailureKind.REFUSED, why)
    if problem.kind == "navigation" and problem.net_error in BROKEN_RESPONSES:
        # The server answered, but with something no browser can show.
        why = BROKEN_RESPONSES[problem.net_error]
        return failure(FailureKind.ERROR_PAGE, f"{why} ({problem.net_error})")
    if problem.kind == "navigation" and problem.net_error:
        return failure(FailureKind.SITE_UNREACHABLE, f"{problem.net_error} ({problem.message})")
    pay_at = (seen.payment_step, seen.payment_step_name) if seen.payment_step is not None else None
    status = seen.document_status
    page = f" at {seen.document_url}" if seen.document_url else ""
    shown_at = seen.document_step  # a bad page is the fault of the step that led to it
    if status is not None and status >= 500:
        return failure(FailureKind.ERROR_PAGE, f"the page answered HTTP {status}{page}", shown_at)
    if seen.error_text:
        why = f"error page shown{page}: '{seen.error_text}'"
        return failure(FailureKind.ERROR_PAGE, why, seen.error_text_step or shown_at)
    if status is not None and status >= 400:
        return failure(FailureKind.HTTP_ERROR, f"the page answered HTTP {status}{page}", shown_at)
    paid = seen.payment_step is not None and step.index >= seen.payment_step
    if paid:
        if seen.declined_text:
            why = f"card declined: '{seen.declined_text}'"
            return failure(FailureKind.PAYMENT_DECLINED, why, pay_at)
        if seen.payment_api_errors:
            why = "payment failed: " + "; ".join(seen.payment_api_errors[:3])
            return failure(FailureKind.PAYMENT_ERROR, why, pay_at)
        if seen.payment_pending:
            why = "payment never answered: " + "; ".join(seen.payment_pending[:3])
            return failure(FailureKind.PAYMENT_ERROR, why, pay_at)
        if seen.refusals:
            # 402 Payment Required is the card being refused; any other 4xx is a broken call.
            kind = (
                FailureKind.PAYMENT_DECLINED
                if any(r.endswith("HTTP 402") for r in seen.refusals)
                else FailureKind.PAYMENT_ERROR
            )
            why = "payment refused: " + "; ".join(seen.refusals[:3])
            return failure(kind, why, pay_at)
        if seen.unanswered_page is not None and step.index == seen.payment_step:
            url, waited = seen.unanswered_page
            why = f"payment never answered: the page {url} did not answer within {waited:.0f}s"
            return failure(FailureKind.PAYMENT_ERROR, why, pay_at)
    if seen.unanswered_page is not None:
        # The shopper pressed the button and watched a page that never came: not the button.
        url, waited = seen.unanswered_page
        why = f"the page {url} did not answer within {waited:.0f}s"
        return failure(FailureKind.TIMEOUT, why)
    if seen.sign_in_page is not None and problem.unusable in (None, "missing"):
        # Not the button or the text: the shop asked the shopper to sign in first.
        why = f"the shop sent the shopper to a sign-in page ({seen.sign_in_page}): "
        return failure(FailureKind.ASSERTION_FAILED, why + problem.message)
    if problem.kind == "unusable":
        words = UNUSABLE_WORDS.get(problem.unusable or "unknown", UNUSABLE_WORDS["unknown"])
        if problem.unusable == "covered" and problem.detail:
            words = f"is covered by {problem.detail}"
        return failure(FailureKind.ELEMENT_UNUSABLE, f"{problem.target or 'the target'} {words}")
    if paid and seen.payment_step is not None and step.index > seen.payment_step:
        if seen.payment_requests_ok == 0:
            cause = f": uncaught error: {seen.page_errors[0]}" if seen.page_errors else ""
            return failure(
                FailureKind.PAYMENT_ERROR, f"paying sent no payment request{cause}", pay_at
            )
        if seen.confirms_order and not seen.order_confirmed:
            return failure(
                FailureKind.ORDER_UNCONFIRMED,
                f"payment went through but the order was not confirmed: {problem.message}",
            )
    if seen.server_errors and problem.kind in ("assertion", "timeout", "navigation"):
        # What the shopper waited for never came because the shop's server failed (an SPA's
        # add-to-cart call, say): the server error is the cause, as a 5xx page would be.
        why = f"{problem.message}; the shop's server failed: " + "; ".join(seen.server_errors[:3])
        return failure(FailureKind.ERROR_PAGE, why)
    if seen.refusals and problem.kind in ("assertion", "timeout"):
        # The shop refused what the shopper sent (a form's field errors, an API's 422).
        why = f"{problem.message}; the shop refused: " + "; ".join(seen.refusals[:3])
        return failure(FailureKind.HTTP_ERROR, why)
    if problem.kind == "mismatch":
        return failure(FailureKind.DATA_MISMATCH, problem.message)
    if problem.kind == "assertion":
        return failure(FailureKind.ASSERTION_FAILED, problem.message)
    if problem.kind in ("timeout", "navigation"):
        cause = f" (uncaught error: {seen.page_errors[0]})" if seen.page_errors else ""
        return failure(FailureKind.TIMEOUT, problem.message + cause)
    return failure(FailureKind.MONITOR_ERROR, f"unclassified problem: {problem.message}")
