"""Probes: /healthz (liveness: the process answers; touches nothing) and /readyz (readiness: the
database, the object store and the broker all answer). An orchestrator restarts a process whose
liveness fails, and only stops sending traffic to one whose readiness fails, so a database
outage must not fail liveness (every web pod would be restarted for nothing)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from .unavailable import RETRY_AFTER_SECONDS

PROBE_TIMEOUT_SECONDS = 3


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_storage() -> None:
    from registry.storage import get_store

    get_store().ping()


def check_broker() -> None:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=PROBE_TIMEOUT_SECONDS
        )


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "storage": check_storage,
    "broker": check_broker,
}


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when every dependency answers; 503 naming the ones that do not (and why)."""
    results: dict[str, dict] = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:  # any failure means "not ready"; the reason is reported
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            results[name] = {"ok": True}
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    ready = all(result["ok"] for result in results.values())
    response = JsonResponse({"status": "ready" if ready else "unavailable", "checks": results})
    if not ready:
        response.status_code = 503
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
