"""`import_codegen`: scripts recorded with `playwright codegen` become journeys that load and run.

tests/data/codegen_demo_checkout.py is a guest checkout on the demo shop in the exact form
`playwright codegen --target python` writes. Codegen needs a headed browser and a person, so it
was written by hand; its locators are the ones Playwright's own locator generator (the one
codegen uses, reachable as `Locator.normalize()`) picks for the demo shop's elements: the shop
sets `data-testid` everywhere, so codegen prefers `get_by_test_id`, and reaches the card form
with `page.locator("[data-testid=\\"payment-frame\\"]").content_frame`.
tests/data/codegen_demo_checkout_async.py is the same checkout for `--target python-async`, with
the role, label, placeholder, text and CSS locators codegen writes on shops without test ids.
Both start with three comment lines (`# ruff: noqa`, `# fmt: off`) that keep the linters off
codegen's long lines; the rest is codegen's layout, unchanged.
"""

from __future__ import annotations

import doctest
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import monitor.codegen
from monitor.codegen import CodegenError, ImportResult, import_codegen, slugify
from monitor.journey import ClickStep, FillStep, Journey
from monitor.loader import load_journeys

DATA = Path(__file__).parent / "data"
START = 'page.goto("https://shop.example.com/")\n'


def load(result: ImportResult, folder: Path, env: dict[str, str] | None = None) -> Journey:
    """The journey as `checkout-monitor` would read it from a file."""
    path = folder / f"{result.name}.yaml"
    path.write_text(result.yaml_text, encoding="utf-8")
    (journey,) = load_journeys([path], env=env or {})
    return journey


def translate(script: str, folder: Path, **options: Any) -> tuple[ImportResult, list[Any]]:
    """Import a script, check the journey loads, return the result and the raw YAML steps."""
    result = import_codegen(textwrap.dedent(script), **options)
    load(result, folder)
    return result, yaml.safe_load(result.yaml_text)["steps"]


def steps(body: str, folder: Path) -> list[Any]:
    """The steps made from statements that follow a goto to https://shop.example.com/."""
    result, raw = translate(START + textwrap.dedent(body), folder)
    assert result.untranslated == [], result.yaml_text
    assert raw[0] == {"goto": "/"}
    return raw[1:]


def step(body: str, folder: Path) -> Any:
    (only,) = steps(body, folder)
    return only


# ---------------------------------------------------------------- the recorded checkouts


@pytest.mark.browser
def test_recorded_guest_checkout_runs_on_the_demo_shop(shop: Any, journey_runner: Any, tmp_path):
    source = (DATA / "codegen_demo_checkout.py").read_text(encoding="utf-8")
    result = import_codegen(source, file="codegen_demo_checkout.py")

    assert result.untranslated == []
    assert result.base_url == "http://127.0.0.1:8080"
    assert result.secrets == ["TEST_CARD", "TEST_CVC"]
    journey = load(result, tmp_path).model_copy(update={"base_url": shop.url})
    assert journey.name == "codegen_demo_checkout"
    assert "4242 4242 4242 4242" in journey.secret_values
    run = journey_runner.run(journey)

    assert run.passed, run.failure
    assert run.payment_attempted and run.order_confirmed
    assert [s.passed for s in run.steps] == [True] * len(journey.steps)
    assert run.clicks == 6  # codegen's clicks into fields before typing are not counted


@pytest.mark.browser
def test_recorded_async_checkout_with_roles_and_labels_runs(
    shop: Any, journey_runner: Any, tmp_path
):
    source = (DATA / "codegen_demo_checkout_async.py").read_text(encoding="utf-8")
    result = import_codegen(source, file="codegen_demo_checkout_async.py")

    assert result.untranslated == []
    journey = load(result, tmp_path).model_copy(update={"base_url": shop.url})
    run = journey_runner.run(journey)

    assert run.passed, run.failure
    assert run.order_confirmed


