"""``make bench``: the production configuration under load, on this machine.

Starts the image's web role (docker/entrypoint.sh web: nginx in front of
gunicorn with docker/gunicorn.conf.py, DEBUG off) on PostgreSQL and Redis
with seeded data (bench.seed), RQ workers for the payment jobs, and two
baselines beside it through the same front and gunicorn settings: a bare
Django view (bench.bare_django) and a raw WSGI callable (bench.raw_wsgi);
drives each with wrk (the reads interleaved with both baselines; the shop
mix at constant rates and closed loop, with the response cache's hit ratio
read from the app's /metrics around each run) and writes
bench/results/results.{json,md} and latency.png. See README "Benchmarks".

Why wrk: a C event loop that costs a fraction of a core for thousands of
requests a second, which matters when the load generator shares two cores with
the server. A Python generator (locust) would need about a core of its own at
these rates and would measure itself as much as the server. wrk's closed loop
is used for the saturation scenarios; the constant-rate scenario paces wrk with
a Lua schedule and measures from each request's intended send time (see
bench/lua/mixed.lua), which is how wrk2 avoids coordinated omission.
"""

import argparse
import contextlib
import json
import os
import platform
import random
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests import processes

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
RESULTS = ROOT / "bench" / "results"
README = ROOT / "README.md"
LUA = ROOT / "bench" / "lua"
VENV_BIN = Path(sys.executable).parent

APP_PORT = int(os.environ.get("BENCH_APP_PORT", "8801"))
BASELINE_PORT = int(os.environ.get("BENCH_BASELINE_PORT", "8802"))
RAW_WSGI_PORT = int(os.environ.get("BENCH_RAW_WSGI_PORT", "8803"))
PASSWORD = os.environ.get("BENCH_PASSWORD", "bench-passphrase-0451")

# The shop's mixed workload, in requests per 10,000. Browsing dominates, as in
# any shop; about one request in 500 places an order (a 2-3 % conversion of
# sessions of 20-50 requests) and logins are rarer still: a login is a token
# good for 14 days of refreshes. A login costs a full PBKDF2 hash (1,000,000
# iterations, Django's default), hundreds of milliseconds of CPU by design.
MIX = {
    "list": 4500,
    "detail": 3000,
    "search": 600,
    "me": 1100,
    "my_orders": 757,
    "order": 20,
    "refresh": 20,
    "login": 3,
}
DESIGN_PEAK_PER_MINUTE = 10_000

# What each baseline includes (the report prints it). Both serve the bytes of
# a cached product list page, through the app's front and gunicorn settings.
BASELINES = {
    "baseline_django": (
        "bare Django view (bench/bare_django.py): SecurityMiddleware and CommonMiddleware "
        "only; no database, metrics or access log; same bytes"
    ),
    "baseline_wsgi": (
        "raw WSGI callable (bench/raw_wsgi.py), no framework: the server's own floor; same bytes"
    ),
}
# Read by the bench from /metrics (through the front, which adds X-Forwarded-For,
# so only the token opens it: ecommerce.metrics).
METRICS_TOKEN = secrets.token_urlsafe(32)


