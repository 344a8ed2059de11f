"""Data for the fuzz server: a catalog, accounts and orders in every status.

Run as ``python -m tests.fuzz.seed OUT.json`` with the fuzz server's
environment (tests/fuzz/conftest.py does it) against a freshly migrated
database. Everything goes through the services, so stock, payments and their
ledgers are the real ones. Writes the ids and tokens the fuzzer feeds into
requests (so that it reaches real objects, not only 404s) to OUT.json.
"""

import json
import os
import sys
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecommerce.settings")
django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.tokens import token_pair_issue  # noqa: E402
from catalog import services as catalog_services  # noqa: E402
from catalog.models import Category, Product  # noqa: E402
from checkout import services as checkout_services  # noqa: E402
from ecommerce.api.ids import PREFIXES, public_id  # noqa: E402
from orders.models import Order  # noqa: E402
from orders.tests.factories import ADDRESS  # noqa: E402
from payments import services as payment_services  # noqa: E402

PASSWORD = "fuzz-passphrase-0451"  # a throwaway database's accounts
CATEGORIES = ["electronics", "books", "home", "sports", "clothing"]
# Plenty of stock: the fuzzer orders up to 1000 of a product many times over.
STOCK = 1_000_000


def _user(email: str, name: str, *, role: str = Role.CUSTOMER) -> User:
    if role == Role.ADMIN:
        return User.objects.create_superuser(email=email, password=PASSWORD, name=name)
    # One hash for all of them: seeding stays fast, logins cost what real ones do.
    user = User.objects.create_user(email=email, password=None, name=name, role=role)
    user.password = make_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def _products() -> tuple[list[Product], list[Product]]:
    """Products everyone reads and orders, and products only DELETE gets."""
    catalog = [
        catalog_services.product_create(
            name=f"Fuzz {category} item {number}",
            description=f"A {category} product for the fuzzer, number {number}.",
            price=Decimal(f"{5 + number * 7}.99"),
            category=category,
            stock=0 if number == 3 else STOCK,
            images=[f"https://images.example.com/{category}/{number}.jpg"],
        )
        for category in CATEGORIES
        for number in range(6)
    ]
    catalog.append(
        catalog_services.product_create(
            name="Fuzz euro item", price=Decimal("12.50"), currency="EUR", category="books"
        )
    )
    removed = catalog_services.product_create(
        name="Fuzz removed item", price=Decimal("3.00"), category="books", stock=5
    )
    catalog_services.product_remove(product=removed)
    disposable = [
        catalog_services.product_create(
            name=f"Fuzz clearance item {number}",
            price=Decimal("1.99"),
            category="clearance",
            stock=STOCK,
        )
        for number in range(40)
    ]
    return [*catalog, removed], disposable


def _variant_products() -> list[Product]:
    """Products sold in sizes and colours, for the variant routes and variantId lines."""
    sizes, colours = ("S", "M", "L"), ("Red", "Blue")
    return [
        catalog_services.product_create(
            name=f"Fuzz shirt {number}",
            category="clothing",
            options=[
                catalog_services.OptionInput(name="Size", values=sizes),
                catalog_services.OptionInput(name="Colour", values=colours),
            ],
            variants=[
                catalog_services.VariantInput(
                    options={"Size": size, "Colour": colour},
                    price=Decimal(f"{20 + number}.50"),
                    stock=STOCK,
                    weight=200,
                )
                for size in sizes
                for colour in colours
                # One combination left unsold: POST .../variants has one to add.
                if (size, colour) != ("L", "Blue")
            ],
        )
        for number in range(3)
    ]


def _categories() -> list[str]:
    """A two-level tree over the seeded roots, and empty categories DELETE may take."""
    catalog_services.category_create(name="Fuzz department", slug="fuzz-department")
    for slug in ("books", "home"):
        catalog_services.category_update(
            category=Category.objects.get(slug=slug), data={"parent": "fuzz-department"}
        )
    empty = [
        catalog_services.category_create(name=f"Fuzz empty {n}", parent="fuzz-department").slug
        for n in range(10)
    ]
    return empty


