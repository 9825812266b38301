"""Benchmarks of checkout-monitor on this machine: overhead, throughput, memory, fidelity, /metrics.

    python -m bench all --quick      # a short version of everything
    python -m bench overhead         # one benchmark, full length

Each writes bench/results/<name>.json and prints a table. See bench/README.md.
"""
