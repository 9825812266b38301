"""What the demo shop sells and how a cart is priced. Pure data and arithmetic; money in cents.

>>> trail_runner = product_by_slug("trail-runner")
>>> format_money(trail_runner.price_cents)
'€89.00'
>>> summary = price_cart({("trail-runner", "42"): 2}, delivery_by_code("pickup-point"))
>>> format_money(summary.subtotal_cents), format_money(summary.total_cents)
('€178.00', '€181.90')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SHOP_NAME = "Summit Outfitters"
CURRENCY = "EUR"
PAYMENT_METHODS = ("Visa", "Mastercard", "American Express", "Maestro")
RETURNS_POLICY = (
    "Free returns within 30 days. Send back unworn items in their original packaging with the "
    "prepaid label in your parcel; we refund to your card within 5 working days."
)
MAX_QUANTITY = 10
COUNTRIES = ("Netherlands", "Belgium", "Germany", "France", "Denmark", "Sweden")

CartKey = tuple[str, str]
"""A cart line is one product in one size: (product slug, size)."""


@dataclass(frozen=True)
class Product:
    slug: str
    name: str
    category: str
    price_cents: int
    previous_price_cents: int  # the pre-sale price a stale price cache still holds
    summary: str
    description: str
    materials: tuple[str, ...]
    sizes: tuple[str, ...]
    default_size: str
    size_chart: tuple[tuple[str, ...], ...]  # header row first
    colour: str

    def image_url(self, view: str = "side") -> str:
        return f"/images/{self.slug}-{view}.svg"


@dataclass(frozen=True)
class DeliveryOption:
    """A way to get the parcel; the shopper picks one and one of its ``choices``."""

    code: str
    label: str
    price_cents: int
    promise: str
    choice_id: str
    choice_label: str
    choices: tuple[str, ...]


PRODUCTS: tuple[Product, ...] = (
    Product(
        slug="trail-runner",
        name="Trail Runner",
        category="Trail running shoes",
        price_cents=8900,
        previous_price_cents=9900,
        summary="Grippy, cushioned trail shoe for long days on rough ground.",
        description=(
            "A light trail running shoe with a rock plate, 4 mm lugs that bite on mud and wet "
            "stone, and a breathable mesh upper that drains fast after river crossings."
        ),
        materials=(
            "Upper: 80% recycled polyester mesh",
            "Midsole: EVA foam with rock plate",
            "Outsole: sticky rubber, 4 mm lugs",
        ),
        sizes=("38", "39", "40", "41", "42", "43", "44", "45", "46"),
        default_size="42",
        size_chart=(
            ("EU", "UK", "US", "Foot length (cm)"),
            ("38", "5", "6", "24.0"),
            ("40", "6.5", "7.5", "25.3"),
            ("42", "8", "9", "26.7"),
            ("44", "9.5", "10.5", "28.0"),
            ("46", "11", "12", "29.3"),
        ),
        colour="Ember orange",
    ),
    Product(
        slug="storm-shell",
        name="Storm Shell Jacket",
        category="Waterproof jackets",
        price_cents=12900,
        previous_price_cents=14900,
        summary="Packable 2.5-layer rain shell with a helmet-ready hood.",
        description=(
            "Fully taped seams, pit zips for airflow and a hood that fits over a cap or helmet. "
            "Packs into its own chest pocket."
        ),
        materials=("Shell: 100% recycled nylon, 20k/20k membrane", "PFC-free water repellent"),
        sizes=("S", "M", "L", "XL"),
        default_size="M",
        size_chart=(
            ("Size", "Chest (cm)", "Back length (cm)"),
            ("S", "88-96", "72"),
            ("M", "96-104", "74"),
            ("L", "104-112", "76"),
            ("XL", "112-120", "78"),
        ),
        colour="Glacier blue",
    ),
    Product(
        slug="merino-tee",
        name="Merino Base Tee",
        category="Base layers",
        price_cents=4500,
        previous_price_cents=4900,
        summary="Soft merino tee that stays fresh for days.",
        description="Fine 150 g/m² merino wool that regulates temperature and resists odour.",
        materials=("87% merino wool, 13% nylon core",),
        sizes=("S", "M", "L", "XL"),
        default_size="M",
        size_chart=(
            ("Size", "Chest (cm)", "Length (cm)"),
            ("S", "90", "68"),
            ("M", "98", "70"),
            ("L", "106", "72"),
            ("XL", "114", "74"),
        ),
        colour="Moss green",
    ),
    Product(
        slug="summit-daypack",
        name="Summit Daypack 20L",
        category="Backpacks",
        price_cents=5900,
        previous_price_cents=6900,
        summary="20 litre pack with a hydration sleeve and hip belt.",
        description="Ventilated back panel, stretch side pockets and a rain cover in the base.",
        materials=("Body: 210D recycled ripstop nylon", "Back panel: 3D air mesh"),
        sizes=("One size",),
        default_size="One size",
        size_chart=(("Volume", "Height", "Weight"), ("20 l", "48 cm", "640 g")),
        colour="Slate grey",
    ),
)

DELIVERY_OPTIONS: tuple[DeliveryOption, ...] = (
    DeliveryOption(
        code="home",
        label="Home delivery",
        price_cents=590,
        promise="Tomorrow, in the time window you choose",
        choice_id="delivery-window",
        choice_label="Delivery time window",
        choices=("08:00-12:00", "12:00-17:00", "17:00-21:00"),
    ),
    DeliveryOption(
        code="pickup-point",
        label="Pickup point",
        price_cents=390,
        promise="Collect from a shop near you in 2-3 working days",
        choice_id="pickup-location",
        choice_label="Choose a pickup location",
        choices=("Corner Kiosk, Main Street 12", "Page Turner Books, Market Square 3"),
    ),
    DeliveryOption(
        code="parcel-locker",
        label="Parcel locker",
        price_cents=290,
        promise="Open your locker 24/7 with the code we text you, in 1-2 working days",
        choice_id="locker-location",
        choice_label="Choose a locker",
        choices=("Central Station locker", "Westside Supermarket locker"),
    ),
)


def product_by_slug(slug: str) -> Product:
    """The product with this slug; KeyError if the shop does not sell it."""
    for product in PRODUCTS:
        if product.slug == slug:
            return product
    raise KeyError(slug)


def delivery_by_code(code: str) -> DeliveryOption:
    """The delivery option with this code; KeyError if there is none."""
    for option in DELIVERY_OPTIONS:
        if option.code == code:
            return option
    raise KeyError(code)


def format_money(cents: int) -> str:
    """Euros as shoppers read them: ``format_money(123456) == '€1,234.56'``."""
    return f"€{cents // 100:,}.{cents % 100:02d}"


@dataclass(frozen=True)
class PricedLine:
    product: Product
    size: str
    quantity: int
    unit_cents: int
    line_cents: int

    @property
    def line_id(self) -> str:
        return f"{self.product.slug}:{self.size}"


@dataclass(frozen=True)
class CartSummary:
    lines: tuple[PricedLine, ...]
    subtotal_cents: int
    delivery: DeliveryOption | None
    delivery_cents: int
    total_cents: int

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


def price_cart(
    cart: Mapping[CartKey, int],
    delivery: DeliveryOption | None = None,
    *,
    stale_prices: bool = False,
) -> CartSummary:
    """Price every line. ``stale_prices`` models a stale price cache: line totals use the
    previous price while the unit price shown is the current one, so totals stop adding up."""
    lines: list[PricedLine] = []
    for (slug, size), quantity in cart.items():
        product = product_by_slug(slug)
        charged = product.previous_price_cents if stale_prices else product.price_cents
        lines.append(PricedLine(product, size, quantity, product.price_cents, charged * quantity))
    subtotal = sum(line.line_cents for line in lines)
    delivery_cents = delivery.price_cents if delivery else 0
    return CartSummary(tuple(lines), subtotal, delivery, delivery_cents, subtotal + delivery_cents)
