"""API2 broken authentication: one e-mail address, one account, whatever its spelling.

Register applied NFKC and lower-casing; ``PATCH /v1/users/:id`` and login only
lower-cased. So ``PATCH {"email": "bob@<fullwidth s>hop.test"}`` made a second
account whose mail went to ``bob@shop.test``, ``<long s>teve@shop.test`` could not
log in with what it registered, ``<I with dot>nes@shop.test`` at register was a
500, and invisible code points in the domain made distinct accounts the
mailer delivered to one inbox, past the 3-resets-an-hour cap. Every path now
calls accounts.email_address.email_normalize: register, profile update,
login (API and admin form), password reset and its cap, the admin's user
forms and createsuperuser.
"""

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import PASSWORD_RESET_EMAILS_PER_ADDRESS
from accounts.tests.factories import DEFAULT_PASSWORD, AdminFactory, UserFactory
from ecommerce.api.ids import PREFIXES, public_id

pytestmark = pytest.mark.django_db

FULLWIDTH_S = "\uff53"
LONG_S = "\u017f"
DOTTED_CAPITAL_I = "\u0130"
CYRILLIC_DZE = "\u0455"  # looks like s
ZERO_WIDTH_SPACE = "\u200b"
SOFT_HYPHEN = "\u00ad"
PASSWORD = "a-long-passphrase-for-tests"


def fullwidth_lookalike(email: str) -> str:
    """``email`` with the first letter of its domain in its fullwidth form (U+FF21...)."""
    local, _, domain = email.partition("@")
    return f"{local}@{chr(ord(domain[0]) - ord('a') + 0xFF41)}{domain[1:]}"


def register(email: str, **extra):
    body = {"email": email, "password": PASSWORD, "name": "Someone"}
    return APIClient().post("/v1/auth/register", body, format="json", **extra)


def login(email: str, password: str = PASSWORD):
    return APIClient().post("/v1/auth/login", {"email": email, "password": password}, format="json")


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert body["error"]["code"] == code, body
    return body["error"]


# --- profile update ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_fullwidth_spelling_of_a_taken_address_is_taken(
    method, customer_client, other_customer, password
):
    lookalike = fullwidth_lookalike(other_customer.email)
    customer = User.objects.get(email="customer@example.com")
    path = f"/v1/users/{public_id(PREFIXES['user'], customer.id)}"

    body = {"email": lookalike, "currentPassword": password}
    response = getattr(customer_client, method)(path, body, format="json")

    error_of(response, 409, "conflict")
    customer.refresh_from_db()
    assert customer.email == "customer@example.com"


def test_a_profile_update_stores_the_normal_form(customer_client, customer, password):
    path = f"/v1/users/{public_id(PREFIXES['user'], customer.id)}"
    body = {"email": f"New@{FULLWIDTH_S}hop.Test", "currentPassword": password}

    response = customer_client.patch(path, body, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["data"]["email"] == "new@shop.test"
    customer.refresh_from_db()
    assert customer.email == "new@shop.test"


# --- register and login -----------------------------------------------------------------------


def test_an_address_registered_with_a_long_s_can_log_in_as_written():
    assert register(f"{LONG_S}teve@shop.test").status_code == 201

    assert login(f"{LONG_S}teve@shop.test").status_code == 200
    assert login("Steve@Shop.Test").status_code == 200
    assert User.objects.get().email == "steve@shop.test"


def test_a_dotted_capital_i_at_register_is_a_400_not_a_500():
    response = register(f"{DOTTED_CAPITAL_I}nes@shop.test")

    error = error_of(response, 400, "validation_error")
    assert list(error["details"]) == ["email"]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "email",
    [
        f"bob@sh{ZERO_WIDTH_SPACE}op.test",
        f"bob@sh{SOFT_HYPHEN}op.test",
        f"bo{ZERO_WIDTH_SPACE}b@shop.test",
        f"bob@{CYRILLIC_DZE}hop.test",
    ],
    ids=["zero-width-space", "soft-hyphen", "invisible-local", "mixed-script-domain"],
)
def test_invisible_and_look_alike_addresses_are_refused_at_register(email):
    UserFactory(email="bob@shop.test")

    response = register(email)

    assert list(error_of(response, 400, "validation_error")["details"]) == ["email"]
    assert User.objects.count() == 1


def test_a_fullwidth_spelling_of_a_taken_address_cannot_register(customer):
    response = register(fullwidth_lookalike(customer.email).upper())

    error_of(response, 409, "conflict")


# --- password reset and its cap ---------------------------------------------------------------


def test_resets_by_every_spelling_of_one_mailbox_share_its_cap(
    run_jobs, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="bob@shop.test")
    spellings = [
        "bob@shop.test",
        "BOB@shop.test",
        f"bob@{FULLWIDTH_S}hop.test",
        "bob@shop.tes\uff54",
        "Bob@Shop.Test",
        f"bob@{LONG_S}hop.test",
    ] * 2
    for number, email in enumerate(spellings):
        with django_capture_on_commit_callbacks(execute=True):
            response = APIClient().post(
                "/v1/auth/password/reset",
                {"email": email},
                format="json",
                REMOTE_ADDR=f"203.0.113.{number}",
            )
        assert response.status_code == 202, (email, response.content)
    run_jobs()

    assert len(mailoutbox) == PASSWORD_RESET_EMAILS_PER_ADDRESS.limit
    assert {tuple(mail.to) for mail in mailoutbox} == {("bob@shop.test",)}


