"""No response body ever carries a password hash."""

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

FORBIDDEN = ("pbkdf2", "md5$", "argon2", "bcrypt", "password")


def assert_no_hash(response, *users: User) -> None:
    text = response.content.decode()
    for marker in FORBIDDEN:
        assert marker not in text.lower(), (marker, text)
    for user in users:
        user.refresh_from_db()
        assert user.password not in text
        assert user.password.split("$")[-1] not in text


def test_register_response_has_no_password_hash(api_client):
    response = api_client.post(
        "/v1/auth/register",
        {"email": "h@example.com", "password": "violet-Quasar-1987", "name": "H"},
        format="json",
    )

    assert response.status_code == 201
    assert_no_hash(response, User.objects.get(email="h@example.com"))


def test_login_and_refresh_responses_have_no_password_hash(api_client, customer, refresh):
    login = api_client.post(
        "/v1/auth/login", {"email": customer.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    rotated = refresh(login.json()["data"]["refreshToken"])

    assert_no_hash(login, customer)
    assert_no_hash(rotated, customer)


def test_token_claims_have_no_password_hash(customer, login):
    import jwt

    data = login(customer.email)
    for token in (data["accessToken"], data["refreshToken"]):
        claims = jwt.decode(token, options={"verify_signature": False})
        assert customer.password not in str(claims)
        assert "password" not in claims


def test_user_endpoints_have_no_password_hash(admin_client_api, admin_user, customer):
    responses = [
        admin_client_api.get("/v1/users/me"),
        admin_client_api.get(f"/v1/users/usr_{customer.pk.hex}"),
        admin_client_api.patch(f"/v1/users/usr_{customer.pk.hex}", {"name": "N"}, format="json"),
        admin_client_api.get("/v1/users", {"limit": 100}),
    ]

    for response in responses:
        assert response.status_code == 200
        assert_no_hash(response, admin_user, customer)


def test_error_responses_have_no_password_hash(customer_client, customer):
    responses = [
        customer_client.patch(f"/v1/users/usr_{customer.pk.hex}", {"password": "x"}, format="json"),
        APIClient().post(
            "/v1/auth/login", {"email": customer.email, "password": "wrong-1"}, format="json"
        ),
    ]

    for response in responses:
        assert response.status_code >= 400
        text = response.content.decode()
        customer.refresh_from_db()
        assert customer.password not in text
        assert "md5$" not in text
        assert "pbkdf2" not in text
