"""The payments' tile on the admin dashboard (see ecommerce.admin_dashboard)."""

from django.urls import reverse

from ecommerce.admin_dashboard import DashboardTile, dashboard_panel, today_bounds, today_query
from payments.models import Payment
from payments.state import PaymentStatus


@dashboard_panel(position=20)
def payment_tiles() -> list[DashboardTile]:
    start, end = today_bounds()
    failed = Payment.objects.filter(
        status=PaymentStatus.FAILED, created_at__gte=start, created_at__lt=end
    ).count()
    changelist = reverse("admin:payments_payment_changelist")
    return [
        DashboardTile(
            title="Failed payments today",
            value=str(failed),
            url=f"{changelist}?status__exact={PaymentStatus.FAILED}&{today_query('created_at')}",
            tone="warning" if failed else "",
        )
    ]
