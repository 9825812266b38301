"""The payment provider's pages, shown inside the shop's iframe: card form and 3-D Secure.

Pure functions returning whole documents. ``PaymentContext`` is what the shop put in the iframe
URL: the amount, its checkout reference, and its origin (where results are posted back to).

    >>> ctx = PaymentContext(amount_cents=9490, currency="EUR", reference="r1",
    ...                      shop_origin="http://127.0.0.1:8080")
    >>> 'id="pay-button"' in card_form_page(ctx)
    True
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.demo.catalog import format_money
from monitor.demo.faults import PayButtonMode
from monitor.demo.feel_faults import PAY_ICON
from monitor.demo.layout import esc, js_literal, page_script

# The iframe's own viewport: on a phone it is well under this, on a desktop well over.
PHONE_MAX_WIDTH_PX = 480

_STYLE = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
  color:#1d2327;background:#fff}
main{padding:4px 2px 8px}
.field{margin:0 0 14px}
label{display:block;font-size:14px;font-weight:600;margin:0 0 6px;color:#30373d}
input{width:100%;font:inherit;padding:11px 12px;border:1px solid #c3c9cf;border-radius:8px;
  background:#fff}
input:focus{outline:2px solid #2f6fde;outline-offset:1px;border-color:#2f6fde}
.row{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.amount{margin:0 0 16px;color:#50585f;font-size:15px}
.amount strong{color:#1d2327}
button{font:inherit;font-weight:700;border:0;border-radius:8px;cursor:pointer}
#pay-button,.primary{width:100%;padding:14px;background:#1f5f3f;color:#fff;font-size:17px}
#pay-button:disabled{background:#8fa89b;cursor:not-allowed}
.secondary{width:100%;padding:12px;background:#eef0f2;color:#30373d;margin-top:10px}
.error{margin:0 0 14px;padding:10px 12px;border-radius:8px;background:#fdecea;color:#a1271b;
  font-weight:600}
.status{min-height:1.4em;margin:10px 0 0;color:#50585f;font-size:14px}
.brand{margin:12px 0 0;font-size:12px;color:#596066;text-align:center}
.consent{position:fixed;inset:0;background:rgba(20,24,28,.35);display:flex;align-items:flex-end}
.consent div{background:#fff;width:100%;padding:14px 16px;box-shadow:0 -4px 16px rgba(0,0,0,.2);
  font-size:14px}
.consent button{margin-top:8px;padding:8px 14px;background:#1d2327;color:#fff}
.bank{font-weight:700;color:#0b3d91;letter-spacing:.02em;margin:0 0 8px}
h1{font-size:20px;margin:0 0 8px}
"""

_OFFSCREEN_STYLE = f"""
@media (max-width: {PHONE_MAX_WIDTH_PX}px) {{
  #pay-button {{ position: absolute; left: -9999px; }}
}}
"""

_CONSENT = """<div class="consent" id="consent-overlay" data-testid="consent-overlay"
  role="dialog" aria-label="Cookie consent"><div>
  <p>We use cookies to keep your payment secure. By continuing you accept our cookie policy.</p>
  <button type="button" id="consent-accept">Accept all</button></div></div>"""

_FORM_SCRIPT = """
var config = __CONFIG__;
var button = document.getElementById('pay-button');
var errorBox = document.getElementById('payment-error');
var statusLine = document.getElementById('payment-status');
function tellShop(message) {
  message.source = 'demopay';
  window.parent.postMessage(message, config.shopOrigin);
}
function resize() {
  tellShop({type: 'resize', height: document.querySelector('main').offsetHeight + 16});
}
function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = false;
  statusLine.textContent = '';
  button.disabled = false;
  button.textContent = 'Pay now';
  resize();
}
document.getElementById('card-number').addEventListener('input', function (event) {
  var digits = event.target.value.replace(/\\D/g, '').slice(0, 19);
  event.target.value = digits.replace(/(\\d{4})(?=\\d)/g, '$1 ');
});
async function pay() {
  errorBox.hidden = true;
  button.disabled = true;
  button.textContent = 'Processing…';
  statusLine.textContent = 'Processing your payment…';
  var response, body;
  try {
    response = await fetch('/api/pay', {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({
        reference: config.reference, amount: config.amount, currency: config.currency,
        shop_origin: config.shopOrigin,
        card_number: document.getElementById('card-number').value,
        expiry: document.getElementById('expiry').value,
        cvc: document.getElementById('cvc').value,
        name: document.getElementById('cardholder-name').value
      })
    });
    body = await response.json();
  } catch (error) {
    showError(config.processingFailed);
    return;
  }
  if (response.ok && body.status === 'succeeded') {
    statusLine.textContent = 'Payment approved. Taking you to your order…';
    tellShop({type: 'payment_succeeded', paymentId: body.payment_id});
  } else if (response.ok && body.status === 'requires_action') {
    window.location.assign(body.next_url);
  } else {
    showError(response.status >= 500 ? config.processingFailed : body.message);
  }
}
button.addEventListener('click', pay);
resize();
new ResizeObserver(resize).observe(document.querySelector('main'));
"""

_DONE_SCRIPT = """
var message = __MESSAGE__;
window.parent.postMessage(message, message.shopOrigin);
"""

