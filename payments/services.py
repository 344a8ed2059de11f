"""Every write to payments: create, charge (the job's body), refund, webhooks.

The provider is never called inside a transaction that holds row locks: each
operation locks, decides and records in short transactions around the call.
"""

import functools
import logging
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ecommerce.api.ids import PREFIXES, parse_public_id, public_id
from ecommerce.errors import ServiceUnavailable
from orders import services as order_services
from orders.models import Order
from orders.state import OrderStatus
from payments.errors import (
    InvalidSignature,
    InvalidWebhookEvent,
    PaymentFailed,
    PaymentNotRefundable,
    PaymentTokenInvalid,
    RefundExceedsCapture,
)
from payments.gateway import (
    ChargeContext,
    ChargeResult,
    GatewayError,
    GatewayPermanentError,
    GatewayTransientError,
    InvalidPaymentToken,
    PaymentDeclined,
    get_gateway,
    webhook_signature_valid,
)
from payments.models import Payment, Refund, WebhookEvent
from payments.state import (
    AWAITING_CAPTURE,
    REFUNDABLE,
    PaymentStatus,
    payment_transition_check,
)

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")

# The provider's last permanent error, for /ready (see gateway_error_record).
GATEWAY_ERROR_KEY = "payments:gateway_error"
GATEWAY_ERROR_TTL = 3600


