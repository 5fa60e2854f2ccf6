"""External listings: models reachable only through their provider's API (the proprietary ones
buyers compare against), listed with the card, terms, compliance answers and evaluation results
the operator recorded. Nothing is downloadable: pulls answer NoWeightsHere (services.access).

A listing is published through the ordinary pipeline as a version holding only its README.md, so
its card is parsed, its license and compliance answers are checked, and the version is signed and
listed like any other; the operator's evaluation results become an `operator-recorded` run whose
headline score ranks it in the catalog next to the models measured here.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from registry.errors import Conflict, InvalidInput
from registry.models import ModelRepository, Version
from registry.models.repositories import Industry
from registry.services import folders, repositories

RECORDED_EVALUATOR = "operator-recorded"
REQUIRED = ("repo_id", "provider", "url", "license")
KNOWN_KEYS = frozenset(
    {
        *REQUIRED,
        "license_name",
        "license_link",
        "industry",
        "task",
        "description",
        "tags",
        "body",
        "compliance",
        "evaluations",
        "base_model",
        "base_model_relation",
    }
)


@dataclass(frozen=True)
class RecordedEvaluation:
    benchmark: str
    metric: str
    value: float
    source: str = ""  # where the figure was published (a URL or a citation)
    headline: bool = False  # the score in [0, 1] the catalog ranks the listing by


@dataclass(frozen=True)
class ListingSpec:
    repo_id: str
    provider: str
    url: str
    license: str
    license_name: str = ""
    license_link: str = ""
    industry: str = Industry.GENERAL
    task: str = "text-generation"
    description: str = ""
    tags: tuple[str, ...] = ()
    body: str = ""
    compliance: dict[str, Any] = field(default_factory=dict)
    evaluations: tuple[RecordedEvaluation, ...] = ()
    base_model: str = ""
    base_model_relation: str = ""

    @property
    def headline_score(self) -> float | None:
        return next((e.value for e in self.evaluations if e.headline), None)


def load_spec(path: Path) -> ListingSpec:
    """A listing from a YAML or JSON file (JSON is YAML); InvalidInput names what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path} is not valid YAML or JSON: {exc}") from exc
    return parse_spec(data, source=str(path))


def parse_spec(data: object, *, source: str = "listing") -> ListingSpec:
    if not isinstance(data, dict):
        raise InvalidInput(f"{source}: expected a mapping of listing fields")
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise InvalidInput(
            f"{source}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_KEYS))}"
        )
    missing = [key for key in REQUIRED if not str(data.get(key) or "").strip()]
    if missing:
        raise InvalidInput(f"{source}: missing required field(s) {', '.join(missing)}")
    repositories.split_repo_id(str(data["repo_id"]))  # names a malformed id
    url = str(data["url"]).strip()
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        raise InvalidInput(f"{source}: url {url!r} is not an http(s) URL") from None
    industry = str(data.get("industry") or Industry.GENERAL)
    if industry not in Industry.values:
        raise InvalidInput(f"{source}: industry {industry!r} is not one of {', '.join(Industry.values)}")
    compliance = data.get("compliance") or {}
    if not isinstance(compliance, dict):
        raise InvalidInput(f"{source}: compliance must be a mapping of questionnaire answers")
    tags = data.get("tags") or []
    if not isinstance(tags, list):
        raise InvalidInput(f"{source}: tags must be a list")
    return ListingSpec(
        repo_id=str(data["repo_id"]).strip(),
        provider=str(data["provider"]).strip(),
        url=url,
        license=str(data["license"]).strip(),
        license_name=str(data.get("license_name") or ""),
        license_link=str(data.get("license_link") or ""),
        industry=industry,
        task=str(data.get("task") or "text-generation"),
        description=str(data.get("description") or ""),
        tags=tuple(str(t) for t in tags),
        body=str(data.get("body") or ""),
        compliance=compliance,
        evaluations=_evaluations(data.get("evaluations") or [], source),
        base_model=str(data.get("base_model") or ""),
        base_model_relation=str(data.get("base_model_relation") or ""),
    )


def _evaluations(entries: object, source: str) -> tuple[RecordedEvaluation, ...]:
    if not isinstance(entries, list):
        raise InvalidInput(f"{source}: evaluations must be a list")
    found = []
    for number, entry in enumerate(entries, start=1):
        where = f"{source}: evaluations[{number}]"
        if not isinstance(entry, dict) or not entry.get("benchmark") or not entry.get("metric"):
            raise InvalidInput(f"{where} needs benchmark, metric and value")
        value = entry.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidInput(f"{where}: value {value!r} is not a number")
        headline = bool(entry.get("headline", False))
        if headline and not 0 <= value <= 1:
            raise InvalidInput(f"{where}: a headline score must lie in [0, 1], not {value}")
        found.append(
            RecordedEvaluation(
                benchmark=str(entry["benchmark"]),
                metric=str(entry["metric"]),
                value=float(value),
                source=str(entry.get("source") or ""),
                headline=headline,
            )
        )
    if sum(e.headline for e in found) > 1:
        raise InvalidInput(f"{source}: at most one evaluation may be the headline score")
    return tuple(found)


