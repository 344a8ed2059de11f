"""POST /v1/payments/webhook/stripe: Stripe's signed events, applied once and in any order.

localstripe emits ``payment_intent.succeeded`` and ``payment_intent.payment_failed``
itself (see test_stripe_live.py, where it delivers them to a live gunicorn).
It emits no ``payment_intent.canceled``, ``charge.refunded`` or
``charge.dispute.created``, and has no disputes at all: those events are built
here as Stripe documents them (https://docs.stripe.com/api/events/types), from
the objects localstripe holds, and signed in Stripe's scheme with the
library's own helper.
"""

import time

import orjson
import pytest
import stripe
from django.test import Client

from orders.state import OrderStatus
from orders.tests.factories import SuperuserFactory, order_of, order_place, product_make
from payments.models import Payment, Refund, WebhookEvent
from payments.state import PaymentStatus
from tests.stripe.conftest import CARD_SUCCEEDS, CARD_THREE_D_SECURE, WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

WEBHOOK = "/v1/payments/webhook/stripe"


def signed(body: bytes, *, at: int | None = None, secret: str = WEBHOOK_SECRET) -> str:
    return stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp=at)


def event(kind: str, obj: dict, *, event_id: str | None = None) -> bytes:
    return orjson.dumps(
        {
            "id": event_id or f"evt_{kind.replace('.', '_')}_{time.time_ns()}",
            "object": "event",
            "type": kind,
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )


def send(client, body: bytes, signature: str | None = "sign"):
    headers = {}
    if signature == "sign":
        signature = signed(body)
    if signature is not None:
        headers["HTTP_STRIPE_SIGNATURE"] = signature
    return client.post(WEBHOOK, body, content_type="application/json", **headers)


@pytest.fixture
def product(db):
    return product_make(price="12.50", stock=10)


@pytest.fixture
def paid(customer_client, product, card, run_jobs) -> Payment:
    data = order_place(customer_client, (product, 2), token=card(CARD_SUCCEEDS), run_jobs=run_jobs)
    payment = order_of(data).payment
    assert payment.status == PaymentStatus.CAPTURED
    return payment


@pytest.fixture
def awaiting(customer_client, product, card, run_jobs) -> Payment:
    data = order_place(
        customer_client, (product, 2), token=card(CARD_THREE_D_SECURE), run_jobs=run_jobs
    )
    payment = order_of(data).payment
    assert payment.status == PaymentStatus.REQUIRES_ACTION
    return payment


def intent(localstripe, payment: Payment) -> dict:
    reply = localstripe.call("GET", f"/v1/payment_intents/{payment.provider_reference}")
    assert reply.status == 200, reply
    return reply.body


def charge_of(localstripe, payment: Payment) -> dict:
    charge_id = intent(localstripe, payment)["latest_charge"]
    charge_id = charge_id["id"] if isinstance(charge_id, dict) else charge_id
    return localstripe.call("GET", f"/v1/charges/{charge_id}").body


def dashboard_refund(localstripe, payment: Payment, amount: int) -> dict:
    """A refund staff make in Stripe's dashboard: Stripe's API, not ours."""
    reply = localstripe.call(
        "POST",
        "/v1/refunds",
        {"payment_intent": payment.provider_reference, "amount": str(amount)},
    )
    assert reply.status == 200, reply
    return reply.body


def refresh(payment: Payment) -> Payment:
    return Payment.objects.select_related("order").get(pk=payment.pk)


# --- signatures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "garbage",
        "t=notanumber,v1=abc",
        "t=1,v1=" + "0" * 64,
        "t=1,v1=\u00e9\u00e9",
        "t=1900000000,v1=" + "\u00ff" * 64,
    ],
)
def test_a_missing_or_malformed_signature_is_400_invalid_signature(
    api_client, stripe_gateway, paid, signature
):
    body = event("payment_intent.succeeded", intent(stripe_gateway, paid))

    response = send(api_client, body, signature)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert not WebhookEvent.objects.exists()


def test_a_stale_signature_is_refused(api_client, stripe_gateway, awaiting, settings):
    body = event("payment_intent.succeeded", intent(stripe_gateway, awaiting))
    stale = int(time.time()) - settings.PAYMENT_WEBHOOK_TOLERANCE - 5

    response = send(api_client, body, signed(body, at=stale))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert refresh(awaiting).status == PaymentStatus.REQUIRES_ACTION


