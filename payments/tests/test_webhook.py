"""POST /v1/payments/webhook: signed provider events, applied once."""

import time

import orjson
import pytest

from orders.state import OrderStatus
from orders.tests.factories import (
    capture_on_commit,
    jobs_drain,
    order_of,
    order_place,
    product_make,
)
from payments.gateway import webhook_signature
from payments.models import Payment, WebhookEvent
from payments.state import PaymentStatus

pytestmark = pytest.mark.django_db

WEBHOOK = "/v1/payments/webhook"
SECRET = "whsec_test_0123456789abcdef"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.PAYMENT_WEBHOOK_SECRET = SECRET
    settings.PAYMENT_WEBHOOK_TOLERANCE = 300
    return SECRET


@pytest.fixture
def pending(customer_client) -> dict:
    """An order whose charge job has not run: its payment is processing."""
    return order_place(customer_client, (product_make(price="25.00"), 2))


def event_for(data: dict, *, event_id: str = "evt_1", kind: str = "charge.succeeded") -> bytes:
    return orjson.dumps(
        {
            "id": event_id,
            "type": kind,
            "data": {
                "paymentId": data["payment"]["id"],
                "reference": "ch_from_webhook",
                "code": "insufficient_funds",
            },
        }
    )


def send(client, body: bytes, signature: str | None = "sign"):
    """POST raw bytes; by default signed now with the configured secret."""
    extra = {}
    if signature == "sign":
        signature = webhook_signature(SECRET, int(time.time()), body)
    if signature is not None:
        extra["HTTP_X_SIGNATURE"] = signature
    with capture_on_commit(execute=True):
        return client.post(WEBHOOK, body, content_type="application/json", **extra)


def payment_of(data: dict) -> Payment:
    return order_of(data).payment


def assert_unchanged(data: dict) -> None:
    order = order_of(data)
    assert order.status == OrderStatus.PENDING
    assert order.payment.status == PaymentStatus.PROCESSING
    assert order.payment.captured_amount == 0
    assert WebhookEvent.objects.count() == 0


# --- applied events -----------------------------------------------------------------------------


def test_charge_succeeded_answers_received_and_applied(api_client, pending):
    response = send(api_client, event_for(pending))

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"received": True, "applied": True}}


def test_charge_succeeded_captures_the_payment(api_client, pending):
    send(api_client, event_for(pending))

    payment = payment_of(pending)
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.captured_amount == payment.amount
    assert payment.provider_reference == "ch_from_webhook"


def test_charge_succeeded_marks_the_order_paid(api_client, pending):
    send(api_client, event_for(pending))

    assert order_of(pending).status == OrderStatus.PAID


def test_charge_succeeded_queues_the_confirmation_mail(api_client, pending, run_jobs, mailoutbox):
    send(api_client, event_for(pending))

    run_jobs()

    assert [mail.subject for mail in mailoutbox] == [f"Your order {pending['id']} is confirmed"]


def test_charge_failed_fails_the_payment_and_returns_stock(api_client, customer_client):
    product = product_make(stock=10)
    data = order_place(customer_client, (product, 3))

    send(api_client, event_for(data, kind="charge.failed"))

    assert payment_of(data).status == PaymentStatus.FAILED
    assert payment_of(data).failure_code == "insufficient_funds"
    assert order_of(data).status == OrderStatus.PAYMENT_FAILED
    product.refresh_from_db()
    assert product.stock == 10


def test_event_is_recorded_by_its_id(api_client, pending):
    send(api_client, event_for(pending, event_id="evt_42"))

    event = WebhookEvent.objects.get()
    assert event.event_id == "evt_42"
    assert event.type == "charge.succeeded"


def test_unknown_event_type_is_recorded_and_changes_nothing(api_client, pending):
    response = send(api_client, event_for(pending, kind="customer.created"))

    assert response.status_code == 200
    assert response.json()["data"]["applied"] is True
    assert WebhookEvent.objects.count() == 1
    assert payment_of(pending).status == PaymentStatus.PROCESSING


