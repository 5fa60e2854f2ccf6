"""`GET /api/whoami-v2` (`HfApi.whoami`, `hf auth login`, `hf auth whoami`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from registry.models import Membership

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
