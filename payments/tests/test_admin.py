"""The Django admin for payments: read-only pages and a refund action through the service."""

from decimal import Decimal

import pytest
from django.contrib import messages
from django.test import Client

from orders.state import OrderStatus
from orders.tests.factories import (
    SuperuserFactory,
    jobs_drain,
    order_of,
    order_place,
    product_make,
)
from payments.models import Payment, Refund
from payments.services import refund_create
from payments.state import PaymentStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_storage")]

CHANGELIST = "/admin/payments/payment/"


@pytest.fixture
def superuser():
    return SuperuserFactory()


@pytest.fixture
def site(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def captured(customer_client, run_jobs) -> Payment:
    order = order_of(order_place(customer_client, (product_make(price="15.00"), 2)))
    jobs_drain(run_jobs)
    order.payment.refresh_from_db()
    assert order.payment.status == PaymentStatus.CAPTURED
    return order.payment


@pytest.fixture
def processing(customer_client) -> Payment:
    return order_of(order_place(customer_client, (product_make(), 1))).payment


def refund_remaining(site: Client, *payments: Payment, confirm: bool = True):
    """The action, and (by default) "Yes, refund" on its confirmation page."""
    data = {"action": "refund_remaining", "_selected_action": [str(p.pk) for p in payments]}
    if confirm:
        data["apply"] = "1"
    return site.post(CHANGELIST, data, follow=True)


def messages_of(response) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in response.context["messages"]]


def test_changelist_renders(site, captured):
    response = site.get(CHANGELIST)

    assert response.status_code == 200
    assert str(captured.pk).encode() in response.content


def test_change_page_renders(site, captured):
    response = site.get(f"{CHANGELIST}{captured.pk}/change/")

    assert response.status_code == 200


def test_change_page_does_not_save_amounts(site, captured):
    site.post(f"{CHANGELIST}{captured.pk}/change/", {"refunded_amount": "30.00"})

    captured.refresh_from_db()
    assert captured.refunded_amount == 0


def test_refund_remaining_refunds_the_whole_capture(site, captured, superuser):
    response = refund_remaining(site, captured)

    assert response.status_code == 200
    captured.refresh_from_db()
    assert captured.status == PaymentStatus.REFUNDED
    assert captured.refunded_amount == Decimal("30.00")
    refund = Refund.objects.get()
    assert refund.created_by == superuser
    assert messages_of(response) == [(messages.INFO, f"Refunded 30.00 USD of {captured}.")]


def test_refund_remaining_refunds_only_what_is_left(site, captured):
    refund_create(payment_id=captured.pk, amount=Decimal("10.00"))

    refund_remaining(site, captured)

    captured.refresh_from_db()
    assert captured.refunded_amount == Decimal("30.00")
    assert sorted(Refund.objects.values_list("amount", flat=True)) == [
        Decimal("10.00"),
        Decimal("20.00"),
    ]


def test_refund_remaining_makes_the_paid_order_refunded(site, captured):
    refund_remaining(site, captured)

    assert order_of({"id": f"ord_{captured.order_id.hex}"}).status == OrderStatus.REFUNDED


def test_refund_remaining_of_a_processing_payment_warns_and_changes_nothing(site, processing):
    response = refund_remaining(site, processing)

    processing.refresh_from_db()
    assert processing.status == PaymentStatus.PROCESSING
    assert Refund.objects.count() == 0
    [(level, text)] = messages_of(response)
    assert level == messages.WARNING
    assert str(processing) in text


def test_payments_cannot_be_added_in_the_admin(site):
    assert site.get(f"{CHANGELIST}add/").status_code == 403


def test_payments_cannot_be_deleted_in_the_admin(site, captured):
    response = site.post(f"{CHANGELIST}{captured.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Payment.objects.filter(pk=captured.pk).exists()


def test_webhook_events_page_renders(site):
    assert site.get("/admin/payments/webhookevent/").status_code == 200
