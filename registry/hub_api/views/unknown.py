"""Whatever else a Hub client asks under /api/: a 404 in the client's shape that says why."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from registry.errors import NotFound

from ..responses import error_response

NOT_SERVED = (
    "This registry does not serve {method} /api/{route}. It hosts models only: datasets, Spaces, "
    "discussions and likes are not part of it. Its Hub-compatible routes are listed in its README, "
    "under 'Pulling models' and 'Publishing a model'; its own REST API is described at /api/v1/docs/."
)


@csrf_exempt  # any method, no state: the answer is the same 404
def not_served(request: HttpRequest, rest: str) -> HttpResponse:
    route = rest if len(rest) <= 120 else rest[:120] + "…"
    response = error_response(NotFound(NOT_SERVED.format(method=request.method, route=route)))
    if request.method == "HEAD":
        response.content = b""
    return response
