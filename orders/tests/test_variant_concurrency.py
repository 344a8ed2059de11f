"""Orders of variants under concurrency, against PostgreSQL: no oversell, no deadlock
(crossed baskets, staff stock counts racing orders), one order per Idempotency-Key.
Each thread is its own client and connection; every test ends with the stock audit."""

from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Sum

from catalog import services as catalog_services
from catalog.models import Product, ProductVariant
from catalog.tests.factories import product_with_variants
from ecommerce.api.ids import public_id
from orders.models import Order, OrderItem
from orders.tests.support import ADDRESS, assert_no_stock_drift, run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = ["S", "M", "L", "XL"]


def _body(*lines: tuple[ProductVariant, int]) -> dict:
    return {
        "items": [
            {"variantId": public_id("var", variant.pk), "quantity": quantity}
            for variant, quantity in lines
        ],
        "shippingAddress": ADDRESS,
        "paymentMethod": "card",
    }


def _shirt(name: str, stock: int) -> Product:
    return product_with_variants(
        name=name,
        options={"Size": SIZES},
        variants=[({"Size": size}, "20.00", stock) for size in SIZES],
    )


def _stocks(product: Product) -> dict[str, int]:
    return dict(
        ProductVariant.objects.filter(product=product).values_list("options__Size", "stock")
    )


def test_parallel_orders_of_one_variant_never_oversell(client_for, customer):
    shirt = _shirt("Racing Shirt", stock=6)
    medium = shirt.live_variants[1]
    clients = [client_for(customer) for _ in range(20)]

    results = run_in_threads(
        20, lambda i: clients[i].post("/v1/orders", _body((medium, 1)), format="json")
    )

    assert Counter(getattr(r, "status_code", repr(r)) for r in results) == {201: 6, 409: 14}
    assert _stocks(shirt) == {"S": 6, "M": 0, "L": 6, "XL": 6}
    shirt.refresh_from_db()
    assert shirt.stock == 18
    assert OrderItem.objects.filter(variant=medium).aggregate(n=Sum("quantity"))["n"] == 6
    assert_no_stock_drift()


def test_parallel_orders_of_varied_variants_sell_at_most_each_ones_stock(client_for, customer, rng):
    shirt = _shirt("Busy Shirt", stock=8)
    baskets = [
        [(rng.choice(shirt.live_variants), rng.randint(1, 3)) for _ in range(rng.randint(1, 3))]
        for _ in range(24)
    ]
    clients = [client_for(customer) for _ in baskets]

    results = run_in_threads(
        len(baskets),
        lambda i: clients[i].post("/v1/orders", _body(*baskets[i]), format="json"),
    )

    assert all(r.status_code in (201, 409) for r in results), results
    sold: Counter = Counter()
    for basket, response in zip(baskets, results, strict=True):
        if response.status_code == 201:
            for variant, quantity in basket:
                sold[variant.options["Size"]] += quantity
    assert all(quantity <= 8 for quantity in sold.values())
    assert _stocks(shirt) == {size: 8 - sold[size] for size in SIZES}
    shirt.refresh_from_db()
    assert shirt.stock == 32 - sum(sold.values())
    assert_no_stock_drift()


def test_crossed_baskets_of_variants_do_not_deadlock(client_for, customer):
    shirts = [_shirt(f"Crossed {n}", stock=100) for n in range(3)]
    a, b, c = (shirt.live_variants for shirt in shirts)
    baskets = [
        _body((a[0], 1), (b[1], 1), (c[2], 1)),
        _body((c[2], 1), (b[1], 1), (a[0], 1)),
        # Other variants of the same products, in the other order.
        _body((c[0], 1), (a[3], 1), (b[0], 1)),
        _body((b[3], 1), (a[0], 1), (c[1], 1)),
    ]
    clients = [client_for(customer) for _ in range(16)]

    results = run_in_threads(
        16, lambda i: clients[i].post("/v1/orders", baskets[i % 4], format="json")
    )

    assert [r.status_code for r in results] == [201] * 16
    assert ProductVariant.objects.get(pk=a[0].pk).stock == 100 - 12
    assert sum(Product.objects.values_list("stock", flat=True)) == 3 * 400 - 16 * 3
    assert_no_stock_drift()


def test_staff_stock_counts_racing_orders_do_not_deadlock(client_for, customer):
    shirts = [_shirt(f"Counted {n}", stock=50) for n in range(2)]
    variants = [variant for shirt in shirts for variant in shirt.live_variants]
    clients = [client_for(customer) for _ in range(12)]

    def act(index: int):
        if index % 4 == 0:
            # A count of every variant of both products, in its own transaction.
            return catalog_services.products_stock_set(
                product_ids=[shirt.pk for shirt in reversed(shirts)], stock=40
            )
        basket = [variants[(index + offset * 3) % len(variants)] for offset in range(3)]
        return clients[index].post(
            "/v1/orders", _body(*[(variant, 1) for variant in reversed(basket)]), format="json"
        )

    results = run_in_threads(12, act)

    assert not any(isinstance(result, Exception) for result in results), results
    assert all(r.status_code == 201 for r in results if hasattr(r, "status_code"))
    assert_no_stock_drift()


def test_concurrent_retries_with_one_key_create_one_order_of_variants(client_for, customer):
    shirt = _shirt("Retried Shirt", stock=10)
    body = _body((shirt.live_variants[2], 2))
    clients = [client_for(customer) for _ in range(10)]

    results = run_in_threads(
        10,
        lambda i: clients[i].post(
            "/v1/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="variant-storm-1"
        ),
    )

    codes = Counter(r.status_code for r in results)
    assert set(codes) <= {201, 409}, codes
    assert Order.objects.count() == 1
    assert len({r.json()["data"]["id"] for r in results if r.status_code == 201}) == 1
    assert _stocks(shirt)["L"] == 8
    assert_no_stock_drift()


def test_concurrent_cancels_return_a_variants_stock_once(client_for, customer):
    shirt = _shirt("Cancelled Shirt", stock=5)
    small = shirt.live_variants[0]
    client = client_for(customer)
    order_id = client.post("/v1/orders", _body((small, 4)), format="json").json()["data"]["id"]
    clients = [client_for(customer) for _ in range(6)]

    results = run_in_threads(6, lambda i: clients[i].post(f"/v1/orders/{order_id}/cancel"))

    assert sorted(r.status_code for r in results) == [200] + [409] * 5
    assert _stocks(shirt)["S"] == 5
    assert Product.objects.get(pk=shirt.pk).price == Decimal("20.00")
    assert_no_stock_drift()
