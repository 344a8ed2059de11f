"""Reads of the catalog used by the API: filters, search and the four sorts."""

import uuid
from decimal import Decimal
from enum import StrEnum

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q, QuerySet

from catalog.media.selectors import media_prefetch
from catalog.models import Product

SEARCH_CONFIG = "english"


class ProductSort(StrEnum):
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NAME = "name"
    NEWEST = "newest"
    # Not a value clients send: the default order when searching without ``sort``.
    RELEVANCE = "relevance"


# Every order ends with the primary key: total and stable, so pages neither
# repeat nor skip an item. Each prefix matches an index on the products table.
_ORDERINGS: dict[ProductSort, tuple[str, ...]] = {
    ProductSort.PRICE_ASC: ("price", "id"),
    ProductSort.PRICE_DESC: ("-price", "-id"),
    ProductSort.NAME: ("name", "id"),
    ProductSort.NEWEST: ("-created_at", "-id"),
    ProductSort.RELEVANCE: ("-search_rank", "-created_at", "-id"),
}


def product_list(
    *,
    category: str | None = None,
    search: str | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    in_stock: bool | None = None,
    sort: ProductSort = ProductSort.NEWEST,
) -> QuerySet[Product]:
    """Products in the catalog matching every given filter, in a total order.

    ``search`` uses PostgreSQL full-text search (the GIN-indexed ``search_vector``,
    English stemming, web-search syntax) and ranks name matches above description
    matches; on other databases every word must appear in the name or description.
    ``in_stock`` True keeps products with stock, False those without.
    """
    products = Product.objects.in_catalog().prefetch_related(media_prefetch())
    if category is not None:
        products = products.filter(category=category)
    if min_price is not None:
        products = products.filter(price__gte=min_price)
    if max_price is not None:
        products = products.filter(price__lte=max_price)
    if in_stock is not None:
        products = products.filter(stock__gt=0) if in_stock else products.filter(stock=0)
    if search:
        products = _search(products, search, rank=sort == ProductSort.RELEVANCE)
    elif sort == ProductSort.RELEVANCE:
        sort = ProductSort.NEWEST
    return products.order_by(*_ORDERINGS[sort])


def _search(products: QuerySet[Product], search: str, *, rank: bool) -> QuerySet[Product]:
    if connection.vendor == "postgresql":
        query = SearchQuery(search, config=SEARCH_CONFIG, search_type="websearch")
        products = products.filter(search_vector=query)
        if rank:
            products = products.annotate(search_rank=SearchRank(F("search_vector"), query))
        return products
    for word in search.split():
        products = products.filter(Q(name__icontains=word) | Q(description__icontains=word))
    if rank:
        # No ranking without full-text search: relevance falls back to newest.
        products = products.alias(search_rank=F("created_at"))
    return products


def product_get(*, product_id: uuid.UUID) -> Product | None:
    """A product in the catalog by primary key; None when absent or removed."""
    return (
        Product.objects.in_catalog()
        .prefetch_related(media_prefetch())
        .filter(pk=product_id)
        .first()
    )


def product_get_by_slug(*, slug: str) -> Product | None:
    return Product.objects.in_catalog().prefetch_related(media_prefetch()).filter(slug=slug).first()


# Stock at or below this (and above zero) counts as low: the admin's dashboard
# and its product list filter "Low" (catalog.admin.LOW_STOCK, the same figure).
LOW_STOCK_THRESHOLD = 5


def product_low_stock_count(*, threshold: int = LOW_STOCK_THRESHOLD) -> int:
    """Products in the catalog with 1 to ``threshold`` left (one query)."""
    return Product.objects.in_catalog().filter(stock__gt=0, stock__lte=threshold).count()
