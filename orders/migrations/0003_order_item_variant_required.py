"""Contract: every line names its variant, and a variant appears once per order
(two variants of one product are two lines now).

Backwards, one line per product again: refused with a clear message while some
order holds two variants of one product, which the earlier schema cannot hold.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count


def refuse_lines_the_old_schema_cannot_hold(apps, schema_editor):
    OrderItem = apps.get_model("orders", "OrderItem")
    doubled = (
        OrderItem.objects.values("order_id", "product_id")
        .annotate(lines=Count("id"))
        .filter(lines__gt=1)
        .count()
    )
    if doubled:
        raise RuntimeError(
            f"Cannot migrate orders back before 0003: {doubled} order(s) hold two or more "
            "variants of one product, and the earlier schema allows one line per product."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_order_item_variant"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="orderitem", name="order_item_product_once"),
        # Runs backwards just before the one-line-per-product constraint comes back.
        migrations.RunPython(
            migrations.RunPython.noop, refuse_lines_the_old_schema_cannot_hold, elidable=False
        ),
        migrations.AddConstraint(
            model_name="orderitem",
            constraint=models.UniqueConstraint(
                fields=("order", "variant"), name="order_item_variant_once"
            ),
        ),
        migrations.AlterField(
            model_name="orderitem",
            name="variant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="order_items",
                to="catalog.productvariant",
            ),
        ),
    ]
