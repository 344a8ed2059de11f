"""Stock changes: orders reserve and release variants' stock; the ledger records all.

Lock order, for every writer of stock, prices or variants (orders here, staff
in ``catalog.services``): product rows in primary-key order, and a variant's
row only while holding its product's. Two transactions over crossed baskets
(A+B and B+A) therefore queue up on the first product they share instead of
deadlocking, and a staff write to a product waits for an order holding it (or
the other way round). Orders lock their own order row before calling in here
(cancel, expiry), never after; the checkout locks a discount code's row after
(the global lock order across the apps is in ``checkout.services``' docstring).

The products are locked by a statement of their own: one
``SELECT ... FOR UPDATE OF variant, product`` joining both would lock, for each
row it returns, the variant before the product, so two baskets holding
different variants of one product wait for each other's variant while holding
(or queueing for) the product: a deadlock, which the concurrency tests met.

A basket costs the same statements whatever its size: two locking SELECTs
(products, then their variants), and one statement that updates the variants
(``stock = stock + delta`` per row, arithmetic in the database), inserts their
ledger rows and updates their products' denormalised totals (``_stock_move``).
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import (
    Case,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.cache import product_stock_invalidate
from catalog.errors import InsufficientStock, ProductUnavailable, QuantityTooLarge, ShortLine
from catalog.models import Product, ProductVariant, StockMovement
from ecommerce.api.ids import PREFIXES, public_id


@dataclass(frozen=True)
class StockLine:
    """A basket line: a variant, or a simple product (its one variant), and a quantity."""

    quantity: int
    variant_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    # How the caller names this line in errors, e.g. "items[2]".
    label: str = ""

    def __post_init__(self) -> None:
        if (self.variant_id is None) == (self.product_id is None):
            raise ValueError("A stock line names a variant or a product, not both or neither")


@dataclass(frozen=True)
class ReservedLine:
    """A line as reserved: its variant (``variant.product`` and its category loaded,
    locked) and quantity.

    ``variant.stock`` is the stock as of before the decrement.
    """

    variant: ProductVariant
    quantity: int
    label: str


@dataclass(frozen=True)
class ReleaseLine:
    variant_id: uuid.UUID
    quantity: int


def stock_reserve(
    *, lines: Sequence[StockLine], order_id: uuid.UUID, max_quantity: int | None = None
) -> list[ReservedLine]:
    """Take ``quantity`` of each line's variant out of stock, all or nothing.

    Must run inside a transaction (the caller's order transaction). A line
    naming a product stands for its one variant in the catalog; lines that come
    to the same variant are merged (under the first one's label), and the
    merged quantity may not exceed ``max_quantity``. Locks as the module says.

    Raises ProductUnavailable (unknown or removed product or variant, or a
    product with several variants; ``details`` keyed by each line's
    ``label``), QuantityTooLarge, or InsufficientStock (its ``lines``: each
    short line with ``requested`` and ``available``); either way nothing has
    changed. Returns the merged lines in first-seen order.
    """
    _require_transaction()
    variant_ids = {line.variant_id for line in lines if line.variant_id is not None}
    product_ids = {line.product_id for line in lines if line.product_id is not None}
    locked = _lock(variant_ids=variant_ids, product_ids=product_ids)
    reserved = _resolve(lines, locked, max_quantity)

    short = [
        ShortLine(
            product_id=line.variant.product_id,
            variant_id=line.variant.pk,
            sku=line.variant.sku,
            requested=line.quantity,
            available=line.variant.stock,
        )
        for line in reserved
        if line.variant.stock < line.quantity
    ]
    if short:
        raise InsufficientStock(short)

    changes = [(line.variant.pk, line.variant.product_id, -line.quantity) for line in reserved]
    _stock_move(changes, reason=StockMovement.Reason.ORDER_RESERVE, order_id=order_id)
    product_ids_changed = {line.variant.product_id for line in reserved}
    product_stock_invalidate(product_ids=product_ids_changed)
    return reserved


def basket_resolve(
    *, lines: Sequence[StockLine], max_quantity: int | None = None
) -> list[ReservedLine]:
    """``stock_reserve``'s reading of a basket (merged lines, a simple product's one
    variant, the same errors but InsufficientStock) with no lock and no change:
    what a quote prices. ``variant.stock`` is the stock as read."""
    variant_ids = {line.variant_id for line in lines if line.variant_id is not None}
    product_ids = {line.product_id for line in lines if line.product_id is not None}
    variants = list(
        ProductVariant.objects.select_related("product__category")
        .filter(Q(pk__in=variant_ids) | Q(product_id__in=product_ids, deleted_at__isnull=True))
        .order_by("product_id", "pk")
    )
    return _resolve(lines, variants, max_quantity)


def _resolve(
    lines: Sequence[StockLine], variants: list[ProductVariant], max_quantity: int | None
) -> list[ReservedLine]:
    by_id = {variant.pk: variant for variant in variants}
    by_product: dict[uuid.UUID, list[ProductVariant]] = {}
    for variant in variants:
        if variant.in_catalog:
            by_product.setdefault(variant.product_id, []).append(variant)

    unavailable: dict[str, list[str]] = {}
    merged: dict[uuid.UUID, list] = {}
    for line in lines:
        label = line.label or _line_name(line)
        if line.variant_id is not None:
            variant = by_id.get(line.variant_id)
            if variant is None or not variant.in_catalog or not variant.product.in_catalog:
                unavailable[label] = ["Unknown variant, or no longer sold."]
                continue
        else:
            candidates = by_product.get(line.product_id, [])  # type: ignore[arg-type]
            if not candidates or not candidates[0].product.in_catalog:
                unavailable[label] = ["Unknown product, or no longer sold."]
                continue
            if len(candidates) > 1:
                unavailable[label] = ["This product has several variants: name one with variantId."]
                continue
            variant = candidates[0]
        if variant.pk in merged:
            merged[variant.pk][2] += line.quantity
        else:
            merged[variant.pk] = [variant, label, line.quantity]
    if unavailable:
        raise ProductUnavailable(details=unavailable)

    reserved = [
        ReservedLine(variant=variant, quantity=quantity, label=label)
        for variant, label, quantity in merged.values()
    ]
    if max_quantity is not None:
        too_many = {
            line.label: [f"At most {max_quantity} of one item per order."]
            for line in reserved
            if line.quantity > max_quantity
        }
        if too_many:
            raise QuantityTooLarge(details=too_many)
    return reserved


def stock_release(*, lines: Iterable[ReleaseLine], order_id: uuid.UUID) -> None:
    """Put quantities back, e.g. for a cancelled or declined order.

    Must run inside the transaction that records why (the order's status
    change), so stock comes back exactly once. Removed variants and products
    get their stock back too: the rows still exist and may return to the
    catalog (a removed variant's stock does not count in its product's).
    """
    _require_transaction()
    quantities: dict[uuid.UUID, int] = {}
    for line in lines:
        quantities[line.variant_id] = quantities.get(line.variant_id, 0) + line.quantity
    if not quantities:
        return
    locked = _lock(variant_ids=set(quantities), product_ids=set())
    changes = [(variant.pk, variant.product_id, quantities[variant.pk]) for variant in locked]
    _stock_move(changes, reason=StockMovement.Reason.ORDER_RELEASE, order_id=order_id)
    product_ids = {variant.product_id for variant in locked}
    product_stock_invalidate(product_ids=product_ids)


def stock_lock_products(*, product_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Lock product rows in primary-key order (staff writes, before their variants).

    Returns the ids that exist, in that order.
    """
    _require_transaction()
    return list(
        Product.objects.select_for_update(of=("self",))
        .filter(pk__in=set(product_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def product_totals_refresh(*, product_ids: Iterable[uuid.UUID]) -> None:
    """Recompute the products' ``price``, ``price_max`` and ``stock`` from their variants.

    One UPDATE for all of them, from the variants in the catalog. The caller
    holds the products' locks (every variant writer does), so no other
    transaction can change those variants in between.
    """
    ids = list(set(product_ids))
    if not ids:
        return
    live = ProductVariant.objects.in_catalog().filter(product=OuterRef("pk")).order_by()
    live = live.values("product")
    Product.objects.filter(pk__in=ids).update(
        price=Subquery(live.annotate(value=Min("price")).values("value")[:1]),
        price_max=Subquery(live.annotate(value=Max("price")).values("value")[:1]),
        stock=Coalesce(Subquery(live.annotate(value=Sum("stock")).values("value")[:1]), 0),
    )


def stock_initial_record(*, variant_ids: Iterable[uuid.UUID]) -> int:
    """Open the ledger of new variants: one ``initial`` movement of their stock.

    Variants that already have movements are left alone, so it is safe to call
    for a batch of which only some rows were inserted. Returns how many opened.
    """
    opened = [
        StockMovement(
            variant_id=pk, product_id=product_id, delta=stock, reason=StockMovement.Reason.INITIAL
        )
        for pk, product_id, stock in ProductVariant.objects.filter(
            pk__in=list(variant_ids), movements__isnull=True
        )
        .values_list("pk", "product_id", "stock")
        .distinct()
    ]
    StockMovement.objects.bulk_create(opened, batch_size=1000)
    return len(opened)


def stock_adjustment_record(*, changes: Iterable[tuple[ProductVariant, int]]) -> None:
    """Record staff changes as ``(variant, old_stock)``, the variant holding the new stock.

    The caller holds the rows' locks, so ``old_stock`` is what was replaced.
    """
    StockMovement.objects.bulk_create(
        StockMovement(
            variant_id=variant.pk,
            product_id=variant.product_id,
            delta=variant.stock - old,
            reason=StockMovement.Reason.ADJUSTMENT,
        )
        for variant, old in changes
        if variant.stock != old
    )


def _stock_move(
    changes: Sequence[tuple[uuid.UUID, uuid.UUID, int]], *, reason: str, order_id: uuid.UUID
) -> None:
    """One statement for a whole basket: ``stock = stock + delta`` per variant row,
    the ledger row of each row it changed, and the products' totals.

    ``WITH moved AS (UPDATE variants ... RETURNING), ledger AS (INSERT INTO
    stock_movements SELECT ... FROM moved) UPDATE products ...``: the ledger is
    written from the rows the UPDATE changed, in the same statement, so a
    stock change and its movement cannot part; one round trip where three
    statements took three. The totals are ``product_totals_refresh``'s
    (lowest and highest price, stock of the variants in the catalog), read
    from the statement's snapshot, which is from before the variants' UPDATE:
    so the stock adds the moved deltas of the variants in the catalog, which
    comes to the sum of their new stock. Hand-written SQL because the ORM
    builds no data-modifying CTE. The rows are already locked (``_lock``), so
    the order in which it visits them cannot deadlock.

    Other databases (SQLite, ``make run``'s embedded mode) take the same three
    steps as three ORM statements: they have no data-modifying CTE.
    """
    if not changes:
        return
    if connection.vendor != "postgresql":
        _shift(changes)
        _record(changes, reason=reason, order_id=order_id)
        product_totals_refresh(product_ids={product_id for _, product_id, _ in changes})
        return
    variants = ProductVariant._meta.db_table
    movements, products = StockMovement._meta.db_table, Product._meta.db_table
    live = f'FROM "{variants}" AS v WHERE v."product_id" = p."id" AND v."deleted_at" IS NULL'
    sql = (
        'WITH "change" ("id", "delta") AS (SELECT * FROM unnest(%s::uuid[], %s::integer[])), '  # noqa: S608 (the models' tables; values bound)
        f'"moved" AS (UPDATE "{variants}" AS v SET "stock" = v."stock" + c."delta" '
        'FROM "change" AS c WHERE v."id" = c."id" '
        'RETURNING v."id", v."product_id", v."deleted_at", c."delta"), '
        f'"ledger" AS (INSERT INTO "{movements}" '
        '("variant_id", "product_id", "delta", "reason", "order_id", "created_at") '
        'SELECT m."id", m."product_id", m."delta", %s, %s, %s FROM "moved" AS m) '
        f'UPDATE "{products}" AS p SET '
        f'"price" = (SELECT MIN(v."price") {live}), '
        f'"price_max" = (SELECT MAX(v."price") {live}), '
        f'"stock" = COALESCE((SELECT SUM(v."stock") {live}), 0) + COALESCE(('
        'SELECT SUM(m."delta") FROM "moved" AS m '
        'WHERE m."product_id" = p."id" AND m."deleted_at" IS NULL), 0) '
        'WHERE p."id" IN (SELECT m."product_id" FROM "moved" AS m)'
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                [pk for pk, _, _ in changes],
                [delta for _, _, delta in changes],
                reason,
                order_id,
                timezone.now(),
            ],
        )


def _shift(changes: Sequence[tuple[uuid.UUID, uuid.UUID, int]]) -> None:
    """One UPDATE for every line: ``stock = stock + delta`` per variant row."""
    delta = Case(
        *(When(pk=pk, then=Value(change)) for pk, _, change in changes),
        output_field=IntegerField(),
    )
    ProductVariant.objects.filter(pk__in=[pk for pk, _, _ in changes]).update(
        stock=F("stock") + delta
    )


def _record(
    changes: Iterable[tuple[uuid.UUID, uuid.UUID, int]], *, reason: str, order_id: uuid.UUID
) -> None:
    """The ledger rows of ``changes``."""
    StockMovement.objects.bulk_create(
        StockMovement(
            variant_id=variant_id,
            product_id=product_id,
            delta=change,
            reason=reason,
            order_id=order_id,
        )
        for variant_id, product_id, change in changes
    )


def _lock(*, variant_ids: set[uuid.UUID], product_ids: set[uuid.UUID]) -> list[ProductVariant]:
    """Lock the products of these variants and these products, in primary-key order,
    then the variants (these, and the products' variants in the catalog), in
    (product, variant) order. Returns the variants, their products loaded."""
    owners = ProductVariant.objects.filter(pk__in=variant_ids).values("product_id")
    list(
        Product.objects.select_for_update(of=("self",))
        .filter(Q(pk__in=product_ids) | Q(pk__in=owners))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(
        # The category too, for the checkout's pricing (tax and discount rules).
        ProductVariant.objects.select_related("product__category")
        .select_for_update(of=("self",))
        .filter(Q(pk__in=variant_ids) | Q(product_id__in=product_ids, deleted_at__isnull=True))
        .order_by("product_id", "pk")
    )


def _line_name(line: StockLine) -> str:
    if line.variant_id is not None:
        return public_id(PREFIXES["variant"], line.variant_id)
    return public_id(PREFIXES["product"], line.product_id)  # type: ignore[arg-type]


def _require_transaction() -> None:
    if transaction.get_autocommit():
        raise RuntimeError("Stock changes must run inside the caller's transaction.")
