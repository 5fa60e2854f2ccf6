"""The shared cache: Redis when CACHE_URL is set, else each process's own memory.

Rate-limit counters (registry/ratelimit.py, upload rates) and short-lived page caches (facet
counts, rendered cards) live here. With several web processes they must share one cache, or each
process enforces its own limit. A cache that is down must not take the site down with it: every
operation fails open (a miss, a dropped write, a first hit) and logs a warning.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _fail_open(answer: Callable[..., Any]) -> Callable:
    """Run the Redis operation; when Redis fails, log it and return `answer(*args, **kwargs)`."""

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except RedisError as exc:
                name = method.__name__
                logger.warning("cache unavailable (%s: %s); %s fails open", type(exc).__name__, exc, name)
                return answer(*args, **kwargs)

        return wrapper

    return decorate


def _default(key, default=None, *args, **kwargs):
    return default


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache, except that a Redis outage reads as an empty cache."""

    get = _fail_open(_default)(RedisCache.get)
    get_many = _fail_open(lambda keys, *a, **k: {})(RedisCache.get_many)
    has_key = _fail_open(lambda *a, **k: False)(RedisCache.has_key)
    set = _fail_open(lambda *a, **k: None)(RedisCache.set)
    set_many = _fail_open(lambda data, *a, **k: list(data))(RedisCache.set_many)
    add = _fail_open(lambda *a, **k: True)(RedisCache.add)  # as if the key were new
    touch = _fail_open(lambda *a, **k: False)(RedisCache.touch)
    delete = _fail_open(lambda *a, **k: False)(RedisCache.delete)
    delete_many = _fail_open(lambda *a, **k: None)(RedisCache.delete_many)
    # A counter that cannot be read counts this hit only: limits fail open, never shut.
    incr = _fail_open(lambda key, delta=1, *a, **k: delta)(RedisCache.incr)
    decr = _fail_open(lambda key, delta=1, *a, **k: -delta)(RedisCache.decr)
