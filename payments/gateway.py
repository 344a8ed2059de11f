"""The payment provider interface, and the simulated provider behind it.

A provider plugs in by implementing ``PaymentGateway``; ``PAYMENT_GATEWAY``
names it: a short name from ``PAYMENT_GATEWAY_ALIASES`` (``simulated``,
``stripe``) or a dotted path to a class. Every call carries an idempotency
key: providers use it to return the first result of a retried call instead of
charging twice.

``charge`` may answer that the customer must act first (3-D Secure):
``ChargeResult.requires_action``, with the secret the shop's frontend needs to
finish it; the provider's webhook then tells the outcome. The optional
methods (``token_check``, ``intent_state``, ``intent_cancel``) are for
providers that keep a payment object of their own (Stripe's PaymentIntent);
``payments.services`` treats a gateway without them as having nothing to check,
ask or cancel.
"""

import hashlib
import hmac
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.module_loading import import_string

# Short names for PAYMENT_GATEWAY; anything else is a dotted path to a class.
PAYMENT_GATEWAY_ALIASES = {
    "simulated": "payments.gateway.SimulatedGateway",
    "stripe": "payments.stripe_gateway.StripeGateway",
}


class GatewayError(Exception):
    """Base class of provider failures."""


class GatewayTransientError(GatewayError):
    """Worth retrying later: timeouts, 5xx, rate limits."""


class GatewayPermanentError(GatewayError):
    """Not worth retrying: a bad key, a request the provider refuses as invalid.

    A configuration or programming error, not the customer's: logged, and shown
    on /ready (``payments.services.gateway_error_record``). The message never
    carries a secret.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PaymentDeclined(GatewayError):
    """Final: the card or the bank said no."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidPaymentToken(GatewayError):
    """The order's ``paymentToken`` names nothing this provider can charge."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ChargeContext:
    """What a provider with a payment object of its own needs beyond the amount.

    ``reference`` is that object from an earlier attempt ("" on the first);
    ``reference_record`` stores a new one on the payment before the provider
    is asked to charge it, so a later attempt finds it instead of making a
    second one.
    """

    payment_id: uuid.UUID
    order_id: uuid.UUID
    attempt: int
    reference: str = ""
    reference_record: Callable[[str], None] | None = None


@dataclass(frozen=True)
class ChargeResult:
    reference: str
    # The customer must act (3-D Secure) before the provider charges; the
    # webhook tells the outcome. ``client_secret`` is for the shop's frontend.
    requires_action: bool = False
    action_type: str = ""
    client_secret: str = ""


@dataclass(frozen=True)
class RefundResult:
    reference: str


@dataclass(frozen=True)
class IntentState:
    """What the provider says of a charge, when asked (the sweep, a webhook that never came).

    ``status`` is ``succeeded``, ``requires_action``, ``processing``,
    ``failed`` or ``canceled``.
    """

    status: str
    reference: str
    failure_code: str = ""
    failure_message: str = ""


class PaymentGateway(Protocol):
    name: str

    def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        token: str,
        idempotency_key: str,
        context: ChargeContext | None = None,
    ) -> ChargeResult:
        """Capture ``amount``; raise PaymentDeclined, GatewayTransientError or
        GatewayPermanentError."""

    def refund(
        self,
        *,
        charge_reference: str,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> RefundResult:
        """Return ``amount`` of a capture; raise PaymentDeclined or GatewayTransientError."""

    def token_check(self, token: str) -> None:
        """Optional. Raise InvalidPaymentToken when ``token`` cannot be charged."""

    def intent_state(self, reference: str) -> IntentState:
        """Optional. The provider's current word on a charge."""

    def intent_cancel(self, reference: str) -> bool:
        """Optional. Cancel a charge not yet made; False when it was made already."""


def gateway_class_resolve(name: str) -> type:
    """The gateway class ``name`` stands for: an alias (any case) or a dotted path.

    Raises ImproperlyConfigured saying what is wrong and what is accepted
    (payments.checks reports it; the app refuses to start with it).
    """
    path = PAYMENT_GATEWAY_ALIASES.get(name.strip().lower(), name.strip())
    accepted = (
        f"accepted: {', '.join(sorted(PAYMENT_GATEWAY_ALIASES))} or the dotted path of a "
        "payment gateway class"
    )
    if "." not in path:
        raise ImproperlyConfigured(f'"{name}" is not a known short name; {accepted}')
    try:
        gateway_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f'"{name}" cannot be imported ({exc}); {accepted}') from exc
    if not isinstance(gateway_class, type) or not all(
        callable(getattr(gateway_class, method, None)) for method in ("charge", "refund")
    ):
        raise ImproperlyConfigured(
            f'"{name}" is not a class with charge() and refund() methods; {accepted}'
        )
    return gateway_class


@cache
def get_gateway() -> PaymentGateway:
    # Cleared when a test changes PAYMENT_GATEWAY or a STRIPE_* setting (payments.apps).
    return gateway_class_resolve(settings.PAYMENT_GATEWAY)()


