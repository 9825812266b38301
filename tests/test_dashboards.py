"""dashboards/: alert rules, their promtool tests, the example configs, and the Grafana dashboard.

The files are checked by the tools that will load them (promtool, amtool), and every dashboard
query runs against a real Prometheus scraping a real `serve` walking the demo shop.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry
from serve_fixtures import (
    ROOT,
    Prometheus,
    ServeProcess,
    http_get,
    serve_bytes,
    wait_for,
    webhook_receiver,
)
from test_serve import fast_copy

from monitor.demo import DemoShopThread
from monitor.metrics import CheckoutMetrics

DASHBOARDS = ROOT / "dashboards"
ALERTS = DASHBOARDS / "alerts.yml"
ALERT_TESTS = DASHBOARDS / "tests" / "alerts_test.yml"
DASHBOARD = DASHBOARDS / "checkout-monitor.json"
PROMETHEUS_CONFIG = DASHBOARDS / "prometheus.yml"
ALERTMANAGER_CONFIG = DASHBOARDS / "alertmanager.yml"

# How Grafana fills in its variables when a query runs; "All" of a multi-value variable is
# its allValue, `.*`. The window is long enough to hold several scrapes of the test's
# Prometheus (1 s) and runs of its journeys (every 2 s).
RATE_WINDOW = "30s"
GRAFANA_VARIABLES = {
    "__rate_interval": RATE_WINDOW,
    "__interval": "5s",
    "__range": "1m",
    "__range_s": "60",
    "__interval_ms": "5000",
}


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (scripts/setup --test installs it)")
    return found


def check(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def compressed_rules(text: str) -> str:
    """The alert rules 60x faster: every duration is written `<N>m`, and becomes `<N>s`.

    Clock arithmetic (`time()`) is left as it is: the rules only compare it with a journey's
    own interval, which the test's journeys set to seconds themselves."""
    return re.sub(r"\b(\d+)m\b", r"\1s", text)


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every panel, including those inside (collapsed) rows."""
    for item in items:
        yield item
        yield from panels(item.get("panels", []))


def dashboard_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, PromQL) of every panel target and every Prometheus annotation."""
    queries = [
        (f"panel {panel['title']!r} {target['refId']}", target["expr"])
        for panel in panels(dashboard["panels"])
        for target in panel.get("targets", [])
    ]
    queries += [
        (f"annotation {annotation['name']!r}", annotation["expr"])
        for annotation in dashboard["annotations"]["list"]
        if "expr" in annotation
    ]
    return queries


def variable_query(variable: dict[str, Any]) -> tuple[str, str]:
    """A `label_values(selector, label)` variable's selector and label."""
    match = re.fullmatch(r"label_values\((.+), (\w+)\)", variable["definition"])
    assert match, variable["definition"]
    return match.group(1), match.group(2)


def grafana_substitute(expr: str, variables: dict[str, str]) -> str:
    """`$name`, `${name}` and `${name:format}` replaced as Grafana does, or a KeyError."""

    def value(match: re.Match[str]) -> str:
        return variables[match.group(1) or match.group(2)]

    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", value, expr)


def metric_names(text: str) -> set[str]:
    """checkout-monitor metric names a query (or a template holding queries) reads."""
    return set(re.findall(r"\b(checkout_[a-z_]+)", text))


def exposed_names() -> dict[str, set[str]]:
    """Every metric family checkout-monitor has, and the sample names it can expose."""
    registry = CollectorRegistry()
    CheckoutMetrics(registry)
    suffixes = {
        "counter": ["_total"],
        "gauge": [""],
        "histogram": ["_bucket", "_count", "_sum"],
        "info": ["_info"],
    }
    return {
        family.name: {family.name + suffix for suffix in suffixes[family.type]}
        for family in registry.collect()
    }


# ------------------------------------------------------------ the tools' own checks


def test_alert_rules_pass_promtool_check_also_when_compressed(tmp_path: Path) -> None:
    promtool = tool("promtool")
    check(promtool, "check", "rules", str(ALERTS))
    fast = tmp_path / "alerts-fast.yml"
    fast.write_text(compressed_rules(ALERTS.read_text()))
    check(promtool, "check", "rules", str(fast))


