"""The variants migrations, forwards and backwards, with real rows in PostgreSQL.

Rows are written in the schema before variants (catalog 0004, orders 0001)
with its historical models; migrating forwards must make every product a
simple product with the same figures and ledger, and backwards must give the
earlier rows back as they were.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F

from accounts.tests.factories import UserFactory
from catalog import services
from orders.audit import stock_audit

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("catalog", "0004_product_name_slug_not_empty"), ("orders", "0001_initial")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def before_variants():
    """The database at the schema before variants; back at the latest afterwards,
    whatever the test did."""
    executor = _migrate(BEFORE)
    try:
        yield executor.loader.project_state(BEFORE).apps
    finally:
        _migrate(_latest())


def _old_rows(apps, user) -> dict:
    Product = apps.get_model("catalog", "Product")
    StockMovement = apps.get_model("catalog", "StockMovement")
    Order = apps.get_model("orders", "Order")
    OrderItem = apps.get_model("orders", "OrderItem")

    def product(slug, category, price, stock):
        row = Product.objects.create(
            name=slug.title(), slug=slug, price=Decimal(price), category=category, stock=stock
        )
        StockMovement.objects.create(product=row, delta=stock, reason="initial")
        return row

    kettle = product("kettle", "Kitchen", "39.90", 12)
    mug = product("mug", "kitchen", "8.50", 40)
    lamp = product("lamp", "Home & Garden", "25.00", 0)
    order = Order.objects.create(
        user_id=user.pk,
        status="cancelled",
        subtotal=Decimal("47.80"),
        total=Decimal("47.80"),
        shipping_address={"street": "1 A St", "city": "B", "zip": "1", "country": "US"},
    )
    for row, quantity in ((kettle, 1), (mug, 1)):
        OrderItem.objects.create(
            order=order,
            product=row,
            name=row.name,
            unit_price=row.price,
            quantity=quantity,
            line_total=row.price * quantity,
        )
        StockMovement.objects.create(
            product=row, delta=-quantity, reason="order_reserve", order_id=order.pk
        )
        StockMovement.objects.create(
            product=row, delta=quantity, reason="order_release", order_id=order.pk
        )
    StockMovement.objects.create(product=mug, delta=-4, reason="adjustment")
    Product.objects.filter(pk=mug.pk).update(stock=36)
    return {"kettle": kettle, "mug": mug, "lamp": lamp, "order": order}


def _ledger(apps) -> list[tuple]:
    StockMovement = apps.get_model("catalog", "StockMovement")
    return sorted(StockMovement.objects.values_list("product__slug", "delta", "reason", "order_id"))


def test_forwards_every_product_becomes_a_simple_product_with_its_figures(before_variants):
    old = _old_rows(before_variants, UserFactory())
    ledger_before = _ledger(before_variants)

    executor = _migrate(_latest())

    apps = executor.loader.project_state(_latest()).apps
    Product = apps.get_model("catalog", "Product")
    ProductVariant = apps.get_model("catalog", "ProductVariant")
    StockMovement = apps.get_model("catalog", "StockMovement")
    OrderItem = apps.get_model("orders", "OrderItem")
    Category = apps.get_model("catalog", "Category")
    assert sorted(Category.objects.values_list("slug", "name", "path", "parent")) == [
        ("home-garden", "Home & Garden", "/home-garden/", None),
        ("kitchen", "Kitchen", "/kitchen/", None),  # "Kitchen" and "kitchen" are one
    ]
    rows = {product.slug: product for product in Product.objects.select_related("category").all()}
    assert {slug: (p.price, p.price_max, p.stock, p.category.slug) for slug, p in rows.items()} == {
        "kettle": (Decimal("39.90"), Decimal("39.90"), 12, "kitchen"),
        "mug": (Decimal("8.50"), Decimal("8.50"), 36, "kitchen"),
        "lamp": (Decimal("25.00"), Decimal("25.00"), 0, "home-garden"),
    }
    variants = {
        variant.product.slug: variant
        for variant in ProductVariant.objects.select_related("product")
    }
    assert {slug: (v.sku, v.options, v.price, v.stock) for slug, v in variants.items()} == {
        "kettle": ("kettle", {}, Decimal("39.90"), 12),
        "mug": ("mug", {}, Decimal("8.50"), 36),
        "lamp": ("lamp", {}, Decimal("25.00"), 0),
    }
    # The ledger is the same, every movement now its product's one variant's.
    assert _ledger(apps) == ledger_before
    assert not StockMovement.objects.exclude(variant__product=F("product")).exists()
    lines = OrderItem.objects.filter(order_id=old["order"].pk).select_related("variant")
    assert sorted((line.variant.sku, line.sku, line.options) for line in lines) == [
        ("kettle", "kettle", {}),
        ("mug", "mug", {}),
    ]
    audit = stock_audit()
    assert audit.drifts == []
    assert (audit.products_checked, audit.variants_checked, audit.orders_checked) == (3, 3, 1)


def test_backwards_gives_the_earlier_rows_back(before_variants):
    _old_rows(before_variants, UserFactory())
    ledger_before = _ledger(before_variants)
    Product = before_variants.get_model("catalog", "Product")
    products_before = sorted(Product.objects.values_list("slug", "category", "price", "stock"))
    _migrate(_latest())

    executor = _migrate(BEFORE)

    apps = executor.loader.project_state(BEFORE).apps
    Product = apps.get_model("catalog", "Product")
    OrderItem = apps.get_model("orders", "OrderItem")
    assert sorted(Product.objects.values_list("slug", "category", "price", "stock")) == (
        products_before
    )
    assert _ledger(apps) == ledger_before
    assert OrderItem.objects.count() == 2


def test_backwards_fills_the_free_text_category_of_products_made_since(before_variants):
    _migrate(_latest())
    services.category_create(name="Audio")
    services.category_create(name="Headphones", parent="audio")
    services.product_create(name="Earbuds", price=Decimal("20"), category="headphones", stock=3)

    executor = _migrate(BEFORE)

    Product = executor.loader.project_state(BEFORE).apps.get_model("catalog", "Product")
    assert list(Product.objects.values_list("slug", "category", "stock")) == [
        ("earbuds", "headphones", 3)
    ]


def test_backwards_is_refused_while_a_product_has_several_variants(before_variants):
    _migrate(_latest())
    services.product_create(
        name="Shirt",
        category="clothing",
        options=[services.OptionInput(name="Size", values=("S", "M"))],
        variants=[
            services.VariantInput(options={"Size": "S"}, price=Decimal("5")),
            services.VariantInput(options={"Size": "M"}, price=Decimal("6")),
        ],
    )

    with pytest.raises(RuntimeError, match="do not have exactly one variant"):
        _migrate(BEFORE)
