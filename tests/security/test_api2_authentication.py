"""API2 broken authentication: forged and stale JWTs, revoked sessions, brute force.

Every refused token gets 401 token_invalid and reaches no data. The login
family of endpoints (login, register, password reset and its confirmation)
shares LOGIN_RATE_LIMIT per client IP.
"""

import base64
import hashlib
import hmac
import json
import secrets
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import Role
from accounts.tokens import token_pair_issue

pytestmark = pytest.mark.django_db


def _b64(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _assert_refused(response) -> None:
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"
    assert "data" not in response.json()


def _refresh(token: str):
    return APIClient().post("/v1/auth/refresh", {"refreshToken": token}, format="json")


@pytest.fixture
def pair(customer):
    return token_pair_issue(user=customer)


# --- forged tokens ----------------------------------------------------------------


def test_a_genuine_token_is_accepted(pair):
    # The baseline every refusal below is measured against.
    assert _bearer(pair.access).get("/v1/users/me").status_code == 200


def test_an_unsigned_alg_none_token_is_refused(pair):
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(pair.access))}."

    _assert_refused(_bearer(unsigned).get("/v1/users/me"))


def test_an_alg_none_token_made_by_pyjwt_is_refused(pair):
    unsigned = jwt.encode(_claims(pair.access), key=None, algorithm="none")

    _assert_refused(_bearer(unsigned).get("/v1/users/me"))


def test_a_token_signed_with_another_key_is_refused(pair):
    forged = jwt.encode(_claims(pair.access), secrets.token_hex(32), algorithm="HS256")

    _assert_refused(_bearer(forged).get("/v1/users/me"))


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_a_token_signed_with_the_right_key_but_another_algorithm_is_refused(pair, algorithm):
    # Only HS256 is accepted: the algorithm comes from the settings, never from the token.
    forged = jwt.encode(
        _claims(pair.access), settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=algorithm
    )

    _assert_refused(_bearer(forged).get("/v1/users/me"))


def test_a_token_carrying_its_own_key_in_the_header_is_refused(pair):
    # Key confusion: an embedded jwk / jku / kid naming the attacker's key is ignored.
    attacker_key = secrets.token_hex(32)
    forged = jwt.encode(
        _claims(pair.access),
        attacker_key,
        algorithm="HS256",
        headers={
            "jwk": {"kty": "oct", "k": base64.urlsafe_b64encode(attacker_key.encode()).decode()},
            "jku": "https://attacker.example/keys.json",
            "kid": "attacker",
        },
    )

    _assert_refused(_bearer(forged).get("/v1/users/me"))


