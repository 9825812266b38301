"""The shop again as a single-page app under ``/spa/``: one HTML shell, a JSON API, and a
script that routes with ``history.pushState`` and re-renders the page on every step, the way
React and Vue storefronts work. Same catalogue, sessions, payment provider and faults as the
server-rendered shop, so a journey can be played against either kind of shop.

    GET  /spa/, /spa/product/SLUG, /spa/cart, ...  the shell (the script draws the page)
    GET  /spa/api/products[/SLUG]                   the catalogue
    GET  /spa/api/cart    POST /spa/api/cart        the cart; add {"product", "size", "quantity"}
    POST /spa/api/checkout                          details -> {"payment": ...} or 422 {"errors"}
    GET  /spa/api/payment                           what the payment view needs (the iframe URL)
    POST /spa/api/payment/complete                  {"payment_id"} -> {"order": NUMBER} or 409
    GET  /spa/api/orders/NUMBER                     a placed order

Route faults work on every path here (``status:/spa/api/cart=503``, ``slow:/spa/api/*=800``);
``js-error:/spa/*`` kills the shell's script; the provider's faults (decline-all,
payment-error, pay-button=...) are the provider's, so they apply as they do to the other shop.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from monitor.demo.catalog import (
    COUNTRIES,
    CURRENCY,
    DELIVERY_OPTIONS,
    PRODUCTS,
    CartSummary,
    DeliveryOption,
    Product,
    format_money,
    product_by_slug,
)
from monitor.demo.faults import FaultKind
from monitor.demo.layout import js_literal, page_script
from monitor.demo.middleware import FAULTS
from monitor.demo.state import CheckoutDetails, Order, OrderBook, Session, validate_checkout

SPA_SCRIPT = (Path(__file__).parent / "static" / "spa.js").read_text(encoding="utf-8")
PAYMENT_CHECK_FAILED = "We couldn't confirm your payment with DemoPay. Please try again."

Json = dict[str, object]


def product_json(product: Product) -> Json:
    return {
        "slug": product.slug,
        "name": product.name,
        "category": product.category,
        "price": format_money(product.price_cents),
        "summary": product.summary,
        "image": product.image_url(),
        "sizes": list(product.sizes),
        "default_size": product.default_size,
    }


def summary_json(summary: CartSummary) -> Json:
    return {
        "lines": [
            {
                "name": line.product.name,
                "slug": line.product.slug,
                "size": line.size,
                "quantity": line.quantity,
                "unit": format_money(line.unit_cents),
                "total": format_money(line.line_cents),
            }
            for line in summary.lines
        ],
        "count": summary.item_count,
        "subtotal": format_money(summary.subtotal_cents),
        "delivery": format_money(summary.delivery_cents) if summary.delivery else None,
        "total": format_money(summary.total_cents),
    }


def _details_json(details: CheckoutDetails) -> Json:
    return {
        "email": details.email,
        "name": details.name,
        "address": [details.street, f"{details.postcode} {details.city}", details.country],
        "delivery": f"{details.delivery.label}: {details.delivery_choice}",
    }


def order_json(order: Order) -> Json:
    return {
        "number": order.number,
        "paid_with": order.card_description,
        "summary": summary_json(order.summary),
        "details": _details_json(order.details),
    }


def shell(*, js_error: bool) -> str:
    """The one page the server renders: a frame, an empty <main>, the catalogue's static
    parts (delivery options, countries) and the script that draws everything else."""
    config = {
        "countries": list(COUNTRIES),
        "delivery": [
            {
                "code": o.code,
                "label": o.label,
                "price": format_money(o.price_cents),
                "cents": o.price_cents,
                "promise": o.promise,
                "choice_id": o.choice_id,
                "choice_label": o.choice_label,
                "choices": list(o.choices),
            }
            for o in DELIVERY_OPTIONS
        ],
    }
    script = f"var SHOP = {js_literal(config)};\n{SPA_SCRIPT}"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Summit Outfitters</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/shop.css">
</head>
<body>
<p class="promo-bar">Free returns within 30 days · Delivery from €2.90</p>
<header class="site-header">
  <a class="logo" href="/spa/" data-route>Summit Outfitters</a>
  <nav class="site-nav" aria-label="Main">
    <a href="/spa/" data-route>Shop</a>
    <a id="cart-link" data-testid="cart-link" class="cart-link" href="/spa/cart" data-route
      >Cart</a>
  </nav>
</header>
<p id="app-error" class="alert" role="alert" data-testid="app-error" hidden></p>
<main class="page" id="app" aria-live="polite"><p class="muted">Loading…</p></main>
{page_script(script, js_error)}
</body>
</html>
"""


