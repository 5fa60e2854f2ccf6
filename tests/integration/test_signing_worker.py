"""The sign and scrub tasks cross the Redis broker into a real worker process."""

import pytest

from registry.models import Version, VersionSignature
from registry.services import ingest
from registry.signing import keys
from registry.tasks import scrub_blobs_task, sign_version_task
from tests.integration.helpers import make_repository


@pytest.mark.django_db(transaction=True)
def test_sign_task_signs_with_the_configured_key_then_publishes(
    celery_worker_process, registry_signing_key, model_folder
):
    repository = make_repository("acme/signed-by-worker")
    draft = ingest.start_draft(repository=repository, actor=None)
    for path in ["config.json", "README.md", "model.safetensors"]:
        ingest.stage_local_file(draft=draft, path=path, local_path=model_folder / path)
    ingest.verify_version(version=draft)  # verified here; signed and published there

    result = sign_version_task.delay(draft.pk).get(timeout=120)

    assert result["worker_pid"] == celery_worker_process.pid and result["status"] == "published"
    expected = keys.public_key_info(keys.public_key_path(registry_signing_key).read_bytes()).hint
    assert result["key"] == expected
    version = Version.objects.get(pk=draft.pk)
    assert version.commit_id == result["commit"]
    signature = VersionSignature.objects.get(version=version)
    assert signature.subject_name == f"acme/signed-by-worker@{version.commit_id}"
    assert version.files.get(path="model.sig").sha256 == signature.bundle_sha256


@pytest.mark.django_db(transaction=True)
def test_scrub_task_runs_in_a_real_worker(celery_worker_process, model_folder):
    repository = make_repository("acme/scrubbed-by-worker")
    draft = ingest.start_draft(repository=repository, actor=None)
    for path in ["config.json", "README.md", "model.safetensors"]:
        ingest.stage_local_file(draft=draft, path=path, local_path=model_folder / path)
    version = ingest.ingest(version=draft, actor=None)

    result = scrub_blobs_task.delay(max_bytes=0, bytes_per_second=0).get(timeout=120)

    assert result["worker_pid"] == celery_worker_process.pid
    assert result["checked"] == version.files.count() and result["corrupted"] == []
    assert result["bytes_read"] == sum(version.files.values_list("size", flat=True))
