"""The calling user's API tokens: list, create (shown once), revoke."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from registry.errors import NotFound
from registry.models import ApiToken
from registry.services import tokens

from .. import serializers
from ..permissions import WriteScopeForChanges
from .base import ERRORS, FORBIDDEN, RegistryAPIView


def _token(token: ApiToken) -> dict[str, Any]:
    """`TokenSerializer`."""
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "scope": token.scope,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "last_used_at": token.last_used_at,
        "is_active": token.is_active,
    }


class TokenListView(RegistryAPIView):
    permission_classes = [IsAuthenticated, WriteScopeForChanges]

    @extend_schema(
        operation_id="list_tokens", responses={200: serializers.TokenSerializer(many=True), **ERRORS}
    )
    def get(self, request: Request) -> Response:
        """Your tokens, newest first, revoked and expired ones included."""
        return Response(
            [_token(t) for t in ApiToken.objects.filter(user=request.user).order_by("-created_at")]
        )

    @extend_schema(
        operation_id="create_token",
        request=serializers.TokenCreateSerializer,
        responses={201: serializers.CreatedTokenSerializer, **ERRORS, **FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        """A new token for you. Its value is in this answer only; store it now."""
        body = serializers.TokenCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token, raw = tokens.create_token(
            user=request.user,
            scope=body.validated_data["scope"],
            name=body.validated_data["name"],
            expires_in_days=body.validated_data.get("expires_in_days"),
        )
        return Response({**_token(token), "token": raw}, status=201)


class TokenDetailView(RegistryAPIView):
    permission_classes = [IsAuthenticated, WriteScopeForChanges]

    @extend_schema(
        operation_id="revoke_token",
        responses={204: OpenApiResponse(description="Revoked (or already revoked)."), **ERRORS, **FORBIDDEN},
    )
    def delete(self, request: Request, token_id: int) -> Response:
        """Revoke one of your tokens; it stops working at once."""
        token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
        if token is None:
            raise NotFound(f"you have no token with id {token_id}")
        tokens.revoke_token(token=token, actor=request.user)
        return Response(status=204)
