"""Background jobs of the orders app (thin: they call services)."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from rq import Retry

from ecommerce.api.ids import PREFIXES, public_id
from ecommerce.jobs.enqueue import job_enqueue
from orders import idempotency
from orders.models import Order

logger = logging.getLogger(__name__)


# The statuses whose move e-mails the customer, each from its own templates:
# orders/email/<status>_subject.txt, <status>.txt and <status>.html (a shop
# overrides them in the project's templates/ directory, see README).
ORDER_EMAIL_STATUSES = ("paid", "shipped", "cancelled", "refunded")


# The confirmation sent by the charge job itself waits at most this long for
# the mail server (a payments worker must not stall on SMTP): a slower or
# failing server gets the e-mail job instead, with its retries.
INLINE_EMAIL_TIMEOUT = 5


def order_status_email_send(*, order_id: str, status: str) -> bool:
    """E-mail the customer that their order became ``status``: a text and an HTML part."""
    # Sending is the job's last step, so a retry never follows a sent mail.
    _message(order_id, status).send()
    return True


def order_status_email_deliver(*, order_id: str, status: str) -> None:
    """Send the e-mail from this process now (the charge job's success path, after
    its commit), without a second job; if building or sending it fails, the
    e-mail job is queued with its retries, so a mail server's hiccup loses
    nothing and the charge's outcome stands."""
    try:
        message = _message(order_id, status)
        timeout = min(
            getattr(settings, "EMAIL_TIMEOUT", None) or INLINE_EMAIL_TIMEOUT, INLINE_EMAIL_TIMEOUT
        )
        message.connection = get_connection(timeout=timeout)
        message.send()
    except Exception:
        logger.warning(
            "E-mail %s of order %s not sent inline; queued for retries",
            status,
            order_id,
            exc_info=True,
        )
        job_enqueue(
            order_status_email_send,
            order_id=order_id,
            status=status,
            queue="emails",
            retry=order_email_retry(),
        )


def _message(order_id: str, status: str) -> EmailMultiAlternatives:
    if status not in ORDER_EMAIL_STATUSES:
        raise ValueError(f"No e-mail for status {status!r}")
    order = (
        Order.objects.select_related("user", "payment").prefetch_related("items").get(pk=order_id)
    )
    payment = getattr(order, "payment", None)
    context = {
        "order": order,
        "number": public_id(PREFIXES["order"], order.id),
        "customer": order.user,
        "items": list(order.items.all()),
        "address": order.shipping_address,
        "payment": payment,
        "refunded_amount": payment.refunded_amount if payment else None,
        "status": status,
    }
    subject = " ".join(render_to_string(f"orders/email/{status}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"orders/email/{status}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[order.user.email],
    )
    html = render_to_string(f"orders/email/{status}.html", context)
    message.attach_alternative(html, "text/html")
    return message


def order_email_retry() -> Retry:
    """A mail server's hiccup must not lose an e-mail: three more tries over
    about six minutes."""
    return Retry(max=3, interval=[10, 60, 300])


def idempotency_records_purge() -> int:
    return idempotency.idempotency_records_purge()