def test_recorded_guest_checkout_translates_to_the_hand_written_journey(tmp_path):
    source = (DATA / "codegen_demo_checkout.py").read_text(encoding="utf-8")
    result, raw = translate(source, tmp_path, file="tests/data/codegen_demo_checkout.py")
    frame = '[data-testid="payment-frame"]'

    assert result.yaml_text.startswith("# yaml-language-server: $schema=")
    assert raw[:6] == [
        {"goto": "/"},
        {"click": {"test_id": "product-link-trail-runner"}},
        {"expect": {"text": "€89.00", "within": {"test_id": "price"}}},
        {"click": {"test_id": "add-to-cart"}},
        {"expect": {"text": "€89.00", "within": {"test_id": "cart-total"}}},
        {"click": {"test_id": "checkout-button"}},
    ]
    assert raw[6] == {"fill": {"test_id": "email", "value": "shopper@example.com"}}
    assert {"fill": {"test_id": "postcode", "value": "12345"}} in raw
    assert {
        "fill": {
            "test_id": "card-number",
            "frame": frame,
            "value": "${TEST_CARD:-4242 4242 4242 4242}",
        }
    } in raw
    assert {"fill": {"test_id": "cvc", "frame": frame, "value": "${TEST_CVC:-123}"}} in raw
    pay = raw.index(
        {"click": {"test_id": "pay-button", "frame": frame}, "name": "pay", "payment": True}
    )
    assert raw[pay + 1] == {
        "expect": {"visible": {"role": "heading", "name": "Thank you for your order"}},
        "name": "order confirmed",
        "confirms_order": True,
    }


# ---------------------------------------------------------------- the script around the recording


SYNC_SCRIPT = """\
import re
from playwright.sync_api import Playwright, sync_playwright, expect


def run(playwright: Playwright) -> None:
    browser = playwright.chromium.launch(headless=False)
    context = browser.new_context()
    page = context.new_page()
    page.goto("https://shop.example.com/")
    page.get_by_role("link", name="Trail Runner").click()
    expect(page.get_by_test_id("price")).to_be_visible()

    # ---------------------
    context.close()
    browser.close()


with sync_playwright() as playwright:
    run(playwright)
"""

ASYNC_SCRIPT = """\
import asyncio
import re
from playwright.async_api import Playwright, async_playwright, expect


async def run(playwright: Playwright) -> None:
    browser = await playwright.chromium.launch(headless=False)
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto("https://shop.example.com/")
    await page.get_by_role("link", name="Trail Runner").click()
    await expect(page.get_by_test_id("price")).to_be_visible()

    # ---------------------
    await context.close()
    await browser.close()


async def main() -> None:
    async with async_playwright() as playwright:
        await run(playwright)


asyncio.run(main())
"""

PYTEST_SCRIPT = """\
import re
from playwright.sync_api import Page, expect


def test_example(page: Page) -> None:
    page.goto("https://shop.example.com/")
    page.get_by_role("link", name="Trail Runner").click()
    expect(page.get_by_test_id("price")).to_be_visible()
"""

RECORDED = [
    {"goto": "/"},
    {"click": {"role": "link", "name": "Trail Runner"}},
    {"expect": {"visible": {"test_id": "price"}}},
]


@pytest.mark.parametrize(
    "script", [SYNC_SCRIPT, ASYNC_SCRIPT, PYTEST_SCRIPT], ids=["sync", "async", "pytest"]
)
def test_boilerplate_is_skipped_silently_in_every_target(script, tmp_path):
    result, raw = translate(script, tmp_path, file="recording.py")

    assert raw == RECORDED
    assert result.untranslated == []
    assert "TODO" not in result.yaml_text
    assert result.name == "recording"
    assert result.steps == 3


def test_device_viewport_and_locale_of_the_context_are_kept(tmp_path):
    script = SYNC_SCRIPT.replace(
        "browser.new_context()",
        'browser.new_context(**playwright.devices["iPhone 13"], locale="de-DE")',
    )
    journey = load(import_codegen(script), tmp_path)
    assert (journey.device, journey.locale) == ("iPhone 13", "de-DE")

    script = SYNC_SCRIPT.replace(
        "browser.new_context()", 'browser.new_context(viewport={"width":800,"height":600})'
    )
    viewport = load(import_codegen(script), tmp_path).viewport
    assert viewport is not None and (viewport.width, viewport.height) == (800, 600)


def test_context_options_a_journey_cannot_set_are_flagged(tmp_path):
    script = SYNC_SCRIPT.replace(
        "browser.new_context()", "browser.new_context(geolocation={'latitude': 52.1})"
    )
    result, raw = translate(script, tmp_path)
    assert result.untranslated == [
        (7, "context = browser.new_context(geolocation={'latitude': 52.1})")
    ]
    assert raw == RECORDED


