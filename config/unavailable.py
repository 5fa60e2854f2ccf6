"""A dependency that is down (database, object storage, broker) answers 503 with retry advice,
never a 500 page: the request was fine, the server could not serve it now.

Two seams cover every path: the middleware's `process_exception` for errors raised by a view, and
`server_error` (the project's handler500) for those raised by other middleware (a session saved
after the view). 503 responses built elsewhere (a RegistryError with status 503) get Retry-After
added on the way out.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from kombu.exceptions import OperationalError as BrokerError

from registry.errors import StorageUnavailable

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
# What "a dependency is down" looks like from here; anything else stays a 500 (a bug).
UNAVAILABLE = (
    OperationalError,  # PostgreSQL refused, restarted, or dropped the connection
    InterfaceError,  # a connection psycopg already knows is closed
    EndpointConnectionError,  # S3 refused the connection
    ConnectionClosedError,
    ReadTimeoutError,
    StorageUnavailable,
    BrokerError,  # Redis down while a task is enqueued
)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Temporarily unavailable</title>
<meta http-equiv="refresh" content="{seconds}"></head>
<body>
<h1>Temporarily unavailable</h1>
<p>The registry cannot reach {what} right now. Nothing you sent was lost or half-saved.</p>
<p>Please try again in {seconds} seconds; this page reloads itself. An interrupted upload resumes
where it stopped when you start it again.</p>
</body></html>
"""


def dependency_of(exc: BaseException) -> str:
    if isinstance(exc, OperationalError | InterfaceError):
        return "its database"
    if isinstance(exc, BrokerError):
        return "its task queue"
    return "its object storage"


def wants_html(request: HttpRequest) -> bool:
    return "text/html" in request.headers.get("Accept", "")


def unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """JSON for API clients, a small self-contained page for browsers (no template, no database)."""
    what = dependency_of(exc)
    if wants_html(request):
        response = HttpResponse(
            PAGE.format(what=what, seconds=RETRY_AFTER_SECONDS), status=503, content_type="text/html"
        )
    else:
        response = JsonResponse(
            {
                "error": f"service temporarily unavailable: the registry cannot reach {what}; "
                f"retry in {RETRY_AFTER_SECONDS} s",
                "code": "ServiceUnavailable",
                "retry_after": RETRY_AFTER_SECONDS,
            },
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class ServiceUnavailableMiddleware:
    """Put first in MIDDLEWARE, so that it also sees the responses of all the others."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 503 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, UNAVAILABLE):
            return None
        logger.warning("503 for %s %s: %s", request.method, request.path, exception)
        return unavailable_response(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it inside its `except`, so the exception is at hand."""
    exc = sys.exc_info()[1]
    if isinstance(exc, UNAVAILABLE):
        return unavailable_response(request, exc)
    return defaults.server_error(request)
