"""orders 0005: orders placed before the checkout keep total = subtotal, with zeros for
discount, shipping and tax; the breakdown's constraint holds for them."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.tests.factories import UserFactory
from orders.models import Order

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("orders", "0004_order_shipment"), ("checkout", None)]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


def test_an_order_from_before_the_checkout_keeps_its_total():
    user = UserFactory()
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = _migrate(BEFORE)
    try:
        state = executor.loader.project_state([("orders", "0004_order_shipment")])
        OldOrder = state.apps.get_model("orders", "Order")
        old = OldOrder.objects.create(
            user_id=user.pk,
            subtotal=Decimal("59.97"),
            total=Decimal("59.97"),
            shipping_address={"street": "1 Main St", "city": "X", "zip": "1", "country": "US"},
        )
    finally:
        _migrate(latest)

    order = Order.objects.get(pk=old.pk)
    assert (order.subtotal, order.total) == (Decimal("59.97"), Decimal("59.97"))
    assert (order.discount_total, order.shipping_total, order.tax_total) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert order.prices_include_tax is False
    assert (order.shipping_method, order.discount) == (None, None)