def test_name_comes_from_the_file_name_or_the_argument():
    script = START
    assert (
        import_codegen(script, file="recordings/Guest Checkout (v2).py").name == "guest-checkout-v2"
    )
    assert import_codegen(script, file="<stdin>").name == "imported-journey"
    assert import_codegen(script, name="My Shop: checkout", file="x.py").name == "my-shop-checkout"
    assert slugify("__Über Shop__") == "uber-shop"
    assert slugify("!!!") == "imported-journey"


def test_a_script_that_is_not_python_is_an_error_with_its_place():
    with pytest.raises(CodegenError, match=r"^rec\.py:2:\d+: not a Python script"):
        import_codegen('page.goto("https://x.example/")\npage.click(\n', file="rec.py")


def test_a_script_without_a_goto_is_an_error():
    with pytest.raises(CodegenError, match=r"no page\.goto"):
        import_codegen('page.get_by_role("button", name="Pay").click()\n', file="rec.py")


# ---------------------------------------------------------------- goto and base_url


def test_base_url_is_the_first_goto_origin_and_later_gotos_on_it_are_paths(tmp_path):
    result, raw = translate(
        """\
        page.goto("https://Shop.example.com:443/en/home?ref=ad")
        page.goto("https://shop.example.com/cart#top")
        page.goto("https://pay.example.net/checkout")
        page.goto("http://shop.example.com:8080/")
        """,
        tmp_path,
    )
    assert result.base_url == "https://shop.example.com"
    assert raw == [
        {"goto": "/en/home?ref=ad"},
        {"goto": "/cart#top"},
        {"goto": "https://pay.example.net/checkout"},
        {"goto": "http://shop.example.com:8080/"},
    ]


# ---------------------------------------------------------------- targets


@pytest.mark.parametrize(
    ("locator", "target"),
    [
        ('get_by_role("button", name="Add to cart")', {"role": "button", "name": "Add to cart"}),
        (
            'get_by_role("button", name="Add", exact=True)',
            {"role": "button", "name": "Add", "exact": True},
        ),
        ('get_by_role("checkbox")', {"role": "checkbox"}),
        ('get_by_text("Free returns")', {"text": "Free returns"}),
        ('get_by_text("Free returns", exact=True)', {"text": "Free returns", "exact": True}),
        ('get_by_text(re.compile(r"^Sale now$"))', {"text": "Sale now", "exact": True}),
        ('get_by_text(re.compile("Sale now"))', {"text": "Sale now"}),
        ('get_by_label("Email")', {"label": "Email"}),
        ('get_by_placeholder("MM/YY")', {"placeholder": "MM/YY"}),
        ('get_by_test_id("checkout-button")', {"test_id": "checkout-button"}),
        ('get_by_alt_text("Trail Runner")', {"alt": "Trail Runner"}),
        ('get_by_title("Remove item")', {"title": "Remove item"}),
        ('locator("#checkout")', "#checkout"),
        ('locator("li", has_text="Trail Runner")', {"selector": "li", "has_text": "Trail Runner"}),
        ('locator("li").first', "li"),
        ('locator("li").nth(2)', {"selector": "li", "nth": 2}),
        ('locator("li").last', {"selector": "li", "nth": -1}),
        (
            'get_by_role("listitem").filter(has_text="Trail Runner").nth(1)',
            {"role": "listitem", "has_text": "Trail Runner", "nth": 1},
        ),
        ('locator("ul.cart").locator("li").first', "ul.cart >> li"),
        ('locator("ul.cart").nth(1).locator("button")', "ul.cart >> nth=1 >> button"),
        ('get_by_test_id("cart").locator("li")', '[data-testid="cart"] >> li'),
    ],
)
def test_codegen_locators_become_targets(locator, target, tmp_path):
    assert step(f"page.{locator}.click()", tmp_path) == {"click": target}


def test_chains_without_a_journey_target_are_flagged(tmp_path):
    result, _ = translate(
        START + 'page.get_by_role("row", name="Trail").get_by_role("button").click()\n', tmp_path
    )
    assert result.untranslated == [
        (2, 'page.get_by_role("row", name="Trail").get_by_role("button").click()')
    ]
    assert "has no journey target" in result.yaml_text


