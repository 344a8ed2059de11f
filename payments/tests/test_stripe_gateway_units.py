"""The Stripe gateway's translations: minor units, Stripe's errors, redaction.

The library's own error classes, built as the library builds them from an
answer; what they are mapped to is what the charge job retries or not.
Amounts and flows against a Stripe-compatible server are in tests/stripe/.
"""

from decimal import Decimal

import pytest
import stripe

from payments.gateway import GatewayPermanentError, GatewayTransientError, PaymentDeclined
from payments.stripe_gateway import (
    _declined,
    _translated,
    amount_from_minor,
    amount_to_minor,
    redact,
    stripe_configuration_problems,
)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("25.00", "USD", 2500),
        ("0.01", "eur", 1),
        ("1500.00", "JPY", 1500),
        ("12.34", "KWD", 12340),
    ],
)
def test_amounts_go_out_in_the_currencys_minor_units(amount, currency, minor):
    assert amount_to_minor(Decimal(amount), currency) == minor
    assert amount_from_minor(minor, currency) == Decimal(amount)


def test_an_amount_finer_than_the_currency_is_a_permanent_error():
    with pytest.raises(GatewayPermanentError) as error:
        amount_to_minor(Decimal("12.50"), "JPY")
    assert error.value.code == "invalid_amount"


def test_a_card_error_is_a_decline_with_stripes_decline_code_first():
    body = {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
        }
    }
    error = stripe.CardError(
        "Your card has insufficient funds.",
        None,
        "card_declined",
        http_status=402,
        json_body=body,
    )

    declined = _declined(error)

    assert isinstance(declined, PaymentDeclined)
    assert declined.code == "insufficient_funds"


@pytest.mark.parametrize(
    "error",
    [
        stripe.RateLimitError("Too many requests", http_status=429),
        stripe.APIConnectionError("Connection refused"),
        stripe.APIError("Internal error", http_status=500),
        stripe.APIError("Lock timeout", http_status=409),
    ],
)
def test_rate_limits_connection_errors_and_5xx_are_transient(error):
    assert isinstance(_translated(error), GatewayTransientError)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (stripe.AuthenticationError("Invalid API Key", http_status=401), "authentication_error"),
        (stripe.PermissionError("Not allowed", http_status=403), "permission_error"),
        (
            stripe.InvalidRequestError("Bad param", "amount", http_status=400),
            "invalid_request_error",
        ),
        (
            stripe.IdempotencyError("Keys for idempotent requests", http_status=400),
            "idempotency_error",
        ),
    ],
)
def test_bad_keys_and_invalid_requests_are_permanent(error, code):
    translated = _translated(error)

    assert isinstance(translated, GatewayPermanentError)
    assert translated.code == code


def test_secret_and_restricted_keys_are_redacted(settings):
    settings.STRIPE_SECRET_KEY = "sk_live_configured0123"

    text = redact("Invalid API Key provided: sk_live_configured0123 or rk_test_abcDEF123 here")

    assert "configured0123" not in text
    assert "abcDEF123" not in text
    assert text.count("[redacted]") == 2


def test_a_permanent_error_message_never_carries_the_key(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_leaky0123456789"
    error = stripe.AuthenticationError(
        "Invalid API Key provided: sk_test_leaky0123456789", http_status=401
    )

    assert "leaky0123456789" not in _translated(error).message


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "STRIPE_SECRET_KEY is not set"),
        ("pk_live_abc", "publishable key"),
        ("whsec_abc", "not a Stripe secret key"),
    ],
)
def test_configuration_problems_name_the_setting(settings, key, problem):
    settings.STRIPE_SECRET_KEY = key

    [message] = stripe_configuration_problems()

    assert problem in message


def test_a_secret_or_restricted_key_is_fine(settings):
    for key in ("sk_test_abc", "rk_live_abc"):
        settings.STRIPE_SECRET_KEY = key
        assert stripe_configuration_problems() == []
