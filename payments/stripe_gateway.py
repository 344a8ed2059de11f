"""``PAYMENT_GATEWAY=stripe``: Stripe's PaymentIntents through the official library.

One PaymentIntent per payment. It is created unconfirmed with an idempotency
key derived from the payment (``<key>-intent``), and its id is stored on the
payment (``ChargeContext.reference_record``) before it is confirmed; the
confirmation's key is derived from the payment and the attempt
(``<key>-confirm-<attempt>``). A retried or re-queued job finds the stored
intent and asks Stripe where it stands before confirming anything, and an
intent can succeed only once, so a job killed at any point never charges
twice. Per attempt, because Stripe saves the first answer to a key, a 5xx
included: a later attempt must be able to ask afresh.

Amounts go out in the currency's minor units (none for zero-decimal
currencies such as JPY) and every answer's amount and currency are compared
with what was asked; a mismatch is a permanent error, never a capture.

Errors: a card error is a decline (Stripe's ``decline_code``, else its
``code``); connection errors, rate limits and 5xx (409 lock timeouts too) are
transient and retried by the job's back-off (the library's own retries are
off, so the back-off is the one policy); a bad key, a permission error or an
invalid request is permanent: not retried, logged, and shown on /ready.
Nothing here logs, stores or raises the secret key: provider messages go
through ``redact`` first.

Hand-written around the library, not a plugin (dj-stripe): that mirrors
every Stripe object into tables of its own and answers webhooks itself; this
shop needs only the charge, its refunds and a dispute flag on its own rows.
"""

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

import stripe
from django.conf import settings

from ecommerce.api.ids import PREFIXES, public_id
from payments.gateway import (
    ChargeContext,
    ChargeResult,
    GatewayPermanentError,
    GatewayTransientError,
    IntentState,
    InvalidPaymentToken,
    PaymentDeclined,
    RefundResult,
)

logger = logging.getLogger(__name__)

# Seconds to connect and to wait for an answer: a stuck call holds a worker,
# and the job's back-off retries it anyway.
STRIPE_TIMEOUT = 20

# https://docs.stripe.com/currencies#zero-decimal and #three-decimal
ZERO_DECIMAL_CURRENCIES = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

PAYMENT_METHOD_ID = re.compile(r"^pm_[A-Za-z0-9_]{1,200}$")
_SECRET = re.compile(r"\b(sk|rk)_(test|live)_[A-Za-z0-9]+")


def redact(text: str) -> str:
    """``text`` with anything shaped like a Stripe secret or restricted key masked."""
    key = settings.STRIPE_SECRET_KEY
    if key:
        text = text.replace(key, "[redacted]")
    return _SECRET.sub(r"\1_\2_[redacted]", text)


def stripe_configuration_problems() -> list[str]:
    """What keeps a process with ``PAYMENT_GATEWAY=stripe`` from starting; empty when fine.

    Called by the start-up check (payments.apps). The messages name the
    settings, never their values.
    """
    problems = []
    key = settings.STRIPE_SECRET_KEY
    if not key:
        problems.append(
            "PAYMENT_GATEWAY is stripe and STRIPE_SECRET_KEY is not set: set it to the "
            "account's secret key (sk_live_..., or sk_test_... for test mode)."
        )
    elif key.startswith("pk_"):
        problems.append(
            "STRIPE_SECRET_KEY holds a publishable key (pk_...): the server needs the "
            "secret key (sk_...) or a restricted key (rk_...)."
        )
    elif not key.startswith(("sk_", "rk_")):
        problems.append("STRIPE_SECRET_KEY is not a Stripe secret key (sk_... or rk_...).")
    if not settings.STRIPE_API_BASE.startswith(("https://", "http://")):
        problems.append("STRIPE_API_BASE must be an http(s) URL.")
    return problems


def amount_to_minor(amount: Decimal, currency: str) -> int:
    """``amount`` in the currency's smallest unit, as Stripe takes it.

    Raises GatewayPermanentError when the amount has more precision than the
    currency (12.50 JPY), or a three-decimal currency's last digit is not 0.
    """
    code = currency.upper()
    exponent = (
        0 if code in ZERO_DECIMAL_CURRENCIES else 3 if code in THREE_DECIMAL_CURRENCIES else 2
    )
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value() or (exponent == 3 and minor % 10):
        raise GatewayPermanentError(
            "invalid_amount", f"{amount} {code} cannot be charged in {code}'s minor units."
        )
    return int(minor)


def amount_from_minor(minor: int, currency: str) -> Decimal:
    code = currency.upper()
    exponent = (
        0 if code in ZERO_DECIMAL_CURRENCIES else 3 if code in THREE_DECIMAL_CURRENCIES else 2
    )
    return Decimal(minor).scaleb(-exponent).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class StripeRefund:
    """A refund as Stripe lists it for a PaymentIntent."""

    reference: str
    amount: Decimal
    status: str
    refund_id: str  # ours (``metadata.refund_id``), "" for one made elsewhere


