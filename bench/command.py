"""What users feel: `checkout-monitor run` as a whole command against a bare Playwright script.

Each arm is a new process, started as its users start it (`checkout-monitor run DIR` from the
virtualenv; `python bench/bare.py ...`), so importing, finding the browser, launching it and
closing it all count. Cases: 1 journey, 10 journeys, 10 journeys 4 at once (`--parallel 4`),
on the server-rendered demo checkout and on the single-page one (`/spa/`). In each case the
arms alternate, A B C then C B A, for `rounds` rounds; the headline is the median of the
pairwise ratios (command / bare), beside the ratio of the medians. The third arm is the bare
script given node's compile cache for Playwright's driver, as the command gives itself one
(`x time vs bare+cache`): what the command would be against a script that knew about it.
Peak memory is the largest sum of RSS over the process tree (the command, Playwright's
driver, every Chromium process), polled every 50 ms; the same for every arm. CPU seconds of
the whole tree come from getrusage: this process is made the subreaper of what its children
start, and reaps it all after each run, so Chromium's helpers count wherever their parent
went.

Rounds: 7 (quick: 3). Pair ratios of single runs on this machine spread by ±10-20% (other
virtual machines share its host); the median of 7 alternated pairs holds to a few percent.
"""

from __future__ import annotations

import ctypes
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.floor import check_mirrors
from bench.procs import descendants
from bench.report import print_table, summary, write_results
from bench.shop import ROOT, ShopProcess

JOURNEYS = {"ssr": "demo-guest-checkout", "spa": "demo-spa-checkout"}
CASES = ((1, 1), (10, 1), (10, 4))  # (journeys, at once)
COMMAND = Path(sys.executable).parent / "checkout-monitor"
BARE = Path(__file__).resolve().parent / "bare.py"


_PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_bytes: int
    exit_code: int
    cpu_seconds: float = 0.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _reap_orphans(seconds: float = 5.0) -> None:
    """Wait for every process handed to us (Chromium's helpers, once their parent ended)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.02)


def peak_rss_of(process: subprocess.Popen[bytes], every: float = 0.05) -> Sample:
    """Wait for the process; its wall time from spawn and the tree's largest summed RSS."""
    began = time.perf_counter()
    peak = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, sum(p.rss_bytes for p in descendants(process.pid)))
            stop.wait(every)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    code = process.wait()
    seconds = time.perf_counter() - began
    stop.set()
    watcher.join()
    return Sample(seconds, peak, code)


def journeys_folder(folder: Path, checkout: str, count: int) -> Path:
    """`count` copies of the demo journey, named apart, in a folder of their own."""
    source = (ROOT / "journeys" / f"{JOURNEYS[checkout]}.yaml").read_text()
    target = folder / f"{checkout}-{count}"
    if target.exists():  # the same journeys, run N at once
        return target
    target.mkdir()
    for n in range(count):
        name = f"{JOURNEYS[checkout]}-{n:02d}"
        text = source.replace(f"name: {JOURNEYS[checkout]}\n", f"name: {name}\n", 1)
        (target / f"{name}.yaml").write_text(text)
    return target


def command_arm(folder: Path, parallel: int, shop_url: str, artifacts: Path) -> list[str]:
    run = [str(COMMAND), "run", str(folder), "--quiet", "--artifacts", str(artifacts)]
    return run + (["--parallel", str(parallel)] if parallel > 1 else [])


def bare_arm(
    checkout: str, count: int, parallel: int, shop_url: str, browser: str, args: list[str]
) -> list[str]:
    argv = [sys.executable, str(BARE), "--shop", shop_url, "--browser", browser]
    argv += [f"--arg={arg}" for arg in args]
    return [*argv, "--checkout", checkout, "--journeys", str(count), "--parallel", str(parallel)]


def run_once(argv: list[str], env: dict[str, str]) -> Sample:
    cpu_before = _children_cpu()
    process = subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    sample = peak_rss_of(process)
    _reap_orphans()
    sample = Sample(
        sample.seconds, sample.peak_rss_bytes, sample.exit_code, _children_cpu() - cpu_before
    )
    if sample.exit_code != 0:
        error = process.stderr.read().decode(errors="replace")[-2000:] if process.stderr else ""
        raise SystemExit(f"{argv[:3]} failed (exit {sample.exit_code}): {error}")
    if process.stderr:
        process.stderr.close()
    return sample


