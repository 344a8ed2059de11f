"""Contract the new columns 0006 filled: every product has a category and a
``price_max``, every ledger movement names its variant.

Separate from 0006: PostgreSQL refuses ``ALTER TABLE`` in a transaction that
still has deferred foreign-key checks pending from its updates.

From here on the previous release cannot write products, stock movements or
(orders 0003) order lines: its inserts lack the variant and are refused whole,
so an order placed on an old pod during the rollout fails and changes nothing,
rather than taking stock the variants do not see. Its reads keep working.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_products_become_simple"),
    ]

    operations = [
        migrations.AlterField(
            model_name="product",
            name="category",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="products",
                to="catalog.category",
            ),
        ),
        migrations.AlterField(
            model_name="product",
            name="price_max",
            field=models.DecimalField(decimal_places=2, max_digits=10),
        ),
        migrations.AlterField(
            model_name="stockmovement",
            name="variant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="movements",
                to="catalog.productvariant",
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(fields=["category", "-created_at"], name="product_category_idx"),
        ),
        migrations.AddConstraint(
            model_name="product",
            constraint=models.CheckConstraint(
                condition=models.Q(("price_max__gte", models.F("price"))),
                name="product_price_max_at_least_price",
            ),
        ),
    ]
