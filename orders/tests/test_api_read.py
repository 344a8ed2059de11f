"""GET /v1/orders and GET /v1/orders/:id: who sees what, in which order, at what cost."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Order
from orders.tests.factories import order_place, product_make

pytestmark = pytest.mark.django_db

ORDERS = "/v1/orders"


@pytest.fixture
def product(db):
    return product_make(price="5.00", stock=500)


def place(client, product, count: int = 1) -> list[str]:
    return [order_place(client, (product, 1))["id"] for _ in range(count)]


def ids_of(response) -> list[str]:
    return [order["id"] for order in response.json()["data"]]


# --- the list ------------------------------------------------------------------------------------


def test_list_shows_only_my_orders(customer_client, other_client, product):
    mine = place(customer_client, product, 2)
    place(other_client, product, 3)

    response = customer_client.get(ORDERS)

    assert response.status_code == 200
    assert sorted(ids_of(response)) == sorted(mine)


def test_list_is_newest_first(customer_client, product):
    first, second, third = place(customer_client, product, 3)
    # Creation times inside one test transaction are equal: spread them out.
    for offset, order_id in enumerate([first, second, third]):
        Order.objects.filter(pk=order_id.split("_")[1]).update(
            created_at=timezone.now() - timezone.timedelta(minutes=10 - offset)
        )

    response = customer_client.get(ORDERS)

    assert ids_of(response) == [third, second, first]


def test_list_has_the_pagination_shape(customer_client, product):
    place(customer_client, product, 3)

    body = customer_client.get(ORDERS, {"page": 2, "limit": 2}).json()

    assert body["success"] is True
    assert len(body["data"]) == 1
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 3, "pages": 2}


def test_list_items_have_the_order_shape(customer_client, product):
    placed = order_place(customer_client, (product, 1))

    listed = customer_client.get(ORDERS).json()["data"]

    assert listed == [placed]


def test_list_is_empty_for_a_customer_without_orders(customer_client):
    body = customer_client.get(ORDERS).json()

    assert body["data"] == []
    assert body["pagination"]["total"] == 0


def test_list_pages_do_not_overlap(customer_client, product):
    placed = place(customer_client, product, 5)

    seen = []
    for page in (1, 2, 3):
        seen += ids_of(customer_client.get(ORDERS, {"page": page, "limit": 2}))

    assert sorted(seen) == sorted(placed)


def test_list_page_past_the_end_is_empty(customer_client, product):
    place(customer_client, product, 1)

    response = customer_client.get(ORDERS, {"page": 5})

    assert response.status_code == 200
    assert response.json()["data"] == []


@pytest.mark.parametrize("params", [{"page": "x"}, {"limit": 0}, {"page": -1}])
def test_list_with_malformed_paging_is_400(customer_client, params):
    response = customer_client.get(ORDERS, params)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_admin_list_shows_everyones_orders(
    customer_client, other_client, admin_client_api, product
):
    placed = place(customer_client, product, 2) + place(other_client, product, 1)

    response = admin_client_api.get(ORDERS)

    assert sorted(ids_of(response)) == sorted(placed)


def test_admin_filters_by_user(
    customer_client, other_client, admin_client_api, other_customer, product
):
    place(customer_client, product, 2)
    theirs = place(other_client, product, 1)

    response = admin_client_api.get(ORDERS, {"userId": f"usr_{other_customer.pk.hex}"})

    assert ids_of(response) == theirs


def test_admin_filters_by_status(customer_client, admin_client_api, product):
    pending, cancelled = place(customer_client, product, 2)
    customer_client.post(f"{ORDERS}/{cancelled}/cancel")

    response = admin_client_api.get(ORDERS, {"status": "cancelled"})

    assert ids_of(response) == [cancelled]
    assert ids_of(admin_client_api.get(ORDERS, {"status": "pending"})) == [pending]


def test_customer_filters_own_orders_by_status(customer_client, other_client, product):
    pending, cancelled = place(customer_client, product, 2)
    customer_client.post(f"{ORDERS}/{cancelled}/cancel")
    place(other_client, product, 1)

    response = customer_client.get(ORDERS, {"status": "pending"})

    assert ids_of(response) == [pending]


def test_customer_cannot_see_others_orders_by_user_filter(
    customer_client, other_client, other_customer, product
):
    place(other_client, product, 2)

    response = customer_client.get(ORDERS, {"userId": f"usr_{other_customer.pk.hex}"})

    assert response.status_code == 200
    assert response.json()["data"] == []


@pytest.mark.parametrize("status", ["shipping", "PAID", "1"])
def test_unknown_status_filter_is_400(customer_client, status):
    response = customer_client.get(ORDERS, {"status": status})

    assert response.status_code == 400
    assert "status" in response.json()["error"]["details"]


def test_malformed_user_filter_is_400(admin_client_api):
    response = admin_client_api.get(ORDERS, {"userId": "nobody"})

    assert response.status_code == 400
    assert "userId" in response.json()["error"]["details"]


def test_anonymous_list_is_401(api_client):
    response = api_client.get(ORDERS)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_list_query_count_does_not_grow_with_orders(
    customer_client, product, django_assert_num_queries
):
    place(customer_client, product, 2)
    with CaptureQueriesContext(connection) as two_orders:
        assert len(customer_client.get(ORDERS).json()["data"]) == 2
    # Read now: the next requests reset the connection's query log.
    queries_for_two = len(two_orders)
    place(customer_client, product, 4)

    with django_assert_num_queries(queries_for_two):
        assert len(customer_client.get(ORDERS).json()["data"]) == 6


def test_list_query_count_is_pinned(customer_client, product, django_assert_num_queries):
    place(customer_client, product, 6)

    # count + orders joined with payments + their items; no user query: the
    # caller comes from the auth record its orders' requests filled
    with django_assert_num_queries(3):
        customer_client.get(ORDERS)


def test_admin_list_query_count_is_pinned(
    customer_client, other_client, admin_client_api, product, django_assert_num_queries
):
    place(customer_client, product, 3)
    place(other_client, product, 3)

    with django_assert_num_queries(4):
        response = admin_client_api.get(ORDERS, {"status": "pending"})

    assert len(response.json()["data"]) == 6


# --- one order ----------------------------------------------------------------------------------


def test_owner_reads_their_order(customer_client, product):
    placed = order_place(customer_client, (product, 2))

    response = customer_client.get(f"{ORDERS}/{placed['id']}")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": placed}


def test_detail_answers_with_trailing_slash(customer_client, product):
    placed = order_place(customer_client, (product, 1))

    response = customer_client.get(f"{ORDERS}/{placed['id']}/")

    assert response.status_code == 200


def test_other_customers_order_is_404_like_a_missing_one(customer_client, other_client, product):
    theirs = order_place(other_client, (product, 1))["id"]

    hidden = customer_client.get(f"{ORDERS}/{theirs}")
    missing = customer_client.get(f"{ORDERS}/ord_{'0' * 32}")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert hidden.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("bad_id", ["42", "ord_xyz", f"pay_{'0' * 32}", f"ord_{'g' * 32}"])
def test_malformed_order_id_is_404(customer_client, bad_id):
    response = customer_client.get(f"{ORDERS}/{bad_id}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_admin_reads_anyones_order(customer_client, admin_client_api, product):
    placed = order_place(customer_client, (product, 1))

    response = admin_client_api.get(f"{ORDERS}/{placed['id']}")

    assert response.status_code == 200
    assert response.json()["data"] == placed


def test_anonymous_detail_is_401(customer_client, api_client, product):
    placed = order_place(customer_client, (product, 1))

    response = api_client.get(f"{ORDERS}/{placed['id']}")

    assert response.status_code == 401
