"""Cached product responses: rendered bytes plus their ETag, never stale after a commit.

Keys (the contract's names; ``CACHE_KEY_PREFIX`` is applied as ``ecommerce.cache.keys.make_key``
does):

- ``product:<uuid>``: one product response, 10 minutes. It is also the
  product's *fragment* in every list page that shows it (see "Lists" below);
- ``product:version:<uuid>``: a counter every invalidation of that product
  increments (no TTL: one small key per product ever changed);
- ``products:list:<hash of the normalised query>``: one list page, 5 minutes:
  the page's pagination and its product ids, not their representations;
- ``products:generation``: a counter every invalidation that can change which
  products a list shows, or in which order, increments (no TTL);
- ``products:stock-generation``: a counter every stock change increments (no
  TTL): it guards only the pages filtered on stock (``inStock``);
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

A product entry's value is the ``<generation> <epoch> <version>`` it was filled
under, ETag, slug and body bytes, newline-separated: a hit answers with the
stored bytes and ETag, no serialization.

Lists, and why they hold ids. Orders change stock all the time (0.2 % of the
shop's mix), and every product representation shows its stock. When a list
entry held its rendered page, every stock change had to drop every page: more
than one list read in five was a rebuild from PostgreSQL. Now a list entry
holds what a stock change cannot alter: which products, in which order, and
the pagination. A read assembles the page from the products' own entries, in
the same round trip (one Lua script: the page, then each of its products'
entry and version). So:

- an order on product A drops ``product:<A>`` and bumps A's version, nothing
  else: every page without A is still a hit, and every page with A misses on
  A's fragment alone, which is rendered from PostgreSQL (one product's
  queries), stored, and shown: the new stock on the very next read, from any
  instance, since the state is all in Redis;
- what can change a list's membership or order (create, remove, a price,
  name, category, publication or variant change: every write but an order's
  stock change) bumps the generation and drops every page, as before;
- a page filtered on stock (``inStock=true|false``) can gain or lose products
  with any stock change, so it also depends on the stock generation, which
  every stock change bumps: those pages alone are rebuilt after an order.
  (Sorts are on price, name, date or relevance, none on stock; a product's
  ``price`` is over its variants in the catalog whatever their stock.)

The assembled body is byte for byte what rendering the page whole gives (the
list envelope around each product's ``data``), so its ETag, a hash of the
body, changes exactly when the content does. A page served with any product
rendered from PostgreSQL says ``X-Cache: MISS``, so the hit ratio counts a
page as a hit only when Redis served all of it.

Rewriting the pages in place on each order (the other way to keep them) would
put a render and a write per page into the order's path, which another part
of this work is making shorter, and it must find every page that shows the
product; the fragments need neither.

Freshness: a reader reads the counters together with the entries (one round
trip). On a miss it renders from PostgreSQL and stores the result only if the
counters are still the ones it read, atomically (a Lua script): a product's
fragment against the generation, the epoch and its own version read *before*
its rows were; a page against the generation, the epoch and, filtered on
stock, the stock generation. A write invalidates inside its transaction *and*
again once it commits: a result rendered from pre-commit data is either
stored before the commit's invalidation (which deletes it, and whose counter
bump makes it a miss anyway) or refused after it (a counter moved on). A
fragment is a hit only if its version is the product's current one, and a
page only if its counters are current, so correctness never depends on an
invalidation finding a key (the list index may be evicted).

One round trip: a cached read also counts the request against the API rate
limit in that same script (``ecommerce.ratelimit.throttling.COUNT_LUA``, handed to the
throttle through ``api_count_done``), so a hit costs Redis one EVALSHA.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache, caches
from django.db import transaction
from redis.commands.core import Script

from ecommerce.cache.redis_resilience import OutageEpoch, cache_incr
from ecommerce.cache.redis_resilience import redis_client as _redis
from ecommerce.ratelimit.throttling import COUNT_LUA

logger = logging.getLogger(__name__)

PRODUCT_TTL = 10 * 60
PRODUCT_LIST_TTL = 5 * 60
CATEGORY_TTL = 10 * 60

GENERATION_KEY = "products:generation"
STOCK_GENERATION_KEY = "products:stock-generation"
EPOCH_KEY = "products:epoch"
LIST_INDEX_KEY = "products:list-index"
LIST_KEY_PREFIX = "products:list:"
PRODUCT_KEY_PREFIX = "product:"
VERSION_KEY_PREFIX = "product:version:"
CATEGORY_GENERATION_KEY = "products:category-generation"
CATEGORY_TREE_KEY = "products:category-tree"

# A product response is this, then the product, then "}": the product's
# fragment in a list page is what lies in between.
DETAIL_PREFIX = b'{"success":true,"data":'
LIST_PREFIX = b'{"success":true,"data":['

# Sentinel for "the counters could not be read": such a fill is skipped.
_UNKNOWN = object()

# The read of every cached product response, and the request's rate-limit
# count, in one round trip.
# KEYS: rate-limit counter, generation, epoch, stock generation, subject (the
#   list entry, or the slug hint; unused for a read by id).
# ARGV: window (0: count nothing), mode ("id", "slug" or "list"), product key
#   prefix, version key prefix, the product id (mode "id").
# Returns: count, ttl, generation, epoch, stock generation, the subject's value,
#   then for each product named (the id, the hint's, the page's): its entry and
#   its version. Keys are made here from ids: fine on one Redis (the
#   project's), not on a cluster.
_READ_SCRIPT_SOURCE = (
    """