# ---------------------------------------------------------------- actions


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ('page.get_by_text("Sale").click()', {"click": {"text": "Sale"}}),
        ('page.get_by_text("Sale").dblclick()', {"click": {"text": "Sale"}}),
        (
            'page.get_by_label("Email").fill("a@b.example")',
            {"fill": {"label": "Email", "value": "a@b.example"}},
        ),
        (
            'page.get_by_label("Email").type("a@b.example")',
            {"fill": {"label": "Email", "value": "a@b.example"}},
        ),
        ('page.get_by_label("Email").clear()', {"fill": {"label": "Email", "value": ""}}),
        (
            'page.get_by_label("Search").press("Enter")',
            {"press": {"label": "Search", "key": "Enter"}},
        ),
        ('page.keyboard.press("Escape")', {"press": "Escape"}),
        ('page.get_by_label("Gift wrap").check()', {"check": {"label": "Gift wrap"}}),
        ('page.get_by_label("Gift wrap").uncheck()', {"uncheck": {"label": "Gift wrap"}}),
        ('page.get_by_label("Gift wrap").set_checked(False)', {"uncheck": {"label": "Gift wrap"}}),
        (
            'page.get_by_label("Size").select_option("42")',
            {"select": {"label": "Size", "value": "42"}},
        ),
        (
            'page.get_by_label("Size").select_option(label="42")',
            {"select": {"label": "Size", "value": "42"}},
        ),
        (
            'page.get_by_label("Size").select_option(["42"])',
            {"select": {"label": "Size", "value": "42"}},
        ),
        ('page.get_by_text("Account").hover()', {"hover": {"text": "Account"}}),
        (
            'page.get_by_text("Sale").click(timeout=5000)',
            {"click": {"text": "Sale"}, "timeout": "5s"},
        ),
        ('page.click("text=Sign in")', {"click": "text=Sign in"}),
        (
            'page.fill("#email", "a@b.example")',
            {"fill": {"selector": "#email", "value": "a@b.example"}},
        ),
    ],
)
def test_actions_become_steps(statement, expected, tmp_path):
    assert step(statement, tmp_path) == expected


def test_the_click_codegen_records_before_typing_into_a_field_is_dropped(tmp_path):
    assert steps(
        """\
        page.get_by_label("Email").click()
        page.get_by_label("Email").fill("a@b.example")
        page.get_by_label("Email").press("Tab")
        page.get_by_label("Name").click()
        page.get_by_label("Email").fill("c@d.example")
        """,
        tmp_path,
    ) == [
        {"fill": {"label": "Email", "value": "a@b.example"}},
        {"press": {"label": "Email", "key": "Tab"}},
        {"click": {"label": "Name"}},
        {"fill": {"label": "Email", "value": "c@d.example"}},
    ]


@pytest.mark.parametrize(
    "statement",
    [
        'page.get_by_text("Sale").click(button="right")',
        'page.get_by_text("Sale").click(modifiers=["Shift"])',
        'page.get_by_label("Size").select_option(index=2)',
        'page.get_by_label("Size").select_option(["40", "41"])',
        'page.get_by_label("Photo").set_input_files("me.png")',
        'page.get_by_label("Email").fill(EMAIL)',
        'page.get_by_label("Email").fill(f"shopper{n}@example.com")',
    ],
)
def test_actions_a_journey_cannot_express_are_flagged(statement, tmp_path):
    result, raw = translate(START + statement + "\n", tmp_path)
    assert result.untranslated == [(2, statement)]
    assert raw == [{"goto": "/"}]


