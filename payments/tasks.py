"""Background jobs of the payments app (thin: they call services)."""

import uuid

from django.conf import settings
from rq import Retry


def payment_charge(*, payment_id: str) -> str:
    """Charge one payment. Transient provider errors raise, and RQ retries."""
    from payments.services import payment_charge as charge

    return charge(payment_id=uuid.UUID(payment_id))


def refund_resume(*, refund_id: str) -> str:
    """Finish a refund left pending; never refunds twice (see the service)."""
    from payments.services import refund_resume as resume

    return resume(refund_id=uuid.UUID(refund_id))


def payment_refresh(*, payment_id: str) -> str:
    """Ask the provider about a payment awaiting the customer (see the service)."""
    from payments.services import payment_refresh as refresh

    return refresh(payment_id=uuid.UUID(payment_id))


def payments_sweep() -> int:
    from payments.services import payments_sweep as sweep

    return sweep()


def payment_charge_retry() -> Retry:
    intervals = settings.PAYMENT_RETRY_INTERVALS
    return Retry(max=max(settings.PAYMENT_MAX_ATTEMPTS - 1, 0), interval=intervals)