def gateway_error_record(error: GatewayPermanentError) -> None:
    """Log a permanent provider error and show it on /ready for an hour.

    Readiness stays 200: a bad key is the operator's to fix, and taking every
    pod out of the load balancer would stop the catalog too. The next capture
    clears it.
    """
    logger.error(
        "Payment provider %s refused a request permanently: %s: %s",
        get_gateway().name,
        error.code,
        error.message,
    )
    cache.set(
        GATEWAY_ERROR_KEY,
        {"code": error.code, "since": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")},
        GATEWAY_ERROR_TTL,
    )


def gateway_error_current() -> dict[str, Any] | None:
    """What /ready shows: ``{"code", "since"}`` of the last permanent error, or None."""
    return cast("dict[str, Any] | None", cache.get(GATEWAY_ERROR_KEY))


def payment_token_check(*, token: str | None) -> None:
    """Before an order is written: the provider must be able to charge ``token``.

    Raises PaymentTokenInvalid (400 on ``paymentToken``); ServiceUnavailable
    when the provider refuses us permanently (a bad key): no order is made
    that could not be paid.
    """
    check = getattr(get_gateway(), "token_check", None)
    if check is None:
        return
    try:
        check(token or "")
    except InvalidPaymentToken as exc:
        raise PaymentTokenInvalid(details={"paymentToken": [exc.message]}) from None
    except GatewayPermanentError as exc:
        gateway_error_record(exc)
        raise ServiceUnavailable("Payments are unavailable; no order was placed.") from None


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

    Returns what happened: ``captured``, ``declined``, ``requires_action``
    (the customer must authenticate; the webhook tells the outcome), ``retry``
    is never returned (a transient error is raised for RQ to retry),
    ``skipped`` when the payment is no longer processing, ``voided`` when its
    order was cancelled before the charge, ``failed`` after the last attempt
    or a permanent provider error (logged, shown on /ready, not retried).
    Raises GatewayTransientError while attempts remain.
    """
    payment = _attempt_claim(payment_id)
    if payment is None:
        # Not processing, or its order is no longer pending: decided under the lock.
        with transaction.atomic():
            payment = _locked(payment_id)
            if payment is None or payment.status != PaymentStatus.PROCESSING:
                return "skipped"
            if order_services.order_awaits_payment(order_id=payment.order_id):
                # Both hold now (a concurrent writer of the payment was in
                # between): claim under the lock.
                payment.attempts += 1
                payment.save(update_fields=["attempts", "updated_at"])
            else:
                _fail_locked(payment, "order_cancelled", "The order was cancelled before payment.")
                if payment.provider_reference:
                    # An intent an earlier attempt made and never confirmed: cancel it
                    # at the provider too, once this has committed (never under the lock).
                    transaction.on_commit(
                        functools.partial(_intent_cancel_quietly, payment.provider_reference)
                    )
                return "voided"
    attempt = payment.attempts

    context = ChargeContext(
        payment_id=payment.id,
        order_id=payment.order_id,
        attempt=attempt,
        reference=payment.provider_reference,
        reference_record=functools.partial(_payment_reference_record, payment.id),
    )
    try:
        result = get_gateway().charge(
            amount=payment.amount,
            currency=payment.currency,
            token=payment.payment_token,
            idempotency_key=f"charge-{payment.id}",
            context=context,
        )
    except PaymentDeclined as exc:
        _payment_fail(payment_id, exc.code, exc.message)
        return "declined"
    except GatewayPermanentError as exc:
        gateway_error_record(exc)
        _payment_fail(payment_id, "provider_error", f"{exc.code}: {exc.message}")
        return "failed"
    except GatewayTransientError as exc:
        if attempt >= settings.PAYMENT_MAX_ATTEMPTS:
            _payment_fail(payment_id, "gateway_unavailable", str(exc)[:255])
            return "failed"
        logger.warning("Charge attempt %s of payment %s failed: %s", attempt, payment_id, exc)
        raise
    if result.requires_action:
        return _payment_requires_action(payment_id, result)
    # The confirmation e-mail goes out from this job once the capture commits
    # (no second job; the e-mail job is its fallback).
    return _payment_capture(payment_id, result.reference, mail_inline=True)


def _db_id(payment_id: uuid.UUID) -> Any:
    """A payment id as the database stores it, for hand-written SQL (SQLite: hex text)."""
    return Payment._meta.pk.get_db_prep_value(payment_id, connection)


def _attempt_claim(payment_id: uuid.UUID) -> Payment | None:
    """Count the attempt of a processing payment whose order is still pending, and
    read what the charge needs, in one statement before the provider is called.

    ``UPDATE ... FROM orders ... RETURNING`` in autocommit: the payment's row
    lock is held for that statement only, and the attempt is recorded
    (committed) before the call, as the lock, the order's check and the save
    in a transaction of their own did (five round trips, now one). The order
    is read, not locked, as before: a cancellation that commits after this is
    seen by the capture, which refunds. None when the statement matched no
    row: the payment is not processing, or its order not pending (the caller
    decides which under the lock).
    """
    if connection.vendor != "postgresql":
        # SQLite (make run's embedded mode) has no UPDATE ... FROM ... RETURNING
        # with aliases: the caller's locked path claims instead.
        return None
    payments, orders = Payment._meta.db_table, Order._meta.db_table
    sql = (
        f'UPDATE "{payments}" AS p SET "attempts" = p."attempts" + 1, "updated_at" = %s '  # noqa: S608 (the models' tables; values bound)
        f'FROM "{orders}" AS o '
        'WHERE p."id" = %s AND p."status" = %s AND o."id" = p."order_id" AND o."status" = %s '
        'RETURNING p."order_id", p."amount", p."currency", p."payment_token", '
        'p."provider_reference", p."attempts"'
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [timezone.now(), payment_id, PaymentStatus.PROCESSING, OrderStatus.PENDING]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    order_id, amount, currency, token, reference, attempts = row
    return Payment(
        id=payment_id,
        order_id=order_id,
        amount=amount,
        currency=currency,
        payment_token=token,
        provider_reference=reference,
        attempts=attempts,
        status=PaymentStatus.PROCESSING,
    )


def _intent_cancel_quietly(reference: str) -> None:
    cancel = getattr(get_gateway(), "intent_cancel", None)
    if cancel is None:
        return
    try:
        cancel(reference)
    except GatewayError as exc:
        logger.warning("Could not cancel %s at the provider: %s", reference, exc)


def _payment_reference_record(payment_id: uuid.UUID, reference: str) -> None:
    """The provider's payment object, stored before it is asked to charge it."""
    Payment.objects.filter(pk=payment_id, provider_reference="").update(
        provider_reference=reference[:255], updated_at=timezone.now()
    )


def _payment_requires_action(payment_id: uuid.UUID, result: ChargeResult) -> str:
    with transaction.atomic():
        payment = _locked(payment_id)
        if payment is None or payment.status != PaymentStatus.PROCESSING:
            return "skipped"
        payment_transition_check(payment.status, PaymentStatus.REQUIRES_ACTION)
        payment.status = PaymentStatus.REQUIRES_ACTION
        payment.provider_reference = result.reference[:255]
        payment.next_action_type = result.action_type[:32]
        payment.next_action_client_secret = result.client_secret[:255]
        payment.save()
    return "requires_action"


def payment_refresh(*, payment_id: uuid.UUID) -> str:
    """Ask the provider about a payment awaiting the customer whose webhook never came.

    Applies what the provider says: ``captured`` (refunded at once if the
    order was cancelled meanwhile), ``failed``, or ``waiting`` (still
    requires_action: asked again after PAYMENT_SWEEP_AFTER; if its order is no
    longer pending, the provider is told to cancel). ``retry`` on a provider
    error, ``skipped`` when there is nothing to ask.
    """
    payment = Payment.objects.filter(pk=payment_id).first()
    state_of = getattr(get_gateway(), "intent_state", None)
    if (
        payment is None
        or payment.status not in AWAITING_CAPTURE
        or not payment.provider_reference
        or state_of is None
    ):
        return "skipped"
    try:
        state = state_of(payment.provider_reference)
    except GatewayPermanentError as exc:
        gateway_error_record(exc)
        return "retry"
    except GatewayError as exc:
        logger.warning("Asking the provider about payment %s failed: %s", payment_id, exc)
        return "retry"
    if state.status == "succeeded":
        return _payment_capture(payment_id, state.reference)
    if state.status in ("failed", "canceled"):
        _payment_fail(
            payment_id,
            state.failure_code or state.status,
            state.failure_message or f"The provider reports the payment {state.status}.",
        )
        return "failed"
    if not order_services.order_awaits_payment(order_id=payment.order_id):
        payment_void(order_id=payment.order_id)
        return "voided"
    Payment.objects.filter(pk=payment_id).update(updated_at=timezone.now())
    return "waiting"


def payment_void(*, order_id: uuid.UUID) -> str:
    """The order was cancelled or expired while its payment awaited the customer:
    the provider is told to cancel it, and the payment fails (``order_cancelled``).

    Only a payment in requires_action is touched (a processing one has a job
    that sees the cancellation itself). When the provider answers that it
    captured already, the payment is left for the webhook or the sweep to
    record, and that capture is refunded (the order is no longer pending).
    Returns ``voided``, ``captured_meanwhile``, ``retry`` or ``skipped``.
    """
    payment = Payment.objects.filter(order_id=order_id).first()
    if payment is None or payment.status != PaymentStatus.REQUIRES_ACTION:
        return "skipped"
    cancel = getattr(get_gateway(), "intent_cancel", None)
    try:
        cancelled = cancel(payment.provider_reference) if cancel else True
    except GatewayError as exc:
        if isinstance(exc, GatewayPermanentError):
            gateway_error_record(exc)
        logger.warning("Cancelling payment %s at the provider failed: %s", payment.id, exc)
        return "retry"
    if not cancelled:
        return "captured_meanwhile"
    _payment_fail(payment.id, "order_cancelled", "The order was cancelled before payment.")
    return "voided"


def refund_create(
    *,
    payment_id: uuid.UUID,
    amount: Decimal | None = None,
    reason: str = "",
    actor: "User | None" = None,
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
            metadata=_refund_metadata(refund),
        )
    except (PaymentDeclined, GatewayTransientError, GatewayPermanentError) as exc:
        if isinstance(exc, GatewayPermanentError):
            gateway_error_record(exc)
        Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.FAILED, failure_message=str(exc)[:255]
        )
        raise PaymentFailed("The provider refused the refund; nothing was refunded.") from exc
    return _refund_complete(refund.id, result.reference)


