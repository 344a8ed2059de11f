"""POST /v1/auth/password/reset and /v1/auth/password/reset/confirm, through real RQ."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts.services import password_reset_token_make
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

RESET = "/v1/auth/password/reset"
CONFIRM = "/v1/auth/password/reset/confirm"
NEW = "marigold-Vector-5519"


@pytest.fixture
def request_reset(django_capture_on_commit_callbacks):
    """POST the reset request and let its on-commit hook enqueue the RQ job."""

    def do(email: str):
        with django_capture_on_commit_callbacks(execute=True):
            return APIClient().post(RESET, {"email": email}, format="json")

    return do


def confirm(token: str, new_password: str = NEW):
    return APIClient().post(CONFIRM, {"token": token, "newPassword": new_password}, format="json")


def token_from(mail) -> str:
    match = re.search(r"token=(\S+)", mail.body)
    assert match, mail.body
    return match.group(1)


def test_reset_for_a_known_email_is_202(customer, request_reset):
    response = request_reset(customer.email)

    assert response.status_code == 202
    assert response.json() == {"success": True, "data": None}


def test_reset_for_an_unknown_email_is_202(request_reset, db):
    response = request_reset("nobody@example.com")

    assert response.status_code == 202


def test_reset_mails_exactly_one_link_to_a_known_address(
    customer, request_reset, run_jobs, mailoutbox
):
    request_reset(customer.email.upper())

    assert run_jobs() == 1
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [customer.email]
    assert settings.PASSWORD_RESET_URL.split("{token}")[0] in mailoutbox[0].body


def test_reset_mails_nothing_for_an_unknown_address(request_reset, run_jobs, mailoutbox, db):
    request_reset("nobody@example.com")

    assert run_jobs() == 1
    assert mailoutbox == []


def test_reset_mails_nothing_for_an_inactive_account(request_reset, run_jobs, mailoutbox):
    user = UserFactory(is_active=False)

    request_reset(user.email)
    run_jobs()

    assert mailoutbox == []


def test_reset_request_with_an_invalid_email_is_400_naming_email(api_client, db):
    response = api_client.post(RESET, {"email": "nope"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["email"]


def test_token_from_the_mail_sets_the_new_password(
    customer, request_reset, run_jobs, mailoutbox, login
):
    request_reset(customer.email)
    run_jobs()

    response = confirm(token_from(mailoutbox[0]))

    assert response.status_code == 204
    assert login(customer.email, NEW)["user"]["email"] == customer.email


def test_token_from_the_mail_works_only_once(customer, request_reset, run_jobs, mailoutbox):
    request_reset(customer.email)
    run_jobs()
    token = token_from(mailoutbox[0])
    confirm(token)

    response = confirm(token, new_password="another-Strong-pass-77")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["details"]) == ["token"]
    customer.refresh_from_db()
    assert customer.check_password(NEW)


def test_expired_token_is_rejected(customer):
    now = default_token_generator._num_seconds(default_token_generator._now())
    issued = now - settings.PASSWORD_RESET_TIMEOUT - 1
    check = default_token_generator._make_token_with_timestamp(
        customer, issued, default_token_generator.secret
    )
    token = f"{urlsafe_base64_encode(force_bytes(customer.pk.hex))}.{check}"

    response = confirm(token)

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["token"]
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)


def test_token_stops_working_after_a_login(customer, login):
    token = password_reset_token_make(user=customer)
    login(customer.email)

    response = confirm(token)

    assert response.status_code == 400


def test_confirm_revokes_every_session(customer, login, refresh):
    sessions = [login(customer.email) for _ in range(2)]
    customer.refresh_from_db()  # the token binds last_login

    response = confirm(password_reset_token_make(user=customer))

    assert response.status_code == 204
    for session in sessions:
        assert refresh(session["refreshToken"]).status_code == 401


def test_confirm_with_a_weak_password_is_400_naming_new_password_and_keeps_the_token(customer):
    token = password_reset_token_make(user=customer)

    weak = confirm(token, new_password="123")
    strong = confirm(token)

    assert weak.status_code == 400
    assert list(weak.json()["error"]["details"]) == ["newPassword"]
    assert strong.status_code == 204


def test_token_of_one_user_does_not_reset_another(customer, other_customer):
    _, _, check = password_reset_token_make(user=customer).partition(".")
    forged = f"{urlsafe_base64_encode(force_bytes(other_customer.pk.hex))}.{check}"

    response = confirm(forged)

    assert response.status_code == 400
    other_customer.refresh_from_db()
    assert other_customer.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "abc.def",
        "%%%.zzz",
        "....",
        urlsafe_base64_encode(b"\xff\xfe") + ".x",
        urlsafe_base64_encode(b"not-a-uuid") + ".x",
        urlsafe_base64_encode(b"0" * 32) + ".x",
    ],
)
def test_confirm_with_a_malformed_token_is_400_naming_token(token, db):
    response = confirm(token)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["details"]) == ["token"]


@pytest.mark.parametrize("missing", ["token", "newPassword"])
def test_confirm_without_a_field_is_400_naming_it(missing, db):
    body = {"token": "x.y", "newPassword": NEW}
    del body[missing]

    response = APIClient().post(CONFIRM, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == [missing]
