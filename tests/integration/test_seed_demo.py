"""The demo catalog: what `make run` shows a first-time user."""

import pytest

from marketplace.selectors.family import family_of
from registry.demo.catalog import MINILM_SHA256, seed_catalog
from registry.models import ModelRepository, Publisher, Ref, Version

pytestmark = pytest.mark.django_db


def test_seed_demo_publishes_the_catalog_once():
    published = seed_catalog(log=lambda line: None, show_progress=False)
    repositories = ModelRepository.objects.filter(refs__isnull=False).distinct()
    assert published == Version.objects.published().count()
    assert Publisher.objects.filter(repositories__isnull=False).distinct().count() >= 2
    assert set(repositories.values_list("industry", flat=True)) >= {"retail", "finance", "healthcare"}
    assert repositories.count() >= 8
    assert repositories.filter(visibility="private").exists()
    assert repositories.filter(gating="manual").exists() and repositories.filter(gating="auto").exists()
    assert Ref.objects.filter(kind="tag").count() >= published
    multi = [r for r in repositories if r.versions.filter(status="published").count() > 1]
    assert multi, "at least one model has several versions"
    minilm = Version.objects.published().get(repository__name="product-search-minilm")
    assert minilm.files.get(path="model.safetensors").sha256 == MINILM_SHA256
    assert minilm.parameter_count > 22_000_000
    architectures = {v.card.metadata["tags"][1] for v in Version.objects.published().exclude(pk=minilm.pk)}
    expected = {
        "llama",
        "qwen2",
        "qwen3",
        "gemma",
        "gemma3_text",
        "mistral",
        "phi3",
        "distilbert",
        "mobilebert",
    }
    assert expected <= architectures
    # one family of three: the base, an int8 quantization and a distilled student, with footprints
    base = ModelRepository.objects.get(namespace__slug="northwind", name="retail-llama-mini")
    family = family_of(repository=base, user=None)
    relations = {m.repo_id: m.relation for m in family.members}
    assert relations == {
        "northwind/retail-llama-mini": "",
        "northwind/retail-llama-mini-int8": "quantized",
        "northwind/retail-llama-micro": "distilled",
    }
    figures = {m.repo_id: (m.dtype, m.memory["stored"], m.parameters) for m in family.members}
    assert figures["northwind/retail-llama-mini-int8"][0] == "int8"
    assert figures["northwind/retail-llama-mini"][0] == "fp32"
    assert figures["northwind/retail-llama-mini-int8"][1] < figures["northwind/retail-llama-mini"][1] / 3
    assert figures["northwind/retail-llama-micro"][2] < figures["northwind/retail-llama-mini"][2] / 2
    # one external listing: card and recorded scores, no weights
    listing = ModelRepository.objects.get(kind=ModelRepository.Kind.EXTERNAL)
    listed = Version.objects.published().get(repository=listing)
    assert listing.external_provider and listed.card.metadata["model-index"]
    assert not listed.files.filter(path__endswith=".safetensors").exists()
    assert seed_catalog(log=lambda line: None, show_progress=False) == 0  # idempotent
