"""pytest plugin (``-p tests.pytest_keys`` in pyproject.toml): a SECRET_KEY per run.

The suite runs with DEBUG off, where a key written in a committed file (the
pytest env in pyproject.toml held one) is a published key, which the
settings refuse (ecommerce.config.PUBLISHED_KEYS). Loaded before pytest-env
and pytest-django read the settings; xdist workers, and the servers and
commands the tests start, inherit it. A SECRET_KEY already exported wins.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
