"""Every write to payments: create, charge (the job's body), refund, webhooks.

The provider is never called inside a transaction that holds row locks: each
operation locks, decides and records in short transactions around the call.
"""

import logging
import time
import uuid
from decimal import Decimal

import orjson
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ecommerce.api.ids import PREFIXES, parse_public_id
from orders.models import Order
from payments.errors import (
    InvalidSignature,
    InvalidWebhookEvent,
    PaymentFailed,
    PaymentNotRefundable,
    RefundExceedsCapture,
)
from payments.gateway import (
    GatewayTransientError,
    PaymentDeclined,
    get_gateway,
    webhook_signature_valid,
)
from payments.models import Payment, Refund, WebhookEvent
from payments.state import REFUNDABLE, PaymentStatus, payment_transition_check

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")


def payment_create(*, order: Order, token: str | None) -> Payment:
    """A ``processing`` payment for ``order``; the caller enqueues the charge."""
    return Payment.objects.create(
        order=order,
        amount=order.total,
        currency=order.currency,
        provider=get_gateway().name,
        payment_token=token or "",
    )


def payment_charge(*, payment_id: uuid.UUID) -> str:
    """Charge a processing payment once; safe to run any number of times.

    Returns what happened: ``captured``, ``declined``, ``retry`` is never
    returned (a transient error is raised for RQ to retry), ``skipped`` when
    the payment is no longer processing, ``voided`` when its order was
    cancelled before the charge, ``failed`` after the last attempt.
    Raises GatewayTransientError while attempts remain.
    """
    from orders import services as order_services

    with transaction.atomic():
        payment = _locked(payment_id)
        if payment is None or payment.status != PaymentStatus.PROCESSING:
            return "skipped"
        if not order_services.order_awaits_payment(order_id=payment.order_id):
            _fail_locked(payment, "order_cancelled", "The order was cancelled before payment.")
            return "voided"
        payment.attempts += 1
        payment.save(update_fields=["attempts", "updated_at"])
        attempt = payment.attempts

    try:
        result = get_gateway().charge(
            amount=payment.amount,
            currency=payment.currency,
            token=payment.payment_token,
            idempotency_key=f"charge-{payment.id}",
        )
    except PaymentDeclined as exc:
        _payment_fail(payment_id, exc.code, exc.message)
        return "declined"
    except GatewayTransientError as exc:
        if attempt >= settings.PAYMENT_MAX_ATTEMPTS:
            _payment_fail(payment_id, "gateway_unavailable", str(exc)[:255])
            return "failed"
        logger.warning("Charge attempt %s of payment %s failed: %s", attempt, payment_id, exc)
        raise
    return _payment_capture(payment_id, result.reference)


def refund_create(
    *,
    payment_id: uuid.UUID,
    amount: Decimal | None = None,
    reason: str = "",
    actor=None,
) -> Refund:
    """Refund ``amount`` (default: all that is left) of a captured payment.

    The amount is reserved under the payment's row lock before the provider is
    called, so concurrent refunds can never add up to more than the capture.
    Raises PaymentNotRefundable, RefundExceedsCapture, PaymentFailed.
    """
    with transaction.atomic():
        payment = _locked(payment_id)
        if payment is None or payment.status not in REFUNDABLE:
            raise PaymentNotRefundable()
        reserved = sum(
            (r.amount for r in payment.refunds.filter(status=Refund.Status.PENDING)), Decimal(0)
        )
        available = payment.refundable_amount - reserved
        amount = available if amount is None else amount.quantize(CENT)
        if amount <= 0 or amount > available:
            raise RefundExceedsCapture(
                details={"amount": [f"At most {available} can be refunded."]}
            )
        refund = Refund.objects.create(
            payment=payment, amount=amount, reason=reason[:255], created_by=actor
        )

    try:
        result = get_gateway().refund(
            charge_reference=payment.provider_reference,
            amount=amount,
            currency=payment.currency,
            idempotency_key=f"refund-{refund.id}",
        )
    except (PaymentDeclined, GatewayTransientError) as exc:
        Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.FAILED, failure_message=str(exc)[:255]
        )
        raise PaymentFailed("The provider refused the refund; nothing was refunded.") from exc
    return _refund_complete(refund.id, result.reference)


