"""The per-user auth record (accounts.auth_record): authenticated reads without a
user query, and every change of the user visible on the very next request.

Real PostgreSQL and Redis. The tests of changes run with real commits
(``transaction=True``), so both invalidations (inside the transaction and in
its ``on_commit``) run as they do in production.
"""

import json
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_redis import get_redis_connection

from accounts import auth_record
from accounts.auth_record import auth_user_get, generation_key, record_key
from accounts.models import Role, User
from accounts.tests.conftest import bearer
from accounts.tests.factories import AdminFactory, UserFactory
from accounts.tokens import token_pair_issue
from ecommerce.api.ids import PREFIXES, public_id

ME = "/v1/users/me"
FULLWIDTH_S = "\uff53"


def _user_queries(context: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in context.captured_queries if 'FROM "users"' in query["sql"]]


def _raw_record(user: User) -> bytes | None:
    return get_redis_connection("default").get(cache.make_key(record_key(user.pk)))


def _token(user: User) -> str:
    return token_pair_issue(user=user).access


def _assert_refused(response) -> None:
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


@pytest.fixture(autouse=True)
def _no_outage_left_over():
    """A test that stopped Redis must not leave this process distrusting records."""
    yield
    auth_record._outage.seen = False


# --- no user query ------------------------------------------------------------------


@pytest.mark.django_db
def test_users_me_answers_from_the_record_without_any_query(customer):
    client = bearer(_token(customer))
    with CaptureQueriesContext(connection) as cold:
        first = client.get(ME)
    assert len(_user_queries(cold)) == 1  # the fill, from PostgreSQL

    with CaptureQueriesContext(connection) as warm:
        second = client.get(ME)

    assert warm.captured_queries == []
    assert first.status_code == second.status_code == 200
    assert second.json()["data"] == first.json()["data"]
    assert second.json()["data"]["email"] == "customer@example.com"
    assert second.json()["data"]["id"] == public_id(PREFIXES["user"], customer.pk)


@pytest.mark.django_db
def test_my_orders_make_no_user_query(customer):
    client = bearer(_token(customer))
    client.get(ME)  # fills the record

    with CaptureQueriesContext(connection) as context:
        response = client.get("/v1/orders")

    assert response.status_code == 200
    assert response.json()["data"] == []
    assert _user_queries(context) == []
    assert len(context.captured_queries) >= 1  # the orders themselves


@pytest.mark.django_db
def test_an_admin_list_makes_no_query_for_the_caller(admin_user):
    client = bearer(_token(admin_user))
    client.get(ME)

    with CaptureQueriesContext(connection) as context:
        response = client.get("/v1/users")

    assert response.status_code == 200
    # COUNT and the page; neither is the caller's own lookup by id.
    assert len(context.captured_queries) == 2
    assert not [sql for sql in _user_queries(context) if '"users"."id" =' in sql]


@pytest.mark.django_db
def test_the_record_never_holds_the_password_hash(customer):
    bearer(_token(customer)).get(ME)

    record = json.loads(_raw_record(customer))

    assert "password" not in record["user"]
    assert customer.password not in json.dumps(record)


@pytest.mark.django_db
def test_a_user_from_the_record_loads_its_password_when_a_view_needs_it(customer, password):
    client = bearer(_token(customer))
    client.get(ME)

    response = client.post(
        "/v1/auth/password/change",
        {"currentPassword": password, "newPassword": "a-brand-new-passphrase-42"},
        format="json",
    )

    assert response.status_code == 204
    assert User.objects.get(pk=customer.pk).check_password("a-brand-new-passphrase-42")


# --- changes through the API --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_role_change_through_the_api_applies_on_the_next_request():
    boss, target = AdminFactory(), AdminFactory()
    boss_client, target_client = bearer(_token(boss)), bearer(_token(target))
    assert target_client.get("/v1/users").status_code == 200  # the record says admin

    response = boss_client.patch(
        f"/v1/users/{public_id(PREFIXES['user'], target.pk)}", {"role": "customer"}, format="json"
    )
    assert response.status_code == 200

    assert target_client.get("/v1/users").status_code == 403
    assert target_client.get(ME).json()["data"]["role"] == "customer"
    # Rewritten at commit: the next request found a record, it did not query.
    with CaptureQueriesContext(connection) as context:
        target_client.get(ME)
    assert context.captured_queries == []


@pytest.mark.django_db(transaction=True)
def test_a_profile_change_through_the_api_shows_on_the_next_read(customer):
    client = bearer(_token(customer))
    client.get(ME)

    client.patch(
        f"/v1/users/{public_id(PREFIXES['user'], customer.pk)}",
        {"name": "Carla Renamed", "phone": "+14155550123"},
        format="json",
    )

    data = client.get(ME).json()["data"]
    assert (data["name"], data["phone"]) == ("Carla Renamed", "+14155550123")


