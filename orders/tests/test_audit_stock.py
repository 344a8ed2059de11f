"""manage.py audit_stock: the ledger, the products and the orders agree."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from catalog.models import Product, ProductVariant
from catalog.services import product_create
from orders.tests.factories import jobs_drain, order_place

pytestmark = pytest.mark.django_db


def _product(stock: int) -> Product:
    # Through the service, like every real write: it opens the product's ledger.
    return product_create(name="Audited", price=Decimal("10.00"), category="misc", stock=stock)


def _audit(capsys) -> tuple[int | str | None, dict]:
    try:
        call_command("audit_stock", "--json")
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, json.loads(capsys.readouterr().out)


def test_audit_is_clean_after_paid_declined_and_cancelled_orders(
    customer_client, admin_client_api, run_jobs, capsys
):
    product = _product(stock=20)
    order_place(customer_client, (product, 2))
    order_place(customer_client, (product, 3), token="tok_chargeDeclined")
    cancelled = order_place(customer_client, (product, 4))
    jobs_drain(run_jobs)
    customer_client.post(f"/v1/orders/{cancelled['id']}/cancel")
    admin_client_api.patch(f"/v1/products/prod_{product.pk.hex}", {"stock": 50}, format="json")

    code, report = _audit(capsys)

    assert (code, report["drift"]) == (0, [])
    assert report["ordersChecked"] == 3
    assert Product.objects.get(pk=product.pk).stock == 50


def test_audit_reports_stock_changed_behind_the_ledger(customer_client, capsys):
    product = _product(stock=20)
    order_place(customer_client, (product, 2))
    variant = ProductVariant.objects.get(product=product)
    ProductVariant.objects.filter(pk=variant.pk).update(stock=99)

    code, report = _audit(capsys)

    assert code == 1
    assert report["drift"] == [
        {
            "kind": "ledger",
            "productId": f"prod_{product.pk.hex}",
            "variantId": f"var_{variant.pk.hex}",
            "orderId": None,
            "expected": 18,
            "actual": 99,
        },
        # The product's total no longer matches its variant either.
        {
            "kind": "product_total",
            "productId": f"prod_{product.pk.hex}",
            "variantId": None,
            "orderId": None,
            "expected": 99,
            "actual": 18,
        },
    ]


def test_audit_reports_a_product_total_that_is_not_its_variants_sum(customer_client, capsys):
    product = _product(stock=20)
    order_place(customer_client, (product, 2))
    Product.objects.filter(pk=product.pk).update(stock=99)

    code, report = _audit(capsys)

    assert code == 1
    assert [(row["kind"], row["expected"], row["actual"]) for row in report["drift"]] == [
        ("product_total", 18, 99)
    ]
