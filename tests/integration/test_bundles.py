"""Air-gapped bundles between two registries in one run: registry A is this test process (its test
database, bucket and signing key); registry B is `manage.py` in subprocesses with its own
PostgreSQL database, its own bucket on the same SeaweedFS server and its own signing key."""

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction

from evaluators.models import EvaluationRun, Metric
from registry.bundles import archive, exporting, importing
from registry.models import AuditEvent, Membership, ModelRepository, Version
from registry.signing import keys
from registry.storage import blob_key
from registry.storage.s3 import S3BlobStore
from tests.fixtures.models import write_model
from tests.fixtures.s3 import ACCESS_KEY, SECRET_KEY
from tests.fixtures.services import database_url
from tests.integration.helpers import publish

MODEL_SIGNING_CLI = Path(sys.executable).with_name("model_signing")
BUCKET_B = "registry-test-b"


def registry_a_public_key() -> Path:
    return keys.public_key_path(Path(settings.REGISTRY_SIGNING_KEY_PATH))


class RegistryB:
    """The second registry: its commands run in subprocesses against its own database and bucket."""

    def __init__(self, env: dict[str, str], store: S3BlobStore):
        self.env, self.store = env, store

    def manage(self, *args, stdin: Path | None = None, timeout: int = 240) -> subprocess.CompletedProcess:
        with open(stdin or os.devnull, "rb") as source:
            return subprocess.run(
                [sys.executable, "manage.py", *map(str, args)],
                cwd=settings.BASE_DIR,
                env=self.env,
                stdin=source,
                capture_output=True,
                text=True,
                timeout=timeout,
            )

    def query(self, code: str):
        """Run Python in registry B (Django set up) and return what it prints as JSON."""
        answer = self.manage("shell", "-c", "import json\n" + code)
        assert answer.returncode == 0, answer.stderr
        return json.loads(answer.stdout.strip().splitlines()[-1])

    def state(self, repo_id: str) -> dict:
        """What registry B holds of `repo_id`: its versions with files, signature, refs and
        evaluations (one subprocess: each costs a Django start-up)."""
        return self.query(STATE.format(repo_id=repo_id))


STATE = """
from registry.models import ModelRepository, Ref, VersionSignature
from evaluators.models import EvaluationRun
namespace, name = "{repo_id}".split("/")
repository = ModelRepository.objects.filter(namespace__slug=namespace, name=name).first()
versions = []
for v in (repository.versions.all() if repository else []):
    sig = VersionSignature.objects.filter(version=v, kind="registry", is_current=True).first()
    versions.append({{
        "commit": v.commit_id, "status": v.status, "parent": v.parent.commit_id if v.parent_id else None,
        "files": {{f.path: [f.sha256, f.blob.storage_key] for f in v.files.select_related("blob")}},
        "key": sig.key_hint if sig else None, "key_status": sig.registry_key.status if sig else None,
        "evaluations": [[r.evaluator, r.evidence, list(r.metrics.values_list("key", "value"))]
                        for r in EvaluationRun.objects.filter(version=v, is_current=True)],
    }})
refs = Ref.objects.filter(repository=repository) if repository else Ref.objects.none()
heads = dict(refs.values_list("name", "version__commit_id"))
print(json.dumps({{"repository": repository is not None, "versions": versions, "heads": heads}}))
"""


