"""The catalog's tables: categories (a tree), products, their options and variants, the ledger.

A product is sold through its variants: each has its own SKU, price, stock and
weight. A simple product has exactly one variant, with no options. The
product row carries ``price`` (the lowest variant price), ``price_max`` (the
highest) and ``stock`` (the sum) as denormalised columns, kept true by
``catalog.services`` and ``catalog.stock`` in the transaction that changes a
variant; see ``catalog.services`` for why they are columns and not computed on read.
"""

import uuid
from decimal import Decimal

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Lower

SKU_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"


class Category(models.Model):
    """A node of the category tree, addressed by its slug.

    ``path`` is a materialised path: the slugs from the root down to this node,
    each followed by a slash (``/electronics/audio/``). A node's subtree is
    every category whose path starts with its own, so "products in this category
    or below" is one query whatever the depth, on PostgreSQL and SQLite alike.
    Moving or renaming a node rewrites its subtree's paths in one UPDATE
    (``catalog.services``); that is the price, paid on rare staff writes.
    """

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.PositiveIntegerField(default=0)
    path = models.TextField(editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "categories"
        ordering = ["path"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(condition=~models.Q(slug=""), name="category_slug_not_empty"),
            models.CheckConstraint(condition=~models.Q(name=""), name="category_name_not_empty"),
            # Slugs are stored lowercase: the API matches them case-insensitively.
            models.CheckConstraint(
                condition=models.Q(slug=Lower("slug")), name="category_slug_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    @property
    def slugs(self) -> list[str]:
        """The slugs from the root to this node (the API's ``path``)."""
        return [part for part in self.path.split("/") if part]


class ProductQuerySet(models.QuerySet["Product"]):
    def in_catalog(self) -> "ProductQuerySet":
        """Products a shopper can see and buy (not removed from the catalog)."""
        return self.filter(deleted_at__isnull=True)


class Product(models.Model):
    """A sellable item, sold through its variants.

    Removing a product from the catalog sets ``deleted_at`` instead of deleting
    the row, so past order lines keep their product reference.
    Orders change stock through ``catalog.stock``; staff through ``catalog.services``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=280, unique=True)
    description = models.TextField(blank=True, default="")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    # Denormalised from the variants in the catalog (see the module docstring):
    # the lowest price, the highest, and the stock of all of them.
    price = models.DecimalField(max_digits=10, decimal_places=2)
    price_max = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    # The sum of its variants' stock: up to 250 of them, each at most a
    # PostgreSQL integer, so the sum needs a bigint.
    stock = models.BigIntegerField(default=0)
    images = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Maintained by a PostgreSQL trigger (migration 0002) so that every write
    # path, bulk updates and raw SQL included, keeps it current; GIN-indexed there.
    # On SQLite the column exists but stays empty (search falls back to icontains).
    search_vector = SearchVectorField(null=True, editable=False)
    # The free-text category of the release before categories became a tree
    # (column ``category``): kept, nullable, for that release's pods during a
    # rollout (expand, then contract); nothing reads or writes it any more.
    # Drop it in the next release.
    legacy_category = models.CharField(  # noqa: DJ001 (NULL: written by no one now)
        max_length=100, null=True, blank=True, editable=False, db_column="category"
    )

    objects = ProductQuerySet.as_manager()

    class Meta:
        db_table = "products"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gt=Decimal("0")), name="product_price_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(price_max__gte=models.F("price")),
                name="product_price_max_at_least_price",
            ),
            models.CheckConstraint(
                condition=models.Q(stock__gte=0), name="product_stock_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="product_currency_iso4217"
            ),
            # The API's "name 1-255 characters" and a usable URL, for every write path.
            models.CheckConstraint(condition=~models.Q(name=""), name="product_name_not_empty"),
            models.CheckConstraint(condition=~models.Q(slug=""), name="product_slug_not_empty"),
        ]
        indexes = [
            models.Index(fields=["category", "-created_at"], name="product_category_idx"),
            models.Index(fields=["price", "id"], name="product_price_idx"),
            models.Index(fields=["name", "id"], name="product_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def in_catalog(self) -> bool:
        return self.deleted_at is None

    @property
    def live_variants(self) -> list["ProductVariant"]:
        """Its variants in the catalog, in position order.

        ``catalog.selectors`` prefetches them into ``_live_variants`` (one query
        for a whole page); without that, the first access reads them.
        """
        if getattr(self, "_live_variants", None) is None:
            self._live_variants = list(self.variants.in_catalog().order_by("position", "pk"))
        return self._live_variants

    @property
    def ordered_options(self) -> list["ProductOption"]:
        """Its options in position order (prefetched into ``_ordered_options`` likewise)."""
        if getattr(self, "_ordered_options", None) is None:
            self._ordered_options = list(self.options.order_by("position"))
        return self._ordered_options


class ProductOption(models.Model):
    """One dimension a product varies in (``Size``), with its values in display order."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="options")
    name = models.CharField(max_length=50)
    position = models.PositiveSmallIntegerField()
    values = models.JSONField(default=list)

    class Meta:
        db_table = "product_options"
        ordering = ["product", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "position"], name="product_option_position_unique"
            ),
            models.UniqueConstraint("product", Lower("name"), name="product_option_name_unique"),
            models.CheckConstraint(
                condition=~models.Q(name=""), name="product_option_name_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {', '.join(map(str, self.values))}"


class VariantQuerySet(models.QuerySet["ProductVariant"]):
    def in_catalog(self) -> "VariantQuerySet":
        """Variants that can be bought (the product itself may still be removed)."""
        return self.filter(deleted_at__isnull=True)


class ProductVariant(models.Model):
    """What is actually sold and stocked: one combination of a product's option values.

    ``options`` maps each of the product's option names to one of its values
    (``{}`` for a simple product), keys in the product's option order. Like
    products, a variant leaves the catalog by soft delete, so past order lines
    keep it; its SKU stays taken. Stock changes go through ``catalog.stock``
    (orders) and ``catalog.services`` (staff), never a raw save.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="variants")
    sku = models.CharField(max_length=64)
    options = models.JSONField(default=dict, blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    stock = models.IntegerField(default=0)
    weight = models.PositiveIntegerField(default=0, help_text="Grams.")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = VariantQuerySet.as_manager()

    class Meta:
        db_table = "product_variants"
        ordering = ["product", "position", "id"]
        constraints = [
            # Unique across the catalog and whatever the case: "abc-1" and "ABC-1"
            # would be one label on a shelf.
            models.UniqueConstraint(
                Lower("sku"),
                name="product_variant_sku_unique",
                violation_error_message="Another variant already uses this SKU.",
            ),
            models.UniqueConstraint(
                fields=["product", "options"],
                condition=models.Q(deleted_at__isnull=True),
                name="product_variant_options_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(sku__regex=SKU_PATTERN), name="product_variant_sku_format"
            ),
            models.CheckConstraint(
                condition=models.Q(price__gt=Decimal("0")), name="product_variant_price_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(stock__gte=0), name="product_variant_stock_non_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "position"], name="product_variant_product_idx"),
        ]

    def __str__(self) -> str:
        return self.sku

    @property
    def in_catalog(self) -> bool:
        return self.deleted_at is None

    @property
    def options_label(self) -> str:
        """``M / Red``: the option values, for people (admin, e-mails)."""
        return " / ".join(str(value) for value in self.options.values())


class StockMovement(models.Model):
    """The stock ledger: every change of a variant's stock, with its reason.

    A variant's stock always equals the sum of its movements; ``manage.py
    audit_stock`` checks that, and that every order took and gave back exactly
    what its lines and status say. ``product`` is the variant's product, kept
    on each row for per-product reading of the ledger.
    """

    class Reason(models.TextChoices):
        INITIAL = "initial", "Initial stock"
        ADJUSTMENT = "adjustment", "Staff adjustment"
        ORDER_RESERVE = "order_reserve", "Taken by an order"
        ORDER_RELEASE = "order_release", "Returned by an order"

    variant = models.ForeignKey(ProductVariant, on_delete=models.PROTECT, related_name="movements")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    delta = models.IntegerField()
    reason = models.CharField(max_length=16, choices=Reason.choices)
    # The order behind an order movement (no foreign key: catalog does not
    # depend on orders).
    order_id = models.UUIDField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "stock_movements"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["product", "reason"], name="stock_movement_product_idx"),
            models.Index(fields=["variant", "reason"], name="stock_movement_variant_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} {self.delta:+d} ({self.reason})"


# Product media live in their own module (catalog.media); imported here so
# that Django registers the model under this app.
from catalog.media.models import ProductMedia  # noqa: E402, F401
