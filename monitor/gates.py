"""The gates in front of a shop, and the rules a run's requests follow to pass them.

Set up once per browser context: basic auth for the shop's origin only (Playwright's own
`http_credentials` with `origin`), extra headers for the shop's own site only (a bypass token
that reaches a payment provider, CDN or tracker is a leak), requests to `block` patterns
aborted and counted, a user agent that says it is a monitor, and a look at the shop's first
document: a 401, a 403 or a bot challenge there means the gate shut on the monitor.

Routing costs a round trip to us for every request it catches, so only what must be caught is
routed: the shop's own site when there are headers, and the block patterns; Playwright hands
those patterns to the browser, which lets every other request go without asking. Headers are
not set on the browser's request but sent by us (see `_add_headers`): Playwright would carry
them on through any redirect, to another site too.

    >>> options = gate_options(journey, device_user_agent)          # doctest: +SKIP
    >>> context = await browser.new_context(**options)              # doctest: +SKIP
    >>> rules = await RequestRules.attach(context, journey)         # doctest: +SKIP
    >>> ...; rules.blocked, rules.refusal                           # doctest: +SKIP
    ({'www.google-analytics.com': 3}, None)
"""

from __future__ import annotations

import logging
import re
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from playwright.async_api import BrowserContext, Response, Route
from playwright.async_api import Error as PlaywrightError

from monitor import __version__
from monitor.journey import Journey
from monitor.probes import site_of
from monitor.result import mask, public_url

log = logging.getLogger(__name__)

