"""Evaluation suites: small data files we write ourselves, versioned with the code.

Each industry folder holds JSONL files and a `suite.json` manifest with every file's sha256 and
the badge thresholds. A suite is only used when every file matches its recorded digest, and each
run stores the manifest's digest: a result names exactly the data it was measured on.
Regenerate with `python -m evaluators.suites.generate` (it rewrites the manifests).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUITES_DIR = Path(__file__).resolve().parent
MANIFEST = "suite.json"


class SuiteError(Exception):
    """A suite that is missing, or whose files do not match their recorded digests."""


@dataclass(frozen=True)
class Suite:
    industry: str
    version: str
    description: str
    digest: str  # sha256 of the manifest: files' digests, thresholds, version
    files: dict[str, str]  # file name -> sha256
    thresholds: dict[str, dict[str, Any]]
    rows: dict[str, list[dict[str, Any]]] = field(repr=False)

    @property
    def name(self) -> str:
        return f"{self.industry}-v{self.version}"

    def items(self, kind: str) -> list[dict[str, Any]]:
        """The rows of `{kind}.jsonl` ("mc", "ppl", "retrieval")."""
        try:
            return self.rows[f"{kind}.jsonl"]
        except KeyError:
            raise SuiteError(f"suite {self.name} has no {kind} items") from None

    def has(self, kind: str) -> bool:
        return f"{kind}.jsonl" in self.rows

    def evidence(self) -> dict[str, Any]:
        return {"suite": self.name, "suite_digest": self.digest, "suite_files": self.files}


def manifest_digest(manifest: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def available() -> list[str]:
    return sorted(p.parent.name for p in SUITES_DIR.glob(f"*/{MANIFEST}"))


def load_suite(industry: str, *, root: Path = SUITES_DIR) -> Suite:
    """The suite of `industry`, its files checked against the manifest; SuiteError otherwise."""
    folder = root / industry
    if "/" in industry or industry.startswith(".") or not (folder / MANIFEST).is_file():
        raise SuiteError(f"no evaluation suite for industry {industry!r}; suites exist for {available()}")
    manifest = json.loads((folder / MANIFEST).read_text())
    rows = {}
    for name, expected in sorted(manifest["files"].items()):
        data = (folder / name).read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            raise SuiteError(
                f"suite file {industry}/{name} has sha256 {actual}, but the manifest records {expected}: "
                "it was changed without regenerating the suite"
            )
        rows[name] = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
    return Suite(
        industry=industry,
        version=str(manifest["version"]),
        description=manifest.get("description", ""),
        digest=manifest_digest(manifest),
        files=dict(manifest["files"]),
        thresholds=dict(manifest.get("thresholds") or {}),
        rows=rows,
    )
