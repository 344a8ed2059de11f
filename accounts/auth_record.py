"""Who a bearer token's user is, from Redis: the per-user auth record.

Every authenticated request used to read its user from PostgreSQL. The record
holds what authentication and ``GET /v1/users/me`` need (the profile, the
role, ``is_active``, ``is_superuser``; never the password hash), so that a hit
costs one Redis round trip and no query. PostgreSQL stays the truth: with
Redis down, a record missing, or one that cannot be trusted, the user is read
from PostgreSQL exactly as before.

Keys (``CACHE_KEY_PREFIX`` applied as ``ecommerce.cache.make_key`` does):

- ``auth:user:<uuid>``: the record, JSON, 10 minutes; it names the generation
  and epoch it was filled under;
- ``auth:user-generation:<uuid>``: a counter each change of that user
  increments (a day, renewed by each change);
- ``auth:epoch``: a counter bumped after a Redis outage (no TTL), see below.

A record is used only if its generation and epoch are the current ones, read
in the same ``MGET`` as the record.

Changes take effect on the next request, on every instance. Every write to a
user (a ``save()`` from the services, the admin, ``createsuperuser``,
``changepassword``, factories; a delete) reaches ``auth_record_invalidate``
through the ``post_save``/``post_delete`` receivers below; the one
``QuerySet.update`` on users (``services.user_emails_normalize``) calls it
itself. It invalidates (increment the generation and delete the record, one
script) at once, inside the writing transaction, and again in the
transaction's ``on_commit``, which then fills the record anew from a fresh
read: the "rewrite". The change's HTTP response (or the command's exit) comes
after that ``on_commit``, so any request that follows it finds the new record
or none.

Why a generation and not a plain delete-then-fill (the fill race): a reader
that missed reads the generation, then PostgreSQL, then stores its record only
if the generation is still the one it read (compare-and-set, a Lua script). A
reader whose PostgreSQL read predates a change's commit either stores before
that change's ``on_commit`` invalidation (which deletes the record) or after
it (the generation moved on: refused). A fill never overwrites with older data
than a rewrite's, whatever the order in which the fill and the rewrite land.
Rewrites are fresh reads under the same rule rather than a write of the saving
process's instance: two transactions' ``on_commit`` callbacks may run in the
other order than their commits, and the instance of the first would then
overwrite the second's change.

Outages (as ``catalog.cache``): an invalidation that cannot reach Redis is
lost, and a record stored before it would outlive the change (Redis may come
back with its data, or another process may still reach it). So a process in
which any call here failed trusts no record, and fills none, until it has
bumped ``auth:epoch``, which turns every record filled before into a miss; it
does so on its first call that reaches Redis. What is left: a process that
dropped an invalidation and exits (a management command) before Redis returns,
while another process keeps reading the old record: its change shows when the
record expires (``RECORD_TTL``), and the command logs the failure. Processes
that take requests saw the outage too and bump the epoch themselves.

Without Redis (the file cache of local development) there are no records:
every authenticated request reads PostgreSQL, as before.

Hand-written rather than a query cache: django-cachalot invalidates a whole
table on any write (each login would drop every user's entry), and neither it
nor django-cacheops documents a guard against the fill race above or against
an invalidation lost in an outage. The record is small, and its rules are
these. The keys go through ``ecommerce.cache.make_key`` and the default
cache's pool (``ecommerce.cache.redis_resilience``: a Redis that just failed is not
dialled again for ``REDIS_FAILURE_BACKOFF``, so an outage costs no timeouts).
"""

import functools
import json
import logging
import uuid
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from redis.commands.core import Script

from accounts.models import User
from ecommerce.cache.redis_resilience import OutageEpoch
from ecommerce.cache.redis_resilience import redis_client as _redis

logger = logging.getLogger(__name__)

RECORD_TTL = 10 * 60
GENERATION_TTL = 24 * 3600
EPOCH_KEY = "auth:epoch"

# What the record holds, in User's concrete-field order (User.from_db wants it).
# The password hash is not among them: it never leaves PostgreSQL, and reading
# ``user.password`` on a user built from a record loads it (a deferred field).
RECORD_FIELDS = tuple(
    field.attname
    for field in User._meta.concrete_fields
    if field.attname
    in {
        "id",
        "email",
        "name",
        "phone",
        "role",
        "is_active",
        "is_superuser",
        "created_at",
        "updated_at",
        "last_login",
    }
)
_DATETIME_FIELDS = frozenset({"created_at", "updated_at", "last_login"})

# Sentinel for "the generation could not be read": such a fill is skipped.
_UNKNOWN = object()

# KEYS: generation, epoch, record; ARGV: the "<generation> <epoch>" the reader
# saw (either "" when unset), the record, its ttl.
_FILL_SCRIPT = Script(
    None,  # type: ignore[arg-type]  # registered with the connection at call time
    b"""
local seen = (redis.call('GET', KEYS[1]) or '') .. ' ' .. (redis.call('GET', KEYS[2]) or '')
if seen ~= ARGV[1] then
    return 0
end
redis.call('SET', KEYS[3], ARGV[2], 'EX', tonumber(ARGV[3]))
return 1
""",
)

