from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ecommerce.api.ids import PREFIXES, PublicIdField
from ecommerce.api.serializers import JSONIntegerField, StrictInputSerializer
from orders.state import OrderStatus
from payments.selectors import payment_next_action
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
    quantity = JSONIntegerField(min_value=1, max_value=settings.ORDER_MAX_QUANTITY)

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


class NextActionOutputSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="What the frontend does, e.g. `use_stripe_sdk`.")
    clientSecret = serializers.CharField(
        help_text="For Stripe.js `handleNextAction` / `confirmCardPayment`; never cached."
    )


class NextActionField(serializers.Field):
    """The payment's ``nextAction`` for the viewer in the context, read from the
    payment itself; the enclosing serializer leaves the key out when there is none."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", required=False, **kwargs)

    def to_representation(self, payment) -> dict | None:
        return payment_next_action(payment, viewer=self.context.get("viewer"))

    def to_internal_value(self, data):  # pragma: no cover - output only
        raise NotImplementedError


def without_empty_next_action(data: dict) -> dict:
    if data.get("nextAction") is None:
        data.pop("nextAction", None)
    return data


class OrderPaymentOutputSerializer(serializers.Serializer):
    id = PublicIdField(PREFIXES["payment"])
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    nextAction = extend_schema_field(NextActionOutputSerializer)(NextActionField)(
        help_text="Only while `requires_action`, and only for the order's owner: how the "
        "customer finishes the payment (3-D Secure). Absent otherwise."
    )

    def to_representation(self, instance) -> dict:
        return without_empty_next_action(super().to_representation(instance))


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
    shipment = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    @extend_schema_field(ShipmentOutputSerializer(allow_null=True))
    def get_shipment(self, order) -> dict | None:
        """Null until staff mark the order shipped."""
        if order.shipped_at is None:
            return None
        return ShipmentOutputSerializer(order).data