class StripeGateway:
    name = "stripe"

    @cached_property
    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses={"api": settings.STRIPE_API_BASE},
            # Retries are the job's (its back-off, the sweep), with the same keys.
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=STRIPE_TIMEOUT),
        )

    # --- the interface ----------------------------------------------------------------------

    def token_check(self, token: str) -> None:
        """The token must be a PaymentMethod id Stripe knows; transient errors let it pass
        (the charge finds out, and fails the payment if it is unknown after all)."""
        if not token:
            raise InvalidPaymentToken(
                "Required with Stripe: a PaymentMethod id (pm_...) made by Stripe.js."
            )
        if not PAYMENT_METHOD_ID.fullmatch(token):
            raise InvalidPaymentToken(
                "Must be a Stripe PaymentMethod id (pm_...) made by Stripe.js; "
                "card numbers are never accepted."
            )
        try:
            self.client.v1.payment_methods.retrieve(token)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404 or exc.code == "resource_missing":
                raise InvalidPaymentToken("No such PaymentMethod.") from None
            raise _permanent(exc) from None
        except (stripe.AuthenticationError, stripe.PermissionError) as exc:
            raise _permanent(exc) from None
        except stripe.StripeError as exc:
            logger.warning("Could not check PaymentMethod %s: %s", token, _message(exc))

    def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        token: str,
        idempotency_key: str,
        context: ChargeContext | None = None,
    ) -> ChargeResult:
        if context is None:
            raise GatewayPermanentError(
                "missing_context", "The Stripe gateway needs the payment's ChargeContext."
            )
        minor = amount_to_minor(amount, currency)
        intents = self.client.v1.payment_intents
        try:
            if context.reference:
                intent = intents.retrieve(context.reference)
            else:
                intent = intents.create(
                    params={  # type: ignore[typeddict-unknown-key]  # stripe 16 types no payment_method_types
                        "amount": minor,
                        "currency": currency.lower(),
                        "payment_method": token,
                        "payment_method_types": ["card"],
                        "capture_method": "automatic",
                        "metadata": {
                            "order_id": public_id(PREFIXES["order"], context.order_id),
                            "payment_id": public_id(PREFIXES["payment"], context.payment_id),
                        },
                    },
                    options={"idempotency_key": f"{idempotency_key}-intent"},
                )
                if context.reference_record is not None:
                    context.reference_record(intent.id)
            _check_amount(intent, minor, currency)
            if intent.status == "requires_confirmation":
                intent = intents.confirm(
                    intent.id,
                    options={"idempotency_key": f"{idempotency_key}-confirm-{context.attempt}"},
                )
                _check_amount(intent, minor, currency)
        except stripe.CardError as exc:
            raise _declined(exc) from None
        except stripe.InvalidRequestError as exc:
            if not context.reference and (
                exc.http_status == 404 or getattr(exc, "param", None) == "payment_method"
            ):
                # The PaymentMethod went away between the order and the charge.
                raise PaymentDeclined("invalid_payment_method", "No such PaymentMethod.") from None
            raise _translated(exc) from None
        except stripe.StripeError as exc:
            raise _translated(exc) from None
        return _charge_result(intent)

    def refund(
        self,
        *,
        charge_reference: str,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> RefundResult:
        minor = amount_to_minor(amount, currency)
        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": charge_reference,
                    "amount": minor,
                    "metadata": dict(metadata or {}),
                },
                options={"idempotency_key": idempotency_key},
            )
        except (stripe.InvalidRequestError, stripe.CardError) as exc:
            if exc.http_status in (401, 403):
                raise _permanent(exc) from None
            # Already refunded, disputed, more than is left: Stripe said no.
            raise PaymentDeclined(exc.code or "refund_refused", _message(exc)) from None
        except stripe.StripeError as exc:
            raise _translated(exc) from None
        if refund.amount != minor or refund.currency.upper() != currency.upper():
            raise _mismatch(f"refund {refund.id}", refund.amount, refund.currency, minor, currency)
        if refund.status in ("failed", "canceled"):
            raise PaymentDeclined("refund_failed", f"Stripe reports refund {refund.id} failed.")
        return RefundResult(reference=refund.id)

    def intent_state(self, reference: str) -> IntentState:
        try:
            intent = self.client.v1.payment_intents.retrieve(reference)
        except stripe.StripeError as exc:
            raise _translated(exc) from None
        status = {
            "succeeded": "succeeded",
            "requires_action": "requires_action",
            "canceled": "canceled",
            "requires_payment_method": "failed",
        }.get(intent.status, "processing")
        code, message = _payment_error(intent) if status == "failed" else ("", "")
        return IntentState(
            status=status, reference=intent.id, failure_code=code, failure_message=message
        )

    def intent_cancel(self, reference: str) -> bool:
        try:
            self.client.v1.payment_intents.cancel(reference)
            return True
        except stripe.InvalidRequestError as exc:
            # Stripe refuses to cancel an intent that succeeded or is processing
            # (payment_intent_unexpected_state): ask where it stands.
            logger.info("Cancel of %s refused: %s", reference, _message(exc))
        except stripe.StripeError as exc:
            raise _translated(exc) from None
        return self.intent_state(reference).status in ("canceled", "failed")

    # --- what the webhook asks --------------------------------------------------------------

    def refunds_list(self, reference: str, currency: str) -> list[StripeRefund]:
        """Every refund of the PaymentIntent ``reference``, ours and the dashboard's."""
        try:
            page = self.client.v1.refunds.list(params={"payment_intent": reference, "limit": 100})
            refunds = list(page.auto_paging_iter())
        except stripe.StripeError as exc:
            raise _translated(exc) from None
        return [
            StripeRefund(
                reference=refund.id,
                amount=amount_from_minor(refund.amount, currency),
                status=refund.status or "",
                refund_id=str(_metadata(refund).get("refund_id", "")),
            )
            for refund in refunds
        ]

    def charge_intent(self, charge_reference: str) -> str:
        """The PaymentIntent a charge (``ch_...``) belongs to, "" when none."""
        try:
            charge = self.client.v1.charges.retrieve(charge_reference)
        except stripe.StripeError as exc:
            raise _translated(exc) from None
        intent = charge.payment_intent
        return intent if isinstance(intent, str) else getattr(intent, "id", "") or ""


