"""The demo shop in real Chromium: a shopper can buy, and every fault shows the symptom a
shopper would meet (a button that cannot be pressed, a declined card, no confirmation, ...)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import TIMED
from playwright.sync_api import Browser, FrameLocator, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from shop_fixtures import SHOPPER_DETAILS

from monitor.demo import DemoShopThread

pytestmark = pytest.mark.browser

GOOD_CARD = "4242 4242 4242 4242"
PHONE = {"viewport": {"width": 390, "height": 664}, "is_mobile": True, "has_touch": True}
# How long a click may wait for the pay button before we call it unusable. A healthy click
# takes well under 100 ms here; the failing ones would wait for ever.
UNUSABLE_MS = 1500
CONFIRMATION = re.compile(r"/order/SO-\d+$")


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A fresh phone-sized context (390x664, touch)."""
    context = browser.new_context(**PHONE)  # type: ignore[arg-type]
    yield context.new_page()
    context.close()


class Shopper:
    """Walks the demo shop like a person, counting clicks."""

    def __init__(self, page: Page, shop: DemoShopThread) -> None:
        self.page = page
        self.shop = shop
        self.clicks = 0

    def click(self, target: Locator) -> None:
        self.clicks += 1
        target.click()

    def walk_to_payment(self, delivery: str = "Home delivery") -> None:
        page = self.page
        page.goto(self.shop.url)
        self.click(page.get_by_role("link", name="Trail Runner"))
        expect(page.locator(".price")).to_have_text("€89.00")
        self.click(page.get_by_role("button", name="Add to cart"))
        self.click(page.get_by_test_id("checkout-button"))
        page.get_by_label("Email").fill("shopper@example.com")
        page.get_by_label("Full name").fill("Sam Shopper")
        page.get_by_label("Street and house number").fill("Main Street 1")
        page.get_by_label("Postcode").fill("12345")
        page.get_by_label("City").fill("Utrecht")
        if delivery != "Home delivery":
            self.clicks += 1
            page.get_by_label(delivery).check()
        self.click(page.get_by_role("button", name="Continue to payment"))
        expect(page).to_have_url(re.compile(r"/payment$"))

    def jump_to_payment(self) -> None:
        """Straight to the payment page: cart and checkout posted with the page's cookies."""
        url, request = self.shop.url, self.page.request
        request.post(f"{url}/cart/add", form={"product": "trail-runner", "size": "42"})
        request.post(
            f"{url}/checkout",
            form=SHOPPER_DETAILS,
        )
        self.page.goto(f"{url}/payment")

    @property
    def card_form(self) -> FrameLocator:
        return self.page.frame_locator("iframe#payment-frame")

    def fill_card(self, number: str = GOOD_CARD) -> None:
        form = self.card_form
        form.get_by_label("Card number").fill(number)
        form.get_by_label("Expiry (MM/YY)").fill("12/34")
        form.get_by_label("CVC").fill("123")
        form.get_by_label("Name on card").fill("Sam Shopper")

    def pay_now(self, timeout: float | None = None) -> None:
        self.clicks += 1
        self.card_form.get_by_role("button", name="Pay now").click(timeout=timeout)


def expect_confirmed(page: Page) -> None:
    expect(page).to_have_url(CONFIRMATION)
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    expect(page.get_by_test_id("order-number")).to_have_text(re.compile(r"^SO-\d+$"))


# --- buying on a healthy shop ----------------------------------------------------------------


def test_guest_checkout_completes_on_desktop_within_eight_clicks(
    shop: DemoShopThread, page: Page
) -> None:
    shopper = Shopper(page, shop)
    shopper.walk_to_payment()
    shopper.fill_card()
    shopper.pay_now()
    expect_confirmed(page)
    expect(page.locator("#order-total")).to_have_text("€94.90")
    assert shopper.clicks <= 8


def test_guest_checkout_completes_on_a_phone(shop: DemoShopThread, phone: Page) -> None:
    shopper = Shopper(phone, shop)
    shopper.walk_to_payment()
    shopper.fill_card()
    shopper.pay_now()
    expect_confirmed(phone)


def test_pickup_point_choice_is_priced_and_confirmed(shop: DemoShopThread, page: Page) -> None:
    shopper = Shopper(page, shop)
    page.goto(f"{shop.url}/product/trail-runner")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("button", name="Go to checkout").click()
    page.get_by_label("Pickup point").check()
    expect(page.locator("#summary-delivery")).to_have_text("€3.90")
    expect(page.locator("#summary-total")).to_have_text("€92.90")
    page.get_by_label("Choose a pickup location").select_option(
        "Page Turner Books, Market Square 3"
    )
    for label, value in [("Email", "sam@example.com"), ("Full name", "Sam Shopper"),
                         ("Street and house number", "Main Street 1"), ("Postcode", "12345"),
                         ("City", "Utrecht")]:  # fmt: skip
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Continue to payment").click()
    shopper.fill_card()
    shopper.pay_now()
    expect_confirmed(page)
    expect(page.get_by_test_id("order-delivery")).to_have_text(
        "Pickup point: Page Turner Books, Market Square 3"
    )


