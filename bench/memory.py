"""Memory and leaks of `serve`: RSS of our process and of Chromium every 100 runs.

`python -m monitor serve DIR --listen 127.0.0.1:0 --concurrency 2` runs copies of the demo guest
checkout (every 1s, retries 0) against the demo shop. Runs are counted from /metrics
(`checkout_journey_runs_total`); at every 100 runs the serve process, Playwright's driver and
every Chromium process below it are measured (RSS, and PSS where shared pages are split fairly).

    python -m bench memory            # 1000 runs
    python -m bench memory --quick    # 100 runs, sampled every 20
"""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.procs import descendants, pss_bytes, role
from bench.report import print_table, write_results
from bench.shop import GUEST_CHECKOUT, ROOT, ShopProcess

MB = 1024 * 1024
READY_TIMEOUT = 60.0
POLL = 1.0


@dataclass(frozen=True)
class Sample:
    runs: int
    passed: int
    seconds: float
    serve_rss_mb: float
    driver_rss_mb: float
    chromium_processes: int
    renderers: int  # one or more per open context: they come and go with runs
    chromium_rss_mb: float
    chromium_pss_mb: float
    chromium_long_lived_pss_mb: float  # browser, GPU, network, zygotes: what lives for hours
    total_pss_mb: float


def journey_files(folder: Path, copies: int) -> None:
    """Copies of the demo guest checkout that run every second and are not retried."""
    text = GUEST_CHECKOUT.read_text()
    for n in range(1, copies + 1):
        body = text.replace("name: demo-guest-checkout", f"name: bench-memory-{n}")
        body = body.replace("every: 5m", "every: 1s\nretries: 0")
        (folder / f"bench-memory-{n}.yaml").write_text(body)


def runs_so_far(metrics_url: str) -> tuple[int, int]:
    """(all runs, passed runs) counted in /metrics."""
    with urllib.request.urlopen(metrics_url, timeout=10) as response:
        text = response.read().decode()
    total = passed = 0
    for match in re.finditer(r"^checkout_journey_runs_total\{([^}]*)\} (\S+)$", text, re.M):
        count = int(float(match.group(2)))
        total += count
        if 'result="passed"' in match.group(1):
            passed += count
    return total, passed


def chromium_type(pid: int) -> str:
    """`browser` for Chromium's main process, else its --type (renderer, gpu-process...)."""
    try:
        # Chromium rewrites its command line: the arguments may be one space-joined string.
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return "gone"
    found = re.search(rb"--type=([\w-]+)", cmdline)
    return found.group(1).decode() if found else "browser"


def measure_once(serve_pid: int, runs: int, passed: int, began: float) -> Sample:
    serve = driver = chromium_rss = chromium_pss = long_lived = total_pss = 0
    chromium = renderers = 0
    for proc in descendants(serve_pid):
        kind = role(proc, serve_pid)
        pss = pss_bytes(proc.pid) or proc.rss_bytes
        total_pss += pss
        if kind == "python":
            serve = proc.rss_bytes
        elif kind == "driver":
            driver += proc.rss_bytes
        elif kind == "chromium":
            chromium += 1
            chromium_rss += proc.rss_bytes
            chromium_pss += pss
            if chromium_type(proc.pid) == "renderer":
                renderers += 1
            else:
                long_lived += pss
    return Sample(
        runs,
        passed,
        round(time.monotonic() - began, 1),
        round(serve / MB, 1),
        round(driver / MB, 1),
        chromium,
        renderers,
        round(chromium_rss / MB, 1),
        round(chromium_pss / MB, 1),
        round(long_lived / MB, 1),
        round(total_pss / MB, 1),
    )


def measure(serve_pid: int, runs: int, passed: int, began: float, times: int = 3) -> Sample:
    """Each figure the median of `times` looks half a second apart: renderers come and go."""
    looks = []
    for n in range(times):
        if n:
            time.sleep(0.5)
        looks.append(asdict(measure_once(serve_pid, runs, passed, began)))
    middle = {key: statistics.median(look[key] for look in looks) for key in looks[0]}
    middle.update(runs=runs, passed=passed, seconds=looks[0]["seconds"])
    counts = ("chromium_processes", "renderers")
    return Sample(**{k: int(v) if k in counts else v for k, v in middle.items()})


def _wait_for_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if found := re.search(r"metrics\s+(http://\S+)/metrics", line):
            return found.group(1)
    raise RuntimeError("serve did not say where it listens")


