"""The payment provider interface, and the simulated provider behind it.

A real provider (Stripe-like) plugs in by implementing ``PaymentGateway`` and
naming the class in the ``PAYMENT_GATEWAY`` setting. Every call carries an
idempotency key: providers use it to return the first result of a retried
call instead of charging twice.
"""

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.module_loading import import_string


class GatewayError(Exception):
    """Base class of provider failures."""


class GatewayTransientError(GatewayError):
    """Worth retrying later: timeouts, 5xx, rate limits."""


class PaymentDeclined(GatewayError):
    """Final: the card or the bank said no."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ChargeResult:
    reference: str


@dataclass(frozen=True)
class RefundResult:
    reference: str


class PaymentGateway(Protocol):
    name: str

    def charge(
        self, *, amount: Decimal, currency: str, token: str, idempotency_key: str
    ) -> ChargeResult:
        """Capture ``amount``; raise PaymentDeclined or GatewayTransientError."""

    def refund(
        self, *, charge_reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> RefundResult:
        """Return ``amount`` of a capture; raise PaymentDeclined or GatewayTransientError."""


# Short names PAYMENT_GATEWAY accepts (any case), besides a class's dotted path.
PAYMENT_GATEWAY_ALIASES = {"simulated": "payments.gateway.SimulatedGateway"}


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
    return gateway_class_resolve(settings.PAYMENT_GATEWAY)()


# The simulator's test tokens: public, documented values, not secrets.
TOKEN_SUCCEEDS = "tok_visa"  # noqa: S105
TOKEN_DECLINED = "tok_chargeDeclined"  # noqa: S105
TOKEN_TRANSIENT_ONCE = "tok_processingError"  # noqa: S105
TOKEN_GATEWAY_DOWN = "tok_gatewayDown"  # noqa: S105


class SimulatedGateway:
    """A provider simulation with the contract's test tokens.

    ``tok_visa`` (or no token) succeeds; ``tok_chargeDeclined`` declines;
    ``tok_processingError`` fails transiently on the first attempt and succeeds
    when retried; ``tok_gatewayDown`` always fails transiently.
    ``PAYMENT_SIMULATOR_DELAY_MS`` adds a provider-like latency to each call.
    """

    name = "simulated"

    def charge(
        self, *, amount: Decimal, currency: str, token: str, idempotency_key: str
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
        return ChargeResult(reference=entry.reference)

    def refund(
        self, *, charge_reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> RefundResult:
        self._delay()
        entry, _ = self._record(idempotency_key, "refund", amount, currency, "refund")
        return RefundResult(reference=entry.reference)

    def _record(self, key: str, kind: str, amount: Decimal, currency: str, token: str):
        from payments.models import SimulatedCharge

        outcome = "declined" if token == TOKEN_DECLINED else "succeeded"
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
