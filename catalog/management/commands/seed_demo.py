"""manage.py seed_demo: a demo catalog and two demo accounts; safe to run again.

The catalog: a two-level category tree (four departments, two categories
each), a few hundred products, and the clothes and shoes among them in sizes
and colours (a variant per combination).
"""

import os
import random
import secrets
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.text import slugify

from accounts.models import Role, User
from catalog import services
from catalog.media.demo import demo_media_seed
from catalog.models import Category, Product

ADMIN_EMAIL = "admin@example.com"
CUSTOMER_EMAIL = "customer@example.com"

# category -> (brands, adjectives, [(noun, min price, max price)])
CATALOG: dict[str, tuple[list[str], list[str], list[tuple[str, int, int]]]] = {
    "electronics": (
        ["Voltix", "Nordwave", "Pixelon", "Auralis"],
        ["Wireless", "Compact", "Pro", "Ultra-Slim", "Smart"],
        [
            ("Mouse", 15, 90),
            ("Keyboard", 30, 180),
            ("Headphones", 40, 350),
            ("Bluetooth Speaker", 25, 220),
            ("USB-C Charger", 12, 70),
            ("Webcam", 35, 160),
            ("Monitor", 140, 700),
            ("Power Bank", 20, 90),
        ],
    ),
    "books": (
        ["Harbor Press", "Lantern Books", "Quill & Co.", "Northfield"],
        ["Illustrated", "Pocket", "Collector's", "Annotated"],
        [
            ("Guide to Sourdough", 12, 40),
            ("History of Navigation", 15, 55),
            ("Python Cookbook", 25, 65),
            ("Atlas of Birds", 20, 80),
            ("Book of Knots", 8, 25),
            ("Field Guide to Mushrooms", 14, 45),
            ("Stargazing Handbook", 11, 35),
        ],
    ),
    "home": (
        ["Hearthly", "Casa Verde", "Oakline", "Linenfold"],
        ["Ceramic", "Linen", "Oak", "Stoneware", "Minimal"],
        [
            ("Table Lamp", 25, 160),
            ("Throw Blanket", 30, 140),
            ("Coffee Mug", 8, 30),
            ("Serving Bowl", 15, 70),
            ("Wall Clock", 20, 110),
            ("Cutting Board", 18, 75),
            ("Vase", 14, 90),
        ],
    ),
    "sports": (
        ["Peakform", "Stridewell", "Bluefin", "Trailhead"],
        ["Lightweight", "Waterproof", "Insulated", "Foldable"],
        [
            ("Yoga Mat", 18, 90),
            ("Water Bottle", 10, 45),
            ("Running Shoes", 55, 180),
            ("Backpack", 35, 200),
            ("Tent", 90, 480),
            ("Jump Rope", 7, 30),
            ("Cycling Gloves", 15, 55),
        ],
    ),
    "clothing": (
        ["Threadline", "Northstitch", "Mavi Lane", "Coastwear"],
        ["Organic Cotton", "Merino", "Relaxed-Fit", "Classic", "Recycled"],
        [
            ("T-Shirt", 12, 45),
            ("Hoodie", 35, 95),
            ("Rain Jacket", 60, 240),
            ("Chinos", 40, 110),
            ("Wool Socks", 9, 28),
            ("Beanie", 12, 40),
        ],
    ),
    "toys": (
        ["Brightblock", "Tinkertown", "Little Orbit"],
        ["Wooden", "Magnetic", "Glow-in-the-Dark", "Educational"],
        [
            ("Puzzle", 10, 45),
            ("Building Set", 20, 120),
            ("Train Set", 30, 160),
            ("Kite", 12, 50),
            ("Board Game", 18, 70),
        ],
    ),
    "beauty": (
        ["Lumea", "Verdant", "Saltmoss"],
        ["Hydrating", "Unscented", "Vegan", "Travel-Size"],
        [
            ("Face Cream", 14, 85),
            ("Lip Balm", 4, 15),
            ("Shampoo Bar", 8, 20),
            ("Body Oil", 16, 60),
            ("Hand Soap", 6, 22),
        ],
    ),
    "garden": (
        ["Greenrow", "Fernwick", "Mossbank"],
        ["Galvanized", "Stainless", "Heavy-Duty", "Ergonomic"],
        [
            ("Watering Can", 15, 60),
            ("Pruning Shears", 12, 55),
            ("Planter", 10, 90),
            ("Garden Hose", 25, 90),
            ("Trowel", 7, 30),
        ],
    ),
}
PRODUCTS_PER_CATEGORY = 40

