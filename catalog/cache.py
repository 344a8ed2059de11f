"""Cached product responses: rendered bytes plus their ETag, never stale after a commit.

Keys (the contract's names; ``CACHE_KEY_PREFIX`` is applied as ``ecommerce.cache.keys.make_key``
does):

- ``product:<uuid>``: one product response, 10 minutes;
- ``products:list:<hash of the normalised query>``: one list page, 5 minutes;
- ``products:generation``: a counter every invalidation increments (no TTL);
- ``products:list-index``: the set of live list keys, so invalidation deletes
  exactly them instead of scanning the keyspace;
- ``products:epoch``: a counter bumped after a Redis outage (no TTL), see below;
- ``product:slug:<slug>``: the uuid behind a slug, so that a read by slug is a
  cache hit too. It is only a hint: a hit counts only when the cached product
  still has that slug;
- ``products:category-tree`` and ``products:category:<slug>``: the category
  tree and one category's subtree (GET /v1/categories), 10 minutes, checked
  against their own counter ``products:category-generation`` (no TTL), which
  category writes and product writes increment. Orders' stock changes do not:
  no category shows stock.

An entry's value is the generation and epoch it was filled under, ETag, slug
and body bytes, newline-separated: a hit answers with the stored bytes and
ETag, no serialization.

Freshness: a reader reads the generation together with the entry (one round
trip). On a miss it renders from PostgreSQL and stores the result only if the
generation is still the one it read, atomically (a Lua script). A write
invalidates inside its transaction *and* again once it commits: a page rendered
from pre-commit data is either stored before the commit's invalidation (which
deletes it) or refused after it (the generation moved on).

The cache is an optimisation: every function here logs and carries on when
Redis is unreachable, and the API then answers from PostgreSQL.

Outages: an invalidation that cannot reach Redis is lost, and an entry cached
before it would outlive the write (Redis may come back with its data, or
another process may be talking to it already). So a process in which any
cache call failed trusts no entry again until it has bumped ``products:epoch``,
which turns every entry filled before into a miss; it does so on its first
cache call that reaches Redis. Entries then refill from PostgreSQL. What is
left: a process that dropped an invalidation and exits before Redis returns
(its writes then show when their entries expire, at most 10 minutes), unless
another process saw the outage too, as every process taking requests does.
"""

import functools
import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from redis.commands.core import Script

logger = logging.getLogger(__name__)

PRODUCT_TTL = 10 * 60
PRODUCT_LIST_TTL = 5 * 60
CATEGORY_TTL = 10 * 60

GENERATION_KEY = "products:generation"
EPOCH_KEY = "products:epoch"
LIST_INDEX_KEY = "products:list-index"
LIST_KEY_PREFIX = "products:list:"
CATEGORY_GENERATION_KEY = "products:category-generation"
CATEGORY_TREE_KEY = "products:category-tree"

# Sentinel for "the generation could not be read": such a fill is skipped.
_UNKNOWN = object()

# KEYS: generation, epoch, entry, [list index]; ARGV: the "<generation> <epoch>"
# the reader saw (either "" when unset), value, ttl.
_FILL_SCRIPT_SOURCE = b"""
local seen = (redis.call('GET', KEYS[1]) or '') .. ' ' .. (redis.call('GET', KEYS[2]) or '')
if seen ~= ARGV[1] then
    return 0
end
redis.call('SET', KEYS[3], ARGV[2], 'EX', tonumber(ARGV[3]))
if KEYS[4] then
    redis.call('SADD', KEYS[4], KEYS[3])
    redis.call('EXPIRE', KEYS[4], tonumber(ARGV[3]))
end
return 1
"""

# KEYS: generation, list index, product keys...
_INVALIDATE_SCRIPT_SOURCE = b"""
redis.call('INCR', KEYS[1])
local lists = redis.call('SMEMBERS', KEYS[2])
for i = 1, #lists, 500 do
    redis.call('DEL', unpack(lists, i, math.min(i + 499, #lists)))
end
redis.call('DEL', KEYS[2])
for i = 3, #KEYS do
    redis.call('DEL', KEYS[i])
end
return #lists
"""

# A read by slug in one round trip: the slug hint, the product entry it names,
# the generation and the epoch. KEYS: slug hint, generation, epoch; ARGV: the
# product keys' prefix (``product:`` after CACHE_KEY_PREFIX). The entry's key
# is made here, from the hint: fine on one Redis (the project's), not on a cluster.
_SLUG_READ_SCRIPT_SOURCE = b"""
local id = redis.call('GET', KEYS[1])
local entry = false
if id then
    entry = redis.call('GET', ARGV[1] .. id)
end
return {id or false, entry or false, redis.call('GET', KEYS[2]) or false,
        redis.call('GET', KEYS[3]) or false}
"""

