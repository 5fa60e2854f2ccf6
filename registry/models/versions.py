"""Versions (commits), the refs pointing at them, and their files. Published means immutable."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from registry.errors import ImmutableVersion

from .blobs import Blob
from .repositories import ModelRepository


class VersionQuerySet(models.QuerySet["Version"]):
    def published(self) -> VersionQuerySet:
        return self.filter(status=Version.Status.PUBLISHED)


class Version(models.Model):
    """One commit of a repository: a complete snapshot of its files."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        VERIFYING = "verifying", "Verifying"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"

    # Fields that may still change after publication; everything else is frozen.
    MUTABLE_AFTER_PUBLISH = frozenset(
        {"is_yanked", "yank_reason", "downloads", "compromised_at", "compromise_reason"}
    )

    repository = models.ForeignKey(ModelRepository, on_delete=models.CASCADE, related_name="versions")
    commit_id = models.CharField(max_length=40, unique=True, null=True, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    failure_reason = models.TextField(blank=True)
    message = models.CharField(max_length=500, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    target_branch = models.CharField(max_length=200, default="main")
    total_size = models.PositiveBigIntegerField(default=0)
    parameter_count = models.PositiveBigIntegerField(null=True, blank=True)
    parameters_by_dtype = models.JSONField(default=dict, blank=True)
    # Bytes the weights need in memory, as stored and at bf16/int8/int4 (registry/formats/footprint.py),
    # computed from the safetensors headers at ingest; {} for a version without weights.
    memory_footprint = models.JSONField(default=dict, blank=True)
    license = models.CharField(max_length=64, blank=True)
    is_yanked = models.BooleanField(default=False)
    yank_reason = models.CharField(max_length=500, blank=True)
    downloads = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Signing (registry/services/signing.py): the publisher key whose signature verified at upload.
    publisher_key = models.ForeignKey(
        "registry.PublisherKey", null=True, blank=True, on_delete=models.PROTECT, related_name="versions"
    )
    # Set by the integrity scrub when a stored blob no longer matches its digest; blocks pulls.
    compromised_at = models.DateTimeField(null=True, blank=True)
    compromise_reason = models.TextField(blank=True)

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(commit_id__isnull=True) | models.Q(commit_id__regex=r"^[0-9a-f]{40}$"),
                name="version_commit_id_hex40",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="published")
                | models.Q(commit_id__isnull=False, published_at__isnull=False),
                name="published_version_has_commit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}@{self.commit_id or f'draft-{self.pk}'}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).first()
            if stored is not None and stored.is_published:
                changed = {
                    f.attname
                    for f in self._meta.concrete_fields
                    if getattr(stored, f.attname) != getattr(self, f.attname)
                }
                frozen = changed - self.MUTABLE_AFTER_PUBLISH
                if frozen:
                    raise ImmutableVersion(
                        f"{stored} is published; cannot change {', '.join(sorted(frozen))}."
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_published:
            raise ImmutableVersion(f"{self} is published and cannot be deleted; yank it instead.")
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_compromised(self) -> bool:
        """A stored file no longer matches its published digest: pulls must be refused."""
        return self.compromised_at is not None

    @property
    def is_signed_by_publisher(self) -> bool:
        return self.publisher_key_id is not None


class Ref(models.Model):
    """A branch or tag name pointing at a published version."""

    class Kind(models.TextChoices):
        BRANCH = "branch", "Branch"
        TAG = "tag", "Tag"

    repository = models.ForeignKey(ModelRepository, on_delete=models.CASCADE, related_name="refs")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.BRANCH)
    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="refs")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["repository", "name"], name="unique_ref_name")]

    def __str__(self) -> str:
        return f"{self.repository_id}:{self.name}"


class VersionFile(models.Model):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=1000)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="files")
    git_oid = models.CharField(
        max_length=40,
        blank=True,
        help_text="Git blob sha1 (of the LFS pointer for LFS files), as Hub clients expect.",
    )
    is_lfs = models.BooleanField(default=False)
    downloads = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["version", "path"], name="unique_path_per_version")]

    def __str__(self) -> str:
        return self.path

    def save(self, *args, **kwargs) -> None:
        only_counters = kwargs.get("update_fields") is not None and set(kwargs["update_fields"]) <= {
            "downloads"
        }
        if not only_counters and self._version_is_published():
            raise ImmutableVersion(f"{self.version} is published; its files cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._version_is_published():
            raise ImmutableVersion(f"{self.version} is published; its files cannot be removed.")
        return super().delete(*args, **kwargs)

    def _version_is_published(self) -> bool:
        return Version.objects.filter(pk=self.version_id, status=Version.Status.PUBLISHED).exists()
