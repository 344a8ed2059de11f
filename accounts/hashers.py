"""The password hasher: Argon2id at OWASP's recommended cost.

Django's Argon2PasswordHasher defaults to 100 MiB of memory and 8 lanes per
hash. OWASP's Password Storage Cheat Sheet recommends, as a minimum, Argon2id
with 19 MiB of memory, 2 iterations and 1 degree of parallelism (or 46 MiB and
one iteration: equivalent). With one lane a login keeps to one CPU, and 19 MiB
per concurrent login keeps a gunicorn worker's memory bounded. The algorithm
name stays "argon2", so Django recognises these hashes and re-hashes any with
other parameters (Django's defaults included) at the next login.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    memory_cost = 19 * 1024  # KiB: 19 MiB
    time_cost = 2
    parallelism = 1