# EVALSHA, falling back to loading the script on NOSCRIPT (e.g. after a restart).
# Bytes sources need no client to compute their SHA; the client is passed per call.
_FILL_SCRIPT = Script(None, _FILL_SCRIPT_SOURCE)  # type: ignore[arg-type]
_INVALIDATE_SCRIPT = Script(None, _INVALIDATE_SCRIPT_SOURCE)  # type: ignore[arg-type]
_SLUG_READ_SCRIPT = Script(None, _SLUG_READ_SCRIPT_SOURCE)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CachedResponse:
    """A rendered 200 response body and its strong ETag (``"<hex>"``)."""

    body: bytes
    etag: str
    slug: str = ""

    @classmethod
    def from_body(cls, body: bytes, *, slug: str = "") -> "CachedResponse":
        return cls(
            body=body, etag=f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"', slug=slug
        )

    def encode(self, token: str) -> bytes:
        return b"\n".join((token.encode(), self.etag.encode(), self.slug.encode(), self.body))

    @staticmethod
    def decode(raw: bytes) -> tuple[str, "CachedResponse"]:
        """``(the "<generation> <epoch>" it was filled under, response)``."""
        token, etag, slug, body = raw.split(b"\n", 3)
        response = CachedResponse(body=body, etag=etag.decode(), slug=slug.decode())
        return token.decode(), response


@dataclass(frozen=True)
class CacheRead:
    """What a lookup found, and the token a later fill must present."""

    entry: CachedResponse | None
    token: Any


def product_cache_key(product_id: uuid.UUID) -> str:
    return f"product:{product_id}"


def product_slug_cache_key(slug: str) -> str:
    return f"product:slug:{slug}"


def category_cache_key(slug: str | None = None) -> str:
    """The whole tree without ``slug``; one category's subtree with it."""
    return CATEGORY_TREE_KEY if slug is None else f"products:category:{slug}"


def product_list_cache_key(query: Mapping[str, Any]) -> str:
    """``products:list:<sha256 of the normalised query>``.

    ``query`` must already be normalised (validated values, defaults filled in,
    unknown parameters dropped) so that equivalent URLs share one entry.
    """
    canonical = json.dumps(query, sort_keys=True, separators=(",", ":"), default=str)
    return LIST_KEY_PREFIX + hashlib.sha256(canonical.encode()).hexdigest()


# Set when a cache call of this process failed: until it has bumped the epoch,
# an entry may predate an invalidation this process (or another) could not make.
_outage_seen = False


def _redis():
    """The raw client behind the default cache, or None for other backends."""
    try:
        from django_redis import get_redis_connection

        return get_redis_connection("default")
    except (ImportError, NotImplementedError):
        return None


# --- reads and fills ------------------------------------------------------------


def product_cache_read(*, product_id: uuid.UUID) -> CacheRead:
    # Not generation-checked: a write to one product must not make every other
    # product's entry a miss. Its invalidation deletes this exact key.
    return _read(product_cache_key(product_id), same_generation=False)


def product_list_cache_read(*, key: str) -> CacheRead:
    # Every write invalidates every list entry anyway.
    return _read(key, same_generation=True)


def category_cache_read(*, key: str) -> CacheRead:
    return _read(key, same_generation=True, generation_key=CATEGORY_GENERATION_KEY)


def category_cache_fill(*, key: str, response: CachedResponse, token: Any) -> bool:
    """Store a category response unless a write happened since ``token`` was read."""
    return _fill(
        key,
        response,
        CATEGORY_TTL,
        token,
        list_entry=False,
        generation_key=CATEGORY_GENERATION_KEY,
    )


def product_cache_read_by_slug(*, slug: str) -> CacheRead:
    """A cached product by slug, when the slug hint and the entry agree.

    With Redis, one round trip (as a read by id): the hint, the entry it
    names, the generation and the epoch, in a script.
    """
    if _outage_seen and not _epoch_bump():
        return CacheRead(entry=None, token=_UNKNOWN)
    client = _redis()
    if client is None:
        return _read_by_slug_in_two_steps(slug)
    try:
        raw_id, raw_entry, raw_generation, raw_epoch = _SLUG_READ_SCRIPT(
            keys=[
                cache.make_key(product_slug_cache_key(slug)),
                cache.make_key(GENERATION_KEY),
                cache.make_key(EPOCH_KEY),
            ],
            args=[cache.make_key(product_cache_key(""))],  # type: ignore[arg-type]  # the keys' prefix
            client=client,
        )
        if _uuid_or_none(raw_id) is None:
            return CacheRead(entry=None, token=f"{_text(raw_generation)} {_text(raw_epoch)}")
        found = _judge(raw_entry, raw_generation, raw_epoch, same_generation=False)
    except Exception as exc:
        _failed("slug read", exc)
        return CacheRead(entry=None, token=_UNKNOWN)
    return _same_slug(found, slug)