def refund_resume(*, refund_id: uuid.UUID) -> str:
    """Finish a refund left ``pending``: its process died while calling the provider.

    The provider call is repeated with the refund's own idempotency key, so a
    refund the provider already made is reported, not made again; completing
    is a no-op for a refund no longer pending. Returns ``refunded``, ``failed``
    (declined: its reserved amount is released), ``retry`` (transient error,
    the next sweep tries again) or ``skipped``.
    """
    refund = (
        Refund.objects.select_related("payment")
        .filter(pk=refund_id, status=Refund.Status.PENDING)
        .first()
    )
    if refund is None:
        return "skipped"
    try:
        result = get_gateway().refund(
            charge_reference=refund.payment.provider_reference,
            amount=refund.amount,
            currency=refund.payment.currency,
            idempotency_key=f"refund-{refund.id}",
        )
    except PaymentDeclined as exc:
        Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.FAILED, failure_message=str(exc)[:255]
        )
        return "failed"
    except GatewayTransientError as exc:
        logger.warning("Resuming refund %s failed, will retry: %s", refund_id, exc)
        return "retry"
    _refund_complete(refund.id, result.reference)
    return "refunded"


def payments_sweep() -> int:
    """Re-queue charges whose job was lost (e.g. Redis was down at order time),
    and refunds left pending by a process that died while calling the provider.

    A processing payment or pending refund untouched for PAYMENT_SWEEP_AFTER
    seconds gets its job again; both are idempotent, so a slow one is not
    harmed. Returns how many jobs were queued.
    """
    from ecommerce.jobs import job_enqueue
    from payments import tasks

    stale_before = timezone.now() - timezone.timedelta(seconds=settings.PAYMENT_SWEEP_AFTER)
    ids = list(
        Payment.objects.filter(
            status=PaymentStatus.PROCESSING, updated_at__lt=stale_before
        ).values_list("id", flat=True)[:500]
    )
    for payment_id in ids:
        job_enqueue(
            tasks.payment_charge,
            payment_id=str(payment_id),
            queue="payments",
            retry=tasks.payment_charge_retry(),
        )
    # Refunds whose process died mid-call: their amount stays reserved (and the
    # customer unpaid) until they are finished.
    refund_ids = list(
        Refund.objects.filter(status=Refund.Status.PENDING, updated_at__lt=stale_before)
        .order_by("updated_at")
        .values_list("id", flat=True)[:500]
    )
    for refund_id in refund_ids:
        job_enqueue(tasks.refund_resume, refund_id=str(refund_id), queue="payments")
    if ids or refund_ids:
        logger.info("Payment sweep re-queued %s charges and %s refunds", len(ids), len(refund_ids))
    return len(ids) + len(refund_ids)


def webhook_handle(*, body: bytes, signature: str) -> bool:
    """Apply a signed provider event once. Returns False for a replayed event.

    The signature is checked first, in constant time, over the raw body.
    Raises InvalidSignature, or a validation error for a malformed event.
    Known types: ``charge.succeeded`` and ``charge.failed`` with
    ``data.paymentId`` (``pay_...``), ``data.reference``, ``data.code``;
    other types are recorded and otherwise ignored.
    """
    valid = webhook_signature_valid(
        settings.PAYMENT_WEBHOOK_SECRET,
        signature,
        body,
        now=time.time(),
        tolerance=settings.PAYMENT_WEBHOOK_TOLERANCE,
    )
    if not valid:
        raise InvalidSignature()
    event = _webhook_event_parse(body)
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    payment_id = parse_public_id(PREFIXES["payment"], str(data.get("paymentId", "")))
    refund_after = False
    # The event id and its effect commit together: an effect that fails rolls
    # the id back too, so the provider's redelivery applies it instead of being
    # taken for a replay. A concurrent duplicate waits on the unique index and
    # then finds the id taken.
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookEvent.objects.create(event_id=event["id"], type=event["type"], payload=event)
        except IntegrityError:
            logger.info("Webhook event %s replayed; ignored", event["id"])
            return False
        if event["type"] == "charge.succeeded" and payment_id:
            _, refund_after = _payment_capture_record(
                payment_id, str(data.get("reference", ""))[:255]
            )
        elif event["type"] == "charge.failed" and payment_id:
            _payment_fail(
                payment_id, str(data.get("code", "declined")), "Declined by the provider."
            )
        else:
            logger.info(
                "Webhook event %s of type %s recorded, no action", event["id"], event["type"]
            )
    if refund_after:
        # After the commit: the provider is never called under row locks.
        _refund_cancelled_capture(payment_id)
    return True