def test_a_token_signed_with_an_empty_key_is_refused(pair):
    # PyJWT 2.15 refuses to sign with an empty HMAC key, so the token is made by
    # hand: a forger does not use PyJWT's checks.
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(_claims(pair.access))}"
    digest = hmac.new(b"", signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"

    _assert_refused(_bearer(forged).get("/v1/users/me"))


def test_a_payload_changed_to_another_user_is_refused(pair, admin_user):
    header, _, signature = pair.access.split(".")
    forged = ".".join(
        [header, _b64({**_claims(pair.access), "user_id": str(admin_user.pk)}), signature]
    )

    _assert_refused(_bearer(forged).get("/v1/users"))


def test_a_payload_with_a_later_expiry_is_refused(pair):
    header, _, signature = pair.access.split(".")
    claims = _claims(pair.access)
    forged = ".".join([header, _b64({**claims, "exp": claims["exp"] + 86400}), signature])

    _assert_refused(_bearer(forged).get("/v1/users/me"))


def test_an_expired_token_is_refused(customer):
    token = AccessToken.for_user(customer)
    token.set_exp(from_time=timezone.now() - timedelta(hours=1))

    _assert_refused(_bearer(str(token)).get("/v1/users/me"))


def test_a_token_in_the_query_string_is_not_a_credential(pair):
    response = APIClient().get("/v1/users/me", {"access_token": pair.access, "token": pair.access})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


# --- the user behind the token ------------------------------------------------------


def test_the_token_of_a_deleted_user_is_refused(customer, pair):
    customer.delete()

    _assert_refused(_bearer(pair.access).get("/v1/users/me"))


def test_the_refresh_token_of_a_deleted_user_is_refused(customer, pair):
    customer.delete()

    _assert_refused(_refresh(pair.refresh))


def test_the_token_of_a_deactivated_user_is_refused_at_once(customer, pair):
    customer.is_active = False
    customer.save(update_fields=["is_active"])

    _assert_refused(_bearer(pair.access).get("/v1/users/me"))


def test_the_refresh_token_of_a_deactivated_user_is_refused(customer, pair):
    customer.is_active = False
    customer.save(update_fields=["is_active"])

    _assert_refused(_refresh(pair.refresh))


def test_a_demoted_admins_token_loses_admin_rights_at_once(admin_user):
    # The role is read from the database on each request, never trusted from the token.
    token = token_pair_issue(user=admin_user).access
    admin_user.role = Role.CUSTOMER
    admin_user.save(update_fields=["role"])

    response = _bearer(token).get("/v1/users")

    assert response.status_code == 403


def test_a_role_claim_added_to_a_token_grants_nothing(customer):
    token = AccessToken.for_user(customer)
    token["role"] = "admin"
    token["is_staff"] = True

    response = _bearer(str(token)).get("/v1/users")

    assert response.status_code == 403


# --- revoked and misused tokens -----------------------------------------------------


def test_a_logged_out_refresh_token_is_refused(pair):
    response = _bearer(pair.access).post(
        "/v1/auth/logout", {"refreshToken": pair.refresh}, format="json"
    )
    assert response.status_code == 204

    _assert_refused(_refresh(pair.refresh))


def test_refresh_tokens_are_refused_after_logout_all(pair, customer):
    other_session = token_pair_issue(user=customer)
    assert _bearer(pair.access).post("/v1/auth/logout-all").status_code == 204

    _assert_refused(_refresh(pair.refresh))
    _assert_refused(_refresh(other_session.refresh))


def test_a_rotated_refresh_token_is_refused(pair):
    assert _refresh(pair.refresh).status_code == 200

    _assert_refused(_refresh(pair.refresh))


def test_replaying_a_rotated_refresh_token_revokes_the_newest_one_too(pair):
    newest = _refresh(pair.refresh).json()["data"]["refreshToken"]

    _refresh(pair.refresh)  # a thief's copy comes back

    _assert_refused(_refresh(newest))


def test_an_access_token_is_not_accepted_as_a_refresh_token(pair):
    _assert_refused(_refresh(pair.access))


def test_a_refresh_token_is_not_accepted_as_an_access_token(pair):
    _assert_refused(_bearer(pair.refresh).get("/v1/users/me"))


def test_other_sessions_refresh_tokens_die_with_a_password_change(customer, password):
    mine, stolen = token_pair_issue(user=customer), token_pair_issue(user=customer)

    response = _bearer(mine.access).post(
        "/v1/auth/password/change",
        {"currentPassword": password, "newPassword": "a-brand-new-passphrase-42"},
        format="json",
    )

    assert response.status_code == 204
    _assert_refused(_refresh(stolen.refresh))
    assert _refresh(mine.refresh).status_code == 200


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer a.b.c", "Bearer x y", "Token x"])
def test_a_malformed_authorization_header_is_refused(header):
    response = APIClient().get("/v1/users/me", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401


# --- brute force ------------------------------------------------------------------------


def _login(email: str, password: str, address: str = "198.51.100.7"):
    return APIClient().post(
        "/v1/auth/login", {"email": email, "password": password}, format="json", REMOTE_ADDR=address
    )


def test_login_is_refused_after_login_rate_limit_attempts(customer, settings):
    limit = int(settings.LOGIN_RATE_LIMIT.split("/")[0])
    for _ in range(limit):
        assert _login(customer.email, "wrong-guess").status_code == 401

    response = _login(customer.email, "wrong-guess")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0


def test_the_right_password_is_refused_too_once_the_limit_is_spent(customer, password, settings):
    # Otherwise a guesser would learn the password from the one answer that differs.
    limit = int(settings.LOGIN_RATE_LIMIT.split("/")[0])
    for _ in range(limit):
        _login(customer.email, "wrong-guess")

    assert _login(customer.email, password).status_code == 429


def test_a_spent_login_limit_does_not_lock_out_other_clients(customer, password, settings):
    limit = int(settings.LOGIN_RATE_LIMIT.split("/")[0])
    for _ in range(limit + 1):
        _login(customer.email, "wrong-guess", address="198.51.100.7")

    assert _login(customer.email, password, address="203.0.113.20").status_code == 200


def test_the_login_limit_is_tighter_than_the_general_limit(settings):
    from ecommerce.ratelimit.throttling import parse_rate

    login, general = parse_rate(settings.LOGIN_RATE_LIMIT), parse_rate(settings.RATE_LIMIT)

    assert login.limit / login.window < general.limit / general.window


def test_a_spoofed_x_forwarded_for_does_not_reset_the_login_limit(customer, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    limit = int(settings.LOGIN_RATE_LIMIT.split("/")[0])
    for attempt in range(limit):
        APIClient().post(
            "/v1/auth/login",
            {"email": customer.email, "password": "wrong-guess"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}",
        )

    response = APIClient().post(
        "/v1/auth/login",
        {"email": customer.email, "password": "wrong-guess"},
        format="json",
        HTTP_X_FORWARDED_FOR="10.0.1.1",
    )

    assert response.status_code == 429


def test_password_reset_requests_share_the_login_limit(customer, settings):
    # Each request can send an e-mail: unthrottled, it floods a mailbox and our sender.
    limit = int(settings.LOGIN_RATE_LIMIT.split("/")[0])
    for _ in range(limit):
        assert _login(customer.email, "wrong-guess").status_code == 401

    response = APIClient().post(
        "/v1/auth/password/reset",
        {"email": customer.email},
        format="json",
        REMOTE_ADDR="198.51.100.7",
    )

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"


def test_password_reset_requests_are_limited_on_their_own(customer, settings):
    limit = int(settings.LOGIN_RATE_LIMIT.split("/")[0])
    statuses = [
        APIClient()
        .post("/v1/auth/password/reset", {"email": customer.email}, format="json")
        .status_code
        for _ in range(limit + 1)
    ]

    assert statuses == [202] * limit + [429]


def test_password_reset_confirmations_are_limited(db, settings):
    # A token guesser gets LOGIN_RATE_LIMIT tries a minute, not RATE_LIMIT an hour.
    limit = int(settings.LOGIN_RATE_LIMIT.split("/")[0])
    body = {"token": "bad.token", "newPassword": "a-brand-new-passphrase-42"}
    statuses = [
        APIClient().post("/v1/auth/password/reset/confirm", body, format="json").status_code
        for _ in range(limit + 1)
    ]

    assert statuses == [400] * limit + [429]


def test_reset_emails_to_one_address_are_capped_whatever_the_client_ip(
    customer, run_jobs, mailoutbox, django_capture_on_commit_callbacks
):
    # Many IPs (a botnet) each under LOGIN_RATE_LIMIT must not flood one mailbox.
    for number in range(10):
        with django_capture_on_commit_callbacks(execute=True):
            response = APIClient().post(
                "/v1/auth/password/reset",
                {"email": customer.email.upper()},
                format="json",
                REMOTE_ADDR=f"203.0.113.{number}",
            )
        assert response.status_code == 202
    run_jobs()

    from accounts.services import PASSWORD_RESET_EMAILS_PER_ADDRESS

    assert len(mailoutbox) == PASSWORD_RESET_EMAILS_PER_ADDRESS.limit


def test_the_reset_email_cap_is_the_same_for_unknown_addresses(db, run_jobs):
    # The cap must not tell an attacker which addresses have accounts: the answer
    # is 202 whether the address is capped, unknown or known.
    responses = [
        APIClient()
        .post(
            "/v1/auth/password/reset",
            {"email": "nobody@example.com"},
            format="json",
            REMOTE_ADDR=f"203.0.113.{number}",
        )
        .status_code
        for number in range(6)
    ]

    assert responses == [202] * 6


# --- the admin site's login form ------------------------------------------------------

ADMIN_ADDRESS = "198.51.100.7"


def test_the_admin_login_form_is_refused_after_login_rate_limit_attempts(
    admin_user, settings, admin_login
):
    limit = int(settings.LOGIN_RATE_LIMIT.split("/")[0])
    for _ in range(limit):
        assert (
            admin_login(
                admin_user.email, password="wrong-guess", REMOTE_ADDR=ADMIN_ADDRESS
            ).status_code
            == 200
        )

    response = admin_login(admin_user.email, password="wrong-guess", REMOTE_ADDR=ADMIN_ADDRESS)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_the_admin_login_form_refuses_the_right_password_once_the_limit_is_spent(
    admin_user, password, settings, admin_login
):
    limit = int(settings.LOGIN_RATE_LIMIT.split("/")[0])
    for _ in range(limit):
        admin_login(admin_user.email, password="wrong-guess", REMOTE_ADDR=ADMIN_ADDRESS)

    response = admin_login(admin_user.email, password=password, REMOTE_ADDR=ADMIN_ADDRESS)

    assert response.status_code == 429
    assert "sessionid" not in response.cookies


def test_api_and_admin_login_attempts_share_one_counter(
    admin_user, password, settings, admin_login
):
    limit = int(settings.LOGIN_RATE_LIMIT.split("/")[0])
    for _ in range(limit):
        _login(admin_user.email, "wrong-guess")

    assert (
        admin_login(admin_user.email, password=password, REMOTE_ADDR=ADMIN_ADDRESS).status_code
        == 429
    )


def test_showing_the_admin_login_form_is_not_counted(admin_user, password, settings, admin_login):
    from django.test import Client

    limit = int(settings.LOGIN_RATE_LIMIT.split("/")[0])
    for _ in range(limit + 5):
        Client(REMOTE_ADDR="198.51.100.7").get("/admin/login/")

    response = admin_login(admin_user.email, password=password, REMOTE_ADDR=ADMIN_ADDRESS)

    assert response.status_code == 302  # logged in, sent on to /admin/
