"""Simulator parity: ``tok_threeDSecure`` needs the customer, as Stripe's 3-D Secure cards do.

The order stays pending with a ``requires_action`` payment and a next action
for its owner; ``manage.py payment_simulate_authentication`` then plays the
customer and the provider and sends the simulator's signed webhook to a live
server, which captures (or fails) the payment.
"""

import pytest
from django.core.management import CommandError, call_command

from orders.state import OrderStatus
from orders.tests.factories import order_of, order_place, product_make
from payments import services
from payments.models import SimulatedCharge
from payments.state import PaymentStatus

SECRET = "whsec_simulator_test_0123456789"


@pytest.fixture
def awaiting(customer_client, run_jobs, settings) -> dict:
    settings.PAYMENT_WEBHOOK_SECRET = SECRET
    product = product_make(price="40.00", stock=5)
    data = order_place(customer_client, (product, 1), token="tok_threeDSecure", run_jobs=run_jobs)
    data["product"] = product
    return data


@pytest.mark.django_db
def test_three_d_secure_leaves_the_order_pending_with_a_next_action(customer_client, awaiting):
    body = customer_client.get(f"/v1/orders/{awaiting['id']}").json()["data"]

    assert body["status"] == "pending"
    assert body["payment"]["status"] == "requires_action"
    next_action = body["payment"]["nextAction"]
    assert next_action["type"] == "use_stripe_sdk"
    payment = order_of(awaiting).payment
    assert next_action["clientSecret"].startswith(f"{payment.provider_reference}_secret_")
    assert SimulatedCharge.objects.get(kind="charge").outcome == "requires_action"


@pytest.mark.django_db
def test_a_replayed_charge_still_requires_action(awaiting):
    assert services.payment_charge(payment_id=order_of(awaiting).payment.pk) == "skipped"
    assert order_of(awaiting).payment.status == PaymentStatus.REQUIRES_ACTION


@pytest.mark.django_db(transaction=True)
def test_the_signed_webhook_completes_it(awaiting, live_server):
    payment = order_of(awaiting).payment

    call_command(
        "payment_simulate_authentication",
        f"pay_{payment.pk.hex}",
        url=f"{live_server.url}/v1/payments/webhook",
    )

    order = order_of(awaiting)
    assert order.payment.status == PaymentStatus.CAPTURED
    assert order.status == OrderStatus.PAID
    assert order.payment.next_action_client_secret == ""
    assert SimulatedCharge.objects.get(kind="charge").outcome == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_a_failed_authentication_fails_it_and_returns_the_stock(awaiting, live_server):
    payment = order_of(awaiting).payment

    call_command(
        "payment_simulate_authentication",
        f"pay_{payment.pk.hex}",
        "--fail",
        url=f"{live_server.url}/v1/payments/webhook",
    )

    order = order_of(awaiting)
    assert order.payment.status == PaymentStatus.FAILED
    assert order.status == OrderStatus.PAYMENT_FAILED
    awaiting["product"].refresh_from_db()
    assert awaiting["product"].stock == 5


@pytest.mark.django_db
def test_the_sweep_asks_the_simulator_and_cancelling_voids_it(customer_client, awaiting, settings):
    payment = order_of(awaiting).payment
    settings.PAYMENT_SWEEP_AFTER = 0
    assert services.payment_refresh(payment_id=payment.pk) == "waiting"

    customer_client.post(f"/v1/orders/{awaiting['id']}/cancel")

    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "order_cancelled")
    assert SimulatedCharge.objects.get(kind="charge").outcome == "canceled"


@pytest.mark.django_db
def test_a_payment_not_awaiting_the_customer_is_refused(customer_client, run_jobs, settings):
    settings.PAYMENT_WEBHOOK_SECRET = SECRET
    data = order_place(customer_client, (product_make(), 1), run_jobs=run_jobs)

    with pytest.raises(CommandError, match="awaits authentication"):
        call_command("payment_simulate_authentication", data["payment"]["id"])
