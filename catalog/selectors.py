"""Reads of the catalog used by the API: filters, search, the four sorts, the category tree."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Window,
)

from catalog.media.selectors import media_prefetch
from catalog.models import Category, Product, ProductOption, ProductVariant

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


def products_with_details(products: QuerySet[Product]) -> QuerySet[Product]:
    """What the product representation needs, at a fixed number of queries for any page:
    the category joined, variants, options and media in one query each."""
    # The plugin takes to_attr for a new attribute; Product declares both (its properties).
    return products.select_related("category").prefetch_related(  # type: ignore[no-redef]
        media_prefetch(),
        Prefetch(
            "variants",
            queryset=ProductVariant.objects.in_catalog().order_by("position", "pk"),
            to_attr="_live_variants",
        ),
        Prefetch(
            "options",
            queryset=ProductOption.objects.order_by("position"),
            to_attr="_ordered_options",
        ),
    )


def category_subtree(slug: str) -> QuerySet[Category]:
    """The category with this slug (any case) and all below it, as a subquery.

    One query whatever the depth: the materialised path of the node is read in
    a subquery, and its subtree is every path that starts with it.
    """
    node_path = Category.objects.filter(slug=slug.lower()).values("path")[:1]
    return Category.objects.filter(path__startswith=Subquery(node_path))


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

    ``category`` includes its descendants. ``min_price``, ``max_price`` and
    ``in_stock=True`` match a product when one of its variants matches them
    all; one alone is exact on the product's denormalised ``price_max``,
    ``price`` or ``stock`` (indexed), and two or more add an EXISTS over its
    variants, after those columns have narrowed the rows. ``in_stock=False``
    keeps products with no stock at all.

    One cost of "any variant": ``min_price`` filters on ``price_max`` while
    ``sort=price_*`` walks the index on ``price``, so ``minPrice=50&sort=price_asc``
    reads the price index from the cheapest product up, about 6,000 entries on
    the bench data, where before variants it started at 50 (no index orders by
    one column and bounds another). Only uncached pages pay it.

    ``search`` uses PostgreSQL full-text search (the GIN-indexed ``search_vector``,
    English stemming, web-search syntax) and ranks name matches above description
    matches; on other databases every word must appear in the name or description.
    """
    products: QuerySet[Product] = Product.objects.in_catalog()
    if category is not None:
        products = products.filter(category__in=category_subtree(category))
    variant_match = Q()
    conditions = 0
    if min_price is not None:
        products = products.filter(price_max__gte=min_price)
        variant_match &= Q(price__gte=min_price)
        conditions += 1
    if max_price is not None:
        products = products.filter(price__lte=max_price)
        variant_match &= Q(price__lte=max_price)
        conditions += 1
    if in_stock is True:
        products = products.filter(stock__gt=0)
        variant_match &= Q(stock__gt=0)
        conditions += 1
    elif in_stock is False:
        products = products.filter(stock=0)
    if conditions > 1:
        # Where every variant has one price, the columns are exact already; only
        # products whose variants' prices differ need a variant matching all.
        # (An EXISTS alone was planned as a hash semi join over every variant:
        # 54 ms instead of 1 ms for search + minPrice + inStock on the bench data.)
        matching = ProductVariant.objects.in_catalog().filter(variant_match, product=OuterRef("pk"))
        products = products.filter(Q(price=F("price_max")) | Exists(matching))
    if search:
        products = _search(products, search, rank=sort == ProductSort.RELEVANCE)
    elif sort == ProductSort.RELEVANCE:
        sort = ProductSort.NEWEST
    return products_with_details(products.order_by(*_ORDERINGS[sort]))


def product_page_ids(
    products: QuerySet[Product], *, offset: int, limit: int
) -> tuple[list[uuid.UUID], int]:
    """One page of ``product_list``'s ids and the total of all pages, in one query
    (the total as a window count); a page past the end costs a COUNT too."""
    rows = list(
        products.annotate(total=Window(Count("pk"))).values_list("pk", "total")[
            offset : offset + limit
        ]
    )
    if rows:
        return [pk for pk, _ in rows], rows[0][1]
    return [], products.count() if offset else 0


