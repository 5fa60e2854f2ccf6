"""Webhook endpoints of a publisher, and the log of every delivery made to them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

# The events an endpoint can subscribe to, with the words the portal shows for each.
EVENTS: dict[str, str] = {
    "version.published": "A version was published",
    "evaluation.finished": "An evaluation of a version finished",
    "compliance.finding": "A compliance check found warnings or errors",
    "signature.reissued": "A version's signature was re-issued",
    "tamper.detected": "A published version's stored bytes failed their integrity check",
}


class WebhookEndpoint(models.Model):
    publisher = models.ForeignKey(
        "registry.Publisher", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="Event names this endpoint receives.")
    # Kept readable, not hashed: every delivery is signed with it (HMAC needs the key itself).
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["publisher", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.publisher} → {self.url}"

    def receives(self, event: str) -> bool:
        return self.is_active and event in self.events


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=64)
    event_id = models.UUIDField(default=uuid.uuid4, db_index=True, help_text="The same on every replay.")
    # The exact bytes sent (signed at each attempt with that attempt's timestamp).
    body = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The first 2 KiB of the last response.")
    error = models.CharField(max_length=1000, blank=True)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint.url} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status != self.Status.PENDING