def test_webhook_needs_no_user_token(client, pending):
    # Django's plain client: no Authorization header at all.
    response = send(client, event_for(pending))

    assert response.status_code == 200


def test_webhook_answers_with_trailing_slash(api_client, pending):
    body = event_for(pending)
    signature = webhook_signature(SECRET, int(time.time()), body)

    response = api_client.post(
        f"{WEBHOOK}/", body, content_type="application/json", HTTP_X_SIGNATURE=signature
    )

    assert response.status_code == 200


# --- replays ------------------------------------------------------------------------------------


def test_replayed_event_answers_applied_false(api_client, pending):
    body = event_for(pending)
    send(api_client, body)

    response = send(api_client, body)

    assert response.status_code == 200
    assert response.json()["data"] == {"received": True, "applied": False}


def test_replayed_event_changes_nothing(api_client, pending):
    body = event_for(pending)
    send(api_client, body)
    order_before = order_of(pending)

    send(api_client, body)

    order_after = order_of(pending)
    assert order_after.updated_at == order_before.updated_at
    assert order_after.payment.updated_at == order_before.payment.updated_at
    assert order_after.payment.status == PaymentStatus.CAPTURED
    assert WebhookEvent.objects.count() == 1


def test_replayed_event_id_with_another_payload_is_ignored(api_client, customer_client):
    product = product_make(stock=10)
    data = order_place(customer_client, (product, 3))
    send(api_client, event_for(data, event_id="evt_same", kind="customer.updated"))

    response = send(api_client, event_for(data, event_id="evt_same", kind="charge.failed"))

    assert response.json()["data"]["applied"] is False
    assert payment_of(data).status == PaymentStatus.PROCESSING
    assert order_of(data).status == OrderStatus.PENDING
    product.refresh_from_db()
    assert product.stock == 7


def test_success_event_after_the_job_captured_changes_nothing(api_client, pending, run_jobs):
    jobs_drain(run_jobs)
    reference = payment_of(pending).provider_reference

    response = send(api_client, event_for(pending, event_id="evt_late"))

    assert response.status_code == 200
    assert payment_of(pending).provider_reference == reference
    assert order_of(pending).status == OrderStatus.PAID


def test_event_whose_effect_fails_is_not_recorded_and_its_redelivery_applies(
    api_client, pending, monkeypatch
):
    from orders import services as order_services

    real = order_services.order_mark_paid

    def crash(**kwargs):
        raise RuntimeError("worker lost mid-event")

    monkeypatch.setattr(order_services, "order_mark_paid", crash)
    api_client.raise_request_exception = False
    assert send(api_client, event_for(pending)).status_code == 500
    assert_unchanged(pending)

    monkeypatch.setattr(order_services, "order_mark_paid", real)
    response = send(api_client, event_for(pending))

    assert response.json()["data"] == {"received": True, "applied": True}
    assert payment_of(pending).status == PaymentStatus.CAPTURED
    assert order_of(pending).status == OrderStatus.PAID


def test_success_event_for_a_cancelled_order_refunds_the_capture(
    api_client, customer_client, pending
):
    assert customer_client.post(f"/v1/orders/{pending['id']}/cancel").status_code == 200

    response = send(api_client, event_for(pending))

    assert response.json()["data"] == {"received": True, "applied": True}
    payment = payment_of(pending)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_amount == payment.captured_amount == payment.amount
    assert order_of(pending).status == OrderStatus.CANCELLED


