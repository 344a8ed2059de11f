"""The catalog's tile on the admin dashboard (see ecommerce.admin_dashboard)."""

from django.urls import reverse

from catalog.selectors import LOW_STOCK_THRESHOLD, product_low_stock_count
from ecommerce.admin_dashboard import DashboardTile, dashboard_panel


@dashboard_panel(position=30)
def catalog_tiles() -> list[DashboardTile]:
    low = product_low_stock_count()
    return [
        DashboardTile(
            title=f"Low-stock products (1-{LOW_STOCK_THRESHOLD} left)",
            value=str(low),
            url=f"{reverse('admin:catalog_product_changelist')}?stock_state=low&in_catalog=yes",
            tone="warning" if low else "",
        )
    ]
