"""Buying pages: checkout details, payment (with the provider's iframe), confirmation.

Pure functions returning page bodies and their scripts.

    >>> from monitor.demo.catalog import price_cart
    >>> body = checkout_body(price_cart({("trail-runner", "42"): 1}), {}, {})
    >>> 'id="delivery-pickup-point"' in body and '<label for="postcode">Postcode</label>' in body
    True
"""

from __future__ import annotations

from collections.abc import Mapping

from monitor.demo.catalog import COUNTRIES, DELIVERY_OPTIONS, CartSummary, format_money
from monitor.demo.layout import esc
from monitor.demo.state import CheckoutDetails, Order

CHECKOUT_SCRIPT = """
function money(cents) {
  return '€' + Math.floor(cents / 100).toLocaleString('en') + '.'
    + String(cents % 100).padStart(2, '0');
}
function showDelivery() {
  var chosen = document.querySelector('input[name=delivery]:checked');
  document.querySelectorAll('.delivery-choice').forEach(function (box) {
    box.hidden = !chosen || box.dataset.for !== chosen.value;
  });
  if (!chosen) { return; }
  var subtotal = Number(document.getElementById('summary-subtotal').dataset.cents);
  var delivery = Number(chosen.dataset.cents);
  document.getElementById('summary-delivery').textContent = money(delivery);
  document.getElementById('summary-total').textContent = money(subtotal + delivery);
}
document.querySelectorAll('input[name=delivery]').forEach(function (radio) {
  radio.addEventListener('change', showDelivery);
});
showDelivery();
"""

PAYMENT_SCRIPT = """
var frame = document.getElementById('payment-frame');
var providerOrigin = new URL(frame.src).origin;
window.addEventListener('message', function (event) {
  if (event.origin !== providerOrigin || !event.data || event.data.source !== 'demopay') {
    return;
  }
  if (event.data.type === 'resize') {
    frame.style.height = Math.ceil(event.data.height) + 'px';
  } else if (event.data.type === 'payment_succeeded') {
    document.getElementById('payment-id').value = event.data.paymentId;
    document.getElementById('payment-complete-form').submit();
  }
});
"""

_TICK = (
    '<svg class="tick" viewBox="0 0 24 24" width="48" height="48" aria-hidden="true">'
    '<circle cx="12" cy="12" r="12" fill="#2e7d4f"/><path d="M6.5 12.5l3.5 3.5 7.5-8" '
    'stroke="#fff" stroke-width="2.4" fill="none" stroke-linecap="round"/></svg>'
)


def _progress(current: int) -> str:
    names = ("Details", "Payment", "Confirmation")
    items = "".join(
        f"<li{' aria-current=step' if i == current else ''}"
        f"{' class=done' if i < current else ''}>{name}</li>"
        for i, name in enumerate(names)
    )
    return f'<ol class="progress" aria-label="Checkout progress">{items}</ol>'


def summary_card(summary: CartSummary, *, prefix: str, extra: str = "") -> str:
    """Items and totals, with ids ``{prefix}-subtotal``, ``-delivery`` and ``-total``."""
    lines = "".join(
        f"<li><span>{esc(line.product.name)} <span class=muted>&times; {line.quantity}, size "
        f"{esc(line.size)}</span></span><span>{esc(format_money(line.line_cents))}</span></li>"
        for line in summary.lines
    )
    delivery = format_money(summary.delivery_cents) if summary.delivery else "Not chosen yet"
    return f"""<aside class="summary-card" data-testid="{prefix}">
  <h2>Order summary</h2>
  <ul class="summary-lines" id="{prefix}-items">{lines}</ul>
  <dl class="totals">
    <dt>Subtotal</dt><dd id="{prefix}-subtotal" data-cents="{summary.subtotal_cents}"
      >{esc(format_money(summary.subtotal_cents))}</dd>
    <dt>Delivery</dt><dd id="{prefix}-delivery">{esc(delivery)}</dd>
    <dt class="totals__total">Total</dt><dd class="totals__total" id="{prefix}-total"
      data-testid="{prefix}-total">{esc(format_money(summary.total_cents))}</dd>
  </dl>
  {extra}
</aside>"""


def _field(
    field_id: str, label: str, values: Mapping[str, str], errors: Mapping[str, str], attrs: str
) -> str:
    error = errors.get(field_id)
    described = f' aria-invalid="true" aria-describedby="{field_id}-error"' if error else ""
    message = f'<p class="field-error" id="{field_id}-error">{esc(error)}</p>' if error else ""
    return f"""<div class="field{" field--invalid" if error else ""}">
  <label for="{field_id}">{label}</label>
  <input id="{field_id}" name="{field_id}" data-testid="{field_id}"
    value="{esc(values.get(field_id, ""))}" {attrs}{described}>{message}</div>"""


