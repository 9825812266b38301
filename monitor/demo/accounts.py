"""Customer accounts on the demo shop: sign up (an unused e-mail), sign in, a TOTP second factor.

One account with two-factor sign-in is made at start; its e-mail, password and TOTP secret are
printed, as a shop's test account would be handed to the people who monitor it.

    >>> book = AccountBook()
    >>> book.sign_up("sam@example.com", "pw-12345")
    >>> book.sign_up("sam@example.com", "other")
    Traceback (most recent call last):
    ...
    monitor.demo.accounts.EmailTaken: sam@example.com
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pyotp
from aiohttp import web

from monitor.demo.layout import esc

TWO_FACTOR_EMAIL = "two-factor@example.com"
MAX_ACCOUNTS = 10_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class EmailTaken(ValueError):
    """Someone already signed up with this e-mail."""


@dataclass(frozen=True)
class Account:
    email: str
    salt: bytes
    password_hash: bytes
    totp_secret: str | None = None

    def password_is(self, password: str) -> bool:
        return hmac.compare_digest(_hash(self.salt, password), self.password_hash)


def _hash(salt: bytes, password: str) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 10_000)


class AccountBook:
    """Accounts by e-mail (case-insensitive), thread-safe and bounded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        self.codes_entered: list[str] = []  # second-factor codes, as tests want to know them

    def sign_up(self, email: str, password: str, totp_secret: str | None = None) -> None:
        salt = secrets.token_bytes(16)
        account = Account(email, salt, _hash(salt, password), totp_secret)
        with self._lock:
            if email.lower() in self._accounts:
                raise EmailTaken(email)
            if len(self._accounts) >= MAX_ACCOUNTS:
                self._accounts.pop(next(iter(self._accounts)))
            self._accounts[email.lower()] = account

    def get(self, email: str) -> Account | None:
        with self._lock:
            return self._accounts.get(email.lower())

    def __len__(self) -> int:
        return len(self._accounts)


@dataclass(frozen=True)
class TwoFactorAccount:
    """The account made at start whose sign-in asks for a TOTP code."""

    email: str
    password: str
    totp_secret: str


def make_two_factor_account(book: AccountBook) -> TwoFactorAccount:
    account = TwoFactorAccount(TWO_FACTOR_EMAIL, secrets.token_urlsafe(12), pyotp.random_base32())
    book.sign_up(account.email, account.password, account.totp_secret)
    return account


# --- pages ------------------------------------------------------------------------------------


def _field(name: str, label: str, kind: str, autocomplete: str, extra: str = "") -> str:
    return f"""<div class="field"><label for="{name}">{esc(label)}</label>
  <input id="{name}" name="{name}" type="{kind}" autocomplete="{autocomplete}" required{extra}>
</div>"""


def _form(title: str, action: str, fields: str, button: str, error: str, after: str = "") -> str:
    notice = (
        f'<p class="field-error" role="alert" data-testid="form-error">{esc(error)}</p>'
        if error
        else ""
    )
    return f"""<section class="account"><h1>{esc(title)}</h1>{notice}
<form method="post" action="{action}" novalidate>{fields}
  <button class="button button--primary button--wide" type="submit">{esc(button)}</button>
</form>{after}</section>"""


def signup_body(error: str = "") -> str:
    fields = _field("email", "E-mail", "email", "email") + _field(
        "password", "Password", "password", "new-password"
    )
    after = '<p>Have an account? <a href="/account/signin">Sign in</a></p>'
    return _form("Create your account", "/account/signup", fields, "Create account", error, after)


def signin_body(error: str = "") -> str:
    fields = _field("email", "E-mail", "email", "username") + _field(
        "password", "Password", "password", "current-password"
    )
    after = '<p>New here? <a href="/account/signup">Create an account</a></p>'
    return _form("Sign in", "/account/signin", fields, "Sign in", error, after)


