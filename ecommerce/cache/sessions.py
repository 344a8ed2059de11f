"""Sessions (the admin site) in Redis as ``user:session:<session key>``.

Django's cache session store, with the contract's key names and with Redis
outages handled instead of turned into errors: while Redis is unreachable a
session reads as empty (the admin sees the login page), and a session written
then is dropped with a warning, so the admin logs in again once Redis is
back.

It runs on the ``sessions`` cache alias: the same Redis and connection pool
as the default cache, but without django-redis's silent exception swallowing,
so that "Redis is down" and "this key does not exist" stay distinguishable.
The lifetime is ``SESSION_COOKIE_AGE`` (24 hours), which is also the key's TTL.
"""

import logging

from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore

from ecommerce.cache.redis_resilience import REDIS_ERRORS

logger = logging.getLogger(__name__)

KEY_PREFIX = "user:session:"


class SessionStore(CacheSessionStore):
    cache_key_prefix = KEY_PREFIX

    def load(self) -> dict:
        try:
            session_data = self._cache.get(self.cache_key)  # type: ignore[attr-defined]
        except REDIS_ERRORS as exc:
            logger.warning("Session store unavailable, treating the session as empty: %s", exc)
            session_data = None
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}

    def exists(self, session_key: str | None) -> bool:
        try:
            return super().exists(session_key)  # type: ignore[arg-type]
        except REDIS_ERRORS:
            # A fresh 32-character random key: a collision is not a real risk.
            return False

    def create(self) -> None:
        try:
            super().create()
        except REDIS_ERRORS as exc:
            # Keep a new key so the request can finish; the data is not stored.
            logger.warning("Session store unavailable, session not saved: %s", exc)
            self._session_key = self._get_new_session_key()  # type: ignore[attr-defined]
            self.modified = True

    def save(self, must_create: bool = False) -> None:
        try:
            super().save(must_create=must_create)
        except REDIS_ERRORS as exc:
            if must_create:
                # create() catches this and carries on without storing.
                raise
            logger.warning("Session store unavailable, session not saved: %s", exc)

    def delete(self, session_key: str | None = None) -> None:
        try:
            super().delete(session_key)
        except REDIS_ERRORS as exc:
            logger.warning("Session store unavailable, session not deleted: %s", exc)
