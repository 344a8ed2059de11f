"""Shipment details on an order, and the customer's e-mail at each status move.

E-mails are RQ jobs (real Redis, run by ``run_jobs``) and land in Django's
outbox; each has a text and an HTML part rendered from templates.
"""

import pytest
from django.core import mail

from orders.state import OrderStatus
from orders.tests.factories import (
    capture_on_commit,
    jobs_drain,
    order_of,
    order_place,
    product_make,
)
from orders.tests.factories import (
    order_id as public_order_id,
)

pytestmark = pytest.mark.django_db

ORDERS = "/v1/orders"


@pytest.fixture
def product(db):
    return product_make(name="Teapot", price="12.50", stock=10)


@pytest.fixture
def paid(customer_client, product, run_jobs) -> dict:
    data = order_place(customer_client, (product, 2), run_jobs=run_jobs)
    assert order_of(data).status == OrderStatus.PAID
    mail.outbox.clear()
    return data


def patch(client, data: dict, body: dict):
    with capture_on_commit(execute=True):
        return client.patch(f"{ORDERS}/{data['id']}", body, format="json")


def html_of(message) -> str:
    ((html, kind),) = message.alternatives
    assert kind == "text/html"
    return html


# --- shipment in the API ----------------------------------------------------------


def test_an_order_has_no_shipment_before_it_ships(customer_client, paid):
    assert customer_client.get(f"{ORDERS}/{paid['id']}").json()["data"]["shipment"] is None


def test_admin_ships_with_carrier_and_tracking_number(admin_client_api, customer_client, paid):
    response = patch(
        admin_client_api, paid, {"status": "shipped", "carrier": "UPS", "trackingNumber": "1Z999"}
    )

    assert response.status_code == 200, response.content
    shipment = response.json()["data"]["shipment"]
    assert (shipment["carrier"], shipment["trackingNumber"]) == ("UPS", "1Z999")
    assert shipment["shippedAt"].endswith("Z")
    mine = customer_client.get(f"{ORDERS}/{paid['id']}").json()["data"]
    assert mine["status"] == "shipped"
    assert mine["shipment"] == shipment


def test_shipping_without_carrier_still_records_the_time(admin_client_api, paid):
    shipment = patch(admin_client_api, paid, {"status": "shipped"}).json()["data"]["shipment"]

    assert shipment["carrier"] == shipment["trackingNumber"] == ""
    assert shipment["shippedAt"]


def test_a_tracking_number_with_another_status_is_refused(admin_client_api, paid):
    response = patch(admin_client_api, paid, {"status": "cancelled", "trackingNumber": "1Z"})

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"trackingNumber": ["Only with status shipped."]}
    assert order_of(paid).status == OrderStatus.PAID


def test_shipping_a_pending_order_is_a_conflict_and_records_nothing(
    admin_client_api, customer_client, product
):
    pending = order_place(customer_client, (product, 1))

    response = patch(admin_client_api, pending, {"status": "shipped", "carrier": "UPS"})

    assert response.status_code == 409
    order = order_of(pending)
    assert (order.carrier, order.shipped_at) == ("", None)


def test_a_customer_cannot_ship_their_own_order(customer_client, paid):
    response = patch(customer_client, paid, {"status": "shipped", "carrier": "UPS"})

    assert response.status_code == 403
    assert order_of(paid).shipped_at is None


@pytest.mark.parametrize("field", ["carrier", "trackingNumber"])
def test_a_shipment_field_over_100_characters_is_refused(admin_client_api, paid, field):
    response = patch(admin_client_api, paid, {"status": "shipped", field: "x" * 101})

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


# --- e-mails ----------------------------------------------------------------------


def test_paid_mail_has_a_text_and_an_html_part(customer, customer_client, product, run_jobs):
    data = order_place(customer_client, (product, 2), run_jobs=run_jobs)

    (message,) = mail.outbox
    assert message.to == [customer.email]
    assert message.subject == f"Your order {data['id']} is confirmed"
    assert "2 x Teapot  25.00 USD" in message.body
    assert "Total: 25.00 USD" in message.body
    html = html_of(message)
    assert "<address" in html
    assert "2 &times; Teapot" in html


