"""Staff views of orders and of the pricing rules.

Orders: money is read-only; status moves go through services (a cancellation
refunds, so the order admin lives here, above payments). Shipping methods, tax
rates and discount codes are edited with their models' validation.
"""

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import ngettext

from checkout import services
from checkout.models import DiscountCode, ShippingMethod, TaxRate
from ecommerce.admin_public_ids import PublicIdAdminMixin, admin_link
from ecommerce.api.ids import PREFIXES
from ecommerce.errors import ApplicationError
from orders.models import Order, OrderItem
from orders.state import OrderStatus
from payments import services as payment_services

if TYPE_CHECKING:
    from accounts.models import User


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    can_delete = False
    fields = ("product", "name", "sku", "unit_price", "quantity", "line_total", "discount", "tax")
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
                refused.append(f"{order}: {exc.message}")
        if moved:
            modeladmin.message_user(request, _moved_message(moved, target))
        for line in refused:
            modeladmin.message_user(request, line, level=messages.WARNING)

    action.__name__ = f"mark_{target}"
    action.short_description = label  # type: ignore[attr-defined]
    action.allowed_permissions = ("change",)  # type: ignore[attr-defined]
    return action


def _moved_message(count: int, target: str) -> str:
    return ngettext(
        "%(count)d order marked %(status)s.", "%(count)d orders marked %(status)s.", count
    ) % {"count": count, "status": target}


class ShipmentForm(forms.Form):
    """One order's shipment, as staff type it when they mark the order shipped."""

    order = forms.UUIDField(widget=forms.HiddenInput)
    carrier = forms.CharField(required=False, max_length=100)
    tracking_number = forms.CharField(required=False, max_length=100)


ShipmentFormSet = forms.formset_factory(ShipmentForm, extra=0)


