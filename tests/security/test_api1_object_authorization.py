"""API1 broken object-level authorization.

Every object route in the URLconf classified OWNER (routes.ACCESS) is tried by
another customer on the customer's object: the answer is the 404 not_found a
missing id gets, byte for byte, and nothing changes; the owner and an admin
are served. Lists, filters, idempotency keys and logout are scoped to the caller.
"""

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from orders.models import Order
from payments.models import Payment
from tests.security.conftest import MISSING_IDS, call, order_body, route_path
from tests.security.routes import OWNER, routes_with

pytestmark = pytest.mark.django_db

OWNER_ROUTES = routes_with(OWNER)


def _state(customer_ids: dict[str, str]) -> tuple:
    """What a successful write on any owner route would change."""
    user = User.objects.get(pk=customer_ids["user_id"].removeprefix("usr_"))
    order = Order.objects.get(pk=customer_ids["order_id"].removeprefix("ord_"))
    payment = Payment.objects.get(pk=customer_ids["payment_id"].removeprefix("pay_"))
    return (
        user.name,
        user.email,
        user.role,
        order.status,
        order.updated_at,
        payment.status,
        payment.refunded_amount,
    )


def test_the_suite_knows_object_routes_of_users_orders_and_payments():
    templates = {route.template for route in OWNER_ROUTES}

    assert {"users/<str:user_id>", "orders/<str:order_id>", "payments/<str:payment_id>"} <= (
        templates
    )
    assert "orders/<str:order_id>/cancel" in templates


@pytest.mark.parametrize("route", OWNER_ROUTES, ids=str)
def test_another_customer_gets_the_404_of_a_missing_object(route, customer_ids, other_client):
    before = _state(customer_ids)

    theirs = call(other_client, route, route_path(route, customer_ids))
    missing = call(other_client, route, route_path(route, MISSING_IDS))

    assert theirs.status_code == 404
    assert theirs.json()["error"]["code"] == "not_found"
    assert theirs.json() == missing.json()
    assert _state(customer_ids) == before


@pytest.mark.parametrize("route", OWNER_ROUTES, ids=str)
def test_the_owner_is_served_on_every_object_route(route, customer_ids, customer_client):
    response = call(customer_client, route, route_path(route, customer_ids))

    assert response.status_code == 200, response.content


@pytest.mark.parametrize("route", OWNER_ROUTES, ids=str)
def test_an_admin_is_served_on_every_object_route(route, customer_ids, admin_client_api):
    response = call(admin_client_api, route, route_path(route, customer_ids))

    assert response.status_code == 200, response.content


@pytest.mark.parametrize("route", OWNER_ROUTES, ids=str)
def test_anonymous_gets_401_on_every_object_route(route, customer_ids):
    response = call(APIClient(), route, route_path(route, customer_ids))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_customers_order_list_holds_only_their_orders(customer_order, place_order, other_client):
    theirs = place_order(other_client)

    listed = other_client.get("/v1/orders").json()["data"]

    assert [order["id"] for order in listed] == [theirs["id"]]


def test_a_customers_user_id_filter_cannot_reach_another_customers_orders(
    customer_order, customer, other_client
):
    response = other_client.get("/v1/orders", {"userId": f"usr_{customer.id.hex}"})

    assert response.status_code == 200
    assert response.json()["data"] == []
    assert response.json()["pagination"]["total"] == 0


def test_an_idempotency_key_replays_only_for_the_user_who_sent_it(
    product, customer_client, other_client
):
    body = order_body(f"prod_{product.id.hex}")
    first = customer_client.post("/v1/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    second = other_client.post("/v1/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second
    assert second.json()["data"]["id"] != first.json()["data"]["id"]
    assert second.json()["data"]["userId"] != first.json()["data"]["userId"]


def test_a_user_cannot_log_out_another_users_session(customer, other_client, client_for):
    from accounts.tokens import token_pair_issue

    victim = token_pair_issue(user=customer)

    response = other_client.post("/v1/auth/logout", {"refreshToken": victim.refresh}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"
    still_works = APIClient().post(
        "/v1/auth/refresh", {"refreshToken": victim.refresh}, format="json"
    )
    assert still_works.status_code == 200


def test_a_user_id_that_is_not_a_public_id_is_a_404(customer, other_client):
    # The bare UUID or another type's prefix must not slip past the ownership check.
    for raw in (customer.id.hex, str(customer.id), f"ord_{customer.id.hex}"):
        response = other_client.get(f"/v1/users/{raw}")

        assert response.status_code == 404, raw