def test_shipped_mail_carries_carrier_and_tracking_number(admin_client_api, paid, run_jobs):
    patch(admin_client_api, paid, {"status": "shipped", "carrier": "DHL", "trackingNumber": "JD01"})
    jobs_drain(run_jobs)

    (message,) = mail.outbox
    assert message.subject == f"Your order {paid['id']} has shipped"
    assert "Carrier: DHL" in message.body
    assert "Tracking number: JD01" in message.body
    assert "<strong>JD01</strong>" in html_of(message)


def test_html_part_escapes_what_staff_typed(admin_client_api, paid, run_jobs):
    patch(admin_client_api, paid, {"status": "shipped", "carrier": "<b>x</b>"})
    jobs_drain(run_jobs)

    (message,) = mail.outbox
    assert "&lt;b&gt;x&lt;/b&gt;" in html_of(message)
    assert "Carrier: <b>x</b>" in message.body  # the text part is plain text, not HTML


def test_cancelled_mail_says_the_payment_is_refunded(customer_client, paid, run_jobs):
    with capture_on_commit(execute=True):
        customer_client.post(f"{ORDERS}/{paid['id']}/cancel")
    jobs_drain(run_jobs)

    (message,) = mail.outbox
    assert message.subject == f"Your order {paid['id']} is cancelled"
    assert "The 25.00 USD you paid is refunded" in message.body


def test_cancelled_mail_of_an_unpaid_order_says_nothing_was_charged(
    customer_client, product, run_jobs
):
    pending = order_place(customer_client, (product, 1))
    with capture_on_commit(execute=True):
        customer_client.post(f"{ORDERS}/{pending['id']}/cancel")
    jobs_drain(run_jobs)

    subjects = [message.subject for message in mail.outbox]
    assert subjects == [f"Your order {pending['id']} is cancelled"]
    assert "You were not charged." in mail.outbox[0].body


def test_refunded_mail_after_a_full_refund(admin_client_api, paid, run_jobs):
    with capture_on_commit(execute=True):
        response = admin_client_api.post(
            f"/v1/payments/{paid['payment']['id']}/refund", {}, format="json"
        )
    assert response.status_code in (200, 201), response.content
    jobs_drain(run_jobs)

    (message,) = mail.outbox
    assert message.subject == f"Your order {paid['id']} is refunded"
    assert "25.00 USD goes back" in message.body


def test_a_partial_refund_sends_no_refunded_mail(admin_client_api, paid, run_jobs):
    with capture_on_commit(execute=True):
        admin_client_api.post(
            f"/v1/payments/{paid['payment']['id']}/refund", {"amount": 5}, format="json"
        )
    jobs_drain(run_jobs)

    assert mail.outbox == []


def test_delivered_sends_no_mail(admin_client_api, paid, run_jobs):
    patch(admin_client_api, paid, {"status": "shipped"})
    jobs_drain(run_jobs)
    mail.outbox.clear()

    patch(admin_client_api, paid, {"status": "delivered"})
    jobs_drain(run_jobs)

    assert mail.outbox == []


def test_status_mails_are_retried_like_the_confirmation(admin_client_api, paid, settings):
    import django_rq

    patch(admin_client_api, paid, {"status": "shipped"})

    (job,) = django_rq.get_queue("emails").jobs
    assert job.kwargs == {"order_id": str(order_of(paid).pk), "status": "shipped"}
    assert job.retries_left == 3
    assert job.retry_intervals == [10, 60, 300]


def test_a_shop_overrides_a_template_in_its_templates_directory(
    admin_client_api, paid, run_jobs, settings, tmp_path
):
    override = tmp_path / "orders" / "email"
    override.mkdir(parents=True)
    (override / "shipped_subject.txt").write_text("{{ number }} left the Teapot Shop\n")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    patch(admin_client_api, paid, {"status": "shipped"})
    jobs_drain(run_jobs)

    assert [message.subject for message in mail.outbox] == [
        f"{public_order_id(order_of(paid))} left the Teapot Shop"
    ]
