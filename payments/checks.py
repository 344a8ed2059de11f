"""System checks of the payments app: the configured gateway resolves to a class,
and Stripe, when chosen, has a usable key.

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
        gateway_class = gateway_class_resolve(settings.PAYMENT_GATEWAY)
    except ImproperlyConfigured as exc:
        return [Error(f"PAYMENT_GATEWAY: {exc}", id="payments.E001")]
    if getattr(gateway_class, "name", "") == "stripe":
        from payments.stripe_gateway import stripe_configuration_problems

        return [Error(problem, id="payments.E002") for problem in stripe_configuration_problems()]
    return []
