"""pytest plugin: the bundled demo shop, running for real on free ports.

Load it from a conftest with ``pytest_plugins = ["shop_fixtures"]``.

    def test_home_page_answers(shop):
        assert urllib.request.urlopen(shop.url).status == 200

    def test_declined_card(shop, page):
        shop.set_faults(["decline-all"])
        page.goto(shop.url)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.demo import DemoShopThread

# A shopper's checkout details, as the demo shop's form (and its single-page app's API) take them.
SHOPPER_DETAILS = {
    "email": "shopper@example.com",
    "name": "Sam Shopper",
    "street": "Main Street 1",
    "postcode": "12345",
    "city": "Utrecht",
    "country": "Netherlands",
    "delivery": "home",
    "delivery-window": "08:00-12:00",
}


@pytest.fixture(scope="session")
def demo_shop_server() -> Iterator[DemoShopThread]:
    """One demo shop and payment provider for the whole session, on free ports."""
    with DemoShopThread() as shop:
        yield shop


@pytest.fixture
def shop(demo_shop_server: DemoShopThread) -> Iterator[DemoShopThread]:
    """The running demo shop with no faults active, and none left behind after the test."""
    demo_shop_server.clear_faults()
    yield demo_shop_server
    demo_shop_server.clear_faults()