def _order(user: User, products: list[Product], *, outcome: str = "tok_visa") -> Order:
    return checkout_services.order_place(
        user=user,
        items=[checkout_services.OrderLineInput(product_id=p.pk, quantity=2) for p in products],
        shipping_address=dict(ADDRESS),
        payment_token=outcome,
    )


def _charged(order: Order) -> Order:
    payment_services.payment_charge(payment_id=order.payment.pk)
    order.refresh_from_db()
    return order


def _orders_in_every_status(user: User, products: list[Product]) -> list[Order]:
    """pending, paid, payment_failed, shipped, delivered, cancelled, refunded, partly refunded."""
    pending = _order(user, products[0:2])
    paid = _charged(_order(user, products[2:4]))
    failed = _charged(_order(user, products[4:5], outcome="tok_chargeDeclined"))
    shipped = _charged(_order(user, products[5:6]))
    checkout_services.order_status_set(order_id=shipped.pk, status="shipped")
    delivered = _charged(_order(user, products[6:8]))
    checkout_services.order_status_set(order_id=delivered.pk, status="shipped")
    checkout_services.order_status_set(order_id=delivered.pk, status="delivered")
    cancelled = _charged(_order(user, products[8:9]))
    checkout_services.order_cancel(order_id=cancelled.pk)
    refunded = _charged(_order(user, products[9:10]))
    payment_services.refund_create(payment_id=refunded.payment.pk)
    partly = _charged(_order(user, products[10:12]))
    payment_services.refund_create(payment_id=partly.payment.pk, amount=Decimal("1.00"))
    # Several paid orders: cancel and refund have something to act on for a while.
    more_paid = [_charged(_order(user, products[12 + n : 13 + n])) for n in range(6)]
    return [pending, paid, failed, shipped, delivered, cancelled, refunded, partly, *more_paid]


def seed() -> dict:
    with transaction.atomic():
        admin = _user("fuzz-admin@example.com", "Fuzz Admin", role=Role.ADMIN)
        customer = _user("fuzz-customer@example.com", "Fuzz Customer")
        # Other accounts: targets of the admin's user edits (the fuzzer never
        # edits the two accounts it acts as) and owners of orders the
        # customer must not see.
        others = [_user(f"fuzz-other-{n}@example.com", f"Fuzz Other {n}") for n in range(4)]
        catalog, disposable = _products()
        shirts = _variant_products()
        empty_categories = _categories()
    orderable = [p for p in catalog if p.deleted_at is None and p.currency == "USD" and p.stock]
    customer_orders = _orders_in_every_status(customer, orderable)
    other_orders = _orders_in_every_status(others[0], orderable[::-1])
    return {
        "password": PASSWORD,
        "tokens": {
            "admin": token_pair_issue(user=admin).access,
            "customer": token_pair_issue(user=customer).access,
        },
        "refreshTokens": [token_pair_issue(user=customer).refresh for _ in range(3)],
        "emails": {"admin": admin.email, "customer": customer.email},
        "users": {
            "admin": public_id(PREFIXES["user"], admin.pk),
            "customer": public_id(PREFIXES["user"], customer.pk),
            "others": [public_id(PREFIXES["user"], user.pk) for user in others],
        },
        "products": [public_id(PREFIXES["product"], p.pk) for p in catalog],
        "slugs": [p.slug for p in catalog],
        "disposableProducts": [public_id(PREFIXES["product"], p.pk) for p in disposable],
        "variants": [
            [public_id(PREFIXES["product"], shirt.pk), public_id(PREFIXES["variant"], v.pk)]
            for shirt in shirts
            for v in shirt.live_variants
        ],
        "categories": sorted(Category.objects.values_list("slug", flat=True)),
        "emptyCategories": empty_categories,
        "orders": {
            "customer": [public_id(PREFIXES["order"], o.pk) for o in customer_orders],
            "others": [public_id(PREFIXES["order"], o.pk) for o in other_orders],
        },
        "payments": {
            "customer": [public_id(PREFIXES["payment"], o.payment.pk) for o in customer_orders],
            "others": [public_id(PREFIXES["payment"], o.payment.pk) for o in other_orders],
        },
    }


if __name__ == "__main__":
    with open(sys.argv[1], "w") as out:
        json.dump(seed(), out, indent=2)
