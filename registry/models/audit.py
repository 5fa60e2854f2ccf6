"""Append-only audit trail of security- and publication-relevant actions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=64, db_index=True)
    repository = models.ForeignKey(
        "registry.ModelRepository",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    version = models.ForeignKey(
        "registry.Version", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action}"

    @classmethod
    def record(cls, action: str, *, actor=None, repository=None, version=None, **data: Any) -> AuditEvent:
        if actor is not None and not getattr(actor, "is_authenticated", False):
            actor = None
        if version is not None and repository is None:
            repository = version.repository
        return cls.objects.create(
            action=action, actor=actor, repository=repository, version=version, data=data
        )
