"""The ingest pipeline against real PostgreSQL and a real SeaweedFS."""

import hashlib
import shutil

import pytest

from registry.errors import DigestMismatch, ImmutableVersion, InvalidSafetensors, RefusedFileType
from registry.models import AuditEvent, Blob, ModelRepository, Ref, Version, VersionFile
from registry.services import ingest
from registry.storage import blob_key
from tests.fixtures.models import raw_safetensors, write_model
from tests.integration.helpers import make_repository, publish

pytestmark = pytest.mark.django_db


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("verifies", [True, False], ids=["hashed-on-upload", "hashed-from-storage"])
def test_publish_single_file_model(model_folder, store, settings, verifies):
    settings.S3_VERIFIES_CHECKSUMS = verifies  # both ways of getting the stored bytes' digest
    version = publish(model_folder, "acme/tiny")
    assert version.is_published and len(version.commit_id) == 40
    assert Ref.objects.get(repository=version.repository, name="main").version == version
    weights = version.files.get(path="model.safetensors")
    assert weights.sha256 == sha256(model_folder / "model.safetensors")
    assert weights.is_lfs and weights.blob.is_verified
    assert weights.safetensors.tensor_count == 5
    assert weights.safetensors.parameters_by_dtype == {"F32": 4 * 16 * 16, "F16": 32 * 16}
    assert version.parameter_count == 4 * 16 * 16 + 32 * 16
    # small files carry the git blob sha1 the Hub client expects as their ETag
    config = version.files.get(path="config.json")
    raw = (model_folder / "config.json").read_bytes()
    assert config.git_oid == hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()
    assert not config.is_lfs
    assert (
        store.read_range(weights.blob.storage_key, 0, weights.size)
        == (model_folder / "model.safetensors").read_bytes()
    )
    assert version.card.metadata["license"] == "apache-2.0"
    assert version.compliance.frameworks == ["GDPR"] and version.compliance.contains_pii is False
    assert version.repository.license == "apache-2.0" and version.repository.task == "text-generation"


def test_publish_sharded_model(sharded_model_folder):
    version = publish(sharded_model_folder, "acme/sharded")
    shards = version.files.filter(path__endswith=".safetensors")
    assert shards.count() == 3
    assert sum(f.safetensors.tensor_count for f in shards) == 5
    assert version.parameter_count == 4 * 16 * 16 + 32 * 16
    assert version.files.filter(path="model.safetensors.index.json").exists()


def test_sharded_index_naming_a_missing_shard_is_refused(sharded_model_folder):
    (sharded_model_folder / "model-00003-of-00003.safetensors").unlink()
    with pytest.raises(
        InvalidSafetensors, match=r"model-00003-of-00003\.safetensors', which is not in this version"
    ):
        publish(sharded_model_folder, "acme/broken-index")
    assert not Version.objects.published().filter(repository__name="broken-index").exists()


def stored_keys(store) -> set[str]:
    pages = store._client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def test_blob_stored_once_across_versions_and_repositories(model_folder, store):
    first = publish(model_folder, "acme/one")
    before = stored_keys(store)
    (model_folder / "README.md").write_text("---\nlicense: mit\n---\n# changed card\n")
    second = publish(model_folder, "acme/one")
    # Only the new card, and the new version's own signature (model.sig names its commit).
    new_card = second.files.get(path="README.md").blob.storage_key
    assert stored_keys(store) - before == {new_card, second.files.get(path="model.sig").blob.storage_key}
    before = stored_keys(store)
    other = publish(model_folder, "globex/two")
    # A new repository with the same files stores nothing new but its signature.
    assert stored_keys(store) - before == {other.files.get(path="model.sig").blob.storage_key}
    weights_sha = first.files.get(path="model.safetensors").sha256
    assert second.parent == first and second.commit_id != first.commit_id
    assert VersionFile.objects.filter(sha256=weights_sha).count() == 3
    assert Blob.objects.filter(sha256=weights_sha).count() == 1
    assert other.files.get(path="model.safetensors").blob == first.files.get(path="model.safetensors").blob


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (raw_safetensors(b"{oops", bytes(8)), "header is not valid JSON"),
        (
            raw_safetensors({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}, bytes(8)),
            "shape [4] of F32 needs 16 bytes",
        ),
        (
            raw_safetensors(
                {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(8), length=99999
            ),
            "reaches beyond the end of the file",
        ),
    ],
)
def test_malformed_safetensors_leaves_no_visible_version(model_folder, payload, message):
    good = publish(model_folder, "acme/guarded")
    (model_folder / "model.safetensors").write_bytes(payload)
    with pytest.raises(InvalidSafetensors) as error:
        publish(model_folder, "acme/guarded")
    assert message in error.value.message and error.value.path == "model.safetensors"
    failed = Version.objects.exclude(pk=good.pk).get(repository=good.repository)
    assert failed.status == Version.Status.FAILED and message in failed.failure_reason
    assert failed.commit_id is None
    assert Ref.objects.get(repository=good.repository, name="main").version == good
    assert list(Version.objects.published().filter(repository=good.repository)) == [good]
    assert AuditEvent.objects.filter(action="version.failed", version=failed).exists()


