"""Order serializers that know nothing above orders; the order object with its
payment, and the create body, are checkout.serializers'."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ecommerce.api.countries import COUNTRY_CODES, country_code_problem
from ecommerce.api.ids import PREFIXES, PublicIdField
from ecommerce.api.serializers import JSONIntegerField, StrictInputSerializer
from orders.state import OrderStatus


# The schema lists the assigned codes: "two letters" would let a client send
# "00" or "XX" in the belief that the server takes them.
@extend_schema_field({"type": "string", "enum": list(COUNTRY_CODES)})
class CountryCodeField(serializers.CharField):
    """An ISO 3166-1 alpha-2 code (``US``), any case on the way in, upper case after."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", "ISO 3166-1 alpha-2 country code, e.g. US.")
        super().__init__(min_length=2, max_length=2, **kwargs)

    def to_internal_value(self, data) -> str:
        code = super().to_internal_value(data).upper()
        problem = country_code_problem(code)
        if problem:
            raise serializers.ValidationError(problem)
        return code


class ShippingAddressSerializer(StrictInputSerializer):
    street = serializers.CharField(max_length=255)
    city = serializers.CharField(max_length=100)
    state = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    zip = serializers.CharField(max_length=20)
    country = CountryCodeField()


class OrderLineInputSerializer(StrictInputSerializer):
    # One of `variantId` and `productId` (a simple product: its one variant).
    productId = PublicIdField(
        PREFIXES["product"],
        required=False,
        help_text="A simple product; a product with several variants needs `variantId`.",
    )
    variantId = PublicIdField(PREFIXES["variant"], required=False)
    quantity = JSONIntegerField(min_value=1, max_value=settings.ORDER_MAX_QUANTITY)

    def validate(self, attrs: dict) -> dict:
        if ("productId" in attrs) == ("variantId" in attrs):
            raise serializers.ValidationError(
                {"variantId": ["Give one of variantId and productId."]}
            )
        return attrs


class OrderStatusInputSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    # With status shipped only (the service refuses them otherwise).
    carrier = serializers.CharField(max_length=100, required=False, allow_blank=True)
    trackingNumber = serializers.CharField(max_length=100, required=False, allow_blank=True)


class OrderListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    userId = PublicIdField(PREFIXES["user"], required=False)


class OrderItemOutputSerializer(serializers.Serializer):
    productId = PublicIdField(PREFIXES["product"], source="product_id")
    variantId = PublicIdField(PREFIXES["variant"], source="variant_id")
    sku = serializers.CharField()
    name = serializers.CharField()
    options = serializers.DictField(child=serializers.CharField())
    unitPrice = serializers.DecimalField(max_digits=12, decimal_places=2, source="unit_price")
    quantity = serializers.IntegerField()
    lineTotal = serializers.DecimalField(max_digits=12, decimal_places=2, source="line_total")
    discount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="This line's share of the discount."
    )
    tax = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The tax on this line, after its discount."
    )


class ShippingAddressOutputSerializer(serializers.Serializer):
    street = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField(allow_blank=True)
    zip = serializers.CharField()
    country = serializers.CharField()


class ShipmentOutputSerializer(serializers.Serializer):
    carrier = serializers.CharField(allow_blank=True)
    trackingNumber = serializers.CharField(source="tracking_number", allow_blank=True)
    shippedAt = serializers.DateTimeField(source="shipped_at")
