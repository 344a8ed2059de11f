"""The payment status machine: the one table every payment status change goes through."""

from django.db import models

from ecommerce.api.errors import Conflict


class PaymentStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    CAPTURED = "captured", "Captured"
    FAILED = "failed", "Failed"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"


PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.PROCESSING: frozenset({PaymentStatus.CAPTURED, PaymentStatus.FAILED}),
    PaymentStatus.CAPTURED: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}),
    PaymentStatus.PARTIALLY_REFUNDED: frozenset(
        {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
    ),
    PaymentStatus.FAILED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
}

REFUNDABLE = frozenset({PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED})


class IllegalPaymentTransition(Conflict):
    message = "The payment cannot move to that status from its current one."


def payment_transition_check(current: str, target: str) -> None:
    if target not in PAYMENT_TRANSITIONS.get(current, frozenset()):
        raise IllegalPaymentTransition(
            f"A payment that is {current} cannot become {target}.",
            details={"status": [f"Cannot move from {current} to {target}."]},
        )
