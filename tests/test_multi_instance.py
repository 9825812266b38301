"""Past one machine, for real: three `serve` instances scraped by one Prometheus with the rules.

Two shards of location `eu` and one instance of location `us`, the demo shop, and a real
Prometheus evaluating dashboards/alerts.yml 60x faster. The query API must show every journey
loaded and run in exactly one shard per location; a journey failing from one location only
must be that location's warning and page nobody; a fault seen from every location must page;
and a stopped instance must be the only one reported down.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from serve_fixtures import ROOT, Prometheus, ServeProcess, wait_for
from test_dashboards import compressed_rules, firing

from monitor.demo import DemoShopThread
from monitor.shard import shard_of

pytestmark = pytest.mark.browser

# Names chosen so that each of two shards takes two (asserted below, not assumed).
JOURNEYS = ["shop-home", "shop-geo", "shop-delivery", "shop-pickup"]
LOCATIONS = {"eu", "us"}


def write_journeys(folder: Path) -> list[Path]:
    """One-page journeys every 2 s. `shop-geo` expects `${GEO_TEXT}`: what a shopper in one
    place sees and one in another does not (a geo-blocked page, a CDN edge serving old HTML)."""
    folder.mkdir()
    paths = []
    for name in JOURNEYS:
        expected = "${GEO_TEXT}" if name == "shop-geo" else "Trail Runner"
        path = folder / f"{name}.yaml"
        path.write_text(
            f"name: {name}\nsite: demo-shop\nbase_url: ${{SHOP_URL}}\nevery: 2s\n"
            "timeout: 5s\nretries: 0\n"
            "error_page_text: [Bad Gateway]\n"
            f"steps:\n  - goto: /\n    name: home\n  - expect: {{text: '{expected}'}}\n"
            "    name: products\n"
        )
        paths.append(path)
    return paths


def pairs(alerts: list[dict[str, object]]) -> set[tuple[str, str]]:
    return {(a["labels"]["journey"], a["labels"]["location"]) for a in alerts}  # type: ignore[index]


def test_shards_and_locations_on_one_prometheus(
    shop: DemoShopThread,
    tmp_path: Path,
    serve_process: Callable[..., ServeProcess],
    prometheus: Callable[..., Prometheus],
) -> None:
    assert {shard_of(name, 2) for name in JOURNEYS} == {1, 2}, "the test needs both shards busy"
    journeys = write_journeys(tmp_path / "journeys")
    env = {"SHOP_URL": shop.url, "GEO_TEXT": "Trail Runner"}
    eu = {
        shard: serve_process(journeys, "--location", "eu", "--shard", f"{shard}/2", env=env)
        for shard in (1, 2)
    }
    us = serve_process(
        journeys, "--location", "us", env={**env, "GEO_TEXT": "Only shown in the US"}
    )
    instances = {server.url.removeprefix("http://"): server for server in [*eu.values(), us]}
    rules = tmp_path / "alerts-fast.yml"
    rules.write_text(compressed_rules((ROOT / "dashboards" / "alerts.yml").read_text()))
    prom = prometheus(list(instances), rule_files=[rules])

    # Every journey loaded and run exactly once per location, in eu by the shard the hash says.
    def ran() -> list[dict[str, object]]:
        return prom.query("checkout_journey_last_run_timestamp_seconds")

    wait_for(lambda: len(ran()) >= 8, 90, "every journey to run in both locations")
    for metric in (
        "checkout_journey_interval_seconds",
        "checkout_journey_last_run_timestamp_seconds",
    ):
        per_location = prom.query(f"count by (journey, location) ({metric})")
        assert {
            (s["metric"]["journey"], s["metric"]["location"]): s["value"][1] for s in per_location
        } == {(name, location): "1" for name in JOURNEYS for location in LOCATIONS}, metric
    shard_url = {shard: server.url.removeprefix("http://") for shard, server in eu.items()}
    placed = {
        series["metric"]["journey"]: series["metric"]["instance"]
        for series in prom.query('checkout_journey_interval_seconds{location="eu"}')
    }
    assert placed == {name: shard_url[shard_of(name, 2)] for name in JOURNEYS}

    # shop-geo fails from us only: a warning about us, no page.
    wait_for(
        lambda: pairs(firing(prom, "CheckoutLocationFailing")) == {("shop-geo", "us")},
        60,
        "CheckoutLocationFailing for shop-geo from us",
    )
    (warning,) = firing(prom, "CheckoutLocationFailing")
    assert warning["labels"]["severity"] == "warning"
    assert warning["annotations"]["summary"].startswith("shop-geo fails from us only")
    assert firing(prom, "CheckoutDown") == []
    assert (
        prom.value('checkout_journey_consecutive_failures{journey="shop-geo", location="eu"}') == 0
    )

    # A fault every location sees: every journey down from both locations pages.
    shop.set_faults(["status:/=502"])
    everything = {(name, location) for name in JOURNEYS for location in LOCATIONS}

    def all_down() -> list[dict[str, Any]] | None:
        # shop-geo was already failing from us (assertion_failed): its alert names the new
        # kind from its first run after the fault on.
        down = firing(prom, "CheckoutDown")
        kinds = {a["labels"]["kind"] for a in down}
        return down if pairs(down) == everything and kinds == {"error_page"} else None

    down = wait_for(all_down, 60, "CheckoutDown for every journey from both locations")
    assert {a["labels"]["severity"] for a in down} == {"page"}
    assert prom.value('checkout:journey_down{journey="shop-home"}') == 2
    assert firing(prom, "CheckoutLocationFailing") == []

    # One instance stopped: CheckoutMonitorDown for that instance and no other.
    shop.set_faults([])
    stopped = shard_url[2]
    assert eu[2].stop() == 0
    wait_for(lambda: firing(prom, "CheckoutMonitorDown"), 60, "CheckoutMonitorDown")
    assert [a["labels"]["instance"] for a in firing(prom, "CheckoutMonitorDown")] == [stopped]
    assert {
        s["metric"]["instance"]: s["value"][1] for s in prom.query('up{job="checkout-monitor"}')
    } == {url: ("0" if url == stopped else "1") for url in instances}