def _refund_metadata(refund: Refund) -> dict[str, str]:
    """Carried by the provider's refund: its webhook names our refund by it."""
    return {
        "refund_id": refund.id.hex,
        "payment_id": public_id(PREFIXES["payment"], refund.payment_id),
    }


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
            metadata=_refund_metadata(refund),
        )
    except GatewayPermanentError as exc:
        gateway_error_record(exc)
        return "retry"
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
    refunds left pending by a process that died while calling the provider,
    and ask the provider about payments awaiting the customer whose webhook
    never came.

    A processing payment or pending refund untouched for PAYMENT_SWEEP_AFTER
    seconds gets its job again; both are idempotent, so a slow one is not
    harmed. A requires_action payment as old gets ``payment_refresh``.
    Returns how many jobs were queued.
    """
    from ecommerce.jobs.enqueue import job_enqueue
    from payments import tasks

    stale_before = timezone.now() - timedelta(seconds=settings.PAYMENT_SWEEP_AFTER)
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
    waiting_ids = list(
        Payment.objects.filter(
            status=PaymentStatus.REQUIRES_ACTION, updated_at__lt=stale_before
        ).values_list("id", flat=True)[:500]
    )
    for payment_id in waiting_ids:
        job_enqueue(tasks.payment_refresh, payment_id=str(payment_id), queue="payments")
    if ids or refund_ids or waiting_ids:
        logger.info(
            "Payment sweep re-queued %s charges and %s refunds; asked about %s awaiting customers",
            len(ids),
            len(refund_ids),
            len(waiting_ids),
        )
    return len(ids) + len(refund_ids) + len(waiting_ids)


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
    event = webhook_event_parse(body)
    data: dict[str, Any] = event["data"] if isinstance(event.get("data"), dict) else {}
    payment_id = parse_public_id(PREFIXES["payment"], str(data.get("paymentId", "")))
    refund_after = False
    with transaction.atomic():
        if not webhook_event_record(event):
            return False
        if event["type"] == "charge.succeeded" and payment_id:
            _, refund_after = payment_capture_record(
                payment_id=payment_id, reference=str(data.get("reference", ""))[:255]
            )
        elif event["type"] == "charge.failed" and payment_id:
            _payment_fail(
                payment_id, str(data.get("code", "declined")), "Declined by the provider."
            )
        else:
            logger.info(
                "Webhook event %s of type %s recorded, no action", event["id"], event["type"]
            )
    if refund_after and payment_id is not None:
        # After the commit: the provider is never called under row locks.
        refund_cancelled_capture(payment_id=payment_id)
    return True


def webhook_event_record(event: dict[str, Any]) -> bool:
    """Record a provider event by its id, in the caller's transaction; False for a replay.

    The event id and its effect commit together: an effect that fails rolls
    the id back too, so the provider's redelivery applies it instead of being
    taken for a replay. A concurrent duplicate waits on the unique index and
    then finds the id taken.
    """
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(event_id=event["id"], type=event["type"], payload=event)
    except IntegrityError:
        logger.info("Webhook event %s replayed; ignored", event["id"])
        return False
    return True


def webhook_event_parse(body: bytes) -> dict[str, Any]:
    """A provider event: a JSON object with string ``id`` and ``type``, no NUL anywhere.

    Raises InvalidWebhookEvent.
    """
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


def _payment_capture(payment_id: uuid.UUID, reference: str, *, mail_inline: bool = False) -> str:
    outcome, refund_after = payment_capture_record(
        payment_id=payment_id, reference=reference, mail_inline=mail_inline
    )
    if refund_after:
        refund_cancelled_capture(payment_id=payment_id)
    return outcome


def payment_capture_record(
    *, payment_id: uuid.UUID, reference: str, mail_inline: bool = False
) -> tuple[str, bool]:
    """Record a capture; returns ``(outcome, whether the capture must be refunded)``.

    Only a payment still awaiting capture (processing, requires_action) is
    captured: a replayed or late success changes nothing. The second value is
    True when the order was cancelled while the provider was charging: the
    caller refunds once this transaction has committed. Takes the payment's
    row lock, then the order's: two conditional UPDATEs in one transaction
    (``WHERE status IN (awaiting capture)``, then the order's ``WHERE status =
    'pending'``), which lock, check and write as a locking read, a check and a
    save of each did. ``mail_inline``: see ``orders.services.order_mark_paid``.
    """
    for status in AWAITING_CAPTURE:
        payment_transition_check(status, PaymentStatus.CAPTURED)
    now = timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{Payment._meta.db_table}" SET "status" = %s, "provider_reference" = %s, '  # noqa: S608 (the model's table; values bound)
                '"captured_amount" = "amount", "captured_at" = %s, "failure_code" = \'\', '
                "\"failure_message\" = '', \"next_action_type\" = '', "
                '"next_action_client_secret" = \'\', "updated_at" = %s '
                'WHERE "id" = %s AND "status" IN ('
                + ", ".join(["%s"] * len(AWAITING_CAPTURE))
                + ') RETURNING "order_id"',
                [
                    PaymentStatus.CAPTURED,
                    reference,
                    now,
                    now,
                    _db_id(payment_id),
                    *[str(status) for status in AWAITING_CAPTURE],
                ],
            )
            row = cursor.fetchone()
        if row is None:
            return "skipped", False
        order_paid = order_services.order_mark_paid(
            order_id=uuid.UUID(str(row[0])), mail_inline=mail_inline
        )
    if order_paid:
        # The provider takes our requests again: /ready stops showing its last refusal.
        cache.delete(GATEWAY_ERROR_KEY)
    return "captured", not order_paid


def refund_cancelled_capture(*, payment_id: uuid.UUID) -> None:
    """Give back a capture whose order was cancelled during the charge.

    A refused refund must not undo the recorded capture nor fail the job
    (a retried charge would only skip): it is logged, and the payment stays
    captured for staff to refund from the admin.
    """
    try:
        refund_create(payment_id=payment_id, reason="Order cancelled during payment")
    except PaymentFailed:
        logger.exception("Refund of payment %s, captured after its order was cancelled", payment_id)


def payment_fail(*, payment_id: uuid.UUID, code: str, message: str) -> bool:
    """A payment still awaiting capture fails; its order becomes payment_failed.

    Returns False (and changes nothing) for a payment no longer awaiting
    capture: a late or replayed failure never undoes a capture or a refund.
    """
    with transaction.atomic():
        payment = _locked(payment_id)
        if payment is None or payment.status not in AWAITING_CAPTURE:
            return False
        _fail_locked(payment, code, message)
    return True


def _payment_fail(payment_id: uuid.UUID, code: str, message: str) -> bool:
    return payment_fail(payment_id=payment_id, code=code, message=message)


def _fail_locked(payment: Payment, code: str, message: str) -> None:
    payment_transition_check(payment.status, PaymentStatus.FAILED)
    payment.status = PaymentStatus.FAILED
    payment.failure_code = code[:64]
    payment.failure_message = message[:255]
    payment.next_action_type = payment.next_action_client_secret = ""
    payment.save()
    # What the order held (its stock, and a discount use once codes exist) is
    # given back by this one service: the hook for anything else an order holds.
    order_services.order_mark_payment_failed(order_id=payment.order_id)


def _refund_complete(refund_id: uuid.UUID, reference: str) -> Refund:
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status != Refund.Status.PENDING:
            # Completed by a concurrent resume: count the money once.
            return refund
        payment = cast(Payment, _locked(refund.payment_id))  # the refund's own payment
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
