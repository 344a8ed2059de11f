"""Settings of bench.embedded_cache: the embedded mode with the cache under test."""

import json
import os

from ecommerce.settings import *  # noqa: F403
from ecommerce.settings import CACHES

CACHES["default"].update(json.loads(os.environ["BENCH_CACHE_BACKEND"]))
if CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
    CACHES["default"]["LOCATION"] = "embedded_cache"
