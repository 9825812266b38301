"""DemoPay: the payment provider the demo shop embeds, on its own origin like Stripe Elements.

    GET  /elements?amount=9490&currency=EUR&reference=R&origin=SHOP   the card form (an iframe)
    POST /api/pay                                                     pay: JSON in, JSON out
    GET  /api/payments/{id}                                           the shop checks a payment
    GET  /3ds/{id}, POST /3ds/{id}/complete|fail                      the bank's 3-D Secure check

It shares the shop's FaultSet: pay-button faults change the card form; decline-all,
payment-error and payment-hang change /api/pay; route faults apply to its paths too.

    app = create_provider_app(FaultSet(["decline-all"]))
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from aiohttp import web

from monitor.demo.catalog import CURRENCY, format_money
from monitor.demo.faults import FaultKind, FaultSet
from monitor.demo.middleware import FAULTS, fault_middleware, hang, install_fault_state
from monitor.demo.payments import (
    AUTHENTICATION_FAILED_MESSAGE,
    DECLINED_MESSAGE,
    PROCESSING_FAILED_MESSAGE,
    CardOutcome,
    PaymentLedger,
    PaymentStatus,
    card_outcome,
    card_problem,
)
from monitor.demo.provider_pages import (
    PaymentContext,
    authenticated_page,
    card_form_page,
    challenge_page,
    provider_error_page,
)

LEDGER = web.AppKey("ledger", PaymentLedger)
TODAY = web.AppKey[Callable[[], date]]("today")
EMBEDDING_ROUTE = web.AppKey("embedding_route", str)

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")
_REFERENCE = re.compile(r"^[A-Za-z0-9_\-]{1,100}$")


def _context(amount: object, currency: object, reference: object, origin: object) -> PaymentContext:
    """Check what the shop sent; ValueError names the first thing wrong."""
    if not isinstance(amount, int | str) or not str(amount).isdigit() or int(amount) <= 0:
        raise ValueError("amount must be a positive whole number of cents")
    if currency != CURRENCY:
        raise ValueError(f"currency must be {CURRENCY}")
    if not isinstance(reference, str) or not _REFERENCE.match(reference):
        raise ValueError("reference is missing or malformed")
    if not isinstance(origin, str) or not _ORIGIN.match(origin):
        raise ValueError("origin must be the shop's origin, like http://127.0.0.1:8080")
    return PaymentContext(int(amount), currency, reference, origin)


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html")


def _card_form(request: web.Request, ctx: PaymentContext, error: str = "") -> web.Response:
    faults = request.app[FAULTS]
    # The card form is part of the shop's payment page to a shopper, so a js-error there
    # breaks the form too (as a failed shared bundle would).
    js_error = faults.js_error(request.path) or faults.js_error(request.app[EMBEDDING_ROUTE])
    page = card_form_page(
        ctx,
        error=error,
        pay_button=faults.pay_button(),
        js_error=js_error,
        processing_failed=PROCESSING_FAILED_MESSAGE,
        card_label=not faults.has(FaultKind.A11Y_CARD_LABEL),
        pay_label=not faults.has(FaultKind.A11Y_PAY_ICON),
    )
    return _html(page)


async def elements(request: web.Request) -> web.Response:
    query = request.query
    try:
        ctx = _context(
            query.get("amount"), query.get("currency"), query.get("reference"), query.get("origin")
        )
    except ValueError as error:
        return _html(provider_error_page(f"This payment link is invalid: {error}."), 400)
    return _card_form(request, ctx)


def _pay_error(status: int, state: str, message: str, **extra: str) -> web.Response:
    return web.json_response({"status": state, "message": message, **extra}, status=status)


async def pay(request: web.Request) -> web.Response:
    faults = request.app[FAULTS]
    if faults.has(FaultKind.PAYMENT_HANG):
        await hang(request.app)
        return _pay_error(503, "error", PROCESSING_FAILED_MESSAGE)
    if faults.has(FaultKind.PAYMENT_ERROR):
        return _pay_error(500, "error", PROCESSING_FAILED_MESSAGE)
    try:
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        ctx = _context(
            body.get("amount"), body.get("currency"), body.get("reference"), body.get("shop_origin")
        )
        number, expiry, cvc = (str(body.get(key, "")) for key in ("card_number", "expiry", "cvc"))
    except ValueError as error:  # JSONDecodeError is a ValueError
        return _pay_error(400, "invalid", f"Invalid payment request: {error}")
    problem = card_problem(number, expiry, cvc, today=request.app[TODAY]())
    if problem:
        return _pay_error(400, "invalid", problem)
    outcome = card_outcome(number)
    if faults.has(FaultKind.DECLINE_ALL):
        outcome = CardOutcome.DECLINED
    status = {
        CardOutcome.SUCCEEDED: PaymentStatus.SUCCEEDED,
        CardOutcome.DECLINED: PaymentStatus.DECLINED,
        CardOutcome.PROCESSING_ERROR: PaymentStatus.FAILED,
        CardOutcome.REQUIRES_ACTION: PaymentStatus.REQUIRES_ACTION,
    }[outcome]
    payment = request.app[LEDGER].record(
        ctx.reference, ctx.amount_cents, ctx.currency, ctx.shop_origin, number, status
    )
    if status is PaymentStatus.DECLINED:
        return _pay_error(402, "declined", DECLINED_MESSAGE, payment_id=payment.id)
    if status is PaymentStatus.FAILED:
        return _pay_error(500, "error", PROCESSING_FAILED_MESSAGE, payment_id=payment.id)
    answer = {"status": str(status), "payment_id": payment.id}
    if status is PaymentStatus.REQUIRES_ACTION:
        answer["next_url"] = f"/3ds/{payment.id}"
    return web.json_response(answer)


async def payment_status(request: web.Request) -> web.Response:
    payment = request.app[LEDGER].get(request.match_info["payment_id"])
    if payment is None:
        return web.json_response({"error": "no such payment"}, status=404)
    return web.json_response(payment.as_json())


def _awaiting_challenge(request: web.Request) -> PaymentContext:
    payment = request.app[LEDGER].get(request.match_info["payment_id"])
    if payment is None or payment.status is not PaymentStatus.REQUIRES_ACTION:
        raise web.HTTPNotFound(
            text=provider_error_page("This authentication has expired."), content_type="text/html"
        )
    return PaymentContext(
        payment.amount_cents, payment.currency, payment.reference, payment.shop_origin
    )


async def challenge(request: web.Request) -> web.Response:
    ctx = _awaiting_challenge(request)
    amount = format_money(ctx.amount_cents)
    return _html(challenge_page(request.match_info["payment_id"], amount, ctx.shop_origin))


async def challenge_complete(request: web.Request) -> web.Response:
    ctx = _awaiting_challenge(request)
    payment_id = request.match_info["payment_id"]
    request.app[LEDGER].set_status(payment_id, PaymentStatus.SUCCEEDED)
    return _html(authenticated_page(payment_id, ctx.shop_origin))


async def challenge_fail(request: web.Request) -> web.Response:
    ctx = _awaiting_challenge(request)
    request.app[LEDGER].set_status(request.match_info["payment_id"], PaymentStatus.DECLINED)
    return _card_form(request, ctx, AUTHENTICATION_FAILED_MESSAGE)


async def index(request: web.Request) -> web.Response:
    return web.Response(text="DemoPay test payment provider for the checkout-monitor demo shop.\n")


def create_provider_app(
    faults: FaultSet | None = None,
    *,
    today: Callable[[], date] = date.today,
    embedding_route: str = "/payment",
) -> web.Application:
    """The payment provider app. ``embedding_route`` is the shop page that holds the card form."""

    def soft_error(request: web.Request) -> str:
        return provider_error_page("Something went wrong. Please try again.")

    app = web.Application(middlewares=[fault_middleware(soft_error)])
    install_fault_state(app, faults if faults is not None else FaultSet())
    app[LEDGER] = PaymentLedger()
    app[TODAY] = today
    app[EMBEDDING_ROUTE] = embedding_route
    app.router.add_get("/", index)
    app.router.add_get("/elements", elements)
    app.router.add_post("/api/pay", pay)
    app.router.add_get("/api/payments/{payment_id}", payment_status)
    app.router.add_get("/3ds/{payment_id}", challenge)
    app.router.add_post("/3ds/{payment_id}/complete", challenge_complete)
    app.router.add_post("/3ds/{payment_id}/fail", challenge_fail)
    return app