def server_env() -> dict[str, str]:
    """The production configuration, as the image runs it, on local services."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "ecommerce.settings",
            # docker/entrypoint.sh finds python and gunicorn on PATH, as in the image.
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "DATABASE_URL": os.environ.get(
                "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ecommerce_bench"
            ),
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
            "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
            "DEBUG": "0",
            # Plain HTTP on loopback; in production the ingress terminates TLS.
            "HTTPS_ONLY": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Every request is still counted in Redis; the limit is only set
            # out of reach, as all load comes from one IP and 1,000 users.
            "RATE_LIMIT": "1000000000/hour",
            "LOGIN_RATE_LIMIT": "1000000000/hour",
            "PAYMENT_SIMULATOR_DELAY_MS": os.environ.get("PAYMENT_SIMULATOR_DELAY_MS", "0"),
            "BENCH_PASSWORD": PASSWORD,
            "METRICS_TOKEN": METRICS_TOKEN,
        }
    )
    return env


# --- processes --------------------------------------------------------------------


class Services:
    """The server processes of one benchmark run; all stopped on exit."""

    def __init__(self, env: dict[str, str], server: str = "web") -> None:
        self.env = env
        self.server = server
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], **env: str) -> subprocess.Popen:
        """``argv`` in its own process group, its output in bench/.work/NAME.log."""
        proc = processes.spawn(argv, env={**self.env, **env}, log_path=WORK / f"{name}.log")
        self.procs.append((name, proc))
        return proc

    def gunicorn(
        self, name: str, app: str, port: int, workers: int, config: str = "", **env: str
    ) -> None:
        """``app`` served as a pod serves it (``--server web``), or by gunicorn alone.

        ``config``: a gunicorn settings file read after docker/gunicorn.conf.py
        (gunicorn keeps the last ``-c``); the baselines' one starts from it.
        """
        proc = self.start(
            name,
            processes.gunicorn_command(app, web_role=self.server == "web", config=config),
            **processes.gunicorn_env(
                port=port,
                workers=workers,
                run_dir=WORK / f"web-{name}",
                prometheus_dir=WORK / f"prometheus-{name}",
            ),
            GUNICORN_ACCESS_LOG=str(WORK / f"{name}-access.log"),
            **env,
        )
        path = "/health" if app.startswith("ecommerce") else "/v1/products"
        processes.wait_http(
            f"http://127.0.0.1:{port}{path}", process=proc, log_path=WORK / f"{name}.log"
        )

    def stop(self, name: str) -> None:
        for proc_name, proc in list(self.procs):
            if proc_name == name:
                processes.stop(proc)
                self.procs.remove((proc_name, proc))

    def stop_all(self) -> None:
        for _, proc in reversed(self.procs):
            processes.stop(proc)
        self.procs.clear()


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 (our own argv)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 1):
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


# --- data ---------------------------------------------------------------------------


def prepare_database(env: dict[str, str]) -> None:
    import psycopg

    url = env["DATABASE_URL"]
    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    manage(env, "migrate", "--noinput")
    out = subprocess.run(
        [sys.executable, "-m", "bench.seed"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    print(out.stdout.strip())


def write_refresh_tokens() -> None:
    """A new refresh token per bench user, for one mixed run.

    A run rotates the tokens it refreshes; the next run starting from the old
    ones would replay them, which (rightly) revokes their families: 401s.
    """
    from accounts.models import User
    from accounts.tokens import token_pair_issue
    from bench.seed import USERS

    users = User.objects.filter(email__startswith="bench-").order_by("email")[:USERS]
    _write("refresh_tokens.txt", [token_pair_issue(user=user).refresh for user in users])


def write_data_files(env: dict[str, str]) -> dict[str, Any]:
    """Tokens, ids and request paths the Lua scripts read; the baseline's body."""
    os.environ.update(env)
    import django

    django.setup()
    from django.core.cache import cache

    from accounts.models import User
    from accounts.tokens import token_pair_issue
    from bench.seed import USERS, user_email
    from catalog.models import Product, ProductVariant
    from ecommerce.api.ids import PREFIXES, public_id

    cache.clear()
    rng = random.Random(7)  # noqa: S311 (benchmark data)
    users = list(User.objects.filter(email__startswith="bench-").order_by("email")[:USERS])
    # Refresh tokens are issued per mixed run (write_refresh_tokens).
    _write("tokens.txt", [token_pair_issue(user=user).access for user in users])
    _write("emails.txt", [user_email(n) for n in range(len(users))])

    products = list(Product.objects.in_catalog().values_list("pk", "slug", "category__slug"))
    # Orders name variants (a product with several cannot be ordered by its id).
    variant_ids = ProductVariant.objects.in_catalog().filter(product__deleted_at__isnull=True)
    _write(
        "variant_ids.txt",
        [public_id(PREFIXES["variant"], pk) for pk in variant_ids.values_list("pk", flat=True)],
    )
    # The categories products are in (the departments above them are not filtered
    # on, so the list pages are the ones measured before categories became a tree).
    categories = sorted({category for _, _, category in products})

    # Popular pages: the first pages of the catalog and of each category.
    list_paths = [f"/v1/products?page={page}" for page in range(1, 6)]
    list_paths += [f"/v1/products?category={c}&page={p}" for c in categories for p in (1, 2, 3)]
    list_paths += [f"/v1/products?category={c}&sort=price_asc" for c in categories]
    _write("list_paths.txt", list_paths)

    # A hot set of 2,000 products, addressed half by id and half by slug.
    hot = rng.sample(products, 2000)
    _write(
        "detail_paths.txt",
        [
            f"/v1/products/{public_id(PREFIXES['product'], pk) if n % 2 else slug}"
            for n, (pk, slug, _) in enumerate(hot)
        ],
    )

    # Filtered and searched lists that are (almost) never repeated: the miss path.
    words = ["wireless", "oak", "lamp", "merino", "puzzle", "tent", "mug", "organic", "pro"]
    sorts = ["price_asc", "price_desc", "name", "newest"]
    search = []
    for n in range(60_000):
        query = {
            "search": rng.choice(words),
            "minPrice": f"{rng.randint(1, 40)}.{n % 100:02d}",
            "sort": rng.choice(sorts),
        }
        if n % 3 == 0:
            query["category"] = rng.choice(categories)
        if n % 2 == 0:
            query["inStock"] = "true"
        search.append("/v1/products?" + "&".join(f"{k}={v}" for k, v in query.items()))
    _write("search_paths.txt", search)
    _write("search_mixed_paths.txt", search[:600])

    with urllib.request.urlopen(f"http://127.0.0.1:{APP_PORT}/v1/products") as response:
        (WORK / "baseline-body.json").write_bytes(response.read())
    return {"products": len(products), "users": len(users), "categories": len(categories)}


