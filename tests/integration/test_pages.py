"""The marketplace pages over HTTP (Django's test client), on models published through the real
pipeline: what each page shows, who may see it, and the 4xx a bad request gets."""

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from registry.models import AccessGrant, Membership, ModelRepository
from registry.services import access
from tests.fixtures.models import write_model
from tests.integration.helpers import publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    """Facet counts and rendered cards are cached per process: no test may see another's."""
    cache.clear()


CARD = """---
license: {license}
pipeline_tag: {task}
tags: [{tag}]
compliance:
  frameworks: [{framework}]
  contains_pii: false
  eu_ai_act_risk: limited
  intended_uses: {uses}
---
# {title}

{body}
"""


def card(*, license="apache-2.0", task="text-generation", tag="demo", framework="GDPR", uses="Testing.",
         title="A model", body="Plain body."):  # fmt: skip
    return CARD.format(
        license=license, task=task, tag=tag, framework=framework, uses=uses, title=title, body=body
    )


@pytest.fixture
def catalog(tmp_path):
    """Three public models in two industries, one private, one gated (manual)."""
    specs = [
        ("acme/retail-helper", "retail", card(license="mit", tag="shopping", uses="Shop questions.")),
        ("acme/ledger-summarizer", "finance", card(framework="SOX", tag="filings", title="Ledger")),
        ("zenith/claims-triage", "healthcare", card(framework="HIPAA", task="text-classification")),
        ("acme/secret-plan", "retail", card()),
        ("zenith/clinical-notes", "healthcare", card(framework="HIPAA", license="gemma")),
    ]
    options = {
        "acme/secret-plan": {"visibility": ModelRepository.Visibility.PRIVATE},
        "zenith/clinical-notes": {"gating": ModelRepository.Gating.MANUAL},
    }
    versions = {}
    for seed, (repo_id, industry, text) in enumerate(specs):
        folder = write_model(tmp_path / repo_id.replace("/", "--"), seed=seed, card=text)
        versions[repo_id] = publish(folder, repo_id, industry=industry, **options.get(repo_id, {}))
    ModelRepository.objects.filter(name="ledger-summarizer").update(downloads=50)
    ModelRepository.objects.filter(name="retail-helper").update(downloads=10)
    return versions


def listed(response) -> list[str]:
    """Repository ids of the catalog's result rows, in order."""
    return re.findall(r'<li class="result" data-repo="([^"]+)"', response.content.decode())


def make_user(username: str, *, member_of: str | None = None, role: str = Membership.Role.READER):
    user = get_user_model().objects.create_user(username=username, password="correct-horse-battery")
    if member_of:
        publisher = ModelRepository.objects.filter(namespace__slug=member_of).first().namespace
        Membership.objects.create(publisher=publisher, user=user, role=role)
    return user


# --- catalog -------------------------------------------------------------------------------------


def test_catalog_lists_public_models_by_downloads_and_hides_private_ones(client, catalog):
    response = client.get("/models")
    assert response.status_code == 200
    assert listed(response) == [  # ties in downloads: the newest repository first
        "acme/ledger-summarizer",
        "acme/retail-helper",
        "zenith/clinical-notes",
        "zenith/claims-triage",
    ]
    assert "acme/secret-plan" not in response.content.decode()
    assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_catalog_filters_narrow_the_list(client, catalog):
    assert listed(client.get("/models?industry=healthcare")) == [
        "zenith/clinical-notes",
        "zenith/claims-triage",
    ]
    assert listed(client.get("/models?license=mit")) == ["acme/retail-helper"]
    assert listed(client.get("/models?task=text-classification")) == ["zenith/claims-triage"]
    assert listed(client.get("/models?framework=SOX")) == ["acme/ledger-summarizer"]
    assert set(listed(client.get("/models?framework=HIPAA"))) == {
        "zenith/claims-triage",
        "zenith/clinical-notes",
    }
    assert set(listed(client.get("/models?publisher=zenith"))) == {
        "zenith/claims-triage",
        "zenith/clinical-notes",
    }
    assert listed(client.get("/models?author=acme&industry=finance")) == ["acme/ledger-summarizer"]
    assert set(listed(client.get("/models?size=tiny"))) == {
        "acme/ledger-summarizer",
        "acme/retail-helper",
        "zenith/claims-triage",
        "zenith/clinical-notes",
    }
    assert listed(client.get("/models?size=large")) == []
    assert listed(client.get("/models?industry=retail&license=apache-2.0")) == []


