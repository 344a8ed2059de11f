"""The orders' tiles on the admin dashboard (see ecommerce.admin_dashboard)."""

from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.urls import reverse

from ecommerce.admin_dashboard import DashboardTile, dashboard_panel, today_bounds, today_query
from orders.models import Order
from orders.state import OrderStatus

# The money of these is the shop's: paid, and not given back.
REVENUE_STATUSES = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


@dashboard_panel(position=10)
def order_tiles() -> list[DashboardTile]:
    start, end = today_bounds()
    # One query for today's count and revenue, per currency.
    today = list(
        Order.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("currency")
        .annotate(
            orders=Count("id"),
            revenue=Sum("total", filter=Q(status__in=REVENUE_STATUSES)),
        )
        .order_by("currency")
    )
    waiting = Order.objects.filter(status=OrderStatus.PAID).count()
    changelist = reverse("admin:orders_order_changelist")
    revenue = (
        ", ".join(f"{row['revenue'] or Decimal('0.00')} {row['currency']}" for row in today)
        or "0.00"
    )
    statuses = ",".join(REVENUE_STATUSES)
    return [
        DashboardTile(
            title="Orders today",
            value=str(sum(row["orders"] for row in today)),
            url=f"{changelist}?{today_query('created_at')}",
        ),
        DashboardTile(
            title="Revenue today (paid, shipped, delivered)",
            value=revenue,
            url=f"{changelist}?{today_query('created_at')}&status__in={statuses}",
        ),
        DashboardTile(
            title="Orders waiting to ship",
            value=str(waiting),
            url=f"{changelist}?status__exact={OrderStatus.PAID}",
            tone="warning" if waiting else "",
        ),
    ]
