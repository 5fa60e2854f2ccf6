"""Import: a bundle from another registry (or this one), checked completely before anything shows.

Order of work, each step refusing the whole bundle with a message naming what is wrong:

1. `bundle.json` and `bundle.sig` come first: the manifest's signature must verify with a key this
   registry trusts (its own published keys, or one handed over out of band with `--trusted-key`).
2. Every version's registry signature (its `model.sig`, carried in the manifest) must verify with
   a trusted key against the file digests the manifest lists, and name `namespace/name@commit`.
3. The rest of the archive streams through: each blob is hashed while it is written to object
   storage by multipart upload (at its content address), each report is hashed in memory; any
   digest or size that differs from the manifest stops the import.
4. Only then, in one database transaction, the versions are created through the ingest services
   (start_draft, add_stored_file, verify_version: the same file, safetensors, card and license rules
   as an upload), get their original commit id and signature, and are published.

A refusal at any step deletes the objects this import wrote and leaves the database untouched.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from registry.errors import InvalidInput, RegistryError
from registry.models import (
    AuditEvent,
    Blob,
    ModelRepository,
    PublisherKey,
    SigningKey,
    Version,
    VersionSignature,
)
from registry.services import ingest, repositories
from registry.signing import keys as key_files
from registry.signing.base import (
    GIT_PATHS,
    MAX_BUNDLE_SIZE,
    SIGNATURE_PATH,
    BundleError,
    SignatureMismatch,
    SignedManifest,
    parse_bundle,
)
from registry.storage import blob_key, get_store

from . import archive

Progress = Callable[[int], None]
COMMIT = re.compile(r"^[0-9a-f]{40}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BundleRefused(RegistryError):
    status = 422
    code = "BundleRefused"

    def __init__(self, message: str):
        super().__init__(f"bundle refused, nothing was imported: {message}")


@dataclass(frozen=True)
class ImportedVersion:
    repo_id: str
    commit_id: str
    created: bool  # False: this registry already had exactly this version


@dataclass
class ImportResult:
    bundle_id: str
    signed_by: str
    versions: list[ImportedVersion] = field(default_factory=list)
    blob_bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "bundle_id": self.bundle_id,
            "signed_by": self.signed_by,
            "blob_bytes": self.blob_bytes,
            "versions": [v.__dict__ for v in self.versions],
        }


@dataclass
class _Plan:
    manifest: dict[str, Any]
    trusted: dict[str, bytes]
    new_versions: list[dict[str, Any]]  # manifest entries this registry does not have yet
    present: list[dict[str, Any]]
    blob_sizes: dict[str, int]
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    git_sha1: dict[str, str] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)  # object keys this import created


# --- trust -------------------------------------------------------------------------------------


def trusted_keys(extra_pems: Sequence[bytes | str] = ()) -> dict[str, bytes]:
    """hint → PEM of the keys whose signatures this import accepts: every key this registry has
    published and not revoked, plus the exporting registry's keys given by the operator."""
    trusted = {
        k.hint: k.public_key_pem.encode()
        for k in SigningKey.objects.exclude(status=SigningKey.Status.REVOKED)
    }
    revoked = set(SigningKey.objects.filter(status=SigningKey.Status.REVOKED).values_list("hint", flat=True))
    for pem in extra_pems:
        try:
            info = key_files.public_key_info(pem)
        except key_files.KeyFileError as exc:
            raise InvalidInput(f"trusted key: {exc}") from exc
        if info.hint in revoked:
            raise InvalidInput(f"trusted key {info.hint[:16]}… is revoked in this registry")
        trusted[info.hint] = info.pem
    return trusted


def _verify(bundle: bytes, manifest: SignedManifest, key_hint: str, trusted: dict[str, bytes], what: str):
    from registry.signing import ossf  # imports model-signing: only when verifying

    if key_hint not in trusted:
        raise BundleRefused(
            f"{what} is signed with key {key_hint[:16] or '(none)'}…, which this registry does not trust; "
            "give the exporting registry's public key with --trusted-key (after checking its hint "
            "with its operator)"
        )
    try:
        return ossf.verify_bundle(bundle, manifest, trusted[key_hint])
    except (SignatureMismatch, BundleError) as exc:
        raise BundleRefused(f"{what}: {exc}") from exc


# --- reading the archive -----------------------------------------------------------------------


