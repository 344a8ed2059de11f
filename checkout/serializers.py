"""Wire formats of the checkout: the order body and object, the quote, the pricing rules."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import validate_slug
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Category
from checkout.models import DiscountCode, TaxRate
from checkout.pricing import Quote
from ecommerce.api.ids import PREFIXES, PublicIdField
from ecommerce.api.serializers import (
    JSONBooleanField,
    JSONIntegerField,
    JSONStringField,
    StrictInputSerializer,
)
from orders.serializers import (
    CountryCodeField,
    OrderItemOutputSerializer,
    OrderLineInputSerializer,
    ShipmentOutputSerializer,
    ShippingAddressOutputSerializer,
    ShippingAddressSerializer,
)
from orders.state import OrderStatus
from payments.serializers import OrderPaymentOutputSerializer

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}
NON_NEGATIVE: dict[str, Any] = {**MONEY, "min_value": Decimal("0")}


class CheckoutChoicesMixin(serializers.Serializer):
    shippingMethod = PublicIdField(
        PREFIXES["shipping_method"],
        required=False,
        help_text="Without one, the cheapest method that ships to the address.",
    )
    discountCode = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        help_text="Any case. Unknown, expired, not yet valid, used up or not applicable: 400.",
    )


class OrderCreateInputSerializer(CheckoutChoicesMixin, StrictInputSerializer):
    items = OrderLineInputSerializer(  # type: ignore[call-arg]
        many=True, min_length=1, max_length=settings.ORDER_MAX_ITEMS, allow_empty=False
    )
    shippingAddress = ShippingAddressSerializer()
    paymentMethod = serializers.ChoiceField(choices=["card"])
    paymentToken = serializers.CharField(max_length=255, required=False, allow_blank=True)


class QuoteInputSerializer(CheckoutChoicesMixin, StrictInputSerializer):
    items = OrderLineInputSerializer(  # type: ignore[call-arg]
        many=True, min_length=1, max_length=settings.ORDER_MAX_ITEMS, allow_empty=False
    )
    shippingAddress = ShippingAddressSerializer(
        required=False, help_text="Without it: no shipping and no tax in the figures."
    )


class ShippingChoiceOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    price = serializers.DecimalField(**MONEY)


class DiscountAppliedOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=DiscountCode.Kind.choices)
    value = serializers.DecimalField(**MONEY)


class ShippingOptionOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="method.public_id")
    name = serializers.CharField(source="method.name")
    price = serializers.DecimalField(**MONEY)
    minDays = serializers.IntegerField(source="method.min_days")
    maxDays = serializers.IntegerField(source="method.max_days")


class QuoteLineOutputSerializer(serializers.Serializer):
    productId = PublicIdField(PREFIXES["product"], source="variant.product_id")
    variantId = PublicIdField(PREFIXES["variant"], source="variant.pk")
    sku = serializers.CharField(source="variant.sku")
    name = serializers.CharField(source="variant.product.name")
    options = serializers.DictField(child=serializers.CharField(), source="variant.options")
    quantity = serializers.IntegerField()
    unitPrice = serializers.DecimalField(**MONEY, source="unit_price")
    lineTotal = serializers.DecimalField(**MONEY, source="line_total")
    discount = serializers.DecimalField(**MONEY)
    tax = serializers.DecimalField(**MONEY)


class QuoteOutputSerializer(serializers.Serializer):
    lines = QuoteLineOutputSerializer(many=True)
    subtotal = serializers.DecimalField(**MONEY)
    discountTotal = serializers.DecimalField(**MONEY, source="discount_total")
    shippingTotal = serializers.DecimalField(**MONEY, source="shipping_total")
    taxTotal = serializers.DecimalField(
        **MONEY,
        source="tax_total",
        help_text="With pricesIncludeTax, the part of total that is tax.",
    )
    total = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    pricesIncludeTax = serializers.BooleanField(source="prices_include_tax")
    shippingMethod = serializers.SerializerMethodField()
    shippingMethods = ShippingOptionOutputSerializer(many=True, source="shipping_options")
    discount = DiscountAppliedOutputSerializer(allow_null=True)

    @extend_schema_field(ShippingChoiceOutputSerializer(allow_null=True))
    def get_shippingMethod(self, quote: Quote) -> dict | None:
        if quote.shipping is None:
            return None
        return ShippingChoiceOutputSerializer(quote.shipping.as_dict()).data


class OrderOutputSerializer(serializers.Serializer):
    id = PublicIdField(PREFIXES["order"])
    userId = PublicIdField(PREFIXES["user"], source="user_id")
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    items = OrderItemOutputSerializer(many=True, source="items.all")
    subtotal = serializers.DecimalField(**MONEY)
    discountTotal = serializers.DecimalField(**MONEY, source="discount_total")
    shippingTotal = serializers.DecimalField(**MONEY, source="shipping_total")
    taxTotal = serializers.DecimalField(**MONEY, source="tax_total")
    total = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    pricesIncludeTax = serializers.BooleanField(source="prices_include_tax")
    shippingAddress = ShippingAddressOutputSerializer(source="shipping_address")
    shippingMethod = extend_schema_field(ShippingChoiceOutputSerializer(allow_null=True))(
        serializers.JSONField
    )(source="shipping_method", allow_null=True)
    discount = extend_schema_field(DiscountAppliedOutputSerializer(allow_null=True))(
        serializers.JSONField
    )(allow_null=True)
    paymentMethod = serializers.CharField(source="payment_method")
    payment = OrderPaymentOutputSerializer(allow_null=True)
    shipment = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    @extend_schema_field(ShipmentOutputSerializer(allow_null=True))
    def get_shipment(self, order) -> dict | None:
        """Null until staff mark the order shipped."""
        if order.shipped_at is None:
            return None
        return ShipmentOutputSerializer(order).data

    def to_representation(self, instance) -> dict:
        data = super().to_representation(instance)
        # Snapshots keep money as text in JSON; the wire has numbers.
        for key in ("shippingMethod", "discount"):
            money = "price" if key == "shippingMethod" else "value"
            if data.get(key):
                data[key] = {**data[key], money: Decimal(data[key][money])}
        return data


# --- The pricing rules (admin endpoints) -------------------------------------------


class ShippingMethodSerializer(StrictInputSerializer):
    id = PublicIdField(PREFIXES["shipping_method"], read_only=True)
    name = serializers.CharField(max_length=100)
    countries = serializers.ListField(child=CountryCodeField(), min_length=1, max_length=250)
    states = serializers.ListField(
        child=JSONStringField(max_length=100), max_length=100, required=False, default=list
    )
    price = serializers.DecimalField(**NON_NEGATIVE)
    pricePerKg = serializers.DecimalField(**NON_NEGATIVE, source="price_per_kg", required=False)
    freeFrom = serializers.DecimalField(
        **NON_NEGATIVE, source="free_from", required=False, allow_null=True
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, default="USD")
    minDays = JSONIntegerField(min_value=0, max_value=365, source="min_days", required=False)
    maxDays = JSONIntegerField(min_value=0, max_value=365, source="max_days", required=False)
    active = JSONBooleanField(required=False, default=True)

    def validate(self, attrs: dict) -> dict:
        instance = self.instance
        low = attrs.get("min_days", getattr(instance, "min_days", 1))
        high = attrs.get("max_days", getattr(instance, "max_days", 5))
        if high < low:
            raise serializers.ValidationError({"maxDays": ["At least minDays."]})
        return attrs


class CategorySlugField(serializers.SlugRelatedField):
    def __init__(self, **kwargs) -> None:
        super().__init__(slug_field="slug", queryset=Category.objects.all(), **kwargs)

    def run_validation(self, data=serializers.empty):
        # DRF turns "" into null for a relation, and looks 5 up as "5"; the
        # schema says a slug or null.
        if data is not serializers.empty and (data == "" or not isinstance(data, str | None)):
            self.fail("invalid")
        return super().run_validation(data)


class TaxRateSerializer(StrictInputSerializer):
    id = PublicIdField(PREFIXES["tax_rate"], read_only=True)
    name = serializers.CharField(max_length=100)
    country = CountryCodeField()
    state = serializers.CharField(
        max_length=100, required=False, allow_null=True, help_text="Null: any state."
    )
    category = CategorySlugField(
        required=False, allow_null=True, help_text="A category slug; null: any product."
    )
    rate = serializers.DecimalField(
        max_digits=6,
        decimal_places=3,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        help_text="A percentage: 8.25.",
    )

    def to_representation(self, instance: TaxRate) -> dict:
        data = super().to_representation(instance)
        data["state"] = instance.state or None
        return data


class DiscountCodeSerializer(StrictInputSerializer):
    id = PublicIdField(PREFIXES["discount_code"], read_only=True)
    code = serializers.RegexField(r"^[A-Za-z0-9_-]{1,50}$", max_length=50)
    kind = serializers.ChoiceField(choices=DiscountCode.Kind.choices)
    value = serializers.DecimalField(**NON_NEGATIVE, required=False, default=Decimal("0"))
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, default="USD")
    startsAt = serializers.DateTimeField(source="starts_at", required=False, allow_null=True)
    endsAt = serializers.DateTimeField(source="ends_at", required=False, allow_null=True)
    minSubtotal = serializers.DecimalField(
        **NON_NEGATIVE, source="min_subtotal", required=False, allow_null=True
    )
    categories = serializers.ListField(
        child=JSONStringField(max_length=100, validators=[validate_slug]),
        required=False,
        max_length=100,
    )
    maxUses = JSONIntegerField(
        source="max_uses", min_value=1, max_value=10**9, required=False, allow_null=True
    )
    maxUsesPerCustomer = JSONIntegerField(
        source="max_uses_per_customer",
        min_value=1,
        max_value=10**9,
        required=False,
        allow_null=True,
    )
    uses = serializers.IntegerField(read_only=True)
    active = JSONBooleanField(required=False, default=True)

    def to_representation(self, instance: DiscountCode) -> dict:
        data = super().to_representation(
            {
                **{f: getattr(instance, f) for f in _CODE_FIELDS},
                "categories": [c.slug for c in instance.categories.all()],
            }
        )
        data["id"] = f"{PREFIXES['discount_code']}_{instance.pk.hex}"
        return data

    def validate_categories(self, slugs: list[str]) -> list[Category]:
        found = {c.slug: c for c in Category.objects.filter(slug__in=[s.lower() for s in slugs])}
        unknown = [slug for slug in slugs if slug.lower() not in found]
        if unknown:
            raise serializers.ValidationError([f"Unknown category {slug!r}." for slug in unknown])
        return list(found.values())

    def validate(self, attrs: dict) -> dict:
        def current(name):
            return attrs.get(name, getattr(self.instance, name, None))

        kind, value = current("kind"), current("value")
        if kind == DiscountCode.Kind.PERCENTAGE and value is not None and value > 100:
            raise serializers.ValidationError({"value": ["A percentage is at most 100."]})
        if kind in (DiscountCode.Kind.PERCENTAGE, DiscountCode.Kind.FIXED) and not value:
            raise serializers.ValidationError({"value": ["Give the percentage or amount off."]})
        starts, ends = current("starts_at"), current("ends_at")
        if starts and ends and ends <= starts:
            raise serializers.ValidationError({"endsAt": ["After startsAt."]})
        return attrs


_CODE_FIELDS = (
    "id",
    "code",
    "kind",
    "value",
    "currency",
    "starts_at",
    "ends_at",
    "min_subtotal",
    "max_uses",
    "max_uses_per_customer",
    "uses",
    "active",
)


class ShippingMethodListFilterSerializer(serializers.Serializer):
    country = CountryCodeField(required=False)
    state = serializers.CharField(max_length=100, required=False, allow_blank=True)
