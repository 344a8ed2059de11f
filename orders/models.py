import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F

from catalog.models import Product, ProductVariant
from ecommerce.api.ids import PREFIXES, public_id
from orders.state import OrderStatus

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


class Order(models.Model):
    """A customer's order. Money fields are computed once, at creation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    # The checkout's breakdown (checkout.pricing), fixed at creation. Orders made
    # before it existed have zeros: their total is their subtotal. Database
    # defaults too: the previous release's inserts do not name these columns.
    subtotal = models.DecimalField(**MONEY)
    discount_total = models.DecimalField(**MONEY, default=ZERO, db_default=ZERO)
    shipping_total = models.DecimalField(**MONEY, default=ZERO, db_default=ZERO)
    tax_total = models.DecimalField(**MONEY, default=ZERO, db_default=ZERO)
    total = models.DecimalField(**MONEY)
    # True: the prices (and so the total) include ``tax_total``; False: it was added.
    prices_include_tax = models.BooleanField(default=False, db_default=False)
    # What the customer chose, as they saw it: {"id", "name", "price"} and
    # {"code", "kind", "value"}; null for none.
    shipping_method = models.JSONField(null=True, blank=True)
    discount = models.JSONField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    shipping_address = models.JSONField()
    payment_method = models.CharField(max_length=20, default="card")
    # Set when staff mark the order shipped (``shipment`` in the API). A database
    # default too: the previous release's inserts do not name these columns.
    carrier = models.CharField(max_length=100, blank=True, default="", db_default="")
    tracking_number = models.CharField(max_length=100, blank=True, default="", db_default="")
    shipped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "orders"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subtotal__gte=0), name="order_subtotal_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(total__gte=0), name="order_total_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=OrderStatus.values), name="order_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(discount_total__gte=0, shipping_total__gte=0, tax_total__gte=0),
                name="order_breakdown_non_negative",
            ),
            # The breakdown adds up (API contract, Checkout): tax is added to the
            # total, or is already part of the prices.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        prices_include_tax=False,
                        total=F("subtotal")
                        - F("discount_total")
                        + F("shipping_total")
                        + F("tax_total"),
                    )
                    | models.Q(
                        prices_include_tax=True,
                        total=F("subtotal") - F("discount_total") + F("shipping_total"),
                    )
                ),
                name="order_breakdown_adds_up",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="order_user_created_idx"),
            models.Index(fields=["status", "created_at"], name="order_status_created_idx"),
        ]

    def __str__(self) -> str:
        # The id customers quote (ord_...), as the admin's pages and messages show it.
        return public_id(PREFIXES["order"], self.id)


class OrderItem(models.Model):
    """One line: the variant sold, with the name, SKU, options and price the
    customer saw when ordering (snapshots: the catalog may change later).

    ``variant`` and ``product`` (the variant's product) are PROTECT: both leave
    the catalog by soft delete, so the references always resolve.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_items")
    variant = models.ForeignKey(
        ProductVariant, on_delete=models.PROTECT, related_name="order_items"
    )
    name = models.CharField(max_length=255)
    sku = models.CharField(max_length=64)
    options = models.JSONField(default=dict, blank=True)
    unit_price = models.DecimalField(**MONEY)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(**MONEY)
    # This line's share of the order's discount, and its tax (after the discount).
    discount = models.DecimalField(**MONEY, default=ZERO, db_default=ZERO)
    tax = models.DecimalField(**MONEY, default=ZERO, db_default=ZERO)

    class Meta:
        db_table = "order_items"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="order_item_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gt=Decimal("0")), name="order_item_price_positive"
            ),
            models.UniqueConstraint(fields=["order", "variant"], name="order_item_variant_once"),
            # A discount never takes a line below zero.
            models.CheckConstraint(
                condition=models.Q(discount__gte=0, discount__lte=F("line_total"), tax__gte=0),
                name="order_item_discount_tax_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"


class IdempotencyRecord(models.Model):
    """The first answer to an ``Idempotency-Key``, kept to replay it for 24 hours.

    The unique constraint on (user, key) is what makes concurrent retries safe:
    exactly one request inserts the row and runs; the others find it.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    locked_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "idempotency_records"
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
