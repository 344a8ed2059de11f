"""Settings for every process (web, worker, manage.py, tests).

Environments differ only by environment variables (see README "Configuration"):
with none set, the project runs on a laptop with SQLite, a file cache shared by its processes and
synchronous jobs; production sets DATABASE_URL, REDIS_URL, SECRET_KEY and friends.
Every variable is read and checked by ecommerce.config (a bad value raises
ConfigError, one line per problem); this module only places the values.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

from ecommerce import config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# Not a setting (lower case): the variables as ecommerce.config read them.
# Local development: `make run` writes a git-ignored .env (DEBUG=1) that
# load() reads first, so a manage.py command typed by hand runs like the
# server; variables already in the environment win (ENV_FILE).
env = config.load()

DEBUG = env.DEBUG

# With DEBUG off, ecommerce.config refuses a missing, short or published key:
# signing tokens and sessions with a key from this repository is worse than
# not starting. With DEBUG on and none set, the development key.
SECRET_KEY = env.SECRET_KEY

ALLOWED_HOSTS = env.ALLOWED_HOSTS
CSRF_TRUSTED_ORIGINS = env.CSRF_TRUSTED_ORIGINS

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "django_rq",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "corsheaders",
    "ecommerce",
    "accounts",
    "catalog",
    "orders",
    "payments",
    "checkout",
]

MIDDLEWARE = [
    # First: counts every response and times everything below it.
    "ecommerce.metrics.RequestMetricsMiddleware",
    "ecommerce.request_id_middleware.RequestIdMiddleware",
    # Outside everything that can fail under /v1, so that even DEBUG's
    # technical error page leaves in the envelope.
    "ecommerce.api.error_envelope_middleware.ApiErrorEnvelopeMiddleware",
    "ecommerce.ratelimit.headers_middleware.RateLimitHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy by path: the admin, /v1/docs, the API.
    "ecommerce.content_security_policy_middleware.ContentSecurityPolicyMiddleware",
    # Before anything that answers on its own (WhiteNoise, CommonMiddleware), so
    # those answers carry CORS headers too; after SecurityMiddleware, so a
    # preflight gets the security headers.
    "corsheaders.middleware.CorsMiddleware",
    # SITE_MIDDLEWARE, built once; a /v1 request runs only API_MIDDLEWARE of it.
    "ecommerce.path_scoped_middleware.PathScopedMiddleware",
]
# In this order inside PathScopedMiddleware, for every path outside /v1.
SITE_MIDDLEWARE = [
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Session, user and messages for the admin site only: the API is stateless.
    "ecommerce.admin_site_middleware.AdminSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "ecommerce.admin_site_middleware.AdminAuthenticationMiddleware",
    "ecommerce.admin_site_middleware.AdminMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# Those of SITE_MIDDLEWARE that act on /v1 too (Content-Length,
# DISALLOWED_USER_AGENTS; X-Frame-Options): the rest does nothing there.
API_MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# They look for these classes in MIDDLEWARE itself: ecommerce.checks runs them
# on the expanded list instead (ecommerce.path_scoped_middleware).
SILENCED_SYSTEM_CHECKS = [
    "admin.E408",
    "admin.E409",
    "admin.E410",
    "security.W002",
    "security.W003",
    "security.W016",
    "security.W019",
]

ROOT_URLCONF = "ecommerce.urls"
WSGI_APPLICATION = "ecommerce.wsgi.application"
# Routes answer with and without a trailing slash themselves: no redirects that
# would turn a POST into a GET.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # A shop's own templates (e-mails, admin pages) override the apps'.
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": env.DATABASE_URL,
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's psycopg 3 pool: each process keeps a few warm connections instead
    # of paying a TCP + auth round trip per request. CONN_MAX_AGE must stay 0.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.DB_POOL_MIN_SIZE,
        "max_size": env.DB_POOL_MAX_SIZE,
        # Short: during an outage a request should fail over to a 503 quickly.
        "timeout": env.DB_POOL_TIMEOUT,
    }
    # With the pool, Django turns this into the pool's connection check: a
    # connection that died while parked (database restarted) is replaced
    # before use instead of failing one request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, jobs -------------------------------------------------------
REDIS_URL = env.REDIS_URL
# One optional deployment-wide prefix for every cache key (the contract's key
# names are otherwise used as they are, with no ":1:" version segment).
CACHE_KEY_PREFIX = env.CACHE_KEY_PREFIX

# After a failed connect, Redis is not dialled again for this many seconds:
# requests fail open at once instead of each waiting for the connect timeout.
REDIS_FAILURE_BACKOFF = env.REDIS_FAILURE_BACKOFF
# Sessions (the admin site): user:session:<key> in Redis, 24 hours.
SESSION_COOKIE_AGE = env.SESSION_COOKIE_AGE

if REDIS_URL:
    # Cache, sessions, throttling (get_redis_connection) and RQ share the one
    # pool django-redis keeps per URL. Redis errors never fail a request: see
    # ecommerce.cache.redis_resilience.
    _REDIS_OPTIONS = {
        "CONNECTION_POOL_CLASS": "ecommerce.cache.redis_resilience.FailFastConnectionPool",
        "SOCKET_CONNECT_TIMEOUT": env.REDIS_CONNECT_TIMEOUT,
        "SOCKET_TIMEOUT": env.REDIS_SOCKET_TIMEOUT,
    }
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "KEY_FUNCTION": "ecommerce.cache.keys.make_key",
            "OPTIONS": {
                **_REDIS_OPTIONS,
                "CLIENT_CLASS": "ecommerce.cache.redis_resilience.FailOpenClient",
                # A read during an outage is a miss, a write is dropped (logged).
                "IGNORE_EXCEPTIONS": True,
            },
        },
        # Same Redis and pool; errors are raised so ecommerce.cache.sessions can tell
        # "Redis is down" from "no such session".
        "sessions": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "KEY_FUNCTION": "ecommerce.cache.keys.make_key",
            "OPTIONS": {**_REDIS_OPTIONS, "CLIENT_CLASS": "django_redis.client.DefaultClient"},
        },
    }
    SESSION_ENGINE = "ecommerce.cache.sessions"
    SESSION_CACHE_ALIAS = "sessions"
else:
    # Files shared by every process of this checkout (the server, manage.py
    # import_products, a second server), with cross-process atomic counters:
    # see ecommerce.cache.shared_file_cache.
    CACHES = {
        "default": {
            "BACKEND": "ecommerce.cache.shared_file_cache.SharedFileCache",
            "LOCATION": env.CACHE_DIR,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "KEY_FUNCTION": "ecommerce.cache.keys.make_key",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Jobs run through RQ when Redis is configured, and inline (after the
# transaction commits) when it is not: see ecommerce.jobs.enqueue. With Redis, the
# queues use the default cache's connection pool.
JOBS_SYNC = not REDIS_URL
RQ_QUEUE_NAMES = list(config.RQ_QUEUE_NAMES)
RQ_QUEUES = {
    name: (
        {"USE_REDIS_CACHE": "default", "DEFAULT_TIMEOUT": 300}
        if REDIS_URL
        else {"URL": "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 300}
    )
    for name in RQ_QUEUE_NAMES
}
# `manage.py rqworker` runs jobs in the worker's own process, keeping its
# connection pools (see ecommerce.jobs.worker); rq.worker.Worker forks per job.
# COMMIT_MODE "auto": a job is enqueued when the code asks. django-rq 4's default,
# "on_db_commit", would defer it to the commit; the project already says when:
# side effects go through transaction.on_commit (ecommerce.jobs.enqueue), and a job
# enqueued on purpose inside a transaction (a periodic job's own) is not held.
RQ = {"WORKER_CLASS": env.RQ_WORKER_CLASS, "COMMIT_MODE": "auto"}

# The schedule of `manage.py rqcron ecommerce.jobs.cron` (make cron, the image's cron
# role): (job by dotted path, queue, every N seconds). See README "Background jobs".
PERIODIC_JOBS = [
    ("payments.tasks.payments_sweep", "payments", 60),
    ("checkout.tasks.orders_expire_pending", "default", 60),
    ("orders.tasks.idempotency_records_purge", "default", 3600),
    ("catalog.media.tasks.media_sweep", "media", 600),
    # SimpleJWT's flushexpiredtokens: outstanding and blacklisted refresh tokens past expiry.
    ("accounts.tasks.expired_tokens_flush", "default", 3600),
    # Token families no token of which can still be presented (accounts.tokens).
    ("accounts.tasks.token_families_purge", "default", 3600),
]

# --- Rate limiting -------------------------------------------------------------
# "<requests>/<second|minute|hour|day>"; see ecommerce.ratelimit.throttling.
RATE_LIMIT = env.RATE_LIMIT
LOGIN_RATE_LIMIT = env.LOGIN_RATE_LIMIT
# How many reverse proxies in front of the app append to X-Forwarded-For; the
# client address is the entry this many places from the right. 0: REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.TRUSTED_PROXY_COUNT
# Peers whose X-Forwarded-For and X-Forwarded-Proto are believed at all (the
# ingress); from anyone else they are dropped before Django sees the request.
# See ecommerce.forwarded.
TRUSTED_PROXY_NETWORKS = env.TRUSTED_PROXY_NETWORKS
# The payment provider's webhook, per client IP
# (ecommerce.ratelimit.throttling.WebhookRateThrottle).
WEBHOOK_RATE_LIMIT = env.WEBHOOK_RATE_LIMIT

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Argon2id at OWASP's recommended minimum (m=19 MiB, t=2, p=1; accounts.hashers
# says why): about 40 ms of one CPU per login here, where PBKDF2's 1,000,000
# rounds took about 570 ms (README "Operations"). The others only verify older
# hashes: a PBKDF2 (or differently tuned Argon2) hash is re-hashed with the
# first hasher at the user's next successful login.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env.PASSWORD_RESET_TIMEOUT
# Where the e-mailed reset link points; {token} is replaced by the one-time token.
PASSWORD_RESET_URL = env.PASSWORD_RESET_URL

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env.JWT_ACCESS_LIFETIME),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=env.JWT_REFRESH_LIFETIME),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    # Unset: SECRET_KEY. Set but empty is refused with DEBUG off (ecommerce.config)
    # and reported by check --deploy (ecommerce.checks); with DEBUG on, SECRET_KEY.
    "SIGNING_KEY": env.JWT_SIGNING_KEY or SECRET_KEY,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# --- API --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["ecommerce.api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "ecommerce.api.negotiation.JSONOnlyContentNegotiation",
    # DRF's JSON parser, with MAX_BODY_BYTES enforced (DRF reads the raw stream).
    "DEFAULT_PARSER_CLASSES": ["ecommerce.api.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "ecommerce.api.pagination.PageLimitPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ecommerce.api.exceptions.exception_handler",
    # Rates come from RATE_LIMIT / LOGIN_RATE_LIMIT; login and register set
    # ecommerce.ratelimit.throttling.LoginRateThrottle themselves.
    "DEFAULT_THROTTLE_CLASSES": ["ecommerce.ratelimit.throttling.ApiRateThrottle"],
    "COERCE_DECIMAL_TO_STRING": False,
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%SZ",
    "NON_FIELD_ERRORS_KEY": "nonFieldErrors",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "E-commerce API",
    "DESCRIPTION": (
        "Products, orders and payments. Every response is wrapped in the envelope "
        '`{"success": true, "data": ...}`; every error is '
        '`{"success": false, "error": {"code", "message", "details"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["ecommerce.api.schema.drop_trailing_slash_duplicates"],
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "accounts.models.Role",
        "OrderStatusEnum": "orders.state.OrderStatus",
        "PaymentStatusEnum": "payments.state.PaymentStatus",
        "RefundStatusEnum": "payments.models.Refund.Status",
        "CountryCodeEnum": "ecommerce.api.countries.COUNTRY_CODES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ecommerce.api.schema.wrap_in_envelope",
    ],
}

# --- Security ---------------------------------------------------------------
# HTTPS_ONLY turns on redirect, secure cookies and HSTS together; the ingress
# terminates TLS and tells us the scheme in X-Forwarded-Proto.
HTTPS_ONLY = env.HTTPS_ONLY
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS_ONLY
# Probes hit the pods over plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$", r"^metrics$"]
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = env.HSTS_SECONDS if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = HTTPS_ONLY
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# CORS (django-cors-headers), for /v1 only: browsers on CORS_ALLOWED_ORIGINS
# (full origins, "https://shop.example.com") may call the API; by default none
# may. No credentials: the API authenticates with a bearer token, never a
# cookie, so a page on an allowed origin gets no ambient authority.
CORS_ALLOWED_ORIGINS = env.CORS_ALLOWED_ORIGINS
CORS_URLS_REGEX = r"^/v1(/.*)?$"
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = [
    "authorization",
    "content-type",
    "idempotency-key",
    "if-none-match",
    "x-request-id",
]
CORS_EXPOSE_HEADERS = [
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "ETag",
    "X-Cache",
    "Idempotent-Replayed",
]

# Request bodies: an order is the largest legitimate body by far. Bigger ones
# get 413 payload_too_large (ecommerce.api.parsers for JSON).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.MAX_BODY_BYTES

# --- I18N / time --------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.STATIC_ROOT
# Hashed, compressed, cache-forever file names once collectstatic has run (the
# image does it at build); plain names from the app finders before that (a
# laptop, the tests), where a manifest lookup would fail on every page.
_STATIC_MANIFEST = Path(STATIC_ROOT, "staticfiles.json").exists()
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if _STATIC_MANIFEST and not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collectstatic (tests, a laptop) WhiteNoise serves from the finders.
WHITENOISE_USE_FINDERS = env.WHITENOISE_USE_FINDERS
WHITENOISE_MANIFEST_STRICT = False

# --- Product media (catalog.media) -------------------------------------------
# Every setting of product media is placed here, in this one block
# (ecommerce.config reads and checks the variables, README "Configuration").
# Files go through STORAGES["default"]: a local directory
# that the app serves itself under MEDIA_URL, or, with MEDIA_S3_BUCKET set,
# S3-compatible object storage (django-storages) behind MEDIA_URL, typically
# a CDN. Names carry a hash of their content: every object is immutable.
MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"
MEDIA_ROOT = env.MEDIA_ROOT
MEDIA_S3_BUCKET = env.MEDIA_S3_BUCKET
MEDIA_S3_ENDPOINT_URL = env.MEDIA_S3_ENDPOINT_URL
MEDIA_S3_REGION = env.MEDIA_S3_REGION
if MEDIA_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": MEDIA_S3_ENDPOINT_URL or None,
            "region_name": MEDIA_S3_REGION,
            # Empty: boto3's own chain (an IAM role, a web identity token...).
            "access_key": env.MEDIA_S3_ACCESS_KEY_ID or None,
            "secret_key": env.MEDIA_S3_SECRET_ACCESS_KEY or None,
            # Objects are public through the CDN; URLs are never signed.
            "querystring_auth": False,
            "default_acl": env.MEDIA_S3_ACL or None,
            # Cached forever by browsers and the CDN: a name never changes meaning.
            "object_parameters": {"CacheControl": MEDIA_CACHE_CONTROL},
            # A content-addressed name that exists holds these very bytes.
            "file_overwrite": True,
        },
    }
# Where media URLs point: the CDN in front of the bucket in production, or
# the app itself (make run sets http://127.0.0.1:8000/media/); by default the
# bucket's own address, or /media/.
MEDIA_URL = env.MEDIA_URL
if not MEDIA_URL.endswith("/"):
    MEDIA_URL += "/"
# Uploads: larger ones get 413 payload_too_large before they are read whole.
MEDIA_MAX_UPLOAD_BYTES = env.MEDIA_MAX_UPLOAD_BYTES
# Larger images are refused (400): the guard against decompression bombs
# (Pillow's Image.MAX_IMAGE_PIXELS is set from it).
MEDIA_MAX_PIXELS = env.MEDIA_MAX_PIXELS
# Renditions: attempts of the job before a media is failed, waits between them (s).
MEDIA_RENDITION_ATTEMPTS = env.MEDIA_RENDITION_ATTEMPTS
MEDIA_RETRY_INTERVALS = env.MEDIA_RETRY_INTERVALS
# The sweep re-queues a media still processing this long after its last
# change (its job was lost), and removes unreferenced files older than
# MEDIA_ORPHAN_GRACE (younger ones may belong to an upload in flight).
MEDIA_SWEEP_AFTER = env.MEDIA_SWEEP_AFTER
MEDIA_ORPHAN_GRACE = env.MEDIA_ORPHAN_GRACE
# An upload is held in memory (it is decoded whole anyway), never in /tmp.
FILE_UPLOAD_MAX_MEMORY_SIZE = MEDIA_MAX_UPLOAD_BYTES + 64 * 1024
# --- end of product media ------------------------------------------------------

# --- E-mail -------------------------------------------------------------------
EMAIL_BACKEND = env.EMAIL_BACKEND
EMAIL_HOST = env.EMAIL_HOST
EMAIL_PORT = env.EMAIL_PORT
EMAIL_HOST_USER = env.EMAIL_HOST_USER
EMAIL_HOST_PASSWORD = env.EMAIL_HOST_PASSWORD
EMAIL_USE_TLS = env.EMAIL_USE_TLS
DEFAULT_FROM_EMAIL = env.DEFAULT_FROM_EMAIL

# --- Logging ------------------------------------------------------------------
# Any case in the environment; logging's dictConfig takes upper case only.
LOG_LEVEL = env.LOG_LEVEL.upper()
# "json": one JSON object per line (time, level, logger, request_id, message),
# for log collectors; "plain": one readable line. JSON unless DEBUG is on.
LOG_FORMAT = env.LOG_FORMAT
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ecommerce.request_id_middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "INFO"},
        # The Stripe library logs request details at INFO and DEBUG; ours say
        # what matters, and nothing of it can carry the key.
        "stripe": {"level": "WARNING"},
    },
}

# --- Metrics ------------------------------------------------------------------
# GET /metrics answers a caller that sends "Authorization: Bearer <METRICS_TOKEN>",
# or one connecting straight (no X-Forwarded-For, X-Real-IP or Forwarded
# header: a request through the ingress always has one) from an address in
# METRICS_ALLOWED_NETWORKS. Everyone else gets 403. See ecommerce.metrics.
METRICS_TOKEN = env.METRICS_TOKEN
METRICS_ALLOWED_NETWORKS = env.METRICS_ALLOWED_NETWORKS

# --- Orders and payments ------------------------------------------------------
# The provider: `simulated`, `stripe`, or a dotted path to a gateway class
# (payments.gateway.PAYMENT_GATEWAY_ALIASES), resolved when the payments app loads.
PAYMENT_GATEWAY = env.PAYMENT_GATEWAY
PAYMENT_SIMULATOR_DELAY_MS = env.PAYMENT_SIMULATOR_DELAY_MS
# The simulator's webhook secret. `make run` (DEBUG) gets a development one, so
# `manage.py payment_simulate_authentication` can finish a 3-D Secure payment.
PAYMENT_WEBHOOK_SECRET = env.PAYMENT_WEBHOOK_SECRET
# PAYMENT_GATEWAY=stripe: the secret API key (sk_... or a restricted rk_...),
# the webhook endpoint's signing secret (whsec_...), and the API's address
# (Stripe's own; tests point it at a local Stripe-compatible server). Without
# a key the process refuses to start (payments.checks).
STRIPE_SECRET_KEY = env.STRIPE_SECRET_KEY
STRIPE_WEBHOOK_SECRET = env.STRIPE_WEBHOOK_SECRET
STRIPE_API_BASE = env.STRIPE_API_BASE
PAYMENT_WEBHOOK_TOLERANCE = env.PAYMENT_WEBHOOK_TOLERANCE
# Charge attempts before a payment is failed, and RQ's waits between them (s).
PAYMENT_MAX_ATTEMPTS = env.PAYMENT_MAX_ATTEMPTS
PAYMENT_RETRY_INTERVALS = env.PAYMENT_RETRY_INTERVALS
# A payment still processing this long after its last attempt is re-queued by
# the sweep (its job was lost, e.g. Redis was down when the order committed).
PAYMENT_SWEEP_AFTER = env.PAYMENT_SWEEP_AFTER
# Orders still pending this long are cancelled and their stock returned.
ORDER_PENDING_TIMEOUT = env.ORDER_PENDING_TIMEOUT
IDEMPOTENCY_TTL = env.IDEMPOTENCY_TTL
# An in-progress idempotency record older than this is taken to be abandoned
# (its process died) and the key may run again.
IDEMPOTENCY_LOCK_TIMEOUT = env.IDEMPOTENCY_LOCK_TIMEOUT
ORDER_MAX_ITEMS = 50
# Checkout: whether catalog prices include tax (the total is then their sum,
# tax being the part of it shown as taxTotal), whether shipping is taxed, and
# the tax calculator (checkout.tax.TaxCalculator; the table of TaxRate rows).
PRICES_INCLUDE_TAX = env.PRICES_INCLUDE_TAX
TAX_SHIPPING = env.TAX_SHIPPING
TAX_CALCULATOR = env.TAX_CALCULATOR
ORDER_MAX_QUANTITY = 1000
