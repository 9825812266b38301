"""Small statistics, a printed table and the JSON file of each benchmark.

write_results("overhead", {"ratio": 1.04, ...})   # bench/results/overhead.json
print_table(["variant", "median s"], [["runner", 1.23]])
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, min, max and (from 4 values) the 90th percentile, rounded to 0.1 ms."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    out = {
        "n": len(ordered),
        "median": statistics.median(ordered),
        "min": ordered[0],
        "max": ordered[-1],
    }
    if len(ordered) >= 4:
        out["p90"] = statistics.quantiles(ordered, n=10, method="inclusive")[-1]
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}


def source() -> dict[str, Any]:
    """The commit measured, and whether the tree had changes on top of it."""
    root = RESULTS.parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "monitor", "journeys"],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout.split("\n")  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None}
    return {"commit": commit, "changed_files": [line[3:] for line in dirty if line.strip()]}


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def results_path(name: str, quick: bool, directory: Path = RESULTS) -> Path:
    """bench/results/<name>.json; a --quick run writes <name>.quick.json beside it."""
    return directory / f"{name}{'.quick' if quick else ''}.json"


def write_results(name: str, data: dict[str, Any], directory: Path = RESULTS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = results_path(name, bool(data.get("quick")), directory)
    head = {"benchmark": name, "machine": machine(), "source": source()}
    path.write_text(json.dumps({**head, **data}, indent=2) + "\n")
    return path


def add_to_results(
    name: str, quick: bool, extra: dict[str, Any], directory: Path = RESULTS
) -> None:
    path = results_path(name, quick, directory)
    if path.exists():
        path.write_text(json.dumps({**json.loads(path.read_text()), **extra}, indent=2) + "\n")


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    line = "  ".join("-" * w for w in widths)
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    for row in cells:
        pairs = enumerate(zip(row, widths, strict=True))
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in pairs))
    print(flush=True)
