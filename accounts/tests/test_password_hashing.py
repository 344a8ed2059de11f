"""Passwords are hashed with Argon2id at OWASP's cost; PBKDF2 hashes upgrade at login.

The suite hashes with MD5 for speed (conftest); these tests put the project's
own PASSWORD_HASHERS back.
"""

import pytest
from django.contrib.auth.hashers import make_password

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from ecommerce import settings as project_settings

pytestmark = pytest.mark.django_db

ARGON2ID_OWASP = "argon2$argon2id$v=19$m=19456,t=2,p=1$"


@pytest.fixture
def project_hashers(settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS


def _login(api_client, email: str, password: str):
    return api_client.post("/v1/auth/login", {"email": email, "password": password}, format="json")


def test_argon2id_is_the_first_hasher():
    assert project_settings.PASSWORD_HASHERS[0] == "accounts.hashers.Argon2idPasswordHasher"


def test_a_registration_stores_an_argon2id_hash(api_client, project_hashers):
    response = api_client.post(
        "/v1/auth/register",
        {"email": "new@example.com", "password": DEFAULT_PASSWORD, "name": "New"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert User.objects.get(email="new@example.com").password.startswith(ARGON2ID_OWASP)


def test_a_pbkdf2_hash_still_logs_in_and_is_rehashed_with_argon2id(api_client, project_hashers):
    user = UserFactory()
    user.password = make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    assert user.password.startswith("pbkdf2_sha256$1000000$")

    assert _login(api_client, user.email, DEFAULT_PASSWORD).status_code == 200

    user.refresh_from_db()
    assert user.password.startswith(ARGON2ID_OWASP)
    assert _login(api_client, user.email, DEFAULT_PASSWORD).status_code == 200


def test_argon2_with_django_defaults_is_retuned_at_login(api_client, project_hashers):
    from django.contrib.auth.hashers import Argon2PasswordHasher

    user = UserFactory()
    user.password = Argon2PasswordHasher().encode(DEFAULT_PASSWORD, Argon2PasswordHasher().salt())
    user.save(update_fields=["password"])
    assert "m=102400,t=2,p=8" in user.password

    assert _login(api_client, user.email, DEFAULT_PASSWORD).status_code == 200

    user.refresh_from_db()
    assert user.password.startswith(ARGON2ID_OWASP)


def test_a_wrong_password_leaves_the_old_hash_alone(api_client, project_hashers):
    user = UserFactory()
    user.password = old = make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])

    assert _login(api_client, user.email, "not-the-password").status_code == 401

    user.refresh_from_db()
    assert user.password == old
