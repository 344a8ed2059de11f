"""The payment status machine: the one table every payment status change goes through."""

from django.db import models

from ecommerce.errors import Conflict


class PaymentStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    # The provider needs the customer (3-D Secure); its webhook tells the outcome.
    REQUIRES_ACTION = "requires_action", "Requires action"
    CAPTURED = "captured", "Captured"
    FAILED = "failed", "Failed"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"
    # The customer's bank disputes the charge: staff answer it in the provider's dashboard.
    DISPUTED = "disputed", "Disputed"


PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.PROCESSING: frozenset(
        {PaymentStatus.CAPTURED, PaymentStatus.FAILED, PaymentStatus.REQUIRES_ACTION}
    ),
    PaymentStatus.REQUIRES_ACTION: frozenset({PaymentStatus.CAPTURED, PaymentStatus.FAILED}),
    PaymentStatus.CAPTURED: frozenset(
        {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED, PaymentStatus.DISPUTED}
    ),
    PaymentStatus.PARTIALLY_REFUNDED: frozenset(
        {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED, PaymentStatus.DISPUTED}
    ),
    PaymentStatus.FAILED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
    # A dispute's outcome is settled in the provider's dashboard, outside this machine.
    PaymentStatus.DISPUTED: frozenset(),
}

REFUNDABLE = frozenset({PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED})
# Not charged yet: the provider may still capture, or be told to cancel.
AWAITING_CAPTURE = frozenset({PaymentStatus.PROCESSING, PaymentStatus.REQUIRES_ACTION})


class IllegalPaymentTransition(Conflict):
    message = "The payment cannot move to that status from its current one."


def payment_transition_check(current: str, target: str) -> None:
    if target not in PAYMENT_TRANSITIONS.get(current, frozenset()):
        raise IllegalPaymentTransition(
            f"A payment that is {current} cannot become {target}.",
            details={"status": [f"Cannot move from {current} to {target}."]},
        )