def _write(name: str, lines: list[str]) -> None:
    (WORK / name).write_text("\n".join(lines) + "\n")


# --- load ---------------------------------------------------------------------------


def wrk(
    script: str, url: str, *, duration: int, connections: int, threads: int = 2, **env: str
) -> dict[str, Any]:
    argv = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
        "-s", str(LUA / script), url,
    ]  # fmt: skip
    result = subprocess.run(  # noqa: S603
        argv,
        cwd=ROOT,
        env={
            **os.environ,
            "BENCH_LUA_DIR": str(LUA),
            "BENCH_DATA_DIR": str(WORK),
            "BENCH_THREADS": str(threads),
            "BENCH_PASSWORD": PASSWORD,
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    settle(url)
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise RuntimeError(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")


def settle(url: str) -> None:
    """Wait until the server has answered what wrk left queued when it stopped.

    wrk closes its connections at the deadline, but the requests already passed
    on (up to one per connection) are still served, and would run into the next
    scenario's time (another server's, in an interleaved round, on the same
    cores). One more request waits behind them; its answer, whatever its status,
    means they are done.
    """
    path = "/health" if url.endswith(f":{APP_PORT}") else "/v1/products"
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(f"{url}{path}", timeout=120).close()  # noqa: S310 (loopback)


def summarize(name: str, raw: dict[str, Any], **extra: Any) -> dict[str, Any]:
    latency = raw.get("corrected_latency_us") or raw["latency_us"]
    seconds = raw["duration_us"] / 1e6
    errors = raw["errors"]
    statuses = {str(k): v for k, v in raw.get("statuses", {}).items()}
    ok = sum(v for k, v in statuses.items() if k.startswith(("2", "3")))
    return {
        "scenario": name,
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "rps": round(raw["requests"] / seconds, 1),
        "ok": ok,
        "errors": errors["connect"]
        + errors["read"]
        + errors["write"]
        + errors["timeout"]
        + sum(v for k, v in statuses.items() if not k.startswith(("2", "3"))),
        "socket_errors": errors,
        "statuses": statuses,
        "latency_ms": {
            key: round(latency[key] / 1000, 2)
            for key in ("p50", "p90", "p95", "p99", "p99.9", "max")
            if key in latency
        },
        **extra,
        "raw": raw,
    }


def median_round(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median throughput, with every round's req/s beside it."""
    ranked = sorted(rounds, key=lambda row: row["rps"])
    row = dict(ranked[(len(ranked) - 1) // 2])
    row["rounds_rps"] = [r["rps"] for r in rounds]
    row["errors"] = sum(r["errors"] for r in rounds)
    return row


def warm(paths_file: str) -> None:
    """One GET of each path: the cached scenarios measure the hit path."""
    for path in (WORK / paths_file).read_text().split():
        with urllib.request.urlopen(f"http://127.0.0.1:{APP_PORT}{path}") as response:
            response.read()


def payments_state(since: datetime | None = None) -> dict[str, int]:
    """Payments by status; with ``since``, only those made since then (one run's)."""
    from django.db.models import Count

    from payments.models import Payment

    payments = Payment.objects.all()
    if since is not None:
        payments = payments.filter(created_at__gte=since)
    return dict(payments.order_by().values_list("status").annotate(n=Count("id")))


def response_cache_counts() -> dict[str, dict[str, float]]:
    """``ecommerce_response_cache_total`` from the app's /metrics: {view: {hit, miss}}."""
    from prometheus_client.parser import text_string_to_metric_families

    request = urllib.request.Request(
        f"http://127.0.0.1:{APP_PORT}/metrics",
        headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        text = response.read().decode()
    counts: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "ecommerce_response_cache_total":
                view = counts.setdefault(sample.labels["view"], {"hit": 0.0, "miss": 0.0})
                view[sample.labels["result"]] = view.get(sample.labels["result"], 0) + sample.value
    return counts


def cache_hits(before: dict[str, dict[str, float]], after: dict[str, dict[str, float]]) -> dict:
    """The response cache's hits and misses between two /metrics reads, and their ratio."""
    by_view: dict[str, dict[str, Any]] = {}
    for view, counts in sorted(after.items()):
        old = before.get(view, {})
        hit = round(counts.get("hit", 0) - old.get("hit", 0))
        miss = round(counts.get("miss", 0) - old.get("miss", 0))
        if hit or miss:
            by_view[view] = {"hits": hit, "misses": miss, "hit_ratio": _ratio(hit, miss)}
    hits = sum(view["hits"] for view in by_view.values())
    misses = sum(view["misses"] for view in by_view.values())
    return {"hits": hits, "misses": misses, "hit_ratio": _ratio(hits, misses), "by_view": by_view}


def _ratio(hits: int, misses: int) -> float | None:
    return round(hits / (hits + misses), 4) if hits + misses else None


def wait_for_payments(since: datetime, timeout: float) -> float:
    """Seconds until no payment made since ``since`` is processing (queue drained).

    Older ones are left out: a run that was killed may have left payments whose
    jobs went with its Redis database (production's payments_sweep settles those).
    """
    from payments.models import Payment

    started = time.monotonic()
    while Payment.objects.filter(status="processing", created_at__gte=since).exists():
        if time.monotonic() - started > timeout:
            break
        time.sleep(0.5)
    return round(time.monotonic() - started, 1)


def stock_check(env: dict[str, str]) -> dict[str, Any]:
    from catalog.models import Product, ProductVariant

    audit = json.loads(manage(env, "audit_stock", "--json"))
    return {
        # A product's stock is its variants': either below zero is an oversell.
        "negative_stock_products": Product.objects.filter(stock__lt=0).count()
        + ProductVariant.objects.filter(stock__lt=0).count(),
        "audit_products_checked": audit["productsChecked"],
        "audit_orders_checked": audit["ordersChecked"],
        "audit_drift": len(audit["drift"]),
    }


# --- scenarios ------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk (make bench does it as root)")
    started = time.monotonic()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    env = server_env()
    prepare_database(env)
    services = Services(env, server=args.server)
    scenarios: list[dict[str, Any]] = []
    selected = set(args.scenarios.split(",")) if args.scenarios else None

    def want(name: str) -> bool:
        return selected is None or name in selected

    d, c = args.duration, args.connections
    app = f"http://127.0.0.1:{APP_PORT}"
    try:
        services.gunicorn("api", "ecommerce.wsgi:application", APP_PORT, args.workers)
        for n in range(args.rq_workers):
            # The image's worker role: every queue, with the scheduler (retries).
            services.start(f"rqworker-{n}", ["docker/entrypoint.sh", "worker"])
        data = write_data_files(env)
        print(f"data: {data}")

        # The read scenarios, interleaved in rounds: this machine's speed drifts
        # by 10-20 % from one minute to the next (shared vCPUs), so each
        # scenario's figure is its median round, and the baseline it is
        # compared with was measured in the same minutes.
        _write("baseline_paths.txt", ["/v1/products"])
        _write("me_paths.txt", ["/v1/users/me"])
        bare = f"http://127.0.0.1:{BASELINE_PORT}"
        raw_wsgi = f"http://127.0.0.1:{RAW_WSGI_PORT}"
        reads = [
            ("baseline_django", bare, "baseline_paths.txt", "0", "bare Django view, same bytes"),
            ("baseline_wsgi", raw_wsgi, "baseline_paths.txt", "0", "raw WSGI callable, same bytes"),
            ("product_list_cached", app, "list_paths.txt", "0", "popular list pages, Redis hits"),
            ("product_detail", app, "detail_paths.txt", "0", "2,000 hot products by id or slug"),
            ("product_search_miss", app, "search_paths.txt", "0", "filtered, full-text: misses"),
            ("users_me", app, "me_paths.txt", "1", "JWT-authenticated profile"),
        ]  # fmt: skip
        reads = [read for read in reads if want(read[0])]
        # The baselines: the same front (--server), gunicorn settings and worker
        # count as the app, without its access log (bench/baseline_gunicorn.conf.py).
        for name, module, port in (
            ("baseline_django", "bench.bare_django:application", BASELINE_PORT),
            ("baseline_wsgi", "bench.raw_wsgi:application", RAW_WSGI_PORT),
        ):
            if any(read[0] == name for read in reads):
                services.gunicorn(
                    name, module, port, args.workers, config="bench/baseline_gunicorn.conf.py",
                    DJANGO_SETTINGS_MODULE="bench.bare_settings",
                    BENCH_BASELINE_BODY=str(WORK / "baseline-body.json"),
                )  # fmt: skip
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name, *_ in reads}
        round_seconds = max(1, round(d / args.rounds))
        for n in range(args.rounds):
            for name, url, paths, auth, note in reads:
                if n == 0 and name in ("product_list_cached", "product_detail"):
                    warm(paths)
                raw = wrk("get.lua", url, duration=round_seconds, connections=c,
                          BENCH_PATHS_FILE=paths, BENCH_AUTH=auth)  # fmt: skip
                rounds[name].append(summarize(name, raw, note=note))
        services.stop("baseline_django")
        services.stop("baseline_wsgi")
        for name, *_ in reads:
            scenarios.append(median_round(rounds[name]))
            _print(scenarios[-1])

        if want("order_create"):
            before, since = payments_state(), datetime.now(UTC)
            raw = wrk("orders.lua", app, duration=d, connections=args.order_connections)
            drain = wait_for_payments(since, timeout=600)
            scenarios.append(
                summarize(
                    "order_create",
                    raw,
                    note=(
                        f"POST /v1/orders, {args.order_connections} connections, RQ payments; "
                        "priced with a shipping method and a tax rate"
                    ),
                    payments_drain_seconds=drain,
                    payments_before=before,
                    payments_after=payments_state(),
                    # This run's own payments: every order's is captured once drained.
                    payments_of_run=payments_state(since),
                    stock=stock_check(env),
                )
            )
            _print(scenarios[-1])

        # The design's peak and five times it, open loop; then the mix's ceiling,
        # closed loop (rate 0). Each with the response cache's hits and misses
        # over the run, from the app's /metrics.
        _write("search_paths.txt", (WORK / "search_mixed_paths.txt").read_text().split())
        runs = [(f"mixed_{rate}rps", rate, args.mixed_connections) for rate in args.rates]
        if args.ceiling_connections:
            runs.append(("mixed_ceiling", 0, args.ceiling_connections))
        for name, rate, connections in runs:
            if not (want(name) or want("mixed")):
                continue
            # A shop's caches are warm; the mix's own writes (orders) still
            # invalidate the lists as they would.
            warm("list_paths.txt")
            warm("detail_paths.txt")
            write_refresh_tokens()
            since, cache_before = datetime.now(UTC), response_cache_counts()
            raw = wrk(
                "mixed.lua",
                app,
                duration=args.mixed_duration,
                connections=connections,
                BENCH_RATE=str(rate),
                BENCH_MIX=",".join(f"{k}:{v}" for k, v in MIX.items()),
            )
            cache = cache_hits(cache_before, response_cache_counts())
            drain = wait_for_payments(since, timeout=600)
            extra: dict[str, Any] = (
                {"note": f"shop mix at a constant {rate} req/s (open loop)", "target_rps": rate}
                if rate
                else {"note": f"shop mix, closed loop, {connections} connections: its ceiling"}
            )
            scenarios.append(
                summarize(
                    name,
                    raw,
                    **extra,
                    connections=connections,
                    mix_per_10000=MIX,
                    response_cache=cache,
                    payments_drain_seconds=drain,
                    stock=stock_check(env),
                )
            )
            _print(scenarios[-1])
    finally:
        services.stop_all()

    return {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_commit": _git("rev-parse", "HEAD"),
        # The whole run, start to finish (setup, warming, drains included).
        "wall_seconds": round(time.monotonic() - started),
        "machine": _machine(),
        "config": {
            "server": args.server,
            "gunicorn_workers": args.workers,
            "gunicorn_worker_class": os.environ.get("GUNICORN_WORKER_CLASS", "sync"),
            "gunicorn_threads": int(os.environ.get("GUNICORN_THREADS", "1")),
            "rq_workers": args.rq_workers,
            "duration_s": d,
            "read_rounds": args.rounds,
            "connections": c,
            "load_generator": "wrk 4.1.0, 2 threads, same machine",
            "baselines": BASELINES,
        },
        "data": data,
        "scenarios": scenarios,
    }


def _print(row: dict[str, Any]) -> None:
    lat = row["latency_ms"]
    print(
        f"{row['scenario']:22} {row['rps']:9.1f} req/s  p50 {lat['p50']:7.2f}  "
        f"p95 {lat['p95']:7.2f}  p99 {lat['p99']:7.2f}  max {lat['max']:8.2f} ms  "
        f"errors {row['errors']}",
        flush=True,
    )


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)  # noqa: S603, S607
    return result.stdout.strip()


def _machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "python": platform.python_version(),
            "kernel": platform.release()}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds per closed-loop scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--order-connections", type=int, default=16)
    parser.add_argument(
        "--rounds", type=int, default=3,
        help="the read scenarios run interleaved this many times (--duration split among them)",
    )  # fmt: skip
    parser.add_argument("--mixed-duration", type=int, default=60)
    parser.add_argument("--mixed-connections", type=int, default=64)
    parser.add_argument(
        "--rates",
        type=lambda text: [int(rate) for rate in text.split(",") if rate],
        # The design's peak of 10,000 requests a minute, and five times it.
        default=[round(DESIGN_PEAK_PER_MINUTE / 60), 5 * round(DESIGN_PEAK_PER_MINUTE / 60)],
        help="constant rates (req/s) of the mixed workload, comma-separated",
    )
    parser.add_argument(
        "--ceiling-connections", type=int, default=32,
        help="connections of the closed-loop mix (mixed_ceiling); 0 leaves it out",
    )  # fmt: skip
    # Chosen by measurement (README "Benchmarks"): with wrk on the same two cores,
    # 3 sync workers served 30-50 % more than 5, and gthread (3 x 4) had errors.
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "3")))
    parser.add_argument("--rq-workers", type=int, default=2)
    parser.add_argument(
        "--server", choices=["web", "gunicorn"], default="web",
        help="web: the image's web role (nginx in front of gunicorn), as a pod serves; "
        "gunicorn: gunicorn alone, as before the pod had nginx",
    )  # fmt: skip
    parser.add_argument("--scenarios", default="", help="comma-separated subset")
    parser.add_argument("--output", default=str(RESULTS), help="where results are written")
    args = parser.parse_args()
    # A SIGTERM (timeout, CI cancelling) still stops the servers: see run()'s finally.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    results = run(args)
    from bench.report import write_reports

    output = Path(args.output)
    # Only a run written to bench/results (the published one) updates the README.
    write_reports(results, output, readme=README if output.resolve() == RESULTS else None)


if __name__ == "__main__":
    main()
