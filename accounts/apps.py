from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        # The receivers that keep every user's auth record current.
        from accounts import auth_record  # noqa: F401
