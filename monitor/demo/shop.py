"""The demo shop's web app: browse, cart, checkout, pay through DemoPay, get a confirmation.

    app = create_shop_app(provider_url="http://127.0.0.1:8081", faults=FaultSet())

The cart lives in a server-side session named by the ``shop_session`` cookie. Paying happens in
the provider's iframe; its script posts the payment id to this page, which submits it to
``/payment/complete``; the shop asks the provider whether that payment really succeeded for this
checkout and amount, then records the order and shows ``/order/<number>``.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote, urlencode

import aiohttp
from aiohttp import web

from monitor.demo.accounts import (
    AccountBook,
    AccountRoutes,
    TwoFactorAccount,
    make_two_factor_account,
)
from monitor.demo.admin import add_admin_routes
from monitor.demo.catalog import (
    CURRENCY,
    MAX_QUANTITY,
    PRODUCTS,
    CartSummary,
    DeliveryOption,
    delivery_by_code,
    price_cart,
    product_by_slug,
)
from monitor.demo.checkout_pages import (
    CHECKOUT_SCRIPT,
    PAYMENT_SCRIPT,
    checkout_body,
    confirmation_body,
    payment_body,
    processing_body,
)
from monitor.demo.faults import FaultKind, FaultSet
from monitor.demo.feel_faults import shop_fault_script
from monitor.demo.gates import basic_auth_middleware, bot_wall_middleware, new_allowlist_token
from monitor.demo.images import product_svg
from monitor.demo.layout import (
    SLOW_SCRIPT_PATH,
    PageFaults,
    layout,
    not_found_body,
    soft_error_body,
)
from monitor.demo.middleware import (
    FAULTS,
    Handler,
    fault_middleware,
    install_fault_state,
    nginx_error_response,
    pause,
)
from monitor.demo.pages import CART_SCRIPT, GALLERY_SCRIPT, cart_body, home_body, product_body
from monitor.demo.spa import SpaRoutes
from monitor.demo.state import OrderBook, Session, SessionStore, validate_checkout

STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "shop_session"
PAYMENT_CHECK_FAILED = "We couldn't confirm your payment with DemoPay. Please try again."
PROCESSING_PATH = "/checkout/processing"

SESSIONS = web.AppKey("sessions", SessionStore)
ORDERS = web.AppKey("orders", OrderBook)
PROVIDER_URL = web.AppKey("provider_url", str)
HTTP = web.AppKey("http", aiohttp.ClientSession)
ANALYTICS_URL = web.AppKey("analytics_url", str)
ACCOUNTS = web.AppKey("accounts", AccountBook)
TWO_FACTOR = web.AppKey("two_factor", TwoFactorAccount)
NEW_SESSION = web.RequestKey("new_session", str)


# --- helpers -------------------------------------------------------------------------------


def _session(request: web.Request) -> Session | None:
    return request.app[SESSIONS].get(request.cookies.get(SESSION_COOKIE))


def _session_or_new(request: web.Request) -> Session:
    session = _session(request)
    if session is None:
        session = request.app[SESSIONS].create()
        request[NEW_SESSION] = session.id
    return session


def _cart_count(request: web.Request) -> int:
    session = _session(request)
    return sum(session.cart.values()) if session else 0


def _summary(
    request: web.Request, session: Session | None, delivery: DeliveryOption | None = None
) -> CartSummary:
    stale = request.app[FAULTS].has(FaultKind.PRICE_MISMATCH)
    return price_cart(session.cart if session else {}, delivery, stale_prices=stale)


def _page(
    request: web.Request, title: str, body: str, *, script: str = "", status: int = 200
) -> web.Response:
    faults = request.app[FAULTS]
    page = layout(
        title=title,
        body=body,
        cart_count=_cart_count(request),
        script=script,
        faults=PageFaults(
            js_error=faults.js_error(request.path),
            slow_script=faults.slow_script_ms() is not None,
            extra_script=shop_fault_script(faults, request.path),
        ),
        analytics_url=request.app[ANALYTICS_URL],
    )
    return web.Response(text=page, status=status, content_type="text/html")


def _redirect(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location)


# --- browsing --------------------------------------------------------------------------------


async def home(request: web.Request) -> web.Response:
    return _page(request, "Gear for the trail", home_body(PRODUCTS))


async def product(request: web.Request) -> web.Response:
    try:
        item = product_by_slug(request.match_info["slug"])
    except KeyError:
        raise web.HTTPNotFound() from None
    chart = not request.app[FAULTS].has(FaultKind.NO_SIZE_CHART)
    return _page(request, item.name, product_body(item, chart), script=GALLERY_SCRIPT)


async def product_image(request: web.Request) -> web.Response:
    if request.app[FAULTS].has(FaultKind.BROKEN_IMAGES):
        return nginx_error_response(404)
    slug, _, view = request.match_info["name"].rpartition("-")
    svg = product_svg(slug, view)
    if svg is None:
        return nginx_error_response(404)
    return web.Response(
        text=svg, content_type="image/svg+xml", headers={"Cache-Control": "max-age=300"}
    )


async def reviews_widget(request: web.Request) -> web.Response:
    """A third-party script tag; the slow-script fault makes it hold up the page's load event."""
    await pause(request.app, (request.app[FAULTS].slow_script_ms() or 0) / 1000)
    return web.Response(
        text="window.reviewsWidget = { ready: true };\n", content_type="application/javascript"
    )


