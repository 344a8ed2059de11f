"""Background jobs of the orders app (thin: they call services)."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from rq import Retry

logger = logging.getLogger(__name__)


def order_confirmation_email_send(*, order_id: str) -> bool:
    from ecommerce.api.ids import PREFIXES, public_id
    from orders.models import Order

    order = Order.objects.select_related("user").prefetch_related("items").get(pk=order_id)
    number = public_id(PREFIXES["order"], order.id)
    lines = "\n".join(
        f"  {item.quantity} x {item.name}  {item.line_total} {order.currency}"
        for item in order.items.all()
    )
    send_mail(
        subject=f"Your order {number} is confirmed",
        message=(
            f"Hello {order.user.name},\n\nThank you for your order {number}. "
            f"Your payment was received.\n\n{lines}\n\n"
            f"Total: {order.total} {order.currency}\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[order.user.email],
    )
    return True


def order_confirmation_email_retry() -> Retry:
    """A mail server's hiccup must not lose the confirmation: three more tries
    over about six minutes. Sending is the job's last step, so a retry never
    follows a sent mail."""
    return Retry(max=3, interval=[10, 60, 300])


def orders_expire_pending() -> int:
    from orders.services import orders_expire_pending as expire

    return expire()


def idempotency_records_purge() -> int:
    from orders.idempotency import idempotency_records_purge as purge

    return purge()
