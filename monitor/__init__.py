"""checkout-monitor: a synthetic shopper that walks a web shop's checkout and measures it."""

__version__ = "0.1.0"
