"""Security-relevant audit events: a view (proxy, no table of its own) over registry.AuditEvent."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from registry.models import AuditEvent

# Action names, or prefixes ending in ".", that concern who may do what. Services record them
# (registry/services/*.py, bundles, webhooks); sign-ins come from audit/signals.py.
SECURITY_ACTIONS = (
    "login.",  # succeeded, failed
    "logout",
    "user.",  # signed_up, email_verified
    "token.",  # created, revoked
    "member.",  # invited, joined, role_changed, removed
    "publisher.created",
    "repository.",  # created, updated (visibility, gating)
    "access.",  # requested, decided (gated models)
    "version.yanked",
    "version.exported",
    "version.imported",  # from a bundle
    "signing_key.",  # published, revoked, trusted
    "publisher_key.",
    "signature.",
    "webhook.",
    "blob.corrupted",  # the integrity scrub
    "version.compromised",
)


def security_filter() -> Q:
    condition = Q(pk__in=[])
    for action in SECURITY_ACTIONS:
        condition |= Q(action__startswith=action) if action.endswith(".") else Q(action=action)
    return condition


class SecurityEventManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(security_filter())


class SecurityEvent(AuditEvent):
    objects = SecurityEventManager()

    class Meta:
        proxy = True
        verbose_name = "security event"
        ordering = ["-created_at", "-id"]