# The departments above the categories: slug -> (name, its categories in CATALOG).
DEPARTMENTS: dict[str, tuple[str, list[str]]] = {
    "tech-media": ("Tech & Media", ["electronics", "books"]),
    "home-garden": ("Home & Garden", ["home", "garden"]),
    "fashion-beauty": ("Fashion & Beauty", ["clothing", "beauty"]),
    "sports-toys": ("Sports & Toys", ["sports", "toys"]),
}
COLOURS = ["Black", "Navy", "Olive", "Sand", "Red", "White"]
# Nouns sold in sizes (and colours): the options of their products.
SIZED: dict[str, list[tuple[str, list[str]]]] = {
    "T-Shirt": [("Size", ["S", "M", "L", "XL"]), ("Colour", COLOURS)],
    "Hoodie": [("Size", ["S", "M", "L", "XL"]), ("Colour", COLOURS)],
    "Rain Jacket": [("Size", ["S", "M", "L", "XL"]), ("Colour", COLOURS)],
    "Chinos": [("Waist", ["30", "32", "34", "36"]), ("Colour", COLOURS)],
    "Wool Socks": [("Size", ["36-39", "40-43", "44-47"])],
    "Running Shoes": [("Size", ["39", "40", "41", "42", "43", "44", "45"])],
    "Yoga Mat": [("Colour", COLOURS)],
}


class Command(BaseCommand):
    help = (
        "Load a demo catalog (a few hundred products over several categories) and two "
        f"accounts: {ADMIN_EMAIL} (admin; password from DEMO_ADMIN_PASSWORD, or generated "
        f"and printed once) and {CUSTOMER_EMAIL} (password from DEMO_CUSTOMER_PASSWORD, "
        "likewise). Running it again adds nothing and changes no password, unless "
        "--reset-passwords, which gives both accounts new ones and prints them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=2024, help="Random seed of the generated catalog."
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the two demo accounts new passwords (DEMO_*_PASSWORD, or generated) "
            "and print them.",
        )

    def handle(self, *args: Any, seed: int, reset_passwords: bool, **options: Any) -> None:
        with transaction.atomic():
            created = self._seed_products(random.Random(seed))  # noqa: S311 (demo data)
            self._seed_user(
                ADMIN_EMAIL,
                "Demo Admin",
                "DEMO_ADMIN_PASSWORD",
                role=Role.ADMIN,
                superuser=True,
                reset=reset_passwords,
            )
            self._seed_user(
                CUSTOMER_EMAIL, "Demo Customer", "DEMO_CUSTOMER_PASSWORD", reset=reset_passwords
            )
        # Product photos, drawn locally and uploaded through the media service.
        photos = demo_media_seed(slugs=self.seeded_slugs)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo catalog: {created} product(s) added, "
                f"{Product.objects.in_catalog().count()} in the catalog, {photos} photo(s) added."
            )
        )

    def _seed_products(self, rng: random.Random) -> int:
        _seed_categories()
        products = [
            product
            for category, spec in CATALOG.items()
            for product in _generate(category, *spec, rng=rng)
        ]
        self.seeded_slugs = [product["slug"] for product in products]
        # The slug is the natural key: what exists is left as staff edited it.
        taken = set(
            Product.objects.filter(slug__in=[p["slug"] for p in products]).values_list(
                "slug", flat=True
            )
        )
        created = 0
        for product in products:
            if product["slug"] not in taken:
                # Through the service: variants, SKUs, ledger and cache as any write.
                services.product_create(**product)
                created += 1
        return created

    def _seed_user(
        self,
        email: str,
        name: str,
        env_var: str,
        *,
        role: str = Role.CUSTOMER,
        superuser: bool = False,
        reset: bool = False,
    ) -> None:
        password = os.environ.get(env_var) or ""
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        existing = User.objects.filter(email=email).first()
        if existing is not None:
            if not reset:
                self.stdout.write(f"{email} exists; its password is unchanged.")
                return
            existing.set_password(password)
            existing.save(update_fields=["password", "updated_at"])
            shown = password if generated else f"from {env_var}"
            self.stdout.write(self.style.WARNING(f"New password of {email}: {shown}"))
            return
        if superuser:
            User.objects.create_superuser(email=email, password=password, name=name)
        else:
            User.objects.create_user(email=email, password=password, name=name, role=role)
        if generated:
            self.stdout.write(
                f"Created {email} with password {password} "
                f"(shown once; set {env_var} to choose it)."
            )
        else:
            self.stdout.write(f"Created {email} with the password from {env_var}.")


