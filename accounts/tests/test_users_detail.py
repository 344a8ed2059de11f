"""GET /v1/users/me and GET /v1/users/:id."""

import uuid

import pytest

pytestmark = pytest.mark.django_db

USER_FIELDS = {"id", "email", "name", "phone", "role", "createdAt", "updatedAt", "lastLogin"}


def test_me_returns_the_callers_profile(customer_client, customer):
    response = customer_client.get("/v1/users/me")

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == USER_FIELDS
    assert data["id"] == f"usr_{customer.pk.hex}"
    assert data["email"] == customer.email
    assert data["name"] == customer.name
    assert data["role"] == "customer"
    assert data["createdAt"].endswith("Z")
    assert data["updatedAt"].endswith("Z")


def test_me_of_an_admin_says_role_admin(admin_client_api):
    response = admin_client_api.get("/v1/users/me/")

    assert response.json()["data"]["role"] == "admin"


def test_me_anonymous_is_401_not_authenticated(api_client):
    response = api_client.get("/v1/users/me")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_user_detail_of_self_is_200(customer_client, customer):
    response = customer_client.get(f"/v1/users/usr_{customer.pk.hex}")

    assert response.status_code == 200
    assert response.json()["data"]["email"] == customer.email


def test_user_detail_of_another_customer_is_404_like_a_missing_user(
    customer_client, other_customer
):
    others = customer_client.get(f"/v1/users/usr_{other_customer.pk.hex}")
    missing = customer_client.get(f"/v1/users/usr_{uuid.uuid4().hex}")

    assert others.status_code == missing.status_code == 404
    assert others.json() == missing.json()
    assert others.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "user_id",
    [
        "123",
        "usr_",
        "usr_xyz",
        "prod_" + "0" * 32,
        "usr_" + "g" * 32,
        "usr_" + "0" * 31,
        "customer@example.com",
        "me2",
    ],
)
def test_user_detail_with_a_malformed_id_is_404(customer_client, user_id):
    response = customer_client.get(f"/v1/users/{user_id}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_user_detail_admin_sees_any_user(admin_client_api, customer):
    response = admin_client_api.get(f"/v1/users/usr_{customer.pk.hex}")

    assert response.status_code == 200
    assert response.json()["data"]["email"] == customer.email


def test_user_detail_admin_gets_404_for_a_missing_user(admin_client_api):
    response = admin_client_api.get(f"/v1/users/usr_{uuid.uuid4().hex}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_user_detail_anonymous_is_401_not_authenticated(api_client, customer):
    response = api_client.get(f"/v1/users/usr_{customer.pk.hex}")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_user_detail_does_not_accept_delete(customer_client, customer):
    response = customer_client.delete(f"/v1/users/usr_{customer.pk.hex}")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
