"""The ingest task crosses the Redis broker into a real worker process."""

import pytest

from registry.models import Version
from registry.services import ingest
from registry.tasks import ingest_version_task
from tests.integration.helpers import make_repository


@pytest.mark.django_db(transaction=True)
def test_ingest_task_runs_in_a_real_worker(celery_worker_process, model_folder):
    repository = make_repository("acme/queued")
    draft = ingest.start_draft(repository=repository, actor=None)
    for path in ["config.json", "README.md", "model.safetensors"]:
        ingest.stage_local_file(draft=draft, path=path, local_path=model_folder / path)
    result = ingest_version_task.delay(draft.pk).get(timeout=60)
    assert result["worker_pid"] == celery_worker_process.pid
    assert result["status"] == "published"
    assert Version.objects.get(pk=draft.pk).commit_id == result["commit"]


@pytest.mark.django_db(transaction=True)
def test_refused_draft_reports_its_reason_through_the_worker(celery_worker_process, tmp_path):
    repository = make_repository("acme/queued-bad")
    draft = ingest.start_draft(repository=repository, actor=None)
    bad = tmp_path / "model.safetensors"
    bad.write_bytes(b"\x02\x00\x00\x00\x00\x00\x00\x00[]")
    ingest.stage_local_file(draft=draft, path="model.safetensors", local_path=bad)
    result = ingest_version_task.delay(draft.pk).get(timeout=60)
    assert result["status"] == "failed" and "header must be a JSON object" in result["reason"]
    assert Version.objects.get(pk=draft.pk).status == Version.Status.FAILED
