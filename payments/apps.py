from django.apps import AppConfig
from django.core.signals import setting_changed

GATEWAY_SETTINGS = frozenset(
    {"PAYMENT_GATEWAY", "STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET"}
)


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"

    def ready(self) -> None:
        """Refuse to start with a provider that cannot work: an unknown
        PAYMENT_GATEWAY, or Stripe without a usable key (payments.checks;
        one line per problem and exit 2, see ecommerce.config)."""
        from ecommerce.config import ConfigError
        from payments import checks

        if errors := checks.check_payment_gateway():
            raise ConfigError([error.msg for error in errors])
        setting_changed.connect(_gateway_forget, dispatch_uid="payments.gateway_forget")

        from ecommerce.health import degradation_register
        from payments.services import gateway_error_current

        degradation_register("paymentGateway", gateway_error_current)


def _gateway_forget(*, setting: str, **kwargs) -> None:
    """A test changed the provider's settings: the next call builds it anew."""
    if setting in GATEWAY_SETTINGS:
        from payments.gateway import get_gateway

        get_gateway.cache_clear()
