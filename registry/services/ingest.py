"""The ingest pipeline: draft → files in storage → verified from the stored bytes → published.

Nothing becomes visible before every check has passed: a draft that fails keeps its files
(uploads resume and deduplicate) and a readable `failure_reason`, and no ref points at it.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import posixpath
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from registry.errors import DigestMismatch, IngestError, InvalidInput, InvalidSafetensors
from registry.formats import cards, files, footprint, relations, safetensors
from registry.hashing import Digest, Digester, digest_chunks, digest_file, lfs_pointer_oid
from registry.models import (
    AuditEvent,
    Blob,
    ComplianceRecord,
    ModelCard,
    ModelRepository,
    Ref,
    SafetensorsInfo,
    Version,
    VersionFile,
)
from registry.storage import BlobStore, blob_key, get_store
from registry.webhooks import events as webhook_events

logger = logging.getLogger(__name__)

# What the verify and sign steps import on first use: model-signing and the card parser.
PIPELINE_MODULES = ("registry.signing.ossf", "huggingface_hub.repocard")
_pipeline_loading = threading.Lock()


def load_pipeline_in_background() -> None:
    """Called when an upload starts: import what verifying and signing need (~0.4 s on 2 cores)
    in a background thread, once per process, so that it happens while the bytes travel and not
    in the commit that follows. Web workers stay lean until they see an upload."""
    if all(name in sys.modules for name in PIPELINE_MODULES) or not _pipeline_loading.acquire(blocking=False):
        return

    def load() -> None:
        try:
            for name in PIPELINE_MODULES:
                importlib.import_module(name)
        finally:
            _pipeline_loading.release()

    threading.Thread(target=load, name="load-pipeline", daemon=True).start()


Progress = Callable[[int], None]
INDEX_SUFFIX = ".safetensors.index.json"
MAX_JSON_CHECK = 64 << 20  # JSON files up to this size are parsed at ingest


@dataclass(frozen=True)
class StagedFile:
    path: str
    sha256: str
    size: int
    reused: bool  # the blob was already stored: nothing was uploaded


# --- drafts ------------------------------------------------------------------------------------


def start_draft(
    *, repository: ModelRepository, actor: AbstractBaseUser | None, message: str = "", branch: str = "main"
) -> Version:
    return Version.objects.create(
        repository=repository, author=actor, message=message[:500], target_branch=branch
    )


def check_new_file(*, draft: Version, path: str, size: int) -> None:
    """Refuse a file by its name and size before any byte of it is transferred."""
    files.check_path(path)
    files.check_file_type(path)
    if size > settings.REGISTRY_MAX_FILE_SIZE:
        raise InvalidInput(
            f"{path}: {size} bytes exceeds the per-file limit of {settings.REGISTRY_MAX_FILE_SIZE}"
        )
    if draft.status not in (Version.Status.DRAFT, Version.Status.FAILED):
        raise InvalidInput(f"version {draft} is {draft.status}; files can only be added to a draft")


def stage_local_file(
    *, draft: Version, path: str, local_path: Path, progress: Progress | None = None
) -> StagedFile:
    """Store a local file once per sha256 and add it to the draft; `progress` gets byte counts.

    A file that looks unchanged since the branch head (same path and size) is hashed first, so
    an identical blob is not sent again. Any other file is uploaded to an upload key and hashed
    on its way there, storage checking every part's SHA-256 (`_upload_hashed`): the digest of the
    stored bytes, which publication requires, without a second read. The copy is dropped if that
    digest is stored already.
    """
    size = local_path.stat().st_size
    check_new_file(draft=draft, path=path, size=size)
    if _probably_unchanged(draft, path, size):
        digest = digest_file(local_path)
        if Blob.objects.filter(sha256=digest.sha256, verified_at__isnull=False).exists():
            add_stored_file(draft=draft, path=path, sha256=digest.sha256, size=size)
            if progress is not None:
                progress(size)
            return StagedFile(path=path, sha256=digest.sha256, size=size, reused=True)
    store, upload_key = get_store(), f"uploads/{uuid.uuid4().hex}"
    digest = _upload_hashed(store, upload_key, local_path, size, progress)
    if digest.size != size:
        store.delete(upload_key)
        raise DigestMismatch(f"stored object holds {digest.size} bytes, {size} were sent", path=path)
    reused = Blob.objects.filter(sha256=digest.sha256, verified_at__isnull=False).exists()
    if reused:
        store.delete(upload_key)  # stored once: this copy is redundant
    file = add_stored_file(
        draft=draft, path=path, sha256=digest.sha256, size=size, storage_key=None if reused else upload_key
    )
    if not reused:
        _mark_verified(file.blob, digest)
    return StagedFile(path=path, sha256=digest.sha256, size=size, reused=reused)


def _upload_hashed(
    store: BlobStore, key: str, local_path: Path, size: int, progress: Progress | None
) -> Digest:
    """Upload a local file and return the digest of what storage now holds: hashed as it is sent,
    each part checked by storage against its SHA-256 (invariant 2 without a second read), or, for a
    store that does not check (S3_VERIFIES_CHECKSUMS=false), hashed again from the stored bytes."""
    if not settings.S3_VERIFIES_CHECKSUMS:
        store.upload_file(key, local_path, progress=progress)
        return _digest_stored(key, size)
    digester = Digester(git_size=_git_size(size))
    store.upload_file_checksummed(key, local_path, each_part=digester.update, progress=progress)
    return digester.digest()


def _digest_stored(key: str, size: int, progress: Progress | None = None) -> Digest:
    """The server's digest of stored bytes (and the git sha1 Hub clients use for small files)."""
    return digest_chunks(get_store().iter_chunks(key), git_size=_git_size(size), progress=progress)


