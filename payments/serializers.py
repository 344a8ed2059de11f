from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ecommerce.api.ids import PREFIXES, PublicIdField
from ecommerce.api.serializers import StrictInputSerializer
from payments.models import Refund
from payments.selectors import payment_next_action
from payments.state import PaymentStatus


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


class RefundOutputSerializer(serializers.Serializer):
    id = serializers.SerializerMethodField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    status = serializers.ChoiceField(choices=Refund.Status.choices)
    reason = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")

    def get_id(self, refund: Refund) -> str:
        return f"re_{refund.id.hex}"


class PaymentOutputSerializer(serializers.Serializer):
    id = PublicIdField(PREFIXES["payment"])
    orderId = PublicIdField(PREFIXES["order"], source="order_id")
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    capturedAmount = serializers.DecimalField(
        max_digits=12, decimal_places=2, source="captured_amount"
    )
    refundedAmount = serializers.DecimalField(
        max_digits=12, decimal_places=2, source="refunded_amount"
    )
    provider = serializers.CharField()
    failureCode = serializers.CharField(source="failure_code", allow_blank=True)
    nextAction = extend_schema_field(NextActionOutputSerializer)(NextActionField)(
        help_text="Only while `requires_action`, and only for the order's owner: "
        "`{type, clientSecret}` for the shop's frontend to finish 3-D Secure. Absent otherwise."
    )
    refunds = RefundOutputSerializer(many=True, source="refunds.all")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    def to_representation(self, instance) -> dict:
        return without_empty_next_action(super().to_representation(instance))


class RefundInputSerializer(StrictInputSerializer):
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="Defaults to everything captured and not yet refunded.",
    )
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
