"""Browsing pages: the product grid, a product, the cart. Pure functions returning page bodies.

>>> from monitor.demo.catalog import PRODUCTS
>>> 'id="product-link-trail-runner"' in home_body(PRODUCTS)
True
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.demo.catalog import (
    DELIVERY_OPTIONS,
    MAX_QUANTITY,
    PAYMENT_METHODS,
    RETURNS_POLICY,
    CartSummary,
    Product,
    format_money,
)
from monitor.demo.images import VIEWS
from monitor.demo.layout import esc

GALLERY_SCRIPT = """
document.querySelectorAll('.gallery__thumb').forEach(function (thumb) {
  thumb.addEventListener('click', function () {
    var main = document.getElementById('product-image');
    main.src = thumb.dataset.src;
    main.alt = thumb.dataset.alt;
    document.querySelectorAll('.gallery__thumb').forEach(function (other) {
      other.setAttribute('aria-pressed', String(other === thumb));
    });
  });
});
"""

CART_SCRIPT = """
document.querySelectorAll('.quantity-form input[type=number]').forEach(function (input) {
  input.addEventListener('change', function () { input.form.requestSubmit(); });
});
"""


def home_body(products: Sequence[Product]) -> str:
    cards = "".join(
        f"""<li><a class="product-card" id="product-link-{esc(p.slug)}"
  data-testid="product-link-{esc(p.slug)}" href="/product/{esc(p.slug)}">
  <img class="product-card__image" src="{esc(p.image_url())}" alt="" width="800" height="600">
  <span class="product-card__category">{esc(p.category)}</span>
  <span class="product-card__name">{esc(p.name)}</span>
  <span class="product-card__price">{esc(format_money(p.price_cents))}</span>
</a></li>"""
        for p in products
    )
    return f"""<section class="hero">
  <h1>Gear for the trail</h1>
  <p>Shoes, shells and packs tested on real mountains. Free returns within 30 days.</p>
</section>
<h2 class="section-title">Bestsellers</h2>
<ul class="product-grid" data-testid="product-grid">{cards}</ul>"""


def _gallery(product: Product) -> str:
    def alt(view: str) -> str:
        return f"{product.name} in {product.colour}, {view} view"

    thumbs = "".join(
        f"""<button type="button" class="gallery__thumb" aria-pressed="{str(i == 0).lower()}"
  aria-label="Show {esc(view)} view" data-src="{esc(product.image_url(view))}"
  data-alt="{esc(alt(view))}"><img src="{esc(product.image_url(view))}" alt=""
  width="800" height="600"></button>"""
        for i, view in enumerate(VIEWS)
    )
    return f"""<div class="gallery">
  <img id="product-image" data-testid="product-image" class="gallery__main"
    src="{esc(product.image_url())}" alt="{esc(alt(VIEWS[0]))}" width="800" height="600">
  <div class="gallery__thumbs">{thumbs}</div>
</div>"""


def _buy_box(product: Product) -> str:
    options = "".join(
        f'<option value="{esc(size)}"{" selected" if size == product.default_size else ""}>'
        f"{esc(size)}</option>"
        for size in product.sizes
    )
    size_label = "Size (EU)" if product.slug == "trail-runner" else "Size"
    return f"""<form class="buy-box" method="post" action="/cart/add">
  <input type="hidden" name="product" value="{esc(product.slug)}">
  <div class="buy-box__fields">
    <div class="field"><label for="size">{size_label}</label>
      <select id="size" name="size" data-testid="size">{options}</select></div>
    <div class="field field--narrow"><label for="quantity">Quantity</label>
      <input id="quantity" name="quantity" data-testid="quantity" type="number" inputmode="numeric"
        min="1" max="{MAX_QUANTITY}" value="1"></div>
  </div>
  <button id="add-to-cart" data-testid="add-to-cart" class="button button--primary"
    type="submit">Add to cart</button>
</form>"""


def _size_chart(product: Product) -> str:
    header, *rows = product.size_chart
    head = "".join(f'<th scope="col">{esc(cell)}</th>' for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f'<table class="size-chart"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _info_sections(product: Product, size_chart: bool = True) -> str:
    materials = "".join(f"<li>{esc(item)}</li>" for item in product.materials)
    delivery = "".join(
        f"<li><strong>{esc(o.label)}</strong> {esc(format_money(o.price_cents))}"
        f" <span class=muted>{esc(o.promise)}</span></li>"
        for o in DELIVERY_OPTIONS
    )
    methods = "".join(f'<li class="badge">{esc(name)}</li>' for name in PAYMENT_METHODS)
    chart = f"""<section class="info" id="size-chart" data-testid="size-chart">
  <h2>Size chart</h2>{_size_chart(product)}</section>"""
    return f"""<section class="info" id="description" data-testid="description">
  <h2>Description</h2><p>{esc(product.description)}</p></section>
