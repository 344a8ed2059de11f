"""POST /v1/auth/refresh: rotation, blacklisting and reuse detection."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import UntypedToken

from accounts.models import TokenFamily
from accounts.tests.conftest import bearer

pytestmark = pytest.mark.django_db


def test_refresh_returns_a_new_access_and_a_rotated_refresh_token(customer, login, refresh):
    tokens = login(customer.email)

    response = refresh(tokens["refreshToken"])

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"accessToken", "refreshToken", "tokenType", "expiresIn"}
    assert data["tokenType"] == "Bearer"
    assert data["refreshToken"] != tokens["refreshToken"]
    assert data["accessToken"] != tokens["accessToken"]


def test_refreshed_access_token_authenticates(customer, login, refresh):
    data = refresh(login(customer.email)["refreshToken"]).json()["data"]

    response = bearer(data["accessToken"]).get("/v1/users/me")

    assert response.status_code == 200
    assert response.json()["data"]["email"] == customer.email


def test_refresh_blacklists_the_old_refresh_token(customer, login, refresh):
    old = login(customer.email)["refreshToken"]

    refresh(old)

    assert BlacklistedToken.objects.filter(token__jti=UntypedToken(old)["jti"]).exists()


def test_rotated_refresh_token_can_be_rotated_again(customer, login, refresh):
    second = refresh(login(customer.email)["refreshToken"]).json()["data"]["refreshToken"]

    response = refresh(second)

    assert response.status_code == 200


def test_replaying_a_rotated_refresh_token_is_401_token_invalid(customer, login, refresh):
    old = login(customer.email)["refreshToken"]
    refresh(old)

    response = refresh(old)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


def test_replaying_a_rotated_token_revokes_the_newest_token_of_its_family(customer, login, refresh):
    old = login(customer.email)["refreshToken"]
    newest = refresh(old).json()["data"]["refreshToken"]

    refresh(old)
    response = refresh(newest)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"
    family = TokenFamily.objects.get(id=UntypedToken(newest)["fam"])
    assert family.revoked_at is not None
    assert family.revoked_reason == "reuse"


def test_replaying_a_rotated_token_leaves_other_families_alive(customer, login, refresh):
    stolen_session = login(customer.email)["refreshToken"]
    other_session = login(customer.email)["refreshToken"]
    refresh(stolen_session)

    refresh(stolen_session)
    response = refresh(other_session)

    assert response.status_code == 200


def test_refresh_of_a_deactivated_user_is_401_token_invalid(customer, login, refresh):
    token = login(customer.email)["refreshToken"]
    customer.is_active = False
    customer.save(update_fields=["is_active"])

    response = refresh(token)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


@pytest.mark.parametrize("token", ["garbage", "not.a.jwt", "a.b.c", "x" * 4000])
def test_refresh_with_a_malformed_token_is_401_token_invalid(refresh, token):
    response = refresh(token)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


def test_refresh_with_an_empty_token_is_400_naming_refresh_token(refresh):
    response = refresh("")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["refreshToken"]


def test_refresh_with_an_oversized_token_is_400_naming_refresh_token(refresh):
    response = refresh("x" * 5000)

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["refreshToken"]


def test_refresh_without_token_is_400_naming_refresh_token():
    response = APIClient().post("/v1/auth/refresh", {}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["refreshToken"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_let_at_most_one_succeed(customer, login):
    token = login(customer.email)["refreshToken"]
    barrier = threading.Barrier(2)
    responses = []

    def attempt() -> None:
        try:
            barrier.wait(timeout=10)
            responses.append(
                APIClient().post("/v1/auth/refresh", {"refreshToken": token}, format="json")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 401]
    loser = next(response for response in responses if response.status_code == 401)
    assert loser.json()["error"]["code"] == "token_invalid"
