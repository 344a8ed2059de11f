"""POST /v1/auth/password/change."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.conftest import bearer
from accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

URL = "/v1/auth/password/change"
NEW = "tangerine-Orbit-2231"


def change(access_token: str, current: str = DEFAULT_PASSWORD, new: str = NEW):
    return bearer(access_token).post(
        URL, {"currentPassword": current, "newPassword": new}, format="json"
    )


def test_password_change_is_204_and_the_new_password_logs_in(customer, login):
    response = change(login(customer.email)["accessToken"])

    assert response.status_code == 204
    customer.refresh_from_db()
    assert customer.check_password(NEW)
    assert login(customer.email, NEW)["user"]["email"] == customer.email


def test_password_change_makes_the_old_password_fail(customer, login, api_client):
    change(login(customer.email)["accessToken"])

    response = api_client.post(
        "/v1/auth/login", {"email": customer.email, "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 401


def test_password_change_revokes_the_other_sessions(customer, login, refresh):
    current = login(customer.email)
    others = [login(customer.email) for _ in range(2)]

    change(current["accessToken"])

    for other in others:
        assert refresh(other["refreshToken"]).status_code == 401


def test_password_change_keeps_the_current_sessions_refresh_token(customer, login, refresh):
    current = login(customer.email)
    login(customer.email)

    change(current["accessToken"])

    assert refresh(current["refreshToken"]).status_code == 200


def test_password_change_with_wrong_current_password_is_400_and_changes_nothing(
    customer, login, refresh
):
    current = login(customer.email)
    other = login(customer.email)

    response = change(current["accessToken"], current="not-my-password-9")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["details"]) == ["currentPassword"]
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)
    assert refresh(other["refreshToken"]).status_code == 200


@pytest.mark.parametrize("weak", ["short", "password", "1234567890"])
def test_password_change_to_a_weak_password_is_400_naming_new_password(customer, login, weak):
    response = change(login(customer.email)["accessToken"], new=weak)

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["newPassword"]
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize("missing", ["currentPassword", "newPassword"])
def test_password_change_without_a_field_is_400_naming_it(customer_client, missing):
    body = {"currentPassword": DEFAULT_PASSWORD, "newPassword": NEW}
    del body[missing]

    response = customer_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == [missing]


def test_password_change_anonymous_is_401_not_authenticated():
    response = APIClient().post(
        URL, {"currentPassword": DEFAULT_PASSWORD, "newPassword": NEW}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
