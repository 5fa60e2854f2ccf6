"""Registry signatures end to end: real PostgreSQL, real SeaweedFS, the real verifiers.

Snapshots are either downloaded with the real huggingface_hub client from a live server, or
rebuilt from the stored blobs (the same bytes the Hub API serves) where no server is needed.
"""

import base64
import io
import json
import subprocess
import sys
from pathlib import Path

import model_signing
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from huggingface_hub import snapshot_download

from registry import verify
from registry.errors import IngestError, InvalidPublisherSignature, SigningUnavailable
from registry.models import AuditEvent, Ref, SigningKey, Version, VersionSignature
from registry.services import ingest, repositories, signing
from registry.signing import keys, ossf
from registry.signing.base import SignedManifest, parse_bundle
from registry.storage import get_store
from tests.integration.helpers import make_repository, publish

MODEL_SIGNING_CLI = Path(sys.executable).with_name("model_signing")


def registry_public_key() -> Path:
    return keys.public_key_path(Path(settings.REGISTRY_SIGNING_KEY_PATH))


def snapshot_from_storage(version: Version, folder: Path) -> Path:
    """The version's files as a download holds them, read back from object storage."""
    store = get_store()
    for file in version.files.select_related("blob"):
        target = folder / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"".join(store.iter_chunks(file.blob.storage_key)))
    return folder


