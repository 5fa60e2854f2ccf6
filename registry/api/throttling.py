"""Request rates per anonymous client (IP) and per user, from `REGISTRY_API_THROTTLE_RATES`.

Read at each request, so settings overrides (tests, benchmarks) apply at once; a rate of None
turns that throttle off. Counters live in Django's default cache: per process unless the cache is
shared (Redis, memcached) across web processes.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _ConfiguredRate:
    scope: str

    def get_rate(self) -> str | None:
        return settings.REGISTRY_API_THROTTLE_RATES.get(self.scope)


class AnonymousRateThrottle(_ConfiguredRate, AnonRateThrottle):
    scope = "anon"


class AuthenticatedRateThrottle(_ConfiguredRate, UserRateThrottle):
    """Authenticated callers only: anonymous ones are counted by AnonymousRateThrottle."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)
