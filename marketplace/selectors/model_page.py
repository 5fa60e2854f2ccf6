"""What the model page, the compare page and the publisher page read about repositories.

The repository itself always comes through `registry.services.access.access_repository` (the one
gate): these functions take a repository the caller was allowed to see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F

from registry import selectors as registry_selectors
from registry.models import (
    AccessGrant,
    ComplianceRecord,
    Membership,
    ModelCard,
    ModelRepository,
    Publisher,
    Version,
)
from registry.services import access
from registry.services.repositories import resolve_revision

from . import evidence
from .catalog import ROW_FIELDS, SIZE_LABELS, Row, as_rows, catalog_rows, size_class_of
from .family import Family, family_of

# Card metadata keys, as the Hub writes them, for the fields a gated repository asks for.
GATED_FIELDS_KEY = "extra_gated_fields"
DEFAULT_GATED_FIELDS = {"Company": "text", "Intended use": "text"}
MAX_GATED_FIELDS = 12


@dataclass
class ModelPage:
    repository: ModelRepository
    version: Version
    revision: str
    files: list[dict[str, Any]]
    card: dict[str, Any] | None
    compliance: ComplianceRecord | None
    refs: list[dict[str, Any]]
    versions: list[dict[str, Any]]
    role: str | None
    grant: AccessGrant | None
    has_file_access: bool
    badges: list[evidence.Badge] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] | None = None
    pending_requests: int = 0
    family: Family | None = None
    family_pick_score: float | None = None  # "the smallest variant scoring at least this"

    @property
    def signature_file(self) -> dict[str, Any] | None:
        return next((f for f in self.files if f["path"] == evidence.SIGNATURE_PATH), None)

    @property
    def can_manage_access(self) -> bool:
        return self.role in access.WRITE_ROLES

    @property
    def size_label(self) -> str:
        return SIZE_LABELS[size_class_of(self.version.parameter_count)]


def model_page(*, repository: ModelRepository, user, revision: str = "main") -> ModelPage:
    """Everything the model page shows about one revision; a fixed number of queries whatever the
    number of files, versions or refs."""
    version = resolve_revision(repository=repository, revision=revision)
    version.repository = repository  # already loaded, with its namespace: saves two queries later
    role = access.role_of(user, repository)
    grant = None
    if repository.is_gated and user is not None and user.is_authenticated:
        grant = AccessGrant.objects.filter(repository=repository, user=user).first()
    page = ModelPage(
        repository=repository,
        version=version,
        revision=revision,
        files=registry_selectors.version_files(version.pk),
        card=registry_selectors.card_of(version.pk),
        compliance=ComplianceRecord.objects.filter(version=version).first(),
        refs=registry_selectors.repository_refs(repository),
        versions=registry_selectors.list_versions(repository, limit=50),
        role=role,
        grant=grant,
        has_file_access=not repository.is_gated
        or role is not None
        or (grant is not None and grant.status == AccessGrant.Status.APPROVED),
    )
    evidence.read_evaluations_once(version)
    page.badges = evidence.evaluation_badges(version)
    page.metrics = evidence.evaluation_metrics(version)
    page.findings = evidence.compliance_findings(version)
    page.family = family_of(repository=repository, user=user)
    if repository.is_external and not page.metrics and page.card:
        page.metrics = recorded_metrics(page.card["metadata"])
    if page.can_manage_access and repository.is_gated:
        page.pending_requests = AccessGrant.objects.filter(
            repository=repository, status=AccessGrant.Status.PENDING
        ).count()
    return page


def recorded_metrics(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """An external listing's results as its card's `model-index` records them (the operator's
    figures, not measured here), in the rows the evaluation panel shows."""
    rows = []
    for entry in metadata.get("model-index") or []:
        for result in (entry.get("results") or []) if isinstance(entry, dict) else []:
            task, dataset = result.get("task") or {}, result.get("dataset") or {}
            for metric in result.get("metrics") or []:
                rows.append(
                    {
                        "task": task.get("name") or task.get("type", ""),
                        "dataset": dataset.get("name") or dataset.get("type", ""),
                        "name": metric.get("name") or metric.get("type", ""),
                        "value": metric.get("value"),
                        "verified": False,
                    }
                )
    return rows


def gated_fields(repository: ModelRepository) -> dict[str, Any]:
    """The fields a gated repository asks for: the card's `extra_gated_fields` (Hub convention) of
    its default branch, else company and intended use."""
    metadata = (
        ModelCard.objects.filter(version__refs__repository=repository, version__refs__name="main")
        .values_list("metadata", flat=True)
        .first()
    )
    declared = (metadata or {}).get(GATED_FIELDS_KEY)
    if isinstance(declared, dict) and declared:
        return dict(list(declared.items())[:MAX_GATED_FIELDS])
    return dict(DEFAULT_GATED_FIELDS)


def access_requests(repository: ModelRepository) -> list[AccessGrant]:
    return list(
        AccessGrant.objects.filter(repository=repository)
        .select_related("user", "decided_by")
        .order_by(
            # pending first, then the most recent decisions
            F("decided_at").desc(nulls_first=True),
            "-created_at",
        )
    )


# --- compare -------------------------------------------------------------------------------------


# Extra columns of the default branch's version: annotations reuse catalog_rows' join on the branch.
COMPARE_COLUMNS = {
    "commit_id": F("refs__version__commit_id"),
    "eu_ai_act_risk": F("refs__version__compliance__eu_ai_act_risk"),
    "contains_phi": F("refs__version__compliance__contains_phi"),
    "contains_pii": F("refs__version__compliance__contains_pii"),
}


def compare_rows(*, user, repositories: list[ModelRepository]) -> list[dict[str, Any]]:
    """Side-by-side facts of repositories the caller may see, in the order given; one query, plus
    the evaluation provider's per version."""
    rows = {
        row["pk"]: Row(row)
        for row in catalog_rows(user)
        .filter(pk__in=[r.pk for r in repositories])
        .annotate(**COMPARE_COLUMNS)
        .values(*ROW_FIELDS, "version_id", *COMPARE_COLUMNS)
    }
    ordered = [rows[r.pk] for r in repositories if r.pk in rows]
    versions = Version.objects.in_bulk([row["version_id"] for row in ordered])
    for row in ordered:
        version = versions[row["version_id"]]
        row["metrics"] = {
            f"{m['dataset'] or m['task']} · {m['name']}".strip(" ·"): m["value"]
            for m in evidence.evaluation_metrics(version)
        }
        row["size_label"] = SIZE_LABELS.get(row["size_class"], row["size_class"])
    return ordered


# --- publisher -----------------------------------------------------------------------------------


def publisher_models(*, user, publisher: Publisher) -> list[dict[str, Any]]:
    return as_rows(
        catalog_rows(user)
        .filter(namespace=publisher)
        .values(
            "pk",
            "name",
            "industry",
            "task",
            "license",
            "downloads",
            "gating",
            "visibility",
            "parameter_count",
            "is_signed",
            "namespace_slug",
            "last_modified",
        )
        .order_by("-downloads", "name")
    )


def pending_requests_by_repository(*, user, publisher: Publisher) -> list[dict[str, Any]]:
    """For an owner or maintainer of `publisher`: its gated repositories with pending requests."""
    if user is None or not user.is_authenticated:
        return []
    if (
        not user.is_superuser
        and not Membership.objects.filter(
            publisher=publisher, user=user, role__in=access.WRITE_ROLES
        ).exists()
    ):
        return []
    return list(
        AccessGrant.objects.filter(repository__namespace=publisher, status=AccessGrant.Status.PENDING)
        .values("repository__name")
        .annotate(pending=Count("pk"))
        .order_by("repository__name")
    )
