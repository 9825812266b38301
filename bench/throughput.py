"""Throughput: guest checkouts completed per minute with 1, 2, 4 and 8 at once.

One Chromium, one Runner (as `run` and `serve` use it: fresh context per run, artifacts set,
trace on-failure), runs started through a semaphore like `run_journeys(..., parallel=N)`. For
each level: completed runs per minute, run latency, and the CPU seconds of our Python process,
Playwright's driver and all Chromium processes (from /proc), against the 2 cores there are.

    python -m bench throughput          # max(12, 4N) runs per level
    python -m bench throughput --quick  # max(4, 2N) runs per level
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.procs import cpu_by_role, cpu_delta
from bench.report import print_table, summary, write_results
from bench.shop import ShopProcess, guest_checkout
from monitor.browser import find_browser
from monitor.journey import Journey
from monitor.result import FailureKind, RunResult
from monitor.runner import Runner
from monitor.session import open_browser

LEVELS = (1, 2, 4, 8)
SATURATED = 1.10  # less than 10% more runs per minute for twice the concurrency


async def level(
    runner: Runner, journey: Journey, parallel: int, runs: int, shop_pid: int
) -> dict[str, Any]:
    limit = asyncio.Semaphore(parallel)

    async def one(n: int) -> RunResult:
        # Each run its own journey name, as concurrent runs in `serve` are different journeys:
        # runs of one journey started in the same second would share an artifacts folder.
        async with limit:
            return await runner.run(journey.model_copy(update={"name": f"{journey.name}-{n}"}))

    before = cpu_by_role(os.getpid(), exclude={shop_pid})
    shop_before = cpu_by_role(shop_pid)["python"]
    began = time.perf_counter()
    results = await asyncio.gather(*(one(n) for n in range(runs)))
    wall = time.perf_counter() - began
    cpu = cpu_delta(before, cpu_by_role(os.getpid(), exclude={shop_pid}))
    cpu["shop"] = round(cpu_by_role(shop_pid)["python"] - shop_before, 3)
    used = sum(cpu.values())
    cores = os.cpu_count() or 1
    passed = sum(r.passed for r in results)
    # Completed: reached the confirmed order, even if slower than the journey's budget.
    completed = sum(r.passed or r.failure_kind is FailureKind.BUDGET_EXCEEDED for r in results)
    return {
        "parallel": parallel,
        "runs": runs,
        "passed": passed,
        "completed": completed,
        "failure_kinds": sorted({str(r.failure_kind) for r in results if not r.passed}),
        "wall_seconds": round(wall, 2),
        "runs_per_minute": round(completed / wall * 60, 1),
        "passed_per_minute": round(passed / wall * 60, 1),
        "run_seconds": summary([r.duration_seconds for r in results]),
        "cpu_seconds": cpu,
        "cpu_seconds_per_run": {k: round(v / runs, 3) for k, v in cpu.items()},
        "cpu_busy_percent": round(used / (wall * cores) * 100, 1),
        "python_share_percent": round(cpu["python"] / used * 100, 1) if used else 0.0,
        "chromium_share_percent": round(cpu["chromium"] / used * 100, 1) if used else 0.0,
    }


def saturation(levels: list[dict[str, Any]]) -> int:
    """The concurrency beyond which doubling it no longer gives 10% more runs per minute."""
    for lower, upper in itertools.pairwise(levels):
        if upper["runs_per_minute"] < lower["runs_per_minute"] * SATURATED:
            return int(lower["parallel"])
    return int(levels[-1]["parallel"])


async def _measure(shop: ShopProcess, quick: bool) -> list[dict[str, Any]]:
    journey = guest_checkout(shop.url)
    found = []
    with tempfile.TemporaryDirectory(prefix="bench-artifacts-") as artifacts:
        async with open_browser(find_browser()) as (browser, devices):
            runner = Runner(browser, devices, artifacts_dir=Path(artifacts), trace="on-failure")
            await runner.run(journey)  # warm up
            for parallel in LEVELS:
                runs = max(4, 2 * parallel) if quick else max(12, 4 * parallel)
                found.append(await level(runner, journey, parallel, runs, shop.pid))
                print(f"  parallel {parallel}: {found[-1]['runs_per_minute']} runs/min", flush=True)
    return found


def main(quick: bool = False) -> dict[str, Any]:
    with ShopProcess() as shop:
        levels = asyncio.run(_measure(shop, quick))
    knee = saturation(levels)
    cores = os.cpu_count()
    print_table(
        f"throughput: demo guest checkout, one Chromium, {cores} cores",
        ["parallel", "runs", "completed", "passed", "completed/min", "passed/min",
         "median run s", "our CPU busy %",
         "python CPU s/run", "driver CPU s/run", "chromium CPU s/run", "shop CPU s/run"],
        [
            [
                lv["parallel"], lv["runs"], lv["completed"], lv["passed"],
                lv["runs_per_minute"], lv["passed_per_minute"],
                lv["run_seconds"]["median"], lv["cpu_busy_percent"],
                *(lv["cpu_seconds_per_run"][k] for k in ("python", "driver", "chromium", "shop")),
            ]
            for lv in levels
        ],
    )  # fmt: skip
    best = max(lv["runs_per_minute"] for lv in levels)
    print(f"saturates at parallel {knee}; best {best} completed runs/min")
    data = {
        "quick": quick,
        "levels": levels,
        "saturates_at_parallel": knee,
        "best_runs_per_minute": best,
    }
    print(f"written to {write_results('throughput', data)}")
    return data
