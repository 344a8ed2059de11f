"""The admin's dashboard and the refund confirmation, used in a real browser.

A live server (pytest-django's, in this process, on a free port) serves the
admin; staff log in through the login form as a person would. Orders are
placed through the API and their charges run through RQ.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.factories import DEFAULT_PASSWORD
from orders.tests.factories import SuperuserFactory, jobs_drain, order_of, order_place, product_make
from payments.models import Payment, Refund
from payments.state import PaymentStatus
from tests.browser.conftest import VIEWPORT

pytestmark = [pytest.mark.usefixtures("plain_static_storage"), pytest.mark.xdist_group("browser")]


@pytest.fixture
def staff(transactional_db):
    return SuperuserFactory(email="staff@example.com")


def log_in(page: Page, live_server, staff) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", staff.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("input[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/admin/")


def captured(client, run_jobs, price: str) -> Payment:
    order = order_of(order_place(client, (product_make(price=price, stock=50), 1)))
    jobs_drain(run_jobs)
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.CAPTURED
    return payment


def test_the_dashboard_shows_the_day_and_links_to_each_list(
    page, live_server, staff, customer_client, run_jobs
):
    captured(customer_client, run_jobs, "20.00")
    captured(customer_client, run_jobs, "5.50")
    order_place(customer_client, (product_make(stock=9), 1), token="tok_chargeDeclined")
    jobs_drain(run_jobs)
    product_make(name="Nearly gone", stock=2)

    log_in(page, live_server, staff)

    dashboard = page.locator("#dashboard")
    expect(dashboard).to_be_visible()
    tiles = {
        tile.locator(".title").inner_text(): tile.locator(".value").inner_text()
        for tile in dashboard.locator("li").all()
    }
    assert tiles["Orders today"] == "3"
    assert tiles["Revenue today (paid, shipped, delivered)"] == "25.50 USD"
    assert tiles["Orders waiting to ship"] == "2"
    assert tiles["Failed payments today"] == "1"
    assert tiles["Low-stock products (1-5 left)"] == "1"
    # Every tile is on screen at a laptop's width, and nothing scrolls sideways.
    for box in (tile.bounding_box() for tile in dashboard.locator("li").all()):
        assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORT["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]

    page.click("#dashboard >> text=Orders waiting to ship")
    expect(page).to_have_url(f"{live_server.url}/admin/orders/order/?status__exact=paid")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)

    page.go_back()
    page.click("#dashboard >> text=Failed payments today")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("Failed")

    page.go_back()
    page.click("#dashboard >> text=Low-stock products")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("Nearly gone")


def choose_refund_remaining(page: Page, live_server, *payments: Payment) -> None:
    page.goto(f"{live_server.url}/admin/payments/payment/")
    for payment in payments:
        page.check(f"input.action-select[value='{payment.pk}']")
    page.select_option("select[name=action]", "refund_remaining")
    page.click("button[name=index]")


def test_the_refund_confirmation_lists_each_payment_and_refunds_only_when_confirmed(
    page, live_server, staff, customer_client, other_client, run_jobs
):
    first = captured(customer_client, run_jobs, "15.00")
    second = captured(other_client, run_jobs, "40.00")
    log_in(page, live_server, staff)

    choose_refund_remaining(page, live_server, first, second)

    table = page.locator("#refund-confirmation")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    by_payment = {row.locator("td").first.inner_text(): row for row in rows.all()}
    expect(by_payment[str(first)].locator(".amount")).to_have_text("15.00 USD")
    expect(by_payment[str(second)].locator(".amount")).to_have_text("40.00 USD")
    expect(table.locator("tfoot")).to_contain_text("55.00 USD")
    assert Refund.objects.count() == 0  # the page alone refunds nothing

    page.click("input[name=apply]")

    expect(page.locator("ul.messagelist")).to_contain_text(f"Refunded 15.00 USD of {first}.")
    expect(page.locator("ul.messagelist")).to_contain_text(f"Refunded 40.00 USD of {second}.")
    for payment in (first, second):
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.REFUNDED
    assert sum(r.amount for r in Refund.objects.all()) == Decimal("55.00")


def test_going_back_from_the_refund_confirmation_refunds_nothing(
    page, live_server, staff, customer_client, run_jobs
):
    payment = captured(customer_client, run_jobs, "12.00")
    log_in(page, live_server, staff)

    choose_refund_remaining(page, live_server, payment)
    page.click("text=No, take me back")

    expect(page).to_have_url(f"{live_server.url}/admin/payments/payment/")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert Refund.objects.count() == 0
