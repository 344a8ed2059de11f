"""PAYMENT_GATEWAY=stripe against localstripe: charges, declines, 3-D Secure, refunds, errors.

Orders go through the API, charges through RQ (the in-process worker) and the
official library over HTTP to localstripe. Where localstripe departs from
Stripe's documented behaviour, the test says so and holds the code to
Stripe's documentation.
"""

import logging
from decimal import Decimal

import django_rq
import pytest
from django.test import Client

from catalog.models import Product
from checkout import services as checkout_services
from orders.state import OrderStatus
from orders.tests.factories import (
    SuperuserFactory,
    capture_on_commit,
    jobs_drain,
    order_body,
    order_of,
    order_place,
    order_post,
    product_make,
)
from payments import services as payment_services
from payments.models import Payment, Refund
from payments.state import PaymentStatus
from tests.stripe.conftest import (
    CARD_DECLINED,
    CARD_SUCCEEDS,
    CARD_THREE_D_SECURE,
    STRIPE_TEST_KEY,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(db) -> Product:
    return product_make(price="12.50", stock=10)


def intent_of(localstripe, payment: Payment) -> dict:
    [intent] = [
        i for i in localstripe.objects("payment_intents") if i["id"] == payment.provider_reference
    ]
    return intent


def intents_for(localstripe, data: dict) -> list[dict]:
    return [
        i
        for i in localstripe.objects("payment_intents")
        if i["metadata"].get("payment_id") == data["payment"]["id"]
    ]


# --- success ---------------------------------------------------------------------------------


def test_a_card_that_succeeds_captures_and_the_order_is_paid(
    customer_client, product, card, run_jobs, stripe_gateway
):
    data = order_place(customer_client, (product, 2), token=card(CARD_SUCCEEDS), run_jobs=run_jobs)

    order = order_of(data)
    assert order.status == OrderStatus.PAID
    assert order.payment.status == PaymentStatus.CAPTURED
    assert order.payment.provider == "stripe"
    assert order.payment.captured_amount == Decimal("25.00")
    [intent] = intents_for(stripe_gateway, data)
    assert intent["id"] == order.payment.provider_reference
    assert intent["status"] == "succeeded"
    # Minor units, and the ids that tie the intent to the shop's rows.
    assert (intent["amount"], intent["currency"]) == (2500, "usd")
    assert intent["metadata"] == {"order_id": data["id"], "payment_id": data["payment"]["id"]}
    assert order.payment.attempts == 1


def test_a_zero_decimal_currency_is_sent_in_whole_units(
    customer_client, card, run_jobs, stripe_gateway
):
    product = product_make(price="1500.00", currency="JPY")

    data = order_place(customer_client, (product, 1), token=card(CARD_SUCCEEDS), run_jobs=run_jobs)

    [intent] = intents_for(stripe_gateway, data)
    assert (intent["amount"], intent["currency"]) == (1500, "jpy")
    assert order_of(data).payment.status == PaymentStatus.CAPTURED


# --- decline ---------------------------------------------------------------------------------


def test_a_declined_card_fails_with_stripes_code_and_returns_the_stock(
    customer_client, product, card, run_jobs, stripe_gateway
):
    """localstripe answers card 4000000000000341 with ``code: card_declined`` and no
    ``decline_code``; Stripe adds one (``generic_decline``...), which the gateway
    takes first (see test_stripe_gateway_units)."""
    data = order_place(customer_client, (product, 3), token=card(CARD_DECLINED), run_jobs=run_jobs)

    order = order_of(data)
    assert order.status == OrderStatus.PAYMENT_FAILED
    assert order.payment.status == PaymentStatus.FAILED
    assert order.payment.failure_code == "card_declined"
    assert order.payment.captured_amount == 0
    product.refresh_from_db()
    assert product.stock == 10
    [intent] = intents_for(stripe_gateway, data)
    assert intent["status"] == "requires_payment_method"
    assert not [c for c in stripe_gateway.objects("charges") if c["status"] == "succeeded"]


# --- 3-D Secure --------------------------------------------------------------------------------


@pytest.fixture
def awaiting(customer_client, product, card, run_jobs, stripe_gateway) -> dict:
    """An order whose card needs 3-D Secure: the charge job has run."""
    data = order_place(
        customer_client, (product, 2), token=card(CARD_THREE_D_SECURE), run_jobs=run_jobs
    )
    assert order_of(data).payment.status == PaymentStatus.REQUIRES_ACTION
    return data


def test_three_d_secure_leaves_the_order_pending_with_a_next_action_for_its_owner(
    customer_client, awaiting, stripe_gateway
):
    response = customer_client.get(f"/v1/orders/{awaiting['id']}")

    body = response.json()["data"]
    assert body["status"] == "pending"
    assert body["payment"]["status"] == "requires_action"
    intent = intent_of(stripe_gateway, order_of(awaiting).payment)
    assert body["payment"]["nextAction"] == {
        "type": "use_stripe_sdk",
        "clientSecret": intent["client_secret"],
    }
    assert response["Cache-Control"] == "no-store"
    payment = customer_client.get(f"/v1/payments/{awaiting['payment']['id']}")
    assert payment.json()["data"]["nextAction"]["clientSecret"] == intent["client_secret"]
    assert payment["Cache-Control"] == "no-store"
    listed = customer_client.get("/v1/orders").json()["data"][0]
    assert listed["payment"]["nextAction"]["clientSecret"] == intent["client_secret"]


def test_the_client_secret_is_shown_to_no_admin_and_no_other_customer(
    admin_client_api, other_client, awaiting
):
    for path in (f"/v1/orders/{awaiting['id']}", f"/v1/payments/{awaiting['payment']['id']}"):
        as_admin = admin_client_api.get(path)
        assert as_admin.status_code == 200
        assert "clientSecret" not in as_admin.content.decode()
        assert "nextAction" not in as_admin.content.decode()
        assert other_client.get(path).status_code == 404
    listed = admin_client_api.get("/v1/orders").json()["data"][0]
    assert "nextAction" not in listed["payment"]


def test_the_order_create_response_never_carries_the_client_secret(
    customer_client, product, card, stripe_gateway, run_jobs
):
    """The 201 is what an Idempotency-Key replays for 24 hours: the secret is never in it."""
    body = order_body((product, 1), token=card(CARD_THREE_D_SECURE))
    first = order_post(customer_client, body, key="three-d-secure-once")
    jobs_drain(run_jobs)

    replay = order_post(customer_client, body, key="three-d-secure-once")

    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert "nextAction" not in first.content.decode()
    assert "secret" not in replay.content.decode()


def test_the_admin_pages_show_the_status_but_never_the_client_secret(awaiting, stripe_gateway):
    site = Client()
    site.force_login(SuperuserFactory())
    payment = order_of(awaiting).payment

    page = site.get(f"/admin/payments/payment/{payment.pk}/change/")

    assert page.status_code == 200
    assert "Requires action" in page.content.decode()
    assert payment.next_action_client_secret not in page.content.decode()


def test_a_payment_whose_webhook_never_came_is_settled_by_the_sweep(
    awaiting, stripe_gateway, run_jobs, settings
):
    """localstripe sends no event here (no endpoint is registered): the sweep asks Stripe."""
    payment = order_of(awaiting).payment
    assert (
        stripe_gateway.authenticate(
            payment.provider_reference, payment.next_action_client_secret
        ).status
        == 200
    )
    settings.PAYMENT_SWEEP_AFTER = 0

    with capture_on_commit(execute=True):
        assert payment_services.payments_sweep() == 1
    jobs_drain(run_jobs)

    order = order_of(awaiting)
    assert order.payment.status == PaymentStatus.CAPTURED
    assert order.status == OrderStatus.PAID
    assert order.payment.next_action_client_secret == ""


def test_a_failed_authentication_is_settled_by_the_sweep(
    awaiting, stripe_gateway, run_jobs, settings, product
):
    """Stripe sends ``payment_intent.payment_failed`` when the customer fails 3-D
    Secure; localstripe sends nothing then, so the sweep is what finds out here."""
    payment = order_of(awaiting).payment
    stripe_gateway.authenticate(
        payment.provider_reference, payment.next_action_client_secret, success=False
    )
    settings.PAYMENT_SWEEP_AFTER = 0

    with capture_on_commit(execute=True):
        payment_services.payments_sweep()
    jobs_drain(run_jobs)

    order = order_of(awaiting)
    assert order.payment.status == PaymentStatus.FAILED
    assert order.payment.failure_code == "payment_intent_authentication_failure"
    assert order.status == OrderStatus.PAYMENT_FAILED
    product.refresh_from_db()
    assert product.stock == 10


def test_a_payment_still_awaiting_the_customer_is_asked_again_later(
    awaiting, stripe_gateway, run_jobs, settings
):
    settings.PAYMENT_SWEEP_AFTER = 0

    with capture_on_commit(execute=True):
        payment_services.payments_sweep()
    jobs_drain(run_jobs)

    assert order_of(awaiting).payment.status == PaymentStatus.REQUIRES_ACTION
    assert order_of(awaiting).status == OrderStatus.PENDING


def test_cancelling_the_order_cancels_its_payment_intent(
    customer_client, awaiting, stripe_gateway, product
):
    response = customer_client.post(f"/v1/orders/{awaiting['id']}/cancel")

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "cancelled"
    order = order_of(awaiting)
    assert order.payment.status == PaymentStatus.FAILED
    assert order.payment.failure_code == "order_cancelled"
    assert intent_of(stripe_gateway, order.payment)["status"] == "canceled"
    product.refresh_from_db()
    assert product.stock == 10


def test_an_expired_order_in_requires_action_has_its_intent_cancelled(
    awaiting, stripe_gateway, settings
):
    settings.ORDER_PENDING_TIMEOUT = 0

    assert checkout_services.orders_expire_pending() == 1

    order = order_of(awaiting)
    assert order.status == OrderStatus.CANCELLED
    assert order.payment.status == PaymentStatus.FAILED
    assert intent_of(stripe_gateway, order.payment)["status"] == "canceled"


# --- refunds ----------------------------------------------------------------------------------


@pytest.fixture
def paid(customer_client, product, card, run_jobs, stripe_gateway) -> dict:
    data = order_place(customer_client, (product, 2), token=card(CARD_SUCCEEDS), run_jobs=run_jobs)
    assert order_of(data).status == OrderStatus.PAID
    return data


def stripe_refunds(localstripe, payment: Payment) -> list[dict]:
    reply = localstripe.call("GET", f"/v1/refunds?payment_intent={payment.provider_reference}")
    return reply.body["data"]


def test_a_partial_then_a_full_refund_go_through_stripe_with_our_ids(
    admin_client_api, paid, stripe_gateway
):
    url = f"/v1/payments/{paid['payment']['id']}/refund"

    first = admin_client_api.post(url, {"amount": "5.00"}, format="json")
    rest = admin_client_api.post(url, {}, format="json")

    assert (first.status_code, rest.status_code) == (201, 201)
    assert rest.json()["data"]["status"] == "refunded"
    payment = order_of(paid).payment
    ours = {r.provider_reference: r for r in Refund.objects.filter(payment=payment)}
    theirs = stripe_refunds(stripe_gateway, payment)
    assert sorted(r["amount"] for r in theirs) == [500, 2000]
    for refund in theirs:
        assert ours[refund["id"]].amount * 100 == refund["amount"]
        assert refund["metadata"]["refund_id"] == ours[refund["id"]].id.hex
    assert order_of(paid).status == OrderStatus.REFUNDED


def test_a_refund_above_what_is_left_is_409_and_stripe_is_not_asked(
    admin_client_api, paid, stripe_gateway
):
    """localstripe would refund more than the charge (Stripe refuses it): the shop
    refuses it first, so Stripe never sees it."""
    response = admin_client_api.post(
        f"/v1/payments/{paid['payment']['id']}/refund", {"amount": "25.01"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    payment = order_of(paid).payment
    assert stripe_refunds(stripe_gateway, payment) == []
    assert payment.refunded_amount == 0
    assert not Refund.objects.exists()


def test_the_admin_refund_action_goes_through_stripe(paid, stripe_gateway, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    site = Client()
    site.force_login(SuperuserFactory())
    order = order_of(paid)

    site.post(
        "/admin/orders/order/",
        {
            "action": "refund",
            "_selected_action": [str(order.pk)],
            "apply": "1",
            "amount": "7.50",
            "reason": "Chipped",
        },
        follow=True,
    )

    [refund] = stripe_refunds(stripe_gateway, order.payment)
    assert refund["amount"] == 750
    assert order_of(paid).payment.status == PaymentStatus.PARTIALLY_REFUNDED


def test_cancelling_a_paid_order_refunds_it_at_stripe(customer_client, paid, stripe_gateway):
    response = customer_client.post(f"/v1/orders/{paid['id']}/cancel")

    assert response.json()["data"]["status"] == "cancelled"
    [refund] = stripe_refunds(stripe_gateway, order_of(paid).payment)
    assert refund["amount"] == 2500


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    ["tok_visa", "pm_", "pm_ spaces", "", "ch_3MmlLrLkdIwHu7ix0snN0B15"],
)
def test_a_token_that_is_not_a_payment_method_id_is_400_and_changes_nothing(
    customer_client, product, stripe_gateway, token
):
    body = order_body((product, 1))
    if token:
        body["paymentToken"] = token

    response = order_post(customer_client, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "paymentToken" in response.json()["error"]["details"]
    assert not Payment.objects.exists()
    product.refresh_from_db()
    assert product.stock == 10
    assert django_rq.get_queue("payments").count == 0


def test_an_unknown_payment_method_is_400_and_changes_nothing(
    customer_client, product, stripe_gateway
):
    response = order_post(customer_client, order_body((product, 1), token="pm_1NoSuchMethod"))

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"paymentToken": ["No such PaymentMethod."]}
    assert not Payment.objects.exists()
    assert stripe_gateway.objects("payment_intents") == []


@pytest.mark.parametrize(
    "where",
    [
        {"paymentToken": "4242424242424242"},
        {"paymentToken": "4242 4242 4242 4242"},
        {"card": {"number": "4000-0000-0000-0341", "cvc": "123"}},
        {
            "shippingAddress": {
                "street": "4242424242424242",
                "city": "X",
                "zip": "1",
                "country": "US",
            }
        },
    ],
)
def test_a_body_carrying_a_card_number_is_400_and_never_echoes_it(
    customer_client, product, stripe_gateway, where, caplog
):
    body = {**order_body((product, 1)), **where}

    with caplog.at_level(logging.DEBUG):
        response = order_post(customer_client, body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "Card numbers are never accepted" in error["message"]
    for number in ("4242424242424242", "4242 4242 4242 4242", "4000-0000-0000-0341"):
        assert number not in response.content.decode()
        assert number not in caplog.text
    assert not Payment.objects.exists()


# --- transient and permanent errors -----------------------------------------------------------


def test_a_connection_error_is_retried_with_the_back_off_and_charges_once(
    customer_client, product, card, run_jobs, stripe_gateway, settings
):
    """Stripe unreachable (nothing listens on the port) on the first attempt; the
    job's retry finds it again and makes the one PaymentIntent."""
    token = card(CARD_SUCCEEDS)
    settings.PAYMENT_RETRY_INTERVALS = [60]
    data = order_place(customer_client, (product, 1), token=token)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    run_jobs()

    payment = order_of(data).payment
    assert (payment.status, payment.attempts) == (PaymentStatus.PROCESSING, 1)
    queue = django_rq.get_queue("payments")
    [retry] = queue.scheduled_job_registry.get_job_ids()
    settings.STRIPE_API_BASE = stripe_gateway.url
    # The back-off's wait is over: RQ's scheduler would enqueue it now.
    queue.scheduled_job_registry.remove(retry)
    queue.enqueue_job(queue.fetch_job(retry))
    jobs_drain(run_jobs)

    payment = order_of(data).payment
    assert (payment.status, payment.attempts) == (PaymentStatus.CAPTURED, 2)
    assert len(intents_for(stripe_gateway, data)) == 1


def test_a_refused_key_is_permanent_not_retried_and_shown_on_ready(
    customer_client, product, card, run_jobs, stripe_gateway, settings, caplog, api_client
):
    """Stripe answers a revoked key with 401. localstripe accepts any ``sk_`` key and
    refuses other ones, so a restricted key (``rk_...``) plays the revoked one."""
    data = order_place(customer_client, (product, 1), token=card(CARD_SUCCEEDS))
    revoked = "rk_test_revoked_0123456789abcdef"
    settings.STRIPE_SECRET_KEY = revoked

    with caplog.at_level(logging.DEBUG):
        jobs_drain(run_jobs)

    payment = order_of(data).payment
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_code == "provider_error"
    assert payment.attempts == 1
    assert django_rq.get_queue("payments").count == 0
    assert len(django_rq.get_queue("payments").scheduled_job_registry) == 0
    assert order_of(data).status == OrderStatus.PAYMENT_FAILED
    assert "authentication_error" in caplog.text
    assert revoked not in caplog.text
    assert STRIPE_TEST_KEY not in caplog.text
    ready = api_client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"
    assert ready.json()["degraded"]["paymentGateway"]["code"] == "authentication_error"
    assert revoked not in ready.content.decode()


def test_with_a_refused_key_no_order_is_placed(
    customer_client, product, card, stripe_gateway, settings
):
    token = card(CARD_SUCCEEDS)
    settings.STRIPE_SECRET_KEY = "rk_test_revoked_0123456789abcdef"

    response = order_post(customer_client, order_body((product, 1), token=token))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert not Payment.objects.exists()
    product.refresh_from_db()
    assert product.stock == 10


def test_the_next_capture_clears_the_degraded_state(
    customer_client, product, card, run_jobs, stripe_gateway, settings, api_client
):
    data = order_place(customer_client, (product, 1), token=card(CARD_SUCCEEDS))
    settings.STRIPE_SECRET_KEY = "rk_test_revoked_0123456789abcdef"
    jobs_drain(run_jobs)
    assert "degraded" in api_client.get("/ready").json()
    settings.STRIPE_SECRET_KEY = STRIPE_TEST_KEY

    order_place(customer_client, (product, 1), token=card(CARD_SUCCEEDS), run_jobs=run_jobs)

    assert order_of(data).status == OrderStatus.PAYMENT_FAILED
    assert "degraded" not in api_client.get("/ready").json()


def test_a_cancelled_orders_unconfirmed_intent_is_cancelled_when_its_retry_runs(
    customer_client, product, card, run_jobs, stripe_gateway
):
    """An earlier attempt made the intent and stored it, then failed transiently; the
    order is cancelled before the retry: the retry voids the payment and cancels the
    intent at Stripe instead of confirming it."""
    from payments.gateway import get_gateway

    data = order_place(customer_client, (product, 1), token=card(CARD_SUCCEEDS))
    payment = order_of(data).payment
    made = get_gateway().client.v1.payment_intents.create(
        params={"amount": 1250, "currency": "usd", "payment_method": payment.payment_token}
    )
    payment_services._payment_reference_record(payment.pk, made.id)
    assert customer_client.post(f"/v1/orders/{data['id']}/cancel").status_code == 200

    jobs_drain(run_jobs)

    payment = order_of(data).payment
    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "order_cancelled")
    assert intent_of(stripe_gateway, payment)["status"] == "canceled"
    assert not stripe_gateway.objects("charges")
