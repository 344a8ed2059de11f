"""POST /v1/auth/register."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Role, User

pytestmark = pytest.mark.django_db

URL = "/v1/auth/register"
STRONG = "violet-Quasar-1987"


def register(client, **overrides):
    body = {"email": "new@example.com", "password": STRONG, "name": "Nina New", **overrides}
    return client.post(URL, body, format="json")


def test_register_returns_201_with_user_and_token_pair(api_client):
    response = register(api_client)

    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert set(body["data"]) == {"user", "accessToken", "refreshToken", "tokenType", "expiresIn"}
    user = body["data"]["user"]
    assert set(user) == {
        "id", "email", "name", "phone", "role", "createdAt", "updatedAt", "lastLogin"
    }  # fmt: skip
    assert user["id"].startswith("usr_")
    assert user["email"] == "new@example.com"
    assert user["name"] == "Nina New"
    assert user["phone"] is None
    assert user["role"] == "customer"
    assert user["createdAt"].endswith("Z")


def test_register_answers_the_token_fields_of_login(api_client, settings):
    data = register(api_client).json()["data"]
    login = api_client.post(
        "/v1/auth/login", {"email": "new@example.com", "password": STRONG}, format="json"
    ).json()["data"]

    assert data["tokenType"] == login["tokenType"] == "Bearer"
    lifetime = int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())
    assert data["expiresIn"] == login["expiresIn"] == lifetime


def test_register_access_token_authenticates_the_new_user(api_client):
    data = register(api_client).json()["data"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {data['accessToken']}")
    me = api_client.get("/v1/users/me")

    assert me.status_code == 200
    assert me.json()["data"]["id"] == data["user"]["id"]


def test_register_creates_a_customer_whose_password_is_hashed(api_client):
    register(api_client)

    user = User.objects.get(email="new@example.com")
    assert user.role == Role.CUSTOMER
    assert not user.is_staff
    assert user.password != STRONG
    assert user.check_password(STRONG)


def test_register_stores_email_lower_case(api_client):
    response = register(api_client, email="Mixed.Case@Example.COM")

    assert response.status_code == 201
    assert response.json()["data"]["user"]["email"] == "mixed.case@example.com"
    assert User.objects.filter(email="mixed.case@example.com").exists()


def test_register_with_taken_email_in_other_case_is_409_conflict(api_client, customer):
    response = register(api_client, email=customer.email.upper())

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert "email" in response.json()["error"]["details"]
    assert User.objects.filter(email=customer.email).count() == 1


@pytest.mark.parametrize("weak", ["short1", "password123", "12345678901", "nina-new@example.com"])
def test_register_with_weak_password_is_400_naming_password(api_client, weak):
    response = register(api_client, password=weak, email="nina-new@example.com")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["details"]) == ["password"]
    assert not User.objects.filter(email="nina-new@example.com").exists()


@pytest.mark.parametrize("missing", ["email", "password", "name"])
def test_register_without_a_required_field_is_400_naming_it(api_client, missing):
    body = {"email": "new@example.com", "password": STRONG, "name": "Nina New"}
    del body[missing]

    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert missing in response.json()["error"]["details"]


@pytest.mark.parametrize("unknown", ["role", "isStaff", "is_superuser", "phone"])
def test_register_with_an_unknown_field_is_400_naming_it(api_client, unknown):
    response = register(api_client, **{unknown: "admin"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert unknown in response.json()["error"]["details"]
    assert not User.objects.exists()


def test_register_with_invalid_email_is_400_naming_email(api_client):
    response = register(api_client, email="not-an-email")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["email"]


def test_register_with_blank_name_is_400_naming_name(api_client):
    response = register(api_client, name="")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["name"]


@pytest.mark.parametrize("body", [[], "text", 42])
def test_register_with_a_non_object_body_is_400(api_client, body):
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_register_answers_with_and_without_trailing_slash(api_client):
    response = api_client.post(
        f"{URL}/", {"email": "slash@example.com", "password": STRONG, "name": "S"}, format="json"
    )

    assert response.status_code == 201


def test_register_ignores_a_stale_bearer_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = register(api_client)

    assert response.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_email_create_one_account():
    barrier = threading.Barrier(2)
    statuses = []

    def attempt(email: str) -> None:
        try:
            barrier.wait(timeout=10)
            statuses.append(register(APIClient(), email=email).status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(email,))
        for email in ("race@example.com", "RACE@example.com")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [201, 409]
    assert User.objects.filter(email="race@example.com").count() == 1


def test_register_with_a_json_null_body_is_400(api_client):
    response = api_client.generic("POST", URL, b"null", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