class _HashingReader:
    """A non-seekable reader over one tar member that hashes every byte it hands out, in order."""

    def __init__(self, source: BinaryIO, *, git_size: int | None, progress: Progress | None):
        self._source, self._progress = source, progress
        self.sha256 = hashlib.sha256()
        self.sha1 = (
            hashlib.sha1(b"blob %d\0" % git_size, usedforsecurity=False) if git_size is not None else None
        )
        self.size = 0

    def read(self, amount: int = -1) -> bytes:
        data = self._source.read(amount if amount and amount > 0 else archive.READ_CHUNK)
        self.sha256.update(data)
        if self.sha1 is not None:
            self.sha1.update(data)
        self.size += len(data)
        if self._progress is not None and data:
            self._progress(len(data))
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def drain(self) -> None:
        while self.read(archive.READ_CHUNK):
            pass


class _MemberData:
    """One member's bytes read straight from a seekable archive file: tarfile's stream reader copies
    every byte several times (about 100 MB/s here, against 300+ for a plain read)."""

    def __init__(self, archive_file: BinaryIO, member: tarfile.TarInfo):
        archive_file.seek(member.offset_data)
        self._file, self._left = archive_file, member.size

    def read(self, amount: int = -1) -> bytes:
        data = self._file.read(self._left if amount is None or amount < 0 else min(amount, self._left))
        self._left -= len(data)
        return data


def _open(stream: BinaryIO) -> tuple[tarfile.TarFile, Callable[[tarfile.TarInfo], Any]]:
    """The archive and a function giving a member's data reader: straight from the file when it is
    seekable (a bundle file, an uploaded file), else through tarfile's stream mode (a pipe)."""
    seekable = getattr(stream, "seekable", lambda: False)()
    if seekable:
        tar = tarfile.open(fileobj=stream, mode="r:")  # noqa: SIM115 - the caller closes it
        return tar, lambda member: _MemberData(stream, member)
    tar = tarfile.open(fileobj=stream, mode="r|", bufsize=1 << 20)  # noqa: SIM115 - the caller closes it
    return tar, tar.extractfile


def _next_member(tar: tarfile.TarFile, expected: str | None = None) -> tarfile.TarInfo | None:
    member = tar.next()
    if member is None:
        if expected:
            raise BundleRefused(f"the archive ends before {expected}")
        return None
    if expected is not None and member.name != expected:
        raise BundleRefused(f"expected {expected} at this point of the archive, found {member.name}")
    if not member.isfile():
        raise BundleRefused(f"{member.name}: only regular files belong in a bundle")
    return member


def _read_small(data_of: Callable, member: tarfile.TarInfo, limit: int) -> bytes:
    if member.size > limit:
        raise BundleRefused(f"{member.name}: {member.size} bytes, more than the {limit} allowed")
    return data_of(member).read(member.size)


# --- the manifest ------------------------------------------------------------------------------


def _check_manifest(data: bytes, signature: bytes, trusted: dict[str, bytes]) -> dict[str, Any]:
    try:
        claimed = parse_bundle(signature)
    except BundleError as exc:
        raise BundleRefused(f"{archive.MANIFEST_SIGNATURE}: {exc}") from exc
    signed = SignedManifest(
        name=claimed.subject_name, sha256_by_path={archive.MANIFEST: hashlib.sha256(data).hexdigest()}
    )
    _verify(signature, signed, claimed.key_hint, trusted, f"the manifest ({archive.MANIFEST_SIGNATURE})")
    manifest = json.loads(data)  # signed by a trusted key: well-formed JSON written by a registry
    if manifest.get("format") != archive.FORMAT:
        raise BundleRefused(
            f"unknown bundle format {manifest.get('format')!r}; this registry reads {archive.FORMAT}"
        )
    return manifest