def test_alert_rules_pass_their_promtool_unit_tests() -> None:
    check(tool("promtool"), "test", "rules", str(ALERT_TESTS))


def test_example_prometheus_config_passes_promtool() -> None:
    out = check(tool("promtool"), "check", "config", str(PROMETHEUS_CONFIG))
    assert "1 rule files found" in out  # alerts.yml, found relative to the config


def test_example_alertmanager_config_passes_amtool() -> None:
    check(tool("amtool"), "check-config", str(ALERTMANAGER_CONFIG))


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["alertname=CheckoutDown", "severity=page", "journey=demo-guest-checkout"], "shop-oncall"),
        (
            ["alertname=CheckoutSlow", "severity=warning", "journey=demo-guest-checkout"],
            "shop-team",
        ),
        (["alertname=CheckoutMonitorDown", "severity=warning"], "shop-team"),
        (
            ["alertname=CheckoutLocationFailing", "severity=warning", "location=us-east"],
            "shop-team",
        ),
    ],
)
def test_alertmanager_routes_pages_to_oncall_and_warnings_to_the_team(
    labels: list[str], receiver: str
) -> None:
    out = check(
        tool("amtool"), "config", "routes", "test", f"--config.file={ALERTMANAGER_CONFIG}", *labels
    )
    assert out.split() == [receiver]


# ------------------------------------------------------------ what the files promise


def test_every_alert_has_severity_summary_description_and_status_page_link() -> None:
    rules = alert_rules()
    assert {rule["alert"] for rule in rules} >= {
        "CheckoutDown",
        "CheckoutPaymentFailing",
        "CheckoutOrderUnconfirmed",
        "CheckoutErrorPages",
        "CheckoutSlow",
        "CheckoutTooManyClicks",
        "CheckoutMonitorErrors",
        "CheckoutMonitorDown",
        "CheckoutMonitorStale",
        "CheckoutJourneyNeverRan",
        "CheckoutNotificationsFailing",
        "CheckoutBrowserRestarting",
    }
    for rule in rules:
        assert rule["labels"]["severity"] in ("page", "warning"), rule["alert"]
        assert {"summary", "description", "status_page"} <= rule["annotations"].keys()
        assert "$labels.status_page" in rule["annotations"]["status_page"], rule["alert"]


def test_alerts_about_journeys_link_to_the_journey_on_the_status_page() -> None:
    for rule in alert_rules():
        if "$labels.journey" in rule["annotations"]["summary"]:
            assert "/#journey-{{ $labels.journey }}" in rule["annotations"]["status_page"]


def test_every_alert_is_unit_tested_firing_and_not_firing() -> None:
    cases = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in cases:
        for test in case.get("alert_rule_test", []):
            (firing if test.get("exp_alerts") else quiet).add(test["alertname"])
    names = {rule["alert"] for rule in alert_rules()}
    assert names - firing == set(), "never shown firing"
    assert names - quiet == set(), "never shown quiet"


def test_every_duration_in_the_rules_is_in_minutes_so_tests_can_compress_time() -> None:
    text = ALERTS.read_text()
    durations = re.findall(r"\[(\w+)\]|offset (\w+)", text)
    assert durations and all(re.fullmatch(r"\d+m", a or b) for a, b in durations)
    for rule in alert_rules():
        assert re.fullmatch(r"\d+m", rule.get("for", "0m")), rule["alert"]
        # The clock does not compress: it may only be compared with the journey's interval,
        # which is as short as the test's journeys make it.
        if "time()" in rule["expr"]:
            assert "checkout_journey_interval_seconds" in rule["expr"], rule["alert"]


def test_rules_and_dashboard_use_only_metrics_that_exist_and_every_one_of_them() -> None:
    families = exposed_names()
    texts = [rule["expr"] + json.dumps(rule["annotations"]) for rule in alert_rules()]
    texts += [expr for _, expr in dashboard_queries(json.loads(DASHBOARD.read_text()))]
    used = {name for text in texts for name in metric_names(text)}

    assert used - set().union(*families.values()) == set()
    unused = {family for family, names in families.items() if not names & used}
    assert unused == set()


