"""Air-gapped bundles over the API: export as a streamed tar download, import as an upload.

Export is for members of the publisher (any role) and staff; import is for staff only, because
it publishes versions into any namespace and trusts the keys it is given.
"""

from __future__ import annotations

import json

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from registry.bundles import exporting, importing
from registry.errors import InvalidInput
from registry.hub_api import params

from ..serializers import ErrorResponseSerializer
from .base import ERRORS, RegistryAPIView

TAR = "application/x-tar"
FORBIDDEN = {403: OpenApiResponse(ErrorResponseSerializer, description="Not allowed for this account.")}


class TarRenderer(BaseRenderer):
    """Lets clients ask for `Accept: application/x-tar`; errors still go out as JSON text."""

    media_type = TAR
    format = "tar"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else json.dumps(data).encode()


class ImportedVersionSerializer(drf.Serializer):
    repo_id = drf.CharField()
    commit_id = drf.CharField()
    created = drf.BooleanField(help_text="False when this registry already had exactly this version.")


class ImportResultSerializer(drf.Serializer):
    bundle_id = drf.CharField()
    signed_by = drf.CharField(help_text="Hint of the key that signed the bundle's manifest.")
    blob_bytes = drf.IntegerField()
    versions = ImportedVersionSerializer(many=True)


class BundleUploadSerializer(drf.Serializer):
    bundle = drf.FileField(help_text="A bundle written by `export_bundle` or the export endpoint.")
    trusted_key = drf.CharField(
        required=False,
        allow_blank=True,
        help_text="PEM public key of the exporting registry, when it is not one of this registry's keys.",
    )


def stream_bundle(plan: exporting.ExportPlan, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(exporting.iter_bundle(plan), content_type=TAR)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def bundle_filename(versions) -> str:
    first = versions[0]
    return f"{first.repository.namespace.slug}-{first.repository.name}-{first.commit_id[:12]}.tar"


class BundleExportView(RegistryAPIView):
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, TarRenderer]

    @extend_schema(
        operation_id="export_bundle",
        summary="Download an air-gapped bundle of versions of this model",
        parameters=[
            OpenApiParameter(
                "revision",
                str,
                many=True,
                description="Branch, tag or commit; repeat for several versions (default: main).",
            )
        ],
        responses={
            (200, TAR): OpenApiResponse(OpenApiTypes.BINARY, description="The bundle (a tar)."),
            **ERRORS,
            **FORBIDDEN,
        },
    )
    def get(self, request: Request, namespace: str, name: str) -> StreamingHttpResponse:
        repo_id = params.repo_id(namespace, name)
        specs = [f"{repo_id}@{revision}" for revision in request.query_params.getlist("revision") or ["main"]]
        versions = exporting.resolve_versions(specs, user=request.user)
        plan = exporting.plan_export(versions)  # errors (signing key, permissions) before any byte
        exporting.record_export(plan, actor=request.user, via="api")
        return stream_bundle(plan, bundle_filename(versions))


class BundleImportView(RegistryAPIView):
    permission_classes = [IsAdminUser]
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="import_bundle",
        summary="Import an air-gapped bundle (administrators)",
        request={"multipart/form-data": BundleUploadSerializer},
        responses={
            201: ImportResultSerializer,
            422: OpenApiResponse(
                ErrorResponseSerializer, description="Refused: a signature or digest does not verify."
            ),
            **ERRORS,
            **FORBIDDEN,
        },
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("bundle")
        if upload is None:
            raise InvalidInput("send the bundle file as the multipart field `bundle`")
        pem = request.data.get("trusted_key") or ""
        trusted = importing.trusted_keys([pem] if pem.strip() else [])
        result = importing.import_bundle(stream=upload, actor=request.user, trusted=trusted)
        return Response(result.to_dict(), status=201)
