"""What a check reports: findings with a severity, a stable code and a message naming the problem."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """ERROR refuses a public version at ingest; WARNING flags a published one; INFO suggests."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Finding:
    code: str  # stable, e.g. "hipaa-phi-handling"; pages and tests key on it
    severity: Severity
    message: str
    field: str = ""  # the card or compliance field concerned, e.g. "license", "compliance.phi_handling"
    source: str = ""  # "license", "lineage" or "rules"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "severity": str(self.severity)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(**{**data, "severity": Severity(data["severity"])})


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.source, f.code, f.field))
