"""License and compliance checks of versions: computed at ingest, stored, shown and reported.

The rule: a public version whose card declares no license, or a license the registry does not
know, is refused at ingest (LicenseRefused, a 422 naming the value); a private one gets a warning
finding instead. Everything else the checks find (lineage conflicts, inconsistent compliance
claims) is stored as findings on a `ComplianceCheck` row and shown, never refused.

Pages and APIs call `summary`, `lineage_chain` and `compliance_report`; ingest calls `check_draft`.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from registry.compliance import assessment, lineage, schema
from registry.compliance.assessment import Assessment
from registry.errors import LicenseRefused
from registry.formats.cards import ParsedCard
from registry.models import ComplianceCheck, ModelCard, ModelRepository, Ref, Version, VersionSignature
from registry.signing.base import SIGNATURE_PATH, SignedManifest
from registry.webhooks import events as webhook_events

REPORT_SCHEMA = "slm-registry/compliance-report/v1"
NO_EVALUATIONS = "No evaluation has finished for this version yet."

ComplianceResult = Assessment  # the name the API and page code use


def check_draft(*, version: Version, card: ParsedCard | None) -> ComplianceCheck:
    """The ingest step: assess the draft's card, store the check, refuse a public version without a
    known license. Raises InvalidModelCard for compliance answers of the wrong type."""
    repository = ModelRepository.objects.select_related("namespace").get(pk=version.repository_id)
    result = _assess(repository, card.metadata if card is not None else None)
    check = _store(version, result)
    if result.errors:
        raise LicenseRefused("; ".join(f.message for f in result.errors), path="README.md")
    return check


def require_publishable(*, repository: ModelRepository) -> None:
    """Before a repository becomes public: its default branch must pass what ingest asks of a
    public version (a known license, above all). `repository` carries the new visibility."""
    head = Ref.objects.filter(repository=repository, name="main").values_list("version_id", flat=True).first()
    if head is None:
        return
    card = ModelCard.objects.filter(version_id=head).first()
    result = _assess(repository, card.metadata if card is not None else None)
    if result.errors:
        raise LicenseRefused(
            f"{repository.repo_id} cannot be made public: " + "; ".join(f.message for f in result.errors),
            path="README.md",
        )


def check_version(*, version: Version) -> ComplianceResult:
    """Assess a version as it stands now (its stored card, the registry's current parents); no writes."""
    repository = ModelRepository.objects.select_related("namespace").get(pk=version.repository_id)
    card = ModelCard.objects.filter(version=version).first()
    return _assess(repository, card.metadata if card is not None else None)


def refresh_check(*, version: Version) -> ComplianceCheck:
    """Re-run the checks of a stored version (new rules, a parent's license changed) and store them.
    Never refuses: a published version stays published; its findings change."""
    return _store(version, check_version(version=version))


def get_check(*, version: Version) -> ComplianceCheck | None:
    return ComplianceCheck.objects.filter(version=version).first()


def summary(*, version: Version) -> dict[str, Any] | None:
    """What the API model detail and the model page show: license, score, findings, lineage.
    None for a version published before the checks existed (`manage.py check_compliance`)."""
    check = get_check(version=version)
    if check is None:
        return None
    return {
        "license": check.license,
        "completeness": check.completeness,
        "counts": {"error": check.error_count, "warning": check.warning_count, "info": check.info_count},
        "has_lineage_conflict": check.has_lineage_conflict,
        "lineage": check.lineage,
        "findings": check.findings,
        "missing": check.missing,
        "rules_version": check.rules_version,
        "checked_at": check.checked_at.isoformat(),
    }


def findings_for_version(*, version: Version) -> list[dict[str, Any]]:
    """The stored findings of a version (computed now if it was never checked), most severe first."""
    check = get_check(version=version)
    if check is not None:
        return list(check.findings)
    return [f.to_dict() for f in check_version(version=version).findings]


def questionnaire() -> list[dict[str, Any]]:
    """The compliance questionnaire, field by field, for the upload portal's form."""
    return [f.to_dict() for f in schema.FIELDS]


def lineage_chain(*, version: Version) -> list[dict[str, Any]]:
    """The ancestors of a version, nearest first, each with its license and compatibility status
    (`compatible`, `incompatible`, `unknown`) and the reason; for the model page."""
    check = get_check(version=version)
    if check is not None:
        return list(check.lineage)
    return check_version(version=version).lineage.to_list()


def compliance_report(*, version: Version) -> dict[str, Any]:
    """Everything an auditor asks about one published version, as one JSON-ready document: the
    card, license and lineage, compliance answers and findings, evaluation results, the registry's
    signature (bundle and public key) and the sha256 of every file. `content_digest` is computed the
    way the signature's subject digest is, so the two can be compared without the files."""
    repository = version.repository
    check = get_check(version=version)
    checked = _check_dict(check) if check is not None else _result_dict(check_version(version=version))
    card = ModelCard.objects.filter(version=version).first()
    files = [
        {"path": f.path, "size": f.size, "sha256": f.sha256, "git_oid": f.git_oid, "is_lfs": f.is_lfs}
        for f in version.files.order_by("path")
    ]
    content = SignedManifest(
        name=f"{repository.repo_id}@{version.commit_id}",
        sha256_by_path={f["path"]: f["sha256"] for f in files},
    )
    evaluations = _evaluations(version)
    return {
        "schema": REPORT_SCHEMA,
        "generated_at": timezone.now().isoformat(),
        "model": {
            "id": repository.repo_id,
            "industry": repository.industry,
            "task": repository.task,
            "visibility": repository.visibility,
            "gating": repository.gating,
            "publisher": repository.namespace.display_name or repository.namespace.slug,
        },
        "version": {
            "commit_id": version.commit_id,
            "parent_commit_id": version.parent.commit_id if version.parent_id else None,
            "message": version.message,
            "published_at": version.published_at.isoformat() if version.published_at else None,
            "refs": sorted(version.refs.values_list("name", flat=True)),
            "total_size": version.total_size,
            "parameter_count": version.parameter_count,
            "parameters_by_dtype": version.parameters_by_dtype,
            "is_yanked": version.is_yanked,
        },
        "card": {"metadata": card.metadata, "body": card.body} if card is not None else None,
        **checked,
        "evaluations": evaluations,
        "evaluations_note": "" if evaluations else NO_EVALUATIONS,
        "signatures": _signatures(version),
        "content_digest": content.root_digest(),
        "files": files,
    }


def _evaluations(version: Version) -> list[dict[str, Any]]:
    """The current result of each evaluator with its metrics and evidence (data digest, seed,
    hardware, library versions): what the auditor needs to reproduce it."""
    try:
        from evaluators import selectors as evaluation  # the evaluators app is optional
    except ImportError:
        return []
    return [
        {
            "evaluator": run.evaluator,
            "evaluator_version": run.evaluator_version,
            "status": run.status,
            "reason": run.reason,
            "badge": {"label": run.badge_label, "message": run.badge_message, "level": run.badge_level},
            "headline_score": run.headline_score,
            "metrics": [
                {"key": m.key, "value": m.value, "unit": m.unit, "higher_is_better": m.higher_is_better}
                for m in run.metrics.all()
            ],
            "suite": run.suite,
            "dataset_digest": run.dataset_digest,
            "seed": run.seed,
            "thresholds": run.thresholds,
            "evidence": run.evidence,
            "evidence_url": evaluation.evidence_path(version, run.evaluator),
            "hardware": run.hardware,
            "library_versions": run.library_versions,
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        }
        for run in evaluation.current_runs(version)
    ]


def _check_dict(check: ComplianceCheck) -> dict[str, Any]:
    return {
        "license": check.license,
        "lineage": check.lineage,
        "compliance": {
            "answers": check.answers,
            "completeness": check.completeness,
            "missing": check.missing,
            "rules_version": check.rules_version,
            "checked_at": check.checked_at.isoformat(),
        },
        "findings": check.findings,
    }


def _result_dict(result: Assessment) -> dict[str, Any]:
    data = result.to_dict()
    return {
        "license": data["license"],
        "lineage": data["lineage"],
        "compliance": {
            "answers": data["answers"],
            "completeness": data["completeness"],
            "missing": data["missing"],
            "rules_version": data["rules_version"],
            "checked_at": timezone.now().isoformat(),
        },
        "findings": data["findings"],
    }


def _signatures(version: Version) -> list[dict[str, Any]]:
    """The current signatures (the registry's `model.sig`, a publisher's), each with its bundle and
    the public key that verifies it."""
    rows = VersionSignature.objects.filter(version=version, is_current=True).select_related(
        "registry_key", "publisher_key"
    )
    signatures = []
    for row in rows:
        key = row.registry_key or row.publisher_key
        signatures.append(
            {
                "kind": row.kind,
                "path": SIGNATURE_PATH if row.kind == VersionSignature.Kind.REGISTRY else None,
                "key_hint": row.key_hint,
                "key_algorithm": key.algorithm,
                "key_status": getattr(
                    key, "status", "revoked" if getattr(key, "revoked_at", None) else "registered"
                ),
                "public_key_pem": key.public_key_pem,
                "subject": row.subject_name,
                "root_digest": row.root_digest,
                "file_count": row.file_count,
                "signed_at": row.signed_at.isoformat(),
                "bundle_sha256": row.bundle_sha256,
                "bundle": json.loads(row.bundle),
            }
        )
    return signatures


# --- internals -----------------------------------------------------------------------------------


def _assess(repository: ModelRepository, metadata: dict[str, Any] | None) -> Assessment:
    return assessment.assess(
        model_id=repository.repo_id,
        industry=repository.industry,
        is_public=repository.visibility == ModelRepository.Visibility.PUBLIC,
        metadata=metadata,
        lookup=_registry_lookup(repository),
    )


def _registry_lookup(repository: ModelRepository) -> lineage.Lookup:
    """Parents among the public repositories and the publisher's own: a private repository of
    someone else stays invisible, even as an ancestor."""

    def lookup(model_id: str) -> lineage.Parent | None:
        namespace, _, name = model_id.partition("/")
        if not name:
            return None
        parent = (
            ModelRepository.objects.filter(namespace__slug=namespace, name=name)
            .filter(Q(visibility=ModelRepository.Visibility.PUBLIC) | Q(namespace_id=repository.namespace_id))
            .select_related("namespace")
            .first()
        )
        head = _head(parent) if parent is not None else None
        if head is None:
            return None
        card = ModelCard.objects.filter(version=head).first()
        metadata = card.metadata if card is not None else {}
        return lineage.Parent(
            model_id=parent.repo_id,
            commit_id=head.commit_id or "",
            license=str(metadata.get("license") or head.license or ""),
            license_name=str(metadata.get("license_name") or ""),
            license_link=str(metadata.get("license_link") or ""),
            base_models=tuple(lineage.base_models(metadata)),
        )

    return lookup


def _head(repository: ModelRepository) -> Version | None:
    """The version a parent name means: its main branch, else its latest published version."""
    ref = Ref.objects.filter(repository=repository, name="main").select_related("version").first()
    if ref is not None:
        return ref.version
    return Version.objects.published().filter(repository=repository).order_by("-published_at").first()


@transaction.atomic
def _store(version: Version, result: Assessment) -> ComplianceCheck:
    entry = result.license.license
    data = result.to_dict()
    check, _ = ComplianceCheck.objects.update_or_create(
        version=version,
        defaults={
            "license_id": entry.id if entry else "",
            "license_known": entry is not None,
            "completeness": result.completeness,
            "error_count": data["counts"]["error"],
            "warning_count": data["counts"]["warning"],
            "info_count": data["counts"]["info"],
            "has_lineage_conflict": result.has_lineage_conflict,
            "license": data["license"],
            "lineage": data["lineage"],
            "answers": data["answers"],
            "missing": data["missing"],
            "findings": data["findings"],
            "rules_version": data["rules_version"],
        },
    )
    if check.error_count or check.warning_count:
        webhook_events.emit_for_version("compliance.finding", version, findings=data["findings"])
    return check
