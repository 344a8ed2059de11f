"""Fixtures of the accounts tests: real logins through the API."""

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD


def bearer(access_token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return client


@pytest.fixture
def login() -> Callable[..., dict]:
    """Log in through the API (a new token family) and return the response's data."""

    def do(email: str, password: str = DEFAULT_PASSWORD) -> dict:
        response = APIClient().post(
            "/v1/auth/login", {"email": email, "password": password}, format="json"
        )
        assert response.status_code == 200, response.content
        return response.json()["data"]

    return do


@pytest.fixture
def refresh() -> Callable[[str], object]:
    """POST /v1/auth/refresh with a refresh token; returns the response."""

    def do(refresh_token: str):
        return APIClient().post("/v1/auth/refresh", {"refreshToken": refresh_token}, format="json")

    return do
