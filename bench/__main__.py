"""`python -m bench all|overhead|command|throughput|memory|fidelity|metrics|cpu [--quick]`."""

from __future__ import annotations

import argparse
import importlib
import time

from bench.procs import Contention
from bench.report import add_to_results

BENCHMARKS = {  # module per benchmark; its results file is named after the key
    "overhead": "bench.overhead",
    "command": "bench.command",
    "throughput": "bench.throughput",
    "fidelity": "bench.fidelity",
    "metrics": "bench.scrape",
    "memory": "bench.memory",
    "cpu": "bench.cpu",
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("name", choices=["all", *BENCHMARKS], help="which benchmark")
    parser.add_argument("--quick", action="store_true", help="a short version (a few minutes)")
    args = parser.parse_args()
    names = list(BENCHMARKS) if args.name == "all" else [args.name]
    took: dict[str, float] = {}
    for name in names:
        began = time.monotonic()
        print(f"== {name}{' (quick)' if args.quick else ''}", flush=True)
        contention = Contention().start()
        importlib.import_module(BENCHMARKS[name]).main(quick=args.quick)
        took[name] = time.monotonic() - began
        busy = contention.stop()
        add_to_results(name, args.quick, {"contention": busy})
        print(
            f"{name}: {took[name]:.0f}s; other processes on this machine used "
            f"{busy['other_processes_cpu_seconds']} CPU-s meanwhile "
            f"({busy['other_processes_percent_of_machine']}% of it)",
            flush=True,
        )
    if len(names) > 1:
        print("\n" + "  ".join(f"{name} {seconds:.0f}s" for name, seconds in took.items()))
        print(f"all: {sum(took.values()):.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
