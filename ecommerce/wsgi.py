"""WSGI entry point: ``gunicorn ecommerce.wsgi:application``."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from ecommerce.forwarded import ForwardedHeaders

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecommerce.settings")

# Forwarded headers are sorted out before Django reads any of them.
application = ForwardedHeaders(
    get_wsgi_application(), trusted_networks=settings.TRUSTED_PROXY_NETWORKS
)
