"""The model page: card, badges, files, versions, signature, compliance, license and usage."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from registry.models import AccessGrant
from registry.services import access

from .. import cards, licenses, snippets
from ..selectors import evidence
from ..selectors.model_page import model_page as read_model_page
from .base import page, render_page, server_endpoint


@require_safe
@page
def model_page(request: HttpRequest, namespace: str, name: str, revision: str = "main") -> HttpResponse:
    repository = access.access_repository(repository_id=f"{namespace}/{name}", user=request.user)
    data = read_model_page(repository=repository, user=request.user, revision=revision)
    endpoint = server_endpoint(request)
    card_html = ""
    if data.card and data.card["body"].strip():
        card_html = cards.rendered_card(version_id=data.version.pk, body=data.card["body"])
    license_id = data.version.license or repository.license
    license_file = next((f["path"] for f in data.files if f["path"] in licenses.LICENSE_FILES), None)
    return render_page(
        request,
        "marketplace/model.html",
        {
            "page": data,
            "revision": revision,
            "repository": repository,
            "version": data.version,
            "card_html": card_html,
            "card_metadata": (data.card or {}).get("metadata", {}),
            "license_id": license_id,
            "license": licenses.summary_for(license_id),
            "license_file": license_file,
            "snippets": snippets.usage_snippets(
                endpoint=endpoint,
                repo_id=repository.repo_id,
                task=repository.task,
                revision=revision,
                gated=repository.is_gated or repository.is_private,
            ),
            "verification": evidence.verification(data.version, request),
            "verify_snippet": snippets.verify_snippet(
                endpoint=endpoint, repo_id=repository.repo_id, commit_id=data.version.commit_id
            ),
            "signature_path": evidence.SIGNATURE_PATH,
            "grant_statuses": AccessGrant.Status,
            "file_count": len(data.files),
        },
    )
