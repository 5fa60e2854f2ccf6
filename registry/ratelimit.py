"""Request rates for the routes DRF does not throttle: the Hub-compatible API and the login forms.

The native API v1 is throttled by DRF (registry/api/throttling.py). The Hub-compatible views are
plain Django views, so this middleware applies the same rates to them (`anon` per client IP,
`user` per bearer token), and a `login` rate per client IP to POSTs of the login forms (the
site's and the admin's) and of the sign-up form, against password guessing and account floods.
Rates come from REGISTRY_API_THROTTLE_RATES at each request; counters live in Django's default
cache (shared when the cache is). A refused request gets 429 with Retry-After.
"""

from __future__ import annotations

import hashlib
import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.throttling import SimpleRateThrottle

from registry.authentication import bearer_token

LOGIN_ROUTES = {"login", "admin:login", "portal:signup"}  # password guessing, sign-up floods
HUB_VIEW_MODULES = ("registry.hub_api.",)


class _RequestRate(SimpleRateThrottle):
    """DRF's fixed-window counter, keyed by what the caller presents (no database lookup)."""

    def __init__(self, scope: str, ident: str):
        self.scope, self._ident = scope, ident
        super().__init__()

    def get_rate(self) -> str | None:
        return settings.REGISTRY_API_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self._ident}


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _hub_rate(request: HttpRequest) -> _RequestRate:
    raw = bearer_token(request)
    if raw is None:
        return _RequestRate("anon", _client_ip(request))
    # The token's hash names the caller: the same for each of its requests, and not the secret.
    return _RequestRate("user", "hub-token-" + hashlib.sha256(raw.encode()).hexdigest()[:32])


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        match = request.resolver_match
        if match is not None and match.view_name in LOGIN_ROUTES and request.method == "POST":
            rate = _RequestRate("login", _client_ip(request))
            if not rate.allow_request(request, None):
                return _too_many(rate, json=False, what="login attempts")
        elif getattr(view_func, "__module__", "").startswith(HUB_VIEW_MODULES):
            rate = _hub_rate(request)
            if not rate.allow_request(request, None):
                return _too_many(rate, json=True, what="requests")
        return None


def _too_many(rate: _RequestRate, *, json: bool, what: str) -> HttpResponse:
    retry_after = max(1, math.ceil(rate.wait() or 1))
    message = f"Too many {what}: at most {rate.rate}; try again in {retry_after} s."
    response = (
        JsonResponse({"error": message}, status=429)
        if json
        else HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    )
    response["Retry-After"] = str(retry_after)
    response["X-Error-Message"] = message
    return response
