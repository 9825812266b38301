"""/metrics over real HTTP on 127.0.0.1: gzip when asked, one rendering for scrapes together."""

from __future__ import annotations

import asyncio
import gzip
import threading
from collections.abc import Awaitable, Callable, Iterable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from test_metrics import make_journey, passed

from monitor.history import History
from monitor.metrics import CheckoutMetrics
from monitor.server import MetricsPage, ServerState, accepts_gzip, create_app

Client = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


class HeldCollector(Collector):
    """A collector that counts its collections and holds each until `release` is set."""

    def __init__(self) -> None:
        self.collections = 0
        self.release = threading.Event()

    def collect(self) -> Iterable[Metric]:
        self.collections += 1
        assert self.release.wait(30), "the test never released the rendering"
        return [GaugeMetricFamily("held_collections", "Renderings.", value=self.collections)]


def fed_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    metrics = CheckoutMetrics(registry, location="lab")
    journey = make_journey()
    metrics.set_journeys([journey])
    metrics.observe(journey, passed(journey))
    return registry


async def test_metrics_are_gzipped_when_the_scraper_asks_and_plain_otherwise(
    aiohttp_client: Client,
) -> None:
    client = await aiohttp_client(create_app(ServerState(fed_registry(), History())))

    plain = await client.get("/metrics", headers={"Accept-Encoding": "identity"})
    plain_body = await plain.read()
    zipped = await client.get(
        "/metrics", headers={"Accept-Encoding": "gzip"}, auto_decompress=False
    )
    zipped_body = await zipped.read()
    refused = await client.get(
        "/metrics", headers={"Accept-Encoding": "gzip;q=0"}, auto_decompress=False
    )

    assert "Content-Encoding" not in plain.headers
    assert b'checkout_journey_success{journey="checkout"' in plain_body
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Vary"] == "Accept-Encoding"
    assert zipped.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert gzip.decompress(zipped_body) == plain_body
    assert len(zipped_body) < len(plain_body) / 3
    assert "Content-Encoding" not in refused.headers
    assert (await refused.read()) == plain_body


async def test_scrapes_arriving_together_share_one_rendering(aiohttp_client: Client) -> None:
    registry = fed_registry()
    held = HeldCollector()
    registry.register(held)
    arrived = 0

    @web.middleware
    async def count(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        nonlocal arrived
        arrived += 1  # the handler then runs up to its wait for the rendering, in this step
        return await handler(request)

    state = ServerState(registry, History(), metrics_max_age=0.0)
    client = await aiohttp_client(create_app(state, [count]))
    scrapes = [
        asyncio.ensure_future(client.get("/metrics", headers={"Accept-Encoding": encoding}))
        for encoding in ("gzip", "identity", "gzip", "gzip", "identity")
    ]
    await wait_until(lambda: arrived == len(scrapes))
    held.release.set()
    answers = await asyncio.gather(*scrapes)
    bodies = {await answer.read() for answer in answers}

    assert [answer.status for answer in answers] == [200] * len(scrapes)
    assert held.collections == 1
    assert len(bodies) == 1
    assert b"held_collections 1.0" in bodies.pop()

    after = await client.get("/metrics")  # max_age 0: a later scrape renders anew
    assert b"held_collections 2.0" in await after.read()


async def test_a_rendering_serves_scrapes_for_max_age_seconds_then_renders_again() -> None:
    registry = CollectorRegistry()
    held = HeldCollector()
    held.release.set()
    registry.register(held)
    now = [100.0]
    page = MetricsPage(registry, max_age=1.0, clock=lambda: now[0])

    first = await page.latest()
    now[0] += 1.0
    again = await page.latest()
    now[0] += 0.5
    later = await page.latest()

    assert again is first
    assert later is not first
    assert (page.renders, held.collections) == (2, 2)
    assert gzip.decompress(later.gzipped) == later.body


async def test_a_failed_rendering_is_not_kept() -> None:
    class Broken(Collector):
        calls = 0

        def collect(self) -> Iterable[Metric]:
            Broken.calls += 1
            if Broken.calls == 1:
                raise RuntimeError("collector broke")
            return [GaugeMetricFamily("fixed", "Works now.", value=1)]

    registry = CollectorRegistry()
    registry.register(Broken())
    page = MetricsPage(registry, max_age=60.0)

    with pytest.raises(RuntimeError, match="collector broke"):
        await page.latest()
    assert b"fixed 1.0" in (await page.latest()).body


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize(
    ("header", "gzipped"),
    [
        ("gzip", True),
        ("GZIP", True),
        ("br, gzip;q=0.5", True),
        ("x-gzip", True),
        ("", False),
        ("identity", False),
        ("gzip;q=0", False),
        ("gzip;q=0.0, *", False),
        ("gzip;q=nonsense", False),
        ("deflate, br", False),
    ],
)
def test_gzip_is_sent_only_to_scrapers_that_take_it(header: str, gzipped: bool) -> None:
    assert accepts_gzip(header) is gzipped
