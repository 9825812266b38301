"""Gates in real Chromium: basic auth, a bot wall, headers for the shop only, the user-agent
token, a self-signed staging server, blocked trackers, unique sign-ups and a TOTP sign-in."""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import JourneyRunner, load_journey, quick_journey
from local_site import Answer, Request, local_site, redirect
from serve_fixtures import self_signed_cert, serve_bytes, wait_for

from monitor.demo import DemoShopThread
from monitor.gates import USER_AGENT_TOKEN
from monitor.result import FailureKind, RunResult
from monitor.runner import Runner

pytestmark = pytest.mark.browser

PASSWORD = "s3cret-staging-pw"
HOME = [{"goto": "/"}, {"expect": {"text": "Gear for the trail"}}]


@pytest.fixture(scope="module")
def staging() -> Iterator[DemoShopThread]:
    """The demo shop behind basic auth, with its analytics origin (another site)."""
    with DemoShopThread(basic_auth=("staging", PASSWORD), analytics=True) as shop:
        yield shop


@pytest.fixture(scope="module")
def tagged() -> Iterator[DemoShopThread]:
    """The demo shop with its analytics tag on every page."""
    with DemoShopThread(analytics=True) as shop:
        yield shop


@pytest.fixture
def shop(tagged: DemoShopThread) -> Iterator[DemoShopThread]:
    tagged.clear_faults()
    tagged.analytics.clear()
    yield tagged
    tagged.clear_faults()


def test_basic_auth_passes_with_credentials_and_is_refused_without(
    journey_runner: JourneyRunner, staging: DemoShopThread
) -> None:
    credentials = {"username": "staging", "password": PASSWORD}
    passed = journey_runner.run(
        quick_journey("staging", staging.url, HOME, http_credentials=credentials)
    )
    refused = journey_runner.run(quick_journey("staging", staging.url, HOME))

    assert passed.passed, passed.failure
    assert refused.failure is not None and refused.failure.kind is FailureKind.REFUSED
    assert "the shop refused the monitor (HTTP 401 at http://127.0.0.1:" in refused.failure.reason
    assert "see README 'Gates'" in refused.failure.reason
    seen_by_tracker = wait_for(lambda: staging.analytics.headers, 10, "the analytics tag")
    assert not [h for h in seen_by_tracker if "Authorization" in h]  # the shop's origin only


def test_the_bot_wall_lets_the_allowlist_header_through_to_a_whole_checkout(
    journey_runner: JourneyRunner, shop: DemoShopThread
) -> None:
    name, token = shop.gates.allowlist_header
    shop.set_faults(["bot-wall"])
    guest = load_journey("journeys/demo-guest-checkout.yaml", {"SHOP_URL": shop.url})

    walled = journey_runner.run(guest.model_copy(update={"retries": 0}))
    allowed = journey_runner.run(guest.model_copy(update={"headers": {name: token}}))

    assert walled.failure is not None and walled.failure.kind is FailureKind.REFUSED
    assert "a bot challenge (HTTP 403)" in walled.failure.reason
    # Every request of the shop carried the header (posts and the session cookie too).
    assert allowed.passed, allowed.failure
    assert token not in str(allowed.to_dict())  # masked, as a secret


def test_headers_reach_the_shop_and_not_a_third_party_on_the_same_page(
    journey_runner: JourneyRunner, shop: DemoShopThread
) -> None:
    name, token = shop.gates.allowlist_header
    shop.set_faults(["bot-wall"])  # only a request with the header gets the page

    result = journey_runner.run(quick_journey("headers", shop.url, HOME, headers={name: token}))

    assert result.passed, result.failure
    assert shop.analytics_url.startswith("http://localhost:")  # another site than 127.0.0.1
    seen = wait_for(lambda: shop.analytics.hits and shop.analytics.headers, 10, "the tag's hit")
    assert [h for h in seen if name.lower() in (k.lower() for k in h)] == []


def test_the_user_agent_says_checkout_monitor_unless_told_not_to(
    journey_runner: JourneyRunner, shop: DemoShopThread
) -> None:
    journey_runner.run(quick_journey("ua", shop.url, HOME))
    marked = wait_for(lambda: shop.analytics.headers, 10, "the tag")[0]["User-Agent"]
    shop.analytics.clear()
    journey_runner.run(quick_journey("ua", shop.url, HOME, user_agent_marker=False))
    plain = wait_for(lambda: shop.analytics.headers, 10, "the tag")[0]["User-Agent"]

    assert marked.endswith(f" {USER_AGENT_TOKEN}") and marked.startswith("Mozilla/5.0")
    assert USER_AGENT_TOKEN not in plain and plain.startswith("Mozilla/5.0")


def test_block_keeps_the_tracker_at_zero_and_the_run_says_what_it_blocked(
    journey_runner: JourneyRunner, shop: DemoShopThread
) -> None:
    steps = [*HOME, {"click": {"role": "link", "name": "Trail Runner"}}, {"expect": {"text": "€"}}]
    unblocked = journey_runner.run(quick_journey("tracked", shop.url, steps))
    wait_for(lambda: shop.analytics.hits >= 2, 10, "the tag's hits")  # the counter counts
    shop.analytics.clear()

    blocked = journey_runner.run(
        quick_journey("blocked", shop.url, steps, block=["localhost", "**/never-requested/*"])
    )

    assert unblocked.passed and blocked.passed, blocked.failure
    assert blocked.blocked == {"localhost": 2, "**/never-requested/*": 0}  # one tag per page
    assert blocked.failed_requests == ()  # blocked is not failed
    assert (shop.analytics.requests, shop.analytics.hits) == (0, 0)


