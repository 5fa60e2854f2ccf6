"""Public keys and signatures over HTTP: what a buyer needs to check a download, offline, later.

- `GET /api/v1/signing-keys/`: JSON, every registry key ever published (active, pending, retired,
  revoked) with its PEM, hint and validity period; unauthenticated.
- `GET /api/v1/signing-keys/current.pem` and `/api/v1/signing-keys/{hint}.pem`: one key as PEM.
- `GET /api/v1/signatures/{namespace}/{name}/{revision}`: a version's registry and publisher
  signatures (current and superseded); `.../{id}.sig` downloads one bundle.
- `GET /signing-keys`: the same keys and how to verify, as a web page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from registry.authentication import BearerTokenAuthentication, InvalidToken, token_from_request
from registry.errors import NotFound, RegistryError
from registry.models import SigningKey, VersionSignature
from registry.services import signing
from registry.services.access import access_repository
from registry.services.repositories import resolve_revision

PEM_TYPE = "application/x-pem-file"
VERIFY_HELP = (
    "python -m registry.verify FOLDER --registry URL, or: model_signing verify key FOLDER "
    "--signature FOLDER/model.sig --public_key KEY.pem"
)


def _error(exc: RegistryError) -> JsonResponse:
    return JsonResponse({"error": exc.message, "code": exc.code}, status=exc.status)


def key_as_json(key: SigningKey, request: HttpRequest) -> dict:
    return {
        "hint": key.hint,
        "algorithm": key.algorithm,
        "status": key.status,
        "not_before": key.not_before,
        "not_after": key.not_after,
        "revoked_at": key.revoked_at,
        "revocation_reason": key.revocation_reason,
        "public_key_pem": key.public_key_pem,
        "pem_url": request.build_absolute_uri(f"/api/v1/signing-keys/{key.hint}.pem"),
    }


def published_keys():
    return SigningKey.objects.order_by("-not_before", "-created_at")


class SigningKeyList(APIView):
    """The registry's public signing keys, past and present."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Registry public signing keys",
        description=(
            "Every key the registry has published, with its PEM, hint (the `publicKey.hint` of a "
            "`model.sig` bundle: sha256 of the PEM), status and validity period. Pick the key whose "
            "hint matches the bundle; refuse a revoked one. " + VERIFY_HELP
        ),
        responses={200: dict},
    )
    def get(self, request: Request) -> JsonResponse:
        keys = list(published_keys())
        current = next((k.hint for k in keys if k.status == SigningKey.Status.ACTIVE), None)
        return JsonResponse(
            {"current": current, "keys": [key_as_json(k, request) for k in keys], "verify": VERIFY_HELP}
        )


def key_pem(request: HttpRequest, hint: str) -> HttpResponse:
    """One public key as PEM: `current` or a full hint."""
    if hint == "current":
        key = SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).first()
    else:
        key = SigningKey.objects.filter(hint=hint.lower()).first()
    if key is None:
        what = "no registry signing key is active yet" if hint == "current" else f"no key has hint {hint}"
        return _error(NotFound(what))
    response = HttpResponse(key.public_key_pem, content_type=PEM_TYPE)
    response["Content-Disposition"] = f'inline; filename="registry-{key.hint[:16]}.pem"'
    response["X-Key-Status"] = key.status
    return response


class VersionSignatures(APIView):
    """A version's signatures: the registry's (current and superseded) and the publisher's."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [AllowAny]

    @extend_schema(summary="Signatures of a model version", responses={200: dict})
    def get(self, request: Request, namespace: str, name: str, revision: str) -> JsonResponse:
        try:
            repository = access_repository(
                repository_id=f"{namespace}/{name}", user=request.user, files=False
            )
            version = resolve_revision(repository=repository, revision=revision)
        except RegistryError as exc:
            return _error(exc)
        rows = VersionSignature.objects.filter(version=version).select_related(
            "registry_key", "publisher_key"
        )
        described = []
        for row in rows:
            item = signing.describe(row)
            item["bundle_url"] = request.build_absolute_uri(
                f"/api/v1/signatures/{namespace}/{name}/{version.commit_id}/{row.pk}.sig"
            )
            described.append(item)
        return JsonResponse(
            {
                "repo": repository.repo_id,
                "commit": version.commit_id,
                "compromised": version.is_compromised,
                "compromise_reason": version.compromise_reason,
                "signed_by_registry": next(
                    (s for s in described if s["kind"] == "registry" and s["is_current"]), None
                ),
                "signed_by_publisher": next(
                    (s for s in described if s["kind"] == "publisher" and s["is_current"]), None
                ),
                "history": described,
            }
        )


def signature_bundle(request: HttpRequest, namespace: str, name: str, revision: str, pk: int) -> HttpResponse:
    """One signature bundle, as recorded (a superseded registry bundle, or the publisher's)."""
    try:
        token = token_from_request(request)
    except InvalidToken as exc:
        return JsonResponse({"error": str(exc), "code": "InvalidToken"}, status=401)
    try:
        user = token.user if token is not None else request.user
        repository = access_repository(repository_id=f"{namespace}/{name}", user=user, files=True)
        version = resolve_revision(repository=repository, revision=revision)
    except RegistryError as exc:
        return _error(exc)
    row = VersionSignature.objects.filter(version=version, pk=pk).first()
    if row is None:
        return _error(NotFound(f"{repository.repo_id}@{version.commit_id} has no signature {pk}"))
    response = HttpResponse(row.bundle, content_type="application/json")
    filename = "model.sig" if row.kind == VersionSignature.Kind.REGISTRY else "publisher.sig"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def keys_page(request: HttpRequest) -> HttpResponse:
    keys = list(published_keys())
    current = next((k for k in keys if k.status == SigningKey.Status.ACTIVE), None)
    return render(
        request,
        "registry/signing_keys.html",
        {"keys": keys, "current": current, "registry_url": request.build_absolute_uri("/").rstrip("/")},
    )