def test_dashboard_is_importable_with_datasource_journey_and_location_variables() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["schemaVersion"] >= 36
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for name in ("journey", "location"):
        variable = variables[name]
        assert variable["type"] == "query" and variable["multi"] and variable["includeAll"]
        assert variable["allValue"] == ".*"  # also matches a missing label (no --location)
        selector, label = variable_query(variable)
        assert selector.startswith("checkout_journey_success") and label == name
    every = list(panels(dashboard["panels"]))
    ids = [panel["id"] for panel in every]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in every:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert panel["targets"], panel["title"]
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == "${datasource}"
                # Grafana picks a rate window that holds >= 4 scrapes; a fixed one may not.
                assert not re.search(r"(rate|increase)\([^)]*\[\d", target["expr"])


def test_grafana_variables_are_substituted_in_every_form() -> None:
    variables = {"journey": ".*", **GRAFANA_VARIABLES}
    expr = 'rate(x{journey=~"$journey"}[$__rate_interval]) / ${__range_s} + ${journey:regex}'
    assert grafana_substitute(expr, variables) == 'rate(x{journey=~".*"}[30s]) / 60 + .*'


# ------------------------------------------------------------ against a real Prometheus


# A page whose button keeps the main thread busy for 150 ms: an interaction slow enough for
# Interaction to Next Paint to be measured every time (on the demo shop it rarely is).
SLOW_BUTTON_PAGE = b"""<title>delivery</title>
<button onclick="const t = Date.now(); while (Date.now() - t < 150) {}
  document.body.insertAdjacentHTML('beforeend', '<p>Pickup point</p>')">
  Show delivery options</button>
"""


@pytest.fixture
def slow_button_journey(tmp_path: Path) -> Iterator[Path]:
    with serve_bytes({"/": SLOW_BUTTON_PAGE}) as url:
        path = tmp_path / "journeys" / "slow-button.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(
            f"name: slow-button\nbase_url: {url}\nevery: 2s\nretries: 0\ntimeout: 4s\n"
            # Opt-in measurements, so their panels have something to draw.
            "accessibility: wcag2aa\nbudgets: {experience_score: 50}\n"
            "steps:\n  - goto: /\n    name: home\n"
            "  - click: {role: button, name: Show delivery options}\n"
            "  - expect: {text: Pickup point}\n"
        )
        yield path


@pytest.fixture
def notification_hook() -> Iterator[tuple[str, list[Any]]]:
    with webhook_receiver() as hook:
        yield hook


@pytest.fixture
def scraped_monitor(
    shop: DemoShopThread,
    slow_button_journey: Path,
    notification_hook: tuple[str, list[Any]],
    tmp_path: Path,
    serve_process: Callable[..., ServeProcess],
    prometheus: Callable[..., Prometheus],
) -> tuple[ServeProcess, Prometheus]:
    """serve running a passing desktop checkout, a phone checkout that cannot press Pay now,
    and a page with a slow button, every 2 s, with built-in notifications to a local webhook
    (so the notification failure counter exists, at 0); scraped every second by Prometheus
    with dashboards/prometheus.yml's relabelling and the alert rules 60x faster."""
    shop.set_faults(["pay-button=offscreen-mobile"])
    journeys = [
        fast_copy(tmp_path, "demo-guest-checkout"),
        fast_copy(tmp_path, "demo-guest-checkout-phone"),
        slow_button_journey,
    ]
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"alerts:\n  targets:\n    - {{name: team, type: webhook, url: '{notification_hook[0]}'}}\n"
    )
    server = serve_process(
        journeys,
        "--concurrency",
        "3",
        "--location",
        "lab",
        "--config",
        str(config),
        env={"SHOP_URL": shop.url},
    )
    (job,) = yaml.safe_load(PROMETHEUS_CONFIG.read_text())["scrape_configs"]
    rules = tmp_path / "alerts-fast.yml"
    rules.write_text(compressed_rules(ALERTS.read_text()))
    prom = prometheus(
        [server.url.removeprefix("http://")],
        rule_files=[rules],
        extra=f"    relabel_configs: {json.dumps(job['relabel_configs'])}\n",
    )
    return server, prom