def test_a_signature_with_another_secret_or_over_another_body_is_refused(
    api_client, stripe_gateway, awaiting
):
    body = event("payment_intent.succeeded", intent(stripe_gateway, awaiting))

    other_secret = send(api_client, body, signed(body, secret="whsec_someone_else"))
    other_body = send(api_client, body, signed(body.replace(b"requires", b"Requires")))
    not_utf8 = send(api_client, b"\xff" + body, signed(body))

    for response in (other_secret, other_body, not_utf8):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_signature"
    assert refresh(awaiting).status == PaymentStatus.REQUIRES_ACTION


def test_a_signed_body_that_is_not_an_event_is_400(api_client, stripe_gateway):
    for body in (b"[1, 2]", b"not json", orjson.dumps({"id": "evt_1"})):
        response = send(api_client, body)
        assert response.status_code == 400
        assert response.json()["error"]["code"] in ("validation_error", "invalid_json")
    assert not WebhookEvent.objects.exists()


# --- events -----------------------------------------------------------------------------------


def test_succeeded_captures_a_payment_awaiting_the_customer(api_client, stripe_gateway, awaiting):
    stripe_gateway.authenticate(awaiting.provider_reference, awaiting.next_action_client_secret)

    response = send(api_client, event("payment_intent.succeeded", intent(stripe_gateway, awaiting)))

    assert response.status_code == 200
    assert response.json()["data"] == {"received": True, "applied": True}
    payment = refresh(awaiting)
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.order.status == OrderStatus.PAID
    assert payment.next_action_client_secret == ""


def test_a_replayed_event_changes_nothing(api_client, stripe_gateway, awaiting):
    stripe_gateway.authenticate(awaiting.provider_reference, awaiting.next_action_client_secret)
    body = event("payment_intent.succeeded", intent(stripe_gateway, awaiting), event_id="evt_once")

    first = send(api_client, body)
    again = send(api_client, body)

    assert first.json()["data"]["applied"] is True
    assert again.json()["data"]["applied"] is False
    assert WebhookEvent.objects.filter(event_id="evt_once").count() == 1
    assert refresh(awaiting).status == PaymentStatus.CAPTURED


def test_payment_failed_fails_the_payment_with_stripes_code_and_returns_stock(
    api_client, stripe_gateway, awaiting, product
):
    failed = {
        **intent(stripe_gateway, awaiting),
        "status": "requires_payment_method",
        "last_payment_error": {
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
        },
    }

    send(api_client, event("payment_intent.payment_failed", failed))

    payment = refresh(awaiting)
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_code == "insufficient_funds"
    assert payment.order.status == OrderStatus.PAYMENT_FAILED
    product.refresh_from_db()
    assert product.stock == 10


def test_canceled_fails_the_payment(api_client, stripe_gateway, awaiting):
    canceled = {
        **intent(stripe_gateway, awaiting),
        "status": "canceled",
        "cancellation_reason": "abandoned",
    }

    send(api_client, event("payment_intent.canceled", canceled))

    payment = refresh(awaiting)
    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "canceled")
    assert payment.order.status == OrderStatus.PAYMENT_FAILED


def test_a_late_failure_never_undoes_a_capture(api_client, stripe_gateway, paid):
    late = {**intent(stripe_gateway, paid), "last_payment_error": {"code": "card_declined"}}

    response = send(api_client, event("payment_intent.payment_failed", late))

    assert response.status_code == 200
    payment = refresh(paid)
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.order.status == OrderStatus.PAID


def test_a_dashboard_refund_shows_up_through_charge_refunded(api_client, stripe_gateway, paid):
    made = dashboard_refund(stripe_gateway, paid, 700)

    response = send(api_client, event("charge.refunded", charge_of(stripe_gateway, paid)))

    assert response.status_code == 200
    payment = refresh(paid)
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert str(payment.refunded_amount) == "7.00"
    [refund] = Refund.objects.filter(payment=payment)
    assert (refund.provider_reference, refund.status) == (made["id"], Refund.Status.SUCCEEDED)
    assert refund.reason == "Refunded in Stripe's dashboard"
    # The same event again, or the next one listing the same refund, counts it once.
    send(api_client, event("charge.refunded", charge_of(stripe_gateway, paid)))
    assert str(refresh(paid).refunded_amount) == "7.00"