USER_AGENT_TOKEN = f"checkout-monitor/{__version__}"
MAX_REDIRECTS = 20
REFUSING_STATUSES = (401, 403)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """`https://user@Shop.example:443/eu` → `https://shop.example` (as browsers write it)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}"


def gate_options(journey: Journey, device_user_agent: str | None) -> dict[str, Any]:
    """Browser context options for the journey's gates (added to the device's options)."""
    options: dict[str, Any] = {}
    user_agent = journey.user_agent or device_user_agent
    if user_agent and journey.user_agent_marker and USER_AGENT_TOKEN not in user_agent:
        user_agent = f"{user_agent} {USER_AGENT_TOKEN}"
    if user_agent:
        options["user_agent"] = user_agent
    if journey.http_credentials is not None:
        options["http_credentials"] = {
            "username": journey.http_credentials.username,
            "password": journey.http_credentials.password,
            "origin": origin_of(journey.base_url),  # never sent anywhere else
        }
    if journey.ignore_https_errors:
        options["ignore_https_errors"] = True
    if journey.timezone:
        options["timezone_id"] = journey.timezone
    if journey.geolocation is not None:
        place = journey.geolocation
        options["geolocation"] = {
            "latitude": place.latitude,
            "longitude": place.longitude,
            "accuracy": place.accuracy,
        }
        options["permissions"] = ["geolocation"]
    return options


def _host_regex(host: str, subdomains: bool) -> str:
    name, _, port = host.partition(":")
    sub = r"([^/?#@]*\.)?" if subdomains else ""
    where = rf":{port}" if port else r"(:\d+)?"
    return rf"^[a-z][a-z0-9+.-]*://{sub}{re.escape(name.lower())}{where}([/?#]|$)"


def shop_pattern(journey: Journey) -> re.Pattern[str]:
    """URLs of the shop's own site (base_url's site and its subdomains; an IP address is a site
    of its own) and of the hosts in `headers_to`: those, and only those, get `headers`."""
    site = site_of(journey.base_url)
    is_ip = site.replace(".", "").isdigit() or ":" in site
    parts = [_host_regex(site, subdomains=not is_ip)]
    for host in journey.headers_to:
        wildcard = host.startswith("*.")
        parts.append(_host_regex(host.removeprefix("*."), subdomains=wildcard))
    return re.compile("|".join(f"({p})" for p in parts))


def block_matcher(pattern: str) -> str | re.Pattern[str]:
    """A `block` pattern for Playwright: a URL glob as it is; a host (`ads.example`,
    `*.ads.example`, `localhost:8081`) as a regex for that host (and subdomains with `*.`)."""
    if "/" in pattern or "**" in pattern:
        return pattern
    return re.compile(_host_regex(pattern.removeprefix("*."), pattern.startswith("*.")))


_SET_BY_FETCH = frozenset({"host", "content-length"})  # for the URL and body it sends


def _redirect_target(status: int, headers: dict[str, str], url: str) -> str | None:
    location = headers.get("location")
    return urljoin(url, location) if 300 <= status < 400 and location else None


_ABORT_REASONS = (
    ("ECONNREFUSED", "connectionrefused"),
    ("ENOTFOUND", "namenotresolved"),
    ("EAI_AGAIN", "namenotresolved"),
    ("ECONNRESET", "connectionreset"),
    ("socket hang up", "connectionclosed"),
    ("Timeout", "timedout"),
    ("ETIMEDOUT", "timedout"),
)


def _abort_reason(message: str) -> str:
    return next((reason for text, reason in _ABORT_REASONS if text in message), "failed")


@dataclass
class RequestRules:
    """One run's request rules and what they saw: blocked requests per pattern, and whether
    the shop's first document refused the monitor."""

    journey: Journey
    blocked: dict[str, int] = field(default_factory=dict)
    refusal: str | None = None  # "HTTP 403", "a bot challenge (HTTP 503)"
    refused_url: str = ""
    _first_seen: bool = False
    _shop: re.Pattern[str] = field(default_factory=lambda: re.compile("(?!)"))

    @property
    def refused(self) -> str | None:
        """How the gate shut, and where: `HTTP 401 at https://shop.example/`; None if open."""
        return f"{self.refusal} at {self.refused_url}" if self.refusal else None

    @classmethod
    async def attach(cls, context: BrowserContext, journey: Journey) -> RequestRules:
        rules = cls(journey, blocked=dict.fromkeys(journey.block, 0), _shop=shop_pattern(journey))
        if journey.headers:
            await context.route(rules._shop, rules._add_headers)
            # A page we hand the browser has no address: Chromium takes it for a public one
            # and keeps it from private and loopback ones, as it would not the shop's own
            # page on a staging network. Those addresses stay open to the shop's origin only.
            await context.grant_permissions(
                ["local-network-access"], origin=origin_of(journey.base_url)
            )
        for pattern in journey.block:  # registered last, so asked first
            await context.route(block_matcher(pattern), rules._blocker(pattern))
        context.on("response", rules._on_response)
        return rules

    async def _add_headers(self, route: Route) -> None:
        """Send the shop's request with the headers ourselves, following none of its redirects.

        Playwright carries headers set on a routed request on to wherever it redirects, and
        routes no redirect: a bypass token would reach the payment provider a checkout
        redirects to. So we fetch, and hand the browser the answer: a page as it is; a redirect
        off the shop's site as it is (the browser follows it, bare); a redirect within the site
        followed here for a script's request, and for a page as a `Refresh` to the target,
        a navigation of its own, which is routed again (an intermediate empty page)."""
        request = route.request
        try:
            sent = await request.all_headers()
            headers = {k: v for k, v in sent.items() if k not in _SET_BY_FETCH}
            headers.update(self.journey.headers)
            response = await route.fetch(headers=headers, max_redirects=0)
            target = _redirect_target(response.status, response.headers, request.url)
            hops = 0
            while target and self._shop.search(target) and not request.is_navigation_request():
                hops += 1
                if hops > MAX_REDIRECTS:
                    break
                keep = response.status in (307, 308)  # the others turn into a GET
                response = await route.fetch(
                    url=target,
                    method=request.method if keep else "GET",
                    headers=headers,
                    post_data=request.post_data_buffer if keep else b"",
                    max_redirects=0,
                )
                target = _redirect_target(response.status, response.headers, target)
        except PlaywrightError as exc:
            await self._not_answered(route, exc)
            return
        with suppress(PlaywrightError):  # the page went away meanwhile
            if target and self._shop.search(target) and request.is_navigation_request():
                await route.fulfill(
                    status=200,
                    headers={"Refresh": f"0; url={target}", "Content-Type": "text/html"},
                    body="",
                )
            else:
                await route.fulfill(response=response)

    async def _not_answered(self, route: Route, exc: PlaywrightError) -> None:
        """No answer at all (refused, unresolvable, bad certificate...): a request that cannot
        have changed anything is left to the browser, to fail with its own net:: error;
        any other fails as the fetch did."""
        request = route.request
        with suppress(PlaywrightError):
            if request.method in ("GET", "HEAD", "OPTIONS"):
                await route.fallback(headers={**request.headers, **self.journey.headers})
            else:
                # Only the first line: Playwright's call log below it lists the headers sent.
                why = mask(exc.message.splitlines()[0], self.journey.secret_values)
                log.warning("%s %s: %s", request.method, public_url(request.url), why)
                await route.abort(_abort_reason(exc.message))

    def _blocker(self, pattern: str) -> Any:
        async def block(route: Route) -> None:
            self.blocked[pattern] += 1
            with suppress(PlaywrightError):  # net::ERR_BLOCKED_BY_CLIENT: not a failure
                await route.abort("blockedbyclient")

        return block

    def _on_response(self, response: Response) -> None:
        """The shop's first document (after redirects): refused (401/403) or challenged?"""
        if self._first_seen:
            return
        request = response.request
        try:
            top = request.is_navigation_request() and request.frame.parent_frame is None
        except PlaywrightError:
            return
        if not top or site_of(request.url) != site_of(self.journey.base_url):
            return
        status = response.status
        if 300 <= status < 400:
            return  # the redirect's target is the document
        self._first_seen = True
        challenged = (response.headers.get("cf-mitigated") or "").lower() == "challenge"
        if challenged:
            self.refusal = f"a bot challenge (HTTP {status})"
        elif status in REFUSING_STATUSES:
            self.refusal = f"HTTP {status}"
        if self.refusal is not None:
            self.refused_url = public_url(request.url)
