"""The shared cache (config/cache.py): rate limits hold across web processes when CACHE_URL points
at Redis, and a Redis that stops answering fails open instead of failing pages."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.core.cache import caches

from config.cache import FailOpenRedisCache
from registry.services import uploads
from tests.compat.helpers import user_with_token

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:9/0"  # nothing listens there: a Redis that is down


def redis_cache(location: str, prefix: str) -> FailOpenRedisCache:
    """A cache with its own connection pool, as another web process would have."""
    options = {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}
    return FailOpenRedisCache(location, {"KEY_PREFIX": prefix, "OPTIONS": options})


def test_upload_rate_limit_is_shared_by_processes_using_the_same_redis(redis_broker, settings, monkeypatch):
    settings.REGISTRY_UPLOAD_RATE_PER_MINUTE = 2
    user, _ = user_with_token("sharer", scope="write")
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    first, second = redis_cache(redis_broker, prefix), redis_cache(redis_broker, prefix)
    monkeypatch.setattr(uploads, "cache", first)
    uploads.check_rate(user=user)
    uploads.check_rate(user=user)
    monkeypatch.setattr(uploads, "cache", second)  # the third upload call lands on another process
    with pytest.raises(uploads.TooManyRequests, match="the limit is 2 per minute"):
        uploads.check_rate(user=user)
    first.clear()


def test_a_redis_that_is_down_fails_open(settings, client, caplog):
    down = redis_cache(CLOSED_PORT, "down")
    with caplog.at_level(logging.WARNING, logger="config.cache"):
        assert down.get("k", "fallback") == "fallback" and down.add("k", 0, 60) is True
        assert down.incr("k", 3) == 3  # this hit only: the limit cannot refuse
        down.set("k", 1, 60)
    assert "cache unavailable (ConnectionError" in caplog.text

    settings.CACHES = {"default": {"BACKEND": "config.cache.FailOpenRedisCache", "LOCATION": CLOSED_PORT}}
    settings.REGISTRY_UPLOAD_RATE_PER_MINUTE = 1
    user, raw = user_with_token("outage", scope="write")
    for _ in range(3):
        uploads.check_rate(user=user)  # never refused while the counters cannot be kept
    assert client.get("/models").status_code == 200  # facet counts: computed, not cached
    assert client.get("/api/whoami-v2", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert isinstance(caches["default"], FailOpenRedisCache)  # what the requests above went through
