"""Timing fidelity: does the reported page load match a delay injected into the shop?

The demo shop's `slow:/product/trail-runner=MS` fault holds the product page's response back
by MS. Each run's `page_loads` entry for that URL (navigation start to the load event, as the
init script reads it) minus MS should stay where the healthy page's load time is.

    python -m bench fidelity            # 10 runs per delay
    python -m bench fidelity --quick    # 3 runs per delay
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.report import print_table, write_results
from bench.shop import ShopProcess, guest_checkout
from monitor.browser import find_browser
from monitor.result import PageLoad, RunResult
from monitor.runner import Runner
from monitor.session import open_browser

PRODUCT = "/product/trail-runner"
DELAYS_MS = (0, 250, 1000, 3000)


def product_load(result: RunResult) -> PageLoad | None:
    return next((p for p in result.page_loads if p.url.endswith(PRODUCT)), None)


async def _measure(shop: ShopProcess, runs: int) -> dict[int, list[dict[str, Any]]]:
    journey = guest_checkout(shop.url)
    found: dict[int, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-artifacts-") as artifacts:
        async with open_browser(find_browser()) as (browser, devices):
            runner = Runner(browser, devices, artifacts_dir=Path(artifacts), trace="on-failure")
            await runner.run(journey)  # warm up
            for delay in DELAYS_MS:
                shop.set_faults([f"slow:{PRODUCT}={delay}"] if delay else [])
                found[delay] = []
                for _ in range(runs):
                    result = await runner.run(journey)
                    load = product_load(result)
                    found[delay].append(
                        {
                            "load_s": load.load_seconds if load else None,
                            "ttfb_s": load.ttfb_seconds if load else None,
                            "failure_kind": str(result.failure_kind or ""),
                        }
                    )
            shop.set_faults([])
    return found


def _row(delay: int, runs: list[dict[str, Any]], baseline: float) -> dict[str, Any]:
    loads = [r["load_s"] for r in runs if r["load_s"] is not None]
    ttfbs = [r["ttfb_s"] for r in runs if r["ttfb_s"] is not None]
    injected = delay / 1000
    over = [x - injected for x in loads]
    return {
        "delay_ms": delay,
        "runs": len(runs),
        "measured": len(loads),
        "load_median_s": round(statistics.median(loads), 4) if loads else None,
        "load_minus_injected_median_s": round(statistics.median(over), 4) if over else None,
        "load_minus_injected_max_s": round(max(over), 4) if over else None,
        "load_minus_injected_min_s": round(min(over), 4) if over else None,
        "vs_baseline_median_s": round(statistics.median(over) - baseline, 4) if over else None,
        "vs_baseline_max_s": round(max(over) - baseline, 4) if over else None,
        "ttfb_minus_injected_median_s": (
            round(statistics.median(t - injected for t in ttfbs), 4) if ttfbs else None
        ),
        "failure_kinds": sorted({r["failure_kind"] for r in runs if r["failure_kind"]}),
    }


def main(quick: bool = False) -> dict[str, Any]:
    runs = 3 if quick else 10
    with ShopProcess() as shop:
        found = asyncio.run(_measure(shop, runs))
    healthy = [r["load_s"] for r in found[0] if r["load_s"] is not None]
    baseline = statistics.median(healthy) if healthy else 0.0
    rows = [_row(delay, found[delay], baseline) for delay in DELAYS_MS]
    print_table(
        f"fidelity: product page load vs injected delay ({runs} runs each)",
        ["delay ms", "measured", "load median s", "load-injected median s",
         "load-injected max s", "minus healthy median s", "minus healthy max s",
         "ttfb-injected median s", "failures"],
        [
            [
                r["delay_ms"], r["measured"], r["load_median_s"],
                r["load_minus_injected_median_s"], r["load_minus_injected_max_s"],
                r["vs_baseline_median_s"], r["vs_baseline_max_s"],
                r["ttfb_minus_injected_median_s"], ",".join(r["failure_kinds"]) or "-",
            ]
            for r in rows
        ],
    )  # fmt: skip
    data = {"quick": quick, "healthy_load_median_s": baseline, "delays": rows, "runs": found}
    print(f"written to {write_results('fidelity', data)}")
    return data