def card_metadata(spec: ListingSpec) -> dict[str, Any]:
    """The README.md metadata of a listing, as the Hub writes it (`model-index` for the results)."""
    metadata: dict[str, Any] = {
        "license": spec.license,
        "pipeline_tag": spec.task,
        "tags": [spec.industry, "external-listing", *spec.tags],
        "external_listing": {"provider": spec.provider, "url": spec.url, "weights": "not hosted"},
    }
    if spec.license_name:
        metadata["license_name"] = spec.license_name
    if spec.license_link:
        metadata["license_link"] = spec.license_link
    if spec.base_model:
        metadata["base_model"] = spec.base_model
    if spec.base_model_relation:
        metadata["base_model_relation"] = spec.base_model_relation
    if spec.compliance:
        metadata["compliance"] = spec.compliance
    if spec.evaluations:
        name = spec.repo_id.split("/")[1]
        metadata["model-index"] = [
            {
                "name": name,
                "results": [
                    {
                        "task": {"type": spec.task},
                        "dataset": {"name": e.benchmark, "type": e.benchmark.lower().replace(" ", "-")},
                        "metrics": [{"type": e.metric, "name": e.metric, "value": e.value}],
                        **(
                            {"source": {"name": "recorded by the operator", "url": e.source}}
                            if e.source
                            else {}
                        ),
                    }
                    for e in spec.evaluations
                ],
            }
        ]
    return metadata


def card_text(spec: ListingSpec) -> str:
    name = spec.repo_id.split("/")[1]
    body = spec.body.strip() or (
        f"# {name}\n\n{spec.description or f'A model served by {spec.provider}.'}\n\n"
        f"Reachable only through {spec.provider}'s API: {spec.url}\n"
    )
    front = yaml.safe_dump(card_metadata(spec), sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n{body}\n"


def add_external_listing(*, spec: ListingSpec, actor: AbstractBaseUser | None = None) -> Version:
    """Create or update the listing: its repository (kind external) and a new version of its card,
    with the operator's evaluation results recorded on it. A repository that hosts weights is
    never turned into a listing (Conflict)."""
    namespace, name = repositories.split_repo_id(spec.repo_id)
    publisher = repositories.ensure_publisher(slug=namespace, display_name=spec.provider)
    repository = ModelRepository.objects.filter(namespace=publisher, name=name).first()
    if repository is not None and not repository.is_external and repository.versions.exists():
        raise Conflict(
            f"{spec.repo_id} hosts weights here; an external listing needs a repository of its own"
        )
    if repository is None:
        repository = repositories.create_repository(
            namespace=publisher,
            name=name,
            actor=actor,
            industry=spec.industry,
            task=spec.task,
            description=spec.description,
        )
    ModelRepository.objects.filter(pk=repository.pk).update(
        kind=ModelRepository.Kind.EXTERNAL,
        external_provider=spec.provider,
        external_url=spec.url,
        industry=spec.industry,
        description=spec.description,
    )
    repository.refresh_from_db()
    with tempfile.TemporaryDirectory(prefix="external-listing-") as tmp:
        (Path(tmp) / "README.md").write_text(card_text(spec), encoding="utf-8")
        version = folders.publish_folder(
            folder=Path(tmp),
            repository=repository,
            actor=actor,
            message=f"External listing of {spec.repo_id}",
        )
    if spec.evaluations:
        record_evaluations(version=version, spec=spec)
    return version


@transaction.atomic
def record_evaluations(*, version: Version, spec: ListingSpec) -> None:
    """The operator's figures as one finished run: shown with the listing, ranked by its headline."""
    from evaluators.models import EvaluationRun, Metric

    now = timezone.now()
    EvaluationRun.objects.filter(version=version, evaluator=RECORDED_EVALUATOR, is_current=True).update(
        is_current=False
    )
    run = EvaluationRun.objects.create(
        version=version,
        evaluator=RECORDED_EVALUATOR,
        evaluator_version="1",
        status=EvaluationRun.Status.PASSED,
        is_current=True,
        headline_score=spec.headline_score,
        evidence={
            "recorded_by": "operator",
            "note": f"Figures recorded by the registry operator from {spec.provider}'s publications; "
            "not measured by this registry.",
            "results": [e.__dict__ for e in spec.evaluations],
        },
        started_at=now,
        finished_at=now,
    )
    Metric.objects.bulk_create(
        Metric(run=run, key=_metric_key(e)[:64], value=e.value, details={"source": e.source})
        for e in spec.evaluations
    )


def _metric_key(evaluation: RecordedEvaluation) -> str:
    return f"{evaluation.benchmark}:{evaluation.metric}".lower().replace(" ", "_")
