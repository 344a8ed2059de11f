"""POST /v1/auth/logout and /v1/auth/logout-all."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.conftest import bearer

pytestmark = pytest.mark.django_db


def test_logout_is_204_and_its_refresh_token_stops_working(customer, login, refresh):
    session = login(customer.email)

    response = bearer(session["accessToken"]).post(
        "/v1/auth/logout", {"refreshToken": session["refreshToken"]}, format="json"
    )

    assert response.status_code == 204
    assert response.content == b""
    assert refresh(session["refreshToken"]).json()["error"]["code"] == "token_invalid"


def test_logout_kills_the_family_including_tokens_rotated_later(customer, login, refresh):
    session = login(customer.email)
    rotated = refresh(session["refreshToken"]).json()["data"]

    bearer(rotated["accessToken"]).post(
        "/v1/auth/logout", {"refreshToken": session["refreshToken"]}, format="json"
    )

    assert refresh(rotated["refreshToken"]).status_code == 401


def test_logout_leaves_the_users_other_sessions_alive(customer, login, refresh):
    session = login(customer.email)
    other_session = login(customer.email)

    bearer(session["accessToken"]).post(
        "/v1/auth/logout", {"refreshToken": session["refreshToken"]}, format="json"
    )

    assert refresh(other_session["refreshToken"]).status_code == 200


def test_logout_with_another_users_refresh_token_is_401_and_revokes_nothing(
    customer, other_customer, login, refresh
):
    mine = login(customer.email)
    theirs = login(other_customer.email)

    response = bearer(mine["accessToken"]).post(
        "/v1/auth/logout", {"refreshToken": theirs["refreshToken"]}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"
    assert refresh(theirs["refreshToken"]).status_code == 200


def test_logout_anonymous_is_401_not_authenticated(customer, login):
    session = login(customer.email)

    response = APIClient().post(
        "/v1/auth/logout", {"refreshToken": session["refreshToken"]}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_logout_with_a_garbage_refresh_token_is_401_token_invalid(customer_client):
    response = customer_client.post("/v1/auth/logout", {"refreshToken": "junk"}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


def test_logout_without_refresh_token_is_400_naming_it(customer_client):
    response = customer_client.post("/v1/auth/logout", {}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["refreshToken"]


def test_logout_all_is_204_and_revokes_every_session_of_the_caller(customer, login, refresh):
    sessions = [login(customer.email) for _ in range(3)]

    response = bearer(sessions[0]["accessToken"]).post("/v1/auth/logout-all")

    assert response.status_code == 204
    for session in sessions:
        assert refresh(session["refreshToken"]).status_code == 401


def test_logout_all_leaves_other_users_sessions_alive(customer, other_customer, login, refresh):
    mine = login(customer.email)
    theirs = login(other_customer.email)

    bearer(mine["accessToken"]).post("/v1/auth/logout-all")

    assert refresh(theirs["refreshToken"]).status_code == 200


def test_logout_all_anonymous_is_401_not_authenticated(api_client):
    response = api_client.post("/v1/auth/logout-all")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_login_after_logout_all_works(customer, login, refresh):
    bearer(login(customer.email)["accessToken"]).post("/v1/auth/logout-all")

    assert refresh(login(customer.email)["refreshToken"]).status_code == 200
