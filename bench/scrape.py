"""/metrics cost: scrape time and size with 500 journeys of 8 steps each.

Builds CheckoutMetrics on its own CollectorRegistry, loads 500 synthetic journeys (8 steps, 3
budgets), feeds each a passing run (8 steps, 4 page loads with vitals) and every tenth a failing
one too, then times `exposition()` and a GET of /metrics from `monitor.server.create_app` on
127.0.0.1:0 (plain and gzip, as Prometheus asks), with the rendering cache off so that every
GET renders; last, 5 GETs at once with the cache as `serve` has it, counting renderings.

    python -m bench metrics             # 10 scrapes of each
    python -m bench metrics --quick     # 3
"""

from __future__ import annotations

import asyncio
import gzip
import time
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import CollectorRegistry

from bench.report import print_table, summary, write_results
from monitor.history import History
from monitor.journey import Journey
from monitor.metrics import CheckoutMetrics, exposition
from monitor.result import (
    Failure,
    FailureKind,
    HttpError,
    PageLoad,
    ResourceClass,
    RunResult,
    StepResult,
)
from monitor.server import PAGE, MetricsPage, ServerState, create_app

JOURNEYS = 500
STEP_NAMES = (
    "home",
    "open product",
    "add to cart",
    "go to checkout",
    "contact",
    "continue to payment",
    "pay",
    "order confirmed",
)
PAGE_STEPS = ("home", "open product", "go to checkout", "order confirmed")


def journeys(count: int = JOURNEYS) -> list[Journey]:
    steps: list[dict[str, Any]] = [{"goto": "/", "name": STEP_NAMES[0]}]
    steps += [{"click": f"#step-{i}", "name": name} for i, name in enumerate(STEP_NAMES[1:])]
    return [
        Journey.model_validate(
            {
                "name": f"checkout-{n:03d}",
                "site": f"shop-{n % 50:02d}",
                "base_url": "https://shop.example",
                "budgets": {"clicks": 8, "journey_seconds": 20, "page_load_seconds": 3},
                "steps": steps,
            }
        )
        for n in range(count)
    ]


def run_result(journey: Journey, passed: bool, n: int) -> RunResult:
    steps = tuple(
        StepResult(i, name, "click", 0.2 + 0.01 * ((n + i) % 40), True, 1)
        for i, name in enumerate(STEP_NAMES)
    )
    loads = tuple(
        PageLoad(f"https://shop.example/{step}", step, 0.05, 0.3, 0.6, 0.7, 0.01, 0.05, 200)
        for step in PAGE_STEPS
    )
    failure = None if passed else Failure(FailureKind.PAYMENT_DECLINED, "pay", 6, "declined")
    errors = (
        ()
        if passed
        else (HttpError("https://shop.example/api/pay", 502, ResourceClass.API, "POST", "pay"),)
    )
    return RunResult(
        journey=journey.name,
        site=journey.site_label,
        device=journey.device,
        started_at=1.7e9 + n,
        duration_seconds=4.0 + (n % 10) / 10,
        passed=passed,
        failure=failure,
        steps=steps if passed else steps[:7],
        clicks=6,
        pages_visited=4,
        page_loads=loads,
        http_errors=errors,
    )


def fed_registry() -> tuple[CollectorRegistry, float, int]:
    """The registry after every journey ran; seconds per observe(), runs observed."""
    registry = CollectorRegistry()
    metrics = CheckoutMetrics(registry, location="eu-west")
    loaded = journeys()
    metrics.set_journeys(loaded)
    results = [(j, run_result(j, True, n)) for n, j in enumerate(loaded)]
    results += [(j, run_result(j, False, n)) for n, j in enumerate(loaded) if n % 10 == 0]
    began = time.perf_counter()
    for journey, result in results:
        metrics.observe(journey, result)
    return registry, (time.perf_counter() - began) / len(results), len(results)


