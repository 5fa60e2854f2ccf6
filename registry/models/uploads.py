"""Upload sessions (one S3 multipart upload each) and organisation invitations."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from .publishers import Membership, Publisher
from .repositories import ModelRepository
from .versions import Version


def _secret() -> str:
    """A random token; the default of fields in migrations 0001-0008 (kept for them to load)."""
    return secrets.token_urlsafe(24)


class UploadSession(models.Model):
    """One file on its way to storage through presigned multipart part URLs.

    The browser portal uploads to `uploads/<id>` (the sha256 is only known once the server has
    hashed the stored bytes); Hub clients declare the sha256 first, so their bytes go straight to
    the content address. Their completion call carries no credentials but a secret in its URL, of
    which only the sha256 is kept (`secret_hash`); portal sessions complete through the logged-in
    portal and have none.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"
        ABORTED = "aborted", "Aborted"

    repository = models.ForeignKey(ModelRepository, on_delete=models.CASCADE, related_name="upload_sessions")
    draft = models.ForeignKey(
        Version, null=True, blank=True, on_delete=models.CASCADE, related_name="upload_sessions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upload_sessions"
    )
    path = models.CharField(max_length=1000, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(
        max_length=64, blank=True, help_text="Declared by Hub clients; found by hashing for the portal."
    )
    storage_key = models.CharField(max_length=300)
    upload_id = models.CharField(max_length=300)
    part_size = models.PositiveBigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    secret_hash = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"upload {self.pk} of {self.path or self.sha256} ({self.status})"

    @property
    def part_count(self) -> int:
        return max(1, -(-self.size // self.part_size))


class Invitation(models.Model):
    """An invitation to join an organisation with a role; accepted by whoever holds the link.

    Only the token's sha256 is stored: the token itself is in the e-mailed link (and on the
    instance `accounts.invite` returns, as `token`), so reading the database does not let anyone
    join an organisation."""

    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Membership.Role.choices, default=Membership.Role.READER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.publisher} as {self.role}"


class EmailVerification(models.Model):
    """A user's address, confirmed by the link mailed at sign-up (console backend in development)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_verification"
    )
    email = models.EmailField()
    verified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.email} ({'verified' if self.verified_at else 'unverified'})"