def _check_version(entry: dict[str, Any], trusted: dict[str, bytes], blob_sizes: dict[str, int]) -> bool:
    """Check one version's claims and signatures; True when this registry lacks it (to import)."""
    repo_id, commit = entry["repository"]["id"], entry["commit_id"]
    label = f"{repo_id}@{commit}"
    repositories.split_repo_id(repo_id)
    if not COMMIT.match(str(commit)):
        raise BundleRefused(f"{repo_id}: {commit!r} is not a 40-hex commit id")
    digests = {f["path"]: f["sha256"] for f in entry["files"]}
    for file in entry["files"]:
        if blob_sizes.get(file["sha256"]) != file["size"]:
            raise BundleRefused(f"{label}: {file['path']} is not among the bundle's blobs with that size")
    bundle = entry["signature"]["bundle"].encode()
    if digests.get(SIGNATURE_PATH) != hashlib.sha256(bundle).hexdigest():
        raise BundleRefused(f"{label}: its model.sig is not the registry signature the manifest carries")
    covered = {p: d for p, d in digests.items() if p != SIGNATURE_PATH}
    info = _verify(bundle, SignedManifest(label, covered), entry["signature"]["key_hint"], trusted, label)
    if info.subject_name != label:
        raise BundleRefused(f"{label}: its signature names {info.subject_name}, not this version")
    publisher = entry.get("publisher_signature")
    if publisher:
        claimed = parse_bundle(publisher["bundle"].encode())
        actual = SignedManifest(
            "upload", covered, ignores=(*claimed.ignore_paths, *GIT_PATHS, SIGNATURE_PATH)
        )
        hint = key_files.public_key_info(publisher["public_key_pem"]).hint
        _verify(
            publisher["bundle"].encode(),
            actual,
            claimed.key_hint,
            {hint: publisher["public_key_pem"].encode()},
            f"{label} (publisher signature)",
        )
    existing = Version.objects.filter(commit_id=commit).select_related("repository__namespace").first()
    if existing is None:
        return True
    if (
        existing.repository.repo_id != repo_id
        or not existing.is_published
        or dict(existing.files.values_list("path", "sha256")) != digests
    ):
        raise BundleRefused(f"commit {commit} already exists in this registry as a different version")
    return False


def _plan(manifest: dict[str, Any], trusted: dict[str, bytes]) -> _Plan:
    try:
        blob_sizes = {b["sha256"]: int(b["size"]) for b in manifest["blobs"]}
        if not all(SHA256.match(sha) for sha in blob_sizes):
            raise BundleRefused("the manifest lists a blob whose name is not a sha256")
        new, present = [], []
        for entry in manifest["versions"]:
            (new if _check_version(entry, trusted, blob_sizes) else present).append(entry)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BundleRefused(f"the manifest is incomplete or malformed ({type(exc).__name__}: {exc})") from exc
    except InvalidInput as exc:
        raise BundleRefused(exc.message) from exc
    return _Plan(manifest, trusted, new, present, blob_sizes)


# --- streaming the contents --------------------------------------------------------------------


def _receive(tar: tarfile.TarFile, data_of: Callable, plan: _Plan, progress: Progress | None) -> None:
    members = plan.manifest["members"]
    store, seen = get_store(), set()
    while (member := _next_member(tar)) is not None:
        name = member.name
        if name in seen:
            raise BundleRefused(f"{name} appears twice in the archive")
        seen.add(name)
        sha256 = archive.blob_digest(name)
        if sha256 is not None and sha256 in plan.blob_sizes:
            _receive_blob(data_of(member), member, sha256, plan, store, progress)
        elif name in members:
            data = _read_small(data_of, member, archive.MAX_REPORT_SIZE)
            if hashlib.sha256(data).hexdigest() != members[name]["sha256"]:
                raise BundleRefused(f"{name}: content differs from the signed manifest (altered or damaged)")
            plan.reports[name] = json.loads(data)
        else:
            raise BundleRefused(f"{name}: not listed in the signed manifest")
    missing = sorted(({archive.blob_name(s) for s in plan.blob_sizes} | set(members)) - seen)
    if missing:
        raise BundleRefused(
            f"the archive lacks {len(missing)} member(s) the manifest lists: {', '.join(missing[:5])}"
        )


def _receive_blob(data, member, sha256: str, plan: _Plan, store, progress: Progress | None) -> None:
    size = plan.blob_sizes[sha256]
    if member.size != size:
        raise BundleRefused(f"{member.name}: {member.size} bytes, the manifest says {size}")
    small = size < settings.REGISTRY_LFS_THRESHOLD
    reader = _HashingReader(data, git_size=size if small else None, progress=progress)
    key = blob_key(sha256)
    if Blob.objects.filter(sha256=sha256, verified_at__isnull=False).exists():
        reader.drain()  # stored here already: the bundle's copy is still checked
    else:
        existed = store.head(key) is not None
        store.upload_stream(key, reader)
        if not existed:
            plan.written.append(key)
    if reader.size != size or reader.sha256.hexdigest() != sha256:
        raise BundleRefused(
            f"{member.name}: content hashes to sha256 {reader.sha256.hexdigest()}, not the {sha256} "
            "the signed manifest lists (the bundle was altered or damaged in transit)"
        )
    if reader.sha1 is not None:
        plan.git_sha1[sha256] = reader.sha1.hexdigest()


