"""Results other apps compute, read through a seam that stays empty until the app provides it."""

from __future__ import annotations

import importlib
from typing import Any

from registry.models import Version


def _optional_provider(module: str, function: str):
    """A function another app provides, or None until that app ships it."""
    try:
        provider = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            return None
        raise
    return getattr(provider, function, None)


def evaluation_results(version: Version) -> list[dict[str, Any]]:
    """The version's evaluation results as Hub `model-index` results entries
    (`{"task": {...}, "dataset": {...}, "metrics": [...]}`); empty until the evaluators app
    provides `evaluators.selectors.model_index_results(version=...)`."""
    provider = _optional_provider("evaluators.selectors", "model_index_results")
    return list(provider(version=version)) if provider else []


def compliance_findings(version: Version) -> list[dict[str, Any]] | None:
    """The compliance rules' findings for a version, or None until `registry.services.compliance`
    provides `findings_for_version(version=...)`."""
    provider = _optional_provider("registry.services.compliance", "findings_for_version")
    return list(provider(version=version)) if provider else None
