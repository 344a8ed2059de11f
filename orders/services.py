"""Every write to orders: creation, payment outcomes, cancellation, staff moves.

An order's status only changes under its row lock and through the transition
table in ``orders.state``; the change that gives stock back happens once, so
stock comes back exactly once whatever races.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.stock import ReleaseLine, StockLine, stock_release, stock_reserve
from ecommerce.api.ids import PREFIXES, public_id
from ecommerce.jobs import job_enqueue
from orders import tasks
from orders.errors import OrderInvalid
from orders.models import IdempotencyRecord, Order, OrderItem
from orders.state import (
    ORDER_TRANSITIONS,
    STAFF_SETTABLE,
    IllegalOrderTransition,
    OrderStatus,
    order_returns_stock,
    order_transition_check,
)

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")


@dataclass(frozen=True)
class OrderLineInput:
    """A basket line: a variant, or a simple product (its one variant)."""

    quantity: int
    product_id: uuid.UUID | None = None
    variant_id: uuid.UUID | None = None


def order_create(
    *,
    user,
    items: Sequence[OrderLineInput],
    shipping_address: dict[str, str],
    payment_method: str = "card",
    payment_token: str | None = None,
    idempotency_record: IdempotencyRecord | None = None,
) -> Order:
    """Create a pending order with a processing payment, in one transaction.

    Lines that come to the same variant are merged (a simple product's
    ``product_id`` and its variant's ``variant_id`` too). Rows are locked as
    ``catalog.stock`` says (products, then variants, in primary-key order),
    every line is checked, stock is decremented, the name, SKU, options and
    price are snapshotted from the catalog. The charge job is enqueued when the
    transaction commits.
    The payment token is checked with the provider first, outside the
    transaction (a provider call never runs under row locks).
    Raises OrderInvalid, ProductUnavailable, QuantityTooLarge, PaymentTokenInvalid (400),
    InsufficientStock (409); on any error nothing is written.
    """
    from payments import services as payment_services
    from payments import tasks as payment_tasks

    lines = [
        StockLine(
            quantity=item.quantity,
            product_id=item.product_id,
            variant_id=item.variant_id,
            label=f"items[{index}]",
        )
        for index, item in enumerate(items)
    ]
    payment_services.payment_token_check(token=payment_token)
    order_id = uuid.uuid4()
    with transaction.atomic():
        reserved = stock_reserve(
            lines=lines, order_id=order_id, max_quantity=settings.ORDER_MAX_QUANTITY
        )
        currencies = {line.variant.product.currency for line in reserved}
        if len(currencies) > 1:
            raise OrderInvalid(
                "All items of an order must be priced in one currency.",
                details={"items": [f"Mixed currencies: {', '.join(sorted(currencies))}."]},
            )
        order_items = []
        for line in reserved:
            variant = line.variant
            order_items.append(
                OrderItem(
                    product=variant.product,
                    variant=variant,
                    name=variant.product.name,
                    sku=variant.sku,
                    options=dict(variant.options),
                    unit_price=variant.price,
                    quantity=line.quantity,
                    line_total=(variant.price * line.quantity).quantize(CENT, ROUND_HALF_UP),
                )
            )
        subtotal = sum((item.line_total for item in order_items), Decimal("0.00"))
        order = Order.objects.create(
            id=order_id,
            user=user,
            subtotal=subtotal,
            # No shipping or tax model yet: the total is the subtotal.
            total=subtotal,
            currency=currencies.pop(),
            shipping_address=shipping_address,
            payment_method=payment_method,
        )
        for item in order_items:
            item.order = order
        OrderItem.objects.bulk_create(order_items)
        # What ``order.items.all()`` would read back: the response is
        # rendered from these instead of a second query.
        order._prefetched_objects_cache = {"items": _prefetched(order, order_items)}
        payment = payment_services.payment_create(order=order, token=payment_token)
        if idempotency_record is not None:
            # Same transaction: a crash can never leave an order whose key
            # would let a retry create a second one.
            IdempotencyRecord.objects.filter(pk=idempotency_record.pk).update(order=order)
        job_enqueue(
            payment_tasks.payment_charge,
            payment_id=str(payment.id),
            queue="payments",
            retry=payment_tasks.payment_charge_retry(),
        )
    return order


def order_awaits_payment(*, order_id: uuid.UUID) -> bool:
    """Whether a charge for this order should go ahead (it is still pending)."""
    return Order.objects.filter(pk=order_id, status=OrderStatus.PENDING).exists()


def order_mark_paid(*, order_id: uuid.UUID) -> bool:
    """Payment captured: pending -> paid, and the confirmation e-mail is queued (``_move``).

    Returns False when the order is no longer pending (cancelled while the
    charge ran): the caller refunds the capture.
    """
    with transaction.atomic():
        order = _locked(order_id)
        if order.status != OrderStatus.PENDING:
            return False
        _move(order, OrderStatus.PAID)
    return True


def order_mark_payment_failed(*, order_id: uuid.UUID) -> None:
    """Payment declined or abandoned: pending -> payment_failed, and everything the
    order holds is given back (its stock; a discount code's use goes here too)."""
    with transaction.atomic():
        order = _locked(order_id)
        if order.status == OrderStatus.PENDING:
            _move(order, OrderStatus.PAYMENT_FAILED)


def order_mark_refunded(*, order_id: uuid.UUID) -> None:
    """Payment fully refunded: a paid, shipped or delivered order becomes refunded."""
    with transaction.atomic():
        order = _locked(order_id)
        if OrderStatus.REFUNDED in _allowed(order.status):
            _move(order, OrderStatus.REFUNDED)


def order_cancel(*, order_id: uuid.UUID, reason: str = "Cancelled") -> Order:
    """Cancel a pending or paid order: stock goes back, a capture is refunded.

    A pending order's charge, if still queued, sees the cancellation and does
    not charge; if it was already at the provider, its capture is refunded
    when it lands; one awaiting the customer (requires_action) is cancelled
    at the provider. Raises IllegalOrderTransition (409) in any other status.
    """
    from payments import services as payment_services
    from payments.errors import PaymentFailed
    from payments.state import REFUNDABLE, PaymentStatus

    with transaction.atomic():
        order = _locked(order_id)
        _move(order, OrderStatus.CANCELLED)
        payment = getattr(order, "payment", None)
        refund_payment_id = payment.id if payment and payment.status in REFUNDABLE else None
        awaiting_customer = payment is not None and payment.status == PaymentStatus.REQUIRES_ACTION
    if awaiting_customer:
        payment_services.payment_void(order_id=order_id)
    if refund_payment_id:
        try:
            payment_services.refund_create(payment_id=refund_payment_id, reason=reason)
        except PaymentFailed:
            # The cancellation stands (stock is back); the money is still
            # captured and staff retry the refund from the admin.
            logger.exception("Refund for cancelled order %s failed", order_id)
    return Order.objects.get(pk=order_id)


def order_status_set(
    *, order_id: uuid.UUID, status: str, carrier: str = "", tracking_number: str = ""
) -> Order:
    """A staff move (ship, deliver, cancel). Raises IllegalOrderTransition (409).

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
    if status == OrderStatus.CANCELLED:
        return order_cancel(order_id=order_id, reason="Cancelled by staff")
    if status not in STAFF_SETTABLE:
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


def orders_expire_pending() -> int:
    """Cancel orders pending longer than ORDER_PENDING_TIMEOUT; returns how many.

    A payment still awaiting the customer (requires_action) is cancelled at
    the provider once its order's cancellation has committed.
    """
    from payments import services as payment_services

    cutoff = timezone.now() - timezone.timedelta(seconds=settings.ORDER_PENDING_TIMEOUT)
    ids = list(
        Order.objects.filter(status=OrderStatus.PENDING, created_at__lt=cutoff).values_list(
            "id", flat=True
        )[:500]
    )
    expired = 0
    for order_id in ids:
        with transaction.atomic():
            order = _locked(order_id)
            if order.status != OrderStatus.PENDING:
                continue
            _move(order, OrderStatus.CANCELLED)
            expired += 1
        payment_services.payment_void(order_id=order_id)
    if expired:
        logger.info("Expired %s pending orders and returned their stock", expired)
    return expired


def _prefetched(order: Order, items: list[OrderItem]):
    queryset = order.items.all()
    queryset._result_cache = items
    queryset._prefetch_done = True
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
    logger.info("Order %s: %s -> %s", public_id(PREFIXES["order"], order.id), order.status, target)
    order.status = target
    order.save(update_fields=["status", "updated_at"])
    if target in tasks.ORDER_EMAIL_STATUSES:
        # After the commit, like every job: a rolled-back move mails nothing.
        job_enqueue(
            tasks.order_status_email_send,
            order_id=str(order.id),
            status=str(target),
            queue="emails",
            retry=tasks.order_email_retry(),
        )
