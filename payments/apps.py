from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"

    def ready(self) -> None:
        from ecommerce.config import ConfigError
        from payments import checks

        # Refuse to start rather than answer 500 to every order (see ecommerce.config).
        if errors := checks.check_payment_gateway():
            raise ConfigError([error.msg for error in errors])