# The bank's page replaces the card form inside the frame: size the frame to it, as the form does.
_RESIZE_SCRIPT = """
var shopOrigin = __ORIGIN__;
window.parent.postMessage({source: 'demopay', type: 'resize',
  height: document.querySelector('main').offsetHeight + 16}, shopOrigin);
"""


@dataclass(frozen=True)
class PaymentContext:
    amount_cents: int
    currency: str
    reference: str
    shop_origin: str


def _document(title: str, body: str, style: str = "", script: str = "") -> str:
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>{_STYLE}{style}</style></head>
<body><main>
{body}
</main>
{script}
</body></html>
"""


def card_form_page(
    ctx: PaymentContext,
    *,
    error: str = "",
    pay_button: PayButtonMode | None = None,
    js_error: bool = False,
    processing_failed: str = "Payment could not be processed.",
    card_label: bool = True,
    pay_label: bool = True,
) -> str:
    """The card form. ``pay_button`` breaks the Pay now button the way real pages do;
    without ``card_label`` the card number field has no label (nor placeholder), without
    ``pay_label`` Pay now is an icon with no name."""
    attrs = ""
    if pay_button is PayButtonMode.HIDDEN:
        attrs = ' style="display: none"'
    elif pay_button is PayButtonMode.DISABLED:
        attrs = " disabled"
    style = _OFFSCREEN_STYLE if pay_button is PayButtonMode.OFFSCREEN_MOBILE else ""
    overlay = _CONSENT if pay_button is PayButtonMode.COVERED else ""
    config = {
        "amount": ctx.amount_cents,
        "currency": ctx.currency,
        "reference": ctx.reference,
        "shopOrigin": ctx.shop_origin,
        "processingFailed": processing_failed,
    }
    script = page_script(_FORM_SCRIPT.replace("__CONFIG__", js_literal(config)), js_error)
    card_label_html = (
        '<label for="card-number">Card number</label>'
        if card_label
        else '<span class="label">Card number</span>'
    )
    card_placeholder = ' placeholder="1234 1234 1234 1234"' if card_label else ""
    pay_text = "Pay now" if pay_label else PAY_ICON
    body = f"""<form id="payment-form" novalidate autocomplete="on">
  <p class="amount">Amount to pay: <strong id="payment-amount"
    >{esc(format_money(ctx.amount_cents))}</strong></p>
  <div class="field">{card_label_html}
    <input id="card-number" data-testid="card-number" name="card_number" inputmode="numeric"
      autocomplete="cc-number"{card_placeholder}></div>
  <div class="row">
    <div class="field"><label for="expiry">Expiry (MM/YY)</label>
      <input id="expiry" data-testid="expiry" name="expiry" autocomplete="cc-exp"
        placeholder="MM/YY"></div>
    <div class="field"><label for="cvc">CVC</label>
      <input id="cvc" data-testid="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc"
        placeholder="123"></div>
  </div>
  <div class="field"><label for="cardholder-name">Name on card</label>
    <input id="cardholder-name" data-testid="cardholder-name" name="name"
      autocomplete="cc-name"></div>
  <p id="payment-error" data-testid="payment-error" class="error" role="alert"
    {"" if error else "hidden"}>{esc(error)}</p>
  <button type="button" id="pay-button" data-testid="pay-button"{attrs}>{pay_text}</button>
  <p id="payment-status" data-testid="payment-status" class="status" role="status"></p>
  <p class="brand">Secured by DemoPay · test mode</p>
</form>
{overlay}"""
    return _document("DemoPay card payment", body, style, script)


def challenge_page(payment_id: str, amount: str, shop_origin: str) -> str:
    """A bank's 3-D Secure check, as it appears inside the card form's frame."""
    script = page_script(_RESIZE_SCRIPT.replace("__ORIGIN__", js_literal(shop_origin)), False)
    return _document(
        "Confirm your payment",
        f"""<p class="bank">Demo Bank · Secure check</p>
<h1>Confirm your payment</h1>
<p>Your bank asks you to confirm a payment of <strong>{esc(amount)}</strong>
  to {esc(shop_origin)}.</p>
<form method="post" action="/3ds/{esc(payment_id)}/complete">
  <button type="submit" class="primary" id="complete-authentication"
    data-testid="complete-authentication">Complete authentication</button></form>
<form method="post" action="/3ds/{esc(payment_id)}/fail">
  <button type="submit" class="secondary" id="fail-authentication"
    data-testid="fail-authentication">Fail authentication</button></form>""",
        script=script,
    )


def authenticated_page(payment_id: str, shop_origin: str) -> str:
    """Shown for a moment after 3-D Secure succeeds, while the shop takes over."""
    message = {
        "source": "demopay",
        "type": "payment_succeeded",
        "paymentId": payment_id,
        "shopOrigin": shop_origin,
    }
    return _document(
        "Payment authenticated",
        '<p class="status" id="payment-status" role="status">'
        "Payment approved. Taking you to your order…</p>",
        script=page_script(_DONE_SCRIPT.replace("__MESSAGE__", js_literal(message)), False),
    )


def provider_error_page(message: str) -> str:
    return _document("Payment unavailable", f'<p class="error" role="alert">{esc(message)}</p>')