def _git_size(size: int) -> int | None:
    """The size to compute a git blob sha1 for: small files only (Hub clients' ETag for them)."""
    return size if size < settings.REGISTRY_LFS_THRESHOLD else None


def _mark_verified(blob: Blob, digest: Digest) -> None:
    now = timezone.now()
    Blob.objects.filter(pk=blob.pk).update(verified_at=now, git_sha1=digest.git_sha1 or "")
    blob.verified_at, blob.git_sha1 = now, digest.git_sha1 or ""


def _probably_unchanged(draft: Version, path: str, size: int) -> bool:
    head = Ref.objects.filter(repository_id=draft.repository_id, name=draft.target_branch).first()
    return (
        head is not None
        and VersionFile.objects.filter(version_id=head.version_id, path=path, size=size).exists()
    )


def add_stored_file(
    *, draft: Version, path: str, sha256: str, size: int, storage_key: str | None = None
) -> VersionFile:
    """Record a file whose bytes are (claimed to be) stored at `storage_key` (default: the content
    address of `sha256`). The claim is checked at verification, from the stored bytes."""
    check_new_file(draft=draft, path=path, size=size)
    key = storage_key or blob_key(sha256)
    blob, created = Blob.objects.get_or_create(sha256=sha256, defaults={"size": size, "storage_key": key})
    if blob.size != size:
        raise DigestMismatch(
            f"declared size {size} differs from the stored blob's {blob.size} bytes", path=path
        )
    if not created and not blob.is_verified and blob.storage_key != key:
        # An earlier attempt that was never verified: the newest upload is the one to check.
        Blob.objects.filter(pk=blob.pk).update(storage_key=key)
        blob.storage_key = key
    file, _ = VersionFile.objects.update_or_create(
        version=draft, path=path, defaults={"size": size, "sha256": sha256, "blob": blob}
    )
    return file


def copy_files_from(*, draft: Version, source: Version, exclude: set[str] = frozenset()) -> None:
    """Start a draft from another version's files (a commit that changes some of them)."""
    VersionFile.objects.bulk_create(
        VersionFile(version=draft, path=f.path, size=f.size, sha256=f.sha256, blob_id=f.blob_id)
        for f in source.files.exclude(path__in=exclude)
    )


# --- verification ------------------------------------------------------------------------------


def verify_version(*, version: Version, progress: Progress | None = None) -> Version:
    """Check every file from the stored bytes and extract metadata. Raises IngestError (and marks
    the draft failed, with the reason) on the first problem."""
    if version.is_published:
        return version
    Version.objects.filter(pk=version.pk).update(status=Version.Status.VERIFYING, failure_reason="")
    version.status = Version.Status.VERIFYING
    try:
        _verify(version, progress)
    except IngestError as exc:
        mark_failed(version, exc.message)
        raise
    return version


def mark_failed(version: Version, reason: str) -> None:
    Version.objects.filter(pk=version.pk).update(status=Version.Status.FAILED, failure_reason=reason)
    version.status, version.failure_reason = Version.Status.FAILED, reason
    AuditEvent.record("version.failed", version=version, reason=reason)
    logger.info("version %s refused: %s", version.pk, reason)