def _still_running(pids: list[int], within: float) -> list[int]:
    """The pids still alive after waiting up to `within` seconds for them to end."""
    deadline = time.monotonic() + within
    while True:
        left = [pid for pid in pids if _alive(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"  # a zombie has ended, only not yet reaped


def growth(first: float, last: float) -> float:
    return round((last - first) / first * 100, 1) if first else 0.0


def run(quick: bool = False, runs: int | None = None, every: int | None = None) -> dict[str, Any]:
    target = runs or (100 if quick else 1000)
    step = every or (20 if quick else 100)
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, ShopProcess() as shop:
        folder = Path(tmp) / "journeys"
        folder.mkdir()
        journey_files(folder, copies=2)
        log_path = Path(tmp) / "serve.log"
        command = [
            sys.executable, "-m", "monitor", "serve", str(folder),
            "--listen", "127.0.0.1:0", "--concurrency", "2",
            "--artifacts", str(Path(tmp) / "artifacts"),
        ]  # fmt: skip
        env = {**os.environ, "SHOP_URL": shop.url}
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT, env=env
            )
            try:
                base = _wait_for_url(process)
                began = time.monotonic()
                samples.append(measure(process.pid, 0, 0, began))
                print(f"serve pid {process.pid} at {base}; {target} runs", flush=True)
                next_mark = step
                most = 0
                while True:
                    time.sleep(POLL)
                    now = descendants(process.pid)
                    most = max(most, sum(role(p, process.pid) == "chromium" for p in now))
                    total, passed = runs_so_far(base + "/metrics")
                    if total >= next_mark:
                        sample = measure(process.pid, total, passed, began)
                        samples.append(sample)
                        print("  " + " ".join(f"{k}={v}" for k, v in asdict(sample).items()))
                        next_mark = (total // step + 1) * step
                        if total >= target:
                            break
                    if process.poll() is not None:
                        raise RuntimeError(f"serve ended early; see {log_path}")
                chromium_pids = [
                    p.pid for p in descendants(process.pid) if role(p, process.pid) == "chromium"
                ]
            finally:
                process.send_signal(signal.SIGTERM)
                exit_code = process.wait(60)
        left = _still_running(chromium_pids, within=15.0)
        failures = [
            line.strip() for line in log_path.read_text().splitlines() if " failed" in line
        ][:20]
    return _summarise(samples, step, exit_code, left, failures, quick, most)


def _summarise(
    samples: list[Sample],
    step: int,
    exit_code: int,
    left: list[int],
    failures: list[str],
    quick: bool,
    most_processes: int,
) -> dict[str, Any]:
    warm = next((s for s in samples if s.runs >= step), samples[0])  # after the first mark
    last = samples[-1]
    counts = [s.chromium_processes for s in samples[1:]]
    print_table(
        "memory: serve, 2 journeys every 1s, concurrency 2",
        ["runs", "passed", "s", "serve RSS MB", "driver RSS MB", "chromium procs", "renderers",
         "chromium RSS MB", "chromium PSS MB", "long-lived PSS MB", "all PSS MB"],
        [list(asdict(s).values()) for s in samples],
    )  # fmt: skip
    verdict = {
        "warm_up_at_runs": warm.runs,
        "serve_rss_growth_percent": growth(warm.serve_rss_mb, last.serve_rss_mb),
        "chromium_pss_growth_percent": growth(warm.chromium_pss_mb, last.chromium_pss_mb),
        "chromium_long_lived_pss_growth_percent": growth(
            warm.chromium_long_lived_pss_mb, last.chromium_long_lived_pss_mb
        ),
        "chromium_rss_growth_percent": growth(warm.chromium_rss_mb, last.chromium_rss_mb),
        "total_pss_growth_percent": growth(warm.total_pss_mb, last.total_pss_mb),
        "chromium_processes_min_max": [min(counts, default=0), max(counts, default=0)],
        "chromium_processes_most_seen": most_processes,  # polled every second
        "runs_per_minute": round(last.runs / last.seconds * 60, 1) if last.seconds else 0.0,
        "serve_exit_code": exit_code,
        "chromium_left_after_stop": left,
    }
    for key, value in verdict.items():
        print(f"  {key}: {value}")
    return {
        "quick": quick,
        "setup": "serve, 2 copies of demo-guest-checkout, every 1s, retries 0, concurrency 2",
        "samples": [asdict(s) for s in samples],
        "summary": verdict,
        "failed_run_log_lines": failures,
    }


def main(quick: bool = False) -> dict[str, Any]:
    data = run(quick)
    path = write_results("memory", data)
    print(f"written to {path}")
    return data
