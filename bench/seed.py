"""Benchmark data: 10,000 products over the demo's two-level category tree,
1,000 customers, a shipping method and a tax rate for the orders' address.

Most products are simple (one variant); those whose kind is sold in sizes and
colours in the demo catalog (about one in eight) have six variants, so lists and
details carry variants and orders name variants, as in a clothes shop.

Run as ``python -m bench.seed`` with the benchmark's environment (bench.run does
it). Idempotent: rows are keyed by slug and e-mail, so a second run adds
nothing. Rows are bulk-inserted (the services' per-product writes would take
minutes for 10,000), with the figures the services keep: each product's price,
price_max and stock are its variants', and every variant's ledger is opened.
Every customer gets the same password (``BENCH_PASSWORD``), hashed once with the
project's real hasher, so a login in the benchmark costs what a real login costs
while seeding stays fast.
"""

import os
import random
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecommerce.settings")
django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils.text import slugify  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from catalog.cache import category_cache_invalidate, product_cache_invalidate  # noqa: E402
from catalog.management.commands.seed_demo import (  # noqa: E402
    _BLURBS,
    CATALOG,
    SIZED,
    _seed_categories,
)
from catalog.models import Category, Product, ProductOption, ProductVariant  # noqa: E402
from catalog.stock import stock_initial_record  # noqa: E402
from checkout.models import ShippingMethod, TaxRate  # noqa: E402

PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "10000"))
USERS = int(os.environ.get("BENCH_USERS", "1000"))
PASSWORD = os.environ.get("BENCH_PASSWORD", "bench-passphrase-0451")
# Ample stock: the order scenarios measure throughput, not sell-outs; the
# oversell check is that stock never goes below zero and the ledger balances.
STOCK_RANGE = (5_000, 50_000)


def user_email(number: int) -> str:
    return f"bench-{number:05d}@example.com"


def seed_products(rng: random.Random) -> int:
    _seed_categories()
    tree = {category.slug: category for category in Category.objects.all()}
    categories = list(CATALOG.items())
    products = []
    variants: dict[str, tuple[list[tuple[str, list[str]]], list[tuple[dict, Decimal, int]]]] = {}
    for number in range(PRODUCTS):
        category, (brands, adjectives, nouns) = categories[number % len(categories)]
        brand, adjective = rng.choice(brands), rng.choice(adjectives)
        noun, low, high = rng.choice(nouns)
        # A model number keeps 10,000 names distinct, as a real catalog's are.
        name = f"{brand} {adjective} {noun} {rng.choice('ABCDEFGHKLMNPRSTX')}{100 + number}"
        slug = slugify(name)
        price = max(
            Decimal(rng.randint(low, high)) - Decimal(rng.choice(["0.01", "0.51"])),
            Decimal("0.99"),
        )
        # Three values of the first option (sizes), two of the second (colours).
        options = [
            (option, values[: 3 if index == 0 else 2])
            for index, (option, values) in enumerate(SIZED.get(noun, []))
        ]
        combinations: list[dict[str, str]] = [{}]
        for option, values in options:
            combinations = [{**c, option: value} for c in combinations for value in values]
        rows = [
            (
                combination,
                price + (Decimal("2.00") if index % 3 == 2 else 0),
                rng.randint(*STOCK_RANGE),
            )
            for index, combination in enumerate(combinations)
        ]
        variants[slug] = (options, rows)
        products.append(
            Product(
                name=name,
                slug=slug,
                description=f"The {adjective.lower()} {noun.lower()} from {brand}: "
                f"{rng.choice(_BLURBS)}",
                price=min(row[1] for row in rows),
                price_max=max(row[1] for row in rows),
                currency="USD",
                category=tree[category],
                stock=sum(row[2] for row in rows),
                images=[f"https://picsum.photos/seed/{slug}/800/800"],
            )
        )
    before = Product.objects.count()
    Product.objects.bulk_create(products, ignore_conflicts=True, batch_size=1000)
    # Variants and options for the products that have none yet (the new ones).
    bare = dict(
        Product.objects.filter(variants__isnull=True, slug__in=variants).values_list("slug", "pk")
    )
    new_variants, new_options = [], []
    for slug, pk in bare.items():
        options, rows = variants[slug]
        new_options += [
            ProductOption(product_id=pk, name=name, position=index, values=values)
            for index, (name, values) in enumerate(options)
        ]
        new_variants += [
            ProductVariant(
                product_id=pk,
                sku="-".join([slug, *(value.lower() for value in combination.values())])[:64],
                options=combination,
                price=row_price,
                stock=stock,
                weight=rng.randint(150, 900),
                position=index,
            )
            for index, (combination, row_price, stock) in enumerate(rows)
        ]
    ProductOption.objects.bulk_create(new_options, batch_size=1000)
    ProductVariant.objects.bulk_create(new_variants, batch_size=1000)
    stock_initial_record(variant_ids=[variant.pk for variant in new_variants])
    return Product.objects.count() - before


def seed_users() -> int:
    password = make_password(PASSWORD)
    before = User.objects.count()
    User.objects.bulk_create(
        [
            User(
                email=user_email(number),
                name=f"Bench Customer {number}",
                password=password,
                role=Role.CUSTOMER,
            )
            for number in range(USERS)
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return User.objects.count() - before


def seed_pricing() -> None:
    """What a real shop has configured: a shipping method to the bench address (flat
    plus per kilogram) and a sales tax rate there, so that every order is priced
    with shipping and tax (``order_create`` measures the checkout, not a bare sum)."""
    if not ShippingMethod.objects.filter(name="Bench Ground").exists():
        ShippingMethod.objects.create(
            name="Bench Ground",
            countries=["US"],
            price=Decimal("4.99"),
            price_per_kg=Decimal("0.50"),
            free_from=Decimal("200.00"),
            min_days=2,
            max_days=5,
        )
    TaxRate.objects.get_or_create(
        country="US", state="IL", category=None, defaults={"name": "Illinois", "rate": "6.25"}
    )


def main() -> None:
    with transaction.atomic():
        products = seed_products(random.Random(451))  # noqa: S311 (benchmark data)
        users = seed_users()
        seed_pricing()
    product_cache_invalidate(product_ids=[])
    category_cache_invalidate()
    # What autovacuum does on a live database after a bulk load: planner
    # statistics (else every query is planned for an empty table), and the
    # search index's pending list merged into the index (10,000 fresh rows sit
    # in it otherwise, and every full-text search scans them: 9 ms a query
    # instead of 0.8 ms, measured).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"bench seed: {products} product(s) and {users} user(s) added; "
        f"{Product.objects.count()} products ({ProductVariant.objects.count()} variants), "
        f"{User.objects.count()} users in all"
    )


if __name__ == "__main__":
    main()