def _mailbox(address: str) -> str:
    """Where a mail server delivers: invisible code points are dropped on the way."""
    return "".join(char for char in address if char not in (ZERO_WIDTH_SPACE, SOFT_HYPHEN))


def test_resets_through_invisible_spellings_reach_the_mailbox_three_times_at_most(
    run_jobs, mailoutbox, django_capture_on_commit_callbacks
):
    spellings = [
        "bob@shop.test",
        f"bob@sh{ZERO_WIDTH_SPACE}op.test",
        f"bob@sh{SOFT_HYPHEN}op.test",
        f"bob@s{ZERO_WIDTH_SPACE}hop.test",
    ]
    # One real account, and the look-alike accounts an earlier release let in.
    for email in spellings:
        UserFactory(email=email)
    for number, email in enumerate(spellings * 3):
        with django_capture_on_commit_callbacks(execute=True):
            APIClient().post(
                "/v1/auth/password/reset",
                {"email": email},
                format="json",
                REMOTE_ADDR=f"198.51.100.{number}",
            )
    run_jobs()

    delivered = [mail for mail in mailoutbox if _mailbox(mail.to[0]) == "bob@shop.test"]
    assert len(delivered) <= PASSWORD_RESET_EMAILS_PER_ADDRESS.limit


@pytest.mark.parametrize(
    "email", [f"bob@sh{ZERO_WIDTH_SPACE}op.test", f"bob@sh{SOFT_HYPHEN}op.test"]
)
def test_a_reset_for_an_invisible_spelling_is_refused_and_mails_nothing(
    email, run_jobs, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="bob@shop.test")

    with django_capture_on_commit_callbacks(execute=True):
        response = APIClient().post("/v1/auth/password/reset", {"email": email}, format="json")

    error_of(response, 400, "validation_error")
    assert run_jobs() == 0
    assert mailoutbox == []


# --- the admin site and createsuperuser -------------------------------------------------------


@pytest.fixture
def admin_site() -> Client:
    client = Client()
    client.force_login(AdminFactory(email="root@example.com", is_superuser=True))
    return client


def _add_user(site: Client, email: str):
    return site.post(
        "/admin/accounts/user/add/",
        {"email": email, "name": "Added", "role": "customer", "password1": PASSWORD,
         "password2": PASSWORD, "usable_password": "true"},
    )  # fmt: skip


def test_the_admin_cannot_add_a_look_alike_of_a_taken_address(admin_site, customer):
    response = _add_user(admin_site, fullwidth_lookalike(customer.email))

    assert response.status_code == 200  # the form again, with its error
    assert "already exists" in response.content.decode()
    assert User.objects.filter(name="Added").count() == 0


def test_the_admin_add_form_refuses_an_invisible_address(admin_site):
    response = _add_user(admin_site, f"new@sh{ZERO_WIDTH_SPACE}op.test")

    assert response.status_code == 200
    assert "invisible characters" in response.content.decode()
    assert not User.objects.filter(name="Added").exists()


def test_the_admin_add_form_stores_the_normal_form(admin_site):
    response = _add_user(admin_site, f"{LONG_S}ara@{FULLWIDTH_S}hop.test")

    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(name="Added").email == "sara@shop.test"


def test_the_admin_change_form_cannot_move_onto_a_taken_address(
    admin_site, customer, other_customer
):
    response = admin_site.post(
        f"/admin/accounts/user/{customer.pk}/change/",
        {"email": fullwidth_lookalike(other_customer.email), "name": customer.name,
         "phone": "", "role": "customer", "is_active": "on"},
    )  # fmt: skip

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.email == "customer@example.com"


def test_the_admin_login_form_takes_any_spelling(admin_user):
    client = Client()

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "ADMIN@EXAMPLE.CO\uff2d", "password": DEFAULT_PASSWORD, "next": "/admin/"},
    )

    assert response.status_code == 302, response.content.decode()[:1000]


def test_createsuperuser_refuses_an_address_without_a_normal_form(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", f"{DOTTED_CAPITAL_I}nes@shop.test")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    monkeypatch.setenv("DJANGO_SUPERUSER_NAME", "Ines")

    with pytest.raises(CommandError):
        call_command("createsuperuser", interactive=False, verbosity=0)
    assert not User.objects.exists()


def test_createsuperuser_stores_the_normal_form_and_sees_look_alikes_taken(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", f"Boss@{FULLWIDTH_S}hop.test")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    monkeypatch.setenv("DJANGO_SUPERUSER_NAME", "Boss")

    call_command("createsuperuser", interactive=False, verbosity=0)
    assert User.objects.get().email == "boss@shop.test"

    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "BOSS@shop.test")
    with pytest.raises(CommandError, match="already taken"):
        call_command("createsuperuser", interactive=False, verbosity=0)
    assert User.objects.count() == 1