def _delivery_options(values: Mapping[str, str], errors: Mapping[str, str]) -> str:
    chosen = values.get("delivery", "home")
    parts = []
    for option in DELIVERY_OPTIONS:
        radio_id = f"delivery-{option.code}"
        checked = " checked" if option.code == chosen else ""
        picked = values.get(option.choice_id, "")
        choices = "".join(
            f"<option{' selected' if choice == picked else ''}>{esc(choice)}</option>"
            for choice in option.choices
        )
        error = errors.get(option.choice_id)
        parts.append(f"""<div class="delivery-option">
  <input type="radio" id="{radio_id}" data-testid="{radio_id}" name="delivery"
    value="{esc(option.code)}" data-cents="{option.price_cents}"
    aria-describedby="{radio_id}-promise"{checked}>
  <label for="{radio_id}">{esc(option.label)}</label>
  <span class="delivery-option__price">{esc(format_money(option.price_cents))}</span>
  <span class="delivery-option__promise" id="{radio_id}-promise">{esc(option.promise)}</span>
</div>
<div class="delivery-choice field" data-for="{esc(option.code)}"{"" if checked else " hidden"}>
  <label for="{option.choice_id}">{esc(option.choice_label)}</label>
  <select id="{option.choice_id}" name="{option.choice_id}" data-testid="{option.choice_id}"
    >{choices}</select>{f'<p class="field-error">{esc(error)}</p>' if error else ""}
</div>""")
    return "".join(parts)


def _error_summary(errors: Mapping[str, str]) -> str:
    if not errors:
        return ""
    items = "".join(f'<li><a href="#{esc(k)}">{esc(v)}</a></li>' for k, v in errors.items())
    return f"""<div class="error-summary" role="alert" data-testid="form-errors">
  <h2>Please check your details</h2><ul>{items}</ul></div>"""


def checkout_body(
    summary: CartSummary, values: Mapping[str, str], errors: Mapping[str, str]
) -> str:
    country = values.get("country", COUNTRIES[0])
    countries = "".join(
        f"<option{' selected' if name == country else ''}>{esc(name)}</option>"
        for name in COUNTRIES
    )
    return f"""{_progress(0)}
<h1>Checkout</h1>
<div class="two-column">
<form id="checkout-form" class="panel" method="post" action="/checkout" novalidate>
  {_error_summary(errors)}
  <fieldset><legend>Contact</legend>
    {_field("email", "Email", values, errors, 'type="email" autocomplete="email"')}
    {_field("name", "Full name", values, errors, 'autocomplete="name"')}
  </fieldset>
  <fieldset><legend>Delivery address</legend>
    {_field("street", "Street and house number", values, errors, 'autocomplete="address-line1"')}
    <div class="field-row">
      {_field("postcode", "Postcode", values, errors, 'autocomplete="postal-code"')}
      {_field("city", "City", values, errors, 'autocomplete="address-level2"')}
    </div>
    <div class="field"><label for="country">Country</label>
      <select id="country" name="country" data-testid="country">{countries}</select></div>
  </fieldset>
  <fieldset class="delivery-options"><legend>Delivery method</legend>
    {_delivery_options(values, errors)}
  </fieldset>
  <button id="continue-to-payment" data-testid="continue-to-payment"
    class="button button--primary button--wide" type="submit">Continue to payment</button>
</form>
{summary_card(summary, prefix="summary")}
</div>"""


def _delivery_text(details: CheckoutDetails) -> str:
    return f"{details.delivery.label}: {details.delivery_choice}"


def _address(details: CheckoutDetails) -> str:
    return (
        f"{esc(details.name)}<br>{esc(details.street)}<br>{esc(details.postcode)} "
        f"{esc(details.city)}<br>{esc(details.country)}"
    )


def payment_body(
    summary: CartSummary, details: CheckoutDetails, frame_url: str, error: str = ""
) -> str:
    banner = f'<p class="alert" role="alert">{esc(error)}</p>' if error else ""
    extra = f"""<div class="summary-extra">
    <h3>Delivery</h3><p id="payment-delivery">{esc(_delivery_text(details))}</p>
    <h3>Ship to</h3><p>{_address(details)}</p>
    <p><a href="/checkout">Change details</a></p></div>"""
    return f"""{_progress(1)}
<h1>Payment</h1>
<div class="two-column">
<section class="panel payment-panel">
  <h2>Pay by card</h2>
  <p class="muted">Your card details go straight to our payment provider, DemoPay.</p>
  {banner}
  <iframe id="payment-frame" data-testid="payment-frame" name="payment-frame"
    title="Secure card payment" src="{esc(frame_url)}"></iframe>
  <form id="payment-complete-form" method="post" action="/payment/complete" hidden>
    <input type="hidden" id="payment-id" name="payment_id"></form>
</section>
{summary_card(summary, prefix="summary", extra=extra)}
</div>"""


def confirmation_body(order: Order) -> str:
    details = order.details
    extra = f"""<div class="summary-extra">
    <h3>Delivery</h3><p id="order-delivery" data-testid="order-delivery"
      >{esc(_delivery_text(details))}</p>
    <h3>Ship to</h3><p>{_address(details)}</p>
    <h3>Paid with</h3><p id="order-payment">{esc(order.card_description)}</p></div>"""
    return f"""{_progress(2)}
<section class="confirmation" data-testid="order-confirmation">
  {_TICK}
  <h1>Thank you for your order</h1>
  <p class="lead">Your order number is
    <strong id="order-number" data-testid="order-number">{esc(order.number)}</strong></p>
  <p>We've sent a confirmation to <strong>{esc(details.email)}</strong>.</p>
</section>
<div class="confirmation-summary">
{summary_card(order.summary, prefix="order", extra=extra)}
</div>
<p class="center"><a class="button" href="/">Continue shopping</a></p>"""


def processing_body() -> str:
    """Where a shopper waits forever when the shop never confirms a paid order."""
    return """<section class="notice processing" data-testid="order-processing">
  <div class="spinner" aria-hidden="true"></div>
  <h1>Processing your order…</h1>
  <p>Please don't close this page or press back. This usually takes a few seconds.</p>
</section>"""
