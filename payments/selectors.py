"""Reads of payments used by the views."""

import uuid
from typing import TYPE_CHECKING, Any

from payments.models import Payment
from payments.state import PaymentStatus

if TYPE_CHECKING:
    from accounts.models import User


def payment_get_visible(*, viewer: "User", payment_id: uuid.UUID) -> Payment | None:
    """The payment if the viewer owns its order or is an admin; None otherwise."""
    payments = (
        Payment.objects.select_related("order").prefetch_related("refunds").filter(pk=payment_id)
    )
    if not viewer.is_admin:
        payments = payments.filter(order__user=viewer)
    return payments.first()


def payment_next_action(payment: Payment, *, viewer: "User | None") -> dict[str, Any] | None:
    """``{type, clientSecret}`` while the payment awaits its customer, for that customer only.

    Not for staff (an admin sees the status, never the secret), not for
    anyone else, and None when no viewer is given (a stored response).
    """
    if (
        viewer is None
        or payment.status != PaymentStatus.REQUIRES_ACTION
        or not payment.next_action_client_secret
        or payment.order.user_id != getattr(viewer, "pk", None)
    ):
        return None
    return {"type": payment.next_action_type, "clientSecret": payment.next_action_client_secret}


def payment_of_order(*, order_id: uuid.UUID) -> Payment | None:
    """The order's payment (one per order), or None."""
    return Payment.objects.filter(order_id=order_id).first()
