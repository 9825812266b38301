"""Faults a shopper feels rather than sees fail, and faults a screen reader meets: each page's
extra script (shop pages) and the card form's changes (the payment provider).

Pure: from the live FaultSet and a request path to HTML or script text.

    >>> from monitor.demo.faults import FaultSet
    >>> "tracker" in shop_fault_script(FaultSet(["error-click"]), "/product/trail-runner")
    True
"""

from __future__ import annotations

from monitor.demo.faults import FaultKind, FaultSet

# Add to cart waits 1.5 s before it does anything: no change, no request (a dead click).
DEAD_CLICK = """
(function () {
  var late = false;
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('#add-to-cart');
    if (!button || late) return;
    event.preventDefault();
    setTimeout(function () { late = true; button.form.requestSubmit(button); }, 1500);
  });
})();
"""
# A tracking handler whose library never loaded: it throws on each Add to cart.
ERROR_CLICK = """
document.addEventListener('click', function (event) {
  if (event.target.closest && event.target.closest('#add-to-cart')) {
    window.tracker.track('add_to_cart');
  }
});
"""
# Add to cart is usable only once a stock banner has pushed it down: the shopper aims, it jumps.
JUMPING_BUTTON = """
(function () {
  var button = document.getElementById('add-to-cart');
  if (!button) return;
  button.disabled = true;
  addEventListener('load', function () {
    setTimeout(function () {
      var note = document.createElement('p');
      note.className = 'stock-note';
      note.style.cssText = 'height: 96px; margin: 0; padding: 8px; background: #fff4d6';
      note.textContent = 'Only 3 left in your size: order today';
      button.before(note);
      button.disabled = false;
    }, 300);
  });
})();
"""
ERROR_ALERT = """
(function () {
  var alert = document.createElement('p');
  alert.setAttribute('role', 'alert');
  alert.className = 'error';
  alert.textContent = 'We could not check your address right now. You can still continue.';
  document.querySelector('main').prepend(alert);
})();
"""
LOW_CONTRAST = """
(function () {
  var style = document.createElement('style');
  style.textContent = '.price, .product-card__price { color: #d0d0d0 !important; }';
  document.head.append(style);
})();
"""

PAY_ICON = (
    '<svg aria-hidden="true" width="20" height="20" viewBox="0 0 20 20">'
    '<path d="M2 5h16v10H2z" fill="currentColor"/></svg>'
)


def shop_fault_script(faults: FaultSet, path: str) -> str:
    """The script the shop's page at `path` gets for the active faults ("" for none)."""
    parts = []
    on_product = path.startswith("/product/")
    if on_product and faults.has(FaultKind.DEAD_CLICK):
        parts.append(DEAD_CLICK)
    if on_product and faults.has(FaultKind.ERROR_CLICK):
        parts.append(ERROR_CLICK)
    if on_product and faults.has(FaultKind.JUMPING_BUTTON):
        parts.append(JUMPING_BUTTON)
    if path == "/checkout" and faults.has(FaultKind.ERROR_ALERT):
        parts.append(ERROR_ALERT)
    if faults.has(FaultKind.A11Y_LOW_CONTRAST):
        parts.append(LOW_CONTRAST)
    return "".join(parts)
