"""Expand and fill: an order line names the variant it sold, with its SKU and options.

Every line so far sold a product that catalog 0006 made a simple product, so
its variant is that product's one variant, its SKU that variant's, its options
``{}``. Backwards the columns simply go (the product reference stayed).
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    OrderItem = apps.get_model("orders", "OrderItem")
    ProductVariant = apps.get_model("catalog", "ProductVariant")
    variant = ProductVariant.objects.filter(product_id=OuterRef("product_id")).order_by("position")
    OrderItem.objects.update(
        variant_id=Subquery(variant.values("pk")[:1]), sku=Subquery(variant.values("sku")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_products_become_simple"),
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderitem",
            name="variant",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="order_items",
                to="catalog.productvariant",
            ),
        ),
        migrations.AddField(
            model_name="orderitem",
            name="sku",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="orderitem",
            name="options",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
    ]
