"""The model page: card, badges, files, versions, signature, compliance, license and usage."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from registry.errors import InvalidInput
from registry.models import AccessGrant, ModelRepository
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
    pick_score = _score_param(request.GET.get("family_min_score", ""))
    family_pick = (
        data.family.smallest_scoring_at_least(pick_score)
        if data.family is not None and pick_score is not None
        else None
    )
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
            "family": data.family,
            "family_relation_labels": dict(ModelRepository.Relation.choices),
            "family_min_score": pick_score,
            "family_pick": family_pick,
        },
    )


def _score_param(value: str) -> float | None:
    """`family_min_score`: a score in [0, 1], or None when absent."""
    if not value.strip():
        return None
    try:
        score = float(value)
    except ValueError:
        raise InvalidInput(f"family_min_score={value[:40]!r} is not a number between 0 and 1") from None
    if not 0 <= score <= 1:
        raise InvalidInput(f"family_min_score={score:g} must lie between 0 and 1")
    return score
