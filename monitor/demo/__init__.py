"""The bundled demo shop: a real-looking web shop with a payment provider and switchable faults.

It is checkout-monitor's embedded default target and its test bed.

    from monitor.demo import DemoShopThread

    with DemoShopThread(faults=["pay-button=covered"]) as shop:
        print(shop.url)                   # http://127.0.0.1:PORT
        shop.set_faults(["decline-all"])  # change faults while it runs

From the shell: ``python -m monitor.demo --port 8080 --fault slow:/checkout=2000``.
"""

from __future__ import annotations

from monitor.demo.faults import (
    FAULT_SPECS,
    Fault,
    FaultError,
    FaultKind,
    FaultSet,
    PayButtonMode,
    parse_fault,
)
from monitor.demo.provider import create_provider_app
from monitor.demo.server import DemoShop, DemoShopThread, start_demo_shop
from monitor.demo.shop import create_shop_app

__all__ = [
    "FAULT_SPECS",
    "DemoShop",
    "DemoShopThread",
    "Fault",
    "FaultError",
    "FaultKind",
    "FaultSet",
    "PayButtonMode",
    "create_provider_app",
    "create_shop_app",
    "parse_fault",
    "start_demo_shop",
]