@pytest.mark.django_db(transaction=True)
def test_a_password_change_through_the_api_applies_on_the_next_request(customer, password):
    client = bearer(_token(customer))
    before = client.get(ME).json()["data"]["updatedAt"]
    new = "a-brand-new-passphrase-42"

    response = client.post(
        "/v1/auth/password/change",
        {"currentPassword": password, "newPassword": new},
        format="json",
    )
    assert response.status_code == 204

    # The old password no longer passes a check made by the next request.
    again = client.post(
        "/v1/auth/password/change",
        {"currentPassword": password, "newPassword": "yet-another-passphrase-7"},
        format="json",
    )
    assert again.status_code == 400
    assert client.get(ME).json()["data"]["updatedAt"] >= before
    assert User.objects.get(pk=customer.pk).check_password(new)


@pytest.mark.django_db(transaction=True)
def test_deactivation_applies_on_the_next_request(customer):
    client = bearer(_token(customer))
    assert client.get(ME).status_code == 200

    customer.is_active = False
    customer.save(update_fields=["is_active"])

    _assert_refused(client.get(ME))
    _assert_refused(client.get("/v1/orders"))


@pytest.mark.django_db(transaction=True)
def test_a_deleted_user_is_refused_on_the_next_request(customer):
    client = bearer(_token(customer))
    assert client.get(ME).status_code == 200

    User.objects.filter(pk=customer.pk).delete()  # post_delete runs for each row

    assert _raw_record(customer) is None
    _assert_refused(client.get(ME))


# --- changes through the admin site -------------------------------------------------


def _admin_site() -> Client:
    root = AdminFactory(email="root@example.com", is_superuser=True)
    site = Client()
    site.force_login(root)
    return site


