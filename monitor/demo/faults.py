"""Faults the demo shop can be told to show: their names, parsing and the live set.

A fault name is a contract shared by tests, journeys and people, so it is parsed strictly into a
typed :class:`Fault` and printed back in one canonical form. Pure: no aiohttp, no I/O.

    >>> faults = FaultSet(["slow:/checkout=1500", "decline-all"])
    >>> faults.delay_ms("/checkout"), faults.has(FaultKind.DECLINE_ALL)
    (1500, True)
    >>> faults.add(["pay-button=covered"])
    >>> faults.names()
    ['slow:/checkout=1500', 'decline-all', 'pay-button=covered']
    >>> parse_fault("status:/cart=502")
    Fault(kind=<FaultKind.STATUS: 'status'>, route='/cart', value=502, mode=None)

Routes are request paths (``/product/trail-runner``, ``/api/pay``); a trailing ``*`` matches every
path under a prefix (``/product/*``). The shop and the payment provider share one FaultSet and
their paths never overlap, so a route names exactly one page.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from monitor.errors import ConfigError

MAX_DELAY_MS = 600_000


class FaultKind(StrEnum):
    SLOW = "slow"
    STATUS = "status"
    SOFT_ERROR = "soft-error"
    JS_ERROR = "js-error"
    DECLINE_ALL = "decline-all"
    PAYMENT_ERROR = "payment-error"
    PAYMENT_HANG = "payment-hang"
    PAY_BUTTON = "pay-button"
    NO_CONFIRMATION = "no-confirmation"
    BROKEN_IMAGES = "broken-images"
    PRICE_MISMATCH = "price-mismatch"
    SLOW_SCRIPT = "slow-script"
    NO_SIZE_CHART = "no-size-chart"
    BOT_WALL = "bot-wall"
    # What the shopper feels (frustration signals) and what a screen reader meets.
    DEAD_CLICK = "dead-click"
    ERROR_CLICK = "error-click"
    JUMPING_BUTTON = "jumping-button"
    ERROR_ALERT = "error-alert"
    A11Y_CARD_LABEL = "a11y-card-label"
    A11Y_PAY_ICON = "a11y-pay-icon"
    A11Y_LOW_CONTRAST = "a11y-low-contrast"


class PayButtonMode(StrEnum):
    HIDDEN = "hidden"
    DISABLED = "disabled"
    COVERED = "covered"
    OFFSCREEN_MOBILE = "offscreen-mobile"


@dataclass(frozen=True)
class FaultSpec:
    """How one kind of fault is written, an example, and what the shopper will see."""

    kind: FaultKind
    syntax: str
    example: str
    description: str


FAULT_SPECS: tuple[FaultSpec, ...] = (
    FaultSpec(
        FaultKind.SLOW,
        "slow:ROUTE=MS",
        "slow:/checkout=2000",
        "delay every response on ROUTE by MS milliseconds (pages, images, /api/pay)",
    ),
    FaultSpec(
        FaultKind.STATUS,
        "status:ROUTE=CODE",
        "status:/cart=502",
        "answer ROUTE with HTTP CODE and an nginx-style error page ('502 Bad Gateway')",
    ),
    FaultSpec(
        FaultKind.SOFT_ERROR,
        "soft-error:ROUTE",
        "soft-error:/checkout",
        "answer ROUTE with HTTP 200 and a 'Something went wrong' page",
    ),
    FaultSpec(
        FaultKind.JS_ERROR,
        "js-error:ROUTE",
        "js-error:/payment",
        "uncaught TypeError on ROUTE stops its scripts (on /payment: Pay now does nothing)",
    ),
    FaultSpec(
        FaultKind.DECLINE_ALL,
        "decline-all",
        "decline-all",
        "every card is declined: 'Your card was declined.'",
    ),
    FaultSpec(
        FaultKind.PAYMENT_ERROR,
        "payment-error",
        "payment-error",
        "/api/pay fails with HTTP 500: 'Payment could not be processed.'",
    ),
    FaultSpec(
        FaultKind.PAYMENT_HANG,
        "payment-hang",
        "payment-hang",
        "/api/pay never answers; Pay now spins forever",
    ),
    FaultSpec(
        FaultKind.PAY_BUTTON,
        "pay-button=hidden|disabled|covered|offscreen-mobile",
        "pay-button=covered",
        "Pay now is hidden, disabled, covered by a cookie banner, or off-screen on phones",
    ),
    FaultSpec(
        FaultKind.NO_CONFIRMATION,
        "no-confirmation",
        "no-confirmation",
        "payment succeeds but the shopper lands on 'Processing your order' forever",
    ),
    FaultSpec(
        FaultKind.BROKEN_IMAGES,
        "broken-images",
        "broken-images",
        "product images answer 404 and show as broken",
    ),
    FaultSpec(
        FaultKind.PRICE_MISMATCH,
        "price-mismatch",
        "price-mismatch",
        "cart totals use a stale price: total != price x quantity",
    ),
    FaultSpec(
        FaultKind.SLOW_SCRIPT,
        "slow-script=MS",
        "slow-script=3000",
        "a third-party script tag takes MS milliseconds and holds up the load event",
    ),
    FaultSpec(
        FaultKind.NO_SIZE_CHART,
        "no-size-chart",
        "no-size-chart",
        "a redesign dropped the size chart from product pages",
    ),
    FaultSpec(
        FaultKind.BOT_WALL,
        "bot-wall",
        "bot-wall",
        "bot protection answers 403 with a challenge page unless the request carries the "
        "allowlist header the shop prints at start",
    ),
    FaultSpec(
        FaultKind.DEAD_CLICK,
        "dead-click",
        "dead-click",
        "Add to cart shows nothing for 1.5 s before it adds (a dead click)",
    ),
    FaultSpec(
        FaultKind.ERROR_CLICK,
        "error-click",
        "error-click",
        "a broken tracking handler throws a TypeError on each Add to cart (it still adds)",
    ),
    FaultSpec(
        FaultKind.JUMPING_BUTTON,
        "jumping-button",
        "jumping-button",
        "a stock banner pushes Add to cart down just as it becomes usable",
    ),
    FaultSpec(
        FaultKind.ERROR_ALERT,
        "error-alert",
        "error-alert",
        "checkout shows an alert 'We could not check your address' (the shopper goes on)",
    ),
    FaultSpec(
        FaultKind.A11Y_CARD_LABEL,
        "a11y-card-label",
        "a11y-card-label",
        "the card number field loses its label (a screen reader cannot name it)",
    ),
    FaultSpec(
        FaultKind.A11Y_PAY_ICON,
        "a11y-pay-icon",
        "a11y-pay-icon",
        "Pay now becomes an icon button without a name",
    ),
    FaultSpec(
        FaultKind.A11Y_LOW_CONTRAST,
        "a11y-low-contrast",
        "a11y-low-contrast",
        "prices in light grey on white (too little contrast)",
    ),
)

_ROUTED = {FaultKind.SLOW, FaultKind.STATUS, FaultKind.SOFT_ERROR, FaultKind.JS_ERROR}
_ROUTE_VALUED = {FaultKind.SLOW, FaultKind.STATUS}


class FaultError(ConfigError, ValueError):
    """One or more fault names are wrong; the message lists every valid fault.

    >>> try:
    ...     parse_faults(["decline-al"])
    ... except FaultError as error:
    ...     print(error.invalid)
    ['decline-al']
    """

    def __init__(self, problems: list[str], invalid: list[str]) -> None:
        self.problems = problems
        self.invalid = invalid
        valid = ", ".join(spec.syntax for spec in FAULT_SPECS)
        super().__init__("; ".join(problems) + f". Valid faults: {valid}")


@dataclass(frozen=True)
class Fault:
    """One parsed fault. ``str(fault)`` gives its canonical name back.

    ``route`` is set for slow/status/soft-error/js-error; ``value`` holds milliseconds (slow,
    slow-script) or an HTTP status code (status); ``mode`` is set for pay-button.
    """

    kind: FaultKind
    route: str | None = None
    value: int | None = None
    mode: PayButtonMode | None = None

    @property
    def key(self) -> str:
        """What makes two faults the same slot: a newer one of the same key replaces the older."""
        return f"{self.kind}:{self.route}" if self.route is not None else str(self.kind)

    def matches(self, path: str) -> bool:
        """Whether this fault's route covers the request path."""
        if self.route is None:
            return False
        if self.route.endswith("*"):
            return path.startswith(self.route[:-1])
        return path == self.route

    def __str__(self) -> str:
        if self.kind in _ROUTE_VALUED:
            return f"{self.kind}:{self.route}={self.value}"
        if self.kind in _ROUTED:
            return f"{self.kind}:{self.route}"
        if self.kind is FaultKind.PAY_BUTTON:
            return f"{self.kind}={self.mode}"
        if self.kind is FaultKind.SLOW_SCRIPT:
            return f"{self.kind}={self.value}"
        return str(self.kind)


