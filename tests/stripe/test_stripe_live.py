"""Stripe's webhooks delivered by localstripe itself to a live gunicorn, and the worker
killed in the middle of a Stripe charge.

Transactional tests: gunicorn and ``manage.py rqworker`` (production settings,
PAYMENT_GATEWAY=stripe, STRIPE_API_BASE at localstripe) see what the test
commits, and the test sees what they commit. localstripe's webhook endpoint
is registered through its config route (``POST /_config/webhooks/:id``); it
signs each event in Stripe's scheme with STRIPE_WEBHOOK_SECRET.
"""

import django_rq
import pytest

from accounts.tokens import token_pair_issue
from catalog.models import StockMovement
from orders.models import Order
from orders.state import OrderStatus
from orders.tests.factories import order_body
from orders.tests.support import assert_no_stock_drift
from payments import services as payment_services
from payments.models import Payment, WebhookEvent
from payments.state import PaymentStatus
from tests.drills.support import figures, wait_for
from tests.drills.test_worker_killed_mid_payment import requeue_abandoned_job
from tests.stripe.conftest import (
    CARD_SUCCEEDS,
    CARD_THREE_D_SECURE,
    CARD_THREE_D_SECURE_THEN_DECLINED,
)

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

STOCK = 10
QUANTITY = 2


def place(customer_client, product, token: str) -> Payment:
    response = customer_client.post(
        "/v1/orders", order_body((product, QUANTITY), token=token), format="json"
    )
    assert response.status_code == 201, response.content
    return Payment.objects.get(order_id=response.json()["data"]["id"].removeprefix("ord_"))


def status_of(payment: Payment) -> tuple[str, str]:
    payment.refresh_from_db()
    return payment.status, Order.objects.get(pk=payment.order_id).status


@pytest.fixture
def live(api_server, stripe_env, stripe_webhooks):
    """gunicorn with PAYMENT_GATEWAY=stripe, receiving localstripe's events."""
    server = api_server(workers=2, **stripe_env)
    stripe_webhooks(server.port)
    return server