def _verify(version: Version, progress: Progress | None) -> None:
    version_files = list(version.files.select_related("blob"))
    if not version_files:
        raise IngestError("the version has no files")
    if len(version_files) > settings.REGISTRY_MAX_FILES_PER_VERSION:
        raise IngestError(
            f"{len(version_files)} files exceed the limit of {settings.REGISTRY_MAX_FILES_PER_VERSION}"
        )
    total = sum(f.size for f in version_files)
    if total > settings.REGISTRY_MAX_VERSION_SIZE:
        raise IngestError(
            f"{total} bytes exceed the per-version limit of {settings.REGISTRY_MAX_VERSION_SIZE}"
        )

    for file in version_files:
        files.check_path(file.path)
        files.check_file_type(file.path)
        _verify_blob(file, progress)
    if version.repository.is_external and any(files.is_weights(f.path) for f in version_files):
        raise IngestError(
            f"{version.repository.repo_id} is an external listing (served by its provider's API): "
            "it holds a card only, no weights"
        )

    summaries: dict[str, safetensors.SafetensorsSummary] = {}
    for file in version_files:
        if files.is_weights(file.path):
            summaries[file.path] = _read_safetensors(file)
        elif file.path.endswith(".json") and file.size <= MAX_JSON_CHECK:
            _check_json(file)
    for file in version_files:
        if file.path.endswith(INDEX_SUFFIX):
            _check_index(file, summaries)

    card_file = next((f for f in version_files if f.path == "README.md"), None)
    card = cards.parse_card(_read_all(card_file)) if card_file else None
    from registry.services import compliance  # a local import, like the signing hook below

    compliance.check_draft(version=version, card=card)  # refuses a public version without a known license
    _record_metadata(version, version_files, summaries, card)


def _verify_blob(file: VersionFile, progress: Progress | None) -> None:
    """Recompute the blob's sha256 (and git sha1) from the stored bytes, once per blob."""
    blob, store = file.blob, get_store()
    if blob.is_verified:
        if not files.is_weights(file.path):
            files.check_content_head(file.path, store.read_range(blob.storage_key, 0, 16))
        if progress is not None:
            progress(blob.size)
        return
    info = store.head(blob.storage_key)
    if info is None:
        raise IngestError("the file's bytes never reached storage; upload it again", path=file.path)
    if info.size != blob.size:
        raise DigestMismatch(
            f"stored object holds {info.size} bytes, {blob.size} were declared", path=file.path
        )
    digest = _digest_stored(blob.storage_key, blob.size, progress)
    if digest.sha256 != blob.sha256 or digest.size != blob.size:
        store.delete(blob.storage_key)  # the object does not hold what its key names
        raise DigestMismatch(
            f"stored bytes hash to sha256 {digest.sha256}, not the declared {blob.sha256}", path=file.path
        )
    files.check_content_head(file.path, digest.head)
    _mark_verified(blob, digest)


def _read_all(file: VersionFile) -> bytes:
    return b"".join(get_store().iter_chunks(file.blob.storage_key))


def _read_safetensors(file: VersionFile) -> safetensors.SafetensorsSummary:
    store, key = get_store(), file.blob.storage_key
    try:
        first = store.read_range(key, 0, min(file.size, 100_000))
        length = safetensors.header_length(first, file_size=file.size)
        end = safetensors.HEADER_PREFIX_SIZE + length
        header = first[safetensors.HEADER_PREFIX_SIZE : end]
        if len(first) < end:
            header += store.read_range(key, len(first), end - len(first))
        return safetensors.parse_header(header, file_size=file.size)
    except InvalidSafetensors as exc:
        raise InvalidSafetensors(exc.message, path=file.path) from exc


def _check_json(file: VersionFile) -> None:
    try:
        json.loads(_read_all(file))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(f"not valid JSON: {exc}", path=file.path) from exc


def _check_index(file: VersionFile, summaries: dict[str, safetensors.SafetensorsSummary]) -> None:
    folder = posixpath.dirname(file.path)
    shard_tensors = {
        posixpath.relpath(path, folder or "."): summary.tensor_names
        for path, summary in summaries.items()
        if posixpath.dirname(path) == folder
    }
    try:
        safetensors.check_index(_read_all(file), shard_tensors=shard_tensors)
    except InvalidSafetensors as exc:
        raise InvalidSafetensors(exc.message, path=file.path) from exc