# --- creating the versions ---------------------------------------------------------------------


def _repository(entry: dict[str, Any], actor: AbstractBaseUser | None) -> ModelRepository:
    info = entry["repository"]
    namespace, name = repositories.split_repo_id(info["id"])
    existing = ModelRepository.objects.filter(namespace__slug=namespace, name=name).first()
    if existing is not None:
        return existing
    publisher = repositories.ensure_publisher(
        slug=namespace, display_name=info.get("publisher_display_name", "")
    )
    return repositories.create_repository(
        namespace=publisher,
        name=name,
        actor=actor,
        industry=info["industry"],
        task=info.get("task", ""),
        visibility=info["visibility"],
        gating=info["gating"],
        description=info.get("description", ""),
    )


def _registry_key(hint: str, plan: _Plan) -> SigningKey:
    """This registry's record of the key: a key of another registry is published here as retired
    (it never signs here), so that clients verifying the imported version find it."""
    algorithm = next((k["algorithm"] for k in plan.manifest["keys"] if k["hint"] == hint), "ecdsa-p256")
    record, created = SigningKey.objects.get_or_create(
        hint=hint,
        defaults={
            "public_key_pem": plan.trusted[hint].decode(),
            "algorithm": algorithm,
            "status": SigningKey.Status.RETIRED,
        },
    )
    if created:
        AuditEvent.record("signing_key.trusted", key=hint, bundle=plan.manifest["bundle_id"])
    return record


def _signature_row(version, kind, bundle: str, key_hint: str, **key) -> VersionSignature:
    info = parse_bundle(bundle.encode())
    return VersionSignature.objects.create(
        version=version,
        kind=kind,
        key_hint=key_hint,
        bundle=bundle,
        bundle_sha256=hashlib.sha256(bundle.encode()).hexdigest(),
        root_digest=info.root_digest,
        subject_name=info.subject_name[:300],
        file_count=len(info.sha256_by_path),
        signed_at=timezone.now(),
        **key,
    )


def _create_version(entry: dict[str, Any], plan: _Plan, actor: AbstractBaseUser | None) -> Version:
    """Create, sign and publish one version through the ingest services; any refusal of theirs
    refuses the bundle (the caller's transaction rolls everything back)."""
    try:
        return _create(entry, plan, actor)
    except BundleRefused:
        raise
    except RegistryError as exc:
        raise BundleRefused(f"{entry['repository']['id']}@{entry['commit_id']}: {exc.message}") from exc


def _create(entry: dict[str, Any], plan: _Plan, actor: AbstractBaseUser | None) -> Version:
    repository = _repository(entry, actor)
    draft = ingest.start_draft(
        repository=repository, actor=actor, message=entry.get("message", ""), branch=entry["target_branch"]
    )
    for file in entry["files"]:
        ingest.add_stored_file(draft=draft, path=file["path"], sha256=file["sha256"], size=file["size"])
    # Hashed on the way into storage just now (multipart parts checked by the store on arrival).
    now = timezone.now()
    for file in entry["files"]:
        Blob.objects.filter(sha256=file["sha256"], verified_at__isnull=True).update(
            verified_at=now, git_sha1=plan.git_sha1.get(file["sha256"], "")
        )
    ingest.verify_version(version=draft)  # the upload rules: file types, safetensors, card, license
    publisher_key = None
    if entry.get("publisher_signature"):
        signed = entry["publisher_signature"]
        publisher_key, _ = PublisherKey.objects.get_or_create(
            publisher=repository.namespace,
            hint=signed["key_hint"],
            defaults={
                "name": signed.get("key_name", "")[:100],
                "algorithm": signed["algorithm"],
                "public_key_pem": signed["public_key_pem"],
            },
        )
        _signature_row(
            draft,
            VersionSignature.Kind.PUBLISHER,
            signed["bundle"],
            signed["key_hint"],
            publisher_key=publisher_key,
        )
    Version.objects.filter(pk=draft.pk).update(commit_id=entry["commit_id"], publisher_key=publisher_key)
    registry_key = _registry_key(entry["signature"]["key_hint"], plan)
    _signature_row(
        draft,
        VersionSignature.Kind.REGISTRY,
        entry["signature"]["bundle"],
        entry["signature"]["key_hint"],
        registry_key=registry_key,
    )
    version = ingest.publish_version(version=draft, actor=actor)
    report = plan.reports.get(entry["compliance_report"]) or {}
    _import_evaluations(version, report.get("evaluations") or [], plan.manifest["bundle_id"])
    AuditEvent.record(
        "version.imported",
        actor=actor,
        version=version,
        bundle=plan.manifest["bundle_id"],
        signed_by=plan.manifest["signed_by"],
        original_published_at=entry.get("published_at"),
        original_parent=entry.get("parent_commit_id"),
        compliance_report_sha256=plan.manifest["members"][entry["compliance_report"]]["sha256"],
    )
    return version


