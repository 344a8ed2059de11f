"""Staff views of payments: read-only, with a refund action through the service."""

from decimal import Decimal
from typing import TYPE_CHECKING, cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import ngettext

from ecommerce.admin_public_ids import PublicIdAdminMixin, admin_link
from ecommerce.api.ids import PREFIXES
from ecommerce.errors import ApplicationError
from payments import services
from payments.models import Payment, Refund, WebhookEvent
from payments.state import REFUNDABLE

if TYPE_CHECKING:
    from accounts.models import User


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ("amount", "status", "reason", "provider_reference", "created_by", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(PublicIdAdminMixin, admin.ModelAdmin):
    public_id_prefix = PREFIXES["payment"]
    public_id_search = {
        PREFIXES["payment"]: "pk",
        PREFIXES["order"]: "order__pk",
        PREFIXES["user"]: "order__user__pk",
    }
    list_display = (
        "public_id",
        "order_link",
        "status",
        "amount",
        "captured_amount",
        "refunded_amount",
        "currency",
        "updated_at",
    )
    list_filter = ("status", "provider", "created_at")
    search_fields = ("provider_reference", "order__user__email")
    search_help_text = "An id (pay_…, ord_…, usr_…), a provider reference or an e-mail."
    list_select_related = ("order",)
    inlines = [RefundInline]
    actions = ["refund_remaining"]

    # The client secret is the customer's, for finishing 3-D Secure: staff see
    # the status (requires_action, disputed with its reason), never the secret.
    exclude = ("next_action_client_secret",)

    @admin.display(description="Order", ordering="order__created_at")
    def order_link(self, payment: Payment) -> str:
        return admin_link(payment.order, payment.order)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        hidden = ("id", "order", *self.exclude)
        fields = [f.name for f in Payment._meta.fields if f.name not in hidden]
        return ["public_id", "order_link", *fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(
        description="Refund what remains of the selected payments", permissions=["change"]
    )
    def refund_remaining(
        self, request: HttpRequest, queryset: QuerySet[Payment]
    ) -> HttpResponse | None:
        """A confirmation page listing each payment and what it would refund, then the refunds.

        Money leaves only after staff confirm ("apply"); each refund goes through
        ``refund_create``, which never refunds more than remains.
        """
        payments = list(queryset.select_related("order__user").order_by("created_at"))
        if "apply" not in request.POST:
            rows = [(payment, payment.refundable_amount) for payment in payments]
            totals: dict[str, Decimal] = {}
            for payment, remaining in rows:
                if payment.status in REFUNDABLE:
                    totals[payment.currency] = totals.get(payment.currency, Decimal(0)) + remaining
            return TemplateResponse(
                request,
                "admin/payments/payment/refund_remaining.html",
                {
                    **self.admin_site.each_context(request),
                    "title": ngettext(
                        "Refund %(count)d payment", "Refund %(count)d payments", len(payments)
                    )
                    % {"count": len(payments)},
                    "opts": self.model._meta,
                    "rows": [(p, r, p.status in REFUNDABLE) for p, r in rows],
                    "totals": sorted(totals.items()),
                    "payments": payments,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,  # type: ignore[attr-defined]
                },
            )
        for payment in payments:
            try:
                refund = services.refund_create(
                    payment_id=payment.id,
                    reason="Refunded by staff",
                    actor=cast("User", request.user),
                )
                self.message_user(
                    request, f"Refunded {refund.amount} {payment.currency} of {payment}."
                )
            except ApplicationError as exc:
                self.message_user(request, f"{payment}: {exc.message}", level=messages.WARNING)
        return None


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """The provider events seen: a ledger that makes a replayed event a no-op.

    Nobody creates or deletes one here: an added id would swallow the real
    event, a deleted one would let its replay apply twice.
    """

    list_display = ("event_id", "type", "received_at")
    list_filter = ("type",)
    search_fields = ("event_id",)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [field.name for field in WebhookEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
