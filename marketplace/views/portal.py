"""The publisher portal: sign-up, organisations and members, repositories, tokens, and the
direct-to-S3 uploader's JSON endpoints. Thin: forms in, one service call, a page or JSON out."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from registry.errors import InvalidInput, NotFound, RegistryError
from registry.models import (
    ApiToken,
    EmailVerification,
    Membership,
    ModelRepository,
    Publisher,
    Ref,
    UploadSession,
    Version,
)
from registry.models.repositories import Industry
from registry.services import access, accounts, repositories, tokens, uploads

from .base import CONTENT_SECURITY_POLICY, page

TEMPLATES = "marketplace/portal/"


def _render(request: HttpRequest, name: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, TEMPLATES + name, context, status=status)
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "default-src 'self'", "default-src 'self'; connect-src 'self' " + _storage_origin()
    )
    return response


def _storage_origin() -> str:
    """Where the browser sends the bytes (presigned URLs are signed for the public endpoint)."""
    return settings.S3_PUBLIC_ENDPOINT_URL or ""


def _writable_publishers(user) -> list[Publisher]:
    if user.is_superuser:
        return list(Publisher.objects.all())
    return list(
        Publisher.objects.filter(
            memberships__user=user, memberships__role__in=[Membership.Role.OWNER, Membership.Role.MAINTAINER]
        ).distinct()
    )


def _repository(user, namespace: str, name: str, *, write: bool = True) -> ModelRepository:
    repository = access.access_repository(repository_id=f"{namespace}/{name}", user=user)
    if write:
        access.require_write(repository=repository, user=user)
    return repository


# --- accounts ----------------------------------------------------------------------------------


class SignUpForm(forms.Form):
    username = forms.CharField(max_length=96, help_text="Also your personal namespace.")
    email = forms.EmailField()
    password = forms.CharField(widget=forms.PasswordInput, min_length=8)


def sign_up(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verify_url = request.build_absolute_uri(reverse("portal:verify-email", args=["TOKEN"]))
            user = accounts.sign_up(**form.cleaned_data, verify_url=verify_url)
        except RegistryError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, f"Welcome, {user.get_username()}. Your namespace is {user.get_username()}."
            )
            return redirect("portal:home")
    return _render(request, "signup.html", {"form": form})


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        verification = accounts.verify_email(token=token)
    except RegistryError as exc:
        return _render(request, "error.html", {"message": exc.message}, status=exc.status)
    messages.success(request, f"{verification.email} is confirmed.")
    return redirect("portal:home")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user=request.user).select_related("publisher")
    publishers = [m.publisher for m in memberships]
    repos = ModelRepository.objects.filter(namespace__in=publishers).select_related("namespace")
    verification = EmailVerification.objects.filter(user=request.user).first()
    context = {
        "memberships": memberships,
        "repositories": repos,
        "unverified_email": verification.email if verification and not verification.verified_at else None,
    }
    return _render(request, "home.html", context)


class OrganisationForm(forms.Form):
    slug = forms.CharField(
        label="Organisation id", max_length=96, help_text="Used in repository ids: ID/model"
    )
    display_name = forms.CharField(max_length=200, required=False)


@login_required
def new_organisation(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            publisher = accounts.create_organisation(
                slug=form.cleaned_data["slug"],
                display_name=form.cleaned_data["display_name"],
                owner=request.user,
            )
        except RegistryError as exc:
            form.add_error("slug", exc.message)
        else:
            messages.success(request, f"Organisation {publisher.slug} created; you are its owner.")
            return redirect("portal:organisation", slug=publisher.slug)
    return _render(request, "organisation_new.html", {"form": form})


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MAINTAINER)


@login_required
def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    publisher = Publisher.objects.filter(slug=slug).first()
    mine = Membership.objects.filter(publisher=publisher, user=request.user).first()
    if publisher is None or mine is None:
        return _render(request, "error.html", {"message": f"organisation {slug} not found"}, status=404)
    form = InviteForm(request.POST or None)
    try:
        if request.method == "POST" and request.POST.get("action") == "invite" and form.is_valid():
            accept = request.build_absolute_uri(reverse("portal:accept-invitation", args=["TOKEN"]))
            accounts.invite(publisher=publisher, actor=request.user, accept_url=accept, **form.cleaned_data)
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("portal:organisation", slug=slug)
        if request.method == "POST" and request.POST.get("action") == "role":
            accounts.set_role(
                publisher=publisher,
                username=request.POST["username"],
                role=request.POST["role"],
                actor=request.user,
            )
            return redirect("portal:organisation", slug=slug)
        if request.method == "POST" and request.POST.get("action") == "remove":
            accounts.remove_member(publisher=publisher, username=request.POST["username"], actor=request.user)
            return redirect("portal:organisation", slug=slug)
    except RegistryError as exc:
        messages.error(request, exc.message)
        return redirect("portal:organisation", slug=slug)
    context = {
        "publisher": publisher,
        "is_owner": mine.role == Membership.Role.OWNER,
        "members": publisher.memberships.select_related("user").order_by("user__username"),
        "invitations": publisher.invitations.filter(accepted_at__isnull=True),
        "roles": Membership.Role.choices,
        "form": form,
    }
    return _render(request, "organisation.html", context)


@login_required
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            membership = accounts.accept_invitation(token=token, user=request.user)
        except RegistryError as exc:
            return _render(request, "error.html", {"message": exc.message}, status=exc.status)
        messages.success(request, f"You joined {membership.publisher.slug} as {membership.role}.")
        return redirect("portal:organisation", slug=membership.publisher.slug)
    return _render(request, "invitation.html", {"token": token})


# --- tokens ------------------------------------------------------------------------------------


NEW_TOKEN_COOKIE = "new_token"  # noqa: S105 - a cookie name, not a secret


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100)
    scope = forms.ChoiceField(choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)
    expires_in_days = forms.IntegerField(
        min_value=1, max_value=3650, required=False, label="Expires in (days)"
    )


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and request.POST.get("action") == "revoke":
        token = ApiToken.objects.filter(pk=request.POST.get("token"), user=request.user).first()
        if token is not None:
            tokens.revoke_token(token=token, actor=request.user)
            messages.success(request, f"Token {token.name} revoked.")
        return redirect("portal:tokens")
    if request.method == "POST" and form.is_valid():
        _, raw = tokens.create_token(user=request.user, **form.cleaned_data)
        # Shown by the next GET only (a reload shows nothing). Carried there by a short-lived signed
        # cookie, not the session: the session table would hold the raw token, which is stored
        # nowhere on the server (only its hash is).
        response = redirect("portal:tokens")
        response.set_signed_cookie(
            NEW_TOKEN_COOKIE,
            raw,
            salt=NEW_TOKEN_COOKIE,
            max_age=120,
            path=request.path,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Strict",
        )
        return response
    if request.method == "GET":
        created = request.get_signed_cookie(NEW_TOKEN_COOKIE, None, salt=NEW_TOKEN_COOKIE, max_age=120)
    context = {
        "form": form,
        "created": created,  # shown once, never stored
        "tokens": ApiToken.objects.filter(user=request.user),
        "endpoint": request.build_absolute_uri("/").rstrip("/"),
    }
    response = _render(request, "tokens.html", context)
    response["Cache-Control"] = "no-store"
    if NEW_TOKEN_COOKIE in request.COOKIES:
        response.delete_cookie(NEW_TOKEN_COOKIE, path=request.path, samesite="Strict")
    return response


# --- repositories ------------------------------------------------------------------------------


class RepositoryForm(forms.Form):
    namespace = forms.ChoiceField(label="Owner")
    name = forms.CharField(max_length=96)
    industry = forms.ChoiceField(choices=Industry.choices)
    task = forms.CharField(max_length=64, required=False, help_text="e.g. text-generation")
    visibility = forms.ChoiceField(choices=ModelRepository.Visibility.choices)
    gating = forms.ChoiceField(choices=ModelRepository.Gating.choices)
    license = forms.CharField(max_length=64, required=False, help_text="SPDX id, e.g. apache-2.0")

    def __init__(self, *args, publishers: list[Publisher], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["namespace"].choices = [(p.slug, p.slug) for p in publishers]


@login_required
@page
def new_repository(request: HttpRequest) -> HttpResponse:
    publishers = _writable_publishers(request.user)
    if not publishers:
        accounts.personal_namespace(user=request.user)
        publishers = _writable_publishers(request.user)
    form = RepositoryForm(request.POST or None, publishers=publishers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            uploads.check_rate(user=request.user)
            repository = repositories.create_repository(
                namespace=Publisher.objects.get(slug=data["namespace"]),
                name=data["name"],
                actor=request.user,
                industry=data["industry"],
                task=data["task"],
                visibility=data["visibility"],
                gating=data["gating"],
            )
        except RegistryError as exc:
            form.add_error("name", exc.message)
        else:
            if data["license"]:
                ModelRepository.objects.filter(pk=repository.pk).update(license=data["license"])
            messages.success(request, f"Repository {repository.repo_id} created. Upload its first version.")
            return redirect("portal:upload", namespace=repository.namespace.slug, name=repository.name)
    return _render(request, "repository_new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def repository(request: HttpRequest, namespace: str, name: str) -> HttpResponse:
    try:
        repo = _repository(request.user, namespace, name)
    except RegistryError as exc:  # not visible: 404; visible but not writable: 403
        return _render(request, "error.html", {"message": exc.message}, status=exc.status)
    try:
        if request.method == "POST" and request.POST.get("action") == "tag":
            version = Version.objects.published().get(repository=repo, commit_id=request.POST["commit"])
            repositories.create_tag(
                repository=repo, name=request.POST["tag"].strip(), version=version, actor=request.user
            )
            messages.success(request, f"Tagged {version.commit_id[:10]} as {request.POST['tag']}.")
        elif request.method == "POST" and request.POST.get("action") == "yank":
            version = Version.objects.published().get(repository=repo, commit_id=request.POST["commit"])
            repositories.yank_version(
                version=version, reason=request.POST.get("reason", ""), actor=request.user
            )
            messages.success(request, f"Version {version.commit_id[:10]} yanked.")
        elif request.method == "POST" and request.POST.get("action") == "settings":
            _save_settings(request, repo)
    except (RegistryError, Version.DoesNotExist) as exc:
        messages.error(request, getattr(exc, "message", "no such published version"))
    if request.method == "POST":
        return redirect("portal:repository", namespace=namespace, name=name)
    refs: dict[int, list[Ref]] = {}
    for ref in Ref.objects.filter(repository=repo):
        refs.setdefault(ref.version_id, []).append(ref)
    versions = [(v, refs.get(v.pk, [])) for v in repo.versions.exclude(status=Version.Status.DRAFT)[:50]]
    context = {
        "repository": repo,
        "versions": versions,
        "visibilities": ModelRepository.Visibility.choices,
        "gatings": ModelRepository.Gating.choices,
        **_snippets(request, repo),
    }
    return _render(request, "repository.html", context)


def _save_settings(request: HttpRequest, repo: ModelRepository) -> None:
    repositories.update_repository(
        repository=repo,
        actor=request.user,
        visibility=request.POST.get("visibility", ""),
        gating=request.POST.get("gating", ""),
    )
    saved = f"{repo.get_visibility_display()}, {repo.get_gating_display()}".lower()
    messages.success(request, f"Settings saved: {saved}.")


def _snippets(request: HttpRequest, repo: ModelRepository) -> dict:
    endpoint = request.build_absolute_uri("/").rstrip("/")
    return {
        "endpoint": endpoint,
        "snippet_cli": (
            f"export HF_ENDPOINT={endpoint}\nexport HF_TOKEN=<a write token from Tokens>\n"
            f"hf upload {repo.repo_id} ./my-model ."
        ),
        "snippet_python": (
            "from huggingface_hub import HfApi\n"
            f"api = HfApi(endpoint='{endpoint}', token='<write token>')\n"
            f"api.upload_folder(folder_path='./my-model', repo_id='{repo.repo_id}')"
        ),
        "inline_limit_mib": settings.REGISTRY_INLINE_UPLOAD_THRESHOLD >> 20,
    }


@login_required
def upload(request: HttpRequest, namespace: str, name: str) -> HttpResponse:
    try:
        repo = _repository(request.user, namespace, name)
    except RegistryError as exc:
        return _render(request, "error.html", {"message": exc.message}, status=exc.status)
    context = {
        "repository": repo,
        "frameworks": FRAMEWORKS.get(repo.industry, FRAMEWORKS["general"]),
        "risk_levels": ["minimal", "limited", "high"],
        **_snippets(request, repo),
    }
    return _render(request, "upload.html", context)


# --- the uploader's JSON endpoints -------------------------------------------------------------


def api(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    """Session-authenticated JSON (CSRF checked: the page sends X-CSRFToken); errors as JSON."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> JsonResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"error": "log in first"}, status=401)
        try:
            body = json.loads(request.body or b"{}") if request.method == "POST" else {}
        except ValueError as exc:
            return JsonResponse({"error": f"the body is not valid JSON: {exc}"}, status=400)
        if not isinstance(body, dict):
            return JsonResponse({"error": "the body must be a JSON object"}, status=400)
        try:
            return view(request, body, *args, **kwargs)
        except uploads.TooManyRequests as exc:
            response = JsonResponse({"error": exc.message}, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        except RegistryError as exc:
            return JsonResponse({"error": exc.message, "code": exc.code}, status=exc.status)

    return wrapper


def _draft_state(draft: Version) -> dict:
    return {
        "draft": draft.pk,
        "status": draft.status,
        "failure_reason": draft.failure_reason,
        "commit": draft.commit_id,
        "files": list(draft.files.values_list("path", flat=True)),
        "model_url": f"/{draft.repository.repo_id}" if draft.is_published else None,
    }


def _required(body: dict, name: str, kind: type):
    value = body.get(name)
    if type(value) is not kind:  # bool is an int subclass: `"size": true` is refused too
        raise InvalidInput(f"{name!r} must be a JSON {'string' if kind is str else 'integer'}")
    return value


@require_POST
@api
def api_start(request: HttpRequest, body: dict, namespace: str, name: str) -> JsonResponse:
    repo = _repository(request.user, namespace, name)
    draft = uploads.start_portal_draft(
        repository=repo, user=request.user, message=str(body.get("message") or ""), branch="main"
    )
    return JsonResponse(_draft_state(draft))


@require_POST
@api
def api_file(request: HttpRequest, body: dict, draft_id: int) -> JsonResponse:
    draft = uploads.portal_draft(draft_id=draft_id, user=request.user)
    upload_ = uploads.start_file_upload(
        draft=draft, user=request.user, path=_required(body, "path", str), size=_required(body, "size", int)
    )
    session = upload_.session
    return JsonResponse(
        {
            "session": session.pk,
            "path": session.path,
            "size": session.size,
            "part_size": session.part_size,
            "part_count": session.part_count,
            "completed": session.status == UploadSession.Status.COMPLETED,
            "urls": {str(n): url for n, url in upload_.part_urls.items()},
            "done": {str(n): etag for n, etag in upload_.done_parts.items()},
        }
    )


@require_POST
@api
def api_complete(request: HttpRequest, body: dict, session_id: int) -> JsonResponse:
    file = uploads.complete_file_upload(
        session_id=session_id, user=request.user, parts=uploads.as_parts(body.get("parts") or [])
    )
    return JsonResponse({"path": file.path, "sha256": file.sha256, "size": file.size})


@require_POST
@api
def api_publish(request: HttpRequest, body: dict, draft_id: int) -> JsonResponse:
    draft = uploads.portal_draft(draft_id=draft_id, user=request.user)
    try:
        draft = uploads.publish_draft(draft=draft, user=request.user)
    except RegistryError as exc:
        draft.refresh_from_db()
        return JsonResponse({**_draft_state(draft), "error": exc.message}, status=exc.status)
    return JsonResponse(_draft_state(draft))


# Compliance questions per industry: the frameworks offered (answers go to the card's
# `compliance:` block, which ingest records as the version's ComplianceRecord).
FRAMEWORKS = {
    "healthcare": ["HIPAA", "GDPR", "EU AI Act", "FDA SaMD"],
    "finance": ["SOX", "PCI-DSS", "GDPR", "EU AI Act", "SR 11-7"],
    "retail": ["GDPR", "CCPA", "PCI-DSS", "EU AI Act"],
    "general": ["GDPR", "EU AI Act"],
}


def _card(body: dict) -> bytes:
    fields = body.get("card") or {}
    compliance = fields.get("compliance") or {} if isinstance(fields, dict) else None
    if not isinstance(compliance, dict):
        raise InvalidInput('"card" must be a JSON object, and its "compliance" too')
    for flag in ("contains_phi", "contains_pii"):
        if compliance.get(flag) in ("yes", "no"):
            compliance[flag] = compliance[flag] == "yes"
        else:
            compliance.pop(flag, None)
    return uploads.card_from_form(
        metadata={k: fields.get(k, "") for k in ("license", "tags", "base_model", "datasets", "language")},
        compliance=compliance,
        body=str(fields.get("body") or ""),
        intended_use=str(fields.get("intended_use") or ""),
        limitations=str(fields.get("limitations") or ""),
    )


@require_POST
@api
def api_card_preview(request: HttpRequest, body: dict) -> JsonResponse:
    """Validate the editor's card and render its body as the model page will (sanitised)."""
    from marketplace.cards import render_card
    from registry.formats import cards

    try:
        parsed = cards.parse_card(_card(body))
    except RegistryError as exc:
        return JsonResponse({"errors": [exc.message]}, status=422)
    return JsonResponse({"errors": [], "html": render_card(parsed.body), "metadata": parsed.metadata})


@require_POST
@api
def api_card(request: HttpRequest, body: dict, draft_id: int) -> JsonResponse:
    """Add the editor's README.md to the draft (validated first)."""
    draft = uploads.portal_draft(draft_id=draft_id, user=request.user)
    file = uploads.add_generated_file(draft=draft, user=request.user, path="README.md", data=_card(body))
    return JsonResponse({"path": file.path, "sha256": file.sha256})


@require_POST
@api
def api_cancel(request: HttpRequest, body: dict, draft_id: int) -> JsonResponse:
    draft = uploads.portal_draft(draft_id=draft_id, user=request.user)
    uploads.cancel_draft(draft=draft, user=request.user)
    return JsonResponse({"cancelled": True})


@api
def api_status(request: HttpRequest, body: dict, draft_id: int) -> JsonResponse:
    try:
        draft = uploads.portal_draft(draft_id=draft_id, user=request.user)
    except NotFound:
        return JsonResponse({"error": "not found"}, status=404)
    return JsonResponse(_draft_state(draft))