def test_catalog_search_matches_words_of_names_tags_and_publishers(client, catalog):
    assert listed(client.get("/models?search=ledger")) == ["acme/ledger-summarizer"]
    assert listed(client.get("/models?search=shopping")) == ["acme/retail-helper"]
    assert set(listed(client.get("/models?search=zenith"))) == {
        "zenith/claims-triage",
        "zenith/clinical-notes",
    }
    assert listed(client.get("/models?search=zenith triage")) == ["zenith/claims-triage"]
    assert listed(client.get("/models?search=secret")) == []  # private: not even by name
    empty = client.get("/models?search=nothing-like-this")
    assert empty.status_code == 200 and b'id="no-results"' in empty.content


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ranking is PostgreSQL full-text search")
def test_search_ranks_the_better_match_first_unless_another_sort_is_asked(client, tmp_path):
    strong = publish(
        write_model(tmp_path / "strong", card=card(tag="radiology")),
        "acme/radiology-reports",
        industry="healthcare",
        description="Radiology report drafting for radiology departments.",
    )
    weak = publish(
        write_model(tmp_path / "weak", seed=1, card=card(tag="notes")),
        "acme/general-notes",
        industry="healthcare",
        description="General notes; also reads radiology.",
    )
    ModelRepository.objects.filter(pk=weak.repository_id).update(downloads=1000)
    assert strong.repository_id != weak.repository_id
    assert listed(client.get("/models?search=radiology")) == ["acme/radiology-reports", "acme/general-notes"]
    by_downloads = listed(client.get("/models?search=radiology&sort=downloads"))
    assert by_downloads == ["acme/general-notes", "acme/radiology-reports"]
    assert "Best match" in client.get("/models?search=radiology").content.decode()


def test_catalog_facet_counts_follow_the_filters(client, catalog):
    page = client.get("/models?industry=healthcare").content.decode()
    # facet links carry the value and its count; the license facet now only counts healthcare models
    assert re.search(r"license=gemma[^\"]*\"[^>]*><span>gemma</span> <span class=\"count\">1</span>", page)
    assert re.search(r"<span>HIPAA</span> <span class=\"count\">2</span>", page)
    assert "<span>SOX</span>" not in page
    whole = client.get("/models").content.decode()
    assert re.search(r"<span>Healthcare</span> <span class=\"count\">2</span>", whole)
    assert re.search(
        r"<span>Retail</span> <span class=\"count\">1</span>", whole
    )  # the private one is not counted
    assert "4 found" in whole


def test_catalog_sorts(client, catalog):
    by_name = listed(client.get("/models?sort=name"))
    assert by_name == sorted(by_name)
    newest_first = listed(client.get("/models?sort=lastModified"))
    assert newest_first[0] == "zenith/clinical-notes"  # published last
    assert listed(client.get("/models?sort=downloads"))[:2] == [
        "acme/ledger-summarizer",
        "acme/retail-helper",
    ]
    assert len(listed(client.get("/models?sort=size"))) == 4
    assert len(listed(client.get("/models?sort=score"))) == 4  # unscored models still listed


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("industry=mining", "industry"),
        ("sort=bogus", "sort"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("min_score=2", "min_score"),
        ("min_score=0.9&max_score=0.1", "min_score"),
        ("signed=maybe", "signed"),
        ("search=" + "x" * 300, "search"),
        ("sort=relevance", "relevance"),
    ],
)
def test_bad_catalog_parameters_get_a_400_naming_them(client, catalog, query, named):
    response = client.get(f"/models?{query}")
    assert response.status_code == 400
    assert named in unescape(response.content.decode())