<section class="info" id="materials" data-testid="materials">
  <h2>Materials</h2><ul>{materials}</ul></section>
{chart if size_chart else ""}
<section class="info" id="delivery-info" data-testid="delivery-info">
  <h2>Delivery</h2><ul class="plain">{delivery}</ul></section>
<section class="info" id="returns-info" data-testid="returns-info">
  <h2>Returns</h2><p>{esc(RETURNS_POLICY)}</p></section>
<section class="info" id="payment-methods" data-testid="payment-methods">
  <h2>Payment methods</h2><ul class="badges">{methods}</ul></section>"""


def product_body(product: Product, size_chart: bool = True) -> str:
    return f"""<nav class="breadcrumb" aria-label="Breadcrumb"><a href="/">Home</a>
  <span aria-hidden="true">/</span> {esc(product.category)}</nav>
<article class="product" data-testid="product">
  {_gallery(product)}
  <div class="product__details">
    <p class="eyebrow">{esc(product.category)}</p>
    <h1 class="product__name">{esc(product.name)}</h1>
    <p class="price" id="price" data-testid="price">{esc(format_money(product.price_cents))}</p>
    <p class="product__summary">{esc(product.summary)}</p>
    <p class="muted">Colour: {esc(product.colour)}</p>
    {_buy_box(product)}
    <ul class="assurances"><li>Free returns within 30 days</li>
      <li>Delivery from {esc(format_money(min(o.price_cents for o in DELIVERY_OPTIONS)))}</li>
      <li>Secure card payment</li></ul>
    {_info_sections(product, size_chart)}
  </div>
</article>"""


def _cart_line(line_id: str, name: str, slug: str, size: str, quantity: int) -> str:
    field_id = f"quantity-{slug}-{size}".replace(" ", "-").lower()
    return f"""<form class="quantity-form" method="post" action="/cart/update">
  <input type="hidden" name="line" value="{esc(line_id)}">
  <label for="{esc(field_id)}">Quantity</label>
  <input id="{esc(field_id)}" data-testid="{esc(field_id)}" name="quantity" type="number"
    inputmode="numeric" min="0" max="{MAX_QUANTITY}" value="{quantity}">
  <button class="button button--small" type="submit"
    aria-label="Update quantity of {esc(name)}">Update</button>
</form>
<form method="post" action="/cart/remove">
  <input type="hidden" name="line" value="{esc(line_id)}">
  <button class="link-button" type="submit" aria-label="Remove {esc(name)} (size {esc(size)})"
    >Remove</button>
</form>"""


def cart_body(summary: CartSummary) -> str:
    if not summary.lines:
        return """<h1>Your cart</h1>
<section class="notice" data-testid="empty-cart"><p>Your cart is empty.</p>
  <p><a class="button" href="/">Continue shopping</a></p></section>"""
    rows = "".join(
        f"""<li class="cart-line" data-testid="cart-line">
  <img src="{esc(line.product.image_url())}" alt="" width="800" height="600">
  <div class="cart-line__main">
    <a class="cart-line__name" href="/product/{esc(line.product.slug)}">{esc(line.product.name)}</a>
    <p class="muted">Size {esc(line.size)} · <span class="cart-line__unit"
      data-testid="unit-price">{esc(format_money(line.unit_cents))}</span> each</p>
    <div class="cart-line__actions">{
            _cart_line(line.line_id, line.product.name, line.product.slug, line.size, line.quantity)
        }</div>
  </div>
  <p class="cart-line__total" data-testid="line-total">{esc(format_money(line.line_cents))}</p>
</li>"""
        for line in summary.lines
    )
    cheapest = format_money(min(o.price_cents for o in DELIVERY_OPTIONS))
    return f"""<h1>Your cart</h1>
<div class="two-column">
  <ul class="cart-lines" data-testid="cart-lines">{rows}</ul>
  <aside class="summary-card">
    <h2>Order summary</h2>
    <dl class="totals">
      <dt>Subtotal</dt><dd id="cart-subtotal">{esc(format_money(summary.subtotal_cents))}</dd>
      <dt>Delivery</dt><dd class="muted">from {esc(cheapest)}, chosen at checkout</dd>
      <dt class="totals__total">Total</dt>
      <dd class="totals__total" id="cart-total" data-testid="cart-total"
        >{esc(format_money(summary.total_cents))}</dd>
    </dl>
    <form method="get" action="/checkout">
      <button id="checkout-button" data-testid="checkout-button"
        class="button button--primary button--wide" type="submit">Go to checkout</button>
    </form>
    <p class="center"><a href="/">Continue shopping</a></p>
  </aside>
</div>"""
