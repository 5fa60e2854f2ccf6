"""No N+1: each page runs a fixed number of SQL queries, whatever the number of models, versions or
files it shows. Listing rows are made directly in the database (a listing never reads storage)."""

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from registry.models import (
    Blob,
    ComplianceRecord,
    Membership,
    ModelCard,
    ModelRepository,
    Publisher,
    Ref,
    Version,
    VersionFile,
)

pytestmark = pytest.mark.django_db

INDUSTRIES = ["retail", "finance", "healthcare"]


def make_listing(
    count: int, *, namespace: str = "bulk", versions: int = 1, files: int = 2
) -> list[ModelRepository]:
    """`count` published repositories with `versions` versions of `files` files each."""
    publisher, _ = Publisher.objects.get_or_create(slug=namespace)
    blob, _ = Blob.objects.get_or_create(
        sha256="a" * 64, defaults={"size": 10, "storage_key": f"blobs/{'a' * 64}-{namespace}"}
    )
    start = ModelRepository.objects.count()
    repositories = ModelRepository.objects.bulk_create(
        ModelRepository(
            namespace=publisher,
            name=f"model-{start + i}",
            industry=INDUSTRIES[i % 3],
            task="text-generation",
            license=["apache-2.0", "mit"][i % 2],
            tags=["demo"],
            downloads=i,
        )
        for i in range(count)
    )
    now = timezone.now()
    for repository in repositories:
        parent = None
        for n in range(versions):
            commit = hashlib.sha1(f"{repository.pk}-{n}".encode(), usedforsecurity=False).hexdigest()
            version = Version.objects.bulk_create(
                [
                    Version(
                        repository=repository,
                        parent=parent,
                        commit_id=commit,
                        status=Version.Status.PUBLISHED,
                        published_at=now - timedelta(minutes=versions - n),
                        parameter_count=1000 * (n + 1),
                        total_size=10 * files,
                        license=repository.license,
                        message=f"v{n + 1}",
                    )
                ]
            )[0]
            VersionFile.objects.bulk_create(
                VersionFile(version=version, path=f"file-{f}.json", size=10, sha256=blob.sha256, blob=blob)
                for f in range(files)
            )
            ModelCard.objects.create(version=version, metadata={"license": repository.license}, body="# Card")
            ComplianceRecord.objects.create(version=version, frameworks=["GDPR", "SOX"])
            Ref.objects.update_or_create(repository=repository, name="main", defaults={"version": version})
            Ref.objects.create(repository=repository, name=f"v{n + 1}", kind=Ref.Kind.TAG, version=version)
            parent = version
    return repositories


def queries_for(client, django_assert_max_num_queries, url: str) -> int:
    cache.clear()  # facet counts and rendered cards are cached: count the cold request
    with django_assert_max_num_queries(50) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/models", 2),  # rows + all facet counts in one statement
        ("/models?industry=finance&license=mit&framework=SOX&sort=lastModified", 2),
        ("/models?search=model&sort=name", 3),  # + the publishers whose name matches
        ("/models?page=2", 2),
        ("/", 4),  # industries, featured, recent, top per industry
        ("/leaderboards?industry=finance", 3),  # industries, tasks, board
        ("/bulk", 2),  # publisher, its models
    ],
)
def test_listing_pages_run_a_fixed_number_of_queries(client, django_assert_max_num_queries, url, expected):
    make_listing(35)  # more than a page
    few = queries_for(client, django_assert_max_num_queries, url)
    make_listing(60)
    many = queries_for(client, django_assert_max_num_queries, url)
    assert few == many == expected


def test_a_logged_in_catalog_adds_only_the_session_and_user(client, django_assert_max_num_queries):
    make_listing(40)
    anonymous = queries_for(client, django_assert_max_num_queries, "/models")
    user = get_user_model().objects.create_user("member", password="correct-horse-battery")
    Membership.objects.create(publisher=Publisher.objects.get(slug="bulk"), user=user)
    client.force_login(user)
    assert queries_for(client, django_assert_max_num_queries, "/models") == anonymous + 2


def test_model_page_queries_do_not_grow_with_files_versions_or_tags(client, django_assert_max_num_queries):
    small = make_listing(1, namespace="small", versions=1, files=1)[0]
    large = make_listing(1, namespace="large", versions=6, files=40)[0]
    small_count = queries_for(client, django_assert_max_num_queries, f"/small/{small.name}")
    large_count = queries_for(client, django_assert_max_num_queries, f"/large/{large.name}")
    assert small_count == large_count
    assert large_count <= 20


def test_model_page_reads_evaluation_results_once_for_badges_and_metrics(
    client, django_assert_max_num_queries
):
    from evaluators.models import EvaluationRun, Metric

    repository = make_listing(1, namespace="scored")[0]
    version = repository.refs.get(name="main").version
    for evaluator, score in (("domain-benchmark", 0.8123), ("retrieval", 0.55)):
        run = EvaluationRun.objects.create(
            version=version,
            evaluator=evaluator,
            evaluator_version="1",
            status=EvaluationRun.Status.PASSED,
            is_current=True,
            headline_score=score,
            badge_label=f"{evaluator} badge",
            badge_message=f"{score}",
            badge_level="gold",
            finished_at=timezone.now(),
        )
        Metric.objects.create(
            run=run, key="mc_accuracy" if evaluator == "domain-benchmark" else "mrr", value=score
        )
    cache.clear()
    with django_assert_max_num_queries(50) as captured:
        response = client.get(f"/scored/{repository.name}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "domain-benchmark badge" in page and "retrieval badge" in page  # badges
    assert "0.8123" in page  # the model-index metric, from the same reading
    # (the family table's scores come from a subquery of another query, not counted here)
    runs_read = [
        q for q in captured.captured_queries if q["sql"].startswith('SELECT "evaluators_evaluationrun".')
    ]
    metrics_read = [
        q for q in captured.captured_queries if q["sql"].startswith('SELECT "evaluators_metric".')
    ]
    assert len(runs_read) == len(metrics_read) == 1


def test_compare_queries_do_not_grow_with_the_number_of_models(client, django_assert_max_num_queries):
    repositories = make_listing(4)
    ids = [f"bulk/{r.name}" for r in repositories]
    two = queries_for(
        client, django_assert_max_num_queries, "/compare?" + "&".join(f"models={i}" for i in ids[:2])
    )
    four = queries_for(
        client, django_assert_max_num_queries, "/compare?" + "&".join(f"models={i}" for i in ids)
    )
    # Each compared model passes the access gate and the evaluators' results once: a bounded cost
    # (at most four models), the listing facts themselves come from one query.
    per_model, remainder = divmod(four - two, 2)
    assert remainder == 0 and per_model <= 3
