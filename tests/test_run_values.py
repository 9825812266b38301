"""Per-run values and gate settings as the loader reads them: no browser."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pyotp
import pytest

from monitor.classify import FailedStep, Observation, Problem, classify
from monitor.content import fill_in
from monitor.errors import JourneyError
from monitor.gates import USER_AGENT_TOKEN, block_matcher, gate_options, origin_of, shop_pattern
from monitor.journey import Journey
from monitor.loader import load_journeys
from monitor.result import FailureKind
from monitor.run_values import RunValues

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
HEAD = "name: g\nbase_url: https://shop.example.com/eu\nsteps:\n"


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Journey:
    (tmp_path / "j.yaml").write_text(text)
    (journey,) = load_journeys([tmp_path / "j.yaml"], env=env or {})
    return journey


def problems(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(JourneyError) as caught:
        load(tmp_path, text, env)
    return str(caught.value)


def test_run_values_are_left_for_the_run_and_totp_secrets_are_read_at_load(
    tmp_path: Path,
) -> None:
    journey = load(
        tmp_path,
        HEAD + "  - fill: {'#email': 'shopper+${run.id}@example.com', '#at': '${run.timestamp}'}\n"
        "  - fill: {'#code': '${totp:SHOP_TOTP}'}\n",
        {"SHOP_TOTP": SECRET},
    )
    first, second = journey.steps
    assert [f.value for f in first.fill] == [  # type: ignore[union-attr]
        "shopper+${run.id}@example.com",
        "${run.timestamp}",
    ]
    assert second.fill[0].value == "${totp:SHOP_TOTP}"  # type: ignore[union-attr]
    assert journey.totp_secrets == {"SHOP_TOTP": SECRET}
    assert SECRET in journey.secret_values


@pytest.mark.parametrize(
    ("value", "env", "expected"),
    [
        ("${run.idd}", {}, "j.yaml:5:18: steps[1].fill: unknown per-run value '${run.idd}'"),
        ("${totp:NOPE}", {}, "environment variable NOPE (the TOTP secret for ${totp:NOPE})"),
        ("${totp:BAD}", {"BAD": "not base32!"}, "environment variable BAD is not a base32"),
        ("${totp:SHORT}", {"SHORT": "JBSWY3DP"}, "at least 23 of the letters"),
    ],
)
def test_bad_per_run_values_are_file_line_errors(
    tmp_path: Path, value: str, env: dict[str, str], expected: str
) -> None:
    assert expected in problems(
        tmp_path, HEAD + "  - goto: /\n  - fill: {'#x': '" + value + "'}\n", env
    )


def test_each_run_gets_its_own_id_and_the_code_of_the_moment() -> None:
    codes: list[str] = []
    now = 1_800_000_000.0
    first = RunValues({"T": SECRET}, codes.append, now, clock=lambda: now)
    second = RunValues({"T": SECRET}, codes.append, now, clock=lambda: now)

    assert first["run.id"] != second["run.id"]
    assert re.fullmatch(r"[a-z0-9-]+", first["run.id"])  # fits an e-mail's local part
    assert first["run.timestamp"] == "2027-01-15T08:00:00Z"
    code = fill_in("${totp:T}", first)
    assert code == pyotp.TOTP(SECRET).at(now) and codes == [code]  # masked from now on
    assert fill_in("${price} ${totp:OTHER}", first) == "${price} ${totp:OTHER}"
    first["price"] = "€89.00"  # what `remember` does
    assert fill_in("${price} for ${run.id}", first) == f"€89.00 for {first['run.id']}"
    assert dict(first) == {"price": "€89.00"}  # per-run values are never listed as remembered


def test_gate_values_are_secrets_wherever_they_come_from(tmp_path: Path) -> None:
    journey = load(
        tmp_path,
        "name: g\nbase_url: https://shop.example.com\n"
        "http_credentials: {username: staging, password: '${STAGING_PASSWORD}'}\n"
        "headers: {X-Bypass-Token: literal-token-123}\nsteps:\n  - goto: /\n",
        {"STAGING_PASSWORD": "pw-from-env"},
    )
    basic = base64.b64encode(b"staging:pw-from-env").decode()
    assert {"pw-from-env", basic, "literal-token-123"} <= set(journey.secret_values)
    assert "staging" not in journey.secret_values


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("headers: {Authorization: x}", "use http_credentials for Authorization"),
        ("headers: {'bad name': x}", "'bad name' is not an HTTP header name"),
        ("headers_to: ['https://x/']", "is not a host such as api.example.com"),
        ("timezone: Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("geolocation: {latitude: 95, longitude: 0}", "geolocation.latitude"),
        ("block: ['ads example']", "is not a host or URL glob"),
        ("http_credentials: {username: u}", "http_credentials.password: 'password' is required"),
    ],
)
def test_bad_gate_settings_are_file_line_errors(
    tmp_path: Path, setting: str, expected: str
) -> None:
    found = problems(
        tmp_path, "name: g\nbase_url: https://s.example\n" + setting + "\nsteps:\n  - goto: /\n"
    )
    assert re.search(r"j\.yaml:3:\d+: ", found) and expected in found, found


def journey(**fields: object) -> Journey:
    data = {
        "name": "g",
        "base_url": "https://www.shop.example.co.uk:443/eu",
        "steps": [{"goto": "/"}],
    }
    return Journey.model_validate(data | fields)


def test_credentials_go_to_the_shops_origin_only_and_the_user_agent_says_who_we_are() -> None:
    options = gate_options(
        journey(http_credentials={"username": "u", "password": "p"}, timezone="Europe/Paris"),
        "Mozilla/5.0 Chrome/140",
    )
    assert options["http_credentials"]["origin"] == "https://www.shop.example.co.uk"
    assert options["user_agent"] == f"Mozilla/5.0 Chrome/140 {USER_AGENT_TOKEN}"
    assert options["timezone_id"] == "Europe/Paris" and "ignore_https_errors" not in options
    own = gate_options(journey(user_agent="Probe/1", user_agent_marker=False), "Mozilla/5.0")
    assert own["user_agent"] == "Probe/1"
    assert origin_of("http://user:pw@127.0.0.1:8080/x") == "http://127.0.0.1:8080"


def test_headers_go_to_the_shops_site_and_named_hosts_only() -> None:
    pattern = shop_pattern(journey(headers={"X-T": "t"}, headers_to=["api.backend.example"]))
    own = ["https://www.shop.example.co.uk/", "https://cdn.shop.example.co.uk:8443/a.js"]
    named = ["https://api.backend.example/v1/cart"]
    others = [
        "https://payments.example/pay",
        "https://shop.example.co.uk.evil.example/",
        "https://www.google-analytics.com/collect?tid=shop.example.co.uk",
        "https://evil.example/?next=https://www.shop.example.co.uk/",
        "https://x.api.backend.example/",
    ]
    assert [bool(pattern.search(u)) for u in own + named] == [True] * 3
    assert [bool(pattern.search(u)) for u in others] == [False] * 5
    by_ip = shop_pattern(journey(base_url="http://127.0.0.1:8080"))
    assert by_ip.search("http://127.0.0.1:9999/pay") and not by_ip.search("http://localhost:8080/")


def test_block_patterns_are_hosts_or_url_globs() -> None:
    host = block_matcher("*.doubleclick.net")
    assert isinstance(host, re.Pattern)
    assert host.search("https://ad.doubleclick.net/x") and host.search("http://doubleclick.net/")
    assert not host.search("https://doubleclick.net.example/")
    with_port = block_matcher("localhost:8081")
    assert isinstance(with_port, re.Pattern)
    assert with_port.search("http://localhost:8081/tag.js")
    assert not with_port.search("http://localhost:8080/")
    assert block_matcher("**/collect?*") == "**/collect?*"


def test_a_shut_gate_is_refused_not_a_broken_checkout() -> None:
    failed = FailedStep(0, "home", Problem("assertion", "the page answered HTTP 401"))
    seen = Observation(step=failed, document_status=401, refused="HTTP 401 at https://s.example/")
    failure = classify(seen)
    assert failure is not None and failure.kind is FailureKind.REFUSED
    assert failure.reason == (
        "step 'home': the shop refused the monitor (HTTP 401 at https://s.example/): "
        "allowlist it or give it credentials — see README 'Gates'"
    )
    later = classify(Observation(step=failed, document_status=401))
    assert later is not None and later.kind is FailureKind.HTTP_ERROR
