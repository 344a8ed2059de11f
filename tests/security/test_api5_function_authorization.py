"""API5 broken function-level authorization.

Every route of the URLconf has an access rule (routes.ACCESS); every admin
route refuses a customer (403 permission_denied, even on the customer's own
objects) and anonymous callers (401 not_authenticated) and changes nothing;
the Django admin site refuses customers.
"""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from catalog.models import Product
from orders.models import Order
from payments.models import Payment
from tests.security.conftest import call, route_path
from tests.security.routes import ACCESS, ADMIN, PROTECTED, PUBLIC, api_routes, routes_with

pytestmark = pytest.mark.django_db

ADMIN_ROUTES = routes_with(ADMIN)


def _state(customer_ids: dict[str, str]) -> tuple:
    order = Order.objects.get(pk=customer_ids["order_id"].removeprefix("ord_"))
    payment = Payment.objects.get(pk=customer_ids["payment_id"].removeprefix("pay_"))
    products = sorted(Product.objects.values_list("id", "name", "price", "stock"))
    return order.status, payment.refunded_amount, products


def test_every_api_route_has_an_access_rule():
    found = {route.key for route in api_routes()}

    assert found - set(ACCESS) == set(), "classify these routes in tests/security/routes.py"
    assert set(ACCESS) - found == set(), "these routes are gone: drop them from ACCESS"


def test_the_admin_routes_include_user_listing_refunds_and_catalog_writes():
    keys = {route.key for route in ADMIN_ROUTES}

    assert ("users", "GET") in keys
    assert ("payments/<str:payment_id>/refund", "POST") in keys
    assert ("orders/<str:order_id>", "PATCH") in keys
    assert ("products", "POST") in keys


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=str)
def test_a_customer_is_refused_every_admin_route_with_403(route, customer_ids, customer_client):
    before = _state(customer_ids)

    response = call(customer_client, route, route_path(route, customer_ids))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert _state(customer_ids) == before


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=str)
def test_anonymous_is_refused_every_admin_route_with_401(route, customer_ids):
    before = _state(customer_ids)

    response = call(APIClient(), route, route_path(route, customer_ids))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert _state(customer_ids) == before


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=str)
def test_an_admin_is_served_on_every_admin_route(route, customer_ids, admin_client_api):
    response = call(admin_client_api, route, route_path(route, customer_ids))

    assert response.status_code in (200, 201, 204), response.content


@pytest.mark.parametrize("route", [r for r in ADMIN_ROUTES if r.method == "GET"], ids=str)
def test_a_customer_is_refused_options_and_head_of_admin_routes(
    route, customer_ids, customer_client
):
    path = route_path(route, customer_ids)

    assert customer_client.options(path).status_code == 403
    assert customer_client.head(path).status_code == 403


@pytest.mark.parametrize("route", routes_with(PROTECTED), ids=str)
def test_anonymous_is_refused_every_protected_route_with_401(route, customer_ids):
    response = call(APIClient(), route, route_path(route, customer_ids))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("route", routes_with(PUBLIC), ids=str)
def test_public_routes_need_no_token(route, customer_ids):
    response = call(APIClient(), route, route_path(route, customer_ids))

    assert response.status_code not in (401, 403), response.content


def test_a_customer_session_does_not_open_the_admin_site(customer):
    client = Client()
    client.force_login(customer)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_customer_cannot_log_in_to_the_admin_site(customer, password):
    client = Client()

    response = client.post(
        "/admin/login/?next=/admin/", {"username": customer.email, "password": password}
    )

    assert response.status_code == 200  # the form again, with an error
    assert client.get("/admin/").status_code == 302


def test_a_customer_session_cannot_reach_an_admin_change_page(customer, customer_order):
    client = Client()
    client.force_login(customer)

    response = client.get(f"/admin/orders/order/{customer_order['id'].removeprefix('ord_')}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_admin_logs_in_to_the_admin_site(admin_user, password):
    client = Client()

    client.post("/admin/login/?next=/admin/", {"username": admin_user.email, "password": password})

    assert client.get("/admin/").status_code == 200


def test_an_admins_api_token_does_not_open_metrics_through_a_proxy(admin_client_api, settings):
    settings.METRICS_TOKEN = "metrics-token-for-tests"

    response = admin_client_api.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert response.status_code == 403
