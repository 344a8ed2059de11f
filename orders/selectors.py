"""Reads of orders used by the views."""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from orders.models import Order
from orders.state import OrderStatus

if TYPE_CHECKING:
    from accounts.models import User


def _orders() -> QuerySet[Order]:
    return Order.objects.select_related("payment").prefetch_related("items")


def order_list(
    *, viewer: "User", status: str | None = None, user_id: uuid.UUID | None = None
) -> QuerySet[Order]:
    """The viewer's own orders (all orders for an admin), newest first."""
    orders = _orders().order_by("-created_at", "-id")
    if not viewer.is_admin:
        orders = orders.filter(user=viewer)
    if status:
        orders = orders.filter(status=status)
    if user_id:
        orders = orders.filter(user_id=user_id)
    return orders


def order_get_visible(*, viewer: "User", order_id: uuid.UUID) -> Order | None:
    """The order if the viewer owns it or is an admin; None otherwise (a 404)."""
    orders = _orders().filter(pk=order_id)
    if not viewer.is_admin:
        orders = orders.filter(user=viewer)
    return orders.first()


def order_ids_pending_before(*, cutoff: datetime, limit: int = 500) -> list[uuid.UUID]:
    """Ids of orders still pending since before ``cutoff``, oldest first (the expiry's batch)."""
    return list(
        Order.objects.filter(status=OrderStatus.PENDING, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("id", flat=True)[:limit]
    )
