"""The page frame every shop page shares, and the shop's own error pages.

Pure functions from data to HTML. Every value that reaches HTML goes through :func:`esc`.

    >>> page = layout(title="Cart", body="<h1>Your cart</h1>", cart_count=2)
    >>> "<title>Cart · Summit Outfitters</title>" in page and "Cart (2)" in page
    True
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

from monitor.demo.catalog import DELIVERY_OPTIONS, PAYMENT_METHODS, SHOP_NAME, format_money

# Stands in for a tag manager whose bundle failed to load: the page's own script dies on it,
# before it wires up any behaviour.
JS_ERROR_STATEMENT = "window.shopAnalytics.init({ consent: true });\n"
SLOW_SCRIPT_PATH = "/vendor/reviews-widget.js"


def esc(value: object) -> str:
    """HTML-escape anything for text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def js_literal(value: object) -> str:
    """A JSON value safe to embed inside an inline <script>."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@dataclass(frozen=True)
class PageFaults:
    """The faults that change the frame of a page rather than its content."""

    js_error: bool = False
    slow_script: bool = False
    extra_script: str = ""  # what the shopper feels: see feel_faults.py


def page_script(script: str, js_error: bool) -> str:
    """The page's inline script; with ``js_error`` it dies on its first line, like a real bundle."""
    if js_error:
        script = JS_ERROR_STATEMENT + script
    return f"<script>\n{script}</script>" if script else ""


def _footer() -> str:
    delivery = "".join(
        f"<li>{esc(option.label)} <span>{esc(format_money(option.price_cents))}</span></li>"
        for option in DELIVERY_OPTIONS
    )
    methods = "".join(f'<li class="badge">{esc(name)}</li>' for name in PAYMENT_METHODS)
    return f"""<footer class="site-footer">
  <div class="site-footer__inner">
    <section><h2>Delivery</h2><ul class="plain">{delivery}</ul></section>
    <section><h2>Returns</h2><p>Free returns within 30 days.</p></section>
    <section><h2>We accept</h2><ul class="badges">{methods}</ul></section>
  </div>
  <p class="site-footer__note">© {esc(SHOP_NAME)} · a demo shop bundled with checkout-monitor</p>
</footer>"""


def layout(
    *,
    title: str,
    body: str,
    cart_count: int,
    script: str = "",
    faults: PageFaults = PageFaults(),
    analytics_url: str = "",
) -> str:
    """A complete shop page around ``body``; with ``analytics_url``, its analytics tag."""
    slow_tag = f'<script async src="{SLOW_SCRIPT_PATH}"></script>' if faults.slow_script else ""
    if analytics_url:
        slow_tag += f'\n<script async src="{esc(analytics_url)}/tag.js"></script>'
    inline = page_script(script, faults.js_error)
    count = f" ({cart_count})" if cart_count else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · {esc(SHOP_NAME)}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/shop.css">
{slow_tag}
</head>
<body>
<p class="promo-bar">Free returns within 30 days · Delivery from €2.90</p>
<header class="site-header">
  <a class="logo" href="/">{esc(SHOP_NAME)}</a>
  <nav class="site-nav" aria-label="Main">
    <a href="/">Shop</a>
    <a id="cart-link" data-testid="cart-link" class="cart-link" href="/cart">Cart{esc(count)}</a>
  </nav>
</header>
<main class="page">
{body}
</main>
{_footer()}
{inline}
{f"<script>{faults.extra_script}</script>" if faults.extra_script else ""}
</body>
</html>
"""


def soft_error_body() -> str:
    """The 'Something went wrong' page a shop serves with HTTP 200 when a backend call fails."""
    return """<section class="notice notice--error" data-testid="error-message">
  <h1>Something went wrong</h1>
  <p>We couldn't load this page right now. Please try again in a few minutes.</p>
  <p><a class="button" href="/">Back to the shop</a></p>
</section>"""


def not_found_body() -> str:
    return """<section class="notice">
  <h1>Page not found</h1>
  <p>The page you were looking for isn't here any more.</p>
  <p><a class="button" href="/">Back to the shop</a></p>
</section>"""


def nginx_error_page(status: int, reason: str) -> str:
    """An error page exactly as nginx writes one for a failing upstream."""
    return (
        f"<html>\r\n<head><title>{status} {esc(reason)}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {esc(reason)}</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
