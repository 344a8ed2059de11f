"""Every bad checkout input is a 400 naming its field and saying why; nothing is reserved
or counted, for the quote and for the order alike."""

import uuid
from decimal import Decimal

import pytest

from catalog.tests.factories import CategoryFactory
from checkout.models import DiscountCode, DiscountRedemption
from checkout.tests.factories import discount_code_make, method_id, shipping_method_make
from ecommerce.api.ids import PREFIXES, public_id
from orders.models import Order
from orders.tests.factories import ADDRESS, order_body, order_post, product_make
from orders.tests.support import assert_no_stock_drift
from payments.models import Payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def mug(db):
    return product_make(name="Mug", price="20.00", stock=10)


def _nothing_happened(mug, *codes: DiscountCode) -> None:
    assert not Order.objects.exists()
    assert not Payment.objects.exists()
    mug.refresh_from_db()
    assert mug.stock == 10
    for code in codes:
        assert not DiscountRedemption.objects.filter(code=code).exists()
    assert_no_stock_drift()


def _error(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "validation_error"
    return body["error"]


@pytest.fixture(params=["quote", "order"])
def submit(request, customer_client):
    """Each case runs against the quote and the order."""

    def run(body: dict):
        if request.param == "quote":
            body = {k: v for k, v in body.items() if k not in ("paymentMethod", "paymentToken")}
            return customer_client.post("/v1/checkout/quote", body, format="json")
        return order_post(customer_client, body)

    return run


def test_an_unknown_shipping_method(submit, mug):
    shipping_method_make()
    unknown = public_id(PREFIXES["shipping_method"], uuid.uuid4())

    error = _error(submit(order_body((mug, 1), shippingMethod=unknown)))

    assert error["details"]["shippingMethod"] == [f"Unknown shipping method {unknown}."]
    _nothing_happened(mug)


def test_a_malformed_shipping_method_id(submit, mug):
    error = _error(submit(order_body((mug, 1), shippingMethod="express")))

    assert "shippingMethod" in error["details"]
    _nothing_happened(mug)


def test_a_method_that_does_not_serve_the_address(submit, mug):
    shipping_method_make(name="Domestic")
    abroad = shipping_method_make(name="Canada only", countries=["CA"])

    error = _error(submit(order_body((mug, 1), shippingMethod=method_id(abroad))))

    assert error["details"]["shippingMethod"] == ["Canada only does not ship to US-IL."]
    _nothing_happened(mug)


def test_a_method_limited_to_other_states(submit, mug):
    west = shipping_method_make(name="West coast", states=["CA", "OR"])

    error = _error(submit(order_body((mug, 1), shippingMethod=method_id(west))))

    assert error["details"]["shippingMethod"] == ["West coast does not ship to US-IL."]
    _nothing_happened(mug)


def test_an_address_no_method_serves(submit, mug):
    shipping_method_make(name="Domestic")

    error = _error(submit(order_body((mug, 1), shippingAddress={**ADDRESS, "country": "NZ"})))

    assert error["details"]["shippingAddress"]["country"] == [
        "No shipping method ships to NZ-IL in USD."
    ]
    _nothing_happened(mug)


@pytest.mark.parametrize("country", ["USA", "United States", "XX", "u", "1A"])
def test_a_country_that_is_not_iso_3166_alpha_2(submit, mug, country):
    error = _error(submit(order_body((mug, 1), shippingAddress={**ADDRESS, "country": country})))

    assert list(error["details"]["shippingAddress"]) == ["country"]
    _nothing_happened(mug)


CODE_CASES = {
    "unknown": ({"code": "OTHER"}, "Unknown discount code 'nope'."),
    "expired": ({"ends_in": -60}, "Code NOPE expired on"),
    "early": ({"starts_in": 3600}, "Code NOPE is not valid yet"),
    "inactive": ({"active": False}, "Unknown discount code 'nope'."),
    "used up": ({"max_uses": 1, "uses": 1}, "Code NOPE has been used up."),
    "below minimum": ({"min_subtotal": Decimal("50.00")}, "needs a subtotal of at least 50.00"),
    "other currency": ({"kind": "fixed", "value": "5", "currency": "EUR"}, "is for baskets in EUR"),
}


@pytest.mark.parametrize("case", sorted(CODE_CASES))
def test_an_invalid_code(submit, mug, case):
    fields, message = CODE_CASES[case]
    fields = {"code": "NOPE", **fields}
    code = discount_code_make(**fields)

    error = _error(submit(order_body((mug, 1), discountCode="nope")))

    assert list(error["details"]) == ["discountCode"]
    assert (
        error["details"]["discountCode"][0].startswith(message)
        or message in (error["details"]["discountCode"][0])
    ), error
    _nothing_happened(mug, code)
    code.refresh_from_db()
    assert code.uses == fields.get("uses", 0)


def test_a_code_not_applicable_to_the_basket(submit, mug):
    code = discount_code_make(code="SHOES", categories=[CategoryFactory(slug="shoes")])

    error = _error(submit(order_body((mug, 1), discountCode="SHOES")))

    assert error["details"]["discountCode"] == [
        "Code SHOES does not apply to anything in this basket."
    ]
    _nothing_happened(mug, code)


def test_a_code_used_up_by_this_customer(customer_client, mug):
    code = discount_code_make(code="ONCE", max_uses_per_customer=1)
    first = order_post(customer_client, order_body((mug, 1), discountCode="ONCE"))
    assert first.status_code == 201

    quote = customer_client.post(
        "/v1/checkout/quote",
        {"items": [{"productId": f"prod_{mug.pk.hex}", "quantity": 1}], "discountCode": "ONCE"},
        format="json",
    )
    second = order_post(customer_client, order_body((mug, 1), discountCode="ONCE"))

    for response in (quote, second):
        error = _error(response)
        assert error["details"]["discountCode"] == [
            "Code ONCE can be used 1 time(s) per customer, and you have used it up."
        ]
    code.refresh_from_db()
    assert code.uses == 1
    assert Order.objects.count() == 1
    mug.refresh_from_db()
    assert mug.stock == 9


def test_an_anonymous_quote_does_not_check_the_per_customer_limit(api_client, customer_client, mug):
    discount_code_make(code="ONCE", max_uses_per_customer=1)
    assert order_post(customer_client, order_body((mug, 1), discountCode="ONCE")).status_code == 201

    quote = api_client.post(
        "/v1/checkout/quote",
        {"items": [{"productId": f"prod_{mug.pk.hex}", "quantity": 1}], "discountCode": "ONCE"},
        format="json",
    )

    assert quote.status_code == 200


def test_a_basket_mixing_currencies(submit, mug):
    euro = product_make(name="Tasse", price="18.00", currency="EUR", stock=4)

    error = _error(submit(order_body((mug, 1), (euro, 1))))

    assert error["details"]["items"] == ["Mixed currencies: EUR, USD."]
    _nothing_happened(mug)
    euro.refresh_from_db()
    assert euro.stock == 4


def test_a_method_without_an_address_in_a_quote(customer_client, mug):
    method = shipping_method_make()

    response = customer_client.post(
        "/v1/checkout/quote",
        {
            "items": [{"productId": f"prod_{mug.pk.hex}", "quantity": 1}],
            "shippingMethod": method_id(method),
        },
        format="json",
    )

    assert _error(response)["details"]["shippingAddress"] == ["Required with shippingMethod."]
