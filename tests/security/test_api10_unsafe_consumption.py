"""API10 unsafe consumption of APIs: the payment provider's webhook is verified.

The only third-party input the server acts on is the provider's webhook: it
must be signed with PAYMENT_WEBHOOK_SECRET over the raw body, fresh, applied
once, and it cannot move money beyond what the order says.
"""

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from orders.models import Order
from payments.gateway import webhook_signature
from payments.models import Payment, WebhookEvent

pytestmark = pytest.mark.django_db

SECRET = "whsec-test-only-0a1b2c3d4e5f"


@pytest.fixture
def pending_payment(place_order, customer_client, settings) -> str:
    settings.PAYMENT_WEBHOOK_SECRET = SECRET
    return place_order(customer_client)["payment"]["id"]


def _event(payment_id: str, event_id: str = "evt_1", **data) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "type": "charge.succeeded",
            "data": {"paymentId": payment_id, "reference": "ch_1", **data},
        }
    ).encode()


def _send(body: bytes, signature: str | None):
    headers: dict[str, Any] = {"HTTP_X_SIGNATURE": signature} if signature is not None else {}
    return APIClient().post(
        "/v1/payments/webhook", body, content_type="application/json", **headers
    )


def _assert_nothing_applied() -> None:
    assert Payment.objects.get().status == "processing"
    assert Order.objects.get().status == "pending"
    assert not WebhookEvent.objects.exists()


def test_an_unsigned_event_is_refused(pending_payment):
    response = _send(_event(pending_payment), None)

    assert response.status_code == 400
    _assert_nothing_applied()


def test_an_event_signed_with_another_secret_is_refused(pending_payment):
    body = _event(pending_payment)

    response = _send(body, webhook_signature("guessed-secret", int(time.time()), body))

    assert response.status_code == 400
    _assert_nothing_applied()


def test_a_signature_over_another_body_is_refused(pending_payment):
    signed = _event(pending_payment, event_id="evt_harmless")
    sent = _event(pending_payment)

    response = _send(sent, webhook_signature(SECRET, int(time.time()), signed))

    assert response.status_code == 400
    _assert_nothing_applied()


def test_a_stale_event_is_refused(pending_payment, settings):
    body = _event(pending_payment)
    old = int(time.time()) - settings.PAYMENT_WEBHOOK_TOLERANCE - 60

    response = _send(body, webhook_signature(SECRET, old, body))

    assert response.status_code == 400
    _assert_nothing_applied()


def test_every_event_is_refused_while_no_secret_is_configured(pending_payment, settings):
    settings.PAYMENT_WEBHOOK_SECRET = ""
    body = _event(pending_payment)

    response = _send(body, webhook_signature("", int(time.time()), body))

    assert response.status_code == 400
    _assert_nothing_applied()


def test_a_replayed_event_changes_nothing(pending_payment):
    body = _event(pending_payment)
    signature = webhook_signature(SECRET, int(time.time()), body)
    assert _send(body, signature).json()["data"] == {"received": True, "applied": True}

    replay = _send(body, signature)

    assert replay.status_code == 200
    assert replay.json()["data"] == {"received": True, "applied": False}
    assert WebhookEvent.objects.count() == 1


def test_an_event_cannot_set_the_amount_captured(pending_payment):
    body = _event(pending_payment, amount=1_000_000, capturedAmount=1_000_000)

    _send(body, webhook_signature(SECRET, int(time.time()), body))

    payment = Payment.objects.get()
    assert payment.status == "captured"
    assert payment.captured_amount == payment.amount == Decimal("25.00")
