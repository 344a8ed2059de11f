"""The use cases that compose catalog, orders and payments: quote, place, cancel, expire.

Dependencies point one way, ``checkout → payments → orders → catalog``
(import-linter's contract in pyproject.toml, run by ``make lint``). What an
order holds is given back by ``orders`` itself when its status changes
(stock), and by a receiver of ``orders.signals.order_released`` here (a
discount code's use), so a decline recorded by ``payments`` gives back both.

Global lock order
-----------------
Every transaction that locks more than one row takes its locks in this order,
skipping the ones it does not need, and never goes back up the list:

1. a refund's row (``payments``, completing a refund);
2. the payment's row (``payments``: a charge's outcome, a refund, a webhook);
3. the order's row (``orders``: every status change: paid, payment failed,
   cancelled, expired, refunded, shipped);
4. product rows, in primary-key order (``catalog.stock``; staff writes too);
5. variant rows, in (product, variant) order (``catalog.stock``);
6. the discount code's row, one per order (``checkout.discounts``).

Placing an order takes 4, 5, 6 (its own order row is new, invisible to others
until the commit). Cancelling one takes 3, then 4 and 5 to return the stock,
then 6 to give back the code's use; the payment's side (void, refund) runs
after that commit. A payment's outcome takes 2, then 3 and what follows.
Since every transaction climbs down the same list, and rows of one level are
taken in primary-key order, no two transactions can each hold a lock the
other waits for: crossed baskets queue on their first shared product, and
concurrent orders for the last uses of a code queue on its row, each seeing
the count the previous one committed.

The payment provider is never called while any of these locks is held.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, ProtectedError
from django.utils import timezone

from catalog.stock import ReservedLine, StockLine, basket_resolve, stock_reserve
from checkout.discounts import discount_code_get, discount_use_count
from checkout.errors import CheckoutInvalid
from checkout.models import DiscountCode, ShippingMethod, TaxRate
from checkout.pricing import BasketLine, Quote, basket_price
from ecommerce.errors import Conflict
from ecommerce.jobs.enqueue import job_enqueue
from orders import selectors as order_selectors
from orders import services as order_services
from orders.errors import OrderInvalid
from orders.models import IdempotencyRecord, Order
from orders.state import OrderStatus
from payments import selectors as payment_selectors
from payments import services as payment_services
from payments import tasks as payment_tasks
from payments.errors import PaymentFailed
from payments.state import REFUNDABLE, PaymentStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrderLineInput:
    """A basket line: a variant, or a simple product (its one variant)."""

    quantity: int
    product_id: uuid.UUID | None = None
    variant_id: uuid.UUID | None = None


def _stock_lines(items: Sequence[OrderLineInput]) -> list[StockLine]:
    return [
        StockLine(
            quantity=item.quantity,
            product_id=item.product_id,
            variant_id=item.variant_id,
            label=f"items[{index}]",
        )
        for index, item in enumerate(items)
    ]


def checkout_quote(
    *,
    items: Sequence[OrderLineInput],
    shipping_address: dict[str, str] | None = None,
    shipping_method_id: uuid.UUID | None = None,
    discount_code: str | None = None,
    customer: "User | AnonymousUser | None" = None,
) -> Quote:
    """What ``order_place`` would charge for the same input now; reserves and counts nothing.

    Reads the basket as ``stock_reserve`` would (merged lines, a simple
    product's one variant: ``catalog.stock.basket_resolve``), without a lock;
    stock is not checked (a quote is no promise of stock).
    Raises ProductUnavailable, QuantityTooLarge, CheckoutInvalid (400).
    """
    lines = _basket(
        basket_resolve(lines=_stock_lines(items), max_quantity=settings.ORDER_MAX_QUANTITY)
    )
    code = None
    if discount_code:
        code = discount_code_get(code=discount_code, customer=customer)
    return basket_price(
        lines=lines, address=shipping_address, shipping_method_id=shipping_method_id, code=code
    )


def _basket(reserved: Sequence[ReservedLine]) -> list[BasketLine]:
    return [
        BasketLine(variant=line.variant, quantity=line.quantity, label=line.label)
        for line in reserved
    ]


def order_place(
    *,
    user: "User",
    items: Sequence[OrderLineInput],
    shipping_address: dict[str, str],
    payment_method: str = "card",
    payment_token: str | None = None,
    shipping_method_id: uuid.UUID | None = None,
    discount_code: str | None = None,
    idempotency_record: IdempotencyRecord | None = None,
) -> Order:
    """Place a pending order with a processing payment for its ``total``, in one transaction.

    The payment token is checked with the provider first, outside the
    transaction. Then, locking as this module's docstring says: the stock is
    reserved (products, variants), the code is locked and checked, the basket
    is priced by ``checkout.pricing.basket_price`` (as a quote is), the order
    and its lines are recorded with the breakdown, the code's use is counted,
    and the payment is created; the charge job is enqueued on commit.
    Raises ProductUnavailable, QuantityTooLarge, PaymentTokenInvalid,
    CheckoutInvalid (400), InsufficientStock (409); on any error nothing is
    written, reserved or counted.
    """
    payment_services.payment_token_check(token=payment_token)
    order_id = uuid.uuid4()
    with transaction.atomic():
        reserved = stock_reserve(
            lines=_stock_lines(items), order_id=order_id, max_quantity=settings.ORDER_MAX_QUANTITY
        )
        code = None
        if discount_code:
            code = discount_code_get(code=discount_code, customer=user, lock=True)
        quote = basket_price(
            lines=_basket(reserved),
            address=shipping_address,
            shipping_method_id=shipping_method_id,
            code=code,
        )
        order = order_services.order_record(
            order_id=order_id,
            user=user,
            lines=[
                order_services.OrderLineRecord(
                    variant=line.variant,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    line_total=line.line_total,
                    discount=line.discount,
                    tax=line.tax,
                )
                for line in quote.lines
            ],
            totals=order_services.OrderTotals(
                subtotal=quote.subtotal,
                discount_total=quote.discount_total,
                shipping_total=quote.shipping_total,
                tax_total=quote.tax_total,
                total=quote.total,
                currency=quote.currency,
                prices_include_tax=quote.prices_include_tax,
                shipping_method=quote.shipping.as_dict() if quote.shipping else None,
                discount=quote.discount,
            ),
            shipping_address=shipping_address,
            payment_method=payment_method,
            idempotency_record=idempotency_record,
        )
        if code is not None:
            discount_use_count(code=code, order=order, customer=user, amount=quote.discount_total)
        payment = payment_services.payment_create(order=order, token=payment_token)
        job_enqueue(
            payment_tasks.payment_charge,
            payment_id=str(payment.id),
            queue="payments",
            retry=payment_tasks.payment_charge_retry(),
        )
    return order


def order_cancel(*, order_id: uuid.UUID, reason: str = "Cancelled") -> Order:
    """Cancel a pending or paid order: stock and a code's use go back, a capture is refunded.

    A pending order's charge, if still queued, sees the cancellation and does
    not charge; if it was already at the provider, its capture is refunded
    when it lands; one awaiting the customer (requires_action) is cancelled
    at the provider. The payment is read under the order's lock; the provider
    is called after the commit. Raises IllegalOrderTransition (409) in any
    other status.
    """
    with transaction.atomic():
        order_services.order_cancel(order_id=order_id)
        payment = payment_selectors.payment_of_order(order_id=order_id)
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
    """A staff move (API PATCH, admin): a cancellation refunds (``order_cancel``), the
    rest is ``orders.services.order_status_set``. Raises OrderInvalid (400),
    IllegalOrderTransition (409)."""
    if status == OrderStatus.CANCELLED:
        if carrier or tracking_number:
            raise OrderInvalid(
                "A carrier and tracking number go with status shipped only.",
                details={
                    field: ["Only with status shipped."]
                    for field, value in (("carrier", carrier), ("trackingNumber", tracking_number))
                    if value
                },
            )
        return order_cancel(order_id=order_id, reason="Cancelled by staff")
    return order_services.order_status_set(
        order_id=order_id, status=status, carrier=carrier, tracking_number=tracking_number
    )


def orders_expire_pending() -> int:
    """Cancel orders pending longer than ORDER_PENDING_TIMEOUT; returns how many.

    Their stock and code uses come back with the cancellation; a payment still
    awaiting the customer (requires_action) is cancelled at the provider once
    its order's cancellation has committed.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.ORDER_PENDING_TIMEOUT)
    expired = 0
    for order_id in order_selectors.order_ids_pending_before(cutoff=cutoff):
        if not order_services.order_expire(order_id=order_id):
            continue
        expired += 1
        payment_services.payment_void(order_id=order_id)
    if expired:
        logger.info("Expired %s pending orders and returned their stock", expired)
    return expired


# --- The pricing rules: staff writes (API and admin) -------------------------------


_Rule = TypeVar("_Rule", bound=Model)


def _saved(instance: _Rule, fields: dict[str, Any], *, unique_message: str) -> _Rule:
    for name, value in fields.items():
        setattr(instance, name, value)
    try:
        with transaction.atomic():
            instance.full_clean(validate_unique=False, validate_constraints=False)
            instance.save()
    except IntegrityError as exc:
        raise Conflict(unique_message) from exc
    except DjangoValidationError as exc:
        raise CheckoutInvalid(details=exc.message_dict) from exc
    return instance


def shipping_method_save(
    *, instance: ShippingMethod | None = None, **fields: Any
) -> ShippingMethod:
    """Create (``method`` None) or change a shipping method. Raises CheckoutInvalid (400)."""
    return _saved(instance or ShippingMethod(), fields, unique_message="Not saved.")


def tax_rate_save(*, instance: TaxRate | None = None, **fields: Any) -> TaxRate:
    """Create or change a tax rate. Raises Conflict (409) when the place and category
    already have one."""
    if "state" in fields:
        fields["state"] = (fields["state"] or "").strip()
    return _saved(
        instance or TaxRate(),
        fields,
        unique_message="A rate for that country, state and category exists already.",
    )


def discount_code_save(*, instance: DiscountCode | None = None, **fields: Any) -> DiscountCode:
    """Create or change a code (``uses`` is never written here). Raises Conflict (409)
    when another code has the same letters in any case."""
    categories = fields.pop("categories", None)
    with transaction.atomic():
        saved = _saved(
            instance or DiscountCode(),
            fields,
            unique_message="A code with those letters (in any case) exists already.",
        )
        if categories is not None:
            saved.categories.set(categories)
    return saved


def pricing_rule_delete(*, rule: ShippingMethod | TaxRate | DiscountCode) -> None:
    """Delete a shipping method, tax rate or code. A code that orders used is kept
    (Conflict, 409): deactivate it instead, so its audit trail stays."""
    try:
        with transaction.atomic():
            rule.delete()
    except ProtectedError as exc:
        raise Conflict("Orders used this code: set active to false instead.") from exc