def test_pickle_file_refused_before_upload(model_folder, store):
    (model_folder / "pytorch_model.bin").write_bytes(b"\x80\x04\x95fake pickle")
    with pytest.raises(RefusedFileType, match="pickle-based weights"):
        publish(model_folder, "acme/pickled")
    assert not Version.objects.filter(repository__name="pickled").exists()
    assert Blob.objects.count() == 0


def test_disguised_pickle_refused_from_stored_bytes(model_folder):
    (model_folder / "extra.json").write_bytes(b"\x80\x04\x95" + bytes(64))
    with pytest.raises(RefusedFileType, match="content is a pickle despite its name"):
        publish(model_folder, "acme/disguised")
    assert not Version.objects.published().exists()


def test_failure_mid_ingest_leaves_no_visible_version(model_folder, store):
    """Bytes at a blob key that do not hash to it: found at verification, object removed, nothing visible."""
    repository = make_repository("acme/midway")
    draft = ingest.start_draft(repository=repository, actor=None)
    ingest.stage_local_file(draft=draft, path="config.json", local_path=model_folder / "config.json")
    weights = (model_folder / "model.safetensors").read_bytes()
    claimed = hashlib.sha256(weights).hexdigest()
    store.put_bytes(blob_key(claimed), weights[:-1] + b"\x00")  # one byte changed in storage
    ingest.add_stored_file(draft=draft, path="model.safetensors", sha256=claimed, size=len(weights))
    with pytest.raises(DigestMismatch, match="stored bytes hash to sha256"):
        ingest.ingest(version=draft, actor=None)
    draft.refresh_from_db()
    assert draft.status == Version.Status.FAILED and "model.safetensors" in draft.failure_reason
    assert store.head(blob_key(claimed)) is None
    assert not Ref.objects.filter(repository=repository).exists()
    assert not ModelRepository.objects.filter(pk=repository.pk, refs__isnull=False).exists()


def test_failed_draft_resumes_and_publishes(model_folder, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(model_folder, broken)
    (broken / "model.safetensors").write_bytes(raw_safetensors(b"{}", b"x"))
    with pytest.raises(InvalidSafetensors):
        publish(broken, "acme/resume")
    draft = Version.objects.get(repository__name="resume")
    ingest.stage_local_file(
        draft=draft, path="model.safetensors", local_path=model_folder / "model.safetensors"
    )
    version = ingest.ingest(version=draft, actor=None)
    assert version.is_published and version.pk == draft.pk


def test_published_version_is_immutable(model_folder):
    version = publish(model_folder, "acme/frozen")
    version.message = "rewritten history"
    with pytest.raises(ImmutableVersion, match="cannot change message"):
        version.save()
    file = version.files.first()
    file.sha256 = "0" * 64
    with pytest.raises(ImmutableVersion, match="its files cannot change"):
        file.save()
    with pytest.raises(ImmutableVersion, match="cannot be removed"):
        file.delete()
    with pytest.raises(ImmutableVersion, match="cannot be deleted; yank it instead"):
        Version.objects.get(pk=version.pk).delete()
    version.refresh_from_db()
    version.is_yanked = True  # the one change allowed after publication
    version.save()
    assert Version.objects.get(pk=version.pk).is_yanked


def test_private_and_gated_settings_are_stored(model_folder):
    version = publish(model_folder, "acme/secret", visibility="private", gating="manual")
    repository = ModelRepository.objects.get(pk=version.repository_id)
    assert repository.is_private and repository.gating == ModelRepository.Gating.MANUAL
    assert not ModelRepository.objects.visible_to(None).filter(pk=repository.pk).exists()


def test_invalid_card_yaml_is_refused_with_its_line(model_folder):
    (model_folder / "README.md").write_text("---\nlicense: mit\ntags: [a, b\n---\nbody\n")
    with pytest.raises(Exception, match="metadata is not valid YAML at line"):
        publish(model_folder, "acme/bad-card")
    assert not Version.objects.published().exists()


def test_dedup_upload_skips_transfer(model_folder, tmp_path):
    publish(model_folder, "acme/dedup")
    repository = make_repository("acme/dedup-two")
    draft = ingest.start_draft(repository=repository, actor=None)
    staged = ingest.stage_local_file(
        draft=draft, path="model.safetensors", local_path=model_folder / "model.safetensors"
    )
    assert staged.reused
    write_model(tmp_path / "fresh", seed=42)
    fresh = ingest.stage_local_file(
        draft=draft, path="other.safetensors", local_path=tmp_path / "fresh" / "model.safetensors"
    )
    assert not fresh.reused
