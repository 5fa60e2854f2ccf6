"""Production switches; every value still comes from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import INSECURE_SECRET_KEY, env_bool, env_int

if SECRET_KEY == INSECURE_SECRET_KEY:  # noqa: F405 - `check --deploy` also flags short keys
    raise ImproperlyConfigured("set DJANGO_SECRET_KEY to a long random value (openssl rand -hex 32)")
DEBUG = False

# --- HTTPS (docs: deploy/README.md). The proxy or load balancer terminates TLS and says so in
# X-Forwarded-Proto; plain-HTTP requests are redirected, except the probes kubelet sends in-cluster.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# DJANGO_SECURE_COOKIES=false (a plain-http trial, deploy/.env.example) also turns the redirect off.
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", SESSION_COOKIE_SECURE)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Sent on HTTPS responses only: one year, subdomains included; DJANGO_HSTS_SECONDS=0 turns it off.
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SESSION_COOKIE_HTTPONLY = True  # the uploader reads only the CSRF cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Web and worker containers do not share a data folder: each would make its own signing key, and
# each new key retires the previous one. Configure one (REGISTRY_SIGNING_KEY_PEM or _PATH) instead.
REGISTRY_SIGNING_KEY_AUTOCREATE = env_bool("REGISTRY_SIGNING_KEY_AUTOCREATE", False)
