"""Run the demo shop and its payment provider: from async code, or from sync code in a thread.

shop = await start_demo_shop(faults=["slow:/checkout=500"])
print(shop.url, shop.provider_url)      # http://127.0.0.1:41234 http://127.0.0.1:41235
shop.faults.add(["decline-all"])
await shop.close()

with DemoShopThread(faults=["pay-button=covered"]) as shop:   # for sync code and pytest
    page.goto(shop.url)
    shop.set_faults(["decline-all"])
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType

from aiohttp import web

from monitor.demo.accounts import AccountBook, TwoFactorAccount
from monitor.demo.analytics import AnalyticsLog, create_analytics_app
from monitor.demo.faults import Fault, FaultSet
from monitor.demo.gates import ALLOWLIST_HEADER, new_allowlist_token
from monitor.demo.middleware import CLOSING
from monitor.demo.provider import create_provider_app
from monitor.demo.shop import ACCOUNTS, ORDERS, TWO_FACTOR, create_shop_app
from monitor.demo.state import Order

SHUTDOWN_TIMEOUT_S = 2.0

FaultsArg = Iterable[str | Fault] | FaultSet


def _url(host: str, port: int) -> str:
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def _serve(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = runner.addresses[0]
    return runner, int(bound[1])


@dataclass(frozen=True)
class Gates:
    """How to get past the shop's gates: what a monitor must be told."""

    basic_auth: tuple[str, str] | None  # (user, password) when the shop is behind basic auth
    allowlist_header: tuple[str, str]  # what the `bot-wall` fault lets through
    two_factor_account: TwoFactorAccount  # an account whose sign-in asks for a TOTP code


class DemoShop:
    """A running demo shop and payment provider; ``faults`` is live and shared by both.

    With analytics on, ``analytics_url`` is the second origin the shop's pages report to and
    ``analytics`` what it received."""

    def __init__(
        self,
        *,
        url: str,
        provider_url: str,
        faults: FaultSet,
        shop_runner: web.AppRunner,
        provider_runner: web.AppRunner,
        gates: Gates,
        analytics: AnalyticsLog,
        analytics_url: str = "",
        analytics_runner: web.AppRunner | None = None,
    ) -> None:
        self.url = url
        self.provider_url = provider_url
        self.faults = faults
        self.gates = gates
        self.analytics = analytics
        self.analytics_url = analytics_url
        self._runners = (shop_runner, provider_runner)
        self._extra_runners = (analytics_runner,) if analytics_runner else ()
        self._closed = False

    @property
    def accounts(self) -> AccountBook:
        """Customer accounts, and the second-factor codes entered so far."""
        return self._runners[0].app[ACCOUNTS]

    @property
    def orders(self) -> tuple[Order, ...]:
        """Orders placed so far (paid ones, including those the shopper never saw confirmed)."""
        return self._runners[0].app[ORDERS].all()

    async def close(self) -> None:
        """Stop both servers; requests held by slow or hanging faults are released first."""
        if self._closed:
            return
        self._closed = True
        for runner in self._runners:
            runner.app[CLOSING].set()
        for runner in (*self._runners, *self._extra_runners):
            await runner.cleanup()

    async def __aenter__(self) -> DemoShop:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"DemoShop(url={self.url!r}, provider_url={self.provider_url!r})"


def _other_site(url: str) -> str:
    """The same server under another name, so the browser sees another site (`localhost`
    for 127.0.0.1), as it sees a real tracker's."""
    return url.replace("://127.0.0.1:", "://localhost:", 1)