def products_by_ids(*, product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Product]:
    """Products in the catalog with their details, by id (the fragments a cached
    list page lacks); ids not in the catalog are left out. Fixed query count."""
    products = products_with_details(Product.objects.in_catalog().filter(pk__in=list(product_ids)))
    return {product.pk: product for product in products}


def product_id_by_slug(*, slug: str) -> uuid.UUID | None:
    """The id behind a slug, one indexed query (before reading a product's cache version)."""
    return Product.objects.in_catalog().filter(slug=slug).values_list("pk", flat=True).first()


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
    """A product in the catalog by primary key, with its details; None when absent or removed."""
    return products_with_details(Product.objects.in_catalog().filter(pk=product_id)).first()


def product_get_by_slug(*, slug: str) -> Product | None:
    return products_with_details(Product.objects.in_catalog().filter(slug=slug)).first()


def variant_get(*, product: Product, variant_id: uuid.UUID) -> ProductVariant | None:
    """A variant of this product in the catalog; None otherwise (a 404)."""
    return (
        ProductVariant.objects.in_catalog()
        .select_related("product")
        .filter(product=product, pk=variant_id)
        .first()
    )


# Stock at or below this (and above zero) counts as low: the admin's dashboard
# and its product list filter "Low" (catalog.admin.LOW_STOCK, the same figure).
LOW_STOCK_THRESHOLD = 5


def product_low_stock_count(*, threshold: int = LOW_STOCK_THRESHOLD) -> int:
    """Products in the catalog with 1 to ``threshold`` left (one query)."""
    return Product.objects.in_catalog().filter(stock__gt=0, stock__lte=threshold).count()


# --- categories ----------------------------------------------------------------------


@dataclass
class CategoryNode:
    """A category as the API shows it, with ``product_count`` of its whole subtree."""

    slug: str
    name: str
    parent: str | None
    position: int
    path: list[str]
    product_count: int = 0
    children: list["CategoryNode"] = field(default_factory=list)


def category_tree() -> list[CategoryNode]:
    """Every category, roots first in ``position`` order (then slug), each with its
    children likewise. Two queries whatever the size: the categories, and the
    products in the catalog counted per category (summed up the tree here)."""
    categories = list(Category.objects.order_by("position", "slug"))
    counts = dict(
        Product.objects.in_catalog()
        .order_by()
        .values_list("category_id")
        .annotate(count=Count("pk"))
        .values_list("category_id", "count")
    )
    nodes: dict[int | None, CategoryNode] = {
        category.pk: CategoryNode(
            slug=category.slug,
            name=category.name,
            parent=None,
            position=category.position,
            path=category.slugs,
            product_count=counts.get(category.pk, 0),
        )
        for category in categories
    }
    roots = []
    for category in categories:
        node = nodes[category.pk]
        parent = nodes.get(category.parent_id)
        if parent is None:
            roots.append(node)
        else:
            node.parent = parent.slug
            parent.children.append(node)
    for root in roots:
        _sum_counts(root)
    return roots


def category_find(tree: list[CategoryNode], slug: str) -> CategoryNode | None:
    """The node with this slug (any case) in a tree from ``category_tree``."""
    slug = slug.lower()
    pending = list(tree)
    while pending:
        node = pending.pop()
        if node.slug == slug:
            return node
        pending.extend(node.children)
    return None


def category_get(*, slug: str) -> Category | None:
    return Category.objects.filter(slug=slug.lower()).first()


def category_product_counts() -> dict[int, int]:
    """Products in the catalog in each category or below, by category id (the admin's column)."""
    categories = list(Category.objects.values_list("pk", "path"))
    direct = dict(
        Product.objects.in_catalog()
        .order_by()
        .values_list("category_id")
        .annotate(count=Count("pk"))
        .values_list("category_id", "count")
    )
    by_path = {path: direct.get(pk, 0) for pk, path in categories}
    return {
        pk: sum(count for other, count in by_path.items() if other.startswith(path))
        for pk, path in categories
    }


def _sum_counts(node: CategoryNode) -> int:
    node.product_count += sum(_sum_counts(child) for child in node.children)
    return node.product_count
