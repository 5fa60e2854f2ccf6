"""Badges, evidence, progress, model-index, leaderboards, re-runs: the evaluation results as users
meet them over HTTP, with runs executed in-process (the worker path is tests/integration/test_evaluators.py).
"""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import OuterRef
from huggingface_hub import ModelCardData
from huggingface_hub.repocard_data import model_index_to_eval_results

from evaluators import services
from evaluators.badges import COLOURS
from evaluators.models import EvaluationRun
from evaluators.plugins import get_plugin
from evaluators.plugins.base import EvaluatorResult, MetricValue
from evaluators.plugins.format_safety import FormatSafety
from evaluators.selectors import headline_score_subquery, model_index
from evaluators.tasks import evaluate_version
from registry.demo.builders import build_model, write_card
from registry.models import ModelRepository, Version
from registry.services import repositories, tokens
from tests.fixtures.models import write_model
from tests.integration.helpers import publish

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
CARD = {"license": "apache-2.0", "language": ["en"], "pipeline_tag": "text-generation", "tags": ["health"]}
BODY = (
    "# M\n\n## Uses\n\nNotes.\n\n## Limitations\n\nToy.\n\n"
    "## Training data\n\nNone.\n\n## Evaluation\n\nBadges.\n"
)


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory) -> Path:
    folder = build_model(
        tmp_path_factory.mktemp("demo") / "m", architecture="llama", industry="healthcare", seed=3
    )
    write_card(folder, metadata=CARD, body=BODY)
    return folder


def evaluate(version: Version, *names: str) -> dict[str, EvaluationRun]:
    runs = services.plan_evaluations(version=version, evaluators=list(names), enqueue=False)
    return {run.evaluator: services.execute_run(run_id=run.pk) for run in runs}


def record(version: Version, evaluator: str, status: str = "passed", **metrics: float) -> EvaluationRun:
    """A finished run with the given metric values (for queries that rank results, not compute them)."""
    (run,) = services.plan_evaluations(version=version, evaluators=[evaluator], force=True, enqueue=False)
    result = EvaluatorResult(status=status, metrics=[MetricValue(k, v) for k, v in metrics.items()])
    return services.record_result(run, result, plugin=get_plugin(evaluator))


def svg_of(answer) -> ET.Element:
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "image/svg+xml"
    return ET.fromstring(answer.content)  # noqa: S314 - our own SVG


def test_a_badge_follows_the_evaluation_from_not_evaluated_to_its_result(client, demo_folder):
    version = publish(demo_folder, "meridian-health/badged", industry="healthcare", task="text-generation")
    url = "/api/v1/models/meridian-health/badged/badges/format.svg"
    assert svg_of(client.get(url)).find(f"{SVG}title").text == "format: not evaluated"

    services.plan_evaluations(version=version, evaluators=["format", "card"], enqueue=False)
    assert svg_of(client.get(url)).find(f"{SVG}title").text == "format: queued"
    progress = client.get(
        f"/api/v1/models/meridian-health/badged/revisions/{version.commit_id}/evaluation-runs"
    )
    assert [(p["evaluator"], p["status"]) for p in progress.json()["progress"]] == [
        ("format", "queued"),
        ("card", "queued"),
    ]

    for run in version.evaluation_runs.all():
        services.execute_run(run_id=run.pk)
    answer = client.get(url)
    root = svg_of(answer)
    assert root.find(f"{SVG}title").text == "format: safetensors ✓ no remote code"
    assert COLOURS["gold"].encode() in answer.content
    evidence_url = root.find(f"{SVG}a").get("href")
    assert evidence_url.endswith(f"/evaluations/meridian-health/badged/{version.commit_id}/format")
    assert client.get(url, HTTP_IF_NONE_MATCH=answer["ETag"]).status_code == 304
    pinned = client.get(
        f"/api/v1/models/meridian-health/badged/revisions/{version.commit_id}/badges/card.svg"
    )
    assert svg_of(pinned).find(f"{SVG}title").text == "model card: 100% complete"

    page = client.get(evidence_url)
    assert page.status_code == 200 and b"Format and safety" in page.content
    assert b"pickle_scanned_files" in page.content and b"[![format](" in page.content
    runs = client.get("/api/v1/models/meridian-health/badged/revisions/main/evaluation-runs").json()
    assert {r["evaluator"]: r["status"] for r in runs["results"]} == {"format": "passed", "card": "passed"}
    detail = client.get("/api/v1/models/meridian-health/badged/revisions/main/evaluation-runs/format").json()
    assert (
        detail["current"]["library_versions"]["picklescan"] and detail["current"]["hardware"]["threads"] == 1
    )


