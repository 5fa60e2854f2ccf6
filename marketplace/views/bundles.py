"""Portal pages for air-gapped bundles: the export download (publisher members, staff) and the
import page (staff). Thin: the services in registry.bundles do the work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from registry.api.views.bundles import bundle_filename, stream_bundle
from registry.bundles import exporting, importing
from registry.errors import RegistryError

TEMPLATES = "marketplace/portal/"


def _error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, TEMPLATES + "error.html", {"message": message}, status=status)


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """`?version=NAMESPACE/NAME@REVISION` (repeatable): the bundle, streamed as it is written."""
    try:
        versions = exporting.resolve_versions(request.GET.getlist("version"), user=request.user)
        plan = exporting.plan_export(versions)
    except RegistryError as exc:
        return _error(request, exc.message, exc.status)
    exporting.record_export(plan, actor=request.user, via="portal")
    return stream_bundle(plan, bundle_filename(versions))


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        return _error(request, "Only administrators can import bundles.", 403)
    context: dict = {}
    if request.method == "POST":
        upload = request.FILES.get("bundle")
        pem = request.POST.get("trusted_key", "").strip()
        try:
            if upload is None:
                raise importing.BundleRefused("choose a bundle file (.tar) to import")
            trusted = importing.trusted_keys([pem] if pem else [])
            context["result"] = importing.import_bundle(stream=upload, actor=request.user, trusted=trusted)
        except RegistryError as exc:
            context["error"] = exc.message
    status = 422 if "error" in context else 200
    return render(request, TEMPLATES + "bundle_import.html", context, status=status)