# The simulator's test tokens: public, documented values, not secrets.
TOKEN_SUCCEEDS = "tok_visa"  # noqa: S105
TOKEN_DECLINED = "tok_chargeDeclined"  # noqa: S105
TOKEN_TRANSIENT_ONCE = "tok_processingError"  # noqa: S105
TOKEN_GATEWAY_DOWN = "tok_gatewayDown"  # noqa: S105
TOKEN_THREE_D_SECURE = "tok_threeDSecure"  # noqa: S105


class SimulatedGateway:
    """A provider simulation with the contract's test tokens.

    ``tok_visa`` (or no token) succeeds; ``tok_chargeDeclined`` declines;
    ``tok_processingError`` fails transiently on the first attempt and succeeds
    when retried; ``tok_gatewayDown`` always fails transiently;
    ``tok_threeDSecure`` needs the customer (``requires_action``), and
    ``manage.py payment_simulate_authentication`` plays the customer and the
    provider: it settles the ledger entry and sends the signed webhook.
    ``PAYMENT_SIMULATOR_DELAY_MS`` adds a provider-like latency to each call.
    """

    name = "simulated"

    def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        token: str,
        idempotency_key: str,
        context: ChargeContext | None = None,
    ) -> ChargeResult:
        self._delay()
        token = token or TOKEN_SUCCEEDS
        if token == TOKEN_GATEWAY_DOWN:
            raise GatewayTransientError("Simulated provider unavailable.")
        entry, created = self._record(idempotency_key, "charge", amount, currency, token)
        if token == TOKEN_TRANSIENT_ONCE and created:
            raise GatewayTransientError("Simulated processing error; retry.")
        if entry.outcome == "declined":
            raise PaymentDeclined("card_declined", "Your card was declined.")
        if entry.outcome == "requires_action":
            return ChargeResult(
                reference=entry.reference,
                requires_action=True,
                action_type="use_stripe_sdk",
                client_secret=simulated_client_secret(entry.reference),
            )
        return ChargeResult(reference=entry.reference)

    def refund(
        self,
        *,
        charge_reference: str,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> RefundResult:
        self._delay()
        entry, _ = self._record(idempotency_key, "refund", amount, currency, "refund")
        return RefundResult(reference=entry.reference)

    def token_check(self, token: str) -> None:
        """Any token is accepted: an unknown one succeeds, as no token does."""

    def intent_state(self, reference: str) -> IntentState:
        from payments.models import SimulatedCharge

        entry = SimulatedCharge.objects.filter(kind="charge", reference=reference).first()
        if entry is None:
            raise GatewayPermanentError("resource_missing", "No such simulated charge.")
        status = {"declined": "failed"}.get(entry.outcome, entry.outcome)
        code = "card_declined" if status == "failed" else ""
        return IntentState(status=status, reference=reference, failure_code=code)

    def intent_cancel(self, reference: str) -> bool:
        from payments.models import SimulatedCharge

        cancelled = SimulatedCharge.objects.filter(
            kind="charge", reference=reference, outcome="requires_action"
        ).update(outcome="canceled")
        return (
            bool(cancelled)
            or not SimulatedCharge.objects.filter(
                kind="charge", reference=reference, outcome="succeeded"
            ).exists()
        )

    def _record(self, key: str, kind: str, amount: Decimal, currency: str, token: str):
        from payments.models import SimulatedCharge

        outcome = {TOKEN_DECLINED: "declined", TOKEN_THREE_D_SECURE: "requires_action"}.get(
            token, "succeeded"
        )
        prefix = "ch" if kind == "charge" else "re"
        try:
            with transaction.atomic():
                entry = SimulatedCharge.objects.create(
                    idempotency_key=key,
                    reference=f"{prefix}_sim_{uuid.uuid4().hex[:24]}",
                    kind=kind,
                    amount=amount,
                    currency=currency,
                    outcome=outcome,
                )
            return entry, True
        except IntegrityError:
            # Same idempotency key: the provider replays its first answer, and
            # counts the call, as a provider's request log would.
            SimulatedCharge.objects.filter(idempotency_key=key).update(attempts=F("attempts") + 1)
            return SimulatedCharge.objects.get(idempotency_key=key), False

    @staticmethod
    def _delay() -> None:
        delay_ms = settings.PAYMENT_SIMULATOR_DELAY_MS
        if delay_ms:
            time.sleep(delay_ms / 1000)


def simulated_client_secret(reference: str) -> str:
    """The simulator's client secret for a charge: stable, and unguessable without SECRET_KEY."""
    mac = hmac.new(settings.SECRET_KEY.encode(), reference.encode(), hashlib.sha256)
    return f"{reference}_secret_{mac.hexdigest()[:24]}"


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``, as providers send it."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def webhook_signature_valid(
    secret: str, header: str, body: bytes, *, now: float, tolerance: int
) -> bool:
    """Constant-time check of a signature header; stale timestamps are refused."""
    if not secret or not header:
        return False
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = webhook_signature(secret, timestamp, body).split("v1=", 1)[1]
    # Bytes: compare_digest refuses str with non-ASCII characters (a TypeError,
    # i.e. a 500), and header values can hold any Latin-1 character.
    received = parts.get("v1", "").encode("utf-8", "surrogateescape")
    return hmac.compare_digest(expected.encode(), received)