# ---------------------------------------------------------------- expectations and waits


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ('expect(page.get_by_text("In stock")).to_be_visible()', {"visible": {"text": "In stock"}}),
        ('expect(page.get_by_text("Loading")).to_be_hidden()', {"hidden": {"text": "Loading"}}),
        (
            'expect(page.get_by_text("Loading")).not_to_be_visible()',
            {"hidden": {"text": "Loading"}},
        ),
        (
            'expect(page.get_by_test_id("total")).to_contain_text("€89.00")',
            {"text": "€89.00", "within": {"test_id": "total"}},
        ),
        (
            'expect(page.locator("h1")).to_have_text("Thank you for your order")',
            {"text": "Thank you for your order", "within": "h1"},
        ),
        (
            'expect(page.get_by_test_id("cart-line")).to_have_count(2)',
            {"count": {"of": {"test_id": "cart-line"}, "equals": 2}},
        ),
        ('expect(page).to_have_url("https://shop.example.com/order/SO-1")', {"url": "/order/SO-1"}),
        (
            'expect(page).to_have_url("https://pay.example.net/3ds")',
            {"url": "https://pay.example.net/3ds"},
        ),
        ('expect(page).to_have_url(re.compile(r".*/order/\\d+"))', {"url": "re:.*/order/\\d+"}),
        (
            'expect(page).to_have_url("https://shop.example.com/")',
            {"url": "re:^https?://[^/]+/$$"},
        ),  # $$: a literal $
        ('expect(page).to_have_title("Your cart")', {"title": "Your cart"}),
    ],
)
def test_assertions_become_expectations(statement, expected, tmp_path):
    assert step(statement, tmp_path) == {"expect": expected}


def test_assertion_timeouts_become_step_timeouts(tmp_path):
    assert step('expect(page.get_by_text("Paid")).to_be_visible(timeout=30000)', tmp_path) == {
        "expect": {"visible": {"text": "Paid"}},
        "timeout": "30s",
    }


def test_assertions_a_journey_cannot_check_are_flagged(tmp_path):
    result, _ = translate(
        START
        + 'expect(page.get_by_label("Email")).to_have_value("a@b.example")\n'
        + 'expect(page.get_by_text(re.compile(r"Order SO-\\d+"))).to_be_visible()\n',
        tmp_path,
    )
    assert [line for line, _ in result.untranslated] == [2, 3]
    assert "to_have_value() has no journey expectation" in result.yaml_text
    assert "is not plain text" in result.yaml_text


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("page.wait_for_timeout(500)", {"wait": {"seconds": "500ms"}}),
        ("page.wait_for_timeout(2000)", {"wait": {"seconds": "2s"}}),
        ('page.wait_for_url("**/order/**")', {"wait": {"url": "**/order/**"}}),
        ('page.wait_for_url("https://shop.example.com/order/*")', {"wait": {"url": "*/order/*"}}),
        ('page.wait_for_load_state("networkidle")', {"wait": {"load": "networkidle"}}),
        ("page.wait_for_load_state()", {"wait": {"load": "load"}}),
        ('page.wait_for_selector("#receipt")', {"wait": {"visible": "#receipt"}}),
        (
            'page.get_by_text("Loading").wait_for(state="hidden")',
            {"wait": {"hidden": {"text": "Loading"}}},
        ),
        (
            'page.screenshot(path="shots/cart.png", full_page=True)',
            {"screenshot": {"name": "cart", "full_page": True}},
        ),
    ],
)
def test_waits_and_screenshots_become_steps(statement, expected, tmp_path):
    assert step(statement, tmp_path) == expected


def test_wait_for_timeout_loads_as_seconds(tmp_path):
    journey = load(import_codegen(START + "page.wait_for_timeout(500)\n"), tmp_path)
    assert journey.steps[1].wait.seconds == 0.5  # type: ignore[union-attr]


# ---------------------------------------------------------------- frames


@pytest.mark.parametrize(
    ("locator", "frame"),
    [
        ('frame_locator("iframe#payment-frame")', "iframe#payment-frame"),
        ('locator("#payment-frame").content_frame', "#payment-frame"),
        ('locator("iframe[name=\\"card\\"]").content_frame', 'iframe[name="card"]'),
        ('get_by_test_id("payment-frame").content_frame', '[data-testid="payment-frame"]'),
        ('get_by_title("Secure card payment").content_frame', '[title*="Secure card payment" i]'),
        ('frame_locator("iframe").first', "iframe >> nth=0"),
        ('locator("iframe").nth(1).content_frame', "iframe >> nth=1"),
        ('frame_locator("#outer").frame_locator("#card")', ["#outer", "#card"]),
        (
            'locator("#outer").content_frame.locator("iframe[title=\\"Card\\"]").content_frame',
            ["#outer", 'iframe[title="Card"]'],
        ),
    ],
)
def test_frames_are_reached_through_the_target(locator, frame, tmp_path):
    assert step(f'page.{locator}.get_by_label("Card number").fill("4000")', tmp_path) == {
        "fill": {"label": "Card number", "frame": frame, "value": "${TEST_CARD:-4000}"}
    }


