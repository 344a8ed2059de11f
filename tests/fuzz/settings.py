"""The fuzz server's settings: production's, with a fast password hasher.

The fuzzer logs in, registers and changes passwords thousands of times; with
production's PBKDF2 (1,000,000 iterations, hundreds of milliseconds each on
purpose) those operations alone would take most of the bounded run's budget
without exercising anything more of the API. Everything else is production's.
"""

from ecommerce.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