local out = {false, false, redis.call('GET', KEYS[2]) or false,
             redis.call('GET', KEYS[3]) or false, redis.call('GET', KEYS[4]) or false, false}
if tonumber(ARGV[1]) > 0 then
"""
    + COUNT_LUA
    + """
    out[1] = count
    out[2] = ttl
end
local ids = {}
if ARGV[2] == 'id' then
    ids[1] = ARGV[5]
elseif ARGV[2] == 'slug' then
    local id = redis.call('GET', KEYS[5])
    if id then
        out[6] = id
        ids[1] = id
    end
elseif ARGV[2] == 'list' then
    local entry = redis.call('GET', KEYS[5])
    if entry and string.sub(entry, 1, 4) == 'ids ' then
        out[6] = entry
        for id in string.gmatch(string.match(entry, '([^\\n]*)$'), '%S+') do
            ids[#ids + 1] = id
        end
    end
end
for _, id in ipairs(ids) do
    out[#out + 1] = redis.call('GET', ARGV[3] .. id) or false
    out[#out + 1] = redis.call('GET', ARGV[4] .. id) or false
end
return out
"""
).encode()

# Store products' entries, each only if the generation, the epoch and its own
# version are still the ones its reader saw, with its slug hint.
# KEYS: generation, epoch, then per product: entry, version, slug hint.
# ARGV: ttl, then per product: "<generation> <epoch> <version>" seen, value, id.
_PRODUCT_FILL_SCRIPT_SOURCE = b"""
local base = (redis.call('GET', KEYS[1]) or '') .. ' ' .. (redis.call('GET', KEYS[2]) or '')
local ttl = tonumber(ARGV[1])
local stored = 0
for i = 0, (#KEYS - 2) / 3 - 1 do
    local seen = base .. ' ' .. (redis.call('GET', KEYS[4 + 3 * i]) or '')
    if seen == ARGV[2 + 3 * i] then
        redis.call('SET', KEYS[3 + 3 * i], ARGV[3 + 3 * i], 'EX', ttl)
        redis.call('SET', KEYS[5 + 3 * i], ARGV[4 + 3 * i], 'EX', ttl)
        stored = stored + 1
    end
end
return stored
"""

# Store one entry only if its counters are the ones the reader saw.
# KEYS: the n counters, the entry, [the list index]; ARGV: n, the counters'
# values seen joined by spaces (an unset one as ""), value, ttl.
_FILL_SCRIPT_SOURCE = b"""
local n = tonumber(ARGV[1])
local seen = {}
for i = 1, n do
    seen[i] = redis.call('GET', KEYS[i]) or ''
end
if table.concat(seen, ' ') ~= ARGV[2] then
    return 0
end
redis.call('SET', KEYS[n + 1], ARGV[3], 'EX', tonumber(ARGV[4]))
if KEYS[n + 2] then
    redis.call('SADD', KEYS[n + 2], KEYS[n + 1])
    redis.call('EXPIRE', KEYS[n + 2], tonumber(ARGV[4]))
end
return 1
"""

# KEYS: generation, list index, then per product: entry, version.
_INVALIDATE_SCRIPT_SOURCE = b"""
redis.call('INCR', KEYS[1])
local lists = redis.call('SMEMBERS', KEYS[2])
for i = 1, #lists, 500 do
    redis.call('DEL', unpack(lists, i, math.min(i + 499, #lists)))
end
redis.call('DEL', KEYS[2])
for i = 3, #KEYS, 2 do
    redis.call('DEL', KEYS[i])
    redis.call('INCR', KEYS[i + 1])
end
return #lists
"""

# A stock change: the products' entries and versions, and the stock generation
# (pages filtered on stock). KEYS: stock generation, then per product: entry, version.
_STOCK_INVALIDATE_SCRIPT_SOURCE = b"""
redis.call('INCR', KEYS[1])
for i = 2, #KEYS, 2 do
    redis.call('DEL', KEYS[i])
    redis.call('INCR', KEYS[i + 1])
end
return 1
"""

# EVALSHA, falling back to loading the script on NOSCRIPT (e.g. after a restart).
# Bytes sources need no client to compute their SHA; the client is passed per call.
_READ_SCRIPT = Script(None, _READ_SCRIPT_SOURCE)  # type: ignore[arg-type]
_PRODUCT_FILL_SCRIPT = Script(None, _PRODUCT_FILL_SCRIPT_SOURCE)  # type: ignore[arg-type]
_FILL_SCRIPT = Script(None, _FILL_SCRIPT_SOURCE)  # type: ignore[arg-type]
_INVALIDATE_SCRIPT = Script(None, _INVALIDATE_SCRIPT_SOURCE)  # type: ignore[arg-type]
_STOCK_INVALIDATE_SCRIPT = Script(None, _STOCK_INVALIDATE_SCRIPT_SOURCE)  # type: ignore[arg-type]


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
        """``(the counters it was filled under, response)``."""
        token, etag, slug, body = raw.split(b"\n", 3)
        response = CachedResponse(body=body, etag=etag.decode(), slug=slug.decode())
        return token.decode(), response

    @property
    def product_data(self) -> bytes:
        """The product in a product response: its fragment in a list page."""
        if not (self.body.startswith(DETAIL_PREFIX) and self.body.endswith(b"}")):
            raise ValueError("not a product response")
        return self.body[len(DETAIL_PREFIX) : -1]


@dataclass(frozen=True)
class CacheRead:
    """What a lookup found, and the token a later fill must present.

    ``counted`` is ``(count, ttl)`` of the rate-limit counter when the lookup
    counted the request too, None when it did not; ``count_error`` the error
    that kept it from Redis.
    """

    entry: CachedResponse | None
    token: Any
    counted: tuple[int, int] | None = None
    count_error: Exception | None = None
    # The product ``token`` is for (a read by id or by a slug hint), else None.
    product_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ListPage:
    """A list entry: the page's pagination (JSON bytes) and its products' ids
    (as text: a hit never needs them as UUIDs)."""

    pagination: bytes
    ids: tuple[str, ...]

    # ``ids <token>``, ``-``, pagination, ids: four lines, so that a process of
    # the release before (which stored whole pages under the same key, as
    # ``<token>``, ETag, slug, body) reads one as a miss, never an error, and
    # its entries never pass for these (their first line is no ``ids ...``).
    MARK = b"ids "

    @classmethod
    def of(cls, pagination: bytes, product_ids: Iterable[uuid.UUID]) -> "ListPage":
        return cls(pagination, tuple(str(product_id) for product_id in product_ids))

    @property
    def product_ids(self) -> tuple[uuid.UUID, ...]:
        return tuple(uuid.UUID(value) for value in self.ids)

    def encode(self, token: str) -> bytes:
        ids = " ".join(self.ids).encode()
        return b"\n".join((self.MARK + token.encode(), b"-", self.pagination, ids))

    @staticmethod
    def decode(raw: bytes) -> tuple[str, "ListPage"] | None:
        """``(token, page)``, or None for anything else (an older release's page)."""
        if not raw.startswith(ListPage.MARK):
            return None
        parts = raw.split(b"\n", 3)
        if len(parts) != 4:
            return None
        token, _, pagination, ids = parts
        page = ListPage(pagination, tuple(ids.decode().split()))
        return token[len(ListPage.MARK) :].decode(), page

    def assemble(self, fragments: Mapping[str, bytes]) -> CachedResponse:
        """The page's body: byte for byte ``render_json`` of the whole list envelope."""
        data = b",".join([fragments[product_id] for product_id in self.ids])
        return CachedResponse.from_body(
            LIST_PREFIX + data + b'],"pagination":' + self.pagination + b"}"
        )


@dataclass(frozen=True)
class ListRead(CacheRead):
    """A list lookup. ``page`` is the entry when it is current; then ``fragments``
    holds the products' current fragments and ``missing`` the ids whose
    fragment must be rendered (each with its fill token in ``product_tokens``).
    ``entry`` is the assembled page when nothing is missing."""

    page: ListPage | None = None
    fragments: dict[str, bytes] = field(default_factory=dict)
    missing: tuple[uuid.UUID, ...] = ()
    product_tokens: dict[uuid.UUID, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RateCount:
    """The rate-limit counter a read also increments: full key and window."""

    key: str
    window: int


def product_cache_key(product_id: uuid.UUID | str) -> str:
    return f"{PRODUCT_KEY_PREFIX}{product_id}"


def product_version_key(product_id: uuid.UUID | str) -> str:
    return f"{VERSION_KEY_PREFIX}{product_id}"


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


# Until this process has bumped the epoch after a failed call, an entry may
# predate an invalidation this process (or another) could not make.
_outage = OutageEpoch(EPOCH_KEY, "Product cache", logger)


# --- reads ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Raw:
    """What the read script returned, decoded to text where it is a counter."""

    counted: tuple[int, int] | None
    generation: str
    epoch: str
    stock_generation: str
    subject: Any
    products: list[tuple[Any, str]]  # (entry, version) per product named


def _read_raw(*, mode: str, subject: str, product_id: str, count: RateCount | None) -> _Raw:
    """One round trip with Redis (the read script); get_many without it."""
    client = _redis()
    if client is not None:
        make_key = caches["default"].make_key  # once, not through the proxy each time
        raw = _READ_SCRIPT(
            keys=[
                count.key if count is not None else make_key("rate_limit:-"),
                make_key(GENERATION_KEY),
                make_key(EPOCH_KEY),
                make_key(STOCK_GENERATION_KEY),
                make_key(subject or GENERATION_KEY),
            ],
            args=[
                count.window if count is not None else 0,
                mode,
                make_key(PRODUCT_KEY_PREFIX),
                make_key(VERSION_KEY_PREFIX),
                product_id,
            ],
            client=client,
        )
        counted = (int(raw[0]), int(raw[1])) if count is not None else None
        products = [(raw[i], _text(raw[i + 1])) for i in range(6, len(raw), 2)]
        return _Raw(counted, _text(raw[2]), _text(raw[3]), _text(raw[4]), raw[5], products)
    # Without Redis (the in-process cache): the same reads, in steps.
    found = cache.get_many([GENERATION_KEY, EPOCH_KEY, STOCK_GENERATION_KEY])
    value = cache.get(subject) if subject else None
    ids: list[str] = []
    if mode == "id":
        ids = [product_id]
    elif mode == "slug" and value is not None:
        ids = [_text(value)]
    elif mode == "list" and value is not None and value.startswith(ListPage.MARK):
        ids = value.rsplit(b"\n", 1)[-1].decode().split()
    products = []
    for one in ids:
        pair = cache.get_many([product_cache_key(one), product_version_key(one)])
        products.append(
            (pair.get(product_cache_key(one)), _text(pair.get(product_version_key(one))))
        )
    return _Raw(
        None,
        _text(found.get(GENERATION_KEY)),
        _text(found.get(EPOCH_KEY)),
        _text(found.get(STOCK_GENERATION_KEY)),
        value,
        products,
    )


def _product_token(raw: _Raw, version: str) -> str:
    return f"{raw.generation} {raw.epoch} {version}"


def _judge_product(raw: _Raw, entry: Any, version: str) -> CachedResponse | None:
    """A product entry is current when filled under this epoch and this version.

    Not the generation: a write to one product must not make every other
    product's entry a miss. Its invalidation bumps its version (and deletes it).
    """
    if entry is None:
        return None
    try:
        filled_under, response = CachedResponse.decode(entry)
    except (ValueError, UnicodeDecodeError):  # not an entry of this module: a miss
        return None
    _, filled_epoch, filled_version = [*filled_under.split(" "), "", "", ""][:3]
    if filled_epoch != raw.epoch or filled_version != version:
        return None
    return response


def _unavailable() -> bool:
    """True while this process must not trust Redis (an outage it has not closed)."""
    return not _outage.trusted()


def product_cache_read(*, product_id: uuid.UUID, count: RateCount | None = None) -> CacheRead:
    """One product by id (and, with ``count``, the rate-limit count): one round trip."""
    if _unavailable():
        return CacheRead(entry=None, token=_UNKNOWN)
    try:
        raw = _read_raw(mode="id", subject="", product_id=str(product_id), count=count)
        entry, version = raw.products[0]
        found = _judge_product(raw, entry, version)
    except Exception as exc:
        _outage.failed("product read", exc)
        return CacheRead(entry=None, token=_UNKNOWN, count_error=exc)
    token = _product_token(raw, version)
    return CacheRead(entry=found, token=token, counted=raw.counted, product_id=product_id)


def product_cache_read_by_slug(*, slug: str, count: RateCount | None = None) -> CacheRead:
    """A cached product by slug, when the slug hint and the entry agree.

    One round trip, as a read by id: the hint, the entry it names, the counters.
    The token is for the hint's product (``product_id``); without a usable hint
    there is none, and the view reads the product's version itself before its
    rows (``product_versions_read``).
    """
    if _unavailable():
        return CacheRead(entry=None, token=_UNKNOWN)
    try:
        raw = _read_raw(
            mode="slug", subject=product_slug_cache_key(slug), product_id="", count=count
        )
        hinted = _uuid_or_none(raw.subject)
        if hinted is None or not raw.products:  # no hint: no token yet (None)
            return CacheRead(entry=None, token=None, counted=raw.counted)
        entry, version = raw.products[0]
        found = _judge_product(raw, entry, version)
    except Exception as exc:
        _outage.failed("slug read", exc)
        return CacheRead(entry=None, token=_UNKNOWN, count_error=exc)
    # The hint may be older than a slug change: the entry must carry this slug.
    if found is not None and found.slug != slug:
        found = None
    token = _product_token(raw, version)
    return CacheRead(entry=found, token=token, counted=raw.counted, product_id=hinted)


def _uuid_or_none(raw: Any) -> uuid.UUID | None:
    """The product id a slug hint holds, or None (no hint, or not a uuid)."""
    if raw is None:
        return None
    try:
        return uuid.UUID(_text(raw))
    except ValueError:
        return None


def product_list_cache_read(
    *, key: str, stock_filtered: bool = False, count: RateCount | None = None
) -> ListRead:
    """One list page, assembled from its products' entries: one round trip.

    ``stock_filtered``: the page's query filters on stock, so any stock
    change may change which products it shows.
    """
    if _unavailable():
        return ListRead(entry=None, token=_UNKNOWN)
    try:
        raw = _read_raw(mode="list", subject=key, product_id="", count=count)
    except Exception as exc:
        _outage.failed(f"read {key}", exc)
        return ListRead(entry=None, token=_UNKNOWN, count_error=exc)
    token = _list_token(raw, stock_filtered)
    decoded = ListPage.decode(raw.subject) if raw.subject is not None else None
    if decoded is None or decoded[0] != token or len(decoded[1].ids) != len(raw.products):
        return ListRead(entry=None, token=token, counted=raw.counted)
    page = decoded[1]
    # The hot path of every list hit: each product's entry judged as
    # _judge_product does, on bytes, without building a CachedResponse.
    epoch = raw.epoch.encode()
    fragments: dict[str, bytes] = {}
    tokens: dict[uuid.UUID, Any] = {}
    try:
        for product_id, (entry, version) in zip(page.ids, raw.products, strict=True):
            data = _fragment(entry, epoch, version.encode())
            if data is None:
                tokens[uuid.UUID(product_id)] = _product_token(raw, version)
            else:
                fragments[product_id] = data
    except ValueError:  # an id that is no uuid: not a page of ours
        return ListRead(entry=None, token=token, counted=raw.counted)
    return ListRead(
        entry=None if tokens else page.assemble(fragments),
        token=token,
        counted=raw.counted,
        page=page,
        fragments=fragments,
        missing=tuple(tokens),
        product_tokens=tokens,
    )


def _fragment(entry: bytes | None, epoch: bytes, version: bytes) -> bytes | None:
    """A product entry's fragment if it is current (this epoch, this version), else None."""
    if entry is None:
        return None
    parts = entry.split(b"\n", 3)
    if len(parts) != 4:
        return None
    filled_under = parts[0].split(b" ")
    body = parts[3]
    if (
        len(filled_under) != 3
        or filled_under[1] != epoch
        or filled_under[2] != version
        or not body.startswith(DETAIL_PREFIX)
        or not body.endswith(b"}")
    ):
        return None
    return body[len(DETAIL_PREFIX) : -1]


def _list_token(raw: _Raw, stock_filtered: bool) -> str:
    return f"{raw.generation} {raw.epoch}" + (f" {raw.stock_generation}" if stock_filtered else "")


def _list_counters(stock_filtered: bool) -> list[str]:
    return [GENERATION_KEY, EPOCH_KEY] + ([STOCK_GENERATION_KEY] if stock_filtered else [])


def product_versions_read(*, product_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Fill tokens for these products, read before their rows are (a list rebuilt
    from PostgreSQL): one round trip. Tokens are unknown (no fill) when Redis is not."""
    keys = [GENERATION_KEY, EPOCH_KEY, *(product_version_key(pid) for pid in product_ids)]
    try:
        client = _redis()
        if client is not None:
            values = [_text(value) for value in client.mget([cache.make_key(k) for k in keys])]
        else:
            found = cache.get_many(keys)
            values = [_text(found.get(k)) for k in keys]
    except Exception as exc:
        _outage.failed("version read", exc)
        return dict.fromkeys(product_ids, _UNKNOWN)
    generation, epoch = values[0], values[1]
    return {
        pid: f"{generation} {epoch} {version}"
        for pid, version in zip(product_ids, values[2:], strict=True)
    }


def category_cache_read(*, key: str) -> CacheRead:
    if _unavailable():
        return CacheRead(entry=None, token=_UNKNOWN)
    keys = [key, CATEGORY_GENERATION_KEY, EPOCH_KEY]
    client = _redis()
    try:
        if client is not None:
            raw_entry, raw_generation, raw_epoch = client.mget([cache.make_key(k) for k in keys])
        else:
            found = cache.get_many(keys)
            raw_entry, raw_generation, raw_epoch = (found.get(k) for k in keys)
    except Exception as exc:
        _outage.failed(f"read {key}", exc)
        return CacheRead(entry=None, token=_UNKNOWN)
    token = f"{_text(raw_generation)} {_text(raw_epoch)}"
    if raw_entry is None:
        return CacheRead(entry=None, token=token)
    filled_under, entry = CachedResponse.decode(raw_entry)
    return CacheRead(entry=entry if filled_under == token else None, token=token)


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    return raw.decode() if isinstance(raw, bytes) else str(raw)


# --- fills ------------------------------------------------------------------------


def product_cache_fill(
    *, product_id: uuid.UUID, slug: str, response: CachedResponse, token: Any
) -> bool:
    """Store one product response unless a write happened since ``token`` was read."""
    return product_fragments_fill(entries={product_id: response}, tokens={product_id: token}) == 1


def product_fragments_fill(
    *, entries: Mapping[uuid.UUID, CachedResponse], tokens: Mapping[uuid.UUID, Any]
) -> int:
    """Store product responses (with their slug hints), each unless its product
    was written since its token was read; one round trip. Returns how many."""
    wanted = [
        (pid, response, tokens[pid])
        for pid, response in entries.items()
        if tokens.get(pid) not in (None, _UNKNOWN)
    ]
    if not wanted:
        return 0
    client = _redis()
    try:
        if client is not None:
            keys = [cache.make_key(GENERATION_KEY), cache.make_key(EPOCH_KEY)]
            args: list[Any] = [PRODUCT_TTL]
            for pid, response, token in wanted:
                keys += [
                    cache.make_key(product_cache_key(pid)),
                    cache.make_key(product_version_key(pid)),
                    cache.make_key(product_slug_cache_key(response.slug)),
                ]
                args += [token, response.encode(token), str(pid)]
            return int(_PRODUCT_FILL_SCRIPT(keys=keys, args=args, client=client))
        stored = 0
        for pid, response, token in wanted:
            found = cache.get_many([GENERATION_KEY, EPOCH_KEY, product_version_key(pid)])
            seen = " ".join(
                _text(found.get(k)) for k in (GENERATION_KEY, EPOCH_KEY, product_version_key(pid))
            )
            if seen == token:
                cache.set(product_cache_key(pid), response.encode(token), PRODUCT_TTL)
                cache.set(product_slug_cache_key(response.slug), str(pid), PRODUCT_TTL)
                stored += 1
        return stored
    except Exception as exc:
        _outage.failed("product fill", exc)
        return 0


def product_list_cache_fill(
    *, key: str, page: ListPage, token: Any, stock_filtered: bool = False
) -> bool:
    """Store one list page unless a write happened since ``token`` was read."""
    return _fill(key, page.encode, PRODUCT_LIST_TTL, token, _list_counters(stock_filtered), True)


def category_cache_fill(*, key: str, response: CachedResponse, token: Any) -> bool:
    """Store a category response unless a write happened since ``token`` was read."""
    return _fill(
        key, response.encode, CATEGORY_TTL, token, [CATEGORY_GENERATION_KEY, EPOCH_KEY], False
    )


def _fill(
    key: str,
    encode: Any,
    ttl: int,
    token: Any,
    counters: list[str],
    list_entry: bool,
) -> bool:
    if token is _UNKNOWN:
        return False
    client = _redis()
    try:
        if client is not None:
            keys = [cache.make_key(counter) for counter in counters] + [cache.make_key(key)]
            if list_entry:
                keys.append(cache.make_key(LIST_INDEX_KEY))
            args = [len(counters), token, encode(token), ttl]
            return bool(_FILL_SCRIPT(keys=keys, args=args, client=client))
        found = cache.get_many(counters)
        if " ".join(_text(found.get(counter)) for counter in counters) != token:
            return False
        cache.set(key, encode(token), ttl)
        if list_entry:
            index = cache.get(LIST_INDEX_KEY) or set()
            index.add(key)
            cache.set(LIST_INDEX_KEY, index, ttl)
        return True
    except Exception as exc:
        _outage.failed(f"fill {key}", exc)
        return False


# --- invalidation ---------------------------------------------------------------


def _ids(product_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    return [
        product_id if isinstance(product_id, uuid.UUID) else uuid.UUID(str(product_id))
        for product_id in product_ids
    ]


def _now_and_on_commit(invalidate: Any) -> None:
    invalidate()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(invalidate)


def product_cache_invalidate(*, product_ids: Iterable[uuid.UUID]) -> None:
    """Drop ``product:<uuid>`` for each id (bumping its version) and every list page.

    For writes that can change which products a list shows or their order.
    Meant to be called inside the writing transaction: it invalidates now and,
    when a transaction is open, again once it commits, so an entry rendered
    from pre-commit data in between is deleted or, if its fill comes later,
    refused. Never raises for Redis trouble: it logs a warning. If Redis is
    unreachable at commit time, entries written before the outage may live
    until their TTL.
    """
    _now_and_on_commit(functools.partial(_invalidate, _ids(product_ids)))


def product_stock_invalidate(*, product_ids: Iterable[uuid.UUID]) -> None:
    """A stock change only (an order's reservation or release): drop these
    products' entries and bump their versions and the stock generation.

    Pages that show them rebuild those fragments alone; pages filtered on
    stock rebuild whole; every other page stays a hit. Now and on commit, as
    ``product_cache_invalidate``; never raises for Redis trouble.
    """
    _now_and_on_commit(functools.partial(_stock_invalidate, _ids(product_ids)))


def _product_keys(product_ids: list[uuid.UUID]) -> list[str]:
    return [
        key
        for product_id in product_ids
        for key in (product_cache_key(product_id), product_version_key(product_id))
    ]


def _invalidate(product_ids: list[uuid.UUID]) -> None:
    client = _redis()
    try:
        if client is not None:
            _INVALIDATE_SCRIPT(
                client=client,
                keys=[
                    cache.make_key(GENERATION_KEY),
                    cache.make_key(LIST_INDEX_KEY),
                    *(cache.make_key(key) for key in _product_keys(product_ids)),
                ],
                args=[],
            )
            return
        cache_incr(GENERATION_KEY)
        _locmem_drop(product_ids)
        index = cache.get(LIST_INDEX_KEY) or set()
        cache.delete_many([*index, LIST_INDEX_KEY])
    except Exception as exc:
        _outage.failed(f"invalidation of {product_ids}", exc)


def _stock_invalidate(product_ids: list[uuid.UUID]) -> None:
    client = _redis()
    try:
        if client is not None:
            _STOCK_INVALIDATE_SCRIPT(
                client=client,
                keys=[
                    cache.make_key(STOCK_GENERATION_KEY),
                    *(cache.make_key(key) for key in _product_keys(product_ids)),
                ],
                args=[],
            )
            return
        cache_incr(STOCK_GENERATION_KEY)
        _locmem_drop(product_ids)
    except Exception as exc:
        _outage.failed(f"stock invalidation of {product_ids}", exc)


def _locmem_drop(product_ids: list[uuid.UUID]) -> None:
    for product_id in product_ids:
        cache_incr(product_version_key(product_id))
    cache.delete_many([product_cache_key(product_id) for product_id in product_ids])


def category_cache_invalidate() -> None:
    """Make every cached category response a miss: now and, inside a transaction,
    again once it commits (as ``product_cache_invalidate``). Never raises for
    Redis trouble."""
    _now_and_on_commit(_category_invalidate)


def _category_invalidate() -> None:
    client = _redis()
    try:
        if client is not None:
            client.incr(cache.make_key(CATEGORY_GENERATION_KEY))
        else:
            cache_incr(CATEGORY_GENERATION_KEY)
    except Exception as exc:
        _outage.failed("category invalidation", exc)