@pytest.fixture(scope="module")
def registry_b(s3_server, django_db_blocker):
    name = f"{settings.DATABASES['default']['NAME']}_b"
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    folder = Path(tempfile.mkdtemp(prefix="registry-b-"))
    key_path = folder / "registry-b.pem"
    keys.write_private_key(key_path, keys.generate_private_key_pem())
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(name),
        "S3_ENDPOINT_URL": s3_server.endpoint,
        "S3_BUCKET": BUCKET_B,
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "REGISTRY_SIGNING_KEY_PATH": str(key_path),
        "REGISTRY_SIGNING_KEY_AUTOCREATE": "0",
        "CELERY_BROKER_URL": "memory://",  # B's post-publish tasks go nowhere
    }
    env.pop("REGISTRY_SIGNING_KEY_PEM", None)
    store = S3BlobStore(
        endpoint_url=s3_server.endpoint,
        public_endpoint_url=s3_server.endpoint,
        bucket=BUCKET_B,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region="us-east-1",
    )
    store.ensure_bucket()
    registry = RegistryB(env, store)
    migrated = registry.manage("migrate", "-v0", timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    yield registry
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def add_evaluation(version: Version) -> None:
    run = EvaluationRun.objects.create(
        version=version,
        evaluator="domain-benchmark",
        evaluator_version="1",
        status=EvaluationRun.Status.PASSED,
        is_current=True,
        suite="retail",
        dataset_digest="ab" * 32,
        seed=7,
        headline_score=0.8,
        evidence={"items": [{"question": "q1", "correct": True}]},
    )
    Metric.objects.create(run=run, key="mc_accuracy", value=0.8)


def snapshot_from_b(registry: RegistryB, files: dict[str, list[str]], folder: Path) -> Path:
    """The version's files as registry B stores them (what its download routes serve)."""
    for path, (_, key) in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"".join(registry.store.iter_chunks(key)))
    return folder


def flip_byte_in_member(bundle: Path, member_name: str) -> None:
    with tarfile.open(bundle) as tar:
        member = tar.getmember(member_name)
    with open(bundle, "r+b") as handle:
        handle.seek(member.offset_data + member.size // 2)
        byte = handle.read(1)
        handle.seek(-1, io.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0x01]))


def largest_blob(bundle: Path) -> str:
    with tarfile.open(bundle) as tar:
        blobs = [m for m in tar.getmembers() if m.name.startswith(archive.BLOB_PREFIX)]
    return max(blobs, key=lambda m: m.size).name


