"""Targets on a page that is not the demo shop: `within` picks one of many look-alike buttons."""

from __future__ import annotations

import pytest
from conftest import JourneyRunner, quick_journey
from serve_fixtures import serve_bytes

from monitor.journey import Journey

pytestmark = pytest.mark.browser

GRID = b"""<!doctype html><title>Shoes</title><h1>Shoes</h1><p id="basket">Basket: empty</p>
<div class="card"><h2>Road Racer</h2><button onclick="add(this)">Add to cart</button></div>
<div class="card" data-testid="trail"><h2>Trail Runner</h2>
  <button onclick="add(this)">Add to cart</button></div>
<div class="card"><h2>City Walker</h2><button disabled>Add to cart</button></div>
<script>
function add(button) {
  const name = button.closest('.card').querySelector('h2').textContent;
  document.getElementById('basket').textContent = 'Basket: ' + name;
}
</script>"""


def grid_journey(url: str, within: dict[str, object]) -> Journey:
    return quick_journey(
        "grid",
        url,
        [
            {"goto": "/"},
            {"click": {"role": "button", "name": "Add to cart", "within": within}},
            {"expect": {"text": "Basket: Trail Runner"}},
        ],
    )


@pytest.mark.parametrize(
    ("within", "in_name"),
    [
        ({"selector": ".card", "has_text": "Trail Runner"}, ".card"),
        ({"test_id": "trail"}, "test id 'trail'"),
        ({"selector": ".card", "nth": 1}, ".card"),
    ],
    ids=["has-text", "test-id", "nth"],
)
def test_within_picks_the_button_of_one_product_card(
    journey_runner: JourneyRunner, within: dict[str, object], in_name: str
) -> None:
    with serve_bytes({"/": GRID}) as url:
        result = journey_runner.run(grid_journey(url, within))
    assert result.passed, result.failure
    assert result.steps[1].name == f"click button 'Add to cart' in {in_name}"


def test_an_unusable_button_within_a_card_is_named_with_its_card(
    journey_runner: JourneyRunner,
) -> None:
    with serve_bytes({"/": GRID}) as url:
        result = journey_runner.run_once(
            grid_journey(url, {"selector": ".card", "has_text": "City Walker"})
        )
    assert result.failure is not None
    assert result.failure.kind == "element_unusable"
    assert result.failure.step == "click button 'Add to cart' in .card"
    assert "disabled" in result.failure.reason


SHADOW = b"""<!doctype html><title>Checkout</title><p id="state">not paid</p>
<pay-widget></pay-widget>
<script>
customElements.define('pay-widget', class extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({mode: 'open'});
    root.innerHTML = '<label>Card holder <input></label><button>Pay now</button>';
    root.querySelector('button').onclick = () => {
      document.getElementById('state').textContent = 'paid by ' + root.querySelector('input').value;
    };
  }
});
</script>"""


def test_targets_reach_into_open_shadow_dom(journey_runner: JourneyRunner) -> None:
    with serve_bytes({"/": SHADOW}) as url:
        journey = quick_journey(
            "shadow",
            url,
            [
                {"goto": "/"},
                {"fill": {"label": "Card holder", "value": "Sam Shopper"}},
                {"click": {"role": "button", "name": "Pay now"}},
                {"expect": {"text": "paid by Sam Shopper"}},
            ],
        )
        result = journey_runner.run(journey)
    assert result.passed, result.failure


SPA = b"""<!doctype html><title>Trail Runner</title><h1>Trail Runner</h1>
<p id="basket">Basket (0)</p><button>Add to cart</button>
<script>
document.querySelector('button').onclick = async () => {
  const answer = await fetch('/api/cart-add');
  if (answer.ok) document.getElementById('basket').textContent = 'Basket (1)';
};
</script>"""


@pytest.mark.parametrize("status", [200, 500])
def test_a_single_page_apps_failing_api_call_is_named_as_the_cause(
    journey_runner: JourneyRunner, status: int
) -> None:
    pages = {"/": SPA, "/api/cart-add": lambda: (status, b"{}")}
    with serve_bytes(pages) as url:  # type: ignore[arg-type]
        journey = quick_journey(
            "spa",
            url,
            [
                {"goto": "/"},
                {"click": {"role": "button", "name": "Add to cart"}, "name": "add"},
                {"expect": {"text": "Basket (1)"}, "name": "in the basket"},
            ],
            timeout="2s",
        )
        result = journey_runner.run_once(journey)
    if status == 200:
        assert result.passed, result.failure
        return
    assert result.failure is not None
    assert result.failure.kind == "error_page"
    assert result.failure.step == "in the basket"
    assert f"GET {url}/api/cart-add answered HTTP 500" in result.failure.reason