def test_three_d_secure_is_completed_by_stripes_webhook(
    live, stocked_product, customer_client, customer, card, run_jobs, stripe_gateway
):
    product = stocked_product(stock=STOCK)
    payment = place(customer_client, product, card(CARD_THREE_D_SECURE))
    run_jobs()
    assert status_of(payment) == (PaymentStatus.REQUIRES_ACTION, OrderStatus.PENDING)

    # The shop's frontend reads the order as its owner, over HTTP, and finishes
    # the challenge with the client secret, as Stripe.js does.
    token = token_pair_issue(user=customer).access
    order = live.call(
        "GET",
        f"/v1/orders/ord_{payment.order_id.hex}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert order.status == 200, order
    assert order.headers["cache-control"] == "no-store"
    next_action = order.body["data"]["payment"]["nextAction"]
    assert next_action["type"] == "use_stripe_sdk"
    reply = stripe_gateway.authenticate(payment.provider_reference, next_action["clientSecret"])
    assert reply.status == 200, reply

    wait_for(
        lambda: status_of(payment) == (PaymentStatus.CAPTURED, OrderStatus.PAID),
        timeout=30,
        what="localstripe's payment_intent.succeeded to land",
    )
    assert WebhookEvent.objects.filter(type="payment_intent.succeeded").count() == 1
    payment.refresh_from_db()
    assert payment.captured_amount == payment.amount
    assert payment.next_action_client_secret == ""


def test_three_d_secure_then_declined_fails_by_webhook_and_returns_stock(
    live, stocked_product, customer_client, card, run_jobs, stripe_gateway
):
    product = stocked_product(stock=STOCK)
    payment = place(customer_client, product, card(CARD_THREE_D_SECURE_THEN_DECLINED))
    run_jobs()
    payment.refresh_from_db()

    reply = stripe_gateway.authenticate(
        payment.provider_reference, payment.next_action_client_secret
    )
    assert reply.status == 402  # authenticated, then the bank declined

    wait_for(
        lambda: status_of(payment) == (PaymentStatus.FAILED, OrderStatus.PAYMENT_FAILED),
        timeout=30,
        what="localstripe's payment_intent.payment_failed to land",
    )
    assert payment.failure_code == "card_declined"
    product.refresh_from_db()
    assert product.stock == STOCK
    assert_no_stock_drift()


def test_the_success_event_after_the_job_captured_changes_nothing(
    live, stocked_product, customer_client, card, run_jobs
):
    product = stocked_product(stock=STOCK)
    payment = place(customer_client, product, card(CARD_SUCCEEDS))
    run_jobs()
    assert status_of(payment) == (PaymentStatus.CAPTURED, OrderStatus.PAID)

    wait_for(
        lambda: WebhookEvent.objects.filter(type="payment_intent.succeeded").exists(),
        timeout=30,
        what="localstripe's payment_intent.succeeded to land",
    )

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.captured_amount == payment.amount
    assert StockMovement.objects.filter(order_id=payment.order_id).count() == 1


# --- the worker killed mid-charge ------------------------------------------------------------

STALL_MS = "120000"


@pytest.fixture
def stalling_env(stripe_env, tmp_path):
    markers = tmp_path / "gateway"
    markers.mkdir()

    def env(stall_at: str) -> dict[str, str]:
        return {
            **stripe_env,
            "PAYMENT_GATEWAY": "tests.drills.gateway.FirstCallStallsStripeGateway",
            "PAYMENT_SIMULATOR_DELAY_MS": STALL_MS,
            "DRILL_GATEWAY_DIR": str(markers),
            "DRILL_GATEWAY_HANG": stall_at,
        }

    return env, markers


def assert_charged_once(localstripe, payment: Payment, product) -> None:
    """One PaymentIntent for the payment, one successful charge of it, recorded once."""
    payment.refresh_from_db()
    public = f"pay_{payment.pk.hex}"
    intents = [
        i
        for i in localstripe.objects("payment_intents")
        if i["metadata"].get("payment_id") == public
    ]
    assert [i["id"] for i in intents] == [payment.provider_reference]
    charges = [
        c
        for c in localstripe.objects("charges")
        if c["payment_intent"] == payment.provider_reference and c["status"] == "succeeded"
    ]
    assert len(charges) == 1
    assert charges[0]["amount"] == int(payment.amount * 100)
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.captured_amount == payment.amount
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PAID
    movements = StockMovement.objects.filter(order_id=payment.order_id)
    assert [(m.reason, m.delta) for m in movements] == [
        (StockMovement.Reason.ORDER_RESERVE, -QUANTITY)
    ]
    product.refresh_from_db()
    assert product.stock == STOCK - QUANTITY
    assert_no_stock_drift()


def test_worker_killed_after_stripe_charged_is_recovered_without_a_second_charge(
    rq_worker,
    stalling_env,
    stocked_product,
    customer_client,
    card,
    stripe_gateway,
    settings,
    run_jobs,
):
    env, markers = stalling_env
    settings.PAYMENT_RETRY_INTERVALS = [0]
    product = stocked_product(stock=STOCK)
    payment = place(customer_client, product, card(CARD_SUCCEEDS))
    marker = markers / f"charge-{payment.pk}"

    with figures("worker killed mid-Stripe-charge, answer in flight") as record:
        worker = rq_worker(**env("response"))
        wait_for(marker.exists, what="the worker holding Stripe's answer")
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.PROCESSING  # charged at Stripe, not here
        worker.kill()
        record.faults += 1
        record.orders_during_faults += 1

        settings.PAYMENT_SWEEP_AFTER = 0
        assert payment_services.payments_sweep() == 1
        assert rq_worker(burst=True, **env("response")).wait() == 0

        payment.refresh_from_db()
        assert payment.attempts == 2
        assert_charged_once(stripe_gateway, payment, product)

        # The dead worker's job, found abandoned later, skips.
        requeue_abandoned_job(django_rq.get_queue("payments"))
        run_jobs()
        assert_charged_once(stripe_gateway, payment, product)


def test_worker_killed_before_confirming_confirms_the_one_intent_on_retry(
    rq_worker, stalling_env, stocked_product, customer_client, card, stripe_gateway, settings
):
    env, markers = stalling_env
    settings.PAYMENT_RETRY_INTERVALS = [0]
    product = stocked_product(stock=STOCK)
    payment = place(customer_client, product, card(CARD_SUCCEEDS))
    marker = markers / f"charge-{payment.pk}"

    with figures("worker killed mid-Stripe-charge, intent made, not confirmed") as record:
        worker = rq_worker(**env("request"))
        wait_for(marker.exists, what="the worker between making and confirming the intent")
        payment.refresh_from_db()
        assert payment.provider_reference.startswith("pi_")
        assert not stripe_gateway.objects("charges")  # Stripe has charged nothing yet
        worker.kill()
        record.faults += 1
        record.orders_during_faults += 1

        requeue_abandoned_job(django_rq.get_queue("payments"))
        assert rq_worker(burst=True, **env("request")).wait() == 0

        payment.refresh_from_db()
        assert payment.attempts == 2
        assert_charged_once(stripe_gateway, payment, product)
