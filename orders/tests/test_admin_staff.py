"""The orders admin as staff use it: public ids, the order page, shipping with tracking."""

import re

import pytest
from django.contrib import messages
from django.core import mail
from django.test import Client

from orders.models import Order
from orders.state import OrderStatus
from orders.tests.factories import (
    capture_on_commit,
    jobs_drain,
    order_of,
    order_place,
    product_make,
)
from orders.tests.test_admin import messages_of, ship

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_storage")]

CHANGELIST = "/admin/orders/order/"


@pytest.fixture
def product(db):
    return product_make(name="Teapot", price="30.00", stock=10)


@pytest.fixture
def paid(customer_client, product, run_jobs) -> Order:
    order = order_of(order_place(customer_client, (product, 2), run_jobs=run_jobs))
    assert order.status == OrderStatus.PAID
    mail.outbox.clear()
    return order


@pytest.fixture
def other_paid(other_client, product, run_jobs) -> Order:
    return order_of(order_place(other_client, (product, 1), run_jobs=run_jobs))


def found(site: Client, term: str) -> list[Order]:
    response = site.get(CHANGELIST, {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


# --- public ids and search --------------------------------------------------------


def test_the_list_shows_public_ids_not_uuids(site, paid):
    content = site.get(CHANGELIST).content.decode()

    assert f"ord_{paid.pk.hex}" in content
    # The UUID is only in URLs and form values, never shown.
    shown = re.sub(r'(href|value)="[^"]*"', "", content)
    assert str(paid.pk) not in shown


@pytest.mark.parametrize(
    "term",
    [
        lambda order: f"ord_{order.pk.hex}",
        lambda order: f"  ord_{order.pk.hex} ",
        lambda order: f"pay_{order.payment.pk.hex}",
        lambda order: f"usr_{order.user_id.hex}",
    ],
    ids=["order id", "padded order id", "payment id", "customer id"],
)
def test_search_by_the_ids_customers_quote(site, paid, other_paid, term):
    assert found(site, term(paid)) == [paid]


def test_search_by_customer_name_and_email(site, paid, other_paid, customer):
    assert found(site, "Carla") == [paid]
    assert found(site, customer.email.upper()) == [paid]


def test_an_id_of_another_kind_finds_nothing(site, paid):
    assert found(site, f"prod_{paid.pk.hex}") == []


# --- the order page ---------------------------------------------------------------


def test_the_order_page_shows_the_address_as_an_address(site, paid):
    content = site.get(f"{CHANGELIST}{paid.pk}/change/").content.decode()

    assert "<address>1 Main Street<br>Springfield, IL 62701<br>US<br></address>" in content
    assert '"street"' not in content  # no JSON


def test_the_order_page_links_to_its_payment(site, paid):
    content = site.get(f"{CHANGELIST}{paid.pk}/change/").content.decode()

    assert f'href="/admin/payments/payment/{paid.payment.pk}/change/"' in content
    assert f"pay_{paid.payment.pk.hex}" in content


def test_the_order_page_offers_mark_shipped_while_paid(site, paid):
    content = site.get(f"{CHANGELIST}{paid.pk}/change/").content.decode()

    assert f'href="/admin/orders/order/{paid.pk}/ship/"' in content


def test_a_pending_order_page_offers_no_shipping(site, customer_client, product):
    pending = order_of(order_place(customer_client, (product, 1)))

    content = site.get(f"{CHANGELIST}{pending.pk}/change/").content.decode()

    assert "/ship/" not in content


# --- shipping ---------------------------------------------------------------------


def test_mark_shipped_asks_for_carrier_and_tracking_number_first(site, paid, other_paid):
    response = site.post(
        CHANGELIST,
        {"action": "mark_shipped", "_selected_action": [str(paid.pk), str(other_paid.pk)]},
    )

    assert response.status_code == 200
    content = response.content.decode()
    for index in (0, 1):
        assert f'name="shipment-{index}-carrier"' in content
        assert f'name="shipment-{index}-tracking_number"' in content
    assert str(paid) in content and str(other_paid) in content
    paid.refresh_from_db()
    assert paid.status == OrderStatus.PAID


def test_mark_shipped_records_the_shipment_and_mails_it(site, paid, run_jobs):
    with capture_on_commit(execute=True):
        response = ship(site, paid, carrier="UPS", tracking="1Z999AA1")
    jobs_drain(run_jobs)

    paid.refresh_from_db()
    assert (paid.status, paid.carrier, paid.tracking_number) == ("shipped", "UPS", "1Z999AA1")
    assert paid.shipped_at is not None
    assert messages_of(response) == [(messages.INFO, "1 order marked shipped.")]
    (message,) = mail.outbox
    assert "Tracking number: 1Z999AA1" in message.body
    page = site.get(f"{CHANGELIST}{paid.pk}/change/").content.decode()
    assert "UPS, tracking number 1Z999AA1" in page


def test_two_orders_shipped_say_so_in_the_plural(site, paid, other_paid):
    response = ship(site, paid, other_paid)

    assert messages_of(response) == [(messages.INFO, "2 orders marked shipped.")]


def test_a_tracking_number_over_100_characters_is_refused_on_the_page(site, paid):
    response = ship(site, paid, tracking="9" * 101)

    assert response.status_code == 200
    assert b"Ensure this value has at most 100 characters" in response.content
    paid.refresh_from_db()
    assert paid.status == OrderStatus.PAID


def test_the_order_page_button_ships_that_order(site, paid):
    url = f"{CHANGELIST}{paid.pk}/ship/"
    assert b'name="shipment-0-carrier"' in site.get(url).content

    response = site.post(
        url,
        {
            "apply": "1",
            "shipment-TOTAL_FORMS": "1",
            "shipment-INITIAL_FORMS": "1",
            "shipment-0-order": str(paid.pk),
            "shipment-0-carrier": "DHL",
            "shipment-0-tracking_number": "JD014600",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}{paid.pk}/change/"
    paid.refresh_from_db()
    assert (paid.status, paid.carrier) == ("shipped", "DHL")


def test_the_ship_page_needs_change_permission(paid):
    from accounts.tests.factories import AdminFactory

    viewer = AdminFactory(is_superuser=False)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client = Client()
    client.force_login(viewer)

    assert client.get(f"{CHANGELIST}{paid.pk}/ship/").status_code == 403
    paid.refresh_from_db()
    assert paid.status == OrderStatus.PAID


def test_the_ship_page_of_an_unknown_order_is_404(site):
    assert site.get(f"{CHANGELIST}00000000-0000-0000-0000-000000000000/ship/").status_code == 404
