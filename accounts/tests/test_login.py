"""POST /v1/auth/login."""

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

URL = "/v1/auth/login"


def test_login_returns_token_pair_bearer_expiry_and_user(api_client, customer, settings):
    response = api_client.post(
        URL, {"email": customer.email, "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"accessToken", "refreshToken", "tokenType", "expiresIn", "user"}
    assert data["tokenType"] == "Bearer"
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
    assert data["expiresIn"] == int(lifetime)
    assert data["user"]["id"] == f"usr_{customer.pk.hex}"
    assert data["user"]["email"] == customer.email


def test_login_sets_last_login(api_client, customer):
    assert customer.last_login is None

    response = api_client.post(
        URL, {"email": customer.email, "password": DEFAULT_PASSWORD}, format="json"
    )

    customer.refresh_from_db()
    assert customer.last_login is not None
    assert response.json()["data"]["user"]["lastLogin"] is not None


def test_login_email_is_case_insensitive(api_client, customer):
    response = api_client.post(
        URL, {"email": customer.email.upper(), "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 200


def test_login_wrong_password_and_unknown_email_give_identical_401(api_client, customer):
    wrong_password = api_client.post(
        URL, {"email": customer.email, "password": "wrong-password-1"}, format="json"
    )
    unknown_email = api_client.post(
        URL, {"email": "nobody@example.com", "password": DEFAULT_PASSWORD}, format="json"
    )

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["error"]["code"] == "invalid_credentials"


def test_login_of_inactive_user_is_401_invalid_credentials(api_client):
    user = UserFactory(is_active=False)

    response = api_client.post(
        URL, {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_failed_login_does_not_set_last_login(api_client, customer):
    api_client.post(URL, {"email": customer.email, "password": "nope-nope-1"}, format="json")

    customer.refresh_from_db()
    assert customer.last_login is None


@pytest.mark.parametrize("missing", ["email", "password"])
def test_login_without_a_field_is_400_naming_it(api_client, missing):
    body = {"email": "a@example.com", "password": "x"}
    del body[missing]

    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == [missing]


def test_login_with_an_unknown_field_is_400_naming_it(api_client, customer):
    response = api_client.post(
        URL,
        {"email": customer.email, "password": DEFAULT_PASSWORD, "remember": True},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["remember"]


def test_each_login_starts_its_own_token_family(customer, login):
    first = login(customer.email)
    second = login(customer.email)

    assert first["refreshToken"] != second["refreshToken"]
    assert customer.token_families.count() == 2


@pytest.fixture
def hash_count(monkeypatch):
    """How many times the password hasher ran (the costly step of a login)."""
    from django.contrib.auth.hashers import MD5PasswordHasher

    calls = []
    original = MD5PasswordHasher.encode

    def counting_encode(self, password, salt):
        calls.append(1)
        return original(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting_encode)
    return calls


def test_login_hashes_as_often_for_an_unknown_email_as_for_a_wrong_password(
    api_client, customer, hash_count
):
    api_client.post(URL, {"email": customer.email, "password": "wrong-1"}, format="json")
    for_wrong_password = len(hash_count)
    hash_count.clear()

    api_client.post(URL, {"email": "nobody@example.com", "password": "wrong-1"}, format="json")

    assert len(hash_count) == for_wrong_password == 1


def test_login_queries_as_often_for_an_unknown_email_as_for_a_wrong_password(
    api_client, customer, django_assert_num_queries
):
    with django_assert_num_queries(1):
        api_client.post(URL, {"email": customer.email, "password": "wrong-1"}, format="json")
    with django_assert_num_queries(1):
        api_client.post(URL, {"email": "nobody@example.com", "password": "x"}, format="json")
