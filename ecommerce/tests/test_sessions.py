"""Admin sessions live in Redis as user:session:<key> for 24 hours."""

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.test import Client
from django_redis import get_redis_connection

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_storage")]

DAY = 24 * 3600


def session_redis_key(session_key: str) -> str:
    return caches["sessions"].make_key(f"user:session:{session_key}")


def test_admin_login_stores_the_session_in_redis_for_24_hours(admin_user, admin_login):
    client = Client()

    response = admin_login(admin_user.email, client)

    assert response.status_code == 302
    session_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    redis = get_redis_connection("sessions")
    key = session_redis_key(session_key)
    assert redis.exists(key)
    assert DAY - 60 <= redis.ttl(key) <= DAY
    assert client.get("/admin/").status_code == 200


def test_the_session_key_has_no_version_segment(admin_user, admin_login):
    client = Client()
    admin_login(admin_user.email, client)
    session_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    stored = get_redis_connection("sessions").keys("*user:session:*")

    assert [key.decode() for key in stored] == [session_redis_key(session_key)]
    assert ":1:" not in stored[0].decode()


def test_the_session_cookie_lasts_24_hours(admin_user, admin_login):
    client = Client()

    admin_login(admin_user.email, client)

    assert client.cookies[django_settings.SESSION_COOKIE_NAME]["max-age"] == DAY


def test_logging_out_deletes_the_session_from_redis(admin_user, admin_login):
    client = Client()
    admin_login(admin_user.email, client)
    key = session_redis_key(client.cookies[django_settings.SESSION_COOKIE_NAME].value)

    client.post("/admin/logout/")

    assert not get_redis_connection("sessions").exists(key)
    assert client.get("/admin/").status_code == 302


def test_the_session_uses_the_same_connection_pool_as_the_cache():
    assert (
        get_redis_connection("sessions").connection_pool
        is get_redis_connection("default").connection_pool
    )


def test_rq_queues_use_the_same_connection_pool_as_the_cache():
    import django_rq

    queue = django_rq.get_queue("payments")

    assert queue.connection.connection_pool is get_redis_connection("default").connection_pool
