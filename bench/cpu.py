"""Where the CPU goes when journeys run N at once: the bare steps, the Runner, and the Runner
without each measurement, in CPU seconds of our Python process, Playwright's driver and
Chromium (from /proc), on the server-rendered and the single-page demo checkout.

With 4 at once on 2 cores every process is busy, so a run's wall time is its CPU: what a
measurement costs in CPU shows directly in `checkout-monitor run --parallel 4`. This is where
`bench command`'s "10 journeys, 4 at once" goes, part by part.

One Chromium, N checkouts at once (the Runner's turns, `Runner.slots`, as `run --parallel N`;
the bare steps through a semaphore), each arm `runs` checkouts per round, the arms in rotating
order, medians over the rounds.

    python -m bench cpu            # 6 rounds of 10 checkouts, 4 at once
    python -m bench cpu --quick    # 2 rounds of 8
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.async_api import Browser

from bench.bare import checkout as bare_checkout
from bench.procs import cpu_by_role, cpu_delta
from bench.report import print_table, write_results
from bench.shop import ROOT, ShopProcess
from bench.variants import RUNNER, VARIANTS, Variant
from monitor.browser import find_browser
from monitor.journey import Journey
from monitor.loader import load_journeys
from monitor.session import open_browser

PARALLEL = 4
JOURNEYS = {"ssr": ("demo-guest-checkout", ""), "spa": ("demo-spa-checkout", "/spa")}
# The variants that leave a measurement out (the others add one, or change a wait).
LEAVE_OUT = (
    "no after-step look",
    "no probes",
    "no watcher",
    "no feel",
    "no listeners",
    "no visible filter",
    "bare runner",
)
ROLES = ("python", "driver", "chromium")
BARE = "bare steps"


async def _arm(
    name: str, browser: Browser, devices: Any, journey: Journey, shop: str, prefix: str, runs: int
) -> None:
    if name == BARE:
        device = dict(devices["Desktop Chrome"])
        device.pop("default_browser_type", None)
        at_once = asyncio.Semaphore(PARALLEL)

        async def one() -> None:
            async with at_once:
                await bare_checkout(browser, device, shop, prefix)

        await asyncio.gather(*(one() for _ in range(runs)))
        return
    variant = _variant(name)
    with tempfile.TemporaryDirectory(prefix="bench-cpu-") as folder:
        runner = variant.runner(browser, devices, Path(folder))
        runner.slots = asyncio.Semaphore(PARALLEL)  # as session._play_all gives `run`
        with variant.applied():
            results = await asyncio.gather(*(runner.run(journey) for _ in range(runs)))
    failed = [r.failure for r in results if not r.passed]
    if failed:
        raise SystemExit(f"{name}: a checkout failed: {failed[0]}")


def _variant(name: str) -> Variant:
    return next(v for v in VARIANTS if v.name == name)  # (RUNNER is the first)


async def _checkout(checkout: str, rounds: int, runs: int) -> dict[str, Any]:
    name, prefix = JOURNEYS[checkout]
    arms = [BARE, RUNNER.name, *LEAVE_OUT]
    spent: dict[str, list[tuple[float, dict[str, float]]]] = {arm: [] for arm in arms}
    with ShopProcess() as shop:
        env = {**os.environ, "SHOP_URL": shop.url}
        (journey,) = load_journeys([ROOT / "journeys" / f"{name}.yaml"], env=env)
        async with open_browser(find_browser()) as (browser, devices):
            for n in range(rounds + 1):  # round 0 warms up (page cache, first answers)
                for arm in arms[n % len(arms) :] + arms[: n % len(arms)]:
                    before = cpu_by_role(os.getpid(), exclude={shop.pid})
                    began = time.perf_counter()
                    await _arm(arm, browser, devices, journey, shop.url, prefix, runs)
                    wall = time.perf_counter() - began
                    cpu = cpu_delta(before, cpu_by_role(os.getpid(), exclude={shop.pid}))
                    if n:
                        spent[arm].append((wall, cpu))
    return {arm: _figures(samples, runs) for arm, samples in spent.items()}


def _figures(samples: list[tuple[float, dict[str, float]]], runs: int) -> dict[str, Any]:
    per = {role: statistics.median(cpu[role] for _, cpu in samples) / runs for role in ROLES}
    return {
        "wall_s": round(statistics.median(wall for wall, _ in samples), 3),
        "cpu_ms_per_checkout": {role: round(v * 1000, 1) for role, v in per.items()},
        "cpu_ms_total": round(
            statistics.median(sum(cpu[r] for r in ROLES) for _, cpu in samples) / runs * 1000, 1
        ),
    }


def main(quick: bool = False) -> None:
    rounds, runs = (2, 8) if quick else (6, 10)
    find_browser()  # no browser: say so before a shop starts
    results = {checkout: asyncio.run(_checkout(checkout, rounds, runs)) for checkout in JOURNEYS}
    for checkout, arms in results.items():
        bare = arms[BARE]
        runner = arms[RUNNER.name]
        rows = []
        for arm, figures in arms.items():
            per = figures["cpu_ms_per_checkout"]
            rows.append(
                [
                    arm,
                    figures["wall_s"],
                    round(figures["wall_s"] / bare["wall_s"], 3),
                    *(per[role] for role in ROLES),
                    figures["cpu_ms_total"],
                    round(figures["cpu_ms_total"] / bare["cpu_ms_total"], 3),
                    round(runner["cpu_ms_total"] - figures["cpu_ms_total"], 1),
                ]
            )
        print_table(
            f"{checkout}: {runs} checkouts, {PARALLEL} at once, CPU ms per checkout "
            f"(medians of {rounds} rounds)",
            [
                "arm",
                "wall s",
                "x bare wall",
                "python ms",
                "driver ms",
                "chromium ms",
                "total ms",
                "x bare CPU",
                "runner saves ms",
            ],
            rows,
        )
    write_results(
        "cpu", {"quick": quick, "rounds": rounds, "runs": runs, "parallel": PARALLEL, **results}
    )
