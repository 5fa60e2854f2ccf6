"""Production switches; every value still comes from the environment."""

from .base import *  # noqa: F403
from .base import env_bool, env_int

SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Web and worker containers do not share a data folder: each would make its own signing key, and
# each new key retires the previous one. Configure one (REGISTRY_SIGNING_KEY_PEM or _PATH) instead.
REGISTRY_SIGNING_KEY_AUTOCREATE = env_bool("REGISTRY_SIGNING_KEY_AUTOCREATE", False)
