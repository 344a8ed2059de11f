"""Benchmark data: 10,000 products over several categories and 1,000 customers.

Run as ``python -m bench.seed`` with the benchmark's environment (bench.run does
it). Idempotent: rows are keyed by slug and e-mail, so a second run adds
nothing. Every customer gets the same password (``BENCH_PASSWORD``), hashed once
with the project's real hasher, so a login in the benchmark costs what a real
login costs while seeding stays fast.
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
from catalog.cache import product_cache_invalidate  # noqa: E402
from catalog.management.commands.seed_demo import _BLURBS, CATALOG  # noqa: E402
from catalog.models import Product  # noqa: E402
from catalog.stock import stock_initial_record  # noqa: E402

PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "10000"))
USERS = int(os.environ.get("BENCH_USERS", "1000"))
PASSWORD = os.environ.get("BENCH_PASSWORD", "bench-passphrase-0451")
# Ample stock: the order scenarios measure throughput, not sell-outs; the
# oversell check is that stock never goes below zero and the ledger balances.
STOCK_RANGE = (5_000, 50_000)


def user_email(number: int) -> str:
    return f"bench-{number:05d}@example.com"


def seed_products(rng: random.Random) -> int:
    categories = list(CATALOG.items())
    products = []
    for number in range(PRODUCTS):
        category, (brands, adjectives, nouns) = categories[number % len(categories)]
        brand, adjective = rng.choice(brands), rng.choice(adjectives)
        noun, low, high = rng.choice(nouns)
        # A model number keeps 10,000 names distinct, as a real catalog's are.
        name = f"{brand} {adjective} {noun} {rng.choice('ABCDEFGHKLMNPRSTX')}{100 + number}"
        slug = slugify(name)
        price = Decimal(rng.randint(low, high)) - Decimal(rng.choice(["0.01", "0.51"]))
        products.append(
            Product(
                name=name,
                slug=slug,
                description=f"The {adjective.lower()} {noun.lower()} from {brand}: "
                f"{rng.choice(_BLURBS)}",
                price=max(price, Decimal("0.99")),
                currency="USD",
                category=category,
                stock=rng.randint(*STOCK_RANGE),
                images=[f"https://picsum.photos/seed/{slug}/800/800"],
            )
        )
    before = Product.objects.count()
    Product.objects.bulk_create(products, ignore_conflicts=True, batch_size=1000)
    stock_initial_record(product_ids=Product.objects.values_list("pk", flat=True))
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


def main() -> None:
    with transaction.atomic():
        products = seed_products(random.Random(451))  # noqa: S311 (benchmark data)
        users = seed_users()
    product_cache_invalidate(product_ids=[])
    # What autovacuum does on a live database after a bulk load: planner
    # statistics (else every query is planned for an empty table), and the
    # search index's pending list merged into the index (10,000 fresh rows sit
    # in it otherwise, and every full-text search scans them: 9 ms a query
    # instead of 0.8 ms, measured).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"bench seed: {products} product(s) and {users} user(s) added; "
        f"{Product.objects.count()} products, {User.objects.count()} users in all"
    )


if __name__ == "__main__":
    main()
