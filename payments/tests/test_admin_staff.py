"""The payments admin as staff use it: public ids, and a refund confirmed before it runs."""

from decimal import Decimal

import pytest

from orders.tests.factories import jobs_drain, order_of, order_place, product_make
from payments.models import Payment, Refund, WebhookEvent
from payments.services import refund_create
from payments.state import PaymentStatus
from payments.tests.test_admin import refund_remaining

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_storage")]

CHANGELIST = "/admin/payments/payment/"


def captured_payment(client, run_jobs, price: str) -> Payment:
    order = order_of(order_place(client, (product_make(price=price), 1)))
    jobs_drain(run_jobs)
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.CAPTURED
    return payment


@pytest.fixture
def two_payments(customer_client, other_client, run_jobs) -> tuple[Payment, Payment]:
    return (
        captured_payment(customer_client, run_jobs, "15.00"),
        captured_payment(other_client, run_jobs, "40.00"),
    )


def test_refund_remaining_lists_each_payment_and_amount_before_refunding(site, two_payments):
    first, second = two_payments
    refund_create(payment_id=second.pk, amount=Decimal("10.00"))

    response = refund_remaining(site, first, second, confirm=False)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Nothing is refunded until you confirm" in content
    assert str(first) in content and str(second) in content
    assert "15.00 USD" in content  # all of the first
    assert "30.00 USD" in content  # what is left of the second
    assert "45.00 USD" in content  # the total
    assert 'name="apply"' in content
    assert Refund.objects.filter(payment=first).count() == 0
    first.refresh_from_db()
    assert first.refunded_amount == 0


def test_confirming_refunds_each_payment(site, two_payments):
    first, second = two_payments

    response = refund_remaining(site, first, second)

    assert [m.message for m in response.context["messages"]] == [
        f"Refunded 15.00 USD of {first}.",
        f"Refunded 40.00 USD of {second}.",
    ]
    for payment in two_payments:
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.REFUNDED


def test_the_confirmation_marks_what_cannot_be_refunded(site, customer_client):
    processing = order_of(order_place(customer_client, (product_make(), 1))).payment

    content = refund_remaining(site, processing, confirm=False).content.decode()

    assert "nothing: not refundable" in content
    assert "nothing to refund" in content


def test_the_list_shows_and_finds_public_ids(site, two_payments):
    first, _ = two_payments
    content = site.get(CHANGELIST).content.decode()
    assert f"pay_{first.pk.hex}" in content
    assert f"ord_{first.order_id.hex}" in content

    for term in (f"pay_{first.pk.hex}", f"ord_{first.order_id.hex}"):
        response = site.get(CHANGELIST, {"q": term})
        assert list(response.context["cl"].result_list) == [first]


def test_the_payment_page_links_to_its_order(site, two_payments):
    first, _ = two_payments

    content = site.get(f"{CHANGELIST}{first.pk}/change/").content.decode()

    assert f'href="/admin/orders/order/{first.order_id}/change/"' in content


def test_webhook_events_cannot_be_added_or_deleted(site):
    event = WebhookEvent.objects.create(event_id="evt_1", type="charge.succeeded", payload={})

    assert site.get("/admin/payments/webhookevent/add/").status_code == 403
    response = site.post(f"/admin/payments/webhookevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert WebhookEvent.objects.filter(pk=event.pk).exists()
    assert b"/admin/payments/webhookevent/add/" not in site.get("/admin/").content
