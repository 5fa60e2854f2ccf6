"""Bearer API tokens, for DRF views and for the plain Django views of the Hub-compatible API."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework import authentication, exceptions

from registry.models import ApiToken
from registry.services.tokens import authenticate_token

INVALID_TOKEN = "Invalid credentials in Authorization header"  # noqa: S105 - a message the Hub client matches


class InvalidToken(Exception):
    """A bearer token that is not one of ours, or expired, or revoked."""


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def token_from_request(request: HttpRequest) -> ApiToken | None:
    """The request's API token; None without one; InvalidToken when one is sent but not valid."""
    raw = bearer_token(request)
    if raw is None:
        return None
    token = authenticate_token(raw)
    if token is None:
        raise InvalidToken(INVALID_TOKEN)
    return token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """DRF: `Authorization: Bearer <token>`; `request.auth` is the ApiToken (its scope matters)."""

    keyword = "Bearer"

    def authenticate(self, request):
        try:
            token = token_from_request(request._request)
        except InvalidToken as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        return None if token is None else (token.user, token)

    def authenticate_header(self, request):
        return self.keyword
