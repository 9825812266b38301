"""Overhead: the demo guest checkout played by our Runner (A) and by a bare script (B, the floor).

Both in one process, on one Chromium launched with `monitor.browser.launch_options`, a fresh
context per run, alternated A B A B. Then the Runner variants (each leaving one measurement out)
and the floor in rotating order, and a profile of where a Runner run's time goes.

    python -m bench overhead            # 30 A/B pairs, 10 rounds of variants
    python -m bench overhead --quick    # 10 pairs, 3 rounds
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser

from bench.floor import check_mirrors
from bench.floor import guest_checkout as floor_checkout
from bench.procs import cpu_by_role, cpu_delta
from bench.report import print_table, summary, write_results
from bench.shop import ShopProcess, guest_checkout
from bench.variants import RUNNER, VARIANTS, Profile, Variant, profiled
from monitor.browser import find_browser
from monitor.journey import Journey
from monitor.session import open_browser

TARGET_RATIO = 1.10
FLOOR = "floor"


@dataclass
class Arm:
    """The runs of one way of playing the checkout."""

    name: str
    seconds: list[float] = field(default_factory=list)
    cpu: list[dict[str, float]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def cpu_per_run(self) -> dict[str, float]:
        if not self.cpu:
            return {}
        return {k: round(statistics.mean(c[k] for c in self.cpu), 3) for k in self.cpu[0]}


@dataclass
class Bench:
    browser: Browser
    devices: Mapping[str, Any]
    shop_url: str
    shop_pid: int
    journey: Journey
    artifacts: Path

    async def timed(self, arm: Arm, play: Callable[[], Awaitable[str | None]]) -> None:
        before = cpu_by_role(os.getpid(), exclude={self.shop_pid})
        began = time.perf_counter()
        failure = await play()
        arm.seconds.append(time.perf_counter() - began)
        arm.cpu.append(cpu_delta(before, cpu_by_role(os.getpid(), exclude={self.shop_pid})))
        if failure is not None:
            arm.failures.append(failure)

    async def floor(self) -> str | None:
        await floor_checkout(self.browser, self.devices, self.shop_url)
        return None

    async def variant(self, variant: Variant) -> str | None:
        with variant.applied():
            runner = variant.runner(self.browser, self.devices, self.artifacts)
            result = await runner.run(self.journey)
        return None if result.passed else f"{result.failure_kind}: {result.failure}"

    def play(self, name: str) -> Callable[[], Awaitable[str | None]]:
        if name == FLOOR:
            return self.floor
        chosen = next(v for v in VARIANTS if v.name == name)
        return lambda: self.variant(chosen)


async def measure(bench: Bench, pairs: int, rounds: int, profile_runs: int) -> dict[str, Any]:
    for _ in range(2):  # warm up Chromium, the shop and both code paths
        await bench.variant(RUNNER)
        await bench.floor()
    a, b = Arm(RUNNER.name), Arm(FLOOR)
    for _ in range(pairs):
        await bench.timed(a, bench.play(a.name))
        await bench.timed(b, bench.play(b.name))
    arms = {name: Arm(name) for name in [FLOOR, *(v.name for v in VARIANTS)]}
    order = list(arms)
    for r in range(rounds):
        for name in order[r % len(order) :] + order[: r % len(order)]:
            await bench.timed(arms[name], bench.play(name))
    profile = Profile()
    began = time.perf_counter()
    with profiled(profile):
        for _ in range(profile_runs):
            await bench.variant(RUNNER)
    profile_wall = (time.perf_counter() - began) / max(1, profile_runs)
    return _results(a, b, arms, profile, profile_runs, profile_wall)


def _results(
    a: Arm, b: Arm, arms: dict[str, Arm], profile: Profile, runs: int, wall: float
) -> dict[str, Any]:
    pair_ratios = [x / y for x, y in zip(a.seconds, b.seconds, strict=True)]
    runner_median = statistics.median(arms[RUNNER.name].seconds)
    floor_median = statistics.median(arms[FLOOR].seconds)
    leaves_out = {v.name: v.leaves_out for v in VARIANTS} | {FLOOR: "bare Playwright script"}
    variants = {
        name: {
            "leaves_out": leaves_out[name],
            "seconds": summary(arm.seconds),
            "saves_vs_runner_s": round(runner_median - statistics.median(arm.seconds), 4),
            "ratio_to_floor": round(statistics.median(arm.seconds) / floor_median, 3),
            "cpu_per_run_s": arm.cpu_per_run(),
            "failures": arm.failures,
        }
        for name, arm in arms.items()
    }
    per_run = {
        name: {
            "seconds_per_run": round(profile.seconds[name] / runs, 4),
            "calls_per_run": round(profile.calls[name] / runs, 1),
        }
        for name in profile.seconds
    }
    return {
        "ab": {
            "pairs": len(pair_ratios),
            "runner_seconds": summary(a.seconds),
            "floor_seconds": summary(b.seconds),
            "median_pair_ratio": round(statistics.median(pair_ratios), 3),
            "ratio_of_medians": round(
                statistics.median(a.seconds) / statistics.median(b.seconds), 3
            ),
            "target_ratio": TARGET_RATIO,
            "runner_cpu_per_run_s": a.cpu_per_run(),
            "floor_cpu_per_run_s": b.cpu_per_run(),
            "failures": a.failures + b.failures,
        },
        "variants": variants,
        "profile": {"runs": runs, "wall_seconds_per_run": round(wall, 4), "parts": per_run},
    }


def _print(data: dict[str, Any]) -> None:
    ab = data["ab"]
    cpu_a, cpu_b = ab["runner_cpu_per_run_s"], ab["floor_cpu_per_run_s"]
    print_table(
        f"overhead: A = Runner, B = bare Playwright, {ab['pairs']} alternated pairs",
        ["", "median s", "min s", "max s", "python CPU s", "driver CPU s", "chromium CPU s"],
        [
            ["A runner", *_spread(ab["runner_seconds"]), *_cpu(cpu_a)],
            ["B floor", *_spread(ab["floor_seconds"]), *_cpu(cpu_b)],
        ],
    )
    verdict = "meets" if ab["median_pair_ratio"] <= TARGET_RATIO else "misses"
    print(
        f"median A/B ratio {ab['median_pair_ratio']} (ratio of medians {ab['ratio_of_medians']}); "
        f"{verdict} the target {TARGET_RATIO}"
    )
    print_table(
        "overhead by variant (rotating order)",
        ["variant", "leaves out", "median s", "saves s", "x floor", "python CPU s", "fails"],
        [
            [
                name,
                v["leaves_out"],
                v["seconds"]["median"],
                v["saves_vs_runner_s"],
                v["ratio_to_floor"],
                v["cpu_per_run_s"].get("python", 0.0),
                len(v["failures"]),
            ]
            for name, v in data["variants"].items()
        ],
    )
    profile = data["profile"]
    print_table(
        f"where a Runner run's time goes ({profile['runs']} runs, "
        f"{profile['wall_seconds_per_run']:.3f}s each)",
        ["part", "s per run", "calls per run"],
        [[k, v["seconds_per_run"], v["calls_per_run"]] for k, v in profile["parts"].items()],
    )


def _spread(s: dict[str, float]) -> list[float]:
    return [s["median"], s["min"], s["max"]]


def _cpu(cpu: dict[str, float]) -> list[float]:
    return [cpu.get("python", 0.0), cpu.get("driver", 0.0), cpu.get("chromium", 0.0)]


async def _main(shop: ShopProcess, pairs: int, rounds: int, profile_runs: int) -> dict[str, Any]:
    journey = guest_checkout(shop.url)
    check_mirrors([step.ACTION for step in journey.steps])
    with tempfile.TemporaryDirectory(prefix="bench-artifacts-") as artifacts:
        async with open_browser(find_browser()) as (browser, devices):
            bench = Bench(browser, devices, shop.url, shop.pid, journey, Path(artifacts))
            return await measure(bench, pairs, rounds, profile_runs)


def main(quick: bool = False) -> dict[str, Any]:
    pairs, rounds, profile_runs = (10, 3, 5) if quick else (30, 10, 20)
    with ShopProcess() as shop:
        data = asyncio.run(_main(shop, pairs, rounds, profile_runs))
    data["quick"] = quick
    _print(data)
    print(f"written to {write_results('overhead', data)}")
    return data