def test_a_page_past_the_end_is_a_404_that_says_how_many_pages_there_are(client, catalog):
    response = client.get("/models?page=5")
    assert response.status_code == 404
    assert "1 page(s)" in response.content.decode()


def test_members_see_their_private_models_in_the_catalog(client, catalog):
    member = make_user("insider", member_of="acme")
    client.force_login(member)
    assert "acme/secret-plan" in listed(client.get("/models?publisher=acme"))
    outsider = make_user("outsider")
    client.force_login(outsider)
    assert "acme/secret-plan" not in listed(client.get("/models?publisher=acme"))


# --- home, publisher, leaderboards ----------------------------------------------------------------


def test_home_shows_industries_featured_recent_and_top_per_industry(client, catalog):
    page = client.get("/").content.decode()
    for section in ("Industries", "Featured", "Recently updated", "Top per industry"):
        assert section in page
    assert "/models?industry=healthcare" in page
    assert "acme/ledger-summarizer" in page
    assert "acme/secret-plan" not in page


def test_publisher_page_lists_its_visible_models(client, catalog):
    page = client.get("/acme")
    assert page.status_code == 200
    text = page.content.decode()
    assert "acme/retail-helper" in text and "acme/ledger-summarizer" in text
    assert "acme/secret-plan" not in text
    assert client.get("/nobody-here").status_code == 404


def test_leaderboard_lists_the_industry_and_says_scores_are_missing(client, catalog):
    page = client.get("/leaderboards?industry=healthcare")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="leaderboard"' in text and "zenith/claims-triage" in text
    assert "acme/retail-helper" not in text
    assert 'id="no-scores"' in text  # no evaluator scores exist: said, not invented
    assert client.get("/leaderboards?industry=mining").status_code == 400


# --- model page ----------------------------------------------------------------------------------


def test_model_page_shows_card_files_versions_and_snippets(client, catalog):
    version = catalog["acme/retail-helper"]
    response = client.get("/acme/retail-helper")
    assert response.status_code == 200
    page = unescape(response.content.decode())
    assert "<h1>A model</h1>" in page  # the rendered card
    for file in version.files.all():
        assert file.path in page and file.sha256 in page
    assert version.commit_id[:12] in page
    assert 'os.environ["HF_ENDPOINT"] = "http://testserver"' in page
    assert 'snapshot_download("acme/retail-helper")' in page
    assert "AutoModelForCausalLM.from_pretrained" in page
    assert "MIT License" in page
    assert "Shop questions." in page  # compliance panel
    assert 'id="no-evaluation"' in page


def test_model_page_of_an_older_tag_or_commit(client, catalog, tmp_path):
    first = catalog["acme/retail-helper"]
    publish(write_model(tmp_path / "v2", seed=42, card=card(title="Second")), "acme/retail-helper")
    assert "<h1>Second</h1>" in client.get("/acme/retail-helper").content.decode()
    older = client.get(f"/acme/retail-helper/tree/{first.commit_id}")
    assert older.status_code == 200 and "<h1>A model</h1>" in older.content.decode()
    assert client.get("/acme/retail-helper/tree/no-such-branch").status_code == 404


def test_private_model_page_is_404_to_others_and_200_to_members(client, catalog):
    assert client.get("/acme/secret-plan").status_code == 404
    client.force_login(make_user("reader", member_of="acme"))
    assert client.get("/acme/secret-plan").status_code == 200


