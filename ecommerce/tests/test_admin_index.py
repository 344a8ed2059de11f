"""The admin's index: clean labels and links, and the dashboard on top."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import User
from catalog.models import Product
from ecommerce.admin_dashboard import dashboard_tiles
from orders.models import Order
from orders.state import OrderStatus
from orders.tests.factories import (
    jobs_drain,
    order_of,
    order_place,
    product_make,
)
from payments.state import PaymentStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_storage")]


# --- labels and links -------------------------------------------------------------


def test_the_index_says_token_families(site):
    content = site.get("/admin/").content.decode()

    assert "Token families" in content
    assert "Token familys" not in content


@pytest.mark.parametrize(
    "model",
    [
        "payments/webhookevent",
        "token_blacklist/blacklistedtoken",
        "token_blacklist/outstandingtoken",
        "accounts/tokenfamily",
    ],
)
def test_records_staff_must_not_create_have_no_add(site, model):
    assert f"/admin/{model}/add/" not in site.get("/admin/").content.decode()
    assert site.get(f"/admin/{model}/add/").status_code == 403


def test_a_blacklisted_token_cannot_be_deleted_from_the_admin(site, customer):
    from accounts.tokens import token_pair_issue

    token_pair_issue(user=customer)
    outstanding = OutstandingToken.objects.first()
    row = BlacklistedToken.objects.create(token=outstanding)

    response = site.post(f"/admin/token_blacklist/blacklistedtoken/{row.pk}/delete/", {"post": 1})

    assert response.status_code == 403
    assert BlacklistedToken.objects.filter(pk=row.pk).exists()


def test_view_site_opens_the_api_docs(site):
    content = site.get("/admin/").content.decode()

    assert '<a href="/v1/docs">View site</a>' in content


def test_users_are_found_by_their_public_id(site, customer, other_customer):
    response = site.get("/admin/accounts/user/", {"q": f"usr_{customer.pk.hex}"})

    assert list(response.context["cl"].result_list) == [customer]
    assert f"usr_{customer.pk.hex}" in response.content.decode()


# --- the dashboard ----------------------------------------------------------------


@pytest.fixture
def shop_day(customer_client, other_client, run_jobs):
    """Today: two paid orders (one in EUR), one pending, one declined; one low-stock product."""
    mug = product_make(name="Mug", price="12.50", stock=40)
    order_place(customer_client, (mug, 2), run_jobs=run_jobs)  # 25.00 USD paid
    euro = product_make(name="Tasse", price="9.00", stock=40, currency="EUR")
    order_place(other_client, (euro, 1), run_jobs=run_jobs)  # 9.00 EUR paid
    declined = order_place(customer_client, (mug, 1), token="tok_chargeDeclined")
    jobs_drain(run_jobs)
    assert order_of(declined).payment.status == PaymentStatus.FAILED
    # An older paid order counts as waiting to ship, not as today's.
    old = order_place(other_client, (mug, 1), run_jobs=run_jobs)
    Order.objects.filter(pk=order_of(old).pk).update(
        created_at=timezone.now() - timezone.timedelta(days=2)
    )
    order_place(customer_client, (mug, 1))  # pending: its charge never runs
    product_make(name="Almost gone", stock=3)
    product_make(name="Sold out", stock=0)


def tiles_by_title() -> dict:
    return {tile.title: tile for tile in dashboard_tiles()}


def test_the_dashboard_figures(shop_day):
    tiles = tiles_by_title()

    assert tiles["Orders today"].value == "4"
    assert tiles["Revenue today (paid, shipped, delivered)"].value == "9.00 EUR, 25.00 USD"
    assert tiles["Orders waiting to ship"].value == "3"
    assert tiles["Failed payments today"].value == "1"
    assert tiles["Low-stock products (1-5 left)"].value == "1"


@pytest.mark.parametrize(
    "title",
    [
        "Orders today",
        "Orders waiting to ship",
        "Failed payments today",
        "Low-stock products (1-5 left)",
    ],
)
def test_each_figure_links_to_the_list_it_counts(site, shop_day, title):
    tile = tiles_by_title()[title]

    response = site.get(tile.url)

    assert response.status_code == 200, tile.url
    assert response.context["cl"].result_count == int(tile.value)


def test_the_revenue_link_lists_the_orders_it_adds_up(site, shop_day):
    response = site.get(tiles_by_title()["Revenue today (paid, shipped, delivered)"].url)

    orders = list(response.context["cl"].queryset)
    assert {order.status for order in orders} == {OrderStatus.PAID}
    assert sorted(order.total for order in orders) == [Decimal("9.00"), Decimal("25.00")]


def test_the_dashboard_is_on_the_index(site, shop_day):
    content = site.get("/admin/").content.decode()

    dashboard = re.search(r'<ul id="dashboard".*?</ul>', content, re.S).group(0)
    assert 'href="/admin/orders/order/?status__exact=paid"' in dashboard
    assert re.search(
        r'status__exact=paid"><span class="value">3</span> <span class="title">Orders waiting',
        dashboard,
    )


def test_an_empty_shop_shows_zeros(db):
    values = {tile.title: tile.value for tile in dashboard_tiles()}

    assert values["Orders today"] == "0"
    assert values["Revenue today (paid, shipped, delivered)"] == "0.00"
    assert values["Low-stock products (1-5 left)"] == "0"


def test_the_dashboard_makes_four_queries_whatever_the_data(shop_day, django_assert_num_queries):
    with django_assert_num_queries(4):
        dashboard_tiles()


def test_the_index_page_query_count_is_pinned(site, shop_day, django_assert_num_queries):
    site.get("/admin/")  # sessions and permissions warmed up like a second visit
    # Session, user, the four figures; Django's app list needs no query for a superuser.
    with django_assert_num_queries(6):
        assert site.get("/admin/").status_code == 200


def test_more_orders_do_not_add_queries(site, shop_day, customer_client, django_assert_num_queries):
    mug = Product.objects.get(name="Mug")
    for _ in range(5):
        order_place(customer_client, (mug, 1))
    assert User.objects.count() >= 2

    with django_assert_num_queries(4):
        dashboard_tiles()
