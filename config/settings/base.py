"""Every setting, read from the environment; nothing set means the embedded one-machine defaults."""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

from config.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(os.environ.get("REGISTRY_DATA_DIR", BASE_DIR / ".local"))


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value is None else int(value)


INSECURE_SECRET_KEY = "insecure-embedded-default-change-me"  # noqa: S105 - production.py refuses it
SECRET_KEY = env("DJANGO_SECRET_KEY", INSECURE_SECRET_KEY)
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in (env("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost") or "").split(",")]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in (env("DJANGO_CSRF_TRUSTED_ORIGINS", "") or "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "registry",
    "registry.audit",  # the security log (sign-ins, admin view); events live in registry.AuditEvent
    "registry.xet",
    "marketplace",
    "evaluators",
    "registry.webhooks",
]

MIDDLEWARE = [
    # First: they see every response, and turn a dependency outage into 503 (config/unavailable.py).
    "config.unavailable.ServiceUnavailableMiddleware",
    "config.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "registry.requestchecks.RejectNulBytesMiddleware",  # 400, before a lookup fails as a 500
    "csp.middleware.CSPMiddleware",  # the policy below, on responses that set none of their own
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "registry.ratelimit.RateLimitMiddleware",  # Hub-compatible API and login forms (DRF throttles v1)
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# Hub clients call routes without trailing slashes; a redirect would break POSTs and HEADs.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    # The marketplace pages (marketplace/jinja2/): about a quarter of the Django engine's CPU per page.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "marketplace.jinja.environment",
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        # Reused connections: a new one costs ~10 ms per request (performance.md).
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        # A reused connection is checked first: after a database restart, requests recover.
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # Hub clients need timestamps ending in Z
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve app static files without collectstatic in the embedded run

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
# Catalog facet counts are cached this many seconds per filter combination (0: counted live on every
# request); the listing rows themselves are always live (marketplace/selectors/catalog.py).
MARKETPLACE_FACET_CACHE_SECONDS = env_int("MARKETPLACE_FACET_CACHE_SECONDS", 30)

# --- object storage (S3-compatible) ---------------------------------------------------------
# Unset S3_ENDPOINT_URL means the embedded SeaweedFS that `make run` starts on S3_PORT.
S3_PORT = env_int("S3_PORT", 8333)
S3_EMBEDDED = env("S3_ENDPOINT_URL") is None
S3_ENDPOINT_URL = env("S3_ENDPOINT_URL", f"http://127.0.0.1:{S3_PORT}")
# Browsers and Hub clients follow presigned URLs to this endpoint; it differs from the
# internal one when the server reaches S3 by a private name (compose, Kubernetes).
S3_PUBLIC_ENDPOINT_URL = env("S3_PUBLIC_ENDPOINT_URL", S3_ENDPOINT_URL)
S3_BUCKET = env("S3_BUCKET", "registry")
# Dev credentials only for the embedded server; elsewhere unset means boto3's own chain (IAM roles).
S3_ACCESS_KEY_ID = env("S3_ACCESS_KEY_ID", "registry-dev-access" if S3_EMBEDDED else None)
S3_SECRET_ACCESS_KEY = env("S3_SECRET_ACCESS_KEY", "registry-dev-secret-change-me" if S3_EMBEDDED else None)
S3_REGION = env("S3_REGION", "us-east-1")
S3_ADDRESSING_STYLE = env("S3_ADDRESSING_STYLE", "path")
S3_PRESIGN_TTL = env_int("S3_PRESIGN_TTL", 300)
# Parts of 16 MiB, 4 in flight: bounded buffers keep publishing well under 300 MB RSS, and part
# size barely changes throughput on 2 cores (storage.md §4).
S3_MULTIPART_CHUNK = env_int("S3_MULTIPART_CHUNK", 16 << 20)
S3_MULTIPART_CONCURRENCY = env_int("S3_MULTIPART_CONCURRENCY", 4)
# The store recomputes the SHA-256 sent with each part and refuses a mismatch (SeaweedFS, AWS S3,
# MinIO do; tests/integration/test_storage.py checks ours): publish_model then hashes files while
# they upload instead of reading the stored bytes back. Set false for a store that does not.
S3_VERIFIES_CHECKSUMS = env_bool("S3_VERIFIES_CHECKSUMS", True)
SEAWEEDFS_DATA_DIR = DATA_DIR / "s3"

# --- cache (config/cache.py) -------------------------------------------------------------------
# Rate-limit counters and short-lived page caches. Unset: each process's own memory, right for one
# process (`make run`). Wherever several web processes run, point it at Redis (redis://host:6379/2)
# so that limits hold across them; a Redis outage then reads as an empty cache (fails open).
CACHE_URL = env("CACHE_URL")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    scheme = CACHE_URL.split(":", 1)[0]  # not the whole URL: it may hold a password
    raise ImproperlyConfigured(f"CACHE_URL must be a Redis URL (redis://host:6379/2), not a {scheme!r} one")
CACHES = {
    "default": (
        {
            "BACKEND": "config.cache.FailOpenRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "slm",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Celery ---------------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport, a broker that needs no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(DATA_DIR / "broker" / "queue"),
        "data_folder_out": str(DATA_DIR / "broker" / "queue"),
        "control_folder": str(DATA_DIR / "broker" / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL == "filesystem://"
    else {}
)
# Results are kept only where a result store is at hand: the Redis broker doubles as one.
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else None
)
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", "default") or "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ROUTES = {"evaluators.*": {"queue": "eval"}}

# --- registry rules -------------------------------------------------------------------------
REGISTRY_MAX_FILE_SIZE = env_int("REGISTRY_MAX_FILE_SIZE", 50 << 30)
REGISTRY_MAX_VERSION_SIZE = env_int("REGISTRY_MAX_VERSION_SIZE", 200 << 30)
REGISTRY_MAX_FILES_PER_VERSION = env_int("REGISTRY_MAX_FILES_PER_VERSION", 2000)
# Files at or above this size, and all weights, are "LFS" files to Hub clients.
REGISTRY_LFS_THRESHOLD = env_int("REGISTRY_LFS_THRESHOLD", 10 << 20)
# Celery task names enqueued (with the version id) once a version is published: the seam
# where evaluation and the like plug in (webhooks are emitted by publish_version itself).
REGISTRY_POST_PUBLISH_TASKS: list[str] = ["evaluators.tasks.evaluate_version"]
# Uploads (registry/services/uploads.py): presigned multipart part size (S3 minimum 5 MiB), files
# below REGISTRY_INLINE_UPLOAD_THRESHOLD travel inline in the Hub commit ("regular": works with Xet
# installed), bytes per organisation (0: unlimited), uploads per user per minute, and the age at which
# unfinished multipart uploads are aborted by the beat task.
REGISTRY_UPLOAD_PART_SIZE = env_int("REGISTRY_UPLOAD_PART_SIZE", 64 << 20)
REGISTRY_INLINE_UPLOAD_THRESHOLD = env_int("REGISTRY_INLINE_UPLOAD_THRESHOLD", 10 << 20)
REGISTRY_PUBLISHER_QUOTA = env_int("REGISTRY_PUBLISHER_QUOTA", 500 << 30)
REGISTRY_UPLOAD_RATE_PER_MINUTE = env_int("REGISTRY_UPLOAD_RATE_PER_MINUTE", 600)
REGISTRY_UPLOAD_SESSION_TTL = env_int("REGISTRY_UPLOAD_SESSION_TTL", 24 * 3600)
# Xet (registry/xet/): lifetime in seconds of the Xet access tokens handed to hf_xet (it refreshes them).
REGISTRY_XET_TOKEN_TTL = env_int("REGISTRY_XET_TOKEN_TTL", 3600)
# Offer hf_xet downloads of files that came through Xet via the CAS on resolve (X-Xet-Hash), ~1.5x
# faster than the 302 here (benchmarks/push_xet_1gib.py); off: every client gets the 302 to S3.
REGISTRY_XET_DOWNLOADS = env_bool("REGISTRY_XET_DOWNLOADS", True)

# --- signing and integrity (registry/services/signing.py, scrub.py; docs/signing.md) ----------
# The registry's ECDSA P-256 private key (PEM). Unset: created on first use in the data folder.
REGISTRY_SIGNING_KEY_PATH = Path(
    env("REGISTRY_SIGNING_KEY_PATH", str(DATA_DIR / "signing" / "registry-signing-key.pem"))
)
# One machine shares one data folder; processes on several machines must share one configured key.
REGISTRY_SIGNING_KEY_AUTOCREATE = env_bool(
    "REGISTRY_SIGNING_KEY_AUTOCREATE",
    env("REGISTRY_SIGNING_KEY_PATH") is None and env("REGISTRY_SIGNING_KEY_PEM") is None,
)
REGISTRY_SIGNING_KEY_PASSWORD = env("REGISTRY_SIGNING_KEY_PASSWORD")  # for an encrypted PEM
REGISTRY_SIGNING_KEY_PEM = env("REGISTRY_SIGNING_KEY_PEM")  # the key itself (a secret env var): wins
# The scrub re-hashes the least recently checked blobs, at most this many bytes per second and
# per run (0: no limit), every REGISTRY_SCRUB_INTERVAL seconds (Celery beat).
REGISTRY_SCRUB_BYTES_PER_SECOND = env_int("REGISTRY_SCRUB_BYTES_PER_SECOND", 64 << 20)
REGISTRY_SCRUB_MAX_BYTES_PER_RUN = env_int("REGISTRY_SCRUB_MAX_BYTES_PER_RUN", 50 << 30)
REGISTRY_SCRUB_INTERVAL = env_int("REGISTRY_SCRUB_INTERVAL", 6 * 3600)
# Also told when a stored file fails its integrity check (publishers' owners always are).
REGISTRY_SECURITY_EMAILS = [
    e.strip() for e in (env("REGISTRY_SECURITY_EMAILS", "") or "").split(",") if e.strip()
]
CELERY_BEAT_SCHEDULE = {
    "scrub-blobs": {"task": "registry.tasks.scrub_blobs_task", "schedule": REGISTRY_SCRUB_INTERVAL},
    "abort-abandoned-uploads": {"task": "registry.tasks.abort_abandoned_uploads_task", "schedule": 3600},
    "requeue-stalled-webhooks": {
        "task": "registry.webhooks.tasks.requeue_stalled_deliveries_task",
        "schedule": env_int("WEBHOOK_SWEEP_INTERVAL", 300),
    },
}

# --- webhooks (registry/webhooks/; README "Webhooks") ---------------------------------------
# Attempts per delivery; the first retry's delay in seconds, doubled after each failure up to the cap;
# failed attempts in a row after which an endpoint is disabled; timeouts of one request in seconds.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_BASE_DELAY = float(env("WEBHOOK_RETRY_BASE_DELAY", "30") or 30)
# Keep the cap under the Redis broker's visibility timeout (1 h): a longer countdown is redelivered twice.
WEBHOOK_RETRY_MAX_DELAY = float(env("WEBHOOK_RETRY_MAX_DELAY", "1800") or 1800)
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 20)
# A pending delivery whose next attempt is this many seconds overdue was lost by the broker (or
# never reached it): the sweep (every WEBHOOK_SWEEP_INTERVAL seconds) queues it again.
WEBHOOK_SWEEP_GRACE = env_int("WEBHOOK_SWEEP_GRACE", 900)
WEBHOOK_CONNECT_TIMEOUT = float(env("WEBHOOK_CONNECT_TIMEOUT", "5") or 5)
WEBHOOK_READ_TIMEOUT = float(env("WEBHOOK_READ_TIMEOUT", "10") or 10)
# A PEM file of CAs trusted for receivers' certificates (a private CA); unset: the system's.
WEBHOOK_CA_BUNDLE = env("WEBHOOK_CA_BUNDLE")
# Off: endpoints must be https:// to public addresses. On (local runs, tests): also http:// and
# https:// to the loopback interface (127.0.0.1, ::1, localhost); private networks stay refused.
WEBHOOK_ALLOW_LOOPBACK_HTTP = env_bool("WEBHOOK_ALLOW_LOOPBACK_HTTP", False)

# Content-Security-Policy for every response that does not set its own (marketplace pages set the
# same one, the portal adds its S3 origin): scripts and styles from our static files only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE],  # NONCE: only where a template uses request.csp_nonce
        "img-src": ["'self'", "data:", "https:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# API v1 and Hub API request rates ("600/minute"; "off" = unlimited), per client IP and per user
# (registry/api/throttling.py, registry/ratelimit.py), in the default cache: per process unless shared.
REGISTRY_API_THROTTLE_RATES = {
    scope: None if rate.strip().lower() in {"off", "none", "0"} else rate
    for scope, rate in (
        ("anon", env("API_THROTTLE_ANON", "1200/minute") or ""),
        ("user", env("API_THROTTLE_USER", "6000/minute") or ""),
        ("login", env("LOGIN_THROTTLE", "20/minute") or ""),  # POSTs to the login forms, per IP
    )
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SLM Registry API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# /metrics asks for `Authorization: Bearer <METRICS_TOKEN>` when this is set (deploy/README.md).
METRICS_TOKEN = env("METRICS_TOKEN", "") or ""

# LOG_FORMAT=json: one JSON object per line (config/logs.py), for a log collector.
LOGGING = logging_config(
    level=env("LOG_LEVEL", "INFO") or "INFO", log_format=env("LOG_FORMAT", "text") or "text"
)

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
