import uuid
from decimal import Decimal

from django.contrib.postgres.search import SearchVectorField
from django.db import models


class ProductQuerySet(models.QuerySet["Product"]):
    def in_catalog(self) -> "ProductQuerySet":
        """Products a shopper can see and buy (not removed from the catalog)."""
        return self.filter(deleted_at__isnull=True)


class Product(models.Model):
    """A sellable item.

    Removing a product from the catalog sets ``deleted_at`` instead of deleting
    the row, so past order lines keep their product reference.
    Orders change stock through ``catalog.stock``; staff through ``catalog.services``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=280, unique=True)
    description = models.TextField(blank=True, default="")
    price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    category = models.CharField(max_length=100, db_index=True)
    stock = models.IntegerField(default=0)
    images = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Maintained by a PostgreSQL trigger (migration 0002) so that every write
    # path, bulk updates and raw SQL included, keeps it current; GIN-indexed there.
    # On SQLite the column exists but stays empty (search falls back to icontains).
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ProductQuerySet.as_manager()

    class Meta:
        db_table = "products"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gt=Decimal("0")), name="product_price_positive"
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


class StockMovement(models.Model):
    """The stock ledger: every change of ``Product.stock``, with its reason.

    A product's stock always equals the sum of its movements; ``manage.py
    audit_stock`` checks that, and that every order took and gave back exactly
    what its lines and status say.
    """

    class Reason(models.TextChoices):
        INITIAL = "initial", "Initial stock"
        ADJUSTMENT = "adjustment", "Staff adjustment"
        ORDER_RESERVE = "order_reserve", "Taken by an order"
        ORDER_RELEASE = "order_release", "Returned by an order"

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
        indexes = [models.Index(fields=["product", "reason"], name="stock_movement_product_idx")]

    def __str__(self) -> str:
        return f"{self.product_id} {self.delta:+d} ({self.reason})"


# Product media live in their own module (catalog.media); imported here so
# that Django registers the model under this app.
from catalog.media.models import ProductMedia  # noqa: E402, F401
