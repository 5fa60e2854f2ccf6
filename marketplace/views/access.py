"""Gated access on the web: a user accepts the terms and answers the publisher's questions; an owner
or maintainer approves or rejects queued requests. The rules live in `registry.services.access`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from registry.errors import InvalidInput, NotFound
from registry.models import AccessGrant, ModelRepository
from registry.services import access

from ..forms import AccessRequestForm
from ..licenses import summary_for
from ..selectors.model_page import access_requests, gated_fields
from .base import page, render_page


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@page
def request_access(request: HttpRequest, namespace: str, name: str) -> HttpResponse:
    repository = access.access_repository(repository_id=f"{namespace}/{name}", user=request.user)
    model_url = f"/{repository.repo_id}"
    if not repository.is_gated:
        messages.info(request, f"{repository.repo_id} is not gated: anyone who can see it can download it.")
        return redirect(model_url)
    grant = AccessGrant.objects.filter(repository=repository, user=request.user).first()
    has_access = access.has_gated_access(request.user, repository)
    form = AccessRequestForm(
        request.POST if request.method == "POST" else None, requested_fields=gated_fields(repository)
    )
    status = 200
    if request.method == "POST" and not has_access and not _is_rejected(grant):
        if form.is_valid():
            grant = access.request_access(repository=repository, user=request.user, answers=form.answers())
            if grant.status == AccessGrant.Status.APPROVED:
                messages.success(request, f"Access granted: you can now download {repository.repo_id}.")
            else:
                messages.info(
                    request,
                    f"Request sent: {repository.namespace.slug} reviews it; the model page shows its status.",
                )
            return redirect(model_url)
        status = 400
    return render_page(
        request,
        "marketplace/access_request.html",
        {
            "repository": repository,
            "form": form,
            "grant": grant,
            "has_access": has_access,
            "rejected": _is_rejected(grant),
            "terms_digest": access.terms_digest(repository),
            "license": summary_for(repository.license),
            "manual": repository.gating == ModelRepository.Gating.MANUAL,
        },
        status=status,
    )


def _is_rejected(grant: AccessGrant | None) -> bool:
    return grant is not None and grant.status == AccessGrant.Status.REJECTED


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@page
def access_requests_page(request: HttpRequest, namespace: str, name: str) -> HttpResponse:
    repository = access.access_repository(repository_id=f"{namespace}/{name}", user=request.user)
    access.require_write(repository=repository, user=request.user)  # PermissionDenied: 403 page
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        if decision not in {"approve", "reject"}:
            raise InvalidInput(f"decision must be approve or reject, not {decision[:20]!r}")
        grant = (
            AccessGrant.objects.select_related("repository__namespace", "user")
            .filter(pk=_grant_id(request.POST.get("grant", "")), repository=repository)
            .first()
        )
        if grant is None:
            raise NotFound(
                f"no access request {request.POST.get('grant', '')[:20]!r} for {repository.repo_id}"
            )
        access.decide_access(grant=grant, approve=decision == "approve", actor=request.user)
        verb = "approved" if decision == "approve" else "rejected"
        messages.success(request, f"{grant.user.get_username()}'s request {verb}.")
        return redirect(request.path)
    grants = access_requests(repository)
    return render_page(
        request,
        "marketplace/access_requests.html",
        {
            "repository": repository,
            "pending": [g for g in grants if g.status == AccessGrant.Status.PENDING],
            "decided": [g for g in grants if g.status != AccessGrant.Status.PENDING],
            "current_digest": access.terms_digest(repository),
        },
    )


def _grant_id(value: str) -> int:
    if not value.isdigit():
        raise InvalidInput(f"grant must be a request number, not {value[:20]!r}")
    return int(value)
