"""Property-based tests of the one pricing function (hypothesis): whatever the basket,
rates and code, the totals add up, no line goes below zero, and prices with tax
included agree with prices plus tax to the cent per line."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.models import Category, Product, ProductVariant
from checkout.errors import CheckoutInvalid
from checkout.models import DiscountCode
from checkout.pricing import BasketLine, basket_price
from checkout.tax import tax_of
from checkout.tests.factories import discount_code_make, shipping_method_make, tax_rate_make

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")
ADDRESS = {"street": "1 Main St", "city": "Austin", "state": "TX", "zip": "73301", "country": "US"}
EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)
rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("30"), places=3)
lines_strategy = st.lists(
    st.tuples(prices, st.integers(min_value=1, max_value=20), st.integers(0, 5000), st.booleans()),
    min_size=1,
    max_size=8,
)


@pytest.fixture
def categories(db) -> dict[str, Category]:
    return {
        "food": Category.objects.create(slug="food", name="Food", path="/food/"),
        "toys": Category.objects.create(slug="toys", name="Toys", path="/toys/"),
    }


def _basket(lines, categories) -> list[BasketLine]:
    """Unsaved variants: the pricing reads their price, weight and category only."""
    basket = []
    for price, quantity, grams, is_food in lines:
        category = categories["food" if is_food else "toys"]
        product = Product(name="P", currency="USD", category=category, price=price)
        basket.append(
            BasketLine(
                variant=ProductVariant(product=product, price=price, weight=grams, sku="S"),
                quantity=quantity,
            )
        )
    return basket


def _codes(categories) -> list[DiscountCode | None]:
    return [
        None,
        discount_code_make(code="PCT", value="15"),
        discount_code_make(code="FIXED", kind="fixed", value="25.00"),
        discount_code_make(code="SHIP", kind="free_shipping", value="0"),
        discount_code_make(code="FOOD", value="50", categories=[categories["food"]]),
    ]


@pytest.fixture
def rules(categories):
    shipping_method_make(name="Ground", countries=["US"], price="4.99", per_kg="0.80")
    tax_rate_make(rate="6.25", country="US", state="TX")
    tax_rate_make(rate="2.5", country="US", state="TX", category=categories["food"])
    return _codes(categories)


def _price(lines, categories, code):
    """The quote, or None when the code rightly refuses the basket (nothing it applies to)."""
    try:
        return basket_price(lines=_basket(lines, categories), address=ADDRESS, code=code)
    except CheckoutInvalid as exc:
        assert code is not None and code.code == "FOOD", exc.details
        assert not any(is_food for *_, is_food in lines)
        return None


def _adds_up(quote) -> None:
    if quote is None:
        return
    assert quote.subtotal == sum((line.line_total for line in quote.lines), Decimal("0"))
    assert quote.discount_total == sum((line.discount for line in quote.lines), Decimal("0"))
    assert quote.tax_total >= sum((line.tax for line in quote.lines), Decimal("0"))
    taxed = Decimal("0") if quote.prices_include_tax else quote.tax_total
    assert quote.total == quote.subtotal - quote.discount_total + quote.shipping_total + taxed
    for amount in (quote.subtotal, quote.discount_total, quote.shipping_total, quote.tax_total):
        assert amount == amount.quantize(CENT)
    for line in quote.lines:
        assert Decimal("0") <= line.discount <= line.line_total
        assert line.line_total - line.discount >= 0
        assert line.tax >= 0
    assert quote.total >= 0


@EXAMPLES
@given(
    lines=lines_strategy, code_index=st.integers(0, 4), include=st.booleans(), ship=st.booleans()
)
def test_totals_always_add_up_and_no_line_goes_below_zero(
    rules, categories, django_settings_proxy, lines, code_index, include, ship
):
    django_settings_proxy(PRICES_INCLUDE_TAX=include, TAX_SHIPPING=ship)

    quote = _price(lines, categories, rules[code_index])

    _adds_up(quote)


@EXAMPLES
@given(lines=lines_strategy, code_index=st.integers(0, 4))
def test_a_quote_is_the_same_whenever_it_is_asked(rules, categories, lines, code_index):
    first = _price(lines, categories, rules[code_index])
    second = _price(lines, categories, rules[code_index])

    assert (first is None) == (second is None)
    if first is not None:
        assert (first.total, first.tax_total, first.discount_total, first.shipping_total) == (
            second.total,
            second.tax_total,
            second.discount_total,
            second.shipping_total,
        )
        assert [(li.discount, li.tax) for li in first.lines] == [
            (li.discount, li.tax) for li in second.lines
        ]


@EXAMPLES
@given(lines=lines_strategy)
def test_included_and_excluded_tax_agree(rules, categories, django_settings_proxy, lines):
    """Net prices plus tax, sold as gross prices with tax included: the same money, and
    each line's tax within a cent of the other mode's."""
    django_settings_proxy(PRICES_INCLUDE_TAX=False, TAX_SHIPPING=False)
    net = basket_price(lines=_basket(lines, categories), address=ADDRESS)
    gross_lines = []
    for price, quantity, grams, is_food in lines:
        rate = Decimal("2.5") if is_food else Decimal("6.25")
        gross_lines.append((price + tax_of(price, rate, included=False), quantity, grams, is_food))
    django_settings_proxy(PRICES_INCLUDE_TAX=True)

    gross = basket_price(lines=_basket(gross_lines, categories), address=ADDRESS)

    for excluded, included in zip(net.lines, gross.lines, strict=True):
        # Per unit the gross price is the net price plus its tax, so per line the
        # two modes' amounts differ by the per-unit roundings only.
        assert abs((excluded.line_total + excluded.tax) - included.line_total) <= (
            CENT * excluded.quantity
        )
        assert abs(excluded.tax - included.tax) <= CENT * excluded.quantity
    _adds_up(net)
    _adds_up(gross)


@given(amount=prices, rate=rates)
def test_tax_rounds_half_up_to_the_cent(amount, rate):
    excluded = tax_of(amount, rate, included=False)
    included = tax_of(amount + excluded, rate, included=True)

    assert excluded == (amount * rate / 100).quantize(CENT, rounding="ROUND_HALF_UP")
    assert abs(included - excluded) <= CENT
    assert Decimal("0") <= included <= amount + excluded


@pytest.fixture
def django_settings_proxy(settings):
    """pytest-django's ``settings`` fixture, callable from inside a hypothesis example."""

    def apply(**values) -> None:
        for name, value in values.items():
            setattr(settings, name, value)

    return apply
