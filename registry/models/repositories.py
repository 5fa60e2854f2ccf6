"""Model repositories (`namespace/name`) and the queryset that decides who sees them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from .publishers import Membership, Publisher, name_validator

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Industry(models.TextChoices):
    RETAIL = "retail", "Retail"
    FINANCE = "finance", "Finance"
    HEALTHCARE = "healthcare", "Healthcare"
    GENERAL = "general", "General"


class RepositoryQuerySet(models.QuerySet["ModelRepository"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> RepositoryQuerySet:
        """Public repositories, plus private ones of the user's publishers. Gating is not
        visibility: a gated repository is listed, its files answer 403 until access is granted."""
        public = models.Q(visibility=ModelRepository.Visibility.PUBLIC)
        if user is None or not user.is_authenticated:
            return self.filter(public)
        if user.is_superuser:
            return self.all()
        # A subquery rather than a join: no duplicate rows, so listings need no DISTINCT.
        member_of = Membership.objects.filter(user=user).values("publisher_id")
        return self.filter(public | models.Q(namespace_id__in=member_of))


class ModelRepository(models.Model):
    class Kind(models.TextChoices):
        HOSTED = "hosted", "Weights hosted here"
        EXTERNAL = "external", "External listing (API only, no weights here)"

    class Relation(models.TextChoices):
        """How a model derives from its `base_model`: the Hub's `base_model_relation` values, plus
        `distilled`, which regulated buyers ask about separately from fine-tunes."""

        QUANTIZED = "quantized", "Quantized"
        DISTILLED = "distilled", "Distilled"
        FINETUNE = "finetune", "Fine-tuned"
        ADAPTER = "adapter", "Adapter"
        MERGE = "merge", "Merged"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        PRIVATE = "private", "Private"

    class Gating(models.TextChoices):
        NONE = "none", "Not gated"
        AUTOMATIC = "auto", "Gated, automatic approval"
        MANUAL = "manual", "Gated, manual approval"

    namespace = models.ForeignKey(Publisher, on_delete=models.PROTECT, related_name="repositories")
    name = models.CharField(max_length=96, validators=[name_validator])
    industry = models.CharField(max_length=32, choices=Industry.choices, default=Industry.GENERAL)
    task = models.CharField(max_length=64, blank=True, help_text="Hub pipeline tag, e.g. text-generation.")
    tags = models.JSONField(default=list, blank=True)
    license = models.CharField(max_length=64, blank=True, help_text="SPDX id or a known model license.")
    description = models.TextField(blank=True)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC)
    gating = models.CharField(max_length=8, choices=Gating.choices, default=Gating.NONE)
    gating_terms = models.TextField(blank=True, help_text="License terms a user accepts for access.")
    downloads = models.PositiveBigIntegerField(default=0)
    # Families: the default branch's card `base_model` (its first entry) and relation, copied at
    # publication so that a base model's variants are one indexed lookup away.
    base_model = models.CharField(max_length=200, blank=True, db_index=True)
    base_model_relation = models.CharField(max_length=16, choices=Relation.choices, blank=True)
    # External listings: models reachable only through their provider's API; no file is served.
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.HOSTED)
    external_provider = models.CharField(max_length=120, blank=True)
    external_url = models.URLField(blank=True, help_text="Where the provider documents its API.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RepositoryQuerySet.as_manager()

    class Meta:
        ordering = ["namespace__slug", "name"]
        verbose_name_plural = "model repositories"
        constraints = [
            models.UniqueConstraint(fields=["namespace", "name"], name="unique_repository_id"),
        ]
        indexes = [models.Index(fields=["industry", "-updated_at"]), models.Index(fields=["-downloads"])]

    def __str__(self) -> str:
        return self.repo_id

    @property
    def repo_id(self) -> str:
        return f"{self.namespace.slug}/{self.name}"

    @property
    def is_private(self) -> bool:
        return self.visibility == self.Visibility.PRIVATE

    @property
    def is_gated(self) -> bool:
        return self.gating != self.Gating.NONE

    @property
    def is_external(self) -> bool:
        return self.kind == self.Kind.EXTERNAL
