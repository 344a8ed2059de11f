"""Staff views of payments: read-only, with a refund action through the service."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ecommerce.api.errors import ApplicationError
from payments import services
from payments.models import Payment, Refund, WebhookEvent


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ("amount", "status", "reason", "provider_reference", "created_by", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "order",
        "status",
        "amount",
        "captured_amount",
        "refunded_amount",
        "currency",
        "updated_at",
    )
    list_filter = ("status", "provider")
    search_fields = ("id", "order__id", "provider_reference", "order__user__email")
    inlines = [RefundInline]
    actions = ["refund_remaining"]

    # The client secret is the customer's, for finishing 3-D Secure: staff see
    # the status (requires_action, disputed with its reason), never the secret.
    exclude = ("next_action_client_secret",)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [field.name for field in Payment._meta.fields if field.name not in self.exclude]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(
        description="Refund what remains of the selected payments", permissions=["change"]
    )
    def refund_remaining(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        for payment in queryset:
            try:
                refund = services.refund_create(
                    payment_id=payment.id, reason="Refunded by staff", actor=request.user
                )
                self.message_user(request, f"Refunded {refund.amount} of {payment.id.hex[:8]}.")
            except ApplicationError as exc:
                self.message_user(
                    request, f"{payment.id.hex[:8]}: {exc.message}", level=messages.WARNING
                )


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "type", "received_at")
    list_filter = ("type",)
    search_fields = ("event_id",)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [field.name for field in WebhookEvent._meta.fields]
