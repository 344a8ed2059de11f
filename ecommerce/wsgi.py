"""WSGI entry point: ``gunicorn ecommerce.wsgi:application``.

A configuration that cannot work exits with one line per problem and code 2
(ecommerce.config); gunicorn's master, which imports this module before it
forks (GUNICORN_PRELOAD), then stops with it.
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from ecommerce import config
from ecommerce.forwarded import ForwardedHeaders

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecommerce.settings")

with config.exit_on_error():
    # Forwarded headers are sorted out before Django reads any of them.
    application = ForwardedHeaders(
        get_wsgi_application(), trusted_networks=settings.TRUSTED_PROXY_NETWORKS
    )
