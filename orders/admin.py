"""Staff views of orders: money is read-only; status moves go through services."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from ecommerce.api.errors import ApplicationError
from orders import services
from orders.models import Order, OrderItem
from orders.state import OrderStatus


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    can_delete = False
    fields = ("product", "name", "unit_price", "quantity", "line_total")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def _move_action(target: str, label: str):
    def action(modeladmin, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        moved, refused = 0, []
        for order in queryset:
            try:
                services.order_status_set(order_id=order.id, status=target)
                moved += 1
            except ApplicationError as exc:
                refused.append(f"{order.id.hex[:8]}: {exc.message}")
        if moved:
            modeladmin.message_user(request, f"{moved} order(s) marked {target}.")
        for line in refused:
            modeladmin.message_user(request, line, level=messages.WARNING)

    action.__name__ = f"mark_{target}"
    action.short_description = label
    action.allowed_permissions = ("change",)
    return action


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text="Leave blank to refund everything captured and not yet refunded.",
    )
    reason = forms.CharField(required=False, max_length=255)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "status", "total", "currency", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("id", "user__email")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    inlines = [OrderItemInline]
    readonly_fields = (
        "id",
        "user",
        "status",
        "subtotal",
        "total",
        "currency",
        "shipping_address",
        "payment_method",
        "payment_summary",
        "created_at",
        "updated_at",
    )
    actions = [
        _move_action(OrderStatus.SHIPPED, "Mark selected orders shipped"),
        _move_action(OrderStatus.DELIVERED, "Mark selected orders delivered"),
        _move_action(OrderStatus.CANCELLED, "Cancel selected orders (stock back, refund if paid)"),
        "refund",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return super().get_queryset(request).select_related("payment")

    @admin.display(description="Payment")
    def payment_summary(self, order: Order) -> str:
        payment = getattr(order, "payment", None)
        if payment is None:
            return "-"
        return (
            f"{payment.get_status_display()}: {payment.captured_amount} captured, "
            f"{payment.refunded_amount} refunded ({payment.currency})"
        )

    @admin.action(description="Refund selected orders (all or an amount)", permissions=["change"])
    def refund(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        """Through ``payments.services.refund_create``, like the API: never above the capture.

        A paid, shipped or delivered order becomes ``refunded`` once nothing is left.
        """
        from payments import services as payment_services

        form = RefundForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/orders/order/refund.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Refund orders",
                    "opts": self.model._meta,
                    "form": form,
                    "orders": queryset,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                },
            )
        for order in queryset.select_related("payment"):
            payment = getattr(order, "payment", None)
            try:
                if payment is None:
                    raise ApplicationError("The order has no payment.")
                refund = payment_services.refund_create(
                    payment_id=payment.id,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"] or "Refunded by staff",
                    actor=request.user,
                )
                self.message_user(request, f"{order.id.hex[:8]}: refunded {refund.amount}.")
            except ApplicationError as exc:
                self.message_user(
                    request, f"{order.id.hex[:8]}: {exc.message}", level=messages.WARNING
                )
        return None

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Orders are placed through the API, which reserves stock and charges.
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
