"""Evidence other apps produce about a version: evaluation scores and badges, signatures, compliance
findings. Each is read through a seam that answers "nothing yet" until its app ships the provider,
so the catalog never shows a number that nobody measured.

Providers the pages look for (keyword-only, all optional):

- `evaluators.selectors.headline_score_subquery(*, version_id)`: an SQL expression for the version's
  headline evaluation score, a float in [0, 1] where higher is better (NULL when not evaluated).
  `version_id` is an `OuterRef` to the version's id. Drives the catalog's score filter and sort
  and the leaderboards.
- `evaluators.selectors.prefetch_current_runs(*, version)`: reads the version's evaluation results
  once for a page that shows both its badges and its metrics.
- `evaluators.selectors.badges_for_version(*, version)`: badges awarded to the version, each a
  mapping with `label`, `message`, `level` (gold/silver/bronze/none/fail), and optionally
  `evidence_url` and `stale`.
- `registry.selectors.evaluation_results(version)`: model-index results (metrics on the model page).
- `registry.selectors.compliance_findings(version)`: the compliance rules' findings.
- `registry.services.signing.verification_context(version, request)`: the version's signature
  records and the context of the signing app's `registry/verify_snippet.html`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from django.db.models import Expression, FloatField, OuterRef, Value
from django.template.loader import render_to_string

from registry import selectors as registry_selectors
from registry.models import Version

SIGNATURE_PATH = "model.sig"
BADGE_LEVELS = ("gold", "silver", "bronze", "none", "fail")


def _provider(module: str, function: str):
    """A function another app provides, or None until that app ships it."""
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            return None
        raise
    return getattr(found, function, None)


def scores_available() -> bool:
    return _provider("evaluators.selectors", "headline_score_subquery") is not None


def score_expression(version_id: OuterRef) -> Expression:
    """The headline score of the version `version_id` points at, or NULL for every row until the
    evaluators app provides one."""
    provider = _provider("evaluators.selectors", "headline_score_subquery")
    if provider is None:
        return Value(None, output_field=FloatField())
    return provider(version_id=version_id)


@dataclass(frozen=True)
class Badge:
    label: str
    message: str
    level: str  # gold | silver | bronze | none | fail: the colour, chosen by the evaluator's rule
    evidence_url: str = ""  # where the measurement behind the badge is shown
    is_stale: bool = False  # measured by an older version of the evaluator


def read_evaluations_once(version: Version) -> None:
    """Badges and metrics then share one reading of the version's evaluation results."""
    provider = _provider("evaluators.selectors", "prefetch_current_runs")
    if provider is not None:
        provider(version=version)


def evaluation_badges(version: Version) -> list[Badge]:
    provider = _provider("evaluators.selectors", "badges_for_version")
    if provider is None:
        return []
    badges = []
    for row in provider(version=version):
        level = str(row.get("level", "none"))
        badges.append(
            Badge(
                label=str(row.get("label", "")),
                message=str(row.get("message", "")),
                level=level if level in BADGE_LEVELS else "none",
                evidence_url=str(row.get("evidence_url") or ""),
                is_stale=bool(row.get("stale", False)),
            )
        )
    return badges


def evaluation_metrics(version: Version) -> list[dict[str, Any]]:
    """Flat metric rows (task, dataset, metric name, value) from the model-index results."""
    rows = []
    for result in registry_selectors.evaluation_results(version):
        task = (result.get("task") or {}).get("name") or (result.get("task") or {}).get("type", "")
        dataset = (result.get("dataset") or {}).get("name") or (result.get("dataset") or {}).get("type", "")
        for metric in result.get("metrics") or []:
            rows.append(
                {
                    "task": task,
                    "dataset": dataset,
                    "name": metric.get("name") or metric.get("type", ""),
                    "value": metric.get("value"),
                    "verified": bool(metric.get("verified", False)),
                }
            )
    return rows


def compliance_findings(version: Version) -> list[dict[str, Any]] | None:
    return registry_selectors.compliance_findings(version)


@dataclass(frozen=True)
class Verification:
    """How to verify a version, from the signing app: its signature records and its instructions."""

    signed_by_registry: Any  # the current registry signature record, or None
    signed_by_publisher: Any
    key_hint: str
    instructions_html: str  # the signing app's own `registry/verify_snippet.html`, rendered


def verification(version: Version, request) -> Verification | None:
    """None until `registry.services.signing.verification_context(version, request)` exists."""
    provider = _provider("registry.services.signing", "verification_context")
    if provider is None:
        return None
    context = provider(version, request)
    html = render_to_string("registry/verify_snippet.html", context, using="django")
    return Verification(
        signed_by_registry=context.get("signed_by_registry"),
        signed_by_publisher=context.get("signed_by_publisher"),
        key_hint=context.get("key_hint", ""),
        instructions_html=html,
    )
