"""What the demo shop remembers: shopper sessions (cart, checkout details) and placed orders.

Kept in memory per shop instance and bounded, so a monitor walking the shop all day (a fresh
browser context, so a fresh session, every run) cannot grow it without limit.

    >>> sessions = SessionStore(limit=2)
    >>> session = sessions.create()
    >>> session.cart[("trail-runner", "42")] = 1
    >>> sessions.get(session.id) is session, sessions.get("forged") is None
    (True, True)
"""

from __future__ import annotations

import re
import secrets
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

from monitor.demo.catalog import (
    COUNTRIES,
    DELIVERY_OPTIONS,
    CartKey,
    CartSummary,
    DeliveryOption,
)

DEFAULT_LIMIT = 10_000


@dataclass(frozen=True)
class CheckoutDetails:
    """What the shopper typed on the checkout page, already validated."""

    email: str
    name: str
    street: str
    postcode: str
    city: str
    country: str
    delivery: DeliveryOption
    delivery_choice: str


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_POSTCODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$")
_REQUIRED = {
    "name": "Enter your full name",
    "street": "Enter your street and house number",
    "city": "Enter your town or city",
}


def validate_checkout(form: Mapping[str, str]) -> tuple[CheckoutDetails | None, dict[str, str]]:
    """Check the checkout form; returns the details, or None and an error per field id.

    >>> details, errors = validate_checkout({"email": "sam@example", "delivery": "home"})
    >>> details is None, errors["email"]
    (True, 'Enter an email address like name@example.com')
    """
    value = {
        key: form.get(key, "").strip()
        for key in ("email", "name", "street", "postcode", "city", "country", "delivery")
    }
    errors = {key: message for key, message in _REQUIRED.items() if not value[key]}
    if not _EMAIL.match(value["email"]):
        errors["email"] = "Enter an email address like name@example.com"
    if not _POSTCODE.match(value["postcode"]):
        errors["postcode"] = "Enter a valid postcode"
    if value["country"] not in COUNTRIES:
        errors["country"] = "Choose a country"
    delivery = next((o for o in DELIVERY_OPTIONS if o.code == value["delivery"]), None)
    choice = ""
    if delivery is None:
        errors["delivery"] = "Choose a delivery method"
    else:
        choice = form.get(delivery.choice_id, "").strip()
        if choice not in delivery.choices:
            errors[delivery.choice_id] = f"{delivery.choice_label}: choose one of the options"
    if errors or delivery is None:
        return None, errors
    details = CheckoutDetails(
        value["email"],
        value["name"],
        value["street"],
        value["postcode"],
        value["city"],
        value["country"],
        delivery,
        choice,
    )
    return details, {}


@dataclass
class Session:
    id: str
    cart: dict[CartKey, int] = field(default_factory=dict)
    details: CheckoutDetails | None = None
    # Ties a payment at the provider to this checkout; renewed after each order.
    payment_reference: str | None = None
    # Shown once on the payment page after a payment the shop could not confirm.
    payment_notice: str | None = None
    customer: str | None = None  # the signed-in account's e-mail
    pending_customer: str | None = None  # signed in with a password, the second factor to come


class SessionStore:
    """Sessions by id, forgetting the least recently used beyond ``limit``."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._limit = limit
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def get(self, session_id: str | None) -> Session | None:
        session = self._sessions.get(session_id or "")
        if session is not None:
            self._sessions.move_to_end(session.id)
        return session

    def create(self) -> Session:
        session = Session(secrets.token_urlsafe(18))
        self._sessions[session.id] = session
        while len(self._sessions) > self._limit:
            self._sessions.popitem(last=False)
        return session

    def __len__(self) -> int:
        return len(self._sessions)


@dataclass(frozen=True)
class Order:
    number: str
    session_id: str
    payment_id: str
    card_description: str
    summary: CartSummary
    details: CheckoutDetails


class OrderBook:
    """Placed orders, numbered ``SO-100001``, ``SO-100002``, ...; one order per payment.

    >>> book = OrderBook()
    >>> book.next_number()
    'SO-100001'
    """

    def __init__(self, limit: int = DEFAULT_LIMIT, first_number: int = 100_001) -> None:
        self._limit = limit
        self._next = first_number
        self._orders: OrderedDict[str, Order] = OrderedDict()

    def next_number(self) -> str:
        return f"SO-{self._next}"

    def place(
        self,
        *,
        session_id: str,
        payment_id: str,
        card_description: str,
        summary: CartSummary,
        details: CheckoutDetails,
    ) -> Order:
        """Record an order; a payment that already has an order gets that order back."""
        existing = self.by_payment(payment_id)
        if existing is not None:
            return existing
        order = Order(
            self.next_number(), session_id, payment_id, card_description, summary, details
        )
        self._next += 1
        self._orders[order.number] = order
        while len(self._orders) > self._limit:
            self._orders.popitem(last=False)
        return order

    def check_out(
        self, session: Session, payment_id: str, card_description: str, summary: CartSummary
    ) -> Order:
        """The session's paid checkout becomes an order; its cart and details are done with."""
        assert session.details is not None, "a checkout to pay has its details"
        order = self.place(
            session_id=session.id,
            payment_id=payment_id,
            card_description=card_description,
            summary=summary,
            details=session.details,
        )
        session.cart.clear()
        session.details = None
        session.payment_reference = None
        return order

    def get(self, number: str) -> Order | None:
        return self._orders.get(number)

    def by_payment(self, payment_id: str) -> Order | None:
        return next((o for o in self._orders.values() if o.payment_id == payment_id), None)

    def all(self) -> tuple[Order, ...]:
        return tuple(self._orders.values())
