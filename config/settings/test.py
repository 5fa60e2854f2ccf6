"""Tests: PostgreSQL from DATABASE_URL, S3 from the session fixture, fast password hashing."""

from .base import *  # noqa: F403
from .base import env_int

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
ALLOWED_HOSTS = ["*"]
STORAGES = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# No persistent connections: live-server threads would keep the test database busy at teardown.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0)  # noqa: F405 - benchmarks set 600
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise")]  # noqa: F405 - no collected files in tests
# Webhook receivers in tests listen on 127.0.0.1; retries come fast and an endpoint is disabled soon.
WEBHOOK_ALLOW_LOOPBACK_HTTP = True
WEBHOOK_MAX_ATTEMPTS = 4
WEBHOOK_RETRY_BASE_DELAY = 0.2
WEBHOOK_DISABLE_AFTER_FAILURES = 3
# Nothing is enqueued after a publish unless a test asks (tests/integration/test_evaluators.py):
# a session-wide worker evaluating one test's model while the next test truncates the tables
# deadlocks PostgreSQL.
REGISTRY_POST_PUBLISH_TASKS: list[str] = []
