"""A demo shop with every gate shut, and a journey that passes them all, for the secret-leak
tests: basic auth, the bot wall's allowlist header and a two-factor sign-in."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor.demo import DemoShopThread

STAGING_PASSWORD = "staging-Pw-7731"

GATED_JOURNEY = """\
name: gated-sign-in
base_url: ${GATED_URL}
every: 2s
retries: 0
timeout: 5s
http_credentials: {username: staging, password: "${STAGING_PASSWORD}"}
headers: {X-Shop-Allowlist: "${ALLOWLIST_TOKEN}"}
steps:
  - goto: /account/signin
  - fill: {label: E-mail, value: two-factor@example.com}
  - fill: {label: Password, value: "${SHOP_PASSWORD}"}
  - click: {role: button, name: Sign in}
  - fill: {label: Code from your authenticator app, value: "${totp:SHOP_TOTP_SECRET}"}
  - click: {role: button, name: Verify}
  - expect: {text: Signed in as somebody else}   # fails after signing in: artifacts are written
"""


@contextmanager
def gated_shop() -> Iterator[DemoShopThread]:
    with DemoShopThread(basic_auth=("staging", STAGING_PASSWORD), faults=["bot-wall"]) as shop:
        yield shop


def write_gated_journey(folder: Path, shop: DemoShopThread) -> tuple[Path, dict[str, str]]:
    """The journey file, and the environment it needs."""
    path = folder / "gated.yaml"
    path.write_text(GATED_JOURNEY)
    account = shop.gates.two_factor_account
    env = {
        "GATED_URL": shop.url,
        "STAGING_PASSWORD": STAGING_PASSWORD,
        "ALLOWLIST_TOKEN": shop.gates.allowlist_header[1],
        "SHOP_PASSWORD": account.password,
        "SHOP_TOTP_SECRET": account.totp_secret,
    }
    return path, env


def gate_secrets(shop: DemoShopThread) -> list[str]:
    """Everything that must never be written anywhere: the staging password (and the header it
    makes), the allowlist token, the account's password, its TOTP secret and each code typed."""
    account = shop.gates.two_factor_account
    basic = base64.b64encode(f"staging:{STAGING_PASSWORD}".encode()).decode()
    codes = shop.accounts.codes_entered
    assert codes, "the journey never got to type a code"
    secrets = [STAGING_PASSWORD, basic, shop.gates.allowlist_header[1], account.password]
    return [*secrets, account.totp_secret, *codes]