async def start_demo_shop(
    host: str = "127.0.0.1",
    port: int = 0,
    provider_port: int = 0,
    faults: FaultsArg = (),
    *,
    basic_auth: tuple[str, str] | None = None,
    analytics: bool = False,
    allowlist_token: str | None = None,
) -> DemoShop:
    """Start the payment provider, then the shop that embeds it. Port 0 picks a free port.

    ``basic_auth`` (user, password) puts the shop (not the provider) behind HTTP basic auth;
    ``analytics`` starts an analytics origin on a free port and tags every page with it.
    Raises FaultError (before binding anything) for bad fault names, OSError if a port is taken.
    """
    fault_set = faults if isinstance(faults, FaultSet) else FaultSet(faults)
    token = allowlist_token or new_allowlist_token()
    log = AnalyticsLog()
    started: list[web.AppRunner] = []
    try:
        analytics_url = ""
        if analytics:
            analytics_runner, analytics_port = await _serve(create_analytics_app(log), host, 0)
            started.append(analytics_runner)
            analytics_url = _other_site(_url(host, analytics_port))
        provider_runner, bound_provider_port = await _serve(
            create_provider_app(fault_set), host, provider_port
        )
        started.append(provider_runner)
        provider_url = _url(host, bound_provider_port)
        shop_app = create_shop_app(
            provider_url=provider_url,
            faults=fault_set,
            basic_auth=basic_auth,
            allowlist_token=token,
            analytics_url=analytics_url,
        )
        shop_runner, bound_port = await _serve(shop_app, host, port)
    except BaseException:
        for runner in started:
            await runner.cleanup()
        raise
    gates = Gates(basic_auth, (ALLOWLIST_HEADER, token), shop_app[TWO_FACTOR])
    return DemoShop(
        url=_url(host, bound_port),
        provider_url=provider_url,
        faults=fault_set,
        shop_runner=shop_runner,
        provider_runner=provider_runner,
        gates=gates,
        analytics=log,
        analytics_url=analytics_url,
        analytics_runner=started[0] if analytics else None,
    )


class DemoShopThread:
    """The demo shop on its own event loop in a daemon thread, for sync code and test fixtures.

        with DemoShopThread() as shop:
            urllib.request.urlopen(shop.url)

    Bad fault names raise FaultError from the constructor; a failure to start (port taken)
    is raised from ``start()``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        provider_port: int = 0,
        faults: FaultsArg = (),
        *,
        start_timeout: float = 15.0,
        basic_auth: tuple[str, str] | None = None,
        analytics: bool = False,
    ) -> None:
        self.faults = faults if isinstance(faults, FaultSet) else FaultSet(faults)
        self._address = (host, port, provider_port)
        self._basic_auth, self._analytics = basic_auth, analytics
        self._start_timeout = start_timeout
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shop: DemoShop | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> DemoShopThread:
        if self._thread is not None:
            raise RuntimeError("DemoShopThread can only be started once")
        self._thread = threading.Thread(target=self._run, name="demo-shop", daemon=True)
        self._thread.start()
        if not self._ready.wait(self._start_timeout):
            self.stop()
            raise TimeoutError(f"demo shop did not start within {self._start_timeout} s")
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            host, port, provider_port = self._address
            shop = loop.run_until_complete(
                start_demo_shop(
                    host,
                    port,
                    provider_port,
                    self.faults,
                    basic_auth=self._basic_auth,
                    analytics=self._analytics,
                )
            )
        except BaseException as error:
            self._error = error
            self._ready.set()
            loop.close()
            return
        self._shop = shop
        self._ready.set()
        try:
            loop.run_forever()
            loop.run_until_complete(shop.close())
        finally:
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _running(self) -> DemoShop:
        if self._shop is None:
            raise RuntimeError("the demo shop is not running; call start() or use `with`")
        return self._shop

    @property
    def url(self) -> str:
        return self._running().url

    @property
    def provider_url(self) -> str:
        return self._running().provider_url

    @property
    def gates(self) -> Gates:
        return self._running().gates

    @property
    def accounts(self) -> AccountBook:
        return self._running().accounts

    @property
    def analytics(self) -> AnalyticsLog:
        return self._running().analytics

    @property
    def analytics_url(self) -> str:
        return self._running().analytics_url

    @property
    def orders(self) -> tuple[Order, ...]:
        # Read from another thread: a tuple snapshot of a dict is safe enough for tests.
        return self._running().orders

    def set_faults(self, names: Iterable[str]) -> None:
        """Make exactly these faults active (FaultError if any name is bad; nothing changes)."""
        self.faults.replace(names)

    def add_faults(self, names: Iterable[str]) -> None:
        self.faults.add(names)

    def clear_faults(self) -> None:
        self.faults.clear()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the servers and join the thread. Safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
            if thread.is_alive():
                raise TimeoutError(f"demo shop thread did not stop within {timeout} s")

    def __enter__(self) -> DemoShopThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