def _spec(kind: FaultKind) -> FaultSpec:
    return next(spec for spec in FAULT_SPECS if spec.kind is kind)


def _malformed(name: str, kind: FaultKind, why: str) -> ValueError:
    spec = _spec(kind)
    return ValueError(f"fault {name!r}: {why}; write {spec.syntax}, e.g. {spec.example}")


def _route(name: str, kind: FaultKind, route: str) -> str:
    if not route.startswith("/") or any(c.isspace() for c in route) or "*" in route[:-1]:
        raise _malformed(name, kind, f"route {route!r} must be a path starting with '/'")
    return route


def _number(name: str, kind: FaultKind, text: str, low: int, high: int, what: str) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise _malformed(name, kind, f"{what} {text!r} must be a whole number {low}..{high}")
    return int(text)


def _kind_of(name: str) -> FaultKind:
    head = name.split(":", 1)[0].split("=", 1)[0].strip()
    try:
        return FaultKind(head)
    except ValueError:
        close = difflib.get_close_matches(head, [str(k) for k in FaultKind], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown fault {name!r}{hint}") from None


def parse_fault(name: str) -> Fault:
    """Parse one fault name; ValueError says what is wrong and how to write it.

    >>> str(parse_fault("slow:/product/*=250"))
    'slow:/product/*=250'
    """
    name = name.strip()
    kind = _kind_of(name)
    rest = name[len(kind) :]
    if kind in _ROUTE_VALUED:
        route, sep, value = rest.removeprefix(":").rpartition("=")
        if not rest.startswith(":") or not sep:
            raise _malformed(name, kind, "missing ROUTE or value")
        if kind is FaultKind.SLOW:
            ms = _number(name, kind, value, 0, MAX_DELAY_MS, "delay")
            return Fault(kind, _route(name, kind, route), ms)
        code = _number(name, kind, value, 400, 599, "status code")
        return Fault(kind, _route(name, kind, route), code)
    if kind in _ROUTED:
        if not rest.startswith(":"):
            raise _malformed(name, kind, "missing ROUTE")
        return Fault(kind, _route(name, kind, rest[1:]))
    if kind is FaultKind.PAY_BUTTON:
        try:
            return Fault(kind, mode=PayButtonMode(rest.removeprefix("=")))
        except ValueError:
            raise _malformed(name, kind, f"unknown mode {rest.removeprefix('=')!r}") from None
    if kind is FaultKind.SLOW_SCRIPT:
        if not rest.startswith("="):
            raise _malformed(name, kind, "missing =MS")
        return Fault(kind, value=_number(name, kind, rest[1:], 0, MAX_DELAY_MS, "delay"))
    if rest:
        raise _malformed(name, kind, f"takes no argument, got {rest!r}")
    return Fault(kind)


def parse_faults(names: Iterable[str | Fault]) -> list[Fault]:
    """Parse every name, reporting all bad ones at once in one FaultError."""
    faults: list[Fault] = []
    problems: list[str] = []
    invalid: list[str] = []
    for name in names:
        if isinstance(name, Fault):
            faults.append(name)
            continue
        try:
            faults.append(parse_fault(name))
        except ValueError as error:
            problems.append(str(error))
            invalid.append(name)
    if problems:
        raise FaultError(problems, invalid)
    return faults


class FaultSet:
    """The live, thread-safe set of active faults, shared by the shop and the payment provider.

    A fault replaces an active one with the same key (kind and route), so
    ``slow:/cart=100`` then ``slow:/cart=900`` leaves one 900 ms delay.

        >>> faults = FaultSet()
        >>> faults.add(["slow:/cart=100", "slow:/cart=900"])
        >>> faults.names(), faults.remove("slow:/cart"), faults.names()
        (['slow:/cart=900'], True, [])
    """

    def __init__(self, faults: Iterable[str | Fault] = ()) -> None:
        self._lock = threading.Lock()
        self._active: dict[str, Fault] = {}
        self.add(faults)

    def add(self, faults: Iterable[str | Fault]) -> None:
        """Activate faults; nothing changes if any name is invalid (FaultError)."""
        parsed = parse_faults(faults)
        with self._lock:
            for fault in parsed:
                self._active.pop(fault.key, None)
                self._active[fault.key] = fault

    def replace(self, faults: Iterable[str | Fault]) -> None:
        """Make exactly these faults active (FaultError leaves the set unchanged)."""
        parsed = parse_faults(faults)
        with self._lock:
            self._active = {fault.key: fault for fault in parsed}

    def remove(self, name: str) -> bool:
        """Deactivate one fault, named in full (``slow:/cart=900``) or by key (``slow:/cart``)."""
        with self._lock:
            for key, fault in list(self._active.items()):
                if name.strip() in (key, str(fault)):
                    del self._active[key]
                    return True
        return False

    def clear(self) -> None:
        with self._lock:
            self._active.clear()

    def active(self) -> tuple[Fault, ...]:
        with self._lock:
            return tuple(self._active.values())

    def names(self) -> list[str]:
        return [str(fault) for fault in self.active()]

    def has(self, kind: FaultKind) -> bool:
        return any(fault.kind is kind for fault in self.active())

    def _routed(self, kind: FaultKind, path: str) -> Fault | None:
        matching = [f for f in self.active() if f.kind is kind and f.matches(path)]
        return matching[-1] if matching else None

    def delay_ms(self, path: str) -> int:
        """Milliseconds to hold a response to ``path`` (the largest matching slow fault)."""
        delays = [
            f.value or 0 for f in self.active() if f.kind is FaultKind.SLOW and f.matches(path)
        ]
        return max(delays, default=0)

    def status_for(self, path: str) -> int | None:
        fault = self._routed(FaultKind.STATUS, path)
        return fault.value if fault else None

    def soft_error(self, path: str) -> bool:
        return self._routed(FaultKind.SOFT_ERROR, path) is not None

    def js_error(self, path: str) -> bool:
        return self._routed(FaultKind.JS_ERROR, path) is not None

    def pay_button(self) -> PayButtonMode | None:
        modes = [f.mode for f in self.active() if f.kind is FaultKind.PAY_BUTTON]
        return modes[-1] if modes else None

    def slow_script_ms(self) -> int | None:
        values = [f.value for f in self.active() if f.kind is FaultKind.SLOW_SCRIPT]
        return values[-1] if values else None

    def __repr__(self) -> str:
        return f"FaultSet({self.names()!r})"