def run_verify(capsys, *args) -> tuple[int, str]:
    code = verify.main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def upstream_verify(
    folder: Path, public_key: Path, signature: Path | None = None
) -> subprocess.CompletedProcess:
    """The buyer's check with nothing of ours: the `model_signing` command line."""
    return subprocess.run(
        [
            MODEL_SIGNING_CLI,
            "verify",
            "key",
            folder,
            "--signature",
            signature or folder / "model.sig",
            "--public_key",
            public_key,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def flip_byte(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    offset = len(data) // 2 if offset is None else offset
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


# --- signing on publication ---------------------------------------------------------------------


@pytest.mark.django_db
def test_published_version_is_signed_and_its_snapshot_verifies(model_folder, tmp_path, capsys):
    version = publish(model_folder, "acme/signed")
    signature = VersionSignature.objects.get(version=version)
    key = SigningKey.objects.get(status=SigningKey.Status.ACTIVE)
    served = version.files.get(path="model.sig")
    assert signature.kind == "registry" and signature.is_current and signature.registry_key == key
    assert served.sha256 == signature.bundle_sha256 and not served.is_lfs and served.git_oid
    info = parse_bundle(signature.bundle.encode())
    assert info.subject_name == f"acme/signed@{version.commit_id}"
    assert info.key_hint == key.hint == keys.public_key_info(registry_public_key().read_bytes()).hint
    stored = {f.path: f.sha256 for f in version.files.exclude(path="model.sig")}
    assert info.sha256_by_path == stored  # signed from the digests the server computed
    assert AuditEvent.objects.filter(action="version.signed", version=version).exists()

    folder = snapshot_from_storage(version, tmp_path / "snapshot")
    code, output = run_verify(capsys, folder, "--key", registry_public_key())
    assert code == 0 and f"verified: 4 files of acme/signed@{version.commit_id}" in output
    result = upstream_verify(folder, registry_public_key())
    assert result.returncode == 0 and "Verification succeeded" in result.stdout, result.stderr
    ours = subprocess.run(
        [sys.executable, "-m", "registry.verify", folder, "--key", registry_public_key()],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=settings.BASE_DIR,
    )
    assert ours.returncode == 0, ours.stderr


@pytest.mark.django_db
def test_signing_again_changes_nothing(model_folder):
    version = publish(model_folder, "acme/idempotent")
    signature = VersionSignature.objects.get(version=version)
    assert signing.sign_version(version=version) == signature
    assert ingest.ingest(version=version, actor=None).commit_id == version.commit_id
    assert VersionSignature.objects.filter(version=version).count() == 1


@pytest.mark.django_db
def test_a_draft_is_not_published_unsigned(model_folder):
    repository = make_repository("acme/unsigned")
    draft = ingest.start_draft(repository=repository, actor=None)
    for path in ["config.json", "README.md"]:
        ingest.stage_local_file(draft=draft, path=path, local_path=model_folder / path)
    ingest.verify_version(version=draft)
    with pytest.raises(IngestError, match="is not signed yet"):
        ingest.publish_version(version=draft, actor=None)
    assert not Ref.objects.filter(repository=repository).exists()


def resign_with_other_key(folder: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.pem"
    keys.write_private_key(other, keys.generate_private_key_pem())
    info = parse_bundle((folder / "model.sig").read_bytes())
    bundle = ossf.ModelSigningSigner(other).sign(SignedManifest(info.subject_name, info.sha256_by_path))
    (folder / "model.sig").write_bytes(bundle)


def edit_a_signed_digest(folder: Path, tmp_path: Path) -> None:
    bundle = json.loads((folder / "model.sig").read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement["predicate"]["resources"][0]["digest"] = "0" * 64
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    (folder / "model.sig").write_text(json.dumps(bundle))


TAMPERING = {
    "flipped_byte": (lambda f, t: flip_byte(f / "model.safetensors"), ["model.safetensors: content differs"]),
    "added_file": (
        lambda f, t: (f / "extra").mkdir() or (f / "extra" / "evil.json").write_text("{}"),
        ["extra/evil.json: not signed"],
    ),
    "removed_file": (lambda f, t: (f / "tokenizer.json").unlink(), ["tokenizer.json: missing"]),
    "renamed_file": (
        lambda f, t: (f / "config.json").rename(f / "config2.json"),
        ["config.json: missing", "config2.json: not signed"],
    ),
    "signature_from_another_key": (
        resign_with_other_key,
        ["the signature was made with key", "not with the given key"],
    ),
    "edited_signature": (edit_a_signed_digest, ["does not verify: the bundle was altered"]),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_each_tampering_fails_verification_naming_the_problem(case, model_folder, tmp_path, capsys):
    version = publish(model_folder, f"acme/tamper-{case.replace('_', '-')}")
    folder = snapshot_from_storage(version, tmp_path / "snapshot")
    tamper, expected = TAMPERING[case]
    tamper(folder, tmp_path)
    code, output = run_verify(capsys, folder, "--key", registry_public_key())
    assert code == 1 and output.startswith("FAILED:"), output
    for fragment in expected:
        assert fragment in output
    if case == "flipped_byte":  # the upstream tool refuses it too, on its own
        result = upstream_verify(folder, registry_public_key())
        assert result.returncode == 1 and "Hash mismatch for" in result.stderr
        assert "model.safetensors" in result.stderr


# --- the real huggingface_hub client ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_snapshot_downloaded_with_huggingface_hub_verifies_offline(
    model_folder, live_server, tmp_path, capsys
):
    version = publish(model_folder, "acme/downloaded")
    local = Path(
        snapshot_download(
            "acme/downloaded",
            revision="main",
            local_dir=tmp_path / "local",
            cache_dir=tmp_path / "cache",
            endpoint=live_server.url,
        )
    )
    assert (local / "model.sig").read_bytes() == VersionSignature.objects.get(version=version).bundle.encode()
    assert (local / ".cache" / "huggingface").is_dir()  # ignored by the signature, as it must be
    code, output = run_verify(capsys, local, "--registry", live_server.url)
    assert code == 0 and f"acme/downloaded@{version.commit_id}" in output, output
    public = tmp_path / "registry.pub"  # what a buyer fetches once, then pins
    public.write_bytes(keys.public_key_info(SigningKey.objects.get().public_key_pem).pem)
    assert upstream_verify(local, public).returncode == 0

    cached = Path(
        snapshot_download("acme/downloaded", cache_dir=tmp_path / "cache", endpoint=live_server.url)
    )  # the default layout: snapshots/<commit>/ made of symlinks into blobs/
    assert cached.name == version.commit_id and (cached / "model.sig").is_symlink()
    code, output = run_verify(capsys, cached, "--registry", live_server.url)
    assert code == 0, output
    flip_byte(local / "model.safetensors")
    code, output = run_verify(capsys, local, "--registry", live_server.url)
    assert code == 1 and "model.safetensors: content differs" in output


# --- keys: rotation, revocation, re-issue -------------------------------------------------------


@pytest.fixture
def own_key_path(settings, tmp_path):
    """A key file of this test's own, so rotating it leaves the session's key alone."""
    path = tmp_path / "keys" / "registry.pem"
    settings.REGISTRY_SIGNING_KEY_PATH = path
    call_command("create_signing_key", "--path", str(path), stdout=io.StringIO())
    return path


@pytest.mark.django_db(transaction=True)
def test_rotation_keeps_old_versions_verifiable(own_key_path, model_folder, live_server, tmp_path, capsys):
    old_version = publish(model_folder, "acme/rotating")
    old_key = SigningKey.objects.get(status=SigningKey.Status.ACTIVE)
    old_bundle = old_version.files.get(path="model.sig").sha256

    call_command("create_signing_key", "--rotate", "--path", str(own_key_path), stdout=io.StringIO())
    old_key.refresh_from_db()
    new_key = SigningKey.objects.get(status=SigningKey.Status.ACTIVE)
    assert new_key != old_key and old_key.status == "retired" and old_key.not_after is not None
    (model_folder / "README.md").write_text("---\nlicense: mit\n---\n# v2\n")
    new_version = publish(model_folder, "acme/rotating")

    assert old_version.files.get(path="model.sig").sha256 == old_bundle  # the old signature stays
    listing = json.loads(live_server_get(live_server.url + "/api/v1/signing-keys/"))
    by_hint = {k["hint"]: k for k in listing["keys"]}
    assert listing["current"] == new_key.hint
    assert by_hint[old_key.hint]["status"] == "retired" and by_hint[old_key.hint]["not_after"]
    assert by_hint[new_key.hint]["not_before"] and by_hint[new_key.hint]["public_key_pem"].startswith(
        "-----BEGIN"
    )
    for version, key in [(old_version, old_key), (new_version, new_key)]:
        folder = snapshot_from_storage(version, tmp_path / version.commit_id)
        assert parse_bundle((folder / "model.sig").read_bytes()).key_hint == key.hint
        code, output = run_verify(capsys, folder, "--registry", live_server.url)
        assert code == 0 and f"registry key {key.hint[:16]}" in output, output


def live_server_get(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - the test's own server
        return answer.read()


@pytest.mark.django_db(transaction=True)
def test_revoked_key_is_refused_and_reissue_keeps_the_old_bundle_on_record(
    own_key_path, model_folder, live_server, tmp_path, capsys
):
    version = publish(model_folder, "acme/compromised-key")
    old_files = {f.path: f.sha256 for f in version.files.exclude(path="model.sig")}
    before = snapshot_from_storage(version, tmp_path / "before")
    compromised = SigningKey.objects.get(status=SigningKey.Status.ACTIVE)
    call_command("create_signing_key", "--rotate", "--path", str(own_key_path), stdout=io.StringIO())

    assert signing.revoke_registry_key(key=compromised, reason="key leaked in a backup") == [version]
    code, output = run_verify(capsys, before, "--registry", live_server.url)
    assert code == 1 and "revoked" in output and "key leaked in a backup" in output

    call_command(
        "revoke_signing_key",
        compromised.hint[:12],
        "--reason",
        "key leaked in a backup",
        "--reissue",
        stdout=io.StringIO(),
    )
    version.refresh_from_db()
    current = VersionSignature.objects.get(version=version, is_current=True)
    superseded = VersionSignature.objects.get(version=version, is_current=False)
    assert superseded.registry_key == compromised and "key leaked" in superseded.superseded_reason
    assert current.registry_key.status == "active" and current.subject_name == superseded.subject_name
    assert version.files.get(path="model.sig").sha256 == current.bundle_sha256
    assert {f.path: f.sha256 for f in version.files.exclude(path="model.sig")} == old_files
    assert AuditEvent.objects.filter(action="signature.reissued", version=version).exists()
    after = snapshot_from_storage(version, tmp_path / "after")
    code, output = run_verify(capsys, after, "--registry", live_server.url)
    assert code == 0, output


# --- publisher signatures ------------------------------------------------------------------------


@pytest.fixture
def publisher_key_file(tmp_path):
    path = tmp_path / "publisher" / "publisher.pem"
    keys.write_private_key(path, keys.generate_private_key_pem())
    return path


def sign_as_publisher(folder: Path, private_key: Path) -> bytes:
    """What the publisher runs before uploading: the stock signer, in place (ignoring model.sig)."""
    (
        model_signing.signing.Config()
        .use_elliptic_key_signer(private_key=private_key)
        .set_hashing_config(model_signing.hashing.Config().set_ignored_paths(paths=["model.sig"]))
        .sign(folder, folder / "model.sig")
    )
    return (folder / "model.sig").read_bytes()


def register(slug: str, private_key: Path):
    owner = get_user_model().objects.create_user(f"{slug}-owner", email=f"owner@{slug}.test")
    publisher = repositories.ensure_publisher(slug=slug, owner=owner)
    public = keys.public_key_path(private_key).read_bytes()
    return signing.register_publisher_key(
        publisher=publisher, public_key_pem=public, actor=owner, name="release"
    )


@pytest.mark.django_db
def test_publisher_signature_is_verified_and_shown_apart_from_the_registry_one(
    model_folder, publisher_key_file, client, tmp_path
):
    key = register("acme", publisher_key_file)
    uploaded = sign_as_publisher(model_folder, publisher_key_file)
    version = publish(model_folder, "acme/vendor-signed")

    assert version.publisher_key == key and version.is_signed_by_publisher
    ours = VersionSignature.objects.get(version=version, kind="registry", is_current=True)
    theirs = VersionSignature.objects.get(version=version, kind="publisher", is_current=True)
    assert theirs.bundle.encode() == uploaded and theirs.key_hint == key.hint
    assert version.files.get(path="model.sig").sha256 == ours.bundle_sha256  # the tree's is ours
    assert parse_bundle(uploaded).sha256_by_path == parse_bundle(ours.bundle.encode()).sha256_by_path

    answer = client.get(f"/api/v1/signatures/acme/vendor-signed/{version.commit_id}").json()
    assert answer["signed_by_registry"]["key_hint"] == ours.key_hint
    assert answer["signed_by_publisher"]["key_hint"] == key.hint
    assert answer["signed_by_publisher"]["key_name"] == "release"
    bundle = client.get(answer["signed_by_publisher"]["bundle_url"])
    assert bundle.status_code == 200 and bundle.content == uploaded
    # A buyer checks the publisher's own signature on the downloaded snapshot with the stock tool.
    folder = snapshot_from_storage(version, tmp_path / "snapshot")
    (tmp_path / "publisher.sig").write_bytes(bundle.content)
    result = upstream_verify(folder, keys.public_key_path(publisher_key_file), tmp_path / "publisher.sig")
    assert result.returncode == 0, result.stderr


def change_after_signing(folder: Path, private_key: Path) -> None:
    sign_as_publisher(folder, private_key)
    (folder / "config.json").write_text('{"model_type": "llama", "hidden_size": 17}')


def sign_with_unregistered_key(folder: Path, private_key: Path) -> None:
    other = private_key.with_name("unregistered.pem")
    keys.write_private_key(other, keys.generate_private_key_pem())
    sign_as_publisher(folder, other)


def sign_then_revoke(folder: Path, private_key: Path) -> None:
    sign_as_publisher(folder, private_key)
    key = signing.PublisherKey.objects.get(publisher__slug="acme")
    signing.revoke_publisher_key(key=key, actor=None)


BAD_PUBLISHER_SIGNATURES = {
    "file_changed_after_signing": (
        change_after_signing,
        r"does not match the uploaded files: .*config\.json: content differs",
    ),
    "unregistered_key": (sign_with_unregistered_key, "which is not registered for publisher acme"),
    "revoked_key": (sign_then_revoke, "revoked for acme"),
    "not_a_bundle": (
        lambda f, k: (f / "model.sig").write_text("signed, trust me"),
        "not a JSON signature bundle",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BAD_PUBLISHER_SIGNATURES))
def test_bad_publisher_signature_refuses_the_version(case, model_folder, publisher_key_file):
    register("acme", publisher_key_file)
    prepare, message = BAD_PUBLISHER_SIGNATURES[case]
    prepare(model_folder, publisher_key_file)
    with pytest.raises(InvalidPublisherSignature, match=message) as refused:
        publish(model_folder, "acme/refused")
    assert refused.value.status == 422 and refused.value.message.startswith("model.sig: ")
    draft = Version.objects.get(repository__name="refused")
    assert draft.status == Version.Status.FAILED and "model.sig" in draft.failure_reason
    assert not Ref.objects.filter(repository__name="refused").exists()
    assert not VersionSignature.objects.filter(version=draft).exists()


@pytest.mark.django_db
def test_a_registry_signature_in_an_upload_is_replaced(model_folder, tmp_path):
    first = publish(model_folder, "acme/reupload")
    folder = snapshot_from_storage(first, tmp_path / "downloaded")  # carries our model.sig
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# edited\n")
    second = publish(folder, "acme/reupload")
    assert second.is_published and second.publisher_key is None
    served = snapshot_from_storage(second, tmp_path / "second") / "model.sig"
    info = parse_bundle(served.read_bytes())
    assert info.subject_name == f"acme/reupload@{second.commit_id}"
    assert second.files.get(path="model.sig").sha256 != first.files.get(path="model.sig").sha256


# --- keys and failures ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_signing_failure_leaves_an_unpublished_draft_that_resumes(settings, model_folder, tmp_path):
    missing = tmp_path / "keys" / "absent.pem"
    settings.REGISTRY_SIGNING_KEY_PATH, settings.REGISTRY_SIGNING_KEY_AUTOCREATE = missing, False
    with pytest.raises(SigningUnavailable, match=r"absent\.pem does not exist") as failed:
        publish(model_folder, "acme/keyless")
    assert failed.value.status == 503
    draft = Version.objects.get(repository__name="keyless")
    assert draft.status == Version.Status.FAILED and "create_signing_key" in draft.failure_reason
    assert not Ref.objects.filter(repository__name="keyless").exists()

    settings.REGISTRY_SIGNING_KEY_AUTOCREATE = True  # the embedded default: a key on first use
    version = ingest.ingest(version=draft, actor=None)
    assert version.is_published and missing.exists() and (missing.stat().st_mode & 0o777) == 0o400
    assert VersionSignature.objects.get(version=version).key_hint == SigningKey.objects.get().hint


@pytest.mark.django_db
def test_a_key_given_in_the_environment_signs_and_is_never_stored(settings, model_folder):
    pem = keys.generate_private_key_pem()
    settings.REGISTRY_SIGNING_KEY_PEM = pem.decode()  # e.g. a Kubernetes secret as a variable
    version = publish(model_folder, "acme/env-key")
    expected = keys.describe_public_key(keys.load_private_key_pem(pem).public_key()).hint
    assert VersionSignature.objects.get(version=version).key_hint == expected
    key = SigningKey.objects.get(hint=expected)
    assert "PRIVATE" not in key.public_key_pem and pem.decode() not in key.public_key_pem


@pytest.mark.django_db
def test_signing_keys_are_served_as_json_and_pem(model_folder, client):
    assert client.get("/api/v1/signing-keys/").json()["current"] is None
    assert client.get("/api/v1/signing-keys/current.pem").status_code == 404
    publish(model_folder, "acme/keys")
    key = SigningKey.objects.get()
    listing = client.get("/api/v1/signing-keys/").json()
    assert listing["current"] == key.hint
    assert [k["hint"] for k in listing["keys"]] == [key.hint]
    assert listing["keys"][0]["algorithm"] == "ecdsa-p256" and listing["keys"][0]["status"] == "active"
    pem = client.get("/api/v1/signing-keys/current.pem")
    assert pem["Content-Type"] == "application/x-pem-file"
    assert keys.public_key_info(pem.content).hint == key.hint
    assert client.get(f"/api/v1/signing-keys/{key.hint}.pem").content == pem.content
    missing = client.get(f"/api/v1/signing-keys/{'0' * 64}.pem")
    assert missing.status_code == 404 and "no key has hint" in missing.json()["error"]
    page = client.get("/signing-keys")
    assert page.status_code == 200 and key.hint in page.content.decode()


@pytest.mark.django_db
def test_signatures_of_a_private_repository_are_not_found_for_others(model_folder, client):
    version = publish(model_folder, "acme/secret", visibility="private")
    answer = client.get(f"/api/v1/signatures/acme/secret/{version.commit_id}")
    assert answer.status_code == 404 and answer.json()["code"] == "RepoNotFound"
    row = VersionSignature.objects.get(version=version)
    assert client.get(f"/api/v1/signatures/acme/secret/{version.commit_id}/{row.pk}.sig").status_code == 404
