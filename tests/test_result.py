"""Result data: safe URLs, masked secrets, the JSON form."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from monitor.artifacts import mask_zip
from monitor.result import Failure, FailureKind, RunResult, mask, public_url


def test_public_url_drops_query_fragment_and_credentials() -> None:
    assert public_url("https://user:pw@shop.example:8443/cart?session=abc#top") == (
        "https://shop.example:8443/cart"
    )
    assert public_url("data:image/png;base64,AAAA") == "data:"


def test_mask_hides_secrets_in_every_common_form() -> None:
    card = "4242424242424242"
    text = f"typed {card}, shown as 4242 4242 4242 4242 and 4242-4242-4242-4242"
    assert "4242" not in mask(text, (card,))
    assert mask("password hunter22!", ("hunter22!",)) == "password ***"
    assert mask("nothing", ()) == "nothing"


def test_mask_hides_secrets_as_json_and_html_write_them() -> None:
    secret = 'zq"xy\\wörd<&>'
    written = [
        json.dumps({"value": secret}),  # ASCII-escaped: \" \\ \u00f6
        json.dumps({"value": secret}, ensure_ascii=False),  # as Node's JSON.stringify writes it
        json.dumps({"postData": json.dumps({"password": secret})}),  # a JSON body in JSON
        '<input value="zq&quot;xy\\wörd&lt;&amp;&gt;">',  # an attribute, as a browser writes it
        '<p>zq"xy\\wörd&lt;&amp;&gt;</p>',  # text
        "user=sam&password=zq%22xy%5Cw%C3%B6rd%3C%26%3E",  # a form's body, as a browser sends it
        "/login?p=zq%22xy%5Cw%C3%B6rd%3C%26%3E",  # encodeURIComponent
        "password=zq%22xy%5cw%c3%b6rd%3c%26%3e",  # lower-case hex, as some encoders write it
    ]
    for text in written:
        masked = mask(text, (secret,))
        assert "zq" not in masked and "***" in masked, (text, masked)
    assert mask('{"value": "pa\\"ss"}', ("other",)) == '{"value": "pa\\"ss"}'


def test_a_kept_trace_holds_no_escaped_secret(tmp_path: Path) -> None:
    secret = 'hunter"2\\'
    trace = tmp_path / "trace.zip"
    with zipfile.ZipFile(trace, "w") as zipped:
        zipped.writestr("trace.trace", json.dumps({"method": "fill", "params": {"value": secret}}))
    mask_zip(trace, (secret,))
    with zipfile.ZipFile(trace) as zipped:
        kept = zipped.read("trace.trace").decode()
    assert "hunter" not in kept
    assert json.loads(kept)["params"]["value"] == "***"


def test_result_json_has_the_fields_ci_reads() -> None:
    result = RunResult(
        journey="checkout",
        site="shop",
        device="Desktop Chrome",
        started_at=1.0,
        duration_seconds=2.5,
        passed=False,
        failure=Failure(FailureKind.PAYMENT_DECLINED, "pay", 5, "step 'pay': card declined"),
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert data["name"] == "checkout"
    assert (data["failure_kind"], data["failed_step"]) == ("payment_declined", "pay")
    for key in (
        "passed",
        "duration_seconds",
        "clicks",
        "steps",
        "page_loads",
        "http_errors",
        "console_errors",
        "artifacts",
    ):
        assert key in data
