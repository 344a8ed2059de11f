"""Forged, altered or expired JWTs are refused with 401 token_invalid."""

import base64
import json
import uuid
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import AccessToken

from accounts.authentication import JWTAuthentication
from accounts.tests.conftest import bearer
from accounts.tokens import token_pair_issue

pytestmark = pytest.mark.django_db


def b64(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def with_payload(token: str, **changes) -> str:
    """The token with its payload changed and its original signature kept."""
    header, _, signature = token.split(".")
    return ".".join([header, b64({**claims(token), **changes}), signature])


def signed(payload: dict, key: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=algorithm)


def assert_token_invalid(response) -> None:
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


@pytest.fixture
def pair(customer):
    return token_pair_issue(user=customer)


def test_a_genuine_access_token_is_accepted(pair):
    assert bearer(pair.access).get("/v1/users/me").status_code == 200


def test_access_token_with_a_changed_payload_is_token_invalid(pair, admin_user):
    forged = with_payload(pair.access, user_id=str(admin_user.pk))

    assert_token_invalid(bearer(forged).get("/v1/users/me"))


def test_access_token_with_a_later_expiry_is_token_invalid(pair):
    forged = with_payload(pair.access, exp=claims(pair.access)["exp"] + 86400)

    assert_token_invalid(bearer(forged).get("/v1/users/me"))


def test_access_token_with_alg_none_is_token_invalid(pair):
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(pair.access))}."

    assert_token_invalid(bearer(unsigned).get("/v1/users/me"))


def test_access_token_with_alg_none_in_the_original_header_is_token_invalid(pair):
    _, payload, signature = pair.access.split(".")
    forged = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.{signature}"

    assert_token_invalid(bearer(forged).get("/v1/users/me"))


def test_expired_access_token_is_token_invalid(pair):
    expired = signed({**claims(pair.access), "exp": int(timezone.now().timestamp()) - 1})

    assert_token_invalid(bearer(expired).get("/v1/users/me"))


def test_refresh_token_used_as_access_token_is_token_invalid(pair):
    assert_token_invalid(bearer(pair.refresh).get("/v1/users/me"))


def test_access_token_signed_with_another_key_is_token_invalid(pair):
    foreign = signed(claims(pair.access), key="another-key-0123456789abcdefghijklmnopqrstuv")

    assert_token_invalid(bearer(foreign).get("/v1/users/me"))


def test_access_token_signed_with_hs512_and_the_right_key_is_token_invalid(pair):
    other_alg = signed(claims(pair.access), algorithm="HS512")

    assert_token_invalid(bearer(other_alg).get("/v1/users/me"))


def test_access_token_of_a_user_that_does_not_exist_is_token_invalid(pair):
    ghost = signed({**claims(pair.access), "user_id": str(uuid.uuid4())})

    assert_token_invalid(bearer(ghost).get("/v1/users/me"))


def test_access_token_of_a_deactivated_user_is_token_invalid(pair, customer):
    customer.is_active = False
    customer.save(update_fields=["is_active"])

    assert_token_invalid(bearer(pair.access).get("/v1/users/me"))


@pytest.mark.parametrize("value", ["Bearer", "Bearer ", "Bearer a.b.c", "Bearer x y"])
def test_malformed_bearer_header_is_token_invalid(value):
    client = bearer("unused")
    client.credentials(HTTP_AUTHORIZATION=value)

    assert_token_invalid(client.get("/v1/users/me"))


def test_non_bearer_authorization_is_not_authenticated(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")

    response = api_client.get("/v1/users/me")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("why", ["refresh_as_access", "unknown_user", "inactive_user"])
def test_token_invalid_answer_is_the_same_whatever_the_reason(pair, customer, why):
    token = pair.refresh if why == "refresh_as_access" else pair.access
    if why == "unknown_user":
        token = signed({**claims(pair.access), "user_id": str(uuid.uuid4())})
    if why == "inactive_user":
        customer.is_active = False
        customer.save(update_fields=["is_active"])

    response = bearer(token).get("/v1/users/me")

    assert response.json() == {
        "success": False,
        "error": {
            "code": "token_invalid",
            "message": "Token is invalid or expired.",
            "details": {},
        },
    }


def test_refresh_token_with_a_changed_payload_is_token_invalid(pair, refresh):
    forged = with_payload(pair.refresh, fam=str(uuid.uuid4()))

    assert_token_invalid(refresh(forged))


def test_refresh_token_with_alg_none_is_token_invalid(pair, refresh):
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(pair.refresh))}."

    assert_token_invalid(refresh(unsigned))


def test_expired_refresh_token_is_token_invalid(pair, refresh):
    past = timezone.now() - settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"] - timedelta(seconds=1)
    expired = signed({**claims(pair.refresh), "exp": int(past.timestamp())})

    assert_token_invalid(refresh(expired))


def test_access_token_used_as_refresh_token_is_token_invalid(pair, refresh):
    assert_token_invalid(refresh(pair.access))


def test_refresh_token_signed_with_another_key_is_token_invalid(pair, refresh):
    foreign = signed(claims(pair.refresh), key="another-key-0123456789abcdefghijklmnopqrstuv")

    assert_token_invalid(refresh(foreign))


def test_refresh_token_without_family_is_token_invalid(pair, refresh):
    payload = claims(pair.refresh)
    del payload["fam"]

    assert_token_invalid(refresh(signed(payload)))


def test_refresh_token_naming_another_users_family_is_token_invalid(pair, other_customer, refresh):
    theirs = token_pair_issue(user=other_customer)
    forged = signed({**claims(pair.refresh), "fam": claims(theirs.refresh)["fam"]})

    assert_token_invalid(refresh(forged))


def test_refresh_token_with_a_non_uuid_family_is_token_invalid(pair, refresh):
    forged = signed({**claims(pair.refresh), "fam": "not-a-uuid"})

    assert_token_invalid(refresh(forged))


@pytest.mark.parametrize("user_id", ["not-a-uuid", ["x"], {"a": 1}])
def test_signed_token_with_a_non_uuid_user_id_is_invalid_token(pair, user_id):
    token = AccessToken(signed({**claims(pair.access), "user_id": user_id}))

    with pytest.raises(InvalidToken):
        JWTAuthentication().get_user(token)