def verify_body(error: str = "") -> str:
    fields = _field(
        "code", "Code from your authenticator app", "text", "one-time-code", ' inputmode="numeric"'
    )
    return _form("Two-step verification", "/account/verify", fields, "Verify", error)


def account_body(email: str, welcome: bool) -> str:
    greeting = "<p data-testid=account-ready>Your account is ready.</p>" if welcome else ""
    return f"""<section class="account"><h1>Your account</h1>{greeting}
<p data-testid="signed-in-as">Signed in as {esc(email)}</p>
<p><a class="button" href="/">Continue shopping</a></p></section>"""


# --- handlers -----------------------------------------------------------------------------------

Page = Callable[[web.Request, str, str], web.Response]  # (request, title, body) -> page


@dataclass(frozen=True)
class AccountRoutes:
    """The account pages, given how the shop renders a page and keeps the signed-in e-mail."""

    book: AccountBook
    page: Page
    signed_in: Callable[[web.Request], str | None]
    sign_in: Callable[[web.Request, str | None, str | None], None]  # (customer, pending)
    pending: Callable[[web.Request], str | None]

    def add_to(self, app: web.Application) -> None:
        routes: list[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]] = [
            ("GET", "/account", self.account),
            ("GET", "/account/signup", self.signup_form),
            ("POST", "/account/signup", self.signup),
            ("GET", "/account/signin", self.signin_form),
            ("POST", "/account/signin", self.signin),
            ("GET", "/account/verify", self.verify_form),
            ("POST", "/account/verify", self.verify),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)

    async def account(self, request: web.Request) -> web.StreamResponse:
        email = self.signed_in(request)
        if email is None:
            raise web.HTTPSeeOther("/account/signin")
        return self.page(request, "Your account", account_body(email, "welcome" in request.query))

    async def signup_form(self, request: web.Request) -> web.StreamResponse:
        return self.page(request, "Create your account", signup_body())

    async def signup(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        email, password = str(form.get("email", "")).strip(), str(form.get("password", ""))
        if not _EMAIL.match(email):
            return self.page(request, "Create your account", signup_body("Enter a valid e-mail"))
        if len(password) < 8:
            error = "Choose a password of at least 8 characters"
            return self.page(request, "Create your account", signup_body(error))
        try:
            self.book.sign_up(email, password)
        except EmailTaken:
            error = "An account with this e-mail already exists. Sign in instead?"
            return self.page(request, "Create your account", signup_body(error))
        self.sign_in(request, email, None)
        raise web.HTTPSeeOther("/account?welcome=1")

    async def signin_form(self, request: web.Request) -> web.StreamResponse:
        return self.page(request, "Sign in", signin_body())

    async def signin(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        email, password = str(form.get("email", "")).strip(), str(form.get("password", ""))
        account = self.book.get(email)
        if account is None or not account.password_is(password):
            return self.page(request, "Sign in", signin_body("Wrong e-mail or password"))
        if account.totp_secret is not None:
            self.sign_in(request, None, account.email)
            raise web.HTTPSeeOther("/account/verify")
        self.sign_in(request, account.email, None)
        raise web.HTTPSeeOther("/account")

    async def verify_form(self, request: web.Request) -> web.StreamResponse:
        if self.pending(request) is None:
            raise web.HTTPSeeOther("/account/signin")
        return self.page(request, "Two-step verification", verify_body())

    async def verify(self, request: web.Request) -> web.StreamResponse:
        email = self.pending(request)
        account = self.book.get(email) if email else None
        if account is None or account.totp_secret is None:
            raise web.HTTPSeeOther("/account/signin")
        code = str((await request.post()).get("code", "")).strip()
        if len(self.book.codes_entered) < MAX_ACCOUNTS:
            self.book.codes_entered.append(code)
        if not pyotp.TOTP(account.totp_secret).verify(code, valid_window=1):
            error = "That code is not right. Enter the current code from your app."
            return self.page(request, "Two-step verification", verify_body(error))
        self.sign_in(request, account.email, None)
        raise web.HTTPSeeOther("/account")
