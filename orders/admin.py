"""Staff views of orders: money is read-only; status moves go through services."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

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
        "created_at",
        "updated_at",
    )
    actions = [
        _move_action(OrderStatus.SHIPPED, "Mark selected orders shipped"),
        _move_action(OrderStatus.DELIVERED, "Mark selected orders delivered"),
        _move_action(OrderStatus.CANCELLED, "Cancel selected orders (stock back, refund if paid)"),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Orders are placed through the API, which reserves stock and charges.
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
