"""`manage.py check --deploy` warnings for settings that work on one machine but not in a fleet."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

SHARED_CACHE_NEEDED = checks.Warning(
    "CACHE_URL is not set: rate limits and page caches live in each web process's memory, so every "
    "process allows the full rate on its own.",
    hint="Set CACHE_URL to a Redis URL (redis://redis:6379/2) shared by the web processes.",
    id="registry.W001",
)


@checks.register(checks.Tags.security, deploy=True)
def shared_cache(app_configs, **kwargs) -> list[checks.CheckMessage]:
    return [] if getattr(settings, "CACHE_URL", None) else [SHARED_CACHE_NEEDED]