def test_refused_refund_of_a_cancelled_orders_capture_keeps_the_capture_for_staff(
    api_client, customer_client, pending, monkeypatch
):
    from payments.gateway import GatewayTransientError, SimulatedGateway

    def refund_down(self, **kwargs):
        raise GatewayTransientError("provider down")

    monkeypatch.setattr(SimulatedGateway, "refund", refund_down)
    assert customer_client.post(f"/v1/orders/{pending['id']}/cancel").status_code == 200

    response = send(api_client, event_for(pending))

    assert response.status_code == 200
    payment = payment_of(pending)
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.refunded_amount == 0
    assert list(payment.refunds.values_list("status", flat=True)) == ["failed"]
    assert order_of(pending).status == OrderStatus.CANCELLED


# --- refused: 400 and nothing changes -----------------------------------------------------------


def test_bad_signature_is_400_invalid_signature(api_client, pending):
    body = event_for(pending)
    forged = webhook_signature("not-the-secret", int(time.time()), body)

    response = send(api_client, body, signature=forged)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert_unchanged(pending)


def test_missing_signature_header_is_400(api_client, pending):
    response = send(api_client, event_for(pending), signature=None)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert_unchanged(pending)


@pytest.mark.parametrize(
    "header", ["", "garbage", "t=abc,v1=00", "v1=deadbeef", "t=1", "t={now},v1=\u00e9\u00e9"]
)
def test_malformed_signature_header_is_400(api_client, pending, header):
    response = send(api_client, event_for(pending), signature=header.format(now=int(time.time())))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert_unchanged(pending)


def test_stale_timestamp_is_400(api_client, pending, settings):
    body = event_for(pending)
    stale = webhook_signature(
        SECRET, int(time.time()) - settings.PAYMENT_WEBHOOK_TOLERANCE - 60, body
    )

    response = send(api_client, body, signature=stale)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert_unchanged(pending)


def test_timestamp_from_the_future_is_400(api_client, pending, settings):
    body = event_for(pending)
    ahead = webhook_signature(
        SECRET, int(time.time()) + settings.PAYMENT_WEBHOOK_TOLERANCE + 60, body
    )

    response = send(api_client, body, signature=ahead)

    assert response.status_code == 400
    assert_unchanged(pending)


def test_signature_over_another_body_is_400(api_client, pending):
    signed = event_for(pending, event_id="evt_signed")
    sent = event_for(pending, event_id="evt_sent")

    response = send(api_client, sent, signature=webhook_signature(SECRET, int(time.time()), signed))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert_unchanged(pending)


def test_signature_with_a_changed_timestamp_is_400(api_client, pending):
    body = event_for(pending)
    now = int(time.time())
    mac = webhook_signature(SECRET, now, body).split("v1=", 1)[1]

    response = send(api_client, body, signature=f"t={now - 1},v1={mac}")

    assert response.status_code == 400
    assert_unchanged(pending)


def test_valid_signature_over_invalid_json_is_400(api_client, pending):
    response = send(api_client, b'{"id": "evt_1", "type": ')

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert_unchanged(pending)


@pytest.mark.parametrize(
    "event",
    [
        {"type": "charge.succeeded"},
        {"id": "", "type": "charge.succeeded"},
        {"id": 7, "type": "charge.succeeded"},
        {"id": "evt_1"},
        [1, 2],
        "evt_1",
    ],
)
def test_valid_signature_over_an_event_without_id_or_type_is_400(api_client, pending, event):
    response = send(api_client, orjson.dumps(event))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert_unchanged(pending)


def test_no_secret_configured_refuses_every_event(api_client, pending, settings):
    settings.PAYMENT_WEBHOOK_SECRET = ""
    body = event_for(pending)

    response = send(api_client, body, signature=webhook_signature("", int(time.time()), body))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert_unchanged(pending)


def test_webhook_refuses_get(api_client):
    response = api_client.get(WEBHOOK)

    assert response.status_code == 405


def test_valid_signature_over_an_event_with_a_nul_character_is_400_not_500(api_client, pending):
    body = orjson.dumps({"id": "evt_nul", "type": "charge.succeeded", "note": "a\u0000b"})

    response = send(api_client, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert_unchanged(pending)
