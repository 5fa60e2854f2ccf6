"""Uploads against the real S3 server: the Hub routes driven by hand where the official client
cannot misbehave (corrupt bytes, wrong secrets, huge bodies, hostile names), limits, quotas, rate
limits, abandoned multipart cleanup through the Celery task, and organisation membership."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import pytest
import requests
from django.core import mail
from django.utils import timezone

from registry.errors import Conflict, InvalidInput, PermissionDenied
from registry.models import Blob, Invitation, Membership, Ref, UploadSession
from registry.services import accounts, ingest, repositories, uploads
from registry.storage import blob_key
from registry.tasks import abort_abandoned_uploads_task
from tests.compat.helpers import user_with_token
from tests.fixtures.models import CARD

pytestmark = pytest.mark.django_db

CONFIG = b'{"model_type": "llama"}'


@pytest.fixture
def maintainer(s3_server):
    user, raw = user_with_token("maker", scope="write", member_of="acme", role="maintainer")
    repository = repositories.create_repository(
        namespace=repositories.ensure_publisher(slug="acme"), name="tiny", actor=user
    )
    return user, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}, repository


def ndjson(*lines: tuple[str, dict]) -> bytes:
    return b"\n".join(json.dumps({"key": k, "value": v}).encode() for k, v in lines)


def inline(path: str, data: bytes) -> tuple[str, dict]:
    return "file", {"path": path, "content": base64.b64encode(data).decode(), "encoding": "base64"}


def commit(client, auth, body: bytes, revision: str = "main"):
    return client.post(
        f"/api/models/acme/tiny/commit/{revision}", data=body, content_type="application/x-ndjson", **auth
    )


def test_a_commit_body_far_above_djangos_memory_limit_is_read_from_the_stream(client, maintainer, settings):
    _, auth, repository = maintainer
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1 << 20
    tokenizer = json.dumps({"vocab": {f"t{i}": i for i in range(150_000)}}).encode()  # ~3 MB inline
    body = ndjson(
        ("header", {"summary": "first"}),
        inline("README.md", CARD.encode()),
        inline("config.json", CONFIG),
        inline("tokenizer.json", tokenizer),
    )
    assert len(body) > 3 * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    answer = commit(client, auth, body)
    assert answer.status_code == 200, answer.content
    head = Ref.objects.get(repository=repository, name="main").version
    assert answer.json()["commitOid"] == head.commit_id
    assert answer.json()["commitUrl"].endswith(f"/acme/tiny/commit/{head.commit_id}")
    assert head.files.get(path="tokenizer.json").sha256 == hashlib.sha256(tokenizer).hexdigest()

    # Retried (the pipelined client retries commits): the same head, no new version.
    assert commit(client, auth, body).json()["commitOid"] == head.commit_id
    settings.REGISTRY_INLINE_UPLOAD_THRESHOLD = 1 << 20  # an inline line may hold ~1.5 MiB at most
    oversized = commit(
        client, auth, ndjson(("header", {"summary": "x"}), inline("vocab.txt", b"a" * (3 << 20)))
    )
    assert oversized.status_code == 400 and "uploaded before the commit" in oversized.json()["error"]
    stale = ndjson(("header", {"summary": "x", "parentCommit": "0" * 40}), inline("config.json", b"{}"))
    refused = commit(client, auth, stale)
    assert refused.status_code == 412 and "parentCommit" in refused.json()["error"]


def test_bytes_that_do_not_match_the_declared_sha256_are_refused_and_deleted(client, maintainer, store):
    _, auth, repository = maintainer
    assert (
        commit(
            client,
            auth,
            ndjson(
                ("header", {"summary": "v1"}),
                inline("README.md", CARD.encode()),
                inline("config.json", CONFIG),
            ),
        ).status_code
        == 200
    )
    head = Ref.objects.get(repository=repository, name="main").version
    claimed = hashlib.sha256(b"what I said I would send").hexdigest()
    batch = client.post(
        "/acme/tiny.git/info/lfs/objects/batch",
        data=json.dumps(
            {"operation": "upload", "transfers": ["basic"], "objects": [{"oid": claimed, "size": 24}]}
        ),
        content_type="application/vnd.git-lfs+json",
        **auth,
    ).json()
    put = requests.put(
        batch["objects"][0]["actions"]["upload"]["href"], data=b"something else entirely!", timeout=30
    )
    assert put.status_code == 200
    answer = commit(
        client,
        auth,
        ndjson(
            ("header", {"summary": "sneaky"}),
            ("lfsFile", {"path": "model.safetensors", "algo": "sha256", "oid": claimed, "size": 24}),
        ),
    )
    assert answer.status_code == 422
    assert answer["X-Error-Code"] == "DigestMismatch" and "model.safetensors" in answer.json()["error"]
    assert Ref.objects.get(repository=repository, name="main").version == head  # nothing changed
    assert store.head(blob_key(claimed)) is None  # the lying object is gone

    missing = hashlib.sha256(b"never sent").hexdigest()
    never = commit(
        client,
        auth,
        ndjson(
            ("header", {"summary": "x"}), ("lfsFile", {"path": "w.safetensors", "oid": missing, "size": 10})
        ),
    )
    assert never.status_code == 422 and "never uploaded" in never.json()["error"]


def test_multipart_completion_needs_the_session_secret(client, maintainer, settings):
    user, auth, repository = maintainer
    settings.REGISTRY_UPLOAD_PART_SIZE = 5 << 20
    oid = hashlib.sha256(b"x").hexdigest()
    batch = client.post(
        "/acme/tiny.git/info/lfs/objects/batch",
        data=json.dumps(
            {
                "operation": "upload",
                "transfers": ["basic", "multipart"],
                "objects": [{"oid": oid, "size": 11 << 20}],
            }
        ),
        content_type="application/vnd.git-lfs+json",
        **auth,
    ).json()
    header = batch["objects"][0]["actions"]["upload"]["header"]
    assert header["chunk_size"] == str(5 << 20) and {"1", "2", "3"} <= header.keys() and "4" not in header
    session = UploadSession.objects.get(sha256=oid)
    href = batch["objects"][0]["actions"]["upload"]["href"]
    secret = href.split("secret=", 1)[1]
    assert session.secret_hash == hashlib.sha256(secret.encode()).hexdigest()  # the link's secret: hashed
    assert secret not in json.dumps(list(UploadSession.objects.filter(pk=session.pk).values()), default=str)
    for guess in ("guess", "%C3%A9t%C3%A9", ""):  # wrong, not even ASCII, none
        forged = client.post(
            f"/api/uploads/{session.pk}/complete?secret={guess}",
            data=json.dumps({"oid": oid, "parts": [{"partNumber": 1, "etag": '"x"'}]}),
            content_type="application/vnd.git-lfs+json",
        )
        assert forged.status_code == 404, guess
    portal = uploads.start_file_upload(
        draft=uploads.start_portal_draft(repository=repository, user=user),
        user=user,
        path="w.safetensors",
        size=10,
    ).session
    assert portal.secret_hash == ""  # completed by the logged-in portal only
    for guess in ("", "x"):
        refused = client.post(
            f"/api/uploads/{portal.pk}/complete?secret={guess}",
            data=json.dumps({"oid": oid, "parts": [{"partNumber": 1, "etag": '"x"'}]}),
            content_type="application/vnd.git-lfs+json",
        )
        assert refused.status_code == 404


@pytest.mark.parametrize(
    ("path", "size", "expected"),
    [
        ("pytorch_model.bin", 10, "pickle"),
        ("../../etc/passwd.json", 10, "'..'"),
        ("setup.sh", 10, "not accepted"),
        (".git/config.json", 10, "reserved"),
        ("model.safetensors", 2 << 30, "per-file limit"),
    ],
)
def test_preupload_refuses_bad_names_types_and_sizes_before_any_byte(
    client, maintainer, settings, path, size, expected
):
    _, auth, _ = maintainer
    settings.REGISTRY_MAX_FILE_SIZE = 1 << 30
    answer = client.post(
        "/api/models/acme/tiny/preupload/main",
        data=json.dumps({"files": [{"path": path, "size": size, "sample": ""}]}),
        content_type="application/json",
        **auth,
    )
    assert answer.status_code in (400, 422)
    assert expected in answer.json()["error"] and expected in answer["X-Error-Message"]


def test_upload_rate_limit_answers_429_with_the_wait(client, maintainer, settings, monkeypatch):
    _, auth, _ = maintainer
    settings.REGISTRY_UPLOAD_RATE_PER_MINUTE = 2
    # Within one window: a run that crossed a minute boundary would start a fresh count.
    frozen = timezone.now().replace(second=1, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: frozen)
    body = json.dumps({"files": [{"path": "config.json", "size": 2, "sample": ""}]})
    codes = [
        client.post(
            "/api/models/acme/tiny/preupload/main", data=body, content_type="application/json", **auth
        )
        for _ in range(3)
    ]
    assert [c.status_code for c in codes] == [200, 200, 429]
    assert codes[2]["Retry-After"] == "60" and codes[2]["RateLimit"].startswith('"uploads";r=0;t=')


def test_organisation_quota_refuses_uploads_beyond_it(maintainer, settings):
    user, _, repository = maintainer
    settings.REGISTRY_PUBLISHER_QUOTA = 1000
    draft = uploads.start_portal_draft(repository=repository, user=user)
    with pytest.raises(uploads.QuotaExceeded, match="quota of 1000 bytes"):
        uploads.start_file_upload(draft=draft, user=user, path="model.safetensors", size=5000)
    builder = uploads.CommitBuilder(repository=repository, user=user, branch="main")
    builder.add_inline(path="config.json", data=b"{" + b" " * 2000 + b"}")
    with pytest.raises(uploads.QuotaExceeded):
        builder.finish(summary="too big")


def test_abandoned_multipart_uploads_are_aborted_by_the_periodic_task(maintainer, store, settings):
    user, _, repository = maintainer
    draft = uploads.start_portal_draft(repository=repository, user=user)
    old = uploads.start_file_upload(draft=draft, user=user, path="model.safetensors", size=6 << 20)
    fresh = uploads.start_file_upload(draft=draft, user=user, path="extra.safetensors", size=10)
    requests.put(old.part_urls[1], data=b"\0" * (5 << 20), timeout=60).raise_for_status()
    assert store.list_parts(old.session.storage_key, old.session.upload_id)
    UploadSession.objects.filter(pk=old.session.pk).update(updated_at=timezone.now() - timedelta(days=2))
    assert "abort-abandoned-uploads" in settings.CELERY_BEAT_SCHEDULE

    assert abort_abandoned_uploads_task.apply().get() == {"aborted": 1}

    old.session.refresh_from_db()
    fresh.session.refresh_from_db()
    assert old.session.status == UploadSession.Status.ABORTED and fresh.session.status == "open"
    assert store.list_parts(old.session.storage_key, old.session.upload_id) == []  # gone from storage


def test_portal_upload_resumes_and_deduplicates_stored_blobs(maintainer, store, settings):
    user, _, repository = maintainer
    settings.REGISTRY_UPLOAD_PART_SIZE = 5 << 20
    data = bytes(range(256)) * (44 << 10)  # 11 MiB: three parts
    draft = uploads.start_portal_draft(repository=repository, user=user)
    first = uploads.start_file_upload(draft=draft, user=user, path="tokenizer.json", size=len(data))
    assert sorted(first.part_urls) == [1, 2, 3] and first.done_parts == {}
    etag = requests.put(first.part_urls[1], data=data[: 5 << 20], timeout=60).headers["ETag"]

    again = uploads.start_file_upload(draft=draft, user=user, path="tokenizer.json", size=len(data))
    assert again.session.pk == first.session.pk and again.done_parts == {1: etag}
    assert sorted(again.part_urls) == [2, 3]
    parts = [(1, etag)] + [
        (
            n,
            requests.put(
                again.part_urls[n], data=data[(n - 1) * (5 << 20) : n * (5 << 20)], timeout=60
            ).headers["ETag"],
        )
        for n in (2, 3)
    ]
    file = uploads.complete_file_upload(session_id=first.session.pk, user=user, parts=parts)
    assert file.sha256 == hashlib.sha256(data).hexdigest()
    Blob.objects.filter(pk=file.sha256).update(verified_at=timezone.now())

    # The same bytes in a later draft: hashed, found stored, the second copy dropped.
    second = uploads.start_portal_draft(repository=repository, user=user)
    other = uploads.start_file_upload(draft=second, user=user, path="tokenizer.json", size=len(data))
    parts = [
        (
            n,
            requests.put(
                other.part_urls[n], data=data[(n - 1) * (5 << 20) : n * (5 << 20)], timeout=60
            ).headers["ETag"],
        )
        for n in (1, 2, 3)
    ]
    uploads.complete_file_upload(session_id=other.session.pk, user=user, parts=parts)
    assert store.head(other.session.storage_key) is None
    assert Blob.objects.get(pk=file.sha256).storage_key == first.session.storage_key

    uploads.cancel_draft(draft=second, user=user)
    second.refresh_from_db()
    assert second.status == "failed" and second.failure_reason == "cancelled by the publisher"


def test_sign_up_organisations_invitations_and_roles(s3_server):
    owner = accounts.sign_up(username="olivia", email="o@example.com", password="a-long-passphrase-1")
    assert accounts.personal_namespace(user=owner).slug == "olivia"
    link = mail.outbox[-1].body.split("Confirm o@example.com: ")[1].strip()
    with pytest.raises(InvalidInput, match="invalid or has expired"):
        accounts.verify_email(token=link[:-2] + "xx")
    assert accounts.verify_email(token=link).verified_at is not None
    with pytest.raises(Conflict):
        accounts.sign_up(username="olivia", email="x@example.com", password="a-long-passphrase-1")
    with pytest.raises(InvalidInput):
        accounts.sign_up(username="weak", email="w@example.com", password="123")
    org = accounts.create_organisation(slug="clinic", display_name="Clinic", owner=owner)

    invitation = accounts.invite(
        publisher=org, email="m@example.com", role="maintainer", actor=owner, accept_url="http://x/TOKEN"
    )
    assert f"http://x/{invitation.token}" in mail.outbox[-1].body
    stored = Invitation.objects.filter(pk=invitation.pk).values().get()
    assert invitation.token not in {str(v) for v in stored.values()}  # only its sha256 is kept
    member = accounts.sign_up(username="mateo", email="m@example.com", password="a-long-passphrase-2")
    with pytest.raises(PermissionDenied):
        accounts.invite(publisher=org, email="z@example.com", role="owner", actor=member)
    assert accounts.accept_invitation(token=invitation.token, user=member).role == "maintainer"
    with pytest.raises(Exception, match="already used"):
        accounts.accept_invitation(token=invitation.token, user=member)
    assert Invitation.objects.get(pk=invitation.pk).accepted_by == member

    assert accounts.publisher_for_write(slug="clinic", user=member) == org
    accounts.set_role(publisher=org, username="mateo", role="reader", actor=owner)
    with pytest.raises(PermissionDenied):
        accounts.publisher_for_write(slug="clinic", user=member)
    with pytest.raises(InvalidInput, match="at least one owner"):
        accounts.set_role(publisher=org, username="olivia", role="reader", actor=owner)
    accounts.remove_member(publisher=org, username="mateo", actor=owner)
    assert not Membership.objects.filter(publisher=org, user=member).exists()


def test_card_editor_validates_before_anything_is_stored(client, maintainer):
    user, _, repository = maintainer
    client.force_login(user)
    good = {
        "card": {"license": "mit", "tags": "a, b", "body": "# Hi\n\n<script>x</script>*ok*", "compliance": {}}
    }
    preview = client.post("/portal/api/card-preview", data=good, content_type="application/json")
    assert preview.status_code == 200 and preview.json()["metadata"]["tags"] == ["a", "b"]
    assert "<script>" not in preview.json()["html"] and "<em>ok</em>" in preview.json()["html"]

    bad = {"card": {"license": "mit", "compliance": {"frameworks": "HIPAA"}}}
    refused = client.post("/portal/api/card-preview", data=bad, content_type="application/json")
    assert refused.status_code == 422 and "'frameworks' must be a list" in refused.json()["errors"][0]
    draft = uploads.start_portal_draft(repository=repository, user=user)
    stored = client.post(f"/portal/api/uploads/{draft.pk}/card", data=bad, content_type="application/json")
    assert stored.status_code == 422 and not draft.files.exists()


def test_portal_api_names_the_malformed_field(client, maintainer):
    user, _, repository = maintainer
    client.force_login(user)
    draft = uploads.start_portal_draft(repository=repository, user=user)
    cases = [
        (f"/portal/api/uploads/{draft.pk}/files", b"{not json", "not valid JSON"),
        (f"/portal/api/uploads/{draft.pk}/files", b"[1, 2]", "must be a JSON object"),
        (
            f"/portal/api/uploads/{draft.pk}/files",
            b'{"path": "config.json"}',
            "'size' must be a JSON integer",
        ),
        (f"/portal/api/uploads/{draft.pk}/files", b'{"path": 7, "size": 3}', "'path' must be a JSON string"),
    ]
    for path, body, message in cases:
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code == 400, (path, body, response.content)
        assert message in response.json()["error"], response.json()
    assert not draft.files.exists()
    card = client.post("/portal/api/card-preview", data=b'{"card": ["mit"]}', content_type="application/json")
    assert card.status_code == 422 and '"card" must be a JSON object' in card.json()["errors"][0]


def _safetensors(seed: bytes) -> bytes:
    header = json.dumps({"w": {"dtype": "U8", "shape": [32], "data_offsets": [0, 32]}}).encode()
    return len(header).to_bytes(8, "little") + header + hashlib.sha256(seed).digest()


def _lfs_batch(client, repo_id: str, auth, oid: str, size: int) -> dict:
    return client.post(
        f"/{repo_id}.git/info/lfs/objects/batch",
        data=json.dumps(
            {
                "operation": "upload",
                "transfers": ["basic", "multipart"],
                "objects": [{"oid": oid, "size": size}],
            }
        ),
        content_type="application/vnd.git-lfs+json",
        **auth,
    ).json()["objects"][0]


def _send_one_part(client, action: dict, oid: str, data: bytes) -> None:
    put = requests.put(action["header"]["1"], data=data, timeout=30)
    assert put.status_code == 200
    done = client.post(
        action["href"].split("testserver", 1)[-1],
        data=json.dumps({"oid": oid, "parts": [{"partNumber": 1, "etag": put.headers["ETag"]}]}),
        content_type="application/vnd.git-lfs+json",
    )
    assert done.status_code == 200, done.content


def test_a_known_sha256_does_not_grant_another_tenants_private_bytes(client, maintainer, store):
    _, auth, _ = maintainer
    victim = repositories.create_repository(
        namespace=repositories.ensure_publisher(slug="acme"),
        name="secret",
        actor=maintainer[0],
        visibility="private",
    )
    weights = _safetensors(b"private weights")
    oid = hashlib.sha256(weights).hexdigest()
    first = _lfs_batch(client, "acme/secret", auth, oid, len(weights))
    assert requests.put(first["actions"]["upload"]["href"], data=weights, timeout=30).status_code == 200
    published = client.post(
        "/api/models/acme/secret/commit/main",
        data=ndjson(
            ("header", {"summary": "v1"}),
            inline("README.md", CARD.encode()),
            ("lfsFile", {"path": "model.safetensors", "algo": "sha256", "oid": oid, "size": len(weights)}),
        ),
        content_type="application/x-ndjson",
        **auth,
    )
    assert published.status_code == 200, published.content
    assert victim.versions.filter(status="published").exists()

    _, raw = user_with_token("mallory", scope="write", member_of="evil", role="owner")
    evil = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    repositories.create_repository(
        namespace=repositories.ensure_publisher(slug="evil"), name="copy", actor=None
    )
    steal = ndjson(
        ("header", {"summary": "steal"}),
        inline("README.md", CARD.encode()),
        ("lfsFile", {"path": "model.safetensors", "algo": "sha256", "oid": oid, "size": len(weights)}),
    )

    def commit_as_mallory():
        return client.post(
            "/api/models/evil/copy/commit/main", data=steal, content_type="application/x-ndjson", **evil
        )

    refused = commit_as_mallory()
    assert refused.status_code == 403 and "does not grant stored bytes" in refused.json()["error"]
    # The batch asks for the bytes, to a key of the caller's own: never over the stored object.
    action = _lfs_batch(client, "evil/copy", evil, oid, len(weights))["actions"]["upload"]
    session = UploadSession.objects.get(repository__name="copy", sha256=oid)
    assert session.storage_key.startswith("uploads/")
    _send_one_part(client, action, oid, _safetensors(b"a guess"))
    wrong = commit_as_mallory()
    assert wrong.status_code == 422 and wrong["X-Error-Code"] == "DigestMismatch"
    assert b"".join(store.iter_chunks(blob_key(oid))) == weights  # the victim's bytes are untouched
    assert not Ref.objects.filter(repository__name="copy").exists()

    # Whoever really holds the bytes may publish them (stored once, by content address).
    action = _lfs_batch(client, "evil/copy", evil, oid, len(weights))["actions"]["upload"]
    _send_one_part(client, action, oid, weights)
    assert commit_as_mallory().status_code == 200
    assert Blob.objects.filter(sha256=oid).count() == 1


def test_every_way_of_starting_an_upload_loads_the_signing_pipeline_meanwhile(
    client, maintainer, monkeypatch
):
    """The preupload, the LFS batch, the Xet write token and the portal's draft each start the
    background import of model-signing and the card parser, so the commit does not wait for it."""
    user, auth, repository = maintainer
    calls: list[str] = []
    monkeypatch.setattr(ingest, "load_pipeline_in_background", lambda: calls.append("load"))
    json_body = {"content_type": "application/json", **auth}
    client.post(
        "/api/models/acme/tiny/preupload/main",
        data=json.dumps({"files": [{"path": "config.json", "size": 2, "sample": ""}]}),
        **json_body,
    )
    assert calls == ["load"]
    client.post(
        "/acme/tiny.git/info/lfs/objects/batch",
        data=json.dumps({"operation": "upload", "objects": [{"oid": "a" * 64, "size": 10}]}),
        **json_body,
    )
    assert len(calls) == 2
    assert client.get("/api/models/acme/tiny/xet-write-token/main", **auth).status_code == 200
    assert len(calls) == 3
    uploads.start_portal_draft(repository=repository, user=user)
    assert len(calls) == 4
