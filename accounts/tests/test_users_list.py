"""GET /v1/users (admin only)."""

import pytest

from accounts.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/v1/users"


def test_user_list_is_paginated_for_an_admin(admin_client_api, customer, other_customer):
    response = admin_client_api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 3, "pages": 1}
    assert {user["email"] for user in body["data"]} == {
        "admin@example.com", "customer@example.com", "other@example.com"
    }  # fmt: skip


def test_user_list_is_newest_first(admin_client_api, admin_user):
    first = UserFactory()
    second = UserFactory()

    emails = [user["email"] for user in admin_client_api.get(URL).json()["data"]]

    assert emails == [second.email, first.email, admin_user.email]


def test_user_list_customer_is_403_permission_denied(customer_client):
    response = customer_client.get(URL)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_user_list_anonymous_is_401_not_authenticated(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_user_list_filters_by_role(admin_client_api, customer):
    AdminFactory()

    data = admin_client_api.get(URL, {"role": "customer"}).json()["data"]

    assert [user["email"] for user in data] == [customer.email]


def test_user_list_filters_by_email_case_insensitively(admin_client_api, customer, other_customer):
    response = admin_client_api.get(URL, {"email": "Customer@Example.COM"})

    assert [user["email"] for user in response.json()["data"]] == [customer.email]
    assert response.json()["pagination"]["total"] == 1


def test_user_list_with_an_unknown_role_is_400_naming_role(admin_client_api):
    response = admin_client_api.get(URL, {"role": "root"})

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["role"]


def test_user_list_pages_through_users(admin_client_api):
    UserFactory.create_batch(4)

    response = admin_client_api.get(URL, {"page": 2, "limit": 2})

    assert len(response.json()["data"]) == 2
    assert response.json()["pagination"] == {"page": 2, "limit": 2, "total": 5, "pages": 3}


def test_user_list_pages_neither_repeat_nor_skip(admin_client_api):
    UserFactory.create_batch(6)

    ids = []
    for page in (1, 2, 3, 4):
        ids += [
            u["id"] for u in admin_client_api.get(URL, {"page": page, "limit": 2}).json()["data"]
        ]

    assert len(ids) == len(set(ids)) == 7


def test_user_list_clamps_limit_to_100(admin_client_api):
    response = admin_client_api.get(URL, {"limit": 500})

    assert response.status_code == 200
    assert response.json()["pagination"]["limit"] == 100


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": "abc"}, "page"),
        ({"limit": "abc"}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "1.5"}, "limit"),
    ],
)
def test_user_list_with_malformed_paging_is_400_naming_it(admin_client_api, params, field):
    response = admin_client_api.get(URL, params)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["details"]) == [field]


def test_user_list_page_past_the_end_is_empty_with_correct_pagination(admin_client_api):
    UserFactory.create_batch(2)

    response = admin_client_api.get(URL, {"page": 5, "limit": 2})

    assert response.status_code == 200
    assert response.json()["data"] == []
    assert response.json()["pagination"] == {"page": 5, "limit": 2, "total": 3, "pages": 2}


def test_user_list_query_count_does_not_grow_with_users(
    admin_client_api, django_assert_num_queries
):
    UserFactory.create_batch(3)
    admin_client_api.get(URL)  # fills the caller's auth record
    with django_assert_num_queries(2):  # count, page: the caller from its auth record
        admin_client_api.get(URL)

    UserFactory.create_batch(30)
    with django_assert_num_queries(2):
        response = admin_client_api.get(URL, {"limit": 50})

    assert len(response.json()["data"]) == 34