# --- cart ------------------------------------------------------------------------------------


def _quantity(text: str, low: int) -> int:
    return max(low, min(MAX_QUANTITY, int(text))) if text.strip().isdigit() else low


async def cart(request: web.Request) -> web.Response:
    summary = _summary(request, _session(request))
    return _page(request, "Your cart", cart_body(summary), script=CART_SCRIPT)


async def cart_add(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        item = product_by_slug(str(form.get("product", "")))
    except KeyError:
        raise web.HTTPNotFound() from None
    size = str(form.get("size", item.default_size))
    if size not in item.sizes:
        raise _redirect(f"/product/{item.slug}")
    session = _session_or_new(request)
    key = (item.slug, size)
    quantity = _quantity(str(form.get("quantity", "1")), 1)
    session.cart[key] = min(MAX_QUANTITY, session.cart.get(key, 0) + quantity)
    raise _redirect("/cart")


def _line_key(line_id: str) -> tuple[str, str]:
    slug, _, size = line_id.partition(":")
    return slug, size


async def cart_update(request: web.Request) -> web.Response:
    form = await request.post()
    session = _session(request)
    key = _line_key(str(form.get("line", "")))
    if session is not None and key in session.cart:
        quantity = _quantity(str(form.get("quantity", "")), 0)
        if quantity:
            session.cart[key] = quantity
        else:
            del session.cart[key]
    raise _redirect("/cart")


async def cart_remove(request: web.Request) -> web.Response:
    form = await request.post()
    session = _session(request)
    if session is not None:
        session.cart.pop(_line_key(str(form.get("line", ""))), None)
    raise _redirect("/cart")


# --- checkout and payment --------------------------------------------------------------------


def _cart_session(request: web.Request) -> Session:
    session = _session(request)
    if session is None or not session.cart:
        raise _redirect("/cart")
    return session


def _checkout_page(
    request: web.Request, session: Session, values: dict[str, str], errors: dict[str, str]
) -> web.Response:
    try:
        delivery = delivery_by_code(values.get("delivery", "home"))
    except KeyError:
        delivery = None
    summary = _summary(request, session, delivery)
    body = checkout_body(summary, values, errors)
    return _page(request, "Checkout", body, script=CHECKOUT_SCRIPT)


async def checkout(request: web.Request) -> web.Response:
    session = _cart_session(request)
    values: dict[str, str] = {"email": session.customer} if session.customer else {}
    if session.details:
        d = session.details
        values = {
            "email": d.email, "name": d.name, "street": d.street, "postcode": d.postcode,
            "city": d.city, "country": d.country, "delivery": d.delivery.code,
            d.delivery.choice_id: d.delivery_choice,
        }  # fmt: skip
    return _checkout_page(request, session, values, {})


async def checkout_submit(request: web.Request) -> web.Response:
    session = _cart_session(request)
    values = {key: str(value) for key, value in (await request.post()).items()}
    details, errors = validate_checkout(values)
    if details is None:
        return _checkout_page(request, session, values, errors)
    session.details = details
    raise _redirect("/payment")


def _payment_page(request: web.Request, session: Session) -> web.Response:
    if session.details is None:
        raise _redirect("/checkout")
    notice, session.payment_notice = session.payment_notice or "", None
    if session.payment_reference is None:
        session.payment_reference = f"chk_{secrets.token_hex(8)}"
    summary = _summary(request, session, session.details.delivery)
    query = urlencode(
        {
            "amount": summary.total_cents,
            "currency": CURRENCY,
            "reference": session.payment_reference,
            "origin": f"{request.scheme}://{request.host}",
        }
    )
    frame_url = f"{request.app[PROVIDER_URL]}/elements?{query}"
    body = payment_body(summary, session.details, frame_url, notice)
    return _page(request, "Payment", body, script=PAYMENT_SCRIPT)


async def payment(request: web.Request) -> web.Response:
    return _payment_page(request, _cart_session(request))


async def _fetch_payment(request: web.Request, payment_id: str) -> dict[str, object] | None:
    url = f"{request.app[PROVIDER_URL]}/api/payments/{quote(payment_id, safe='')}"
    try:
        timeout = aiohttp.ClientTimeout(total=10)
        async with request.app[HTTP].get(url, timeout=timeout) as response:
            if response.status != 200:
                return None
            found = await response.json()
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None
    return found if isinstance(found, dict) else None


async def _paid_with(
    request: web.Request, payment_id: str, session: Session, summary: CartSummary
) -> str | None:
    """The card that paid, if DemoPay says this payment succeeded for this checkout and amount."""
    found = await _fetch_payment(request, payment_id)
    if (
        found is None
        or found.get("status") != "succeeded"
        or found.get("reference") != session.payment_reference
        or found.get("amount") != summary.total_cents
    ):
        return None
    card = found.get("card")
    return (
        f"{card.get('brand')} ending in {card.get('last4')}" if isinstance(card, dict) else "Card"
    )


async def payment_complete(request: web.Request) -> web.Response:
    payment_id = str((await request.post()).get("payment_id", ""))
    session = _session(request)
    orders = request.app[ORDERS]
    existing = orders.by_payment(payment_id)
    if existing is not None and session is not None and existing.session_id == session.id:
        raise _redirect(f"/order/{existing.number}")
    session = _cart_session(request)
    if session.details is None:
        raise _redirect("/checkout")
    summary = _summary(request, session, session.details.delivery)
    card_text = await _paid_with(request, payment_id, session, summary)
    if card_text is None:
        session.payment_notice = PAYMENT_CHECK_FAILED
        raise _redirect("/payment")
    order = orders.check_out(session, payment_id, card_text, summary)
    if request.app[FAULTS].has(FaultKind.NO_CONFIRMATION):
        raise _redirect(PROCESSING_PATH)
    raise _redirect(f"/order/{order.number}")


async def order_page(request: web.Request) -> web.Response:
    session = _session(request)
    order = request.app[ORDERS].get(request.match_info["number"])
    if order is None or session is None or order.session_id != session.id:
        raise web.HTTPNotFound()
    return _page(request, f"Order {order.number}", confirmation_body(order))


async def processing(request: web.Request) -> web.Response:
    return _page(request, "Processing your order", processing_body())


# --- app -------------------------------------------------------------------------------------


@web.middleware
async def shop_frame(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Set the session cookie for a new session, and show the shop's own 404 page."""
    try:
        response = await handler(request)
    except web.HTTPNotFound:
        response = _page(request, "Page not found", not_found_body(), status=404)
    except web.HTTPException as error:
        _set_session_cookie(request, error)
        raise
    _set_session_cookie(request, response)
    return response


def _set_session_cookie(request: web.Request, response: web.StreamResponse) -> None:
    new_session = request.get(NEW_SESSION)
    if new_session:
        response.set_cookie(SESSION_COOKIE, new_session, httponly=True, samesite="Lax", path="/")


async def _http_client(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session:
        app[HTTP] = session
        yield


def _signed_in(request: web.Request) -> str | None:
    session = _session(request)
    return session.customer if session else None


def _pending(request: web.Request) -> str | None:
    session = _session(request)
    return session.pending_customer if session else None


def _sign_in(request: web.Request, customer: str | None, pending: str | None) -> None:
    session = _session_or_new(request)
    session.customer, session.pending_customer = customer, pending


def create_shop_app(
    *,
    provider_url: str,
    faults: FaultSet | None = None,
    basic_auth: tuple[str, str] | None = None,
    allowlist_token: str | None = None,
    analytics_url: str = "",
) -> web.Application:
    """The shop app; ``provider_url`` is DemoPay's base URL, ``faults`` the shared fault set.

    ``basic_auth`` (user, password) guards every path; ``allowlist_token`` is what the
    ``bot-wall`` fault lets through (in the X-Shop-Allowlist header; a random one if None);
    ``analytics_url`` puts an analytics tag reporting there on every page."""

    def soft_error(request: web.Request) -> str:
        count = _cart_count(request)
        return layout(title="Something went wrong", body=soft_error_body(), cart_count=count)

    gates = [basic_auth_middleware(*basic_auth)] if basic_auth else []
    gates.append(bot_wall_middleware(allowlist_token or new_allowlist_token()))
    app = web.Application(middlewares=[*gates, shop_frame, fault_middleware(soft_error)])
    install_fault_state(app, faults if faults is not None else FaultSet())
    app[SESSIONS] = SessionStore()
    app[ORDERS] = OrderBook()
    app[PROVIDER_URL] = provider_url.rstrip("/")
    app[ANALYTICS_URL] = analytics_url.rstrip("/")
    app[ACCOUNTS] = AccountBook()
    app[TWO_FACTOR] = make_two_factor_account(app[ACCOUNTS])
    app.cleanup_ctx.append(_http_client)
    add_admin_routes(app)
    AccountRoutes(app[ACCOUNTS], _page, _signed_in, _sign_in, _pending).add_to(app)
    router = app.router
    router.add_get("/", home)
    router.add_get("/product/{slug}", product)
    router.add_get("/images/{name}.svg", product_image)
    router.add_get(SLOW_SCRIPT_PATH, reviews_widget)
    router.add_get("/cart", cart)
    router.add_post("/cart/add", cart_add)
    router.add_post("/cart/update", cart_update)
    router.add_post("/cart/remove", cart_remove)
    router.add_get("/checkout", checkout)
    router.add_post("/checkout", checkout_submit)
    router.add_get("/payment", payment)
    router.add_post("/payment/complete", payment_complete)
    router.add_get("/order/{number}", order_page)
    router.add_get(PROCESSING_PATH, processing)
    router.add_static("/static", STATIC_DIR)
    SpaRoutes(
        session=_session,
        session_or_new=_session_or_new,
        summary=_summary,
        orders=lambda request: request.app[ORDERS],
        provider_url=lambda request: request.app[PROVIDER_URL],
        paid_with=_paid_with,
    ).add_to(app)
    return app