def test_a_step_in_a_frame_runs_there(tmp_path):
    journey = load(
        import_codegen(
            START + 'page.locator("#pay").content_frame.get_by_role("button", name="Pay").click()'
        ),
        tmp_path,
    )
    click = journey.steps[1]
    assert isinstance(click, ClickStep)
    assert (click.click.role, click.click.frames) == ("button", ("#pay",))
    assert click.payment and click.name == "pay"


# ---------------------------------------------------------------- popups


POPUP = """\
page.goto("https://shop.example.com/")
with page.expect_popup() as page1_info:
    page.get_by_role("link", name="Size guide").click()
page1 = page1_info.value
page1.get_by_role("tab", name="Shoes").click()
expect(page1.get_by_text("EU 42")).to_be_visible()
"""


def test_a_popup_is_followed_as_the_same_page(tmp_path):
    result, raw = translate(POPUP, tmp_path)
    assert result.untranslated == []
    assert raw == [
        {"goto": "/"},
        {"click": {"role": "link", "name": "Size guide"}},
        {"click": {"role": "tab", "name": "Shoes"}},
        {"expect": {"visible": {"text": "EU 42"}}},
    ]


def test_an_async_popup_is_followed_as_the_same_page(tmp_path):
    script = (
        POPUP.replace("with page", "async with page")
        .replace("page.goto", "await page.goto")
        .replace("    page.get", "    await page.get")
        .replace("page1_info.value", "await page1_info.value")
        .replace("page1.get", "await page1.get")
        .replace("expect(", "await expect(")
    )
    assert "async with page.expect_popup() as page1_info:" in script
    result, raw = translate(script, tmp_path)
    assert result.untranslated == []
    assert raw == translate(POPUP, tmp_path)[1]


def test_closing_a_popup_is_flagged(tmp_path):
    result, _ = translate(POPUP + "page1.close()\n", tmp_path)
    assert result.untranslated == [(7, "page1.close()")]


# ---------------------------------------------------------------- secrets


def test_card_numbers_cvcs_and_passwords_become_secret_variables(tmp_path):
    result, raw = translate(
        START
        + """\
        page.get_by_label("Card number").fill("4242424242424242")
        page.get_by_placeholder("CVC").fill("123")
        page.locator("#password").fill("hunter2")
        page.get_by_label("Loyalty card").fill("6037 9901 2345 6789")
        page.get_by_label("Name on card").fill("Sam Shopper")
        page.get_by_label("Expiry").fill("12/34")
        page.get_by_label("Card number").fill("4242424242424242")
        page.get_by_label("Card number").fill("4000000000000002")
        """.replace("        ", ""),
        tmp_path,
    )
    assert result.secrets == [
        "TEST_CARD",
        "TEST_CVC",
        "TEST_PASSWORD",
        "TEST_CARD_2",
        "TEST_CARD_3",
    ]
    values = [s["fill"]["value"] for s in raw[1:]]
    assert values == [
        "${TEST_CARD:-4242424242424242}",
        "${TEST_CVC:-123}",
        "${TEST_PASSWORD:-hunter2}",
        "${TEST_CARD_2:-6037 9901 2345 6789}",
        "Sam Shopper",
        "12/34",
        "${TEST_CARD:-4242424242424242}",
        "${TEST_CARD_3:-4000000000000002}",
    ]
    journey = load(result, tmp_path, env={"TEST_CARD": "5555555555554444"})
    assert "hunter2" in journey.secret_values and "5555555555554444" in journey.secret_values
    fill = journey.steps[1]
    assert isinstance(fill, FillStep) and fill.fill[0].value == "5555555555554444"


def test_a_secret_that_cannot_be_a_default_must_come_from_the_environment(tmp_path):
    result = import_codegen(START + 'page.get_by_label("Password").fill("p}w$")\n')
    assert "${TEST_PASSWORD}" in result.yaml_text and "p}w" not in result.yaml_text
    journey = load(result, tmp_path, env={"TEST_PASSWORD": "p}w$"})
    assert journey.secret_values == ("p}w$",)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_any_recorded_text_loads_back_unchanged(tmp_path, text):
    script = f"{START}page.get_by_label('Notes').fill({text!r})\n"
    result = import_codegen(script, name="any")
    path = tmp_path / "any.yaml"
    path.write_text(result.yaml_text, encoding="utf-8")
    (journey,) = load_journeys([path], env={})
    fill = journey.steps[1]
    assert isinstance(fill, FillStep)
    assert fill.fill[0].value == text