def main(quick: bool = False) -> None:
    from monitor.browser import find_browser, launch_options, use_node_compile_cache
    from monitor.loader import load_journeys

    rounds = 3 if quick else 7
    ctypes.CDLL(None).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    found = find_browser()
    options = launch_options(found)
    with ShopProcess() as shop, tempfile.TemporaryDirectory(prefix="bench-command-") as tmp:
        env = {**os.environ, "SHOP_URL": shop.url}
        # The bare script as its users start it, and given node's compile cache for its
        # driver as the command gives itself one (monitor.browser.use_node_compile_cache).
        cached_env = dict(env)
        use_node_compile_cache(cached_env)
        for name in JOURNEYS.values():
            (journey,) = load_journeys([ROOT / "journeys" / f"{name}.yaml"], env=env)
            check_mirrors([step.ACTION for step in journey.steps])
        cases: dict[str, dict[str, object]] = {}
        rows = []
        for checkout in JOURNEYS:
            for count, parallel in CASES:
                folder = journeys_folder(Path(tmp), checkout, count)
                bare = bare_arm(checkout, count, parallel, shop.url, found.path, options["args"])
                arms = {
                    "command": (
                        command_arm(folder, parallel, shop.url, Path(tmp) / "artifacts"),
                        env,
                    ),
                    "bare": (bare, env),
                    "bare_cached": (bare, cached_env),
                }
                # One warm-up each (page cache, the shop's first answers), not counted.
                for argv, arm_env in arms.values():
                    run_once(argv, arm_env)
                samples: dict[str, list[Sample]] = {arm: [] for arm in arms}
                for n in range(rounds):
                    order = list(arms) if n % 2 == 0 else list(reversed(arms))
                    for arm in order:
                        samples[arm].append(run_once(*arms[arm]))
                at_once = f", {parallel} at once" if parallel > 1 else ""
                key = f"{checkout} {count} journeys{at_once}"
                cases[key] = _case(samples)
                figures = cases[key]
                rows.append(
                    [
                        key,
                        figures["bare_median_s"],
                        figures["command_median_s"],
                        figures["time_ratio"],
                        figures["bare_peak_rss_mb"],
                        figures["command_peak_rss_mb"],
                        figures["memory_ratio"],
                        figures["bare_cpu_s"],
                        figures["command_cpu_s"],
                        figures["time_ratio_of_medians"],
                        figures["time_ratio_vs_bare_cached"],
                    ]
                )
                print(f"  {key}: ratio {figures['time_ratio']}", flush=True)
    print_table(
        f"checkout-monitor run vs a bare Playwright script, whole command ({rounds} rounds)",
        [
            "case",
            "bare s",
            "command s",
            "x time",
            "bare MB",
            "command MB",
            "x memory",
            "bare CPU-s",
            "command CPU-s",
            "x time, of medians",
            "x time vs bare+cache",
        ],
        rows,
    )
    write_results(
        "command",
        {
            "quick": quick,
            "rounds": rounds,
            "browser": found.path,
            "command": str(COMMAND),
            "cases": cases,
        },
    )


def _case(samples: dict[str, list[Sample]]) -> dict[str, object]:
    command, bare, cached = samples["command"], samples["bare"], samples["bare_cached"]
    pairs = [c.seconds / b.seconds for c, b in zip(command, bare, strict=True)]
    cached_pairs = [c.seconds / b.seconds for c, b in zip(command, cached, strict=True)]
    memory = [c.peak_rss_bytes / b.peak_rss_bytes for c, b in zip(command, bare, strict=True)]
    mb = 1024 * 1024
    return {
        "command_s": summary([s.seconds for s in command]),
        "bare_s": summary([s.seconds for s in bare]),
        "command_median_s": round(statistics.median(s.seconds for s in command), 3),
        "bare_median_s": round(statistics.median(s.seconds for s in bare), 3),
        "time_ratio": round(statistics.median(pairs), 3),
        "time_ratio_of_medians": round(
            statistics.median(s.seconds for s in command)
            / statistics.median(s.seconds for s in bare),
            3,
        ),
        "pair_ratios": [round(r, 3) for r in pairs],
        "bare_cached_median_s": round(statistics.median(s.seconds for s in cached), 3),
        "time_ratio_vs_bare_cached": round(statistics.median(cached_pairs), 3),
        "pair_ratios_vs_bare_cached": [round(r, 3) for r in cached_pairs],
        "command_peak_rss_mb": round(statistics.median(s.peak_rss_bytes for s in command) / mb, 1),
        "bare_peak_rss_mb": round(statistics.median(s.peak_rss_bytes for s in bare) / mb, 1),
        "memory_ratio": round(statistics.median(memory), 3),
        "command_cpu_s": round(statistics.median(s.cpu_seconds for s in command), 2),
        "bare_cpu_s": round(statistics.median(s.cpu_seconds for s in bare), 2),
    }
