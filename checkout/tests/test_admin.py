"""The admin site for the checkout: the order's breakdown and address, codes with their
uses, tax rates and shipping methods edited with validation."""

from decimal import Decimal

import pytest

from checkout.models import DiscountCode, ShippingMethod, TaxRate
from checkout.tests.factories import discount_code_make, shipping_method_make, tax_rate_make
from orders.tests.factories import order_body, order_of, order_post, product_make

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_storage")]


def test_the_order_page_shows_the_breakdown_and_the_address(site, customer_client):
    shipping_method_make(name="Ground", price="5.00")
    tax_rate_make(rate="10")
    discount_code_make(code="HALF", value="50")
    mug = product_make(name="Mug", price="20.00", stock=5)
    response = order_post(customer_client, order_body((mug, 1), discountCode="HALF"))
    order = order_of(response.json()["data"])

    page = site.get(f"/admin/orders/order/{order.pk}/change/").content.decode()

    assert '<table class="order-breakdown">' in page
    for label, amount in (
        ("Subtotal", "20.00"),
        ("Discount (HALF)", "-10.00"),
        ("Shipping", "5.00"),
        ("Tax", "1.00"),
        ("Total", "16.00"),
    ):
        assert f"<tr><th>{label}</th><td>{amount} USD</td></tr>" in page
    assert "Ground (5.00 USD)" in page
    assert "<address>1 Main Street<br>Springfield, IL 62701<br>US<br></address>" in page
    assert "{&quot;street&quot;" not in page  # an address, not JSON


def test_the_code_list_shows_uses_and_remaining(site, customer_client):
    discount_code_make(code="TEN", max_uses=10)
    discount_code_make(code="FOREVER")
    mug = product_make(stock=5)
    order_post(customer_client, order_body((mug, 1), discountCode="TEN"))

    page = site.get("/admin/checkout/discountcode/").content.decode()

    assert '<td class="field-uses">1</td>' in page
    assert '<td class="field-remaining">9</td>' in page
    assert '<td class="field-remaining">unlimited</td>' in page


def test_a_used_code_cannot_be_deleted_in_the_admin(site, customer_client):
    code = discount_code_make(code="TEN")
    mug = product_make(stock=5)
    order_post(customer_client, order_body((mug, 1), discountCode="TEN"))

    response = site.post(f"/admin/checkout/discountcode/{code.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert DiscountCode.objects.filter(pk=code.pk).exists()


def _tax_form(**fields) -> dict:
    return {
        "name": "Texas",
        "country": "US",
        "state": "TX",
        "category": "",
        "rate": "6.25",
        **fields,
    }


def test_a_tax_rate_is_added_in_the_admin(site):
    response = site.post("/admin/checkout/taxrate/add/", _tax_form())

    assert response.status_code == 302
    assert TaxRate.objects.get().rate == Decimal("6.250")


@pytest.mark.parametrize(
    ("field", "value"), [("rate", "-1"), ("rate", "101"), ("country", "XX"), ("country", "usa")]
)
def test_a_bad_tax_rate_is_refused_in_the_admin(site, field, value):
    response = site.post("/admin/checkout/taxrate/add/", _tax_form(**{field: value}))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert not TaxRate.objects.exists()


def _method_form(**fields) -> dict:
    return {
        "name": "Ground",
        "countries": "us, ca",
        "states": "",
        "price": "5.00",
        "price_per_kg": "1.00",
        "free_from": "",
        "currency": "USD",
        "min_days": "2",
        "max_days": "5",
        "active": "on",
        **fields,
    }


def test_a_shipping_method_is_added_with_its_zone_typed_as_codes(site):
    response = site.post("/admin/checkout/shippingmethod/add/", _method_form())

    assert response.status_code == 302
    method = ShippingMethod.objects.get()
    assert (method.countries, method.states) == (["US", "CA"], [])


@pytest.mark.parametrize(
    ("field", "value"),
    [("countries", "US, ZZ"), ("countries", ""), ("price", "-5"), ("max_days", "1")],
)
def test_a_bad_shipping_method_is_refused_in_the_admin(site, field, value):
    response = site.post("/admin/checkout/shippingmethod/add/", _method_form(**{field: value}))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert not ShippingMethod.objects.exists()


def test_the_checkout_pages_render(site):
    shipping_method_make()
    tax_rate_make(rate="5")
    discount_code_make()

    for path in (
        "/admin/checkout/shippingmethod/",
        "/admin/checkout/taxrate/",
        "/admin/checkout/discountcode/",
        "/admin/checkout/discountcode/add/",
    ):
        assert site.get(path).status_code == 200, path