def test_a_3d_secure_card_completes_after_authentication(shop: DemoShopThread, page: Page) -> None:
    shopper = Shopper(page, shop)
    shopper.jump_to_payment()
    shopper.fill_card("4000 0027 6000 3184")
    shopper.pay_now()
    shopper.card_form.get_by_role("button", name="Complete authentication").click()
    expect_confirmed(page)


def test_product_page_shows_price_image_delivery_returns_and_payment_methods(
    shop: DemoShopThread, page: Page
) -> None:
    page.goto(f"{shop.url}/product/trail-runner")
    expect(page.locator(".price")).to_have_text("€89.00")
    for section in ("#delivery-info", "#returns-info", "#payment-methods", "#size-chart"):
        expect(page.locator(section)).to_be_visible()
    assert page.locator("#product-image").evaluate("img => img.naturalWidth") > 0


# --- faults, as the shopper meets them -------------------------------------------------------


@pytest.mark.parametrize(
    ("faults", "card"),
    [(["decline-all"], GOOD_CARD), ([], "4000 0000 0000 0002")],
)
def test_a_declined_card_shows_the_decline_in_the_card_form(
    shop: DemoShopThread, page: Page, faults: list[str], card: str
) -> None:
    shop.set_faults(faults)
    shopper = Shopper(page, shop)
    shopper.jump_to_payment()
    shopper.fill_card(card)
    shopper.pay_now()
    expect(shopper.card_form.get_by_role("alert")).to_have_text("Your card was declined.")
    expect(page).to_have_url(re.compile(r"/payment$"))


@pytest.mark.parametrize(
    ("faults", "card"),
    [
        (["payment-error"], GOOD_CARD),
        ([], "4000 0000 0000 0119"),
        (["status:/api/pay=502"], GOOD_CARD),
    ],
)
def test_a_failing_processor_shows_payment_could_not_be_processed(
    shop: DemoShopThread, page: Page, faults: list[str], card: str
) -> None:
    shop.set_faults(faults)
    shopper = Shopper(page, shop)
    shopper.jump_to_payment()
    shopper.fill_card(card)
    shopper.pay_now()
    expect(shopper.card_form.get_by_role("alert")).to_contain_text("Payment could not be processed")


def test_a_hanging_payment_leaves_the_shopper_waiting(shop: DemoShopThread, page: Page) -> None:
    shop.set_faults(["payment-hang"])
    shopper = Shopper(page, shop)
    shopper.jump_to_payment()
    shopper.fill_card()
    shopper.pay_now()
    button = shopper.card_form.locator("#pay-button")
    expect(button).to_have_text("Processing…")
    expect(button).to_be_disabled()
    with pytest.raises(PlaywrightTimeoutError):
        page.wait_for_url(CONFIRMATION, timeout=UNUSABLE_MS)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("hidden", "waiting for"),  # display: none leaves no button with that role at all
        ("disabled", "element is not enabled"),
        ("covered", "intercepts pointer events"),
    ],
)
def test_a_broken_pay_button_cannot_be_pressed(
    shop: DemoShopThread, page: Page, mode: str, reason: str
) -> None:
    shop.set_faults([f"pay-button={mode}"])
    shopper = Shopper(page, shop)
    shopper.jump_to_payment()
    shopper.fill_card()
    expect(shopper.card_form.locator("#pay-button")).to_be_attached()
    with pytest.raises(PlaywrightTimeoutError, match=reason):
        shopper.pay_now(timeout=UNUSABLE_MS)


def test_an_offscreen_pay_button_fails_on_a_phone_only(
    shop: DemoShopThread, page: Page, phone: Page
) -> None:
    shop.set_faults(["pay-button=offscreen-mobile"])
    on_phone = Shopper(phone, shop)
    on_phone.jump_to_payment()
    on_phone.fill_card()
    with pytest.raises(PlaywrightTimeoutError, match="outside of the viewport"):
        on_phone.pay_now(timeout=UNUSABLE_MS)
    on_desktop = Shopper(page, shop)
    on_desktop.jump_to_payment()
    on_desktop.fill_card()
    on_desktop.pay_now()
    expect_confirmed(page)