def test_refunds_made_here_are_not_counted_again_by_the_event(
    api_client, admin_client_api, stripe_gateway, paid
):
    admin_client_api.post(
        f"/v1/payments/pay_{paid.pk.hex}/refund", {"amount": "5.00"}, format="json"
    )
    dashboard_refund(stripe_gateway, paid, 2000)

    send(api_client, event("charge.refunded", charge_of(stripe_gateway, paid)))

    payment = refresh(paid)
    assert str(payment.refunded_amount) == "25.00"
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.order.status == OrderStatus.REFUNDED
    assert Refund.objects.filter(payment=payment).count() == 2


def test_a_success_after_a_refund_does_not_un_refund(api_client, stripe_gateway, awaiting):
    """Out of order: the refund's event lands before the success's."""
    stripe_gateway.authenticate(awaiting.provider_reference, awaiting.next_action_client_secret)
    succeeded = intent(stripe_gateway, awaiting)
    dashboard_refund(stripe_gateway, awaiting, 2500)

    send(api_client, event("charge.refunded", charge_of(stripe_gateway, awaiting)))
    late = send(api_client, event("payment_intent.succeeded", succeeded))

    assert late.status_code == 200
    payment = refresh(awaiting)
    assert payment.status == PaymentStatus.REFUNDED
    assert str(payment.captured_amount) == str(payment.refunded_amount) == "25.00"
    assert payment.order.status == OrderStatus.REFUNDED


def test_a_dispute_makes_the_payment_disputed_and_staff_see_it(
    api_client, stripe_gateway, paid, settings
):
    charge = charge_of(stripe_gateway, paid)
    dispute = {
        "id": "du_1Disputed0000000000000",
        "object": "dispute",
        "amount": 2500,
        "currency": "usd",
        "charge": charge["id"],
        "payment_intent": paid.provider_reference,
        "reason": "fraudulent",
        "status": "needs_response",
    }

    response = send(api_client, event("charge.dispute.created", dispute))

    assert response.status_code == 200
    payment = refresh(paid)
    assert payment.status == PaymentStatus.DISPUTED
    assert (payment.dispute_reference, payment.dispute_reason) == (dispute["id"], "fraudulent")
    assert payment.disputed_at is not None
    assert payment.order.status == OrderStatus.PAID
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    site = Client()
    site.force_login(SuperuserFactory())
    listed = site.get("/admin/payments/payment/?status__exact=disputed")
    assert payment.pk.hex[:8] in listed.content.decode() or str(payment.pk) in (
        listed.content.decode()
    )
    page = site.get(f"/admin/payments/payment/{payment.pk}/change/").content.decode()
    assert "Disputed" in page and "fraudulent" in page
    # A disputed charge is no longer refundable from here (Stripe refuses it too).
    assert payment.status not in ("captured", "partially_refunded")


def test_a_dispute_naming_only_the_charge_is_found_through_stripe(api_client, stripe_gateway, paid):
    dispute = {
        "id": "dp_1OnlyCharge",
        "object": "dispute",
        "charge": charge_of(stripe_gateway, paid)["id"],
        "reason": "product_not_received",
    }

    send(api_client, event("charge.dispute.created", dispute))

    assert refresh(paid).status == PaymentStatus.DISPUTED


def test_an_event_for_an_unknown_payment_intent_is_404_and_records_nothing(
    api_client, stripe_gateway, paid
):
    stranger = {**intent(stripe_gateway, paid), "id": "pi_NotOurs000000", "metadata": {}}

    response = send(api_client, event("payment_intent.succeeded", stranger))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not WebhookEvent.objects.exists()
    assert refresh(paid).status == PaymentStatus.CAPTURED


def test_an_event_type_we_do_not_act_on_is_recorded_only(api_client, stripe_gateway):
    response = send(api_client, event("customer.created", {"id": "cus_1", "object": "customer"}))

    assert response.status_code == 200
    assert WebhookEvent.objects.get().type == "customer.created"


def test_an_amount_that_does_not_match_is_not_captured(api_client, stripe_gateway, awaiting):
    tampered = {**intent(stripe_gateway, awaiting), "amount": 1}

    send(api_client, event("payment_intent.succeeded", tampered))

    assert refresh(awaiting).status == PaymentStatus.REQUIRES_ACTION
