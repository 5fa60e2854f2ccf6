"""Tamper detection: bytes changed behind the registry's back, directly in SeaweedFS."""

import boto3
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from registry.errors import VersionCompromised
from registry.models import AuditEvent, Blob
from registry.services import repositories, scrub
from registry.services.access import require_intact
from tests.fixtures.models import write_model
from tests.integration.helpers import publish

pytestmark = pytest.mark.django_db


def overwrite_in_seaweedfs(key: str, change) -> None:
    """Rewrite a stored object with the S3 credentials, as an intruder (or a bad disk) would:
    nothing in the registry hears of it."""
    client = boto3.client(
        "s3",
        endpoint_url=settings.S3_ENDPOINT_URL,
        aws_access_key_id=settings.S3_ACCESS_KEY_ID,
        aws_secret_access_key=settings.S3_SECRET_ACCESS_KEY,
        region_name=settings.S3_REGION,
    )
    data = client.get_object(Bucket=settings.S3_BUCKET, Key=key)["Body"].read()
    client.put_object(Bucket=settings.S3_BUCKET, Key=key, Body=change(data))


def flip_one_byte(data: bytes) -> bytes:
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x40
    return bytes(changed)


@pytest.fixture
def owner():
    user = get_user_model().objects.create_user("olivia", email="olivia@acme.test")
    repositories.ensure_publisher(slug="acme", owner=user)
    return user


def test_scrub_finds_a_byte_changed_in_seaweedfs_and_blocks_the_pull(owner, tmp_path, client, mailoutbox):
    hit = publish(write_model(tmp_path / "hit", seed=11), "acme/hit")
    spared = publish(write_model(tmp_path / "spared", seed=12), "acme/spared")
    weights = hit.files.select_related("blob").get(path="model.safetensors").blob
    overwrite_in_seaweedfs(weights.storage_key, flip_one_byte)
    spared_blob = spared.files.select_related("blob").get(path="model.safetensors").blob

    report = scrub.scrub_blobs(max_bytes=0, bytes_per_second=0)

    assert report.corrupted == [weights.sha256] and report.compromised_versions == [hit.pk]
    assert report.checked == Blob.objects.filter(files__version__status="published").distinct().count()
    hit.refresh_from_db()
    spared.refresh_from_db()
    assert hit.is_compromised and not spared.is_compromised
    assert hit.compromise_reason.startswith("model.safetensors: the stored bytes hash to sha256")
    assert weights.sha256 in hit.compromise_reason
    assert Blob.objects.get(pk=weights.pk).verified_at is None  # never deduplicated onto again
    spared_blob_after = Blob.objects.get(pk=spared_blob.pk)
    assert spared_blob_after.verified_at > spared_blob.verified_at  # checked, and found intact

    event = AuditEvent.objects.get(action="version.compromised")
    assert event.version == hit and event.data["notified"] == ["olivia@acme.test"]
    assert AuditEvent.objects.filter(action="blob.corrupted", data__sha256=weights.sha256).exists()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["olivia@acme.test"]
    assert "acme/hit" in mailoutbox[0].subject and "model.safetensors" in mailoutbox[0].body

    with pytest.raises(VersionCompromised, match="is blocked: a stored file no longer matches") as blocked:
        require_intact(version=hit)
    assert blocked.value.status == 410
    require_intact(version=spared)
    pull = client.get("/acme/hit/resolve/main/model.safetensors")  # the Hub-compatible download
    assert pull.status_code == 410 and pull["X-Error-Code"] == "VersionCompromised"
    assert "model.safetensors" in pull.json()["error"]
    assert client.get("/acme/spared/resolve/main/config.json").status_code == 200

    again = scrub.scrub_blobs(max_bytes=0, bytes_per_second=0)  # known damage is not reported twice
    assert again.corrupted == [] and len(mailoutbox) == 1


def test_a_missing_object_also_blocks_the_version(owner, tmp_path, store):
    version = publish(write_model(tmp_path / "m", seed=13), "acme/vanished")
    card = version.files.select_related("blob").get(path="README.md").blob
    store.delete(card.storage_key)
    report = scrub.scrub_blobs(max_bytes=0, bytes_per_second=0)
    assert report.corrupted == [card.sha256]
    version.refresh_from_db()
    assert version.is_compromised and "README.md: the stored object" in version.compromise_reason


def test_scrub_keeps_to_its_byte_budget_and_rate(tmp_path):
    first = publish(write_model(tmp_path / "a", seed=21, hidden=64), "acme/budget-a")
    publish(write_model(tmp_path / "b", seed=22, hidden=64), "acme/budget-b")
    weights = first.files.get(path="model.safetensors")

    def checks_of(run) -> set[str]:
        before = dict(Blob.objects.values_list("sha256", "verified_at"))
        report = run()
        after = dict(Blob.objects.values_list("sha256", "verified_at"))
        changed = {sha for sha in before if after[sha] != before[sha]}
        assert len(changed) == report.checked
        return changed

    # Any blob exceeds a one-byte budget: each run checks one, the least recently checked.
    first_run = checks_of(lambda: scrub.scrub_blobs(max_bytes=1, bytes_per_second=0))
    second_run = checks_of(lambda: scrub.scrub_blobs(max_bytes=1, bytes_per_second=0))
    assert len(first_run) == len(second_run) == 1 and first_run != second_run

    now, slept = [0.0], []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    throttle = scrub.Throttle(weights.size, clock=lambda: now[0], sleep=sleep)  # a weights file a second
    report = scrub.scrub_blobs(max_bytes=0, throttle=throttle)
    assert report.checked == Blob.objects.count() and report.bytes_read == sum(
        Blob.objects.values_list("size", flat=True)
    )
    assert sum(slept) == pytest.approx(report.bytes_read / weights.size, rel=0.01)
