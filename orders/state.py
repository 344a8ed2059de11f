"""The order status machine: the one table every status change goes through."""

from django.db import models

from ecommerce.errors import Conflict


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending payment"
    PAID = "paid", "Paid"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset(
        {OrderStatus.PAID, OrderStatus.PAYMENT_FAILED, OrderStatus.CANCELLED}
    ),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED, OrderStatus.REFUNDED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED, OrderStatus.REFUNDED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.PAYMENT_FAILED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}

# Statuses staff may set by hand (API PATCH or admin). ``paid`` and
# ``payment_failed`` come from the payment; ``refunded`` from a full refund.
STAFF_SETTABLE = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED})

# Leaving one of these for one of those puts the order's stock back.
STOCK_HELD = frozenset({OrderStatus.PENDING, OrderStatus.PAID})
STOCK_RETURNED = frozenset({OrderStatus.PAYMENT_FAILED, OrderStatus.CANCELLED})


class IllegalOrderTransition(Conflict):
    message = "The order cannot move to that status from its current one."


def order_transition_check(current: str, target: str) -> None:
    if target not in ORDER_TRANSITIONS.get(current, frozenset()):
        raise IllegalOrderTransition(
            f"An order that is {current} cannot become {target}.",
            details={"status": [f"Cannot move from {current} to {target}."]},
        )


def order_returns_stock(current: str, target: str) -> bool:
    return current in STOCK_HELD and target in STOCK_RETURNED
