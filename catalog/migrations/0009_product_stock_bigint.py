"""A product's stock is the sum of its variants' stock: a bigint.

Each variant holds at most a PostgreSQL integer (2,147,483,647), so two of
them could overflow the product's integer column (a 500 the fuzz suite
found). The type change rewrites the products table once, under its lock:
seconds for a catalog of tens of thousands of rows. Pods still running the
previous release write integers, which the bigint column takes.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0008_product_media"),
    ]

    operations = [
        migrations.AlterField(
            model_name="product",
            name="stock",
            field=models.BigIntegerField(default=0),
        ),
    ]