def test_malicious_card_renders_inert(client, tmp_path):
    body = (
        "<script>document.title='pwned'</script>\n\n"
        "[click me](javascript:alert(1))\n\n"
        '<img src="x" onerror="alert(2)">\n\n'
        '<a href="JaVaScRiPt:alert(3)" onclick="alert(4)">raw link</a>\n\n'
        '<iframe src="https://example.com"></iframe><style>body{display:none}</style>\n\n'
        '<svg onload="alert(5)"><circle/></svg>\n\n'
        "**still bold**"
    )
    publish(write_model(tmp_path / "evil", card=card(body=body)), "mallory/evil-card")
    page = client.get("/mallory/evil-card").content.decode()
    rendered = page.split('<article class="card-body">', 1)[1].split("</article>", 1)[0]
    lowered = rendered.lower()
    assert "<script" not in lowered and "javascript:" not in lowered
    assert "onerror" not in lowered and "onclick" not in lowered and "onload" not in lowered
    assert "<iframe" not in lowered and "<style" not in lowered and "<svg" not in lowered
    assert "<strong>still bold</strong>" in rendered


# --- gated access --------------------------------------------------------------------------------


def test_gated_model_asks_anonymous_visitors_to_log_in(client, catalog):
    page = client.get("/zenith/clinical-notes").content.decode()
    assert "Log in to request access" in page
    response = client.get("/zenith/clinical-notes/access")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_manual_gating_queues_the_request_until_the_publisher_approves(client, catalog):
    repository = ModelRepository.objects.get(name="clinical-notes")
    repository.gating_terms = "Use for research only."
    repository.save()
    buyer = make_user("buyer")
    client.force_login(buyer)
    form = client.get("/zenith/clinical-notes/access")
    assert b"Use for research only." in form.content
    refused = client.post("/zenith/clinical-notes/access", {"field_0": "Acme Health"})
    assert refused.status_code == 400
    assert not AccessGrant.objects.exists()
    sent = client.post(
        "/zenith/clinical-notes/access",
        {"field_0": "Acme Health", "field_1": "Summarising notes", "accept_terms": "on"},
    )
    assert sent.status_code == 302
    grant = AccessGrant.objects.get(user=buyer)
    assert grant.status == AccessGrant.Status.PENDING
    assert grant.answers == {"Company": "Acme Health", "Intended use": "Summarising notes"}
    assert grant.terms_digest == access.terms_digest(repository)
    assert not access.has_gated_access(buyer, repository)
    assert "waiting for zenith" in client.get("/zenith/clinical-notes").content.decode()

    # a buyer cannot approve themselves; a maintainer of the namespace can
    assert client.get("/zenith/clinical-notes/access-requests").status_code == 403
    assert (
        client.post(
            "/zenith/clinical-notes/access-requests", {"grant": grant.pk, "decision": "approve"}
        ).status_code
        == 403
    )
    client.force_login(make_user("zenith-admin", member_of="zenith", role=Membership.Role.MAINTAINER))
    queue = client.get("/zenith/clinical-notes/access-requests").content.decode()
    assert "buyer" in queue and "Acme Health" in queue
    assert (
        client.post(
            "/zenith/clinical-notes/access-requests", {"grant": grant.pk, "decision": "maybe"}
        ).status_code
        == 400
    )
    decided = client.post(
        "/zenith/clinical-notes/access-requests", {"grant": grant.pk, "decision": "approve"}
    )
    assert decided.status_code == 302
    grant.refresh_from_db()
    assert grant.status == AccessGrant.Status.APPROVED and grant.decided_by.username == "zenith-admin"
    assert access.has_gated_access(buyer, repository)


def test_automatic_gating_grants_at_once_and_records_the_answers(client, tmp_path):
    text = card().replace(
        "---\n# ",
        "extra_gated_fields:\n  Company: text\n  Country: text\n  I agree to share: checkbox\n---\n# ",
        1,
    )
    publish(
        write_model(tmp_path / "auto", card=text),
        "zenith/auto-gated",
        gating=ModelRepository.Gating.AUTOMATIC,
    )
    buyer = make_user("quick-buyer")
    client.force_login(buyer)
    form = client.get("/zenith/auto-gated/access").content.decode()
    assert "Country" in form and "I agree to share" in form
    answer = client.post(
        "/zenith/auto-gated/access",
        {"field_0": "Acme", "field_1": "NL", "field_2": "on", "accept_terms": "on"},
    )
    assert answer.status_code == 302
    grant = AccessGrant.objects.get(user=buyer)
    assert grant.status == AccessGrant.Status.APPROVED
    assert grant.answers == {"Company": "Acme", "Country": "NL", "I agree to share": True}
    assert "You have access" in client.get("/zenith/auto-gated").content.decode()


