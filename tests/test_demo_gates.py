"""The demo shop's gates over plain HTTP: basic auth, the bot wall, accounts with a TOTP second
factor, and the analytics origin's counter."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import aiohttp
import pyotp
import pytest

from monitor.demo import DemoShop, start_demo_shop
from monitor.demo.__main__ import main


@pytest.fixture
async def shop() -> AsyncIterator[DemoShop]:
    async with await start_demo_shop(basic_auth=("staging", "pw-1"), analytics=True) as running:
        yield running


def ip_cookies() -> aiohttp.CookieJar:
    return aiohttp.CookieJar(unsafe=True)  # the shop is on 127.0.0.1


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def test_basic_auth_guards_every_path_of_the_shop_not_the_provider(shop: DemoShop) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(shop.url + "/") as bare:
            assert bare.status == 401 and "Basic" in bare.headers["WWW-Authenticate"]
        async with http.get(shop.url + "/cart", headers=basic("staging", "wrong")) as wrong:
            assert wrong.status == 401
        async with http.get(shop.url + "/", headers=basic("staging", "pw-1")) as right:
            assert right.status == 200 and f"{shop.analytics_url}/tag.js" in await right.text()
        async with http.get(shop.provider_url + "/elements?amount=1") as provider:
            assert provider.status != 401


async def test_the_bot_wall_challenges_all_but_the_allowlisted(shop: DemoShop) -> None:
    shop.faults.add(["bot-wall"])
    name, token = shop.gates.allowlist_header
    auth = basic("staging", "pw-1")
    async with aiohttp.ClientSession(headers=auth) as http:
        async with http.get(shop.url + "/") as walled:
            assert walled.status == 403 and walled.headers["cf-mitigated"] == "challenge"
            assert "Checking your browser" in await walled.text()
        async with http.get(shop.url + "/", headers={name: token + "x"}) as forged:
            assert forged.status == 403
        async with http.get(shop.url + "/", headers={name: token}) as allowed:
            assert allowed.status == 200
        async with http.delete(shop.url + "/__faults") as admin:  # never locked out
            assert admin.status == 200
        async with http.get(shop.url + "/") as open_again:
            assert open_again.status == 200


async def test_an_e_mail_signs_up_once_and_two_factor_sign_in_needs_the_current_code(
    shop: DemoShop,
) -> None:
    auth = basic("staging", "pw-1")
    account = shop.gates.two_factor_account
    async with aiohttp.ClientSession(headers=auth, cookie_jar=ip_cookies()) as first:
        form = {"email": "sam+1@example.com", "password": "long-enough"}
        async with first.post(shop.url + "/account/signup", data=form) as signed_up:
            assert "Signed in as sam+1@example.com" in await signed_up.text()
    async with aiohttp.ClientSession(headers=auth, cookie_jar=ip_cookies()) as second:
        async with second.post(shop.url + "/account/signup", data=form) as again:
            assert "already exists" in await again.text()
        login = {"email": account.email, "password": account.password}
        async with second.post(shop.url + "/account/signin", data=login) as signed_in:
            assert signed_in.url.path == "/account/verify"
        async with second.post(shop.url + "/account/verify", data={"code": "000000"}) as bad:
            assert "That code is not right" in await bad.text()
        code = pyotp.TOTP(account.totp_secret).now()
        async with second.post(shop.url + "/account/verify", data={"code": code}) as good:
            assert f"Signed in as {account.email}" in await good.text()
    assert shop.accounts.codes_entered == ["000000", code]


async def test_the_analytics_origin_counts_hits_and_keeps_headers(shop: DemoShop) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(shop.analytics_url + "/tag.js") as tag:
            assert "/collect?page=" in await tag.text()
        async with http.get(shop.analytics_url + "/collect?page=/", headers={"X-T": "1"}) as hit:
            assert hit.status == 204
    assert (shop.analytics.requests, shop.analytics.hits) == (2, 1)
    assert shop.analytics.headers[-1]["X-T"] == "1"


def test_the_shop_prints_how_to_pass_its_gates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--basic-auth", "nopassword"]) == 2
    assert "write USER:PASS" in capsys.readouterr().err