def address_lines(address: object) -> list[str]:
    """A shipping address as it goes on a parcel: street, city/state/zip, country."""
    if not isinstance(address, dict):
        return []
    city = " ".join(
        part
        for part in (
            ", ".join(p for p in (address.get("city", ""), address.get("state", "")) if p),
            address.get("zip", ""),
        )
        if part
    )
    return [line for line in (address.get("street", ""), city, address.get("country", "")) if line]


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
class OrderAdmin(PublicIdAdminMixin, admin.ModelAdmin):
    public_id_prefix = PREFIXES["order"]
    public_id_search = {
        PREFIXES["order"]: "pk",
        PREFIXES["payment"]: "payment__pk",
        PREFIXES["user"]: "user__pk",
    }
    list_display = ("public_id", "customer", "status", "total", "currency", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("user__email", "user__name")
    search_help_text = "An id (ord_…, pay_…, usr_…), a customer's name or e-mail."
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    inlines = [OrderItemInline]
    fieldsets = (
        (None, {"fields": ("public_id", "customer", "status", "created_at", "updated_at")}),
        ("Money", {"fields": ("breakdown", "payment_method", "payment_link")}),
        ("Shipping", {"fields": ("shipping_address_lines", "shipping_method_line", "shipment")}),
    )
    readonly_fields = (
        "public_id",
        "customer",
        "status",
        "breakdown",
        "shipping_method_line",
        "shipping_address_lines",
        "shipment",
        "payment_method",
        "payment_link",
        "created_at",
        "updated_at",
    )
    actions = [
        "mark_shipped",
        _move_action(OrderStatus.DELIVERED, "Mark selected orders delivered"),
        _move_action(OrderStatus.CANCELLED, "Cancel selected orders (stock back, refund if paid)"),
        "refund",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return super().get_queryset(request).select_related("payment", "user")

    @admin.display(description="Customer", ordering="user__email")
    def customer(self, order: Order) -> str:
        return admin_link(order.user, f"{order.user.name} <{order.user.email}>")

    @admin.display(description="Shipping address")
    def shipping_address_lines(self, order: Order) -> str:
        lines = address_lines(order.shipping_address)
        if not lines:
            return "-"
        return format_html(
            "<address>{}</address>", format_html_join("", "{}<br>", ((line,) for line in lines))
        )

    @admin.display(description="Breakdown")
    def breakdown(self, order: Order) -> str:
        """Subtotal, discount, shipping, tax and total, as the customer was charged."""
        rows = [("Subtotal", order.subtotal)]
        discount = order.discount or {}
        rows.append(
            (f"Discount ({discount['code']})" if discount else "Discount", -order.discount_total)
        )
        rows.append(("Shipping", order.shipping_total))
        rows.append(("Tax (included)" if order.prices_include_tax else "Tax", order.tax_total))
        rows.append(("Total", order.total))
        return format_html(
            '<table class="order-breakdown">{}</table>',
            format_html_join(
                "",
                "<tr><th>{}</th><td>{} {}</td></tr>",
                ((label, amount, order.currency) for label, amount in rows),
            ),
        )

    @admin.display(description="Shipping method")
    def shipping_method_line(self, order: Order) -> str:
        method = order.shipping_method
        if not method:
            return "None (no shipping charged)."
        return f"{method['name']} ({method['price']} {order.currency})"

    @admin.display(description="Shipment")
    def shipment(self, order: Order) -> str:
        if order.shipped_at is None:
            return "Not shipped yet."
        return format_html(
            "{}, tracking number {} (shipped {})",
            order.carrier or "carrier not given",
            order.tracking_number or "not given",
            date_format(localtime(order.shipped_at), "DATETIME_FORMAT"),
        )

    @admin.display(description="Payment")
    def payment_link(self, order: Order) -> str:
        payment = getattr(order, "payment", None)
        if payment is None:
            return "-"
        return admin_link(
            payment,
            f"{payment}: {payment.get_status_display()}, {payment.captured_amount} captured, "
            f"{payment.refunded_amount} refunded ({payment.currency})",
        )

    def get_urls(self):
        ship = path(
            "<uuid:object_id>/ship/",
            self.admin_site.admin_view(self.ship_view),
            name="orders_order_ship",
        )
        return [ship, *super().get_urls()]

    def ship_view(self, request: HttpRequest, object_id) -> HttpResponse:
        """The order page's "Mark shipped" button: the action's form for this one order."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        orders = self.get_queryset(request).filter(pk=object_id)
        if not orders.exists():
            raise Http404("No such order.")
        response = self.mark_shipped(request, orders)
        if response is None:
            return redirect(reverse("admin:orders_order_change", args=[object_id]))
        return response

    @admin.action(description="Mark selected orders shipped", permissions=["change"])
    def mark_shipped(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        """Ask for each order's carrier and tracking number, then ship them (the service)."""
        orders = list(queryset.select_related("user"))
        by_id = {order.pk: order for order in orders}
        if "apply" in request.POST:
            formset = ShipmentFormSet(request.POST, prefix="shipment")
            if formset.is_valid():
                shipped, refused = 0, []
                for data in formset.cleaned_data:
                    order = by_id.get(data["order"])
                    if order is None:
                        continue
                    try:
                        services.order_status_set(
                            order_id=order.pk,
                            status=OrderStatus.SHIPPED,
                            carrier=data["carrier"],
                            tracking_number=data["tracking_number"],
                        )
                        shipped += 1
                    except ApplicationError as exc:
                        refused.append(f"{order}: {exc.message}")
                if shipped:
                    self.message_user(request, _moved_message(shipped, OrderStatus.SHIPPED))
                for line in refused:
                    self.message_user(request, line, level=messages.WARNING)
                return None
        else:
            formset = ShipmentFormSet(
                initial=[{"order": order.pk} for order in orders], prefix="shipment"
            )
        rows = [(form, by_id.get(_uuid_or_none(form["order"].value()))) for form in formset]  # type: ignore[arg-type]
        return TemplateResponse(
            request,
            "admin/orders/order/ship.html",
            {
                **self.admin_site.each_context(request),
                "title": ngettext("Ship %(count)d order", "Ship %(count)d orders", len(orders))
                % {"count": len(orders)},
                "opts": self.model._meta,
                "formset": formset,
                "rows": rows,
                "orders": orders,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,  # type: ignore[attr-defined]
            },
        )

    @admin.action(description="Refund selected orders (all or an amount)", permissions=["change"])
    def refund(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        """Through ``payments.services.refund_create``, like the API: never above the capture.

        A paid, shipped or delivered order becomes ``refunded`` once nothing is left.
        """
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
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,  # type: ignore[attr-defined]
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
                    actor=cast("User", request.user),
                )
                self.message_user(request, f"{order}: refunded {refund.amount}.")
            except ApplicationError as exc:
                self.message_user(request, f"{order}: {exc.message}", level=messages.WARNING)
        return None

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Orders are placed through the API, which reserves stock and charges.
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def _uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


class ListOfCodesField(forms.CharField):
    """A list typed as ``US, CA``: what the JSON list fields hold."""

    def __init__(self, *, upper: bool = False, **kwargs) -> None:
        self.upper = upper
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value) -> list[str]:  # type: ignore[override]
        text = cast(str, super().to_python(value))  # CharField's empty value is ""
        items = [part.strip() for part in text.split(",") if part.strip()]
        return [item.upper() for item in items] if self.upper else items


class ShippingMethodForm(forms.ModelForm):
    countries = ListOfCodesField(
        upper=True, help_text="ISO 3166-1 alpha-2 codes, comma-separated: US, CA."
    )
    states = ListOfCodesField(
        required=False, help_text="Comma-separated (CA, NY); empty: the whole of each country."
    )

    class Meta:
        model = ShippingMethod
        fields = (
            "name",
            "countries",
            "states",
            "price",
            "price_per_kg",
            "free_from",
            "currency",
            "min_days",
            "max_days",
            "active",
        )


@admin.register(ShippingMethod)
class ShippingMethodAdmin(PublicIdAdminMixin, admin.ModelAdmin):
    form = ShippingMethodForm
    public_id_prefix = PREFIXES["shipping_method"]
    list_display = (
        "name",
        "zone",
        "price",
        "price_per_kg",
        "free_from",
        "currency",
        "days",
        "active",
    )
    list_filter = ("active", "currency")
    search_fields = ("name",)
    fields = (
        "name",
        "countries",
        "states",
        "price",
        "price_per_kg",
        "free_from",
        "currency",
        "min_days",
        "max_days",
        "active",
    )

    @admin.display(description="Ships to")
    def zone(self, method: ShippingMethod) -> str:
        where = ", ".join(method.countries)
        return f"{where} ({', '.join(method.states)})" if method.states else where

    @admin.display(description="Days")
    def days(self, method: ShippingMethod) -> str:
        return f"{method.min_days}-{method.max_days}"


@admin.register(TaxRate)
class TaxRateAdmin(PublicIdAdminMixin, admin.ModelAdmin):
    public_id_prefix = PREFIXES["tax_rate"]
    list_display = ("name", "country", "state", "category", "rate")
    list_filter = ("country",)
    search_fields = ("name", "country", "state")
    list_select_related = ("category",)
    fields = ("name", "country", "state", "category", "rate")


@admin.register(DiscountCode)
class DiscountCodeAdmin(PublicIdAdminMixin, admin.ModelAdmin):
    public_id_prefix = PREFIXES["discount_code"]
    list_display = (
        "code",
        "kind",
        "value",
        "starts_at",
        "ends_at",
        "uses",
        "max_uses",
        "remaining",
        "active",
    )
    list_filter = ("kind", "active")
    search_fields = ("code",)
    filter_horizontal = ("categories",)
    readonly_fields = ("uses", "remaining")
    fields = (
        "code",
        "kind",
        "value",
        "currency",
        "starts_at",
        "ends_at",
        "min_subtotal",
        "categories",
        "max_uses",
        "max_uses_per_customer",
        "uses",
        "remaining",
        "active",
    )

    @admin.display(description="Remaining uses")
    def remaining(self, code: DiscountCode) -> str:
        remaining = code.remaining_uses
        return "unlimited" if remaining is None else str(remaining)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # A code orders used keeps its row (the audit counts its uses): deactivate it.
        if obj is not None and obj.redemptions.exists():
            return False
        return super().has_delete_permission(request, obj)
