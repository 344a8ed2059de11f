"""``POST /v1/payments/webhook/stripe``: Stripe's events, verified and applied once.

The signature is checked by the official library's verifier
(``stripe.WebhookSignature.verify_header``) on the raw body, within
PAYMENT_WEBHOOK_TOLERANCE seconds, with STRIPE_WEBHOOK_SECRET. Then:

- ``payment_intent.succeeded``: the payment is captured, the order paid (an
  order cancelled meanwhile gets the capture refunded);
- ``payment_intent.payment_failed`` / ``payment_intent.canceled``: the
  payment fails (Stripe's decline code), the order is payment_failed and its
  stock returned;
- ``charge.refunded``: Stripe's list of the intent's refunds is read and every
  refund we do not know yet (one made in Stripe's dashboard) is recorded; a
  refund of ours still pending is completed;
- ``charge.dispute.created``: the payment becomes ``disputed``.

Every handler only moves a payment forward from where it is (see
``payments.services``), and an event id is applied once, so replays and
events arriving out of order change nothing wrong: a success after a refund
does not un-refund, a refund or dispute arriving before the success records
the capture first. Other event types are recorded and otherwise ignored. An
event for a PaymentIntent this shop does not know is refused (404) and
nothing is recorded.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ecommerce.api.ids import PREFIXES, parse_public_id
from ecommerce.errors import ServiceUnavailable
from orders import services as order_services
from payments import services
from payments.errors import InvalidSignature, InvalidWebhookEvent, UnknownPaymentIntent
from payments.gateway import GatewayError, get_gateway
from payments.models import Payment, Refund
from payments.state import (
    PAYMENT_TRANSITIONS,
    REFUNDABLE,
    PaymentStatus,
    payment_transition_check,
)
from payments.stripe_gateway import StripeGateway, StripeRefund, amount_to_minor, redact

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Stripe-Signature"

HANDLED = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.refunded",
    "charge.dispute.created",
)


@dataclass
class _Effect:
    """What an event does once recorded, and what runs after the commit."""

    apply: Callable[[], object]
    after: list[Callable[[], None]] = field(default_factory=list)


def stripe_webhook_handle(*, body: bytes, signature: str) -> bool:
    """Verify and apply one Stripe event. Returns False for a replayed event.

    Raises InvalidSignature (400), InvalidWebhookEvent (400) and
    UnknownPaymentIntent (404); each changes nothing.
    """
    try:
        stripe.WebhookSignature.verify_header(
            body, signature, settings.STRIPE_WEBHOOK_SECRET, settings.PAYMENT_WEBHOOK_TOLERANCE
        )
    except (stripe.SignatureVerificationError, ValueError, TypeError) as exc:
        # ValueError: a body that is not UTF-8 cannot carry a valid signature;
        # TypeError: the library's compare_digest refuses a non-ASCII header.
        raise InvalidSignature() from exc
    event = services.webhook_event_parse(body)
    obj = (event.get("data") or {}).get("object") if isinstance(event.get("data"), dict) else None
    if event["type"] in HANDLED and not isinstance(obj, dict):
        raise InvalidWebhookEvent(details={"data.object": ["Required: the event's object."]})
    # What the provider must be asked is asked first: never under a row lock.
    effect = _effect(event["type"], cast(dict[str, Any], obj)) if event["type"] in HANDLED else None
    with transaction.atomic():
        if not services.webhook_event_record(event):
            return False
        if effect is None:
            logger.info(
                "Stripe event %s of type %s recorded, no action", event["id"], event["type"]
            )
        else:
            effect.apply()
    for step in effect.after if effect else []:
        step()
    return True


def _effect(kind: str, obj: dict) -> _Effect:
    if kind == "payment_intent.succeeded":
        payment = _payment_of_intent(obj)
        return _succeeded(payment, obj)
    if kind in ("payment_intent.payment_failed", "payment_intent.canceled"):
        payment = _payment_of_intent(obj)
        code, message = _failure(obj, kind)
        return _Effect(
            lambda: services.payment_fail(payment_id=payment.id, code=code, message=message)
        )
    if kind == "charge.refunded":
        payment = _payment_by_reference(_text(obj.get("payment_intent")), obj)
        refunds = _provider(
            lambda gateway: gateway.refunds_list(payment.provider_reference, payment.currency)
        )
        return _refunded(payment, refunds)
    # charge.dispute.created
    intent_id = _text(obj.get("payment_intent"))
    if not intent_id and _text(obj.get("charge")):
        intent_id = _provider(lambda gateway: gateway.charge_intent(_text(obj.get("charge"))))
    payment = _payment_by_reference(intent_id, obj)
    return _disputed(payment, obj)


def _succeeded(payment: Payment, intent: dict) -> _Effect:
    effect = _Effect(lambda: None)

    def apply() -> None:
        if not _amount_matches(payment, intent):
            return
        outcome, refund_after = services.payment_capture_record(
            payment_id=payment.id, reference=payment.provider_reference or _text(intent.get("id"))
        )
        if refund_after:
            effect.after.append(lambda: services.refund_cancelled_capture(payment_id=payment.id))
        if outcome == "skipped" and _current_status(payment) == PaymentStatus.FAILED:
            # Stripe took the money for a payment we failed (the customer retried
            # with the client secret after a failure): staff must refund it.
            logger.error(
                "Stripe captured PaymentIntent %s for payment %s, which had failed: "
                "refund it from Stripe's dashboard",
                payment.provider_reference,
                payment.id,
            )

    effect.apply = apply
    return effect


def _refunded(payment: Payment, refunds: list[StripeRefund]) -> _Effect:
    def apply() -> None:
        # The refund proves the charge: a capture whose success event is late
        # (or lost) is recorded first, then the refunds on top of it.
        services.payment_capture_record(payment_id=payment.id, reference=payment.provider_reference)
        refunds_reconcile(payment_id=payment.id, refunds=refunds)

    return _Effect(apply)


def _disputed(payment: Payment, dispute: dict) -> _Effect:
    def apply() -> None:
        services.payment_capture_record(payment_id=payment.id, reference=payment.provider_reference)
        payment_dispute_record(
            payment_id=payment.id,
            reference=_text(dispute.get("id")),
            reason=_text(dispute.get("reason")) or "unknown",
        )

    return _Effect(apply)


def refunds_reconcile(*, payment_id, refunds: list[StripeRefund]) -> int:
    """Bring the payment's refunds in line with Stripe's list; returns how many were added.

    Under the payment's row lock: one of our pending refunds that Stripe made
    is completed; a succeeded refund we have no row for (made in the
    dashboard) is recorded as succeeded. Nothing is ever counted twice (a
    refund is matched by Stripe's id or by our id in its metadata), and never
    above the capture.
    """
    added = 0
    with transaction.atomic():
        payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment_id)
        ours = {refund.id.hex: refund for refund in payment.refunds.all()}
        known = {refund.provider_reference for refund in ours.values() if refund.provider_reference}
        for refund in refunds:
            if refund.status not in ("succeeded", "pending") or refund.reference in known:
                continue
            mine = ours.get(refund.refund_id)
            if mine is not None:
                if mine.status == Refund.Status.PENDING:
                    # Stripe made it; our call's answer has not landed yet.
                    _refund_count(payment, mine, refund.reference)
                continue
            if payment.refunded_amount + refund.amount > payment.captured_amount:
                logger.error(
                    "Stripe refund %s of %s would exceed the capture of payment %s; not recorded",
                    refund.reference,
                    refund.amount,
                    payment.id,
                )
                continue
            recorded = Refund.objects.create(
                payment=payment,
                amount=refund.amount,
                status=Refund.Status.PENDING,
                reason="Refunded in Stripe's dashboard",
            )
            _refund_count(payment, recorded, refund.reference)
            added += 1
    return added


def _refund_count(payment: Payment, refund: Refund, reference: str) -> None:
    """Under the payment's lock: a refund succeeded; the payment and order follow."""
    refund.status = Refund.Status.SUCCEEDED
    refund.provider_reference = reference[:255]
    refund.save()
    payment.refunded_amount += refund.amount
    if payment.status in REFUNDABLE:
        target = (
            PaymentStatus.REFUNDED
            if payment.refunded_amount >= payment.captured_amount
            else PaymentStatus.PARTIALLY_REFUNDED
        )
        payment_transition_check(payment.status, target)
        payment.status = target
    payment.save()
    if payment.status == PaymentStatus.REFUNDED:
        order_services.order_mark_refunded(order_id=payment.order_id)


def payment_dispute_record(*, payment_id, reference: str, reason: str) -> bool:
    """A captured payment becomes ``disputed``; the dispute's id and reason are kept.

    A dispute seen again changes nothing; a payment that cannot be disputed
    (failed, already refunded) keeps its status and the dispute is logged.
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment_id)
        if payment.dispute_reference == reference:
            return False
        payment.dispute_reference = reference[:255]
        payment.dispute_reason = reason[:64]
        payment.disputed_at = timezone.now()
        if PaymentStatus.DISPUTED in _allowed(payment.status):
            payment.status = PaymentStatus.DISPUTED
        else:
            logger.warning(
                "Dispute %s on payment %s, which is %s", reference, payment.id, payment.status
            )
        payment.save()
    logger.warning(
        "Payment %s is disputed (%s): answer it in Stripe's dashboard", payment_id, reason
    )
    return True


# --- finding the payment -------------------------------------------------------------------


def _payment_of_intent(intent: dict) -> Payment:
    return _payment_by_reference(_text(intent.get("id")), intent)


def _payment_by_reference(intent_id: str, obj: dict) -> Payment:
    """Ours by the PaymentIntent id stored on it, else by the ``payment_id`` in the
    intent's metadata (set by the gateway) when no other intent is stored there."""
    if intent_id:
        payment = Payment.objects.filter(provider_reference=intent_id).first()
        if payment is not None:
            return payment
    metadata: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    payment_id = parse_public_id(PREFIXES["payment"], _text(metadata.get("payment_id")))
    if payment_id and intent_id and _text(obj.get("object")) == "payment_intent":
        payment = Payment.objects.filter(pk=payment_id, provider_reference="").first()
        if payment is not None:
            Payment.objects.filter(pk=payment.pk, provider_reference="").update(
                provider_reference=intent_id[:255]
            )
            payment.provider_reference = intent_id[:255]
            return payment
    raise UnknownPaymentIntent(details={"data.object": [f"No payment for {intent_id or 'it'}."]})


def _provider(ask: Callable[[StripeGateway], object]):
    gateway = get_gateway()
    if not isinstance(gateway, StripeGateway):
        raise InvalidWebhookEvent("Stripe events are only taken with PAYMENT_GATEWAY=stripe.")
    try:
        return ask(gateway)
    except GatewayError as exc:
        # A 503 makes Stripe deliver the event again later.
        raise ServiceUnavailable("Stripe could not be asked about the event; retry.") from exc


def _amount_matches(payment: Payment, intent: dict) -> bool:
    try:
        expected = amount_to_minor(payment.amount, payment.currency)
    except GatewayError:
        expected = None
    amount, currency = intent.get("amount"), _text(intent.get("currency")).upper()
    if amount == expected and currency == payment.currency.upper():
        return True
    logger.error(
        "Stripe reports %s %s for PaymentIntent %s of payment %s (%s %s): not captured",
        amount,
        currency,
        payment.provider_reference,
        payment.id,
        payment.amount,
        payment.currency,
    )
    return False


def _failure(intent: dict, kind: str) -> tuple[str, str]:
    if kind == "payment_intent.canceled":
        reason = _text(intent.get("cancellation_reason")) or "canceled"
        return "canceled", f"The PaymentIntent was canceled ({reason})."
    error: dict[str, Any] = (
        intent["last_payment_error"] if isinstance(intent.get("last_payment_error"), dict) else {}
    )
    code = _text(error.get("decline_code")) or _text(error.get("code")) or "payment_failed"
    return code, redact(_text(error.get("message")) or "Declined by Stripe.")


def _current_status(payment: Payment) -> str:
    return Payment.objects.filter(pk=payment.pk).values_list("status", flat=True).first() or ""


def _allowed(status: str) -> frozenset[str]:
    return PAYMENT_TRANSITIONS.get(status, frozenset())


def _text(value: object) -> str:
    return value[:255] if isinstance(value, str) else ""
