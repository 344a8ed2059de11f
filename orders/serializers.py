from django.conf import settings
from rest_framework import serializers

from ecommerce.api.ids import PREFIXES, PublicIdField
from ecommerce.api.serializers import StrictInputSerializer
from orders.state import OrderStatus
from payments.state import PaymentStatus


class ShippingAddressSerializer(StrictInputSerializer):
    street = serializers.CharField(max_length=255)
    city = serializers.CharField(max_length=100)
    state = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    zip = serializers.CharField(max_length=20)
    country = serializers.CharField(min_length=2, max_length=56)


class OrderLineInputSerializer(StrictInputSerializer):
    # One of `variantId` and `productId` (a simple product: its one variant).
    productId = PublicIdField(
        PREFIXES["product"],
        required=False,
        help_text="A simple product; a product with several variants needs `variantId`.",
    )
    variantId = PublicIdField(PREFIXES["variant"], required=False)
    quantity = serializers.IntegerField(min_value=1, max_value=settings.ORDER_MAX_QUANTITY)

    def validate(self, attrs: dict) -> dict:
        if ("productId" in attrs) == ("variantId" in attrs):
            raise serializers.ValidationError(
                {"variantId": ["Give one of variantId and productId."]}
            )
        return attrs


class OrderCreateInputSerializer(StrictInputSerializer):
    items = OrderLineInputSerializer(
        many=True, min_length=1, max_length=settings.ORDER_MAX_ITEMS, allow_empty=False
    )
    shippingAddress = ShippingAddressSerializer()
    paymentMethod = serializers.ChoiceField(choices=["card"])
    paymentToken = serializers.CharField(max_length=255, required=False, allow_blank=True)


class OrderStatusInputSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices)


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


class OrderPaymentOutputSerializer(serializers.Serializer):
    id = PublicIdField(PREFIXES["payment"])
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class ShippingAddressOutputSerializer(serializers.Serializer):
    street = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField(allow_blank=True)
    zip = serializers.CharField()
    country = serializers.CharField()


class OrderOutputSerializer(serializers.Serializer):
    id = PublicIdField(PREFIXES["order"])
    userId = PublicIdField(PREFIXES["user"], source="user_id")
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    items = OrderItemOutputSerializer(many=True, source="items.all")
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    shippingAddress = ShippingAddressOutputSerializer(source="shipping_address")
    paymentMethod = serializers.CharField(source="payment_method")
    payment = OrderPaymentOutputSerializer(allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
