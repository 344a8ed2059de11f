"""The Django admin for orders: pages render, moves go through the service."""

import pytest
from django.contrib import messages
from django.test import Client

from catalog.models import Product
from orders.models import Order
from orders.state import OrderStatus
from orders.tests.factories import order_of, order_place, product_make
from payments.state import PaymentStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_storage")]

CHANGELIST = "/admin/orders/order/"


@pytest.fixture
def product(db):
    return product_make(name="Teapot", price="30.00", stock=10)


@pytest.fixture
def pending(customer_client, product) -> Order:
    return order_of(order_place(customer_client, (product, 2)))


@pytest.fixture
def paid(customer_client, product, run_jobs) -> Order:
    order = order_of(order_place(customer_client, (product, 2), run_jobs=run_jobs))
    assert order.status == OrderStatus.PAID
    return order


def act(site: Client, action: str, *orders: Order):
    return site.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(o.pk) for o in orders], "index": 0},
        follow=True,
    )


def ship(site: Client, *orders: Order, carrier: str = "", tracking: str = ""):
    """The "Mark shipped" action, confirmed on its page with one carrier and number each."""
    data = {
        "action": "mark_shipped",
        "_selected_action": [str(o.pk) for o in orders],
        "apply": "1",
        "shipment-TOTAL_FORMS": str(len(orders)),
        "shipment-INITIAL_FORMS": str(len(orders)),
    }
    for index, order in enumerate(orders):
        data[f"shipment-{index}-order"] = str(order.pk)
        data[f"shipment-{index}-carrier"] = carrier
        data[f"shipment-{index}-tracking_number"] = tracking
    return site.post(CHANGELIST, data, follow=True)


def messages_of(response) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in response.context["messages"]]


def test_changelist_renders(site, pending):
    response = site.get(CHANGELIST)

    assert response.status_code == 200
    assert str(pending.pk).encode() in response.content


def test_changelist_filters_by_status(site, paid, pending):
    response = site.get(CHANGELIST, {"status__exact": "paid"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [paid]
    assert pending.status == OrderStatus.PENDING


def test_changelist_searches_by_customer_email(site, pending, customer):
    response = site.get(CHANGELIST, {"q": customer.email})

    assert response.status_code == 200
    assert str(pending.pk).encode() in response.content


def test_change_page_renders_with_its_lines(site, paid):
    response = site.get(f"{CHANGELIST}{paid.pk}/change/")

    assert response.status_code == 200
    assert b"Teapot" in response.content


def test_change_page_does_not_save_a_new_status(site, paid):
    site.post(f"{CHANGELIST}{paid.pk}/change/", {"status": "delivered", "total": "0.01"})

    paid.refresh_from_db()
    assert paid.status == OrderStatus.PAID
    assert str(paid.total) == "60.00"


def test_mark_shipped_action_ships_a_paid_order(site, paid):
    response = ship(site, paid)

    assert response.status_code == 200
    paid.refresh_from_db()
    assert paid.status == OrderStatus.SHIPPED
    assert messages_of(response) == [(messages.INFO, "1 order marked shipped.")]


def test_mark_shipped_refused_for_a_pending_order_warns_and_changes_nothing(site, pending):
    response = ship(site, pending)

    pending.refresh_from_db()
    assert pending.status == OrderStatus.PENDING
    [(level, text)] = messages_of(response)
    assert level == messages.WARNING
    assert str(pending) in text


def test_mark_shipped_moves_the_allowed_orders_and_warns_about_the_rest(site, paid, pending):
    response = ship(site, paid, pending)

    paid.refresh_from_db()
    pending.refresh_from_db()
    assert paid.status == OrderStatus.SHIPPED
    assert pending.status == OrderStatus.PENDING
    levels = sorted(level for level, _ in messages_of(response))
    assert levels == [messages.INFO, messages.WARNING]


def test_mark_delivered_action_delivers_a_shipped_order(site, paid):
    ship(site, paid)

    act(site, "mark_delivered", paid)

    paid.refresh_from_db()
    assert paid.status == OrderStatus.DELIVERED


def test_cancel_action_returns_stock_and_refunds(site, paid, product):
    act(site, "mark_cancelled", paid)

    paid.refresh_from_db()
    assert paid.status == OrderStatus.CANCELLED
    assert paid.payment.status == PaymentStatus.REFUNDED
    assert Product.objects.get(pk=product.pk).stock == 10


def test_orders_cannot_be_added_in_the_admin(site):
    assert site.get(f"{CHANGELIST}add/").status_code == 403


def test_orders_cannot_be_deleted_in_the_admin(site, paid):
    response = site.post(f"{CHANGELIST}{paid.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Order.objects.filter(pk=paid.pk).exists()


def test_delete_selected_action_is_not_offered(site, paid):
    response = site.get(CHANGELIST)

    assert b"delete_selected" not in response.content
    assert b"mark_shipped" in response.content


def test_change_page_shows_the_payment(site, paid):
    response = site.get(f"{CHANGELIST}{paid.pk}/change/")

    expected = f"{paid.payment}: Captured, 60.00 captured, 0.00 refunded (USD)"
    assert expected.encode() in response.content


def test_refund_action_asks_for_an_amount_first(site, paid):
    response = site.post(CHANGELIST, {"action": "refund", "_selected_action": [str(paid.pk)]})

    assert response.status_code == 200
    assert b'name="amount"' in response.content
    paid.refresh_from_db()
    assert paid.payment.refunded_amount == 0


def test_refund_action_refunds_part_and_the_order_stays_paid(site, paid):
    response = site.post(
        CHANGELIST,
        {"action": "refund", "_selected_action": [str(paid.pk)], "apply": "1", "amount": "15.00"},
        follow=True,
    )

    paid.refresh_from_db()
    assert paid.payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert str(paid.payment.refunded_amount) == "15.00"
    assert paid.status == OrderStatus.PAID
    assert messages_of(response) == [(messages.INFO, f"{paid}: refunded 15.00.")]


def test_refund_action_without_amount_refunds_the_rest_and_the_order_is_refunded(site, paid):
    ship(site, paid)
    site.post(
        CHANGELIST,
        {"action": "refund", "_selected_action": [str(paid.pk)], "apply": "1", "amount": "10"},
    )

    site.post(CHANGELIST, {"action": "refund", "_selected_action": [str(paid.pk)], "apply": "1"})

    paid.refresh_from_db()
    assert paid.payment.status == PaymentStatus.REFUNDED
    assert str(paid.payment.refunded_amount) == "60.00"
    assert paid.status == OrderStatus.REFUNDED


def test_refund_action_never_refunds_more_than_captured(site, paid, pending):
    response = site.post(
        CHANGELIST,
        {
            "action": "refund",
            "_selected_action": [str(paid.pk), str(pending.pk)],
            "apply": "1",
            "amount": "60.01",
        },
        follow=True,
    )

    paid.refresh_from_db()
    pending.refresh_from_db()
    assert paid.payment.refunded_amount == 0
    assert pending.payment.status == PaymentStatus.PROCESSING
    assert [level for level, _ in messages_of(response)] == [messages.WARNING] * 2