def _webhook_event_parse(body: bytes) -> dict:
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidWebhookEvent("The event body is not valid JSON.") from exc
    if not isinstance(event, dict):
        raise InvalidWebhookEvent(details={"nonFieldErrors": ["An event must be an object."]})
    if _has_nul(event):
        # PostgreSQL text and jsonb cannot hold NUL: refuse it as bad input.
        raise InvalidWebhookEvent(details={"nonFieldErrors": ["NUL characters are not allowed."]})
    errors = {
        field: ["Required: a non-empty string of at most 255 characters."]
        for field in ("id", "type")
        if not isinstance(event.get(field), str) or not 0 < len(event[field]) <= 255
    }
    if errors:
        raise InvalidWebhookEvent(details=errors)
    return event


def _has_nul(value: object) -> bool:
    # Iterative: a deeply nested event must not exhaust the recursion limit.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _payment_capture(payment_id: uuid.UUID, reference: str) -> str:
    outcome, refund_after = _payment_capture_record(payment_id, reference)
    if refund_after:
        _refund_cancelled_capture(payment_id)
    return outcome


def _payment_capture_record(payment_id: uuid.UUID, reference: str) -> tuple[str, bool]:
    """Record a capture; returns ``(outcome, whether the capture must be refunded)``.

    The second is True when the order was cancelled while the provider was
    charging: the caller refunds once this transaction has committed.
    """
    from orders import services as order_services

    with transaction.atomic():
        payment = _locked(payment_id)
        if payment is None or payment.status != PaymentStatus.PROCESSING:
            return "skipped", False
        payment_transition_check(payment.status, PaymentStatus.CAPTURED)
        payment.status = PaymentStatus.CAPTURED
        payment.provider_reference = reference
        payment.captured_amount = payment.amount
        payment.captured_at = timezone.now()
        payment.failure_code = payment.failure_message = ""
        payment.save()
        order_paid = order_services.order_mark_paid(order_id=payment.order_id)
    return "captured", not order_paid


def _refund_cancelled_capture(payment_id: uuid.UUID) -> None:
    """Give back a capture whose order was cancelled during the charge.

    A refused refund must not undo the recorded capture nor fail the job
    (a retried charge would only skip): it is logged, and the payment stays
    captured for staff to refund from the admin.
    """
    try:
        refund_create(payment_id=payment_id, reason="Order cancelled during payment")
    except PaymentFailed:
        logger.exception("Refund of payment %s, captured after its order was cancelled", payment_id)


def _payment_fail(payment_id: uuid.UUID, code: str, message: str) -> None:
    with transaction.atomic():
        payment = _locked(payment_id)
        if payment is None or payment.status != PaymentStatus.PROCESSING:
            return
        _fail_locked(payment, code, message)


def _fail_locked(payment: Payment, code: str, message: str) -> None:
    from orders import services as order_services

    payment_transition_check(payment.status, PaymentStatus.FAILED)
    payment.status = PaymentStatus.FAILED
    payment.failure_code = code[:64]
    payment.failure_message = message[:255]
    payment.save()
    order_services.order_mark_payment_failed(order_id=payment.order_id)


def _refund_complete(refund_id: uuid.UUID, reference: str) -> Refund:
    from orders import services as order_services

    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status != Refund.Status.PENDING:
            # Completed by a concurrent resume: count the money once.
            return refund
        payment = _locked(refund.payment_id)
        refund.status = Refund.Status.SUCCEEDED
        refund.provider_reference = reference
        refund.save()
        payment.refunded_amount += refund.amount
        target = (
            PaymentStatus.REFUNDED
            if payment.refunded_amount >= payment.captured_amount
            else PaymentStatus.PARTIALLY_REFUNDED
        )
        payment_transition_check(payment.status, target)
        payment.status = target
        payment.save()
        if target == PaymentStatus.REFUNDED:
            order_services.order_mark_refunded(order_id=payment.order_id)
    return refund


def _locked(payment_id: uuid.UUID | str) -> Payment | None:
    return Payment.objects.select_for_update(of=("self",)).filter(pk=payment_id).first()
