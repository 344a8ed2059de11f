"""Reads of payments used by the views."""

import uuid

from payments.models import Payment


def payment_get_visible(*, viewer, payment_id: uuid.UUID) -> Payment | None:
    """The payment if the viewer owns its order or is an admin; None otherwise."""
    payments = Payment.objects.prefetch_related("refunds").filter(pk=payment_id)
    if not viewer.is_admin:
        payments = payments.filter(order__user=viewer)
    return payments.first()
