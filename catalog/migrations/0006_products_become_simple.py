"""Data: every existing product becomes a simple product, keeping every figure.

- Each distinct free-text category becomes a root category (its slug from the
  text; texts with the same slug share one), and each product points to it.
- Each product gets exactly one variant, with no options: its SKU comes from
  the product's slug, its price and stock are the product's. ``price_max`` is
  the price.
- Every ledger movement is the product's, so it becomes its one variant's:
  a variant's stock equals the sum of its movements, as the product's did.

Reversible while every product is still simple (one variant, no options): the
earlier schema has one price and one stock per product and cannot hold more.
Backwards, products keep their price and stock (the columns stayed true), the
free-text category is restored (for products made since: their category's
slug), and the variants, options and categories go. SKUs and weights are
lost, as the earlier schema has no place for them.
"""

from django.db import migrations
from django.db.models import Count, F, OuterRef, Subquery
from django.utils.text import slugify

SKU_MAX_LENGTH = 64


def _category_slug(text):
    return slugify(text or "")[:100].strip("-") or "uncategorised"


def _category_name(text, slug):
    text = (text or "").strip()
    if text and text != slug:
        return text[:100]
    return " ".join(word.capitalize() for word in slug.replace("_", "-").split("-") if word)


def _free_sku(base, taken):
    base = base[:SKU_MAX_LENGTH] or "sku"
    candidate, number = base, 2
    while candidate.lower() in taken:
        suffix = f"-{number}"
        candidate = base[: SKU_MAX_LENGTH - len(suffix)] + suffix
        number += 1
    taken.add(candidate.lower())
    return candidate


def forwards(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    Product = apps.get_model("catalog", "Product")
    ProductVariant = apps.get_model("catalog", "ProductVariant")
    StockMovement = apps.get_model("catalog", "StockMovement")

    texts = sorted(set(Product.objects.values_list("legacy_category", flat=True)), key=str)
    categories = {}
    for text in texts:
        slug = _category_slug(text)
        if slug not in categories:
            categories[slug] = Category(
                slug=slug, name=_category_name(text, slug), path=f"/{slug}/"
            )
    for position, slug in enumerate(sorted(categories)):
        categories[slug].position = position
    Category.objects.bulk_create(categories.values())
    for text in texts:
        category = categories[_category_slug(text)]
        Product.objects.filter(legacy_category=text).update(category=category)

    taken = {sku.lower() for sku in ProductVariant.objects.values_list("sku", flat=True)}
    batch = []
    for pk, slug, price, stock in (
        Product.objects.order_by("pk").values_list("pk", "slug", "price", "stock").iterator()
    ):
        batch.append(
            ProductVariant(
                product_id=pk,
                sku=_free_sku(slug, taken),
                options={},
                price=price,
                stock=stock,
                weight=0,
                position=0,
            )
        )
        if len(batch) == 1000:
            ProductVariant.objects.bulk_create(batch)
            batch = []
    ProductVariant.objects.bulk_create(batch)
    Product.objects.update(price_max=F("price"))
    StockMovement.objects.update(
        variant_id=Subquery(
            ProductVariant.objects.filter(product_id=OuterRef("product_id")).values("pk")[:1]
        )
    )


def backwards(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    Product = apps.get_model("catalog", "Product")
    ProductVariant = apps.get_model("catalog", "ProductVariant")
    StockMovement = apps.get_model("catalog", "StockMovement")

    several = Product.objects.annotate(count=Count("variants")).exclude(count=1).count()
    with_options = Product.objects.filter(options__isnull=False).distinct().count()
    if several or with_options:
        raise RuntimeError(
            f"Cannot migrate catalog back before 0006: {several} product(s) do not have "
            f"exactly one variant and {with_options} have options. The earlier schema holds "
            "one price and one stock per product; make them simple products first."
        )
    for category in Category.objects.all():
        Product.objects.filter(category=category, legacy_category__isnull=True).update(
            legacy_category=category.slug
        )
    StockMovement.objects.update(variant=None)
    Product.objects.update(category=None, price_max=None)
    ProductVariant.objects.all().delete()
    # Children before their parents (the parent reference is PROTECT).
    for category in sorted(Category.objects.all(), key=lambda c: -c.path.count("/")):
        category.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_categories_and_variants"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