# ---------------------------------------------------------------- payment


def test_the_paying_click_and_the_confirmation_after_it_are_marked(tmp_path):
    raw = steps(
        """\
        page.get_by_role("button", name="Continue to payment").click()
        page.get_by_role("button", name="Place order").click()
        expect(page.get_by_role("heading", name="Thanks")).to_be_visible()
        expect(page.get_by_text("Order number")).to_be_visible()
        """,
        tmp_path,
    )
    assert "payment" not in raw[0]
    assert raw[1] == {
        "click": {"role": "button", "name": "Place order"},
        "name": "pay",
        "payment": True,
    }
    assert raw[2]["confirms_order"] is True and "confirms_order" not in raw[3]


def test_a_payment_without_a_confirmation_check_gets_a_note(tmp_path):
    result, raw = translate(
        START + 'page.get_by_role("button", name="Pay €89.00").click()\n', tmp_path
    )
    assert raw[1]["payment"] is True
    assert result.yaml_text.rstrip().splitlines()[-1].startswith("  # NOTE: add an `expect`")


# ---------------------------------------------------------------- what is left as a TODO


def test_untranslatable_statements_are_todo_comments_in_place(tmp_path):
    script = """\
    page.goto("https://shop.example.com/")
    page.get_by_role("button", name="Accept").click()
    page.mouse.click(10, 20)
    page.once("dialog", lambda dialog: dialog.dismiss())
    for size in ["41", "42"]:
        page.get_by_label("Size").select_option(size)
    page.get_by_label(
        "Email"
    ).focus()
    page.get_by_role("button", name="Add to cart").click()
    """
    result, raw = translate(script, tmp_path)

    assert result.untranslated == [
        (3, "page.mouse.click(10, 20)"),
        (4, 'page.once("dialog", lambda dialog: dialog.dismiss())'),
        (5, 'for size in ["41", "42"]: ...'),
        (7, 'page.get_by_label( "Email" ).focus()'),
    ]
    assert raw == [
        {"goto": "/"},
        {"click": {"role": "button", "name": "Accept"}},
        {"click": {"role": "button", "name": "Add to cart"}},
    ]
    lines = result.yaml_text.splitlines()
    accept = lines.index("  - click: {role: button, name: Accept}")
    assert lines[accept + 1 : accept + 3] == [
        "  # TODO (line 3): page.mouse.click(10, 20)",
        "  #   mouse actions at coordinates have no journey step; click a target instead",
    ]
    assert (
        lines[accept + 3]
        == '  # TODO (line 4): page.once("dialog", lambda dialog: dialog.dismiss())'
    )
    assert lines[-1] == "  - click: {role: button, name: Add to cart}"
    assert "# 4 statement(s) could not be translated" in result.yaml_text


def test_statements_inside_an_unknown_with_block_are_still_translated(tmp_path):
    result, raw = translate(
        START
        + "with page.expect_download() as download_info:\n"
        + '    page.get_by_text("Invoice").click()\n'
        + "download = download_info.value\n"
        + "with open('x') as f:\n"
        + '    page.get_by_text("Done").click()\n',
        tmp_path,
    )
    assert result.untranslated == [(5, "with open('x') as f: ...")]
    assert raw[1:] == [{"click": {"text": "Invoice"}}, {"click": {"text": "Done"}}]


def test_dollar_signs_survive_interpolation(tmp_path):
    result, _ = translate(
        START + 'page.locator("[id$=\\"-total\\"]").fill("costs $5 or ${PRICE}")\n', tmp_path
    )
    fill = load(result, tmp_path).steps[1]
    assert isinstance(fill, FillStep)
    assert (fill.fill[0].selector, fill.fill[0].value) == ('[id$="-total"]', "costs $5 or ${PRICE}")


def test_the_module_doctest_holds():
    assert doctest.testmod(monitor.codegen).failed == 0
