"""checkout-monitor: a synthetic shopper that walks a web shop's checkout and measures it.

    import monitor

    [journey] = monitor.load_journeys("journeys/checkout.yaml")
    result = monitor.play(journey)          # a RunResult: passed, failure, clicks, page_loads...

The Python API (api.py) is imported on first use, so `import monitor` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from monitor.api import Player, load_journeys, parse_journeys, play, play_async, with_base_url
    from monitor.errors import BrowserError, CheckoutMonitorError, JourneyError
    from monitor.journey import Journey
    from monitor.result import FailureKind, RunResult
    from monitor.session import AsyncPlayer

_LAZY = {
    "Player": "monitor.api",
    "load_journeys": "monitor.api",
    "parse_journeys": "monitor.api",
    "play": "monitor.api",
    "play_async": "monitor.api",
    "with_base_url": "monitor.api",
    "AsyncPlayer": "monitor.session",
    "Journey": "monitor.journey",
    "RunResult": "monitor.result",
    "FailureKind": "monitor.result",
    "CheckoutMonitorError": "monitor.errors",
    "JourneyError": "monitor.errors",
    "BrowserError": "monitor.errors",
}

__all__ = [
    "AsyncPlayer",
    "BrowserError",
    "CheckoutMonitorError",
    "FailureKind",
    "Journey",
    "JourneyError",
    "Player",
    "RunResult",
    "__version__",
    "load_journeys",
    "parse_journeys",
    "play",
    "play_async",
    "with_base_url",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'monitor' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
