"""What a buyer needs to see, and numbers that must add up: checks that read the page's text.

Pure helpers (money parsing, formula evaluation) plus the in-page scripts for the built-in
content checks. The heuristics rest on what any shop shows a buyer, not on one shop's markup.

    >>> money("€1.234,50"), money("$1,234.50"), money("89.00 €")
    (1234.5, 1234.5, 89.0)
    >>> evaluate("total == price * qty + delivery",
    ...          {"total": "€183.90", "price": "€89.00", "qty": "2", "delivery": "€5.90"})
    (True, 183.9, 183.9)
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping

# Built-in checks: a regular expression the visible text must match.
TEXT_CHECKS = {
    "price": r"(?:[€$£¥]|\b(?:EUR|USD|GBP|CHF|SEK|NOK|DKK|PLN)\b)\s?\d|\d[\d.,]*\s?(?:[€$£]|"
    r"\b(?:EUR|USD|GBP|CHF|SEK|NOK|DKK|PLN|kr|zł)\b)",
    "delivery": r"\b(?:deliver|delivery|shipping|dispatch|versand|lieferung|livraison)",
    "returns": r"\b(?:return|returns|refund|retour|rücksendung)",
    "payment_methods": r"\b(?:visa|mastercard|paypal|american express|amex|klarna|maestro|"
    r"apple pay|google pay|ideal|sofort)\b",
    "size_chart": r"\bsize\s*(?:chart|guide|table)\b|\bgrößentabelle\b|\bguide des tailles\b",
}

# At least one image the shopper can see that really loaded (not a 1px tracker).
LOADED_IMAGE_SCRIPT = """
(root) => [...(root || document).querySelectorAll('img')].some((img) =>
  img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width >= 50
  && img.getBoundingClientRect().height >= 50
  && (!img.checkVisibility || img.checkVisibility({ visibilityProperty: true })))
"""

BROKEN_IMAGES_SCRIPT = """
() => [...document.images]
  .filter((img) => img.complete && img.naturalWidth === 0 && (img.currentSrc || img.src))
  .map((img) => img.currentSrc || img.src).slice(0, 50)
"""


def money(text: str) -> float | None:
    """The number in a price or quantity as a shop writes it, or None."""
    found = re.search(r"-?\d[\d.,' ]*", text.replace("\u00a0", " "))
    if not found:
        return None
    digits = found.group(0).strip().replace(" ", "").replace("'", "")
    if "," in digits and "." in digits:
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
    elif "," in digits:
        decimal = "," if re.search(r",\d{1,2}$", digits) else ""
    elif "." in digits:
        decimal = (
            "."
            if re.search(r"\.\d{1,2}$", digits)
            or (digits.count(".") == 1 and not re.search(r"\.\d{3}$", digits))
            else ""
        )
    else:
        decimal = ""
    thousands = {",", "."} - {decimal}
    for sep in thousands:
        digits = digits.replace(sep, "")
    if decimal == ",":
        digits = digits.replace(",", ".")
    try:
        return float(digits)
    except ValueError:
        return None


class FormulaError(ValueError):
    """A name the formula needs was not remembered, or is not a number."""


def evaluate(formula: str, values: Mapping[str, str]) -> tuple[bool, float, float]:
    """Both sides of `left == right` from remembered texts; equal within half a cent."""
    tree = ast.parse(formula, mode="eval").body
    assert isinstance(tree, ast.Compare)
    left = _number(tree.left, values)
    right = _number(tree.comparators[0], values)
    return abs(left - right) < 0.005, round(left, 4), round(right, 4)


def _number(node: ast.expr, values: Mapping[str, str]) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise FormulaError(f"'{node.id}' was not remembered by an earlier step")
        number = money(values[node.id])
        if number is None:
            raise FormulaError(f"'{node.id}' is {values[node.id]!r}, not a number")
        return number
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_number(node.operand, values)
    if isinstance(node, ast.BinOp):
        left, right = _number(node.left, values), _number(node.right, values)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            if right == 0:
                raise FormulaError("division by zero")
            return left / right
    raise FormulaError("unsupported formula")


def fill_in(text: str, memory: Mapping[str, str]) -> str:
    """`${name}` → a remembered value (names left alone when nothing was remembered);
    `${run.id}`, `${run.timestamp}`, `${totp:NAME}` → the run's own (see run_values.py)."""
    return _MEMORY_REF.sub(lambda m: memory.get(m.group(1), m.group(0)), text)


_MEMORY_REF = re.compile(r"\$\{([a-z_][a-z0-9_]*|run\.[a-z_]+|totp:[A-Za-z_][A-Za-z0-9_]*)\}")
