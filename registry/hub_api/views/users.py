"""`GET /api/whoami-v2` (`HfApi.whoami`, `hf auth login`, `hf auth whoami`) and the repositories
of a namespace with their storage (`HfApi.list_user_repos`, `hf repos ls`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from registry import selectors
from registry.errors import NotFound, PermissionDenied, Unauthorized
from registry.models import Membership, Publisher

from ..endpoints import Caller, hub_endpoint
from ..responses import hub_json, hub_time, invalid_token_response


@hub_endpoint("GET")
def whoami(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Needs a token of ours (or a browser session); anything else is 'invalid credentials'."""
    user = caller.user
    if not user.is_authenticated:
        return invalid_token_response()
    memberships = Membership.objects.filter(user=user).select_related("publisher").order_by("publisher__slug")
    body = {
        "type": "user",
        "name": user.get_username(),
        "fullname": user.get_full_name() or user.get_username(),
        "email": user.email or None,
        "avatarUrl": None,
        "isPro": False,
        "orgs": [
            {
                "type": "org",
                "name": m.publisher.slug,
                "fullname": m.publisher.display_name,
                "roleInOrg": m.role,
            }
            for m in memberships
            if m.publisher.kind == m.publisher.Kind.ORGANISATION
        ],
    }
    if caller.token is not None:
        body["auth"] = {
            "type": "access_token",
            "accessToken": {
                "displayName": caller.token.name or caller.token.prefix,
                "role": caller.token.scope,
                "createdAt": hub_time(caller.token.created_at),
                "expiresAt": hub_time(caller.token.expires_at),
            },
        }
    return hub_json(body)


@hub_endpoint("GET")
def repositories(request: HttpRequest, caller: Caller, namespace: str | None = None) -> HttpResponse:
    """The repositories of the caller's own namespace, or of an organisation the caller belongs
    to, each with the bytes it stores (what the organisation's quota counts)."""
    user = caller.user
    if not user.is_authenticated:
        raise Unauthorized("listing your repositories needs a token of this registry (HF_TOKEN)")
    if namespace is None:
        publisher = Publisher.objects.filter(user=user).first()
        if publisher is None:
            return hub_json([])  # no personal namespace: repositories live in organisations
    else:
        publisher = Publisher.objects.filter(slug=namespace).first()
        if publisher is None:
            raise NotFound(f"organisation {namespace[:100]!r} does not exist")
        if not Membership.objects.filter(publisher=publisher, user=user).exists() and not user.is_superuser:
            raise PermissionDenied(f"you are not a member of {publisher.slug}")
    return hub_json(
        [
            {
                "id": row["id"],
                "type": "model",
                "updatedAt": hub_time(row["updated_at"]),
                "visibility": row["visibility"],
                "storage": row["storage"],
                "storagePercent": round(row["storage_percent"], 2),
            }
            for row in selectors.repository_storage(publisher)
        ]
    )
