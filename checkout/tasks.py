"""Background jobs of the checkout (thin: they call services)."""

from checkout import services


def orders_expire_pending() -> int:
    """Cancel orders pending longer than ORDER_PENDING_TIMEOUT (stock and code uses back)."""
    return services.orders_expire_pending()
