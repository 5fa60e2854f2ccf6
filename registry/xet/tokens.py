"""Short-lived Xet access tokens: signed {repository, scope, API token, expiry}, opaque to clients.

A write token implies read. The CAS re-checks that the API token behind it is still active, so
revoking the API token also ends the Xet tokens minted from it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from registry.errors import PermissionDenied, RegistryError
from registry.models import ApiToken, ModelRepository

SALT = "registry.xet.access-token"
READ, WRITE = "read", "write"


class XetUnauthorized(RegistryError):
    status = 401
    code = "Unauthorized"


@dataclass(frozen=True)
class XetToken:
    access_token: str
    expires_at: int  # unix seconds


@dataclass(frozen=True)
class Grant:
    repository_id: int
    scope: str
    token_id: int | None


def mint(*, repository: ModelRepository, scope: str, api_token: ApiToken | None) -> XetToken:
    expires_at = int(time.time()) + settings.REGISTRY_XET_TOKEN_TTL
    payload = {"r": repository.pk, "s": scope, "t": api_token.pk if api_token else None, "e": expires_at}
    return XetToken(access_token=signing.dumps(payload, salt=SALT), expires_at=expires_at)


def check(raw: str | None, *, need: str) -> Grant:
    """The grant a bearer token carries; 401 when missing, forged or expired, 403 for a read
    token where writing is needed."""
    if not raw:
        raise XetUnauthorized("a Xet access token is required (Authorization: Bearer ...)")
    try:
        payload = signing.loads(raw, salt=SALT)
    except signing.BadSignature:
        raise XetUnauthorized("the Xet access token is not valid; ask the Hub routes for a new one") from None
    if int(payload.get("e", 0)) < time.time():
        raise XetUnauthorized("the Xet access token has expired; ask the Hub routes for a new one")
    token_id = payload.get("t")
    if token_id is not None:
        api_token = ApiToken.objects.filter(pk=token_id).first()
        if api_token is None or not api_token.is_active:
            raise XetUnauthorized("the API token behind this Xet token was revoked or expired")
    if need == WRITE and payload.get("s") != WRITE:
        raise PermissionDenied("this Xet token only allows reading; uploads need a write token")
    return Grant(repository_id=int(payload["r"]), scope=str(payload["s"]), token_id=token_id)
