from django.apps import AppConfig


class EcommerceConfig(AppConfig):
    name = "ecommerce"
    verbose_name = "E-commerce platform"

    def ready(self) -> None:
        # Registers the OpenAPI extensions with drf-spectacular.
        from ecommerce.api import schema_extensions  # noqa: F401
