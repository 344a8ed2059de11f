"""Expand: the category tree, product options and variants, the ledger per variant.

Nothing is dropped or renamed in the database: the free-text column
``products.category`` stays (nullable now, ``Product.legacy_category`` in the
model) for the previous release's pods during the rollout; ``products.price``
and ``products.stock`` stay and keep meaning what they meant for a simple
product (they become the lowest variant price and the total stock). The new
reference columns start nullable; 0006 fills them and 0007 makes them required.
"""

import uuid
from decimal import Decimal

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_product_name_slug_not_empty"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="product", name="product_category_idx"),
        migrations.AlterField(
            model_name="product",
            name="category",
            field=models.CharField(
                blank=True, db_column="category", editable=False, max_length=100, null=True
            ),
        ),
        # State only: the column keeps its name (db_column), so no SQL.
        migrations.RenameField(
            model_name="product", old_name="category", new_name="legacy_category"
        ),
        migrations.CreateModel(
            name="Category",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slug", models.SlugField(max_length=100, unique=True)),
                ("name", models.CharField(max_length=100)),
                ("position", models.PositiveIntegerField(default=0)),
                ("path", models.TextField(db_index=True, editable=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "parent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="children",
                        to="catalog.category",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "categories",
                "db_table": "categories",
                "ordering": ["path"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("slug", ""), _negated=True),
                        name="category_slug_not_empty",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("name", ""), _negated=True),
                        name="category_name_not_empty",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("slug", django.db.models.functions.text.Lower("slug"))),
                        name="category_slug_lowercase",
                    ),
                ],
            },
        ),
        migrations.AddField(
            model_name="product",
            name="category",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="products",
                to="catalog.category",
            ),
        ),
        migrations.AddField(
            model_name="product",
            name="price_max",
            field=models.DecimalField(decimal_places=2, max_digits=10, null=True),
        ),
        migrations.CreateModel(
            name="ProductOption",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=50)),
                ("position", models.PositiveSmallIntegerField()),
                ("values", models.JSONField(default=list)),
                (
                    "product",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="options",
                        to="catalog.product",
                    ),
                ),
            ],
            options={
                "db_table": "product_options",
                "ordering": ["product", "position"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("product", "position"), name="product_option_position_unique"
                    ),
                    models.UniqueConstraint(
                        models.F("product"),
                        django.db.models.functions.text.Lower("name"),
                        name="product_option_name_unique",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("name", ""), _negated=True),
                        name="product_option_name_not_empty",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ProductVariant",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("sku", models.CharField(max_length=64)),
                ("options", models.JSONField(blank=True, default=dict)),
                ("price", models.DecimalField(decimal_places=2, max_digits=10)),
                ("stock", models.IntegerField(default=0)),
                ("weight", models.PositiveIntegerField(default=0, help_text="Grams.")),
                ("position", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("deleted_at", models.DateTimeField(blank=True, null=True)),
                (
                    "product",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="variants",
                        to="catalog.product",
                    ),
                ),
            ],
            options={
                "db_table": "product_variants",
                "ordering": ["product", "position", "id"],
                "indexes": [
                    models.Index(fields=["product", "position"], name="product_variant_product_idx")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("sku"),
                        name="product_variant_sku_unique",
                        violation_error_message="Another variant already uses this SKU.",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("deleted_at__isnull", True)),
                        fields=("product", "options"),
                        name="product_variant_options_unique",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("sku__regex", "^[A-Za-z0-9._-]{1,64}$")),
                        name="product_variant_sku_format",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("price__gt", Decimal("0"))),
                        name="product_variant_price_positive",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("stock__gte", 0)),
                        name="product_variant_stock_non_negative",
                    ),
                ],
            },
        ),
        migrations.AddField(
            model_name="stockmovement",
            name="variant",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="movements",
                to="catalog.productvariant",
            ),
        ),
        migrations.AddIndex(
            model_name="stockmovement",
            index=models.Index(fields=["variant", "reason"], name="stock_movement_variant_idx"),
        ),
    ]
