"""Every write to orders: recording, payment outcomes, cancellation, staff moves.

The use cases that compose orders with pricing and payments (placing an order,
cancelling one, expiring) are one layer up, in ``checkout.services``: this
module imports neither. The global lock order is in that module's docstring.

An order's status only changes under its row lock and through the transition
table in ``orders.state``; the change that gives stock back happens once, so
stock comes back exactly once whatever races.

The moves that run inside a caller's transaction (a payment's outcome under
its row lock, the checkout's cancellation) open no savepoint
(``atomic(savepoint=False)``): no caller goes on after one of them failed,
so their writes stand or fall with the caller's, and a savepoint would only
cost two round trips.
"""

import functools
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from catalog.models import ProductVariant
from catalog.stock import ReleaseLine, stock_release
from ecommerce.api.ids import PREFIXES, public_id
from ecommerce.jobs.enqueue import job_enqueue
from orders import tasks
from orders.errors import OrderInvalid
from orders.models import ZERO, IdempotencyRecord, Order, OrderItem
from orders.signals import order_released
from orders.state import (
    ORDER_TRANSITIONS,
    STAFF_SETTABLE,
    IllegalOrderTransition,
    OrderStatus,
    order_returns_stock,
    order_transition_check,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accounts.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrderLineRecord:
    """A priced line, as the checkout computed it from its reserved variant."""

    variant: ProductVariant  # ``variant.product`` loaded
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    discount: Decimal = ZERO
    tax: Decimal = ZERO


@dataclass(frozen=True)
class OrderTotals:
    """The order's breakdown (API contract, Checkout)."""

    subtotal: Decimal
    total: Decimal
    currency: str
    discount_total: Decimal = ZERO
    shipping_total: Decimal = ZERO
    tax_total: Decimal = ZERO
    prices_include_tax: bool = False
    shipping_method: dict[str, Any] | None = None
    discount: dict[str, Any] | None = None


def order_record(
    *,
    order_id: uuid.UUID,
    user: "User",
    lines: Sequence[OrderLineRecord],
    totals: OrderTotals,
    shipping_address: dict[str, str],
    payment_method: str = "card",
    idempotency_record: IdempotencyRecord | None = None,
) -> Order:
    """Insert a pending order and its lines, inside the caller's transaction.

    The caller (``checkout.services.order_place``) has reserved the stock and
    priced the basket; the name, SKU, options and price are snapshotted from
    the variants here. Two statements (the order, its lines); the returned
    order has its lines prefetched.
    """
    if transaction.get_autocommit():
        raise RuntimeError("An order is recorded inside the checkout's transaction.")
    order = Order.objects.create(
        id=order_id,
        user=user,
        subtotal=totals.subtotal,
        discount_total=totals.discount_total,
        shipping_total=totals.shipping_total,
        tax_total=totals.tax_total,
        total=totals.total,
        currency=totals.currency,
        prices_include_tax=totals.prices_include_tax,
        shipping_method=totals.shipping_method,
        discount=totals.discount,
        shipping_address=shipping_address,
        payment_method=payment_method,
    )
    order_items = [
        OrderItem(
            order=order,
            product=line.variant.product,
            variant=line.variant,
            name=line.variant.product.name,
            sku=line.variant.sku,
            options=dict(line.variant.options),
            unit_price=line.unit_price,
            quantity=line.quantity,
            line_total=line.line_total,
            discount=line.discount,
            tax=line.tax,
        )
        for line in lines
    ]
    OrderItem.objects.bulk_create(order_items)
    # What ``order.items.all()`` would read back: the response is
    # rendered from these instead of a second query.
    order._prefetched_objects_cache = {"items": _prefetched(order, order_items)}  # type: ignore[attr-defined]
    if idempotency_record is not None:
        # Same transaction: a crash can never leave an order whose key
        # would let a retry create a second one.
        IdempotencyRecord.objects.filter(pk=idempotency_record.pk).update(order=order)
    return order


def order_awaits_payment(*, order_id: uuid.UUID) -> bool:
    """Whether a charge for this order should go ahead (it is still pending)."""
    return Order.objects.filter(pk=order_id, status=OrderStatus.PENDING).exists()


def order_mark_paid(*, order_id: uuid.UUID, mail_inline: bool = False) -> bool:
    """Payment captured: pending -> paid, and the customer's confirmation e-mail.

    One conditional UPDATE (``WHERE status = 'pending'``): it takes the order's
    row lock, as ``_locked`` would, and the move pending -> paid returns no
    stock, so nothing else is read or written under it. Returns False when the
    order is no longer pending (cancelled while the charge ran): the caller
    refunds the capture.

    The e-mail leaves once the caller's transaction commits: ``mail_inline``
    (the charge job) sends it from this process at once, with the e-mail job
    (and its retries) as the fallback when sending fails
    (``tasks.order_status_email_deliver``); otherwise (a webhook request) the
    e-mail job is queued, as for every other move.
    """
    order_transition_check(OrderStatus.PENDING, OrderStatus.PAID)
    moved = Order.objects.filter(pk=order_id, status=OrderStatus.PENDING).update(
        status=OrderStatus.PAID, updated_at=timezone.now()
    )
    if not moved:
        return False
    logger.info(
        "Order %s: %s -> %s",
        public_id(PREFIXES["order"], order_id),
        OrderStatus.PENDING,
        OrderStatus.PAID,
    )
    if mail_inline:
        transaction.on_commit(
            functools.partial(
                tasks.order_status_email_deliver, order_id=str(order_id), status=OrderStatus.PAID
            )
        )
    else:
        _email_enqueue(order_id, OrderStatus.PAID)
    return True


def order_mark_payment_failed(*, order_id: uuid.UUID) -> None:
    """Payment declined or abandoned: pending -> payment_failed, and everything the
    order holds is given back (its stock; a discount code's use goes here too)."""
    with transaction.atomic(savepoint=False):
        order = _locked(order_id)
        if order.status == OrderStatus.PENDING:
            _move(order, OrderStatus.PAYMENT_FAILED)


def order_mark_refunded(*, order_id: uuid.UUID) -> None:
    """Payment fully refunded: a paid, shipped or delivered order becomes refunded."""
    with transaction.atomic(savepoint=False):
        order = _locked(order_id)
        if OrderStatus.REFUNDED in _allowed(order.status):
            _move(order, OrderStatus.REFUNDED)


def order_cancel(*, order_id: uuid.UUID) -> Order:
    """A pending or paid order becomes cancelled: what it holds goes back (``_move``).

    The payment's side (a refund, a void) is the caller's:
    ``checkout.services.order_cancel``, which holds this lock in its own
    transaction while it reads the payment. Raises IllegalOrderTransition (409)
    in any other status.
    """
    with transaction.atomic(savepoint=False):
        order = _locked(order_id)
        _move(order, OrderStatus.CANCELLED)
    return order


def order_expire(*, order_id: uuid.UUID) -> bool:
    """A still-pending order is cancelled (expired); False when it is no longer pending."""
    with transaction.atomic():
        order = _locked(order_id)
        if order.status != OrderStatus.PENDING:
            return False
        _move(order, OrderStatus.CANCELLED)
    return True


def order_status_set(
    *, order_id: uuid.UUID, status: str, carrier: str = "", tracking_number: str = ""
) -> Order:
    """A staff move: ship or deliver (a cancellation is ``checkout.services.order_status_set``'s,
    as it refunds). Raises IllegalOrderTransition (409).

    Shipping records the shipment (``carrier``, ``tracking_number``, both
    optional, and the time) with the move, under the same lock; the
    customer's e-mail, sent after the commit, carries them. Raises
    OrderInvalid (400) for shipment fields with another status.
    """
    if (carrier or tracking_number) and status != OrderStatus.SHIPPED:
        raise OrderInvalid(
            "A carrier and tracking number go with status shipped only.",
            details={
                field: ["Only with status shipped."]
                for field, value in (("carrier", carrier), ("trackingNumber", tracking_number))
                if value
            },
        )
    if status not in STAFF_SETTABLE - {OrderStatus.CANCELLED}:
        raise IllegalOrderTransition(
            f"Staff cannot set {status} by hand: it follows from the payment.",
            details={"status": [f"Allowed: {', '.join(sorted(STAFF_SETTABLE))}."]},
        )
    with transaction.atomic():
        order = _locked(order_id)
        if status == OrderStatus.SHIPPED:
            order_transition_check(order.status, status)
            order.carrier, order.tracking_number = carrier, tracking_number
            order.shipped_at = timezone.now()
            order.save(update_fields=["carrier", "tracking_number", "shipped_at", "updated_at"])
        _move(order, status)
    return order


def _prefetched(order: Order, items: list[OrderItem]) -> "QuerySet[OrderItem]":
    queryset = order.items.all()
    queryset._result_cache = items
    queryset._prefetch_done = True  # type: ignore[attr-defined]
    return queryset


def _locked(order_id: uuid.UUID) -> Order:
    return Order.objects.select_for_update(of=("self",)).get(pk=order_id)


def _allowed(status: str) -> frozenset[str]:
    return ORDER_TRANSITIONS.get(status, frozenset())


def _move(order: Order, target: str) -> None:
    """Change status under the caller's row lock; give stock back when due."""
    order_transition_check(order.status, target)
    if order_returns_stock(order.status, target):
        stock_release(
            lines=[
                ReleaseLine(variant_id=item.variant_id, quantity=item.quantity)
                for item in order.items.all()
            ],
            order_id=order.id,
        )
        # Same transaction, same lock: a discount code's use comes back with the
        # stock, exactly once (checkout's receiver).
        order_released.send(sender=Order, order=order)
    logger.info("Order %s: %s -> %s", public_id(PREFIXES["order"], order.id), order.status, target)
    order.status = target
    order.save(update_fields=["status", "updated_at"])
    if target in tasks.ORDER_EMAIL_STATUSES:
        _email_enqueue(order.id, target)


def _email_enqueue(order_id: uuid.UUID, status: str) -> None:
    # After the commit, like every job: a rolled-back move mails nothing.
    job_enqueue(
        tasks.order_status_email_send,
        order_id=str(order_id),
        status=str(status),
        queue="emails",
        retry=tasks.order_email_retry(),
    )