@pytest.fixture(scope="module")
def self_signed_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A staging site on https://127.0.0.1 with a certificate nobody trusts."""
    cert, key = self_signed_cert(tmp_path_factory.mktemp("tls"))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<!doctype html><title>Staging</title><h1>Gear for the trail</h1>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_self_signed_staging_server_passes_only_with_ignore_https_errors(
    journey_runner: JourneyRunner, self_signed_site: str
) -> None:
    strict = journey_runner.run(quick_journey("tls", self_signed_site, HOME))
    lenient = journey_runner.run(
        quick_journey("tls", self_signed_site, HOME, ignore_https_errors=True)
    )

    assert strict.failure is not None and strict.failure.kind is FailureKind.SITE_UNREACHABLE
    assert "ERR_CERT" in strict.failure.reason
    assert lenient.passed, lenient.failure


def test_eight_parallel_sign_ups_all_succeed_with_their_own_e_mail(
    journey_runner: JourneyRunner, shop: DemoShopThread
) -> None:
    journey = load_journey("examples/demo-account-checkout.yaml", {"SHOP_URL": shop.url})
    sign_up = journey.model_copy(update={"steps": journey.steps[:5], "retries": 0})
    runner = Runner(journey_runner.browser, journey_runner.devices, artifacts_dir=None)

    async def eight() -> list[RunResult]:
        return await asyncio.gather(*(runner.run(sign_up) for _ in range(8)))

    results = journey_runner._call(eight())

    assert [r.failure for r in results] == [None] * 8
    assert all(r.blocked["localhost"] >= 1 for r in results)
    assert shop.analytics.hits == 0


def test_an_account_checkout_signs_up_and_buys(
    journey_runner: JourneyRunner, shop: DemoShopThread
) -> None:
    orders = len(shop.orders)
    journey = load_journey("examples/demo-account-checkout.yaml", {"SHOP_URL": shop.url})

    result = journey_runner.run(journey)

    assert result.passed, result.failure
    assert len(shop.orders) == orders + 1
    assert shop.orders[-1].details.email.startswith("shopper+")  # the account's own e-mail


def test_the_two_factor_sign_in_passes_with_the_code_of_the_moment(
    journey_runner: JourneyRunner, shop: DemoShopThread, tmp_path: Path
) -> None:
    account = shop.gates.two_factor_account
    env = {
        "SHOP_URL": shop.url,
        "SHOP_PASSWORD": account.password,
        "SHOP_TOTP_SECRET": account.totp_secret,
    }
    journey = load_journey("examples/demo-two-factor-sign-in.yaml", env)
    started = time.time()

    result = journey_runner.run(journey)

    assert result.passed, result.failure
    assert time.time() - started < 30  # one code window, give or take: no waiting for codes


def test_credentials_are_not_given_to_another_origin_that_asks_for_them(
    journey_runner: JourneyRunner,
) -> None:
    asked: list[str | None] = []

    class Tempting(BaseHTTPRequestHandler):
        """A third party on the same page that asks for basic auth."""

        def do_GET(self) -> None:
            asked.append(self.headers.get("Authorization"))
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="third party"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    tempting = ThreadingHTTPServer(("127.0.0.1", 0), Tempting)
    threading.Thread(target=tempting.serve_forever, daemon=True).start()
    framed = f"http://localhost:{tempting.server_address[1]}/login"
    page = f'<h1>Gear for the trail</h1><iframe src="{framed}"></iframe>'.encode()
    try:
        with serve_bytes({"/": page}) as site:
            credentials = {"username": "staging", "password": PASSWORD}
            result = journey_runner.run(
                quick_journey("origin", site, HOME, http_credentials=credentials)
            )
    finally:
        tempting.shutdown()
        tempting.server_close()

    assert result.passed, result.failure
    assert asked and all(a is None for a in asked), asked  # asked, never answered


def test_time_zone_and_place_are_the_journeys(journey_runner: JourneyRunner) -> None:
    page = b"""<p id=tz></p><p id=geo></p><script>
document.getElementById('tz').textContent = Intl.DateTimeFormat().resolvedOptions().timeZone;
navigator.geolocation.getCurrentPosition(function (p) {
  document.getElementById('geo').textContent = 'at ' + p.coords.latitude + ',' + p.coords.longitude;
});
</script>"""
    steps = [
        {"goto": "/"},
        {"expect": {"text": "Asia/Tokyo"}},
        {"expect": {"text": "at 35.68,139.76"}},
    ]
    with serve_bytes({"/": page}) as site:
        result = journey_runner.run(
            quick_journey(
                "place",
                site,
                steps,
                timezone="Asia/Tokyo",
                geolocation={"latitude": 35.68, "longitude": 139.76},
            )
        )

    assert result.passed, result.failure


def test_headers_do_not_follow_a_redirect_to_another_site(journey_runner: JourneyRunner) -> None:
    received: list[dict[str, str]] = []

    def landing(request: Request) -> Answer:
        received.append(request.headers)
        return Answer(body="<h1>Gear for the trail</h1>")

    def shop(request: Request) -> Answer:
        received.append({"shop": "yes", **request.headers})
        return redirect(target)

    with local_site({"/landing": landing}) as landing_url, local_site({"/": shop}) as shop_url:
        target = landing_url.replace("127.0.0.1", "localhost") + "/landing"  # another site
        result = journey_runner.run(
            quick_journey("redirect", shop_url, HOME, headers={"X-Bypass-Token": "bypass-7731"})
        )

    assert result.passed, result.failure
    at_shop = [h for h in received if "shop" in h]
    at_landing = [h for h in received if "shop" not in h]
    assert at_shop and all(h.get("X-Bypass-Token") == "bypass-7731" for h in at_shop)
    assert at_landing and all("X-Bypass-Token" not in h for h in at_landing)