def test_a_js_error_on_the_payment_page_makes_pay_now_do_nothing(
    shop: DemoShopThread, page: Page
) -> None:
    shop.set_faults(["js-error:/payment"])
    errors: list[str] = []
    payments: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda r: payments.append(r.url) if "/api/pay" in r.url else None)
    shopper = Shopper(page, shop)
    shopper.jump_to_payment()
    shopper.fill_card()
    shopper.pay_now()
    with pytest.raises(PlaywrightTimeoutError):
        page.wait_for_url(CONFIRMATION, timeout=UNUSABLE_MS)
    assert payments == []
    # One uncaught error from the shop's page, one from the card form inside it.
    assert errors == ["Cannot read properties of undefined (reading 'init')"] * 2
    expect(shopper.card_form.locator("#payment-status")).to_have_text("")


@pytest.mark.parametrize(("faults", "switches"), [([], True), (["js-error:/product/*"], False)])
def test_a_js_error_on_a_product_page_breaks_its_gallery(
    shop: DemoShopThread, page: Page, faults: list[str], switches: bool
) -> None:
    shop.set_faults(faults)
    page.goto(f"{shop.url}/product/trail-runner")
    page.get_by_role("button", name="Show detail view").click()
    main_image = page.locator("#product-image")
    if switches:
        expect(main_image).to_have_attribute("src", "/images/trail-runner-detail.svg")
    else:
        page.wait_for_load_state("load")
        assert main_image.get_attribute("src") == "/images/trail-runner-side.svg"


def test_no_confirmation_leaves_a_paid_shopper_on_a_processing_page(
    shop: DemoShopThread, page: Page
) -> None:
    shop.set_faults(["no-confirmation"])
    orders_before = len(shop.orders)
    shopper = Shopper(page, shop)
    shopper.jump_to_payment()
    shopper.fill_card()
    shopper.pay_now()
    expect(page).to_have_url(re.compile(r"/checkout/processing$"))
    expect(page.get_by_role("heading", name="Processing your order…")).to_be_visible()
    expect(page.get_by_text("Thank you for your order")).to_have_count(0)
    assert len(shop.orders) == orders_before + 1


@pytest.mark.parametrize(("faults", "broken"), [([], False), (["broken-images"], True)])
def test_broken_images_load_with_natural_width_zero(
    shop: DemoShopThread, page: Page, faults: list[str], broken: bool
) -> None:
    shop.set_faults(faults)
    page.goto(shop.url)  # waits for the load event, so every image has loaded or failed
    widths = page.locator("img").evaluate_all("images => images.map(img => img.naturalWidth)")
    assert len(widths) == 4
    assert all(width == 0 for width in widths) if broken else all(width > 0 for width in widths)


def test_price_mismatch_shows_a_total_that_is_not_price_times_quantity(
    shop: DemoShopThread, page: Page
) -> None:
    shop.set_faults(["price-mismatch"])
    page.goto(f"{shop.url}/product/trail-runner")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_test_id("unit-price")).to_have_text("€89.00")
    expect(page.get_by_label("Quantity", exact=True)).to_have_value("1")
    expect(page.get_by_test_id("cart-total")).to_have_text("€99.00")


def navigation_timing(page: Page) -> dict[str, float]:
    return page.evaluate(  # type: ignore[no-any-return]
        "() => performance.getEntriesByType('navigation')[0].toJSON()"
    )


@TIMED
def test_a_slow_third_party_script_holds_up_the_load_event(
    shop: DemoShopThread, page: Page
) -> None:
    shop.set_faults(["slow-script=1200"])
    page.goto(shop.url)
    timing = navigation_timing(page)
    assert timing["domContentLoadedEventEnd"] < 1000
    assert timing["loadEventStart"] >= 1200


def test_a_slow_route_delays_its_first_byte(shop: DemoShopThread, page: Page) -> None:
    shop.set_faults(["slow:/product/trail-runner=800"])
    page.goto(f"{shop.url}/product/trail-runner")
    timing = navigation_timing(page)
    assert timing["responseStart"] - timing["requestStart"] >= 800


@pytest.mark.parametrize(
    ("fault", "status", "text"),
    [
        ("status:/product/trail-runner=502", 502, "502 Bad Gateway"),
        ("status:/product/trail-runner=503", 503, "503 Service Temporarily Unavailable"),
        ("soft-error:/product/trail-runner", 200, "Something went wrong"),
    ],
)
def test_error_pages_are_what_the_shopper_sees(
    shop: DemoShopThread, page: Page, fault: str, status: int, text: str
) -> None:
    shop.set_faults([fault])
    response = page.goto(f"{shop.url}/product/trail-runner")
    assert response is not None and response.status == status
    expect(page.get_by_role("heading", name=text)).to_be_visible()
    expect(page.locator(".price")).to_have_count(0)