def _import_evaluations(version: Version, evaluations: list[dict[str, Any]], bundle_id: str) -> None:
    """The exporting registry's finished evaluation runs, as this registry's current results (so the
    evaluators do not run again here; an operator can still ask for a re-run)."""
    try:
        from evaluators.models import EvaluationRun, Metric
    except ImportError:  # the evaluators app is optional
        return
    for run in evaluations:
        if run.get("status") not in EvaluationRun.FINISHED:
            continue
        badge = run.get("badge") or {}
        created = EvaluationRun.objects.create(
            version=version,
            evaluator=run["evaluator"],
            evaluator_version=run["evaluator_version"],
            status=run["status"],
            stage="imported",
            reason=run.get("reason") or "",
            is_current=True,
            seed=run.get("seed") or 0,
            suite=run.get("suite") or "",
            dataset_digest=run.get("dataset_digest") or "",
            badge_label=badge.get("label") or "",
            badge_message=badge.get("message") or "",
            badge_level=badge.get("level") or "",
            thresholds=run.get("thresholds") or {},
            headline_score=run.get("headline_score"),
            evidence=run.get("evidence") or {},
            logs=f"Imported from bundle {bundle_id}: evaluated by the exporting registry.",
            hardware=run.get("hardware") or {},
            library_versions=run.get("library_versions") or {},
            started_at=parse_datetime(run["started_at"]) if run.get("started_at") else None,
            finished_at=parse_datetime(run["finished_at"]) if run.get("finished_at") else None,
        )
        Metric.objects.bulk_create(
            Metric(
                run=created,
                key=m["key"],
                value=m["value"],
                unit=m.get("unit") or "",
                higher_is_better=m.get("higher_is_better", True),
            )
            for m in run.get("metrics") or []
        )


# --- the entry point ---------------------------------------------------------------------------


def import_bundle(
    *,
    stream: BinaryIO,
    actor: AbstractBaseUser | None,
    trusted: dict[str, bytes],
    progress_factory: Callable[[str, int], Any] | None = None,
) -> ImportResult:
    """Verify and import a bundle read from `stream` (see the module docstring).

    `trusted` comes from `trusted_keys()`; `progress_factory(description, total)` is a context
    manager yielding a byte counter (`registry.management.progress.byte_progress`)."""
    plan: _Plan | None = None
    try:
        tar, data_of = _open(stream)
        with tar:
            manifest_member = _next_member(tar, archive.MANIFEST)
            data = _read_small(data_of, manifest_member, archive.MAX_MANIFEST_SIZE)
            signature = _read_small(data_of, _next_member(tar, archive.MANIFEST_SIGNATURE), MAX_BUNDLE_SIZE)
            plan = _plan(_check_manifest(data, signature, trusted), trusted)
            total = sum(plan.blob_sizes.values())
            if progress_factory is None:
                _receive(tar, data_of, plan, None)
            else:
                with progress_factory("verify and store", total) as progress:
                    _receive(tar, data_of, plan, progress)
        with transaction.atomic():
            created = [_create_version(entry, plan, actor) for entry in plan.new_versions]
    except (tarfile.TarError, EOFError, OSError) as exc:
        _discard(plan)
        raise BundleRefused(f"not a readable bundle archive ({type(exc).__name__}: {exc})") from exc
    except BaseException:
        _discard(plan)
        raise
    result = ImportResult(plan.manifest["bundle_id"], plan.manifest["signed_by"], blob_bytes=total)
    result.versions += [ImportedVersion(v.repository.repo_id, v.commit_id, True) for v in created]
    result.versions += [ImportedVersion(e["repository"]["id"], e["commit_id"], False) for e in plan.present]
    return result


def _discard(plan: _Plan | None) -> None:
    """Delete what a refused import wrote to object storage (its database work was rolled back)."""
    if plan is None:
        return
    store = get_store()
    for key in plan.written:
        store.delete(key)
