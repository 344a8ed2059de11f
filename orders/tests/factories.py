"""Test data for orders and payments: products, order bodies, placed orders.

Orders are always placed through the API or ``orders.services`` (never
written row by row), so their stock, payment and jobs are the real ones.
"""

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import factory
from django.test import TestCase

from accounts.tests.factories import AdminFactory
from catalog.models import Product, ProductVariant
from catalog.tests.factories import product_make as product_make  # the one product factory
from ecommerce.api.ids import PREFIXES, public_id
from orders.models import Order

ORDERS = "/v1/orders"

# The tests' one shipping address (copy it before changing a field: ``{**ADDRESS, ...}``).
ADDRESS = {
    "street": "1 Main Street",
    "city": "Springfield",
    "state": "IL",
    "zip": "62701",
    "country": "US",
}

# Django's capture of on-commit hooks, usable outside a fixture: the test's
# transaction never commits, so jobs are enqueued when the block exits.
capture_on_commit = TestCase.captureOnCommitCallbacks


def product_id(product: Product) -> str:
    return public_id(PREFIXES["product"], product.pk)


def order_id(order: Order | str) -> str:
    return order if isinstance(order, str) else public_id(PREFIXES["order"], order.pk)


def order_line(item: Product | ProductVariant | str, quantity: int) -> dict[str, Any]:
    """One item of an order: by product, by variant, or by a public id (``prod_…``, ``var_…``)."""
    if isinstance(item, ProductVariant):
        return {"variantId": public_id(PREFIXES["variant"], item.pk), "quantity": quantity}
    if isinstance(item, str):
        key = "variantId" if item.startswith(f"{PREFIXES['variant']}_") else "productId"
        return {key: item, "quantity": quantity}
    return {"productId": product_id(item), "quantity": quantity}


def order_body(
    *lines: tuple[Product | ProductVariant | str, int], token: str | None = None, **overrides: Any
) -> dict:
    """The tests' one valid create body, for ``(product, quantity)`` lines (or a variant, or
    a public id, in place of the product), shipped to ``ADDRESS``; ``overrides`` replace keys."""
    body: dict[str, Any] = {
        "items": [order_line(item, quantity) for item, quantity in lines],
        "shippingAddress": dict(ADDRESS),
        "paymentMethod": "card",
    }
    if token is not None:
        body["paymentToken"] = token
    body.update(overrides)
    return body


def order_post(client, body: Any, *, key: str | None = None, raw: bytes | None = None):
    """POST /v1/orders, letting the request's on-commit hooks enqueue their jobs."""
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    with capture_on_commit(execute=True):
        if raw is not None:
            return client.post(ORDERS, raw, content_type="application/json", **extra)
        return client.post(ORDERS, body, format="json", **extra)


def jobs_drain(run_jobs: Callable[[], int]) -> int:
    """Run queued jobs, and the jobs they queue, until none is left."""
    total = 0
    while True:
        with capture_on_commit(execute=True):
            ran = run_jobs()
        if not ran:
            return total
        total += ran


def order_place(
    client, *lines: tuple[Product, int], token: str | None = None, run_jobs=None
) -> dict:
    """Place an order through the API; with ``run_jobs``, also run its charge."""
    response = order_post(client, order_body(*lines, token=token))
    assert response.status_code == 201, response.content
    if run_jobs is not None:
        jobs_drain(run_jobs)
    return response.json()["data"]


def order_of(data: dict) -> Order:
    return Order.objects.select_related("payment").get(pk=data["id"].split("_", 1)[1])


def money(response) -> Any:
    """The JSON body with numbers read as Decimal, to compare money exactly."""
    return json.loads(response.content, parse_float=Decimal)


class SuperuserFactory(AdminFactory):
    """An admin who may use the Django admin site (role admin, superuser)."""

    email = factory.Sequence(lambda n: f"root{n}@example.com")
    is_superuser = True