def no_data(prom: Prometheus, expr: str) -> str | None:
    """Why a query gives nothing to draw, or None when it gives at least one number."""
    _, body = http_get(f"{prom.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    answer = json.loads(body)
    if answer["status"] != "success":
        return f"{answer['errorType']}: {answer['error']}"
    result = answer["data"]["result"]
    values = [float(r["value"][1]) for r in result] if isinstance(result, list) else []
    if not values:
        return "no series"
    if all(math.isnan(v) for v in values):
        return "only NaN"
    return None


def firing(prom: Prometheus, alertname: str) -> list[dict[str, Any]]:
    _, body = http_get(prom.url + "/api/v1/alerts")
    return [
        alert
        for alert in json.loads(body)["data"]["alerts"]
        if alert["labels"]["alertname"] == alertname and alert["state"] == "firing"
    ]


@pytest.mark.browser
def test_dashboard_queries_and_alert_rules_work_against_a_real_monitor(
    scraped_monitor: tuple[ServeProcess, Prometheus],
    notification_hook: tuple[str, list[Any]],
) -> None:
    server, prom = scraped_monitor
    phone = "demo-guest-checkout-phone"

    def ready() -> bool:
        passed = 'checkout_journey_runs_total{journey="demo-guest-checkout", result="passed"}'
        scrapes = 'count_over_time(up{job="checkout-monitor"}[1m])'
        return (
            (prom.value(passed) or 0) >= 3
            and (prom.value(scrapes) or 0) >= 30
            and bool(firing(prom, "CheckoutDown"))
        )

    wait_for(ready, 80, "passing desktop runs, 30 s of scrapes, and CheckoutDown for the phone")

    # Every panel and annotation query, with Grafana's variables filled in, draws something.
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {
        variable["name"]: variable["allValue"]
        for variable in dashboard["templating"]["list"]
        if variable["type"] == "query"
    }
    variables |= GRAFANA_VARIABLES
    offered = {
        variable["name"]: {
            series["metric"].get(label)
            for series in prom.query(grafana_substitute(selector, variables))
        }
        for variable in dashboard["templating"]["list"]
        if variable["type"] == "query"
        for selector, label in [variable_query(variable)]
    }
    assert offered == {
        "location": {"lab"},
        "journey": {"demo-guest-checkout", phone, "slow-button"},
    }
    problems = {
        where: why
        for where, expr in dashboard_queries(dashboard)
        if (why := no_data(prom, grafana_substitute(expr, variables)))
    }
    assert problems == {}

    # The rules evaluate without errors (a join that matches twice only fails at run time),
    # and CheckoutDown names the journey, the kind and the step, and links to the journey on
    # the status page through the status_page label that prometheus.yml's relabelling sets.
    _, body = http_get(prom.url + "/api/v1/rules")
    rules = [rule for group in json.loads(body)["data"]["groups"] for rule in group["rules"]]
    assert len(rules) == sum(
        len(group["rules"]) for group in yaml.safe_load(ALERTS.read_text())["groups"]
    )
    assert [(rule["name"], rule.get("lastError")) for rule in rules if rule["health"] != "ok"] == []
    (down,) = firing(prom, "CheckoutDown")
    assert down["labels"]["journey"] == phone
    assert down["labels"]["severity"] == "page"
    assert float(down["value"]) >= 2  # failed runs in a row
    assert down["annotations"]["summary"].startswith(
        f"Checkout {phone} is down: element_unusable at step 'pay'"
    )
    link = down["annotations"]["status_page"]
    assert link == f"{server.url}/#journey-{phone}"
    assert f'id="journey-{phone}"' in http_get(link)[1]

    # The staleness join matches every journey that ran (turned around: none is stale yet),
    # and no journey is loaded without a run; the monitor's webhook got the phone's alert.
    stale = {rule["alert"]: rule["expr"] for rule in alert_rules()}
    journeys = {"demo-guest-checkout", phone, "slow-button"}
    turned = stale["CheckoutMonitorStale"].replace("\n> on(", "\n<= on(")
    assert {series["metric"]["journey"] for series in prom.query(turned)} == journeys
    assert prom.query(stale["CheckoutJourneyNeverRan"]) == []
    for quiet in (
        "CheckoutMonitorStale",
        "CheckoutJourneyNeverRan",
        "CheckoutNotificationsFailing",
    ):
        assert firing(prom, quiet) == [], quiet
    assert prom.value('checkout_notification_failures_total{target="team"}') == 0
    assert any(message.get("journey") == phone for message in notification_hook[1])