def _metadata(obj) -> dict:
    metadata = getattr(obj, "metadata", None)
    return metadata.to_dict() if metadata else {}


def _charge_result(intent) -> ChargeResult:
    if intent.status == "succeeded":
        return ChargeResult(reference=intent.id)
    if intent.status == "requires_action":
        next_action = intent.next_action
        return ChargeResult(
            reference=intent.id,
            requires_action=True,
            action_type=str(getattr(next_action, "type", "") or "use_stripe_sdk"),
            client_secret=intent.client_secret,
        )
    if intent.status == "requires_payment_method":
        raise PaymentDeclined(*_payment_error(intent))
    if intent.status == "canceled":
        raise PaymentDeclined("canceled", "The PaymentIntent was canceled.")
    if intent.status in ("processing", "requires_confirmation"):
        raise GatewayTransientError(f"PaymentIntent {intent.id} is {intent.status}.")
    raise GatewayPermanentError(
        "unexpected_state", f"PaymentIntent {intent.id} is {intent.status}, which we never ask for."
    )


def _payment_error(intent) -> tuple[str, str]:
    error = intent.last_payment_error
    if not error:
        return "payment_failed", "Stripe reports the payment failed."
    code = getattr(error, "decline_code", None) or getattr(error, "code", None) or "payment_failed"
    return str(code), redact(str(getattr(error, "message", "") or "The payment failed."))


def _check_amount(intent, minor: int, currency: str) -> None:
    if intent.amount != minor or str(intent.currency).upper() != currency.upper():
        raise _mismatch(
            f"PaymentIntent {intent.id}", intent.amount, intent.currency, minor, currency
        )


def _mismatch(what: str, got: int, got_currency: str, asked: int, currency: str):
    return GatewayPermanentError(
        "amount_mismatch",
        f"Stripe answered {got} {got_currency} for {what}; {asked} {currency} was asked.",
    )


def _message(exc: stripe.StripeError) -> str:
    return redact(str(exc.user_message or exc.__class__.__name__))[:255]


def _declined(exc: stripe.CardError) -> PaymentDeclined:
    decline = getattr(exc.error, "decline_code", None) if exc.error else None
    return PaymentDeclined(str(decline or exc.code or "card_declined"), _message(exc))


def _permanent(exc: stripe.StripeError) -> GatewayPermanentError:
    code = exc.code or {
        stripe.AuthenticationError: "authentication_error",
        stripe.PermissionError: "permission_error",
        stripe.IdempotencyError: "idempotency_error",
    }.get(type(exc), "invalid_request_error")
    return GatewayPermanentError(str(code), _message(exc))


def _translated(exc: stripe.StripeError) -> Exception:
    if isinstance(exc, stripe.CardError):
        return _declined(exc)
    if isinstance(exc, stripe.RateLimitError | stripe.APIConnectionError | stripe.APIError):
        return GatewayTransientError(_message(exc))
    return _permanent(exc)
