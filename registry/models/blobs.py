"""Content-addressed blobs: one stored object per sha256, whatever references it."""

from django.db import models


class Blob(models.Model):
    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.PositiveBigIntegerField()
    storage_key = models.CharField(max_length=200, unique=True)
    git_sha1 = models.CharField(
        max_length=40, blank=True, help_text="Git blob sha1 of the content; computed for small files only."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the server last recomputed the sha256 from the stored bytes."
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"), name="blob_sha256_hex"
            ),
        ]

    def __str__(self) -> str:
        return f"sha256:{self.sha256[:12]} ({self.size} bytes)"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None
