"""The embedded cache (no REDIS_URL) is shared by processes, with its invalidation.

The two-process test is the issue's scenario: ``make run`` serving while
``manage.py import_products`` changes a price in another process; the next
read must be fresh. The server here is gunicorn with two workers, so two
serving processes share the cache too.
"""

import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecommerce.cache.shared_file_cache import SharedFileCache
from tests.drills.support import REPO, ApiServer

pytestmark = pytest.mark.xdist_group("embedded")


def _cache(tmp_path: Path, **options) -> SharedFileCache:
    return SharedFileCache(str(tmp_path / "cache"), {"OPTIONS": options})


def test_incr_keeps_a_key_without_expiry(tmp_path):
    cache = _cache(tmp_path)
    cache.add("products:generation", 0, None)

    assert cache.incr("products:generation") == 1
    with open(cache._key_to_file("products:generation"), "rb") as f:
        expiry = pickle.load(f)  # noqa: S301
    assert expiry is None  # still no expiry: Django's incr would give it 300 s


def test_incr_keeps_the_window_of_a_rate_limit_counter(tmp_path):
    cache = _cache(tmp_path)
    cache.add("rate_limit:api:x", 0, 3600)
    before = time.time()

    cache.incr("rate_limit:api:x")

    with open(cache._key_to_file("rate_limit:api:x"), "rb") as f:
        expiry = pickle.load(f)  # noqa: S301
    assert expiry > before + 3000


def test_incr_of_a_missing_or_expired_key_raises_value_error(tmp_path):
    cache = _cache(tmp_path)
    with pytest.raises(ValueError):
        cache.incr("nothing")
    cache.set("gone", 1, 1)
    with open(cache._key_to_file("gone"), "r+b") as f:
        rest = f.read()[len(pickle.dumps(time.time() + 1, cache.pickle_protocol)) :]
        f.seek(0)
        f.truncate()
        f.write(pickle.dumps(time.time() - 10, cache.pickle_protocol) + rest)
    with pytest.raises(ValueError):
        cache.incr("gone")


def test_cull_spares_the_counters_without_expiry(tmp_path):
    cache = _cache(tmp_path, MAX_ENTRIES=20, CULL_FREQUENCY=2)
    cache.add("products:generation", 7, None)
    cache.add("products:epoch", 3, None)
    for number in range(200):
        cache.set(f"product:{number}", b"x", 600)

    assert cache.get("products:generation") == 7
    assert cache.get("products:epoch") == 3
    assert len(cache._list_cache_files()) < 60


_INCREMENT = """
import sys
from ecommerce.cache.shared_file_cache import SharedFileCache
cache = SharedFileCache(sys.argv[1], {})
cache.add("counter", 0, None)
for _ in range(int(sys.argv[2])):
    cache.incr("counter")
"""


def test_incr_loses_no_count_across_processes(tmp_path):
    processes, increments = 4, 150
    children = [
        subprocess.Popen(  # noqa: S603 - our own argv
            [sys.executable, "-c", _INCREMENT, str(tmp_path / "cache"), str(increments)],
            cwd=REPO,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": ""},
        )
        for _ in range(processes)
    ]
    assert [child.wait(timeout=120) for child in children] == [0] * processes

    assert _cache(tmp_path).get("counter") == processes * increments


# --- two processes: a server and a command ------------------------------------


def _embedded_env(tmp_path: Path) -> dict[str, str]:
    """A laptop's ``make run``: SQLite, no Redis, the shared file cache."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")
    }
    env.update(
        {
            "ENV_FILE": "",
            "DEBUG": "1",
            "HTTPS_ONLY": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "CACHE_DIR": str(tmp_path / "cache"),
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
            "DJANGO_SETTINGS_MODULE": "ecommerce.settings",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own argv
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def embedded_server(tmp_path):
    env = _embedded_env(tmp_path)
    _manage(env, "migrate", "--noinput")
    csv = tmp_path / "kettle.csv"
    csv.write_text(
        "name,slug,description,price,currency,category,stock,images\n"
        "Blue Kettle,blue-kettle,Boils fast.,39.90,USD,kitchen,12,\n"
    )
    _manage(env, "import_products", str(csv))
    server = ApiServer(log_dir=tmp_path, env=env, workers=2)
    server.start()
    yield server, env, csv
    server.stop()


def test_an_import_from_another_process_is_visible_on_the_next_read(embedded_server):
    server, env, csv = embedded_server
    detail, listing = "/v1/products/blue-kettle", "/v1/products?category=kitchen"
    for path in (detail, listing):
        assert server.call("GET", path).headers["x-cache"] == "MISS"
        # Two workers: the entry is shared, so every later read is a hit.
        assert [server.call("GET", path).headers["x-cache"] for _ in range(4)] == ["HIT"] * 4

    csv.write_text(
        "name,slug,description,price,currency,category,stock,images\n"
        "Blue Kettle,blue-kettle,Boils fast.,44.50,USD,kitchen,3,\n"
    )
    _manage(env, "import_products", str(csv))

    fresh = server.call("GET", detail)
    assert fresh.headers["x-cache"] == "MISS"
    assert (fresh.body["data"]["price"], fresh.body["data"]["stock"]) == (44.5, 3)
    fresh_list = server.call("GET", listing)
    assert fresh_list.headers["x-cache"] == "MISS"
    assert fresh_list.body["data"][0]["price"] == 44.5
    assert server.call("GET", detail).headers["x-cache"] == "HIT"


def test_a_write_through_one_worker_is_visible_through_the_other(embedded_server):
    server, env, _ = embedded_server
    _manage(
        env,
        "shell",
        "-c",
        "from accounts.models import User; "
        "User.objects.create_superuser(email='boss@example.com', password='x-long-pass-42', "
        "name='Boss')",
    )
    login = server.call(
        "POST", "/v1/auth/login", body={"email": "boss@example.com", "password": "x-long-pass-42"}
    )
    token = login.body["data"]["accessToken"]
    path = "/v1/products/blue-kettle"
    server.call("GET", path)
    assert server.call("GET", path).headers["x-cache"] == "HIT"

    # Eight writes and reads, over fresh connections: gunicorn spreads them
    # over both workers, and not one read may be stale.
    for price in range(50, 58):
        changed = server.call(
            "PATCH", path, body={"price": price}, headers={"Authorization": f"Bearer {token}"}
        )
        assert changed.status == 200, changed.body
        assert server.call("GET", path).body["data"]["price"] == price