def _change_form(user: User, **changes) -> dict:
    form = {
        "email": user.email,
        "name": user.name,
        "phone": user.phone or "",
        "role": user.role,
        "is_active": "on",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


@pytest.mark.django_db(transaction=True)
def test_deactivation_in_the_admin_applies_on_the_next_request(customer):
    client = bearer(_token(customer))
    assert client.get(ME).status_code == 200
    site = _admin_site()

    response = site.post(
        f"/admin/accounts/user/{customer.pk}/change/", _change_form(customer, is_active=None)
    )
    assert response.status_code == 302, response.content[:2000]

    _assert_refused(client.get(ME))


@pytest.mark.django_db(transaction=True)
def test_a_role_change_in_the_admin_applies_on_the_next_request():
    target = AdminFactory()
    client = bearer(_token(target))
    assert client.get("/v1/users").status_code == 200
    site = _admin_site()

    response = site.post(
        f"/admin/accounts/user/{target.pk}/change/", _change_form(target, role=Role.CUSTOMER)
    )
    assert response.status_code == 302, response.content[:2000]

    assert client.get("/v1/users").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_password_set_in_the_admin_applies_on_the_next_request(customer, password):
    client = bearer(_token(customer))
    client.get(ME)
    site = _admin_site()
    new = "set-by-the-admin-passphrase-3"

    response = site.post(
        f"/admin/accounts/user/{customer.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:2000]

    refused = client.post(
        "/v1/auth/password/change",
        {"currentPassword": password, "newPassword": "yet-another-passphrase-7"},
        format="json",
    )
    assert refused.status_code == 400
    accepted = client.post(
        "/v1/auth/password/change",
        {"currentPassword": new, "newPassword": "yet-another-passphrase-7"},
        format="json",
    )
    assert accepted.status_code == 204


# --- changes through manage.py --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_changepassword_applies_on_the_next_request(customer, password, monkeypatch):
    client = bearer(_token(customer))
    client.get(ME)
    new = "typed-at-the-console-passphrase-9"
    # The command's prompt is the only thing stood in for: it reads a terminal.
    monkeypatch.setattr("getpass.getpass", lambda prompt="": new)

    call_command("changepassword", customer.email, stdout=StringIO())

    refused = client.post(
        "/v1/auth/password/change",
        {"currentPassword": password, "newPassword": "yet-another-passphrase-7"},
        format="json",
    )
    assert refused.status_code == 400
    accepted = client.post(
        "/v1/auth/password/change",
        {"currentPassword": new, "newPassword": "yet-another-passphrase-7"},
        format="json",
    )
    assert accepted.status_code == 204


@pytest.mark.django_db(transaction=True)
def test_normalize_emails_bulk_update_shows_on_the_next_request():
    user = UserFactory()
    # A row stored before normalisation existed, and no record of it yet.
    User.objects.filter(pk=user.pk).update(email=f"sara@{FULLWIDTH_S}hop.test")
    get_redis_connection("default").delete(cache.make_key(record_key(user.pk)))
    client = bearer(_token(user))
    assert client.get(ME).json()["data"]["email"] == f"sara@{FULLWIDTH_S}hop.test"

    call_command("normalize_emails", stdout=StringIO())

    assert client.get(ME).json()["data"]["email"] == "sara@shop.test"


@pytest.mark.django_db(transaction=True)
def test_createsuperuser_makes_an_admin_the_api_knows_at_once(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "boss@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "violet-Quasar-1987")
    monkeypatch.setenv("DJANGO_SUPERUSER_NAME", "Big Boss")
    call_command("createsuperuser", interactive=False, verbosity=0)
    boss = User.objects.get(email="boss@example.com")

    assert bearer(_token(boss)).get("/v1/users").status_code == 200


# --- the fill race ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_fill_from_a_read_before_the_commit_is_refused_after_it(customer):
    # A reader on another instance missed, read the generation, then read the
    # user from PostgreSQL before the deactivation committed...
    _, token = auth_record._read(customer.pk)
    stale = User.objects.get(pk=customer.pk)

    customer.is_active = False
    customer.save(update_fields=["is_active"])  # commits; on_commit rewrites the record

    # ...and its fill lands after the rewrite: refused, the record stays new.
    assert auth_record._fill(stale, token) is False
    with CaptureQueriesContext(connection) as context:
        assert auth_user_get(customer.pk).is_active is False
    assert context.captured_queries == []


@pytest.mark.django_db(transaction=True)
def test_a_fill_that_lands_before_the_commit_is_dropped_by_it(customer):
    client = bearer(_token(customer))
    with transaction.atomic():
        customer.is_active = False
        customer.save(update_fields=["is_active"])  # invalidates inside the transaction
        # Another instance misses now and reads the committed (still active) row:
        # its fill passes the compare-and-set, as no change has committed yet.
        _, token = auth_record._read(customer.pk)
        stale = User.objects.get(pk=customer.pk)
        stale.is_active = True  # what another connection sees before the commit
        assert auth_record._fill(stale, token) is True
    # The commit's on_commit invalidated that record and wrote the new one.

    _assert_refused(client.get(ME))
    assert json.loads(_raw_record(customer))["user"]["is_active"] is False


@pytest.mark.django_db(transaction=True)
def test_commits_rewritten_out_of_order_leave_the_newest_state(customer):
    # Two changes whose on_commit rewrites run in the other order: each
    # rewrite reads PostgreSQL afresh, so the older one cannot win.
    customer.name = "First"
    customer.save(update_fields=["name"])
    User.objects.filter(pk=customer.pk).update(name="Second")  # committed, no signal yet
    auth_record._invalidate_and_rewrite(customer.pk, True)  # the late rewrite of "First"

    assert auth_user_get(customer.pk).name == "Second"


# --- Redis down -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_answers_come_from_postgresql_and_are_the_same(customer, own_redis):
    client = bearer(_token(customer))
    up = client.get(ME)
    assert up.status_code == 200
    assert _raw_record(customer) is not None
    own_redis.stop()

    with CaptureQueriesContext(connection) as context:
        down = client.get(ME)

    assert down.status_code == 200
    assert down.json()["data"] == up.json()["data"]
    assert len(_user_queries(context)) == 1

    customer.is_active = False
    customer.save(update_fields=["is_active"])  # its invalidation cannot reach Redis
    _assert_refused(client.get(ME))


@pytest.mark.django_db(transaction=True)
def test_a_record_that_outlived_a_lost_invalidation_is_not_trusted(customer, own_redis):
    client = bearer(_token(customer))
    client.get(ME)
    redis = get_redis_connection("default")
    keys = [cache.make_key(record_key(customer.pk)), cache.make_key(generation_key(customer.pk))]
    stale = {key: value for key, value in zip(keys, redis.mget(keys), strict=True) if value}
    assert keys[0] in stale
    own_redis.stop()
    customer.role = Role.ADMIN  # promoted, then demoted while Redis is unreachable
    customer.save(update_fields=["role"])
    customer.role = Role.CUSTOMER
    customer.is_active = False
    customer.save(update_fields=["role", "is_active"])

    # Redis comes back holding its data from before the outage: the record
    # and the generation it matches.
    own_redis.start()
    redis.mset(stale)

    _assert_refused(client.get(ME))
    # Refilled from PostgreSQL under the new epoch.
    assert json.loads(_raw_record(customer))["user"]["is_active"] is False


@pytest.mark.django_db
def test_a_record_of_another_layout_is_a_miss(customer):
    client = bearer(_token(customer))
    get_redis_connection("default").set(cache.make_key(record_key(customer.pk)), b"not json")

    response = client.get(ME)

    assert response.status_code == 200
    assert response.json()["data"]["email"] == "customer@example.com"


@pytest.mark.django_db
def test_a_token_for_a_user_id_that_is_no_uuid_is_invalid(customer):
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(customer)
    token["user_id"] = {"not": "a uuid"}

    _assert_refused(bearer(str(token)).get(ME))
