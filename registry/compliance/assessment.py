"""One version's assessment: its license resolved, its lineage checked, its answers scored and ruled on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import licenses, lineage, rules, schema
from .findings import Finding, Severity, sort_findings

RULES_VERSION = "2025.1"  # bump when rules change, so stored checks can be told apart and refreshed

MISSING_CARD = "the version has no model card (README.md); a public model must declare its license there"


@dataclass(frozen=True)
class Assessment:
    license: licenses.Resolution
    answers: schema.Answers
    lineage: lineage.Lineage
    findings: list[Finding]
    completeness: int
    answered: list[str]
    missing: list[str]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    @property
    def has_lineage_conflict(self) -> bool:
        return any(link.status == lineage.INCOMPATIBLE for link in self.lineage.links)

    def license_dict(self) -> dict[str, Any]:
        entry = self.license.license
        return {
            "declared": self.license.declared,
            "known": entry is not None,
            "problem": self.license.problem,
            "suggestions": list(self.license.suggestions),
            **({"license": entry.to_dict()} if entry else {"license": None}),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules_version": RULES_VERSION,
            "license": self.license_dict(),
            "lineage": self.lineage.to_list(),
            "has_lineage_conflict": self.has_lineage_conflict,
            "answers": dict(self.answers.values),
            "completeness": self.completeness,
            "answered": self.answered,
            "missing": self.missing,
            "findings": [f.to_dict() for f in self.findings],
            "counts": {str(s): self.count(s) for s in Severity},
        }


def assess(
    *,
    model_id: str,
    industry: str,
    is_public: bool,
    metadata: dict[str, Any] | None,
    lookup: lineage.Lookup,
) -> Assessment:
    """Assess a card's metadata (None: the version has no card). Raises InvalidModelCard for answers
    of the wrong type; a missing or unknown license is an ERROR finding for a public model."""
    card = metadata or {}
    answers = schema.normalize(card.get("compliance"), industry=industry)
    resolution = licenses.resolve(
        str(card.get("license") or ""),
        name=str(card.get("license_name") or ""),
        link=str(card.get("license_link") or ""),
    )
    chain = lineage.build(model_id=model_id, license=resolution.license, metadata=card, lookup=lookup)
    score, answered, missing = schema.completeness(answers)
    findings = [
        *license_findings(resolution, is_public=is_public, has_card=metadata is not None),
        *chain.findings,
        *rules.check_answers(answers),
    ]
    return Assessment(
        license=resolution,
        answers=answers,
        lineage=chain,
        findings=sort_findings(findings),
        completeness=score,
        answered=answered,
        missing=missing,
    )


def license_findings(resolution: licenses.Resolution, *, is_public: bool, has_card: bool) -> list[Finding]:
    entry = resolution.license
    if entry is None:
        code = "license-missing" if resolution.is_missing else "license-unknown"
        message = resolution.problem if has_card else MISSING_CARD
        if resolution.is_missing and has_card:
            message = "the model card declares no license (metadata field `license`)"
        if not is_public:
            message += "; required before the model is made public"
        severity = Severity.ERROR if is_public else Severity.WARNING
        return [Finding(code=code, severity=severity, message=message, field="license", source="license")]
    findings = []
    if entry.kind == "custom":
        findings.append(
            Finding(
                code="license-custom",
                severity=Severity.WARNING,
                message=f"custom license {entry.name!r}: the registry cannot tell its terms; "
                f"buyers must read it at {entry.url}",
                field="license",
                source="license",
            )
        )
    elif entry.properties_source == "unknown":
        findings.append(
            Finding(
                code="license-terms-undetermined",
                severity=Severity.INFO,
                message=f"{entry.name} ({entry.id}) is a known license whose terms the registry does not "
                f"summarise: read it at {entry.url}",
                field="license",
                source="license",
            )
        )
    if licenses.is_deprecated_id(resolution.declared):
        findings.append(
            Finding(
                code="license-deprecated-id",
                severity=Severity.INFO,
                message=f"{resolution.declared!r} is a deprecated SPDX identifier; write {entry.id!r}",
                field="license",
                source="license",
            )
        )
    return findings
