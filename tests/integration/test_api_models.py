"""REST API v1: models (listing, search, filters, order, cursor pages), detail, versions, files,
card, compliance, evaluations, access requests; and the SQL each listing costs."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry import selectors
from registry.api import rows, serializers
from registry.models import AccessGrant, Membership, ModelRepository, Publisher, Ref, Version
from registry.services import tokens
from tests.fixtures.models import write_model

from .helpers import publish

pytestmark = pytest.mark.django_db

FINANCE_CARD = """---
license: mit
tags: [finance, forecasting]
pipeline_tag: text-classification
compliance:
  frameworks: [SOX, GLBA]
  contains_pii: false
  eu_ai_act_risk: limited
  intended_uses: Classifying ledger entries.
---
# Ledger classifier
"""


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("api-models")
    return {
        "retail": write_model(root / "retail", seed=31),
        "retail2": write_model(root / "retail2", seed=32),
        "finance": write_model(root / "finance", seed=33, card=FINANCE_CARD),
    }


@pytest.fixture
def catalog(folders):
    """Three public models (one gated), one private, one with two versions."""
    publish(folders["retail"], "northwind/retail-llama-mini", industry="retail")
    second = publish(folders["retail2"], "northwind/retail-llama-mini")
    publish(folders["retail2"], "northwind/shop-assistant", industry="retail", gating="auto")
    publish(folders["finance"], "ledgerline/ledger-classifier", industry="finance")
    publish(folders["finance"], "ledgerline/internal", industry="finance", visibility="private")
    ModelRepository.objects.filter(name="ledger-classifier").update(downloads=10, description="Bank ledgers")
    return second


def ids(client: Client, **params) -> list[str]:
    response = client.get("/api/v1/models", params)
    assert response.status_code == 200, response.content
    return [m["id"] for m in response.json()["results"]]


def test_listing_filters_searches_and_orders(catalog):
    client = Client()
    assert ids(client) == [
        "ledgerline/ledger-classifier",  # most downloaded first, then newest
        "northwind/shop-assistant",
        "northwind/retail-llama-mini",
    ]
    assert ids(client, industry="retail", ordering="id") == [
        "northwind/retail-llama-mini",
        "northwind/shop-assistant",
    ]
    assert ids(client, namespace="ledgerline") == ["ledgerline/ledger-classifier"]
    assert ids(client, license="mit") == ["ledgerline/ledger-classifier"]
    assert ids(client, tag=["finance", "forecasting"]) == ["ledgerline/ledger-classifier"]
    assert ids(client, task="text-generation", ordering="id") == [
        "northwind/retail-llama-mini",
        "northwind/shop-assistant",
    ]
    assert ids(client, gated="true") == ["northwind/shop-assistant"]
    assert ids(client, search="llama") == ["northwind/retail-llama-mini"]
    assert ids(client, search="lla") == ["northwind/retail-llama-mini"]  # word prefixes match
    assert ids(client, search="ledgers") == ["ledgerline/ledger-classifier"]  # the description
    assert ids(client, search="northwind", ordering="id") == [
        "northwind/retail-llama-mini",
        "northwind/shop-assistant",
    ]
    assert ids(client, search="northwind llama") == ["northwind/retail-llama-mini"]  # namespace + name
    assert ids(client, search="ledgerline retail") == []  # every word must match
    assert ids(client, search="no-such-thing") == []
    assert ids(client, min_parameters=1536, max_parameters=1536, ordering="-id") == [
        "northwind/shop-assistant",
        "northwind/retail-llama-mini",
        "ledgerline/ledger-classifier",
    ]
    assert ids(client, min_parameters=1537) == []


def test_listing_rows_and_cursor_pages(catalog):
    client = Client()
    first = client.get("/api/v1/models", {"ordering": "id", "page_size": 2}).json()
    assert [m["id"] for m in first["results"]] == [
        "ledgerline/ledger-classifier",
        "northwind/retail-llama-mini",
    ]
    llama = first["results"][1]
    assert llama["sha"] == catalog.commit_id  # main's latest version
    assert llama["last_modified"].endswith("Z")
    assert llama["url"] == "http://testserver/api/v1/models/northwind/retail-llama-mini"
    assert set(llama) == set(serializers.ModelSummarySerializer().fields)
    assert first["next"].startswith("http://testserver/api/v1/models?")
    second = client.get(first["next"]).json()
    assert [m["id"] for m in second["results"]] == ["northwind/shop-assistant"]
    assert second["next"] is None


def test_private_models_are_listed_for_members_only(catalog):
    member = get_user_model().objects.create_user("member")
    Membership.objects.create(publisher=Publisher.objects.get(slug="ledgerline"), user=member)
    _, raw = tokens.create_token(user=member, scope="read")
    assert "ledgerline/internal" not in ids(Client())
    assert "ledgerline/internal" in ids(Client(headers={"Authorization": f"Bearer {raw}"}))
    assert Client().get("/api/v1/models/ledgerline/internal").status_code == 404
    detail = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/models/ledgerline/internal")
    assert detail.status_code == 200 and detail.json()["private"] is True


def test_model_detail_and_its_versions(catalog, folders):
    client = Client()
    detail = client.get("/api/v1/models/ledgerline/ledger-classifier").json()
    assert set(detail) == set(serializers.ModelDetailSerializer().fields)
    assert detail["license"] == "mit" and detail["industry"] == "finance"
    assert detail["card_metadata"]["pipeline_tag"] == "text-classification"
    assert detail["compliance"]["declared"]["frameworks"] == ["SOX", "GLBA"]
    assert detail["compliance"]["declared"]["eu_ai_act_risk"] == "limited"
    assert detail["evaluations"] == []
    assert detail["has_file_access"] is True
    assert [r["name"] for r in detail["refs"]] == ["main"]

    versions = client.get("/api/v1/models/northwind/retail-llama-mini/revisions").json()
    assert [v["commit_id"] for v in versions] == [catalog.commit_id, catalog.parent.commit_id]
    assert versions[0]["parent_commit_id"] == catalog.parent.commit_id
    one = client.get(
        f"/api/v1/models/northwind/retail-llama-mini/revisions/{catalog.parent.commit_id}"
    ).json()
    assert one["refs"] == [] and one["parameters_by_dtype"] == {"F32": 1024, "F16": 512}
    assert client.get("/api/v1/models/northwind/retail-llama-mini/revisions/main").json()["refs"] == ["main"]

    files = client.get("/api/v1/models/northwind/retail-llama-mini/revisions/main/files").json()
    weights = next(f for f in files["files"] if f["path"] == "model.safetensors")
    assert weights["is_lfs"] is True
    assert weights["safetensors"]["tensor_count"] == 5
    assert weights["download_url"] == (
        f"http://testserver/northwind/retail-llama-mini/resolve/{catalog.commit_id}/model.safetensors"
    )
    card = client.get("/api/v1/models/northwind/retail-llama-mini/revisions/main/card").json()
    assert card["metadata"]["license"] == "apache-2.0" and "Tiny retail model" in card["body"]
    compliance = client.get("/api/v1/models/ledgerline/ledger-classifier/revisions/main/compliance").json()
    assert compliance["declared"]["contains_pii"] is False
    evaluations = client.get("/api/v1/models/ledgerline/ledger-classifier/revisions/main/evaluations").json()
    assert evaluations["results"] == []


def test_errors_name_the_problem(catalog):
    client = Client()
    cases = [
        ("/api/v1/models?ordering=sideways", 400, "InvalidInput"),
        ("/api/v1/models?page_size=0", 400, "InvalidInput"),
        ("/api/v1/models?page_size=5000", 400, "InvalidInput"),
        ("/api/v1/models?cursor=%%%", 400, "InvalidInput"),
        ("/api/v1/models?gated=maybe", 400, "InvalidInput"),
        ("/api/v1/models?min_parameters=-1", 400, "InvalidInput"),
        ("/api/v1/models?search=%00", 400, "InvalidInput"),
        ("/api/v1/models/acme/missing", 404, "RepoNotFound"),
        ("/api/v1/models/northwind/retail-llama-mini/revisions/v9", 404, "RevisionNotFound"),
        ("/api/v1/models/northwind/retail-llama-mini/revisions/%00/files", 400, "InvalidInput"),
        ("/api/v1/publishers/nobody", 404, "NotFound"),
    ]
    for path, status, code in cases:
        response = client.get(path)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), path
        assert response.json()["error"]["message"]
    bad = client.get("/api/v1/models?page_size=0").json()["error"]
    assert "page_size" in bad["fields"] and "page_size" in bad["message"]


def test_accepting_gated_terms(catalog):
    buyer = get_user_model().objects.create_user("buyer")
    _, raw = tokens.create_token(user=buyer, scope="read")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    path = "/api/v1/models/northwind/shop-assistant/access-request"

    before = client.get(path).json()
    assert (before["gating"], before["status"], before["has_access"]) == ("auto", None, False)
    refused = client.post(path, {"accept_terms": False}, content_type="application/json")
    assert refused.status_code == 400 and "accept_terms" in refused.json()["error"]["fields"]
    assert not AccessGrant.objects.exists()
    accepted = client.post(
        path, {"accept_terms": True, "answers": {"company": "Acme"}}, content_type="application/json"
    )
    assert accepted.status_code == 200
    assert (accepted.json()["status"], accepted.json()["has_access"]) == ("approved", True)
    assert AccessGrant.objects.get(user=buyer).answers == {"company": "Acme"}
    assert Client().post(path, {"accept_terms": True}, content_type="application/json").status_code == 401
    not_gated = client.post(
        "/api/v1/models/ledgerline/ledger-classifier/access-request",
        {"accept_terms": True},
        content_type="application/json",
    )
    assert not_gated.status_code == 403


def test_publishers(catalog):
    client = Client()
    page = client.get("/api/v1/publishers", {"page_size": 1}).json()
    assert [p["slug"] for p in page["results"]] == ["ledgerline"]
    assert [p["slug"] for p in client.get(page["next"]).json()["results"]] == ["northwind"]
    one = client.get("/api/v1/publishers/northwind").json()
    assert set(one) == set(serializers.PublisherSerializer().fields)
    assert one["models_url"] == "http://testserver/api/v1/models?namespace=northwind"


# --- cost -------------------------------------------------------------------------------------------


@pytest.fixture
def many_models():
    """60 published repositories written straight to the database: the listing's SQL is the subject
    here, not the pipeline."""
    publishers = Publisher.objects.bulk_create(Publisher(slug=f"pub-{i}") for i in range(3))
    repos = ModelRepository.objects.bulk_create(
        ModelRepository(
            namespace=publishers[i % 3],
            name=f"model-{i:03d}",
            industry=["retail", "finance", "healthcare"][i % 3],
            tags=["demo", f"t{i % 5}"],
            license="apache-2.0",
            downloads=i,
            description=f"Model number {i} for search",
        )
        for i in range(60)
    )
    now = timezone.now()
    versions = Version.objects.bulk_create(
        Version(
            repository=r,
            commit_id=f"{r.pk:040x}",
            status=Version.Status.PUBLISHED,
            published_at=now,
            parameter_count=1000 + r.pk,
            total_size=10,
        )
        for r in repos
    )
    Ref.objects.bulk_create(Ref(repository=v.repository, name="main", version=v) for v in versions)
    return repos


@pytest.mark.parametrize(
    ("path", "extra", "matches"),
    [
        ("/api/v1/models", {}, 60),
        ("/api/v1/models", {"search": "model search", "industry": "retail"}, 20),
        ("/api/models", {}, 60),
        ("/api/models", {"search": "model", "full": "true", "cardData": "true"}, 60),
    ],
)
def test_queries_per_listing_do_not_grow_with_page_size(many_models, path, extra, matches):
    client = Client()
    size = "page_size" if path.startswith("/api/v1") else "limit"
    counts = []
    for page_size in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, {size: page_size, **extra})
        assert response.status_code == 200
        body = response.json()
        assert len(body["results"] if isinstance(body, dict) else body) == min(page_size, matches)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 3, counts


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index exists on PostgreSQL only")
def test_search_can_use_the_gin_index(many_models):
    """The query repeats the indexed expression exactly; with sequential scans ruled out, the plan
    must use the index (on 60 rows the planner would rightly prefer a scan)."""
    matching = ModelRepository.objects.filter(selectors.search_filter("model search"))
    sql, params = matching.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "registry_repo_search_gin" in plan, plan


def test_lean_rows_have_the_documented_shape(many_models):
    page = selectors.list_models(user=None, query=selectors.ModelQuery(limit=1))
    assert set(rows.model_summary(page.rows[0], "http://x/")) == set(
        serializers.ModelSummarySerializer().fields
    )
    versions = selectors.list_versions(many_models[0])
    assert set(rows.version_summary(versions[0])) == set(serializers.VersionSummarySerializer().fields)
