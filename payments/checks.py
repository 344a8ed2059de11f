"""System checks of the payments app: the configured gateway resolves to a class.

payments.apps runs them at start-up too: no process starts with a gateway
that every order would then fail on (500 at the first POST /v1/orders).
"""

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

from payments.gateway import gateway_class_resolve


@register()
def check_payment_gateway(app_configs=None, **kwargs) -> list[CheckMessage]:
    try:
        gateway_class_resolve(settings.PAYMENT_GATEWAY)
    except ImproperlyConfigured as exc:
        return [Error(f"PAYMENT_GATEWAY: {exc}", id="payments.E001")]
    return []
