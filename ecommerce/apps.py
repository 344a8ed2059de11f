from django.apps import AppConfig


class EcommerceConfig(AppConfig):
    name = "ecommerce"
    verbose_name = "E-commerce platform"

    def ready(self) -> None:
        # Registers the OpenAPI extensions with drf-spectacular.
        from ecommerce import checks
        from ecommerce.api import schema_extensions  # noqa: F401
        from ecommerce.config import ConfigError

        # A class path that does not import stops every process at start, with
        # the check's line (ecommerce.config), rather than at the first e-mail or job.
        if errors := checks.check_class_paths():
            raise ConfigError([error.msg for error in errors])