async def _http(registry: CollectorRegistry, scrapes: int) -> dict[str, Any]:
    # max_age 0: no scrape is served a body rendered for an earlier one.
    app = create_app(ServerState(registry, History(), metrics_max_age=0.0))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    url = f"http://{host}:{port}/metrics"
    found: dict[str, Any] = {}
    stalls: list[float] = []
    ticker = asyncio.create_task(_tick(stalls))
    try:
        async with aiohttp.ClientSession(auto_decompress=False) as session:
            for encoding in ("identity", "gzip"):
                seconds, size = [], 0
                for _ in range(scrapes):
                    began = time.perf_counter()
                    async with session.get(url, headers={"Accept-Encoding": encoding}) as answer:
                        body = await answer.read()
                        served = answer.headers.get("Content-Encoding", "identity")
                    seconds.append(time.perf_counter() - began)
                    size = len(body)
                found[encoding] = {"seconds": summary(seconds), "bytes": size, "served": served}
            found["together"] = await _together(session, url, app[PAGE])
    finally:
        ticker.cancel()
        await runner.cleanup()
    # The handler renders in a worker thread; what the event loop still waits for shows here.
    found["event_loop_longest_stall_s"] = round(max(stalls, default=0.0), 3)
    return found


async def _together(
    session: aiohttp.ClientSession, url: str, page: MetricsPage, count: int = 5
) -> dict[str, Any]:
    """`count` gzip scrapes sent at once, the cache as `serve` has it: renderings made."""
    page.max_age = ServerState(page.registry, History()).metrics_max_age
    await asyncio.sleep(page.max_age + 0.1)  # the last rendering is too old to serve now
    before = page.renders

    async def scrape() -> float:
        began = time.perf_counter()
        async with session.get(url, headers={"Accept-Encoding": "gzip"}) as answer:
            await answer.read()
        return time.perf_counter() - began

    seconds = await asyncio.gather(*(scrape() for _ in range(count)))
    return {"scrapes": count, "renders": page.renders - before, "seconds": summary(list(seconds))}


async def _tick(stalls: list[float], every: float = 0.01) -> None:
    """How late a 10 ms sleep wakes up: the longest time the event loop was blocked."""
    while True:
        began = time.perf_counter()
        await asyncio.sleep(every)
        stalls.append(time.perf_counter() - began - every)


def main(quick: bool = False) -> dict[str, Any]:
    scrapes = 3 if quick else 10
    registry, observe_seconds, observed = fed_registry()
    timings, body = [], b""
    for _ in range(scrapes):
        began = time.perf_counter()
        body, _ = exposition(registry)
        timings.append(time.perf_counter() - began)
    series = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    families: dict[str, int] = {}
    for line in body.splitlines():
        if line and not line.startswith(b"#"):
            name = line.split(b"{", 1)[0].split(b" ", 1)[0].decode()
            family = name.removesuffix("_bucket").removesuffix("_sum").removesuffix("_count")
            families[family] = families.get(family, 0) + 1
    http = asyncio.run(_http(registry, scrapes))
    by_metric = dict(sorted(families.items(), key=lambda kv: -kv[1]))
    exposed = summary(timings)
    together = http["together"]
    data: dict[str, Any] = {
        "quick": quick,
        "journeys": JOURNEYS,
        "steps_per_journey": len(STEP_NAMES),
        "runs_observed": observed,
        "observe_seconds_per_run": round(observe_seconds, 6),
        "series": series,
        "series_by_metric": by_metric,
        "exposition_seconds": exposed,
        "body_bytes": len(body),
        "gzip_bytes": len(gzip.compress(body, 6)),
        "http": http,
    }
    print_table(
        f"/metrics with {JOURNEYS} journeys x {len(STEP_NAMES)} steps ({scrapes} scrapes)",
        ["what", "median s", "max s", "bytes", "series"],
        [
            ["exposition()", exposed["median"], exposed["max"], len(body), series],
            ["GET /metrics", http["identity"]["seconds"]["median"],
             http["identity"]["seconds"]["max"], http["identity"]["bytes"], series],
            [f"GET, Accept-Encoding gzip (served {http['gzip']['served']})",
             http["gzip"]["seconds"]["median"], http["gzip"]["seconds"]["max"],
             http["gzip"]["bytes"], series],
            [f"{together['scrapes']} GETs at once: {together['renders']} rendering(s)",
             together["seconds"]["median"], together["seconds"]["max"], http["gzip"]["bytes"],
             series],
        ],
    )  # fmt: skip
    print_table(
        "series by metric (largest first)",
        ["metric", "series"],
        [[name, count] for name, count in list(by_metric.items())[:8]],
    )
    print(
        f"observe(): {observe_seconds * 1000:.2f} ms per run; body gzips to "
        f"{data['gzip_bytes']} bytes; a scrape blocked the event loop for up to "
        f"{http['event_loop_longest_stall_s']}s"
    )
    print(f"written to {write_results('metrics', data)}")
    return data