@transaction.atomic
def _record_metadata(
    version: Version,
    version_files: list[VersionFile],
    summaries: dict[str, safetensors.SafetensorsSummary],
    card: cards.ParsedCard | None,
) -> None:
    for file in version_files:
        is_lfs = files.is_weights(file.path) or file.size >= settings.REGISTRY_LFS_THRESHOLD
        oid = (
            lfs_pointer_oid(file.sha256, file.size)
            if is_lfs or not file.blob.git_sha1
            else file.blob.git_sha1
        )
        VersionFile.objects.filter(pk=file.pk).update(is_lfs=is_lfs, git_oid=oid)
        summary = summaries.get(file.path)
        if summary is not None:
            SafetensorsInfo.objects.update_or_create(
                file=file,
                defaults={
                    "header_size": summary.header_size,
                    "tensor_count": summary.tensor_count,
                    "parameter_count": summary.parameter_count,
                    "parameters_by_dtype": summary.parameters_by_dtype,
                    "metadata": summary.metadata,
                },
            )
    by_dtype: dict[str, int] = {}
    for summary in summaries.values():
        for dtype, count in summary.parameters_by_dtype.items():
            by_dtype[dtype] = by_dtype.get(dtype, 0) + count
    version.total_size = sum(f.size for f in version_files)
    version.parameters_by_dtype = by_dtype
    version.parameter_count = sum(by_dtype.values()) if summaries else None
    version.memory_footprint = footprint.footprint(by_dtype)
    version.license = card.license if card else ""
    version.save(
        update_fields=["total_size", "parameters_by_dtype", "parameter_count", "memory_footprint", "license"]
    )
    ModelCard.objects.filter(version=version).delete()
    ComplianceRecord.objects.filter(version=version).delete()
    if card is not None:
        ModelCard.objects.create(version=version, metadata=card.metadata, body=card.body)
        compliance = card.compliance
        if compliance:
            ComplianceRecord.objects.create(
                version=version,
                frameworks=[str(f) for f in compliance.get("frameworks") or []],
                eu_ai_act_risk=str(compliance.get("eu_ai_act_risk") or ""),
                contains_phi=compliance.get("contains_phi"),
                contains_pii=compliance.get("contains_pii"),
                intended_uses=str(compliance.get("intended_uses") or ""),
                out_of_scope_uses=str(compliance.get("out_of_scope_uses") or ""),
                answers={k: v for k, v in compliance.items() if k not in cards.COMPLIANCE_KEYS},
            )


# --- publication -------------------------------------------------------------------------------


def _commit_id(version: Version, parent: Version | None) -> str:
    manifest = {
        "repository": version.repository_id,
        "version": version.pk,
        "parent": parent.commit_id if parent else None,
        "message": version.message,
        "files": sorted((f.path, f.sha256) for f in version.files.all()),
        "at": timezone.now().isoformat(),
    }
    return hashlib.sha1(json.dumps(manifest).encode(), usedforsecurity=False).hexdigest()


@transaction.atomic
def publish_version(*, version: Version, actor: AbstractBaseUser | None) -> Version:
    """Make a verified version visible: give it a commit id and move its branch to it. Idempotent."""
    version = Version.objects.select_for_update().get(pk=version.pk)
    if version.is_published:
        return version
    if version.status != Version.Status.VERIFYING:
        raise IngestError(f"version {version.pk} is {version.status}; only a verified version is published")
    from registry.services import signing  # builds on this module

    signing.require_signature(version)  # published only once signed (the signature names the commit)
    repository = ModelRepository.objects.select_for_update().get(pk=version.repository_id)
    head = (
        Ref.objects.filter(repository=repository, name=version.target_branch)
        .select_related("version")
        .first()
    )
    parent = head.version if head else None
    version.parent = parent
    version.commit_id = version.commit_id or _commit_id(version, parent)  # chosen when it was signed
    version.status = Version.Status.PUBLISHED
    version.published_at = timezone.now()
    version.save()
    Ref.objects.update_or_create(
        repository=repository,
        name=version.target_branch,
        defaults={"kind": Ref.Kind.BRANCH, "version": version},
    )
    card = ModelCard.objects.filter(version=version).first()
    if card is not None:
        repository.license = version.license
        repository.tags = [str(t) for t in card.metadata.get("tags") or []]
        repository.task = card.metadata.get("pipeline_tag") or repository.task
    if version.target_branch == "main":  # the family tree follows the default branch
        derived = relations.derivation(
            card.metadata if card is not None else {},
            paths=frozenset(version.files.values_list("path", flat=True)),
            dtype=str(version.memory_footprint.get("dtype", "")),
        )
        repository.base_model, repository.base_model_relation = derived.base_model, derived.relation
    repository.save()  # bumps updated_at: the catalog's "recently updated"
    AuditEvent.record("version.published", actor=actor, version=version, commit=version.commit_id)
    webhook_events.emit_for_version("version.published", version, branch=version.target_branch)
    _enqueue_post_publish(version)
    return version


def _enqueue_post_publish(version: Version) -> None:
    from config.celery import app

    for task_name in settings.REGISTRY_POST_PUBLISH_TASKS:
        transaction.on_commit(lambda name=task_name: app.send_task(name, args=[version.pk]))


def ingest(*, version: Version, actor: AbstractBaseUser | None, progress: Progress | None = None) -> Version:
    """Verify, sign, then publish: the whole pipeline for a draft whose files are stored."""
    from registry.services import signing  # builds on this module

    verify_version(version=version, progress=progress)
    signing.sign_version(version=version)
    return publish_version(version=version, actor=actor)
