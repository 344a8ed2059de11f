"""Every write to the catalog (API, admin, import, demo data) goes through here.

Each write invalidates the product cache inside its transaction and again on
commit (see ``catalog.cache``), so the next read shows it.
Stock decrements and returns for orders live in ``catalog.stock``.
"""

import re
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from catalog.cache import product_cache_invalidate
from catalog.errors import SlugTaken
from catalog.media.services import product_media_delete
from catalog.models import Product
from catalog.stock import stock_adjustment_record, stock_initial_record

SLUG_MAX_LENGTH = Product._meta.get_field("slug").max_length
# Room for "-<n>" after a generated base.
_SLUG_BASE_MAX_LENGTH = SLUG_MAX_LENGTH - 8
_SLUG_ATTEMPTS = 5

# Fields a product update may change (the API's and the importer's vocabulary).
UPDATABLE_FIELDS = frozenset(
    {"name", "slug", "description", "price", "currency", "category", "stock", "images"}
)


def product_slug_base(name: str) -> str:
    """``slugify(name)``, shortened to leave room for a ``-<n>`` suffix."""
    base = slugify(name)[:_SLUG_BASE_MAX_LENGTH].strip("-")
    return base or "product"


def product_slug_next_free(*, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is the first not taken.

    Removed products keep their slug (and their URL never changes meaning), so
    they count as taken. Not a reservation: the unique index decides races.
    """
    pattern = rf"^{re.escape(base)}(-[0-9]+)?$"
    taken = set(Product.objects.filter(slug__regex=pattern).values_list("slug", flat=True))
    if base not in taken:
        return base
    suffixes = {int(slug.rsplit("-", 1)[1]) for slug in taken if slug != base}
    candidate = 2
    while candidate in suffixes:
        candidate += 1
    return f"{base}-{candidate}"


def product_create(
    *,
    name: str,
    price: Decimal,
    category: str,
    slug: str | None = None,
    description: str = "",
    currency: str = "USD",
    stock: int = 0,
    images: list[str] | None = None,
) -> Product:
    """Create a product; without ``slug`` one is generated from ``name``, made unique.

    Raises SlugTaken (409) when an explicit ``slug`` belongs to another product.
    A generated slug that loses a race to a concurrent insert is regenerated.
    """
    product = Product(
        name=name,
        description=description,
        price=price,
        currency=currency,
        category=category,
        stock=stock,
        images=list(images or []),
    )
    with transaction.atomic():
        product = _save_with_unique_slug(product, explicit_slug=slug, base=product_slug_base(name))
        stock_initial_record(product_ids=[product.pk])
    return product


def product_update(*, product: Product, data: dict[str, Any]) -> Product:
    """Apply ``data`` (snake_case model fields) to ``product`` and save the changed fields.

    An explicit ``slug`` taken by another product raises SlugTaken (409).
    """
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"Not updatable: {sorted(unknown)}")
    if not data:
        return product
    for field, value in data.items():
        setattr(product, field, list(value) if field == "images" else value)
    update_fields = [*data, "updated_at"]
    with transaction.atomic():
        if "stock" in data:
            _record_stock_change(product)
        try:
            with transaction.atomic():
                product.save(update_fields=update_fields)
        except IntegrityError as exc:
            if "slug" in data and _slug_taken(data["slug"], exclude=product.pk):
                raise SlugTaken() from exc
            raise
        product_cache_invalidate(product_ids=[product.pk])
    return product


def product_add(*, product: Product) -> Product:
    """Insert a product built as a whole (the admin's add form), keeping the cache right.

    Without a slug one is generated from its name. Changes to existing products go
    through ``product_update`` with only the changed fields: a whole-row save
    would write back a stock level that orders have changed since it was read.
    """
    if not product._state.adding:
        raise ValueError("product_add inserts; use product_update for an existing product")
    with transaction.atomic():
        product = _save_with_unique_slug(
            product, explicit_slug=product.slug or None, base=product_slug_base(product.name)
        )
        stock_initial_record(product_ids=[product.pk])
    return product


def product_remove(*, product: Product) -> None:
    """Take a product out of the catalog (soft delete): list and detail answer 404.

    The row stays, so past order lines keep their product; the slug stays taken.
    """
    products_remove(product_ids=[product.pk])
    product.refresh_from_db(fields=["deleted_at", "updated_at"])


def products_remove(*, product_ids: Iterable[uuid.UUID]) -> int:
    """Remove several products from the catalog; returns how many were in it."""
    ids = list(product_ids)
    now = timezone.now()
    with transaction.atomic():
        removed = (
            Product.objects.in_catalog().filter(pk__in=ids).update(deleted_at=now, updated_at=now)
        )
        # Its photos go with it (files deleted after commit; a restore brings none back).
        product_media_delete(product_ids=ids)
        product_cache_invalidate(product_ids=ids)
    return removed


def products_restore(*, product_ids: Iterable[uuid.UUID]) -> int:
    """Put removed products back in the catalog; returns how many were restored."""
    ids = list(product_ids)
    with transaction.atomic():
        restored = Product.objects.filter(pk__in=ids, deleted_at__isnull=False).update(
            deleted_at=None, updated_at=timezone.now()
        )
        product_cache_invalidate(product_ids=ids)
    return restored


def products_stock_set(*, product_ids: Iterable[uuid.UUID], stock: int) -> int:
    """Set the stock of several products to ``stock`` (a stock count by staff).

    Waits for the row locks an order holds, then the count staff made wins.
    Order decrements and returns go through ``catalog.stock``.
    """
    if stock < 0:
        raise ValueError("stock must be >= 0")
    ids = sorted(set(product_ids))
    with transaction.atomic():
        # Lock in primary-key order, as catalog.stock does: no deadlock with orders.
        locked = list(
            Product.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", "stock")
        )
        updated = Product.objects.filter(pk__in=[pk for pk, _ in locked]).update(
            stock=stock, updated_at=timezone.now()
        )
        stock_adjustment_record(changes=[(pk, old, stock) for pk, old in locked])
        product_cache_invalidate(product_ids=ids)
    return updated


def _record_stock_change(product: Product) -> None:
    """Lock the row and put the staff's new stock level in the ledger."""
    old = (
        Product.objects.select_for_update(of=("self",))
        .filter(pk=product.pk)
        .values_list("stock", flat=True)
        .first()
    )
    if old is not None:
        stock_adjustment_record(changes=[(product.pk, old, product.stock)])


def _slug_taken(slug: str, *, exclude: uuid.UUID | None = None) -> bool:
    return Product.objects.filter(slug=slug).exclude(pk=exclude).exists()


def _save_with_unique_slug(product: Product, *, explicit_slug: str | None, base: str) -> Product:
    with transaction.atomic():
        for _attempt in range(_SLUG_ATTEMPTS):
            product.slug = explicit_slug or product_slug_next_free(base=base)
            try:
                # A savepoint: a lost race leaves the outer transaction usable.
                with transaction.atomic():
                    product.save(force_insert=True)
                break
            except IntegrityError:
                if not _slug_taken(product.slug):
                    raise
                if explicit_slug:
                    raise SlugTaken() from None
        else:
            raise SlugTaken("Could not find a free slug; please retry or send one.")
        product_cache_invalidate(product_ids=[product.pk])
    return product