def _generate(
    category: str,
    brands: list[str],
    adjectives: list[str],
    nouns: list[tuple[str, int, int]],
    *,
    rng: random.Random,
) -> list[dict[str, Any]]:
    combinations = [
        (brand, adjective, noun) for brand in brands for adjective in adjectives for noun in nouns
    ]
    rng.shuffle(combinations)
    products = []
    for brand, adjective, (noun, low, high) in combinations[:PRODUCTS_PER_CATEGORY]:
        name = f"{brand} {adjective} {noun}"
        slug = slugify(name)
        # Shop prices: whole units ending in .99 or .49.
        price = Decimal(rng.randint(low, high)) - Decimal(rng.choice(["0.01", "0.51"]))
        price = max(price, Decimal("0.99"))
        product: dict[str, Any] = {
            "name": name,
            "slug": slug,
            "description": (
                f"The {adjective.lower()} {noun.lower()} from {brand}: {rng.choice(_BLURBS)}"
            ),
            "currency": "USD",
            "category": category,
        }
        if noun in SIZED:
            product.update(_options_and_variants(SIZED[noun], price, rng=rng))
        else:
            product.update(price=price, stock=_stock(rng))
        products.append(product)
    return products


def _options_and_variants(
    options: list[tuple[str, list[str]]], price: Decimal, *, rng: random.Random
) -> dict[str, Any]:
    """A few values of each option, and a variant for most combinations (as sold)."""
    chosen = [
        (name, values if len(values) <= 4 else rng.sample(values, 3)) for name, values in options
    ]
    combinations: list[dict[str, str]] = [{}]
    for name, values in chosen:
        combinations = [
            {**combination, name: value} for combination in combinations for value in values
        ]
    largest = chosen[0][1][-1]
    variants = [
        services.VariantInput(
            options=combination,
            # The largest size costs a little more.
            price=price + (Decimal("2.00") if largest in combination.values() else 0),
            stock=_stock(rng),
            weight=rng.randint(150, 900),
        )
        for combination in combinations
        if len(combinations) < 6 or rng.random() < 0.85
    ] or [services.VariantInput(options=combinations[0], price=price, stock=_stock(rng))]
    return {
        "options": [
            services.OptionInput(name=name, values=tuple(values)) for name, values in chosen
        ],
        "variants": variants,
    }


def _stock(rng: random.Random) -> int:
    return 0 if rng.random() < 0.08 else rng.randint(1, 250)


def _seed_categories() -> None:
    """The departments at the root, each category of CATALOG under its department."""
    for position, (slug, (name, children)) in enumerate(DEPARTMENTS.items()):
        if not Category.objects.filter(slug=slug).exists():
            services.category_create(name=name, slug=slug, position=position)
        for child_position, child in enumerate(children):
            existing = Category.objects.filter(slug=child).first()
            if existing is None:
                services.category_create(
                    name=services.category_name_from_slug(child),
                    slug=child,
                    parent=slug,
                    position=child_position,
                )
            elif existing.parent_id is None and not existing.path.startswith(f"/{slug}/"):
                # A root made by an earlier product write: file it under its department.
                services.category_update(category=existing, data={"parent": slug})


_BLURBS = [
    "built to last and easy to care for.",
    "a customer favourite, now in new colours.",
    "designed in small batches with recycled materials.",
    "thoughtfully made for everyday use.",
    "a great gift, with free returns within 30 days.",
    "tested by our team for a full season.",
]
