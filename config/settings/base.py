"""Every setting, read from the environment; nothing set means the embedded one-machine defaults."""

import os
from pathlib import Path

import dj_database_url

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


SECRET_KEY = env("DJANGO_SECRET_KEY", "insecure-embedded-default-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in (env("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost") or "").split(",")]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in (env("DJANGO_CSRF_TRUSTED_ORIGINS", "") or "").split(",") if o.strip()]

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
    "marketplace",
    "evaluators",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
SEAWEEDFS_DATA_DIR = DATA_DIR / "s3"

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
CELERY_TASK_DEFAULT_QUEUE = "default"
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
# where evaluation, webhooks and the like plug in.
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
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# API v1 request rates ("600/minute"; "off" = unlimited), per client IP and per user
# (registry/api/throttling.py). Counted in the default cache: per process unless it is shared.
REGISTRY_API_THROTTLE_RATES = {
    scope: None if rate.strip().lower() in {"off", "none", "0"} else rate
    for scope, rate in (
        ("anon", env("API_THROTTLE_ANON", "1200/minute") or ""),
        ("user", env("API_THROTTLE_USER", "6000/minute") or ""),
    )
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SLM Registry API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"botocore": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
