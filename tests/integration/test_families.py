"""Model families: variants declare their base in their card; the base's page and the family
selector show each member with its size, dtype, memory footprint and eval score; the catalog
filters on "fits in N GB". Published through the real pipeline (Postgres, SeaweedFS)."""

from pathlib import Path

import numpy as np
import pytest
from django.utils import timezone
from safetensors.numpy import save_file

from evaluators.models import EvaluationRun
from marketplace.selectors.family import family_of
from registry.errors import InvalidModelCard
from registry.models import ModelRepository, Version
from tests.fixtures.models import CARD, write_model
from tests.integration.helpers import publish

pytestmark = pytest.mark.django_db

BASE = "acme/clinic-base"
INT8 = "acme/clinic-base-int8"
SMALL = "acme/clinic-small"


def variant_card(base: str, relation: str) -> str:
    return CARD.replace("---\n#", f"base_model: {base}\nbase_model_relation: {relation}\n---\n#", 1)


def quantized_folder(folder: Path, *, hidden: int) -> Path:
    """The base's layout with int8 matrices and one fp32 scale per row."""
    write_model(folder, seed=1, hidden=hidden, card=variant_card(BASE, "quantized"))
    rng = np.random.default_rng(1)
    tensors = {}
    for i in range(4):
        tensors[f"layers.{i}.weight"] = rng.integers(-127, 127, (hidden, hidden), dtype=np.int8)
        tensors[f"layers.{i}.weight_scale"] = np.ones(hidden, dtype=np.float32)
    tensors["embed.weight"] = rng.integers(-127, 127, (32, hidden), dtype=np.int8)
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    return folder


def score(repo_id: str, value: float) -> None:
    namespace, name = repo_id.split("/")
    version = Version.objects.published().get(repository__namespace__slug=namespace, repository__name=name)
    EvaluationRun.objects.create(
        version=version,
        evaluator="domain-benchmark",
        evaluator_version="1",
        status=EvaluationRun.Status.PASSED,
        is_current=True,
        headline_score=value,
        finished_at=timezone.now(),
    )


@pytest.fixture
def family(tmp_path, store):
    """A 64-wide fp32/fp16 base, its int8 quantization, and a distilled 16-wide student."""
    publish(write_model(tmp_path / "base", seed=1, hidden=64), BASE)
    publish(quantized_folder(tmp_path / "int8", hidden=64), INT8)
    publish(write_model(tmp_path / "small", seed=2, hidden=16, card=variant_card(BASE, "distilled")), SMALL)
    score(BASE, 0.81)
    score(INT8, 0.78)
    score(SMALL, 0.55)


def expected_footprints(hidden: int) -> dict:
    parameters = 4 * hidden * hidden + 32 * hidden
    return {
        "parameters": parameters,
        "stored": 4 * hidden * hidden * 4 + 32 * hidden * 2,
        "bf16": parameters * 2,
        "int8": parameters,
        "int4": parameters // 2,
    }


def test_variants_record_their_base_and_relation_at_publication(family):
    int8 = ModelRepository.objects.get(name="clinic-base-int8")
    small = ModelRepository.objects.get(name="clinic-small")
    assert (int8.base_model, int8.base_model_relation) == (BASE, "quantized")
    assert (small.base_model, small.base_model_relation) == (BASE, "distilled")
    base = ModelRepository.objects.get(name="clinic-base")
    assert (base.base_model, base.base_model_relation) == ("", "")
    footprint = Version.objects.published().get(repository=base).memory_footprint
    assert footprint == {**expected_footprints(64), "dtype": "fp32"}


def test_family_selector_lists_the_variants_with_their_figures(family):
    base = ModelRepository.objects.get(name="clinic-base")
    found = family_of(repository=base, user=None)
    assert found is not None and found.root_id == BASE
    members = {m.repo_id: m for m in found.members}
    assert [m.repo_id for m in found.members] == [BASE, SMALL, INT8]  # base first, then by relation
    assert members[BASE].depth == 0 and members[BASE].is_current
    assert (members[SMALL].relation, members[SMALL].depth, members[SMALL].parent_id) == ("distilled", 1, BASE)
    assert members[INT8].relation == "quantized" and members[INT8].dtype == "int8"
    assert members[SMALL].parameters == expected_footprints(16)["parameters"]
    assert members[SMALL].memory["stored"] == expected_footprints(16)["stored"]
    # int8: one byte a weight plus the fp32 row scales
    assert members[INT8].memory["stored"] == (4 * 64 * 64 + 32 * 64) + 4 * 64 * 4
    assert members[INT8].parameters == 4 * 64 * 64 + 32 * 64 + 4 * 64
    assert [members[r].score for r in (BASE, INT8, SMALL)] == [0.81, 0.78, 0.55]
    # the smallest variant that still scores above a bar
    assert found.smallest_scoring_at_least(0.5).repo_id == SMALL
    assert found.smallest_scoring_at_least(0.7).repo_id == INT8
    assert found.smallest_scoring_at_least(0.8).repo_id == BASE
    assert found.smallest_scoring_at_least(0.9) is None
    # the same family from a variant's side
    from_variant = family_of(repository=ModelRepository.objects.get(name="clinic-small"), user=None)
    assert [m.repo_id for m in from_variant.members] == [BASE, SMALL, INT8]
    assert [m.repo_id for m in from_variant.members if m.is_current] == [SMALL]