def _read_by_slug_in_two_steps(slug: str) -> CacheRead:
    """Without Redis (the in-process cache): the hint, then the entry."""
    try:
        raw_id = cache.get(product_slug_cache_key(slug))
    except Exception as exc:
        _failed("slug read", exc)
        return CacheRead(entry=None, token=_UNKNOWN)
    product_id = _uuid_or_none(raw_id)
    if product_id is None:
        return _read_generation_only()
    found = _read(product_cache_key(product_id), same_generation=False)
    return _same_slug(found, slug)


def _same_slug(found: CacheRead, slug: str) -> CacheRead:
    # The hint may be older than a slug change: the entry must carry this slug.
    if found.entry is not None and found.entry.slug != slug:
        return CacheRead(entry=None, token=found.token)
    return found


def _uuid_or_none(raw: Any) -> uuid.UUID | None:
    """The product id a slug hint holds, or None (no hint, or not a uuid)."""
    if raw is None:
        return None
    try:
        return uuid.UUID(_text(raw))
    except ValueError:
        return None


def product_cache_fill(
    *, product_id: uuid.UUID, slug: str, response: CachedResponse, token: Any
) -> bool:
    """Store one product response unless a write happened since ``token`` was read."""
    stored = _fill(product_cache_key(product_id), response, PRODUCT_TTL, token, list_entry=False)
    if stored:
        _set_slug_hint(slug, product_id)
    return stored


def product_list_cache_fill(*, key: str, response: CachedResponse, token: Any) -> bool:
    """Store one list page unless a write happened since ``token`` was read."""
    return _fill(key, response, PRODUCT_LIST_TTL, token, list_entry=True)


def _read(key: str, *, same_generation: bool, generation_key: str = GENERATION_KEY) -> CacheRead:
    """The entry and the current generation, in one round trip.

    With ``same_generation`` an entry filled under an older generation is a
    miss: correctness then does not depend on invalidation finding the key
    (list entries are found through an index that Redis might evict).
    """
    if _outage_seen and not _epoch_bump():
        return CacheRead(entry=None, token=_UNKNOWN)
    client = _redis()
    try:
        if client is not None:
            raw_entry, raw_generation, raw_epoch = client.mget(
                [cache.make_key(key), cache.make_key(generation_key), cache.make_key(EPOCH_KEY)]
            )
        else:
            found = cache.get_many([key, generation_key, EPOCH_KEY])
            raw_entry, raw_generation, raw_epoch = (
                found.get(key),
                found.get(generation_key),
                found.get(EPOCH_KEY),
            )
            # Locmem has no atomic compare-and-set: always compare on read.
            same_generation = True
        return _judge(raw_entry, raw_generation, raw_epoch, same_generation=same_generation)
    except Exception as exc:
        _failed(f"read {key}", exc)
        return CacheRead(entry=None, token=_UNKNOWN)


def _judge(
    raw_entry: Any, raw_generation: Any, raw_epoch: Any, *, same_generation: bool
) -> CacheRead:
    """A hit only if the entry was filled under this epoch (and, for lists, generation)."""
    generation, epoch = _text(raw_generation), _text(raw_epoch)
    token = f"{generation} {epoch}"
    if raw_entry is None:
        return CacheRead(entry=None, token=token)
    filled_under, entry = CachedResponse.decode(raw_entry)
    filled_generation, _, filled_epoch = filled_under.partition(" ")
    if filled_epoch != epoch or (same_generation and filled_generation != generation):
        return CacheRead(entry=None, token=token)
    return CacheRead(entry=entry, token=token)


def _read_generation_only() -> CacheRead:
    if _outage_seen and not _epoch_bump():
        return CacheRead(entry=None, token=_UNKNOWN)
    client = _redis()
    keys = [GENERATION_KEY, EPOCH_KEY]
    try:
        if client is not None:
            raw_generation, raw_epoch = client.mget([cache.make_key(key) for key in keys])
        else:
            found = cache.get_many(keys)
            raw_generation, raw_epoch = found.get(GENERATION_KEY), found.get(EPOCH_KEY)
    except Exception as exc:
        _failed("generation read", exc)
        return CacheRead(entry=None, token=_UNKNOWN)
    return CacheRead(entry=None, token=f"{_text(raw_generation)} {_text(raw_epoch)}")


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _failed(what: str, exc: Exception) -> None:
    """A cache call did not reach Redis: log it, and distrust entries until the epoch moves."""
    global _outage_seen
    _outage_seen = True
    logger.warning("Product cache unavailable (%s): %s", what, exc)


