"""Sign-ins, failed sign-ins and sign-outs, from Django's auth signals (site, admin and portal)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from registry.models import AuditEvent


def _client(request) -> dict[str, str]:
    if request is None:
        return {}
    return {
        "ip": request.META.get("REMOTE_ADDR", ""),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
    }


@receiver(user_logged_in, dispatch_uid="audit-login-succeeded")
def login_succeeded(sender, request, user, **kwargs) -> None:
    AuditEvent.record("login.succeeded", actor=user, username=user.get_username(), **_client(request))


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked the password in `credentials`; only the name tried is kept.
    username = str(credentials.get("username", ""))[:150]
    AuditEvent.record("login.failed", username=username, **_client(request))


@receiver(user_logged_out, dispatch_uid="audit-logout")
def logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        AuditEvent.record("logout", actor=user, username=user.get_username(), **_client(request))
