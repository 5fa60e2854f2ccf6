"""Signing keys (the registry's and publishers') and the signatures made with them.

Only public keys live here: the registry's private key stays in a file the signer reads
(settings.REGISTRY_SIGNING_KEY_PATH). A key is known everywhere by its *hint*: the sha256 of
its PEM SubjectPublicKeyInfo, which model-signing writes into every bundle.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .publishers import Publisher
from .versions import Version

HINT_CONSTRAINT = models.Q(hint__regex=r"^[0-9a-f]{64}$")


class SigningKey(models.Model):
    """A registry key pair's public half, published forever, with the period it signed in."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending (published, not signing yet)"
        ACTIVE = "active", "Active (signs new versions)"
        RETIRED = "retired", "Retired (its signatures stay valid)"
        REVOKED = "revoked", "Revoked (its signatures must be refused)"

    hint = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=32)
    public_key_pem = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    not_before = models.DateTimeField(null=True, blank=True, help_text="When it started signing.")
    not_after = models.DateTimeField(null=True, blank=True, help_text="When it stopped signing.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=HINT_CONSTRAINT, name="signing_key_hint_hex"),
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="one_active_signing_key"
            ),
        ]

    def __str__(self) -> str:
        return f"registry key {self.hint[:12]} ({self.status})"


class PublisherKey(models.Model):
    """A public key a publisher signs its uploads with (model-signing key mode, EC)."""

    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="signing_keys")
    name = models.CharField(max_length=100, blank=True)
    hint = models.CharField(max_length=64)
    algorithm = models.CharField(max_length=32)
    public_key_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["publisher", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=HINT_CONSTRAINT, name="publisher_key_hint_hex"),
            models.UniqueConstraint(fields=["publisher", "hint"], name="unique_publisher_key"),
        ]

    def __str__(self) -> str:
        return f"{self.publisher} key {self.name or self.hint[:12]}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class VersionSignature(models.Model):
    """One model-signing bundle over a version's files: the registry's or the publisher's.

    The registry's current bundle is also the version's `model.sig` file. A re-issued signature
    (after a key compromise) supersedes the old row, which is kept, never deleted.
    """

    class Kind(models.TextChoices):
        REGISTRY = "registry", "Signed by the registry"
        PUBLISHER = "publisher", "Signed by the publisher"

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="signatures")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    registry_key = models.ForeignKey(
        SigningKey, null=True, blank=True, on_delete=models.PROTECT, related_name="signatures"
    )
    publisher_key = models.ForeignKey(
        PublisherKey, null=True, blank=True, on_delete=models.PROTECT, related_name="signatures"
    )
    key_hint = models.CharField(max_length=64)
    bundle = models.TextField(help_text="The exact bundle JSON, as served.")
    bundle_sha256 = models.CharField(max_length=64)
    root_digest = models.CharField(
        max_length=64, help_text="sha256 over the per-file digests: a content id of the signed files."
    )
    subject_name = models.CharField(max_length=300)
    file_count = models.PositiveIntegerField()
    signed_at = models.DateTimeField()
    is_current = models.BooleanField(default=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "kind", "-signed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "kind"],
                condition=models.Q(is_current=True),
                name="one_current_signature_per_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="registry", registry_key__isnull=False, publisher_key__isnull=True)
                | models.Q(kind="publisher", publisher_key__isnull=False, registry_key__isnull=True),
                name="signature_key_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        state = "current" if self.is_current else "superseded"
        return f"{self.kind} signature of {self.version} by {self.key_hint[:12]} ({state})"
