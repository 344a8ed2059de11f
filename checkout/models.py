"""The shop's pricing rules: shipping methods, tax rates, discount codes and their uses.

Money is ``Decimal``; countries are ISO 3166-1 alpha-2 codes, states the
address's own text (``CA``), compared case-insensitively.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper

from catalog.models import Category
from ecommerce.api.countries import country_code_problem
from ecommerce.api.ids import PREFIXES, public_id
from orders.models import MONEY, Order

ZERO = Decimal("0.00")
NON_NEGATIVE = [MinValueValidator(ZERO)]
PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def _countries_valid(codes: object) -> None:
    if not isinstance(codes, list) or not codes:
        raise ValidationError("At least one country code (US).")
    problems = [problem for code in codes if (problem := country_code_problem(code))]
    if problems:
        raise ValidationError(problems)


def _states_valid(states: object) -> None:
    if not isinstance(states, list) or not all(
        isinstance(state, str) and 0 < len(state.strip()) <= 100 for state in states
    ):
        raise ValidationError("A list of state names or codes (CA, NY).")


def _country_valid(code: str) -> None:
    _countries_valid([code])


class ShippingMethod(models.Model):
    """A way to ship: its zone (countries, optionally some of their states) and its price.

    The price for a basket is ``price + price_per_kg * kilograms``, nothing from
    ``free_from`` (the basket's subtotal after its discount) up. ``states``
    empty means every state of those countries.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    # Lists of text (JSON: the embedded SQLite set-up has no arrays).
    countries = models.JSONField(
        default=list, validators=[_countries_valid], help_text="ISO 3166-1 codes: US, CA."
    )
    states = models.JSONField(
        default=list, blank=True, validators=[_states_valid], help_text="Empty: the whole country."
    )
    price = models.DecimalField(**MONEY, validators=NON_NEGATIVE)
    price_per_kg = models.DecimalField(**MONEY, default=ZERO, validators=NON_NEGATIVE)
    free_from = models.DecimalField(
        **MONEY, null=True, blank=True, validators=NON_NEGATIVE, help_text="Empty: never free."
    )
    currency = models.CharField(max_length=3, default="USD")
    min_days = models.PositiveIntegerField(default=1)
    max_days = models.PositiveIntegerField(default=5)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "shipping_methods"
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gte=0, price_per_kg__gte=0),
                name="shipping_price_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(free_from__isnull=True) | models.Q(free_from__gte=0),
                name="shipping_free_from_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(max_days__gte=models.F("min_days")),
                name="shipping_days_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="shipping_currency_iso4217"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def public_id(self) -> str:
        return public_id(PREFIXES["shipping_method"], self.id)

    def clean(self) -> None:
        self.countries = [code.strip().upper() for code in self.countries or []]
        self.states = [state.strip() for state in self.states or [] if state.strip()]
        if (
            self.min_days is not None
            and self.max_days is not None
            and self.max_days < self.min_days
        ):
            raise ValidationError({"max_days": "At least the minimum days."})

    def serves(self, *, country: str, state: str) -> bool:
        if country.upper() not in self.countries:
            return False
        return not self.states or state.strip().upper() in {s.upper() for s in self.states}


class TaxRate(models.Model):
    """A percentage owed where an address is (country, optionally state) on a category
    of products (and its subcategories) or on everything; the most specific applies
    (``checkout.tax``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    country = models.CharField(max_length=2, validators=[_country_valid])
    state = models.CharField(max_length=100, blank=True, default="", help_text="Empty: any.")
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tax_rates",
        help_text="Empty: any product. A category covers its subcategories.",
    )
    rate = models.DecimalField(
        max_digits=6, decimal_places=3, validators=PERCENT, help_text="A percentage: 8.25."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "tax_rates"
        ordering = ["country", "state", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=100), name="tax_rate_percentage"
            ),
            models.CheckConstraint(
                condition=models.Q(country__regex=r"^[A-Z]{2}$"), name="tax_rate_country_alpha2"
            ),
            models.UniqueConstraint(
                "country",
                Upper("state"),
                "category",
                name="tax_rate_one_per_place_and_category",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.rate}%)"

    def clean(self) -> None:
        self.country = (self.country or "").strip().upper()
        self.state = (self.state or "").strip()


class DiscountCode(models.Model):
    """A code a customer types at checkout. ``uses`` counts the orders holding it:
    taken in the order's transaction under this row's lock, given back when the
    order is cancelled, expires or its payment fails (``checkout.discounts``)."""

    class Kind(models.TextChoices):
        PERCENTAGE = "percentage", "Percentage off"
        FIXED = "fixed", "Fixed amount off"
        FREE_SHIPPING = "free_shipping", "Free shipping"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=50, help_text="Matched whatever the case.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.DecimalField(
        **MONEY,
        default=ZERO,
        validators=NON_NEGATIVE,
        help_text="A percentage (percentage), an amount (fixed); ignored for free shipping.",
    )
    currency = models.CharField(max_length=3, default="USD")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    min_subtotal = models.DecimalField(**MONEY, null=True, blank=True, validators=NON_NEGATIVE)
    categories = models.ManyToManyField(
        Category,
        blank=True,
        related_name="discount_codes",
        help_text="Empty: every product. A category covers its subcategories.",
    )
    max_uses = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit.")
    max_uses_per_customer = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: no limit."
    )
    uses = models.PositiveIntegerField(default=0, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "discount_codes"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="discount_code_unique_any_case"),
            models.CheckConstraint(condition=~models.Q(code=""), name="discount_code_not_empty"),
            models.CheckConstraint(
                condition=models.Q(value__gte=0), name="discount_value_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="percentage") | models.Q(value__lte=100),
                name="discount_percentage_at_most_100",
            ),
            models.CheckConstraint(
                condition=models.Q(max_uses__isnull=True)
                | models.Q(uses__lte=models.F("max_uses")),
                name="discount_uses_within_limit",
            ),
            models.CheckConstraint(
                condition=models.Q(starts_at__isnull=True)
                | models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="discount_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def remaining_uses(self) -> int | None:
        return None if self.max_uses is None else max(self.max_uses - self.uses, 0)

    def clean(self) -> None:
        self.code = (self.code or "").strip()
        if self.kind == self.Kind.PERCENTAGE and self.value is not None and self.value > 100:
            raise ValidationError({"value": "A percentage is at most 100."})
        if self.kind in (self.Kind.PERCENTAGE, self.Kind.FIXED) and not self.value:
            raise ValidationError({"value": "Give the percentage or the amount off."})
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "After the start."})


class DiscountRedemption(models.Model):
    """One order's use of a code; ``released_at`` is set when the use was given back.

    The code's ``uses`` is the number of its redemptions not released
    (``manage.py audit_discount_codes`` checks it, and each against its order).
    """

    code = models.ForeignKey(DiscountCode, on_delete=models.PROTECT, related_name="redemptions")
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="redemption")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="redemptions"
    )
    amount = models.DecimalField(**MONEY, default=ZERO)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "discount_redemptions"
        indexes = [
            models.Index(
                fields=["code", "user"],
                condition=models.Q(released_at__isnull=True),
                name="redemption_live_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} on {self.order}"
