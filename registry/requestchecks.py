"""Requests refused before any view: a NUL byte in the URL path or query.

PostgreSQL cannot store or even compare text holding NUL, so a lookup by such a name fails with a
database error (a 500) instead of a miss; no legitimate name or parameter holds one. Answered 400
with the reason, as JSON (with the Hub's X-Error-Message header) since most such callers are APIs.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

NUL_MESSAGE = "the URL contains a NUL byte (%00), which no name or parameter may hold"


class RejectNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            # The native API's error shape under /api/v1/, the Hub's (a string plus headers) elsewhere.
            api_v1 = request.path.startswith("/api/v1/")
            body = {"code": "InvalidInput", "message": NUL_MESSAGE} if api_v1 else NUL_MESSAGE
            response = JsonResponse({"error": body}, status=400)
            response["X-Error-Code"] = "InvalidInput"
            response["X-Error-Message"] = NUL_MESSAGE
            return response
        return self.get_response(request)
