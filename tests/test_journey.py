"""The journey language: targets, steps and the JSON Schema editors use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from monitor.journey import (
    ClickStep,
    FillStep,
    Journey,
    PressStep,
    Target,
    WaitStep,
    json_schema,
    parse_duration,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_FILES = sorted([*ROOT.glob("journeys/**/*.yaml"), *ROOT.glob("examples/*.yaml")])


def journey(*steps: dict[str, Any], **extra: Any) -> Journey:
    return Journey.model_validate(
        {"name": "j", "base_url": "http://127.0.0.1:1/", "steps": list(steps), **extra}
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("500ms", 0.5), ("1.5s", 1.5), (2, 2)],
)
def test_durations_read_like_people_write_them(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_a_string_target_is_a_selector_and_a_mapping_names_the_element() -> None:
    j = journey(
        {"click": "#checkout"},
        {"click": {"role": "button", "name": "Pay now", "frame": ["#outer", "iframe.card"]}},
        {"click": {"test_id": "add-to-cart"}},
    )
    first, second, third = (s for s in j.steps if isinstance(s, ClickStep))
    assert first.click.selector == "#checkout"
    assert (second.click.role, second.click.name, second.click.frames) == (
        "button",
        "Pay now",
        ("#outer", "iframe.card"),
    )
    assert third.click.describe() == "test id 'add-to-cart'"
    assert [s.label() for s in j.steps] == [
        "click #checkout",
        "click button 'Pay now'",
        "click test id 'add-to-cart'",
    ]


def test_fill_takes_pairs_or_one_target_with_a_value() -> None:
    j = journey(
        {"fill": {"#email": "a@example.com", "#qty": 2}},
        {"fill": {"label": "Card number", "value": 4242, "frame": "iframe"}},
    )
    pairs, one = (s for s in j.steps if isinstance(s, FillStep))
    assert [(f.selector, f.value) for f in pairs.fill] == [
        ("#email", "a@example.com"),
        ("#qty", "2"),
    ]
    assert (one.fill[0].label, one.fill[0].value, one.fill[0].frames) == (
        "Card number",
        "4242",
        ("iframe",),
    )


def test_press_and_wait_have_short_forms() -> None:
    j = journey({"press": "Enter"}, {"wait": "#spinner"}, {"wait": {"load": "networkidle"}})
    press, wait_target, wait_load = j.steps
    assert isinstance(press, PressStep) and press.press == "Enter"
    assert isinstance(wait_target, WaitStep) and wait_target.wait.visible == Target(
        selector="#spinner"
    )
    assert isinstance(wait_load, WaitStep) and wait_load.wait.load == "networkidle"


def test_checkout_marks_are_kept_on_the_step() -> None:
    j = journey(
        {"click": "#pay", "payment": True, "declined_text": ["declined"], "name": "pay"},
        {"expect": {"text": "Thank you"}, "confirms_order": True, "timeout": "20s"},
    )
    pay, confirm = j.steps
    assert (pay.payment, pay.declined_text, pay.label()) == (True, ["declined"], "pay")
    assert (confirm.confirms_order, confirm.timeout) == (True, 20.0)


def test_defaults_are_sane() -> None:
    j = journey({"goto": "/"})
    assert (j.every, j.timeout, j.retries, j.device) == (300.0, 15.0, 1, "Desktop Chrome")
    assert j.base_url == "http://127.0.0.1:1"
    assert j.site_label == "127.0.0.1:1"


def test_journeys_are_immutable() -> None:
    j = journey({"goto": "/"})
    with pytest.raises(ValidationError):
        j.name = "other"  # type: ignore[misc]


def test_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())


def test_committed_schema_file_is_current() -> None:
    committed = json.loads((ROOT / "journey.schema.json").read_text())
    assert committed == json_schema(), "run: checkout-monitor schema -o journey.schema.json"


@pytest.mark.parametrize("file", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_journeys_pass_the_schema(file: Path) -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    errors = [e.message for e in validator.iter_errors(yaml.safe_load(file.read_text()))]
    assert errors == []


def test_example_journeys_reference_the_schema() -> None:
    assert EXAMPLE_FILES
    for file in EXAMPLE_FILES:
        assert "yaml-language-server: $schema=" in file.read_text().splitlines()[0], file


@pytest.mark.parametrize(
    "bad",
    [
        {"steps": [{"clik": "#x"}]},
        {"steps": [{"click": {"rol": "button"}}]},
        {"every": "often"},
        {"budgets": {"clicks": -1}},
        {"steps": []},
    ],
)
def test_schema_rejects_what_the_loader_rejects(bad: dict[str, Any]) -> None:
    document = {"name": "j", "base_url": "http://x", "steps": [{"goto": "/"}], **bad}
    with pytest.raises(ValidationError):
        Journey.model_validate(document)
    assert list(jsonschema.Draft202012Validator(json_schema()).iter_errors(document))


def test_step_names_are_unique_for_labels_and_reports() -> None:
    j = journey({"click": "#next"}, {"click": "#next"}, {"click": "#next", "name": "last"})
    assert j.step_names() == ["click #next", "click #next (2)", "last"]


def test_site_label_never_carries_credentials() -> None:
    j = journey({"goto": "/"}, base_url="https://user:secret@shop.example:8443/eu")
    assert j.site_label == "shop.example:8443"
