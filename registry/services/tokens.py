"""API tokens: shown once, stored as a sha256 hash, checked with scope and expiry."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from registry.hashing import secret_digest
from registry.models import ApiToken, AuditEvent

TOKEN_PREFIX = "slm_"  # noqa: S105 - a public prefix, not a secret


def create_token(
    *, user: AbstractBaseUser, scope: str, name: str = "", expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw value, which is never stored."""
    if scope not in ApiToken.Scope.values:
        raise ValueError(f"scope must be one of {', '.join(ApiToken.Scope.values)}, not {scope!r}")
    if expires_in_days is not None and expires_in_days <= 0:
        raise ValueError("expiry must be a positive number of days")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:10],
        token_hash=secret_digest(raw),
        scope=scope,
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    AuditEvent.record("token.created", actor=user, token_id=token.pk, scope=scope)
    return token, raw


def authenticate_token(raw: str) -> ApiToken | None:
    """The active token with this value, its last use recorded; None if unknown, expired or revoked."""
    token = ApiToken.objects.select_related("user").filter(token_hash=secret_digest(raw)).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    # One write per minute at most: a busy client must not turn every read into an UPDATE.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke_token(*, token: ApiToken, actor: AbstractBaseUser) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        AuditEvent.record("token.revoked", actor=actor, token_id=token.pk)