# KEYS: generation, record; ARGV: the generation's ttl.
_INVALIDATE_SCRIPT = Script(
    None,  # type: ignore[arg-type]  # registered with the connection at call time
    b"""
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
redis.call('DEL', KEYS[2])
return 1
""",
)

# Until this process has bumped the epoch after a failed call, a record may
# predate an invalidation this process (or another) could not make.
_outage = OutageEpoch(EPOCH_KEY, "Auth records", logger)


def record_key(user_id: uuid.UUID) -> str:
    return f"auth:user:{user_id}"


def generation_key(user_id: uuid.UUID) -> str:
    return f"auth:user-generation:{user_id}"


# --- reads ----------------------------------------------------------------------


def auth_user_get(user_id: uuid.UUID) -> User | None:
    """The user behind a token: from its record, else from PostgreSQL (then recorded).

    None when no such user exists. A user from a record is a ``User`` with the
    record's fields loaded and the others (the password) deferred.
    """
    user, token = _read(user_id)
    if user is not None:
        return user
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        _fill(user, token)
    return user


def _read(user_id: uuid.UUID) -> tuple[User | None, Any]:
    if not _outage.trusted():
        return None, _UNKNOWN
    client = _redis()
    if client is None:
        return None, _UNKNOWN
    try:
        raw_record, raw_generation, raw_epoch = client.mget(
            [
                cache.make_key(record_key(user_id)),
                cache.make_key(generation_key(user_id)),
                cache.make_key(EPOCH_KEY),
            ]
        )
    except Exception as exc:
        _outage.failed(f"read of {user_id}", exc)
        return None, _UNKNOWN
    token = f"{_text(raw_generation)} {_text(raw_epoch)}"
    if raw_record is None:
        return None, token
    try:
        record = json.loads(raw_record)
        if record["under"] != token:
            return None, token
        return _user_from(record["user"]), token
    except (ValueError, KeyError, TypeError) as exc:
        # Not one of ours (an older layout): a miss, which the fill replaces.
        logger.warning("Unreadable auth record for %s: %s", user_id, exc)
        return None, token


def _user_from(fields: dict[str, Any]) -> User:
    values = []
    for name in RECORD_FIELDS:
        value = fields[name]
        if name == "id":
            value = uuid.UUID(value)
        elif name in _DATETIME_FIELDS and value is not None:
            value = datetime.fromisoformat(value)
        values.append(value)
    return User.from_db("default", RECORD_FIELDS, values)


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _encode(user: User, token: str) -> str:
    fields = {}
    for name in RECORD_FIELDS:
        value = getattr(user, name)
        if name == "id":
            value = str(value)
        elif name in _DATETIME_FIELDS and value is not None:
            value = value.isoformat()
        fields[name] = value
    return json.dumps({"under": token, "user": fields}, separators=(",", ":"))


def _fill(user: User, token: Any) -> bool:
    """Store ``user``'s record unless a change happened since ``token`` was read."""
    if token is _UNKNOWN:
        return False
    client = _redis()
    if client is None:
        return False
    try:
        return bool(
            _FILL_SCRIPT(
                keys=[
                    cache.make_key(generation_key(user.pk)),
                    cache.make_key(EPOCH_KEY),
                    cache.make_key(record_key(user.pk)),
                ],
                args=[token, _encode(user, token), RECORD_TTL],
                client=client,
            )
        )
    except Exception as exc:
        _outage.failed(f"fill of {user.pk}", exc)
        return False


# --- changes --------------------------------------------------------------------


def auth_record_invalidate(user_id: uuid.UUID, *, rewrite: bool = True) -> None:
    """Drop ``user_id``'s record now and, inside a transaction, again once it commits.

    After the commit (or now, outside a transaction) the record is written
    anew from PostgreSQL unless ``rewrite`` is False (bulk changes: the next
    request fills it). Never raises for Redis trouble: it logs a warning.
    """
    user_id = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    _invalidate(user_id)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(functools.partial(_invalidate_and_rewrite, user_id, rewrite))
    elif rewrite:
        _rewrite(user_id)


def _invalidate_and_rewrite(user_id: uuid.UUID, rewrite: bool) -> None:
    if _invalidate(user_id) and rewrite:
        _rewrite(user_id)


def _invalidate(user_id: uuid.UUID) -> bool:
    client = _redis()
    if client is None:
        return False
    try:
        _INVALIDATE_SCRIPT(
            keys=[cache.make_key(generation_key(user_id)), cache.make_key(record_key(user_id))],
            args=[GENERATION_TTL],
            client=client,
        )
    except Exception as exc:
        _outage.failed(f"invalidation of {user_id}", exc)
        return False
    return True


def _rewrite(user_id: uuid.UUID) -> None:
    """The record from a fresh read, under the fill's compare-and-set."""
    _, token = _read(user_id)
    if token is _UNKNOWN:
        return
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        _fill(user, token)


@receiver(post_save, sender=User, dispatch_uid="accounts.auth_record.saved")
def _user_saved(sender: type, instance: User, raw: bool = False, **kwargs: Any) -> None:
    # ``raw``: loaddata; its rows are invalidated all the same.
    auth_record_invalidate(instance.pk)


@receiver(post_delete, sender=User, dispatch_uid="accounts.auth_record.deleted")
def _user_deleted(sender: type, instance: User, **kwargs: Any) -> None:
    auth_record_invalidate(instance.pk, rewrite=False)