# --- the round trip ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_bundle_moves_versions_between_registries_and_verifies_there(registry_b, tmp_path):
    first = publish(write_model(tmp_path / "v1", seed=3), "acme/bundled")
    second = publish(write_model(tmp_path / "v2", seed=4), "acme/bundled")
    add_evaluation(second)
    bundle = tmp_path / "acme.tar"
    out = io.StringIO()
    call_command(
        "export_bundle",
        f"acme/bundled@{first.commit_id}",
        "acme/bundled",
        out=bundle,
        no_progress=True,
        stdout=out,
    )
    assert f"Exported 2 version(s) to {bundle}" in out.getvalue()
    assert AuditEvent.objects.filter(action="version.exported", version=second).exists()

    with tarfile.open(bundle) as tar:  # a plain tar any tool reads, manifest first
        names = tar.getnames()
        manifest = json.load(tar.extractfile(archive.MANIFEST))
    assert names[:2] == [archive.MANIFEST, archive.MANIFEST_SIGNATURE]
    assert archive.report_name("acme/bundled", second.commit_id) in names
    stored = {f.sha256 for v in (first, second) for f in v.files.all()}
    assert {n for n in names if n.startswith(archive.BLOB_PREFIX)} == {archive.blob_name(s) for s in stored}
    assert [v["commit_id"] for v in manifest["versions"]] == [first.commit_id, second.commit_id]

    refused = registry_b.manage("import_bundle", bundle, "--no-progress")
    assert (
        refused.returncode == 1 and "does not trust" in refused.stderr and "--trusted-key" in refused.stderr
    )
    assert registry_b.state("acme/bundled")["versions"] == []

    imported = registry_b.manage("import_bundle", bundle, "--trusted-key", registry_a_public_key())
    assert imported.returncode == 0, imported.stderr
    assert f"acme/bundled@{second.commit_id}: imported" in imported.stdout

    state = registry_b.state("acme/bundled")
    there = {v["commit"]: v for v in state["versions"]}
    assert set(there) == {first.commit_id, second.commit_id}  # the original commit ids
    assert all(v["status"] == "published" for v in there.values())
    imported_second = there[second.commit_id]
    assert {p: s for p, (s, _) in imported_second["files"].items()} == {
        f.path: f.sha256 for f in second.files.all()
    }
    a_hint = keys.public_key_info(registry_a_public_key().read_bytes()).hint
    assert imported_second["key"] == a_hint and imported_second["key_status"] == "retired"  # A's, as is
    assert state["heads"] == {"main": second.commit_id} and imported_second["parent"] == first.commit_id
    assert imported_second["evaluations"] == [
        ["domain-benchmark", {"items": [{"question": "q1", "correct": True}]}, [["mc_accuracy", 0.8]]]
    ]

    folder = snapshot_from_b(registry_b, imported_second["files"], tmp_path / "snapshot")
    ours = subprocess.run(
        [sys.executable, "-m", "registry.verify", folder, "--key", registry_a_public_key()],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=settings.BASE_DIR,
    )
    assert ours.returncode == 0, ours.stdout + ours.stderr
    upstream = subprocess.run(
        [
            MODEL_SIGNING_CLI,
            "verify",
            "key",
            folder,
            "--signature",
            folder / "model.sig",
            "--public_key",
            registry_a_public_key(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert upstream.returncode == 0 and "Verification succeeded" in upstream.stdout, upstream.stderr

    # From a pipe (tarfile's stream mode); A's key is known there now.
    again = registry_b.manage("import_bundle", "-", "--no-progress", stdin=bundle)
    assert again.returncode == 0, again.stderr
    assert f"acme/bundled@{second.commit_id}: already present" in again.stdout


# --- tampering ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["weights", "manifest"])
def test_a_bundle_with_one_flipped_byte_is_refused_and_nothing_is_imported(registry_b, tmp_path, target):
    repo_id = f"acme/tampered-{target}"
    version = publish(write_model(tmp_path / "model", seed=10 + len(target)), repo_id)
    bundle = tmp_path / "bundle.tar"
    call_command("export_bundle", repo_id, out=bundle, no_progress=True, stdout=io.StringIO())
    weights = version.files.get(path="model.safetensors").sha256
    flip_byte_in_member(bundle, largest_blob(bundle) if target == "weights" else archive.MANIFEST)

    if target == "weights":  # through a pipe: refused in stream mode too
        answer = registry_b.manage(
            "import_bundle", "-", "--trusted-key", registry_a_public_key(), "--no-progress", stdin=bundle
        )
    else:
        answer = registry_b.manage(
            "import_bundle", bundle, "--trusted-key", registry_a_public_key(), "--no-progress"
        )
    assert answer.returncode == 1
    assert "bundle refused, nothing was imported" in answer.stderr
    if target == "weights":
        assert archive.blob_name(weights) in answer.stderr and "altered or damaged" in answer.stderr
    else:
        assert "bundle.sig" in answer.stderr
    assert registry_b.state(repo_id) == {"repository": False, "versions": [], "heads": {}}
    assert registry_b.store.head(blob_key(weights)) is None  # what it had written is gone


# --- the web and the API -----------------------------------------------------------------------


def flip_byte_in_blob(data: bytes, sha256: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = tar.getmember(archive.blob_name(sha256))
    flipped = bytearray(data)
    flipped[member.offset_data + member.size // 2] ^= 0x01
    return bytes(flipped)


@pytest.mark.django_db
def test_export_and_import_through_the_api_and_the_portal(client, django_user_model, tmp_path):
    member = django_user_model.objects.create_user("bundle-member", password="x")
    outsider = django_user_model.objects.create_user("bundle-outsider", password="x")
    operator = django_user_model.objects.create_user("bundle-operator", password="x", is_staff=True)
    url = "/api/v1/models/webco/api-bundle/bundle"
    # Registry A's side, rolled back afterwards: the import below then meets a registry without it.
    with transaction.atomic():
        version = publish(write_model(tmp_path / "model", seed=21), "webco/api-bundle")
        Membership.objects.create(publisher=version.repository.namespace, user=member, role="maintainer")
        commit, weights = version.commit_id, version.files.get(path="model.safetensors").sha256
        client.force_login(outsider)
        assert client.get(url).status_code == 403
        client.force_login(member)
        answer = client.get(url, {"revision": commit}, HTTP_ACCEPT="application/x-tar")
        assert answer.status_code == 200 and answer["Content-Type"] == "application/x-tar"
        assert f"webco-api-bundle-{commit[:12]}.tar" in answer["Content-Disposition"]
        from_api = b"".join(answer.streaming_content)
        portal_page = client.get("/portal/repos/webco/api-bundle").content.decode()
        assert f'href="/portal/bundles/export?version=webco/api-bundle%40{commit}"' in portal_page
        page = client.get("/portal/bundles/export", {"version": f"webco/api-bundle@{commit}"})
        assert page.status_code == 200
        from_portal = b"".join(page.streaming_content)
        missing = client.get("/portal/bundles/export", {"version": "webco/api-bundle@nope"})
        assert missing.status_code == 404 and b"nope" in missing.content
        transaction.set_rollback(True)
    assert not Version.objects.filter(commit_id=commit).exists()

    bundle = SimpleUploadedFile("b.tar", from_api, content_type="application/x-tar")
    client.force_login(member)
    assert client.post("/api/v1/bundles", {"bundle": bundle}).status_code == 403
    client.force_login(operator)
    untrusted = client.post("/api/v1/bundles", {"bundle": SimpleUploadedFile("b.tar", from_api)})
    assert untrusted.status_code == 422 and untrusted.json()["error"]["code"] == "BundleRefused"
    assert "does not trust" in untrusted.json()["error"]["message"]
    pem = registry_a_public_key().read_text()
    imported = client.post(
        "/api/v1/bundles", {"bundle": SimpleUploadedFile("b.tar", from_api), "trusted_key": pem}
    )
    assert imported.status_code == 201, imported.content
    assert imported.json()["versions"] == [
        {"repo_id": "webco/api-bundle", "commit_id": commit, "created": True}
    ]
    assert Version.objects.get(commit_id=commit).is_published

    assert client.get("/portal/bundles/import").status_code == 200
    again = client.post("/portal/bundles/import", {"bundle": SimpleUploadedFile("p.tar", from_portal)})
    assert again.status_code == 200 and b"already present" in again.content
    tampered = SimpleUploadedFile("t.tar", flip_byte_in_blob(from_portal, weights))
    refused = client.post("/portal/bundles/import", {"bundle": tampered})
    assert refused.status_code == 422 and b"altered or damaged" in refused.content
    client.force_login(member)
    assert client.get("/portal/bundles/import").status_code == 403


def test_bundle_endpoints_are_in_the_api_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    export = schema["paths"]["/api/v1/models/{namespace}/{name}/bundle"]["get"]
    assert "application/x-tar" in export["responses"]["200"]["content"]
    assert "multipart/form-data" in schema["paths"]["/api/v1/bundles"]["post"]["requestBody"]["content"]


@pytest.mark.django_db
def test_the_importing_registrys_ingest_rules_apply_and_a_refusal_leaves_nothing(settings, tmp_path):
    with transaction.atomic():  # exported, then rolled back: this registry no longer has it
        version = publish(write_model(tmp_path / "model", seed=31), "rules/limited")
        commit = version.commit_id
        plan = exporting.plan_export([version])
        bundle = b"".join(exporting.iter_bundle(plan))
        transaction.set_rollback(True)
    settings.REGISTRY_MAX_FILE_SIZE = 1000  # this registry takes smaller files than the exporter
    trusted = importing.trusted_keys([registry_a_public_key().read_bytes()])
    with pytest.raises(importing.BundleRefused) as refused:
        importing.import_bundle(stream=io.BytesIO(bundle), actor=None, trusted=trusted)
    assert f"rules/limited@{commit}" in refused.value.message and "per-file limit" in refused.value.message
    assert not Version.objects.filter(commit_id=commit).exists()
    assert not ModelRepository.objects.filter(name="limited").exists()
