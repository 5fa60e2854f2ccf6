"""Publishers: the organisations and personal namespaces that own models."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from registry import selectors
from registry.errors import NotFound
from registry.models import Publisher

from .. import serializers
from .base import ERRORS, RegistryAPIView, next_page_url


def _publisher(row: dict[str, Any], request: Request) -> dict[str, Any]:
    """`PublisherSerializer`."""
    models = request.build_absolute_uri(f"/api/v1/models?namespace={row['slug']}")
    return {**row, "models_url": models}


class PublisherListView(RegistryAPIView):
    @extend_schema(
        operation_id="list_publishers",
        parameters=[serializers.PublisherListQuerySerializer],
        responses={200: serializers.PublisherPageSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        """Publishers in slug order, one page at a time."""
        params = serializers.PublisherListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        size = params.validated_data["page_size"]
        found = selectors.list_publishers(after=params.validated_data.get("cursor"), limit=size + 1)
        following = found[size - 1]["slug"] if len(found) > size else None
        return Response(
            {
                "results": [_publisher(r, request) for r in found[:size]],
                "next": next_page_url(request, following),
            }
        )


class PublisherDetailView(RegistryAPIView):
    @extend_schema(operation_id="get_publisher", responses={200: serializers.PublisherSerializer, **ERRORS})
    def get(self, request: Request, slug: str) -> Response:
        row = (
            Publisher.objects.filter(slug=slug)
            .values("slug", "display_name", "kind", "description", "website", "created_at")
            .first()
        )
        if row is None:
            raise NotFound(f"publisher {slug!r} does not exist")
        return Response(_publisher(row, request))
