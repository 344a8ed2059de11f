"""Stock changes made by orders: reserve and release, relative to what is there.

(Staff setting an absolute stock level go through ``catalog.services``, which
locks rows in the same primary-key order, so the two never deadlock.)

Rows are locked with ``SELECT ... FOR UPDATE`` in primary-key order, so two
transactions over crossed baskets (A+B and B+A) queue up instead of
deadlocking, and counters change with ``F()`` arithmetic in the database.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When

from catalog.cache import product_cache_invalidate
from catalog.models import Product, StockMovement
from ecommerce.api.errors import ApplicationError
from ecommerce.api.ids import PREFIXES, public_id


@dataclass(frozen=True)
class StockLine:
    product_id: uuid.UUID
    quantity: int
    # How the caller names this line in errors, e.g. "items[2]".
    label: str = ""


class InsufficientStock(ApplicationError):
    """Carries every short line, so a client can fix its whole basket at once."""

    code = "insufficient_stock"
    status = 409
    message = "Not enough stock for one or more items."


class ProductUnavailable(ApplicationError):
    code = "validation_error"
    status = 400
    message = "One or more products do not exist or are no longer sold."


def stock_reserve(*, lines: Sequence[StockLine], order_id: uuid.UUID) -> dict[uuid.UUID, Product]:
    """Take ``quantity`` of each product out of stock, all or nothing.

    Must run inside a transaction (the caller's order transaction). Locks the
    product rows in primary-key order. Lines must name distinct products.
    Raises ProductUnavailable (unknown or removed product, ``details`` keyed by
    each line's ``label``) or InsufficientStock (``details.items``
    lists each short line with ``requested`` and ``available``); either way
    nothing has changed. Returns the locked products by id, stock as of before
    the decrement.
    """
    _require_transaction()
    products = _lock(line.product_id for line in lines)

    unavailable = {
        line.label or public_id(PREFIXES["product"], line.product_id): [
            "Unknown product, or no longer sold."
        ]
        for line in lines
        if line.product_id not in products or not products[line.product_id].in_catalog
    }
    if unavailable:
        raise ProductUnavailable(details=unavailable)

    short = [
        {
            "productId": public_id(PREFIXES["product"], line.product_id),
            "requested": line.quantity,
            "available": products[line.product_id].stock,
        }
        for line in lines
        if products[line.product_id].stock < line.quantity
    ]
    if short:
        raise InsufficientStock(details={"items": short})

    _shift(lines, sign=-1)
    _record(lines, sign=-1, reason=StockMovement.Reason.ORDER_RESERVE, order_id=order_id)
    product_cache_invalidate(product_ids=products.keys())
    return products


def stock_release(*, lines: Iterable[StockLine], order_id: uuid.UUID) -> None:
    """Put quantities back, e.g. for a cancelled or declined order.

    Must run inside the transaction that records why (the order's status
    change), so stock comes back exactly once. Removed products get their stock
    back too: the row still exists and may return to the catalog.
    """
    _require_transaction()
    lines = list(lines)
    _lock(line.product_id for line in lines)
    _shift(lines, sign=1)
    _record(lines, sign=1, reason=StockMovement.Reason.ORDER_RELEASE, order_id=order_id)
    product_cache_invalidate(product_ids={line.product_id for line in lines})


def stock_initial_record(*, product_ids: Iterable[uuid.UUID]) -> int:
    """Open the ledger of new products: one ``initial`` movement of their stock.

    Products that already have movements are left alone, so it is safe to call
    for a batch of which only some rows were inserted. Returns how many opened.
    """
    opened = [
        StockMovement(product_id=pk, delta=stock, reason=StockMovement.Reason.INITIAL)
        for pk, stock in Product.objects.filter(pk__in=list(product_ids), movements__isnull=True)
        .values_list("pk", "stock")
        .distinct()
    ]
    StockMovement.objects.bulk_create(opened)
    return len(opened)


def stock_adjustment_record(*, changes: Iterable[tuple[uuid.UUID, int, int]]) -> None:
    """Record staff changes as ``(product_id, old_stock, new_stock)``.

    The caller holds the rows' locks, so ``old_stock`` is what was replaced.
    """
    StockMovement.objects.bulk_create(
        StockMovement(product_id=pk, delta=new - old, reason=StockMovement.Reason.ADJUSTMENT)
        for pk, old, new in changes
        if new != old
    )


def _shift(lines: Sequence[StockLine], *, sign: int) -> None:
    """One UPDATE for every line: ``stock = stock + sign * quantity`` per row.

    The rows are already locked (``_lock``), so the order in which this
    statement visits them cannot deadlock.
    """
    deltas: dict[uuid.UUID, int] = {}
    for line in lines:
        deltas[line.product_id] = deltas.get(line.product_id, 0) + sign * line.quantity
    if not deltas:
        return
    delta = Case(
        *(When(pk=pk, then=Value(change)) for pk, change in deltas.items()),
        output_field=IntegerField(),
    )
    Product.objects.filter(pk__in=list(deltas)).update(stock=F("stock") + delta)


def _record(lines: Iterable[StockLine], *, sign: int, reason: str, order_id: uuid.UUID) -> None:
    StockMovement.objects.bulk_create(
        StockMovement(
            product_id=line.product_id, delta=sign * line.quantity, reason=reason, order_id=order_id
        )
        for line in lines
    )


def _lock(product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Product]:
    ids = sorted(set(product_ids))
    locked = Product.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    return {product.pk: product for product in locked}


def _require_transaction() -> None:
    if transaction.get_autocommit():
        raise RuntimeError("Stock changes must run inside the caller's transaction.")