class SpaRoutes:
    """The SPA's routes on the shop's app, sharing its sessions and orders.

    The shop passes in how to find a request's session, price it, reach DemoPay and check a
    payment, so this module needs nothing of ``shop.py`` (which adds these routes):

        SpaRoutes(session=..., session_or_new=..., summary=..., orders=...,
                  provider_url=..., paid_with=...).add_to(app)"""

    def __init__(
        self,
        *,
        session: Callable[[web.Request], Session | None],
        session_or_new: Callable[[web.Request], Session],
        summary: Callable[[web.Request, Session | None, DeliveryOption | None], CartSummary],
        orders: Callable[[web.Request], OrderBook],
        provider_url: Callable[[web.Request], str],
        paid_with: Callable[[web.Request, str, Session, CartSummary], Awaitable[str | None]],
    ) -> None:
        self._session, self._session_or_new, self._summary = session, session_or_new, summary
        self._orders, self._provider_url, self._paid_with = orders, provider_url, paid_with

    def add_to(self, app: web.Application) -> None:
        router = app.router
        router.add_get("/spa/api/products", self.products)
        router.add_get("/spa/api/products/{slug}", self.product)
        router.add_get("/spa/api/cart", self.cart)
        router.add_post("/spa/api/cart", self.cart_add)
        router.add_post("/spa/api/checkout", self.checkout)
        router.add_get("/spa/api/payment", self.payment)
        router.add_post("/spa/api/payment/complete", self.payment_complete)
        router.add_get("/spa/api/orders/{number}", self.order)
        router.add_route("*", "/spa/api/{tail:.*}", self.no_such_call)
        router.add_get("/spa", self.to_shell)
        router.add_get("/spa/{tail:.*}", self.page)

    async def to_shell(self, request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/spa/")

    async def page(self, request: web.Request) -> web.Response:
        faults = request.app[FAULTS]
        return web.Response(
            text=shell(js_error=faults.js_error(request.path)), content_type="text/html"
        )

    async def no_such_call(self, request: web.Request) -> web.Response:
        return web.json_response({"error": "no such call"}, status=404)

    async def products(self, request: web.Request) -> web.Response:
        return web.json_response({"products": [product_json(p) for p in PRODUCTS]})

    async def product(self, request: web.Request) -> web.Response:
        try:
            item = product_by_slug(request.match_info["slug"])
        except KeyError:
            return web.json_response({"error": "no such product"}, status=404)
        return web.json_response({"product": product_json(item)})

    async def cart(self, request: web.Request) -> web.Response:
        summary = self._summary(request, self._session(request), None)
        return web.json_response({"cart": summary_json(summary)})

    async def cart_add(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        try:
            item = product_by_slug(str(body.get("product", "")))
        except KeyError:
            return web.json_response({"error": "no such product"}, status=404)
        size = str(body.get("size", item.default_size))
        quantity = body.get("quantity", 1)
        if size not in item.sizes or not isinstance(quantity, int) or not 1 <= quantity <= 10:
            return web.json_response({"error": "choose a size and a quantity of 1-10"}, status=422)
        session = self._session_or_new(request)
        key = (item.slug, size)
        session.cart[key] = min(10, session.cart.get(key, 0) + quantity)
        return web.json_response({"cart": summary_json(self._summary(request, session, None))})

    async def checkout(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if session is None or not session.cart:
            return web.json_response({"error": "your cart is empty"}, status=409)
        values = {key: str(value) for key, value in (await _json_body(request)).items()}
        details, errors = validate_checkout(values)
        if details is None:
            return web.json_response({"errors": errors}, status=422)
        session.details = details
        return web.json_response({"payment": self._payment_json(request, session)})

    async def payment(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if session is None or not session.cart or session.details is None:
            return web.json_response({"error": "no checkout to pay"}, status=409)
        return web.json_response({"payment": self._payment_json(request, session)})

    def _payment_json(self, request: web.Request, session: Session) -> Json:
        assert session.details is not None
        if session.payment_reference is None:
            session.payment_reference = f"chk_{secrets.token_hex(8)}"
        summary = self._summary_for(request, session)
        query = urlencode(
            {
                "amount": summary.total_cents,
                "currency": CURRENCY,
                "reference": session.payment_reference,
                "origin": f"{request.scheme}://{request.host}",
            }
        )
        return {
            "frame_url": f"{self._provider_url(request)}/elements?{query}",
            "summary": summary_json(summary),
            "details": _details_json(session.details),
        }

    def _summary_for(self, request: web.Request, session: Session) -> CartSummary:
        delivery = session.details.delivery if session.details else None
        return self._summary(request, session, delivery)

    async def payment_complete(self, request: web.Request) -> web.Response:
        payment_id = str((await _json_body(request)).get("payment_id", ""))
        session = self._session(request)
        orders = self._orders(request)
        existing = orders.by_payment(payment_id)
        if existing is not None and session is not None and existing.session_id == session.id:
            return web.json_response({"order": existing.number})
        if session is None or not session.cart or session.details is None:
            return web.json_response({"error": "no checkout to pay"}, status=409)
        summary = self._summary_for(request, session)
        card = await self._paid_with(request, payment_id, session, summary)
        if card is None:
            return web.json_response({"error": PAYMENT_CHECK_FAILED}, status=409)
        order = orders.check_out(session, payment_id, card, summary)
        if request.app[FAULTS].has(FaultKind.NO_CONFIRMATION):
            return web.json_response({"order": None, "processing": True})
        return web.json_response({"order": order.number})

    async def order(self, request: web.Request) -> web.Response:
        session = self._session(request)
        order = self._orders(request).get(request.match_info["number"])
        if order is None or session is None or order.session_id != session.id:
            return web.json_response({"error": "no such order"}, status=404)
        return web.json_response({"order": order_json(order)})


async def _json_body(request: web.Request) -> dict[str, object]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