# --- compare -------------------------------------------------------------------------------------


def test_compare_lines_models_up_side_by_side(client, catalog):
    response = client.get("/compare?models=acme/retail-helper&models=zenith/claims-triage")
    assert response.status_code == 200
    table = response.content.decode().split('id="comparison"', 1)[1]
    header = table.split("</thead>", 1)[0]
    assert header.index("acme/retail-helper") < header.index("zenith/claims-triage")
    assert "mit" in table and "HIPAA" in table and "GDPR" in table


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("models=a/b&models=c/d&models=e/f&models=g/h&models=i/j", 400),
        ("models=not-an-id", 400),
        ("models=acme/no-such-model", 404),
        ("models=acme/secret-plan", 404),
    ],
)
def test_compare_refuses_bad_or_invisible_models(client, catalog, query, status):
    assert client.get(f"/compare?{query}").status_code == status


def test_empty_compare_page_explains_itself(client):
    page = client.get("/compare")
    assert page.status_code == 200 and b"Enter up to four model ids" in page.content


# --- evaluation evidence -------------------------------------------------------------------------


def evaluate(version, *, score: float, label: str, message: str, level: str):
    """A finished, current evaluation run as the evaluators app records it."""
    from evaluators.models import EvaluationRun, Metric

    run = EvaluationRun.objects.create(
        version=version,
        evaluator="domain-benchmark",
        evaluator_version="1",
        status=EvaluationRun.Status.PASSED,
        is_current=True,
        suite=version.repository.industry,
        badge_label=label,
        badge_message=message,
        badge_level=level,
        headline_score=score,
        finished_at=timezone.now(),
    )
    Metric.objects.create(run=run, key="mc_accuracy", value=score)
    return run


def test_evaluation_scores_drive_sort_filters_leaderboard_and_model_page(client, catalog, tmp_path):
    evaluate(catalog["acme/retail-helper"], score=0.8, label="retail MC", message="0.80", level="silver")
    other = publish(
        write_model(tmp_path / "other", seed=9, card=card()), "zenith/retail-basic", industry="retail"
    )
    evaluate(other, score=0.55, label="retail MC", message="0.55", level="bronze")

    assert listed(client.get("/models?sort=score"))[:2] == ["acme/retail-helper", "zenith/retail-basic"]
    assert listed(client.get("/models?min_score=0.7")) == ["acme/retail-helper"]
    assert listed(client.get("/models?score=75")) == ["acme/retail-helper"]  # the 0.75-0.90 band
    assert listed(client.get("/models?max_score=0.6")) == ["zenith/retail-basic"]
    facets = client.get("/models").content.decode()
    assert re.search(r"<span>0.75 to 0.90</span> <span class=\"count\">1</span>", facets)
    assert re.search(r"<span>Not evaluated</span> <span class=\"count\">3</span>", facets)

    board = client.get("/leaderboards?industry=retail&task=text-generation").content.decode()
    assert "<svg" in board and "acme/retail-helper: 0.80" in board and "zenith/retail-basic: 0.55" in board
    table = board.split('id="leaderboard"', 1)[1]
    assert table.index("acme/retail-helper") < table.index("zenith/retail-basic")

    page = unescape(client.get("/acme/retail-helper").content.decode())
    assert "retail MC" in page and "0.80" in page  # the evaluator's badge
    assert 'id="no-evaluation"' not in page
    evaluation = page.split('id="evaluation"', 1)[1].split("</section>", 1)[0]
    assert "0.8" in evaluation

    compared = client.get("/compare?models=acme/retail-helper&models=zenith/retail-basic").content.decode()
    assert "0.80" in compared and "0.55" in compared
