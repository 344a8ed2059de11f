"""ASGI entry point, for servers that speak ASGI (see ecommerce.wsgi on errors)."""

import os

from django.core.asgi import get_asgi_application

from ecommerce import config

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecommerce.settings")

with config.exit_on_error():
    application = get_asgi_application()
