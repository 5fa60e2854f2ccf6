"""External listings: an API-only model listed with its card, terms, compliance answers and the
operator's evaluation results, and no weights. The official `huggingface_hub` client reads its
metadata, and every pull fails with an error that says there are no weights here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import EntryNotFoundError

from registry.models import ModelRepository, Version

pytestmark = pytest.mark.django_db(transaction=True)

LISTING = {
    "repo_id": "frontier/reasoner-mini",
    "provider": "Frontier AI",
    "url": "https://api.frontier.example/docs/reasoner-mini",
    "license": "other",
    "license_name": "Frontier API Terms",
    "license_link": "https://frontier.example/terms",
    "industry": "finance",
    "description": "A proprietary reasoning model served by Frontier's API.",
    "compliance": {"frameworks": ["GDPR", "SOX"], "eu_ai_act_risk": "limited"},
    "evaluations": [
        {"benchmark": "Finance QA", "metric": "accuracy", "value": 0.87, "headline": True},
        {"benchmark": "Filing summaries", "metric": "rouge_l", "value": 0.41, "source": "https://x.example"},
    ],
}
NO_WEIGHTS = "frontier/reasoner-mini is an external listing: no weights here"


@pytest.fixture
def listed(tmp_path, store) -> Version:
    path = tmp_path / "listing.yaml"
    path.write_text(yaml.safe_dump(LISTING))
    call_command("add_external_listing", str(path))
    return Version.objects.published().get(repository__name="reasoner-mini")


def test_listing_is_published_with_card_terms_compliance_and_scores(listed):
    repository = listed.repository
    assert repository.is_external and repository.external_provider == "Frontier AI"
    assert sorted(listed.files.values_list("path", flat=True)) == ["README.md", "model.sig"]
    assert listed.memory_footprint == {} and listed.parameter_count is None
    assert listed.compliance.frameworks == ["GDPR", "SOX"]
    assert listed.card.metadata["license_name"] == "Frontier API Terms"
    run = listed.evaluation_runs.get(evaluator="operator-recorded")
    assert run.headline_score == 0.87 and run.metrics.count() == 2
    # Weights evaluators would only fail on a card: none is planned for a listing.
    from evaluators.services import plan_evaluations

    assert plan_evaluations(version=listed, force=True, enqueue=False) == []


def test_hub_client_reads_the_metadata_but_cannot_pull(listed, live_server, tmp_path):
    api = HfApi(endpoint=live_server.url, token=False)
    info = api.model_info("frontier/reasoner-mini")
    assert info.sha == listed.commit_id
    assert info.card_data["external_listing"]["provider"] == "Frontier AI"
    assert info.card_data["license"] == "other"
    with pytest.raises(EntryNotFoundError, match=NO_WEIGHTS) as single:
        hf_hub_download(
            "frontier/reasoner-mini", "README.md", endpoint=live_server.url, cache_dir=tmp_path, token=False
        )
    assert "Frontier AI's API at https://api.frontier.example/docs/reasoner-mini" in str(single.value)
    with pytest.raises(EntryNotFoundError, match=NO_WEIGHTS):
        snapshot_download("frontier/reasoner-mini", endpoint=live_server.url, cache_dir=tmp_path, token=False)


def test_native_api_answers_the_same_clear_error(listed, client):
    detail = client.get("/api/v1/models/frontier/reasoner-mini")
    assert detail.status_code == 200
    body = detail.json()
    assert (body["kind"], body["external_provider"]) == ("external", "Frontier AI")
    assert body["external_url"] == LISTING["url"] and body["main"]["memory_footprint"] == {}
    files = client.get("/api/v1/models/frontier/reasoner-mini/revisions/main/files")
    assert files.status_code == 404
    assert NO_WEIGHTS in files.json()["error"]["message"]
    resolve = client.get(f"/frontier/reasoner-mini/resolve/{listed.commit_id}/README.md")
    assert resolve.status_code == 404 and NO_WEIGHTS in resolve.json()["error"]


def test_catalog_and_model_page_mark_it_as_having_no_weights(listed, client):
    catalog = client.get("/models?industry=finance&sort=score").content.decode()
    row = catalog[catalog.index('data-repo="frontier/reasoner-mini"') :]
    row = row[: row.index("</li>")]
    assert "API only · no weights here" in row and "score 0.87" in row
    page = client.get("/frontier/reasoner-mini").content.decode()
    assert "External listing: no weights here" in page
    assert "https://api.frontier.example/docs/reasoner-mini" in page
    assert 'id="files"' not in page and 'id="use"' not in page
    assert 'id="external-signature"' in page and "hf download" not in page  # nothing to download
    assert "Finance QA" in page and "0.87" in page and 'id="recorded-evaluation"' in page


def test_weights_pushed_to_a_listing_are_refused(listed, tmp_path):
    from registry.errors import IngestError
    from tests.fixtures.models import write_model
    from tests.integration.helpers import publish

    with pytest.raises(IngestError, match=r"external listing .* it holds a card only, no weights"):
        publish(write_model(tmp_path / "weights"), "frontier/reasoner-mini")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "ftp://x"}, "url 'ftp://x' is not an http(s) URL"),
        ({"provider": ""}, "missing required field(s) provider"),
        ({"weights": "yes"}, "unknown field(s) weights"),
        (
            {"evaluations": [{"benchmark": "b", "metric": "m", "value": "high"}]},
            "value 'high' is not a number",
        ),
        ({"license": "made-up-license"}, "not listed"),
    ],
)
def test_bad_listing_files_are_refused_with_the_reason(tmp_path, store, change, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**LISTING, **change}))
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("add_external_listing", str(path))
    assert not ModelRepository.objects.filter(name="reasoner-mini", versions__status="published").exists()


def test_a_repository_hosting_weights_is_never_turned_into_a_listing(tmp_path, store):
    from tests.fixtures.models import write_model
    from tests.integration.helpers import publish

    publish(write_model(tmp_path / "m"), "frontier/reasoner-mini")
    path = Path(tmp_path / "listing.yaml")
    path.write_text(yaml.safe_dump(LISTING))
    with pytest.raises(CommandError, match="hosts weights here"):
        call_command("add_external_listing", str(path))


def test_admin_adds_a_listing_from_pasted_yaml(admin_client, store):
    changelist = admin_client.get("/admin/registry/modelrepository/").content.decode()
    assert "/admin/registry/modelrepository/add-external-listing/" in changelist
    url = "/admin/registry/modelrepository/add-external-listing/"
    refused = admin_client.post(url, {"listing": yaml.safe_dump({**LISTING, "url": "nope"})})
    assert refused.status_code == 200 and "is not an http(s) URL" in refused.content.decode()
    answer = admin_client.post(url, {"listing": yaml.safe_dump(LISTING)})
    repository = ModelRepository.objects.get(name="reasoner-mini")
    assert answer.status_code == 302 and answer["Location"].endswith(f"/{repository.pk}/change/")
    assert repository.is_external and repository.versions.filter(status="published").count() == 1
