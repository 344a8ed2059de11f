"""Stripe's events racing each other: a duplicate delivery and two events naming one
refund, sent at the same instant from parallel threads, count once."""

import pytest
from django.test import Client

from orders.state import OrderStatus
from orders.tests.factories import order_of, order_place
from orders.tests.support import assert_no_stock_drift, run_in_threads
from payments.models import Payment, Refund, WebhookEvent
from payments.state import PaymentStatus
from tests.stripe.conftest import CARD_SUCCEEDS, CARD_THREE_D_SECURE
from tests.stripe.test_stripe_webhook import (
    WEBHOOK,
    charge_of,
    dashboard_refund,
    event,
    intent,
    signed,
)

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def post(body: bytes):
    return Client().post(
        WEBHOOK, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signed(body)
    )


def test_one_event_delivered_six_times_at_once_is_applied_once(
    customer_client, card, run_jobs, stripe_gateway, make_product
):
    product = make_product(price="12.50", stock=10)
    data = order_place(
        customer_client, (product, 2), token=card(CARD_THREE_D_SECURE), run_jobs=run_jobs
    )
    payment = order_of(data).payment
    stripe_gateway.authenticate(payment.provider_reference, payment.next_action_client_secret)
    body = event("payment_intent.succeeded", intent(stripe_gateway, payment), event_id="evt_race")

    results = run_in_threads(THREADS, lambda _: post(body))

    assert all(r.status_code == 200 for r in results), [getattr(r, "content", r) for r in results]
    assert sorted(r.json()["data"]["applied"] for r in results) == [False] * 5 + [True]
    assert WebhookEvent.objects.filter(event_id="evt_race").count() == 1
    payment = Payment.objects.get(pk=payment.pk)
    assert payment.status == PaymentStatus.CAPTURED
    assert order_of(data).status == OrderStatus.PAID
    assert_no_stock_drift()


def test_events_naming_one_dashboard_refund_at_once_count_it_once(
    customer_client, card, run_jobs, stripe_gateway, make_product
):
    product = make_product(price="12.50", stock=10)
    data = order_place(customer_client, (product, 2), token=card(CARD_SUCCEEDS), run_jobs=run_jobs)
    payment = order_of(data).payment
    dashboard_refund(stripe_gateway, payment, 1000)
    charge = charge_of(stripe_gateway, payment)
    bodies = [event("charge.refunded", charge, event_id=f"evt_refund_{i}") for i in range(THREADS)]

    results = run_in_threads(THREADS, lambda i: post(bodies[i]))

    assert all(r.status_code == 200 for r in results), [getattr(r, "content", r) for r in results]
    payment = Payment.objects.get(pk=payment.pk)
    assert str(payment.refunded_amount) == "10.00"
    assert Refund.objects.filter(payment=payment).count() == 1
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
