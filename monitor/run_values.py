"""Values made fresh for each run: `${run.id}`, `${run.timestamp}` and `${totp:NAME}`.

A journey that signs up needs an e-mail nobody used before, every run and in parallel; one that
signs in to an account with two-factor sign-in needs the code of the moment. The loader checks
these at load time (the TOTP secret is read from the environment then, and masked); a run fills
them in where it fills in remembered values, when the step runs. No Playwright here.

    >>> codes: list[str] = []
    >>> values = RunValues({"SHOP_TOTP": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}, codes.append, now=0.0)
    >>> code = values.get("totp:SHOP_TOTP")
    >>> values.get("run.timestamp"), len(code), codes == [code]
    ('1970-01-01T00:00:00Z', 6, True)
"""

from __future__ import annotations

import binascii
import re
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pyotp

RUN_VALUES = ("run.id", "run.timestamp")
# What `${...}` may hold besides an environment variable or a remembered name.
RUN_VALUE_BODY = re.compile(r"^(run\.[A-Za-z_]*|totp:([A-Za-z_][A-Za-z0-9_]*))$")
TOTP_PREFIX = "totp:"


def run_value_problem(body: str) -> str | None:
    """Why `${body}` is not a per-run value it looks like, or None when it is fine."""
    if body.startswith("run.") and body not in RUN_VALUES:
        return f"unknown per-run value '${{{body}}}'; one of: ${{run.id}}, ${{run.timestamp}}"
    return None


def totp_secret_problem(secret: str) -> str | None:
    """Why a TOTP secret cannot make codes (it must be base32, as authenticator apps take it)."""
    try:
        pyotp.TOTP(_normal(secret)).now()
    except (binascii.Error, ValueError):
        return (
            "is not a base32 TOTP secret (at least 23 of the letters A-Z and digits 2-7, "
            "as authenticator apps are given)"
        )
    return None


def _normal(secret: str) -> str:
    return secret.replace(" ", "").upper()


def new_run_id(now: float) -> str:
    """Unique per run and safe in an e-mail's local part: `20261205t141850-9f3ac2d1`."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dt%H%M%S")
    return f"{stamp}-{secrets.token_hex(4)}"


class RunValues(dict[str, str]):
    """A run's memory of remembered values that also knows the per-run ones.

    `remember` steps store into it as into a dict; `run.id` and `run.timestamp` are fixed for
    the run; `totp:NAME` is a new code each time it is read, reported to `on_secret` so the run
    masks it. Reading a per-run value never stores it, so it is never listed with what was
    remembered.
    """

    def __init__(
        self,
        totp_secrets: Mapping[str, str],
        on_secret: Callable[[str], None],
        now: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        started = clock() if now is None else now
        self._totp = {name: pyotp.TOTP(_normal(s)) for name, s in totp_secrets.items()}
        self._on_secret = on_secret
        self._clock = clock
        self._fixed = {
            "run.id": new_run_id(started),
            "run.timestamp": datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def _made(self, key: str) -> str | None:
        if key in self._fixed:
            return self._fixed[key]
        if key.startswith(TOTP_PREFIX) and (totp := self._totp.get(key[len(TOTP_PREFIX) :])):
            code = totp.at(self._clock())
            self._on_secret(code)
            return code
        return None

    def __getitem__(self, key: str) -> str:
        if key in self.keys():
            return super().__getitem__(key)
        made = self._made(key)
        if made is None:
            raise KeyError(key)
        return made

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.keys():
            return super().__getitem__(key)
        made = self._made(key)
        return default if made is None else made

    def __bool__(self) -> bool:
        return True  # per-run values are there even before anything is remembered