def test_the_badge_changes_with_the_result_and_failure_never_unpublishes(client, tmp_path):
    folder = write_model(tmp_path / "fake")  # config without vocab_size, tokenizer without a vocabulary
    version = publish(folder, "acme/inconsistent", industry="retail")
    (run,) = evaluate(version, "format").values()
    assert run.status == "failed" and "config.json has no integer vocab_size" in run.reason
    answer = client.get("/api/v1/models/acme/inconsistent/badges/format.svg")
    assert svg_of(answer).find(f"{SVG}title").text == "format: config problem"
    assert COLOURS["fail"].encode() in answer.content and COLOURS["gold"].encode() not in answer.content
    version.refresh_from_db()
    assert version.status == Version.Status.PUBLISHED and version.refs.filter(name="main").exists()


def test_private_badges_answer_404_to_strangers_and_200_to_members(client, tmp_path):
    owner = get_user_model().objects.create_user("owner")
    repositories.ensure_publisher(slug="secretive", owner=owner)
    publish(write_model(tmp_path / "m"), "secretive/hidden", visibility=ModelRepository.Visibility.PRIVATE)
    url = "/api/v1/models/secretive/hidden/badges/size.svg"
    answer = client.get(url)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "RepoNotFound"
    _, raw = tokens.create_token(user=owner, scope="read")
    assert svg_of(client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")) is not None
    assert client.get(url, HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_unknown_evaluators_and_revisions_are_named(client, tmp_path):
    publish(write_model(tmp_path / "m"), "acme/named")
    answer = client.get("/api/v1/models/acme/named/badges/speed.svg")
    assert (
        answer.status_code == 404
        and "no evaluator named 'speed'; evaluators: format" in answer.json()["error"]["message"]
    )
    answer = client.get("/api/v1/models/acme/named/revisions/" + "a" * 40 + "/badges/size.svg")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "RevisionNotFound"
    answer = client.get("/api/v1/models/acme/named/revisions/main/evaluation-runs/speed")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "EvaluatorNotFound"
    assert client.get("/evaluations/acme/named/main/speed").status_code == 404


def test_leaderboards_rank_by_the_benchmark_with_size_beside_the_score(client, tmp_path):
    scores = {"alpha": (0.91, 32), "beta": (0.72, 16), "gamma": (0.91, 16), "delta": (0.99, 16)}
    versions = {}
    for name, (score, hidden) in scores.items():
        visibility = (
            ModelRepository.Visibility.PRIVATE if name == "delta" else ModelRepository.Visibility.PUBLIC
        )
        versions[name] = publish(
            write_model(tmp_path / name, seed=len(name), hidden=hidden),
            f"meridian-health/{name}",
            industry="healthcare",
            task="text-generation",
            visibility=visibility,
        )
        record(versions[name], "domain-benchmark", mc_accuracy=score)
    failed = publish(
        write_model(tmp_path / "eps", seed=9),
        "meridian-health/eps",
        industry="healthcare",
        task="text-generation",
    )
    record(failed, "domain-benchmark", status="failed", mc_accuracy=1.0)

    board = client.get("/api/v1/leaderboards/healthcare/text-generation").json()
    ranked = [(e["repo_id"], e["score"], e["parameter_count"]) for e in board["entries"]]
    small, large = versions["gamma"].parameter_count, versions["alpha"].parameter_count
    assert small < large
    assert ranked == [  # a tie goes to the smaller model; private and failed ones are not listed
        ("meridian-health/gamma", 0.91, small),
        ("meridian-health/alpha", 0.91, large),
        ("meridian-health/beta", 0.72, versions["beta"].parameter_count),
    ]
    assert board["benchmark"] == "domain-benchmark" and board["entries"][0]["metric"] == "mc_accuracy"
    assert board["entries"][0]["evidence_url"].startswith(
        "http://testserver/evaluations/meridian-health/gamma/"
    )
    assert client.get("/api/v1/leaderboards").json()["leaderboards"] == [
        {"industry": "healthcare", "task": "text-generation", "benchmark": "domain-benchmark"}
    ]
    scored = Version.objects.annotate(score=headline_score_subquery(version_id=OuterRef("pk")))
    assert scored.get(pk=versions["beta"].pk).score == 0.72 and scored.get(pk=failed.pk).score is None

    for url, message in [
        ("/api/v1/leaderboards/mining/text-generation", "unknown industry 'mining'"),
        ("/api/v1/leaderboards/healthcare/translation", "no benchmark ranks task 'translation'"),
        ("/api/v1/leaderboards/healthcare/text-generation?limit=0", "limit must be an integer from 1 to 100"),
        ("/api/v1/leaderboards/healthcare/text-generation?limit=x", "limit must be an integer"),
    ]:
        answer = client.get(url)
        assert answer.status_code == 400 and message in answer.json()["error"]["message"], url


def test_model_index_parses_with_huggingface_hub_as_the_served_card(client, tmp_path):
    version = publish(
        write_model(tmp_path / "m"), "northwind/indexed", industry="retail", task="text-generation"
    )
    assert model_index(version) == []
    record(version, "domain-benchmark", mc_accuracy=0.8125, mc_accuracy_norm=0.75, bits_per_byte=1.5)
    record(version, "retrieval", mrr=0.5, recall_at_1=0.4, recall_at_5=0.9)
    record(version, "cpu-speed", decode_tokens_per_s=100.0)  # not a benchmark: not in the index

    name, results = model_index_to_eval_results(model_index(version))
    assert name == "indexed"
    assert {(r.task_type, r.metric_name, r.metric_value) for r in results} == {
        ("text-generation", "MC accuracy", 0.8125),
        ("text-generation", "MC accuracy (length-normalised)", 0.75),
        ("text-generation", "Bits per byte", 1.5),
        ("sentence-similarity", "MRR", 0.5),
        ("sentence-similarity", "Recall@1", 0.4),
        ("sentence-similarity", "Recall@5", 0.9),
    }
    served = client.get("/api/models/northwind/indexed", {"expand[]": "cardData"}).json()
    card = ModelCardData(**served["cardData"])
    assert sorted(r.metric_value for r in card.eval_results) == [0.4, 0.5, 0.75, 0.8125, 0.9, 1.5]


def test_the_rerun_command_queues_only_stale_evaluations(tmp_path, monkeypatch, capsys):
    version = publish(write_model(tmp_path / "m"), "acme/stale")
    (old,) = evaluate(version, "size").values()
    call_command("rerun_evaluations", "--evaluator", "size", "--inline")
    assert "queued 0 evaluation run(s)" in capsys.readouterr().out

    monkeypatch.setattr(get_plugin("size").__class__, "version", "2")
    call_command("rerun_evaluations", "--evaluator", "size", "--inline")
    assert "queued 1 evaluation run(s) for 1 version(s)" in capsys.readouterr().out
    runs = list(version.evaluation_runs.filter(evaluator="size").order_by("pk"))
    assert [(r.evaluator_version, r.status, r.is_current) for r in runs] == [
        ("1", "passed", False),
        ("2", "passed", True),
    ]
    assert old.pk == runs[0].pk  # the earlier result stays, as evidence


def test_the_admin_rerun_action_queues_a_new_run(admin_client, tmp_path):
    version = publish(write_model(tmp_path / "m"), "acme/admin-rerun")
    (run,) = evaluate(version, "size").values()
    answer = admin_client.post(
        "/admin/evaluators/evaluationrun/", {"action": "rerun_selected", "_selected_action": [run.pk]}
    )
    assert answer.status_code == 302
    assert list(version.evaluation_runs.order_by("pk").values_list("status", flat=True)) == [
        "passed",
        "queued",
    ]
    assert admin_client.get(f"/admin/evaluators/evaluationrun/{run.pk}/change/").status_code == 200


def test_delivering_the_publish_task_twice_plans_each_evaluator_once(tmp_path):
    version = publish(write_model(tmp_path / "m"), "acme/twice")
    first = evaluate_version.apply(args=[version.pk]).get()
    second = evaluate_version.apply(args=[version.pk]).get()
    assert first["queued"] == ["format", "size", "card", "domain-benchmark", "cpu-speed", "retrieval"]
    assert second["queued"] == []
    assert evaluate_version.apply(args=[10**9]).get() == {"version": 10**9, "status": "missing"}


def test_a_run_lost_with_its_worker_too_often_is_given_up(tmp_path):
    version = publish(write_model(tmp_path / "m"), "acme/lost")
    (run,) = services.plan_evaluations(version=version, evaluators=["size"], enqueue=False)
    EvaluationRun.objects.filter(pk=run.pk).update(status="running", attempts=3)
    done = services.execute_run(run_id=run.pk)
    assert done.status == "error" and "started 3 times and never finished" in done.reason
    assert done.badge_level == "fail"


def test_an_evaluator_bug_is_an_error_result_not_a_crash(tmp_path, monkeypatch):
    version = publish(write_model(tmp_path / "m"), "acme/buggy")

    def broken(self, model_dir, facts, *, seed):
        raise RuntimeError("plugin bug")

    monkeypatch.setattr(FormatSafety, "run", broken)
    (run,) = evaluate(version, "format").values()
    assert run.status == "error" and run.reason == "RuntimeError: plugin bug" and run.is_current
