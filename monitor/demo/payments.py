"""The payment provider's rules: card checks, test cards in the spirit of Stripe's, payments.

Pure: the web side lives in provider.py.

    >>> card_outcome("4242 4242 4242 4242"), card_outcome("4000 0000 0000 0002")
    (<CardOutcome.SUCCEEDED: 'succeeded'>, <CardOutcome.DECLINED: 'declined'>)
    >>> card_problem("4242 4242 4242 4241", "12/34", "123", today=date(2025, 1, 1))
    'Your card number is invalid.'
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

DECLINED_MESSAGE = "Your card was declined."
PROCESSING_FAILED_MESSAGE = "Payment could not be processed. Please try again in a few minutes."
AUTHENTICATION_FAILED_MESSAGE = (
    "We are unable to authenticate your payment method. "
    "Please choose a different payment method and try again."
)


class CardOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    PROCESSING_ERROR = "processing_error"
    REQUIRES_ACTION = "requires_action"


TEST_CARDS = {
    "4242424242424242": CardOutcome.SUCCEEDED,
    "4000000000000002": CardOutcome.DECLINED,
    "4000000000000119": CardOutcome.PROCESSING_ERROR,
    "4000002760003184": CardOutcome.REQUIRES_ACTION,
}


def digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def card_problem(number: str, expiry: str, cvc: str, *, today: date) -> str | None:
    """What is wrong with the card as typed, in the words the card form shows; None if fine."""
    number = digits(number)
    if len(number) < 13 or len(number) > 19:
        return "Your card number is incomplete."
    if not luhn_valid(number):
        return "Your card number is invalid."
    month_text, _, year_text = expiry.replace(" ", "").partition("/")
    if not (month_text.isdigit() and year_text.isdigit() and len(year_text) in (2, 4)):
        return "Your card's expiration date is incomplete."
    month, year = int(month_text), int(year_text) % 100 + 2000
    if not 1 <= month <= 12:
        return "Your card's expiration month is invalid."
    if (year, month) < (today.year, today.month):
        return "Your card's expiration date is in the past."
    if not (cvc.isdigit() and len(cvc) in (3, 4)):
        return "Your card's security code is incomplete."
    return None


def card_outcome(number: str) -> CardOutcome:
    """What the card network says; any valid card that is not a special test card succeeds."""
    return TEST_CARDS.get(digits(number), CardOutcome.SUCCEEDED)


def card_brand(number: str) -> str:
    first = digits(number)[:2]
    if first.startswith("4"):
        return "Visa"
    if first in ("34", "37"):
        return "American Express"
    if first[:1] == "5" or first[:1] == "2":
        return "Mastercard"
    return "Card"


class PaymentStatus(StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    FAILED = "failed"
    REQUIRES_ACTION = "requires_action"


@dataclass
class Payment:
    """One attempt to pay, as the provider records it."""

    id: str
    reference: str
    amount_cents: int
    currency: str
    shop_origin: str
    card_brand: str
    card_last4: str
    status: PaymentStatus

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "reference": self.reference,
            "amount": self.amount_cents,
            "currency": self.currency,
            "status": str(self.status),
            "card": {"brand": self.card_brand, "last4": self.card_last4},
        }


class PaymentLedger:
    """Payments by id, bounded like the shop's own stores.

    >>> ledger = PaymentLedger()
    >>> payment = ledger.record("ref", 8900, "EUR", "http://127.0.0.1:8080", "4242424242424242",
    ...                         PaymentStatus.SUCCEEDED)
    >>> ledger.get(payment.id) is payment, payment.card_last4
    (True, '4242')
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._payments: OrderedDict[str, Payment] = OrderedDict()

    def record(
        self,
        reference: str,
        amount_cents: int,
        currency: str,
        shop_origin: str,
        card_number: str,
        status: PaymentStatus,
    ) -> Payment:
        number = digits(card_number)
        payment = Payment(
            id=f"pay_{secrets.token_hex(10)}",
            reference=reference,
            amount_cents=amount_cents,
            currency=currency,
            shop_origin=shop_origin,
            card_brand=card_brand(number),
            card_last4=number[-4:],
            status=status,
        )
        self._payments[payment.id] = payment
        while len(self._payments) > self._limit:
            self._payments.popitem(last=False)
        return payment

    def get(self, payment_id: str) -> Payment | None:
        return self._payments.get(payment_id)

    def set_status(self, payment_id: str, status: PaymentStatus) -> None:
        self._payments[payment_id].status = status
