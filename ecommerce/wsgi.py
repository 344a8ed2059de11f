"""WSGI entry point: ``gunicorn ecommerce.wsgi:application``.

A configuration that cannot work exits with one line per problem and code 2
(ecommerce.config); gunicorn's master, which imports this module before it
forks (GUNICORN_PRELOAD), then stops with it.
"""

import os

from django.core.wsgi import get_wsgi_application

from ecommerce import config

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecommerce.settings")

with config.exit_on_error():
    application = get_wsgi_application()