def _epoch_bump() -> bool:
    """Invalidate every entry filled before now; True once Redis has taken it."""
    global _outage_seen
    client = _redis()
    try:
        if client is not None:
            client.incr(cache.make_key(EPOCH_KEY))
        else:
            _incr(EPOCH_KEY)
    except Exception as exc:
        logger.warning("Product cache still unavailable (epoch bump): %s", exc)
        return False
    _outage_seen = False
    logger.info("Product cache: entries cached before the Redis outage are dropped")
    return True


def _incr(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:
        cache.add(key, 0, None)
        cache.incr(key)


def _fill(
    key: str,
    response: CachedResponse,
    ttl: int,
    token: Any,
    *,
    list_entry: bool,
    generation_key: str = GENERATION_KEY,
) -> bool:
    if token is _UNKNOWN:
        return False
    client = _redis()
    try:
        if client is not None:
            keys = [cache.make_key(generation_key), cache.make_key(EPOCH_KEY), cache.make_key(key)]
            if list_entry:
                keys.append(cache.make_key(LIST_INDEX_KEY))
            return bool(
                _FILL_SCRIPT(keys=keys, args=[token, response.encode(token), ttl], client=client)
            )
        found = cache.get_many([generation_key, EPOCH_KEY])
        if f"{_text(found.get(generation_key))} {_text(found.get(EPOCH_KEY))}" != token:
            return False
        cache.set(key, response.encode(token), ttl)
        if list_entry:
            index = cache.get(LIST_INDEX_KEY) or set()
            index.add(key)
            cache.set(LIST_INDEX_KEY, index, ttl)
        return True
    except Exception as exc:
        _failed(f"fill {key}", exc)
        return False


def _set_slug_hint(slug: str, product_id: uuid.UUID) -> None:
    client = _redis()
    try:
        if client is not None:
            client.set(
                cache.make_key(product_slug_cache_key(slug)), str(product_id), ex=PRODUCT_TTL
            )
        else:
            cache.set(product_slug_cache_key(slug), str(product_id), PRODUCT_TTL)
    except Exception as exc:
        _failed("slug hint", exc)


# --- invalidation ---------------------------------------------------------------


def product_cache_invalidate(*, product_ids: Iterable[uuid.UUID]) -> None:
    """Drop ``product:<uuid>`` for each id and every ``products:list:*`` entry.

    Meant to be called inside the writing transaction: it invalidates now and,
    when a transaction is open, again once it commits, so an entry rendered
    from pre-commit data in between is deleted or, if its fill comes later,
    refused. Never raises for Redis trouble: it logs a warning. If Redis is
    unreachable at commit time, entries written before the outage may live
    until their TTL.
    """
    ids = [
        product_id if isinstance(product_id, uuid.UUID) else uuid.UUID(str(product_id))
        for product_id in product_ids
    ]
    _invalidate(ids)
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        transaction.on_commit(functools.partial(_invalidate, ids))


def _invalidate(product_ids: list[uuid.UUID]) -> None:
    product_keys = [product_cache_key(product_id) for product_id in product_ids]
    client = _redis()
    try:
        if client is not None:
            _INVALIDATE_SCRIPT(
                client=client,
                keys=[
                    cache.make_key(GENERATION_KEY),
                    cache.make_key(LIST_INDEX_KEY),
                    *(cache.make_key(key) for key in product_keys),
                ],
                args=[],
            )
            return
        _incr(GENERATION_KEY)
        index = cache.get(LIST_INDEX_KEY) or set()
        cache.delete_many([*product_keys, *index, LIST_INDEX_KEY])
    except Exception as exc:
        _failed(f"invalidation of {product_keys}", exc)


def category_cache_invalidate() -> None:
    """Make every cached category response a miss: now and, inside a transaction,
    again once it commits (as ``product_cache_invalidate``). Never raises for
    Redis trouble."""
    _category_invalidate()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_category_invalidate)


def _category_invalidate() -> None:
    client = _redis()
    try:
        if client is not None:
            client.incr(cache.make_key(CATEGORY_GENERATION_KEY))
        else:
            _incr(CATEGORY_GENERATION_KEY)
    except Exception as exc:
        _failed("category invalidation", exc)
