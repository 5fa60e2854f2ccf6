"""HTTP: a version's compliance report (JSON, or printable HTML with `?format=html`) and its badges.

Both read through `access_repository` (private answers 404). A gated repository's report stays
readable, like the rest of its metadata: it lists digests, not bytes.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from registry.api.views.base import ERRORS, RegistryAPIView
from registry.authentication import InvalidToken, token_from_request
from registry.errors import InvalidInput, RegistryError
from registry.models import ModelRepository, Version
from registry.services import access, compliance
from registry.services.repositories import resolve_revision

from . import badges, report

FORMATS = ("json", "html")


class PrintableHTMLRenderer(BaseRenderer):
    """`?format=html`: the report page, or an error as a small page of its own."""

    media_type = "text/html"
    format = "html"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, str):
            return data.encode()
        error = (data or {}).get("error", {})
        return (
            f"<!doctype html><title>{escape(error.get('code', 'Error'))}</title>"
            f"<h1>{escape(error.get('code', 'Error'))}</h1><p>{escape(error.get('message', ''))}</p>"
        ).encode()


def _version(user, namespace: str, name: str, revision: str) -> Version:
    repository = access.access_repository(repository_id=f"{namespace}/{name}", user=user)
    version = resolve_revision(repository=repository, revision=revision)
    return Version.objects.select_related("repository__namespace", "parent").get(pk=version.pk)


class ComplianceReportView(RegistryAPIView):
    renderer_classes = [JSONRenderer, PrintableHTMLRenderer]

    def perform_content_negotiation(self, request, force=False):
        requested = request.query_params.get("format")
        if not force and requested is not None and requested not in FORMATS:
            raise InvalidInput(f"format {requested!r} is not offered; use one of: {', '.join(FORMATS)}")
        return super().perform_content_negotiation(request, force)

    @extend_schema(
        operation_id="get_compliance_report",
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=FORMATS, description="json (default) or html")
        ],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request, namespace: str, name: str, revision: str) -> Response:
        """What an auditor asks for: card, license and lineage, compliance answers and findings,
        evaluation results, signatures with their public keys, and every file's sha256."""
        version = _version(request.user, namespace, name, revision)
        document = compliance.compliance_report(version=version)
        if request.accepted_renderer.format == "html":
            body, extension = report.render_html(document), "html"
        else:
            body, extension = document, "json"
        headers = {"Content-Disposition": f'inline; filename="{report.filename(document, extension)}"'}
        if extension == "html":  # a standalone document: its own inline styles, no scripts at all
            headers["Content-Security-Policy"] = REPORT_CSP
        return Response(body, headers=headers)


REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def badge(request: HttpRequest, namespace: str, name: str, kind: str) -> HttpResponse:
    """`badges/{compliance,findings,license}.svg` for a version (`?revision=`, default main)."""
    try:
        token = token_from_request(request)
        user = token.user if token is not None else request.user
        version = _version(user, namespace, name, request.GET.get("revision", "main"))
    except InvalidToken as exc:
        return _error(401, "InvalidToken", str(exc))
    except RegistryError as exc:
        return _error(exc.status, exc.code, exc.message)
    check = compliance.get_check(version=version)
    if check is None:
        svg = badges.unchecked_badge(kind)
    elif kind == "compliance":
        svg = badges.completeness_badge(check.completeness)
    elif kind == "findings":
        svg = badges.findings_badge(errors=check.error_count, warnings=check.warning_count)
    else:
        svg = badges.license_badge(license_id=check.license_id, lineage_conflict=check.has_lineage_conflict)
    private = version.repository.visibility == ModelRepository.Visibility.PRIVATE
    return HttpResponse(
        svg,
        content_type="image/svg+xml",
        headers={"Cache-Control": "private, max-age=60" if private else "public, max-age=300"},
    )