def test_model_page_shows_the_family_side_by_side(family, client):
    html = client.get(f"/{BASE}").content.decode()
    panel = html[html.index('id="family"') : html.index("</section>", html.index('id="family"'))]
    for repo_id in (BASE, INT8, SMALL):
        assert f'data-member="{repo_id}"' in panel
    assert "Quantized" in panel and "Distilled" in panel and "int8" in panel
    assert "0.81" in panel and "0.78" in panel and "0.55" in panel
    assert "69.6 KB" in panel  # the base's fp32 weights (4*64*64*4 + 32*64*2 bytes)
    picked = client.get(f"/{INT8}?family_min_score=0.7").content.decode()
    assert f'id="family-pick-result">→ <a href="/{INT8}">{INT8}</a>' in picked
    assert "Quantized from acme/clinic-base" in picked
    assert client.get(f"/{BASE}?family_min_score=2").status_code == 400


def test_a_model_without_relatives_has_no_family_panel(tmp_path, store, client):
    publish(write_model(tmp_path / "alone"), "acme/alone")
    assert family_of(repository=ModelRepository.objects.get(name="alone"), user=None) is None
    assert 'id="family"' not in client.get("/acme/alone").content.decode()


def test_base_named_outside_the_registry_roots_the_family(tmp_path, store):
    card = variant_card("upstream/foundation-7b", "finetune")
    publish(write_model(tmp_path / "a", card=card), "acme/tuned-a")
    publish(write_model(tmp_path / "b", seed=3, card=card), "acme/tuned-b")
    found = family_of(repository=ModelRepository.objects.get(name="tuned-a"), user=None)
    assert found.root_id == "upstream/foundation-7b" and not found.members[0].in_registry
    assert [m.repo_id for m in found.members[1:]] == ["acme/tuned-a", "acme/tuned-b"]


def test_unknown_relation_is_refused_with_the_allowed_values(tmp_path, store):
    with pytest.raises(
        InvalidModelCard, match="base_model_relation 'copied' is not one of quantized, distilled"
    ):
        publish(write_model(tmp_path / "bad", card=variant_card(BASE, "copied")), "acme/bad-relation")


def test_catalog_fits_in_filter(family, client):
    def listed(query: str) -> set[str]:
        html = client.get(f"/models?{query}").content.decode()
        return {r for r in (BASE, INT8, SMALL) if f'data-repo="{r}"' in html}

    assert listed("fits_in=0.001") == {BASE, INT8, SMALL}
    assert listed("fits_in=0.00002") == {INT8, SMALL}  # 20 KB: the fp32 base (69.6 KB) does not fit
    assert listed("fits_in=0.00002&fits_precision=int4") == {BASE, INT8, SMALL}
    assert listed("fits_in=0.000006") == {SMALL}  # 6 KB: only the 5.1 KB student
    assert client.get("/models?fits_in=abc").status_code == 400
    assert client.get("/models?fits_in=1&fits_precision=fp2").status_code == 400


def test_api_listings_filter_on_fits_in(family, client):
    def native(query: str) -> set[str]:
        response = client.get(f"/api/v1/models?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    def hub(query: str) -> set[str]:
        response = client.get(f"/api/models?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()}

    assert native("fits_in_gb=0.00002") == hub("fits_in=0.00002") == {INT8, SMALL}
    assert (
        native("fits_in_gb=0.00002&fits_precision=int4")
        == hub("fits_in=0.00002&fits_precision=int4")
        == {
            BASE,
            INT8,
            SMALL,
        }
    )
    assert client.get("/api/v1/models?fits_in_gb=-1").status_code == 400
    # the Hub's own way of listing a model's variants
    assert hub(f"filter=base_model:{BASE}") == {INT8, SMALL}
    assert hub(f"filter=base_model:quantized:{BASE}") == native(f"tag=base_model:quantized:{BASE}") == {INT8}
    detail = client.get(f"/api/v1/models/{INT8}").json()
    assert (detail["base_model"], detail["base_model_relation"]) == (BASE, "quantized")
    assert detail["main"]["memory_footprint"]["dtype"] == "int8"
    bad = client.get("/api/models?fits_in=lots")
    assert bad.status_code == 400 and "fits_in must be a number of GB" in bad.json()["error"]
    assert client.get("/api/models?fits_in=1&fits_precision=fp2").status_code == 400


def test_migration_backfills_footprints_and_bases_of_earlier_versions(family):
    """Versions published before 0007 get their footprint and their repository its base model."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("registry.migrations.0007_model_families_and_external_listings")
    Version.objects.update(memory_footprint={})  # as before the migration (bypasses the save() guard)
    ModelRepository.objects.update(base_model="", base_model_relation="")
    migration.backfill(apps, None)
    int8 = ModelRepository.objects.get(name="clinic-base-int8")
    assert (int8.base_model, int8.base_model_relation) == (BASE, "quantized")
    base_version = Version.objects.published().get(repository__name="clinic-base")
    assert base_version.memory_footprint == {**expected_footprints(64), "dtype": "fp32"}
