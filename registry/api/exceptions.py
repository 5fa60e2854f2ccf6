"""One error shape for the whole API: `{"error": {"code", "message", "fields"?}}` with the status of
the registry error (or of DRF's own: validation, authentication, throttling)."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from registry.errors import RegistryError

_DRF_CODES = {
    exceptions.ValidationError: "InvalidInput",
    exceptions.ParseError: "InvalidInput",
    exceptions.NotAuthenticated: "NotAuthenticated",
    exceptions.AuthenticationFailed: "InvalidToken",
    exceptions.PermissionDenied: "Forbidden",
    exceptions.NotFound: "NotFound",
    exceptions.MethodNotAllowed: "MethodNotAllowed",
    exceptions.NotAcceptable: "NotAcceptable",
    exceptions.UnsupportedMediaType: "UnsupportedMediaType",
    exceptions.Throttled: "Throttled",
}


def _flatten(detail: Any) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)


def registry_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, RegistryError):
        return Response({"error": {"code": exc.code, "message": exc.message}}, status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: let Django report it as the 500 it is
    code = next((c for kind, c in _DRF_CODES.items() if isinstance(exc, kind)), "Error")
    error: dict[str, Any] = {"code": code, "message": _flatten(response.data)}
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        error["fields"] = exc.detail
        error["message"] = "invalid request: " + _flatten(exc.detail)
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = "Bearer"
    response.data = {"error": error}
    return response
