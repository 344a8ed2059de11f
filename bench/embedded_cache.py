"""Which Django cache the embedded mode (no REDIS_URL) uses: the measurement.

    .venv/bin/python -m bench.embedded_cache [--seconds 10]

For the shared file cache (``ecommerce.cache.shared_file_cache``) and Django's
database cache on the embedded SQLite file, it times the cache calls one API
request makes (a product read that hits, a list fill, a write's
invalidation, the rate-limit count), then serves the seeded demo catalog from
gunicorn (2 sync workers, as two processes share the cache) and drives a
cached product read and a cached list read with wrk. Prints a table; nothing
is written to the repository.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

BACKENDS = {
    "file": {"BACKEND": "ecommerce.cache.shared_file_cache.SharedFileCache"},
    "database": {"BACKEND": "django.core.cache.backends.db.DatabaseCache"},
}

# Times the calls of catalog.cache and ecommerce.ratelimit.throttling, in a child process
# configured like the embedded mode with the backend under test.
MICRO = r"""
import json, os, sys, time, uuid
import django
from django.conf import settings
django.setup()
from django.core.cache import cache

def timed(fn, n=300):
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e6)
    samples.sort()
    return {"p50": samples[len(samples) // 2], "p95": samples[int(len(samples) * 0.95)]}

cache.add("products:generation", 0, None)
cache.set("product:x", b"1 \n\"etag\"\nslug\n" + b"x" * 2000, 600)
keys = [f"products:list:{i}" for i in range(20)]

def read_hit():
    cache.get_many(["product:x", "products:generation", "products:epoch"])

def rate_limit_count():
    cache.add("rate_limit:api:1.2.3.4:reset", time.time() + 3600, 3600)
    cache.add("rate_limit:api:1.2.3.4", 0, 3600)
    cache.incr("rate_limit:api:1.2.3.4")
    cache.get("rate_limit:api:1.2.3.4:reset")

def list_fill():
    key = keys[int(time.perf_counter_ns()) % len(keys)]
    cache.get_many([key, "products:generation", "products:epoch"])
    cache.get_many(["products:generation", "products:epoch"])
    cache.set(key, b"x" * 8000, 300)
    index = cache.get("products:list-index") or set()
    index.add(key)
    cache.set("products:list-index", index, 300)

def invalidate():
    cache.incr("products:generation")
    index = cache.get("products:list-index") or set()
    cache.delete_many(["product:y", *index, "products:list-index"])

print(json.dumps({name: timed(fn) for name, fn in [
    ("read (hit)", read_hit), ("rate-limit count", rate_limit_count),
    ("list fill", list_fill), ("invalidation", invalidate)]}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(workdir: Path, backend: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        {
            "ENV_FILE": "",
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
            "CACHE_DIR": str(workdir / "cache"),
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT": "1000000000/hour",
            "BENCH_CACHE_BACKEND": json.dumps(BACKENDS[backend]),
            "DJANGO_SETTINGS_MODULE": "bench.embedded_cache_settings",
            "PYTHONPATH": str(REPO),
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(  # noqa: S603 - fixed arguments
        [PYTHON, "manage.py", *args], cwd=REPO, env=env, check=True, capture_output=True
    )


def wrk(url: str, seconds: int) -> tuple[float, float]:
    out = subprocess.run(  # noqa: S603 - fixed arguments
        [shutil.which("wrk") or "wrk", "-t1", "-c8", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(next(line for line in out.splitlines() if "Requests/sec" in line).split()[1])
    p99 = next(line for line in out.splitlines() if line.strip().startswith("99%")).split()[1]
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if p99.endswith(unit):
            p99_ms = float(p99[: -len(unit)]) * factor
            break
    return rps, p99_ms


def run(backend: str, seconds: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"embedded-cache-{backend}-"))
    try:
        env = environment(workdir, backend)
        manage(env, "migrate", "--noinput")
        if backend == "database":
            manage(env, "createcachetable")
        manage(env, "seed_demo")
        micro = json.loads(
            subprocess.run(  # noqa: S603 - fixed arguments
                [PYTHON, "-c", MICRO], cwd=REPO, env=env, check=True, capture_output=True
            ).stdout
        )
        port = free_port()
        server = subprocess.Popen(  # noqa: S603 - fixed arguments
            [PYTHON, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "ecommerce.wsgi"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/health", timeout=2).close()  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.2)
            with urllib.request.urlopen(f"{base}/v1/products?limit=1", timeout=10) as answer:  # noqa: S310
                slug = json.loads(answer.read())["data"][0]["slug"]
            detail = wrk(f"{base}/v1/products/{slug}", seconds)
            listing = wrk(f"{base}/v1/products?category=books", seconds)
        finally:
            server.terminate()
            server.wait(10)
        return {"micro": micro, "detail": detail, "list": listing}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    results = {backend: run(backend, args.seconds) for backend in BACKENDS}
    ops = list(results["file"]["micro"])
    print("| measure | " + " | ".join(BACKENDS) + " |")
    print("|---|" + "---:|" * len(BACKENDS))
    for op in ops:
        cells = [
            f"{results[b]['micro'][op]['p50']:.0f} / {results[b]['micro'][op]['p95']:.0f} µs"
            for b in BACKENDS
        ]
        print(f"| {op} (p50 / p95) | " + " | ".join(cells) + " |")
    for name in ("detail", "list"):
        cells = [
            f"{results[b][name][0]:.0f} req/s, p99 {results[b][name][1]:.1f} ms" for b in BACKENDS
        ]
        print(f"| cached product {name}, gunicorn 2 workers | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
