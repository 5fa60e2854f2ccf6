"""Uploads: presigned multipart transfers straight to storage, then commits through `ingest`.

Two callers share this module:
- Hub clients (`registry/hub_api/push.py`) declare each file's sha256 first, so their bytes go to
  the content address (`blob_key(sha256)`); small files arrive inline in the commit body.
- The browser portal cannot hash a large file cheaply, so its bytes go to `uploads/<session>`
  and the server hashes the stored object when the file is complete.
Either way the draft is verified from the stored bytes by `ingest` before anything is visible.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import uuid
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from registry.errors import (
    DigestMismatch,
    EntryNotFound,
    IngestError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RegistryError,
    RevisionNotFound,
)
from registry.formats import files
from registry.hashing import digest_chunks, secret_digest
from registry.models import (
    ApiToken,
    AuditEvent,
    Blob,
    ModelRepository,
    Ref,
    UploadSession,
    Version,
    VersionFile,
)
from registry.services import access, ingest
from registry.storage import blob_key, get_store
from registry.xet import services as xet_services

MIN_PART_SIZE = 5 << 20  # S3's minimum for every part but the last
MAX_PARTS = 10_000
UPLOAD_HINT = (
    "files of {threshold} MiB or more are uploaded before the commit, through Xet (huggingface_hub's "
    "default with hf_xet) or the LFS batch API; upload_file / upload_folder / `hf upload` do both steps"
)


class PreconditionFailed(RegistryError):
    status = 412
    code = "PreconditionFailed"


class TooManyRequests(RegistryError):
    status = 429
    code = "TooManyRequests"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class QuotaExceeded(RegistryError):
    status = 413
    code = "QuotaExceeded"


def upload_hint() -> str:
    return UPLOAD_HINT.format(threshold=settings.REGISTRY_INLINE_UPLOAD_THRESHOLD >> 20)


# --- limits ------------------------------------------------------------------------------------


def check_rate(*, user: AbstractBaseUser, weight: int = 1) -> None:
    """A fixed one-minute window per user over every upload call (cache-backed: shared across
    web processes when the cache is). Raises TooManyRequests with the seconds to wait."""
    limit = settings.REGISTRY_UPLOAD_RATE_PER_MINUTE
    if not limit:
        return
    now = int(timezone.now().timestamp())
    window = now // 60
    key = f"upload-rate:{user.pk}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key, weight)
    except ValueError:  # evicted between add and incr
        cache.set(key, weight, timeout=120)
        count = weight
    if count > limit:
        raise TooManyRequests(
            f"Too many upload requests: the limit is {limit} per minute; retry in {60 - now % 60} s.",
            retry_after=60 - now % 60 + 1,
        )


def publisher_usage(repository: ModelRepository) -> int:
    """Bytes of distinct blobs referenced by the organisation's versions (published or draft)."""
    blob_ids = (
        VersionFile.objects.filter(version__repository__namespace_id=repository.namespace_id)
        .values("blob_id")
        .distinct()
    )
    return Blob.objects.filter(sha256__in=blob_ids).aggregate(total=Sum("size"))["total"] or 0


def check_quota(*, repository: ModelRepository, new_bytes: int) -> None:
    quota = settings.REGISTRY_PUBLISHER_QUOTA
    if not quota or new_bytes <= 0:
        return
    used = publisher_usage(repository)
    if used + new_bytes > quota:
        raise QuotaExceeded(
            f"{repository.namespace.slug} would use {used + new_bytes} bytes, over its storage quota of "
            f"{quota} bytes ({used} in use). Delete drafts or ask the operator for a larger quota."
        )


def check_declared_file(*, path: str, size: int) -> None:
    """Name, type and size of a file before any byte is accepted."""
    files.check_path(path)
    files.check_file_type(path)
    if size < 0:
        raise InvalidInput(f"{path}: size must not be negative")
    if size > settings.REGISTRY_MAX_FILE_SIZE:
        raise InvalidInput(
            f"{path}: {size} bytes exceeds the per-file limit of {settings.REGISTRY_MAX_FILE_SIZE} bytes"
        )


def _check_sha256(oid: str) -> str:
    oid = str(oid or "").lower()
    if len(oid) != 64 or any(c not in "0123456789abcdef" for c in oid):
        raise InvalidInput(f"oid {oid[:80]!r} is not a sha256 in hex")
    return oid


def part_size_for(size: int) -> int:
    """The configured part size, grown when a file would need more than S3's 10,000 parts."""
    part = max(MIN_PART_SIZE, settings.REGISTRY_UPLOAD_PART_SIZE)
    while -(-size // part) > MAX_PARTS:
        part *= 2
    return part


def _stored_verified(sha256: str, size: int) -> bool:
    return Blob.objects.filter(sha256=sha256, size=size, verified_at__isnull=False).exists()


# --- Hub LFS batch -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LfsPlan:
    """What one object of an LFS batch needs: nothing (stored), one PUT, or presigned parts."""

    oid: str
    size: int
    put_url: str | None = None
    session: UploadSession | None = None
    part_urls: list[str] = field(default_factory=list)
    completion_secret: str = ""  # for the completion URL; the session keeps only its sha256
    error: str | None = None


def plan_lfs_uploads(
    *, repository: ModelRepository, user: AbstractBaseUser, objects: Sequence[dict]
) -> list[LfsPlan]:
    """Presign where each declared object goes: its content address. Objects already stored
    and verified get no actions (the client skips them); bad objects get an error entry."""
    access.require_write(repository=repository, user=user)
    ingest.load_pipeline_in_background()
    store, ttl = get_store(), settings.S3_PRESIGN_TTL * 12
    plans = []
    for item in objects:
        try:
            oid, size = _check_sha256(item.get("oid")), int(item.get("size"))
            if size < 0 or size > settings.REGISTRY_MAX_FILE_SIZE:
                raise InvalidInput(
                    f"size {size} is outside 0..{settings.REGISTRY_MAX_FILE_SIZE} bytes (the per-file limit)"
                )
        except (InvalidInput, TypeError, ValueError) as exc:
            message = exc.message if isinstance(exc, InvalidInput) else f"bad object: {exc}"
            plans.append(LfsPlan(oid=str(item.get("oid"))[:64], size=0, error=message))
            continue
        # Only a digest already stored needs the linking rule: new bytes (the usual case) cost no query.
        stored = Blob.objects.filter(sha256=oid).exists()
        linkable = stored and access.may_link_digest(sha256=oid, repository=repository, user=user)
        if linkable and _stored_verified(oid, size):
            plans.append(LfsPlan(oid=oid, size=size))
            continue
        key, part = blob_key(oid), part_size_for(size)
        if stored and not linkable:
            # Stored for someone else: this caller proves possession by sending the bytes, to a key
            # of its own (never over the stored object); the commit hashes them (`add_lfs`).
            key = f"uploads/{uuid.uuid4().hex}"
        elif size <= part:
            plans.append(LfsPlan(oid=oid, size=size, put_url=store.presign_put(key, ttl=ttl)))
            continue
        secret = secrets.token_urlsafe(24)
        session = UploadSession.objects.create(
            repository=repository,
            user=user,
            size=size,
            sha256=oid,
            storage_key=key,
            upload_id=store.start_multipart(key),
            part_size=part,
            secret_hash=secret_digest(secret),
        )
        urls = [
            store.presign_upload_part(key, session.upload_id, n, ttl=ttl)
            for n in range(1, session.part_count + 1)
        ]
        plans.append(LfsPlan(oid=oid, size=size, session=session, part_urls=urls, completion_secret=secret))
    return plans


def complete_multipart(*, session_id: int, secret: str, parts: Sequence[tuple[int, str]]) -> UploadSession:
    """Assemble the parts (the completion call carries the session's secret, not a token).
    Idempotent: a retried completion of a completed session succeeds."""
    session = UploadSession.objects.filter(pk=session_id).first()
    if (
        session is None
        or not session.secret_hash
        or not secrets.compare_digest(session.secret_hash, secret_digest(secret))
    ):
        raise NotFound("upload session not found or the completion link is wrong")
    return _assemble(session, parts)


def _assemble(session: UploadSession, parts: Sequence[tuple[int, str]]) -> UploadSession:
    if session.status == UploadSession.Status.COMPLETED:
        return session
    if session.status == UploadSession.Status.ABORTED:
        raise InvalidInput("this upload was aborted (cancelled or abandoned); start the upload again")
    numbers = sorted(n for n, _ in parts)
    if numbers != list(range(1, session.part_count + 1)):
        raise InvalidInput(
            f"expected parts 1..{session.part_count}, got {numbers[:5]}{'…' if len(numbers) > 5 else ''}"
        )
    get_store().complete_multipart(session.storage_key, session.upload_id, parts)
    info = get_store().head(session.storage_key)
    if info is None or info.size != session.size:
        raise IngestError(
            f"the assembled object holds {info.size if info else 0} bytes, {session.size} were declared"
        )
    session.status = UploadSession.Status.COMPLETED
    session.save(update_fields=["status", "updated_at"])
    return session


def confirm_stored(*, sha256: str, size: int) -> None:
    """The LFS verify action: the object is at its content address with the declared size.
    (Its sha256 is recomputed from storage when a commit uses it.)"""
    sha256 = _check_sha256(sha256)
    if _stored_verified(sha256, size):
        return
    info = get_store().head(blob_key(sha256))
    if info is None:
        raise NotFound(f"object {sha256} is not in storage; upload it again")
    if info.size != size:
        raise InvalidInput(f"object {sha256} holds {info.size} bytes, {size} were declared")


# --- commits -----------------------------------------------------------------------------------


@dataclass
class CommitBuilder:
    """One Hub commit being read: inline files are stored as they arrive, so the request holds
    at most one file in memory; nothing is recorded in the database before `finish`."""

    repository: ModelRepository
    user: AbstractBaseUser
    branch: str
    parent_commit: str | None = None
    token: ApiToken | None = None  # the API token committing: files uploaded through Xet are bound to it
    added: dict[str, tuple[str, int]] = field(default_factory=dict)  # path -> (sha256, size)
    deleted_files: set[str] = field(default_factory=set)
    deleted_folders: set[str] = field(default_factory=set)

    def add_inline(self, *, path: str, data: bytes) -> None:
        check_declared_file(path=path, size=len(data))
        files.check_content_head(path, data[:16])
        sha256 = hashlib.sha256(data).hexdigest()
        if not _stored_verified(sha256, len(data)) and get_store().head(blob_key(sha256)) is None:
            get_store().put_bytes(blob_key(sha256), data)
        self._add(path, sha256, len(data))

    def add_lfs(self, *, path: str, sha256: str, size: int | None) -> None:
        sha256 = _check_sha256(sha256)
        sent_through_xet = xet_services.check_committable(
            sha256=sha256, repository=self.repository, token=self.token, user=self.user
        )
        blob = Blob.objects.filter(sha256=sha256).first()
        if (
            blob is not None
            and not sent_through_xet
            and not access.may_link_digest(sha256=sha256, repository=self.repository, user=self.user)
        ):
            self._prove_possession(path=path, sha256=sha256)
        if blob is not None and (size is None or blob.size == size):
            size = blob.size
        else:
            info = get_store().head(blob_key(sha256))
            if info is None:
                raise IngestError(
                    f"the bytes of sha256 {sha256} were never uploaded; upload them before committing "
                    "(" + upload_hint() + ")",
                    path=path,
                )
            size = info.size if size is None else size
        check_declared_file(path=path, size=size)
        self._add(path, sha256, size)

    def _prove_possession(self, *, path: str, sha256: str) -> None:
        """The caller's own upload of bytes stored for someone else: hashed, then dropped."""
        session = (
            UploadSession.objects.filter(
                repository=self.repository,
                user=self.user,
                sha256=sha256,
                status=UploadSession.Status.COMPLETED,
                storage_key__startswith="uploads/",
            )
            .order_by("-pk")
            .first()
        )
        if session is None or get_store().head(session.storage_key) is None:
            raise PermissionDenied(
                f"{path}: a sha256 alone does not grant stored bytes; upload the file itself "
                f"({upload_hint()})"
            )
        digest = digest_chunks(get_store().iter_chunks(session.storage_key))
        get_store().delete(session.storage_key)  # the content-addressed copy is the one kept
        if digest.sha256 != sha256:
            raise DigestMismatch(
                f"the uploaded bytes hash to sha256 {digest.sha256}, not {sha256}", path=path
            )

    def delete_file(self, *, path: str) -> None:
        self.deleted_files.add(path)

    def delete_folder(self, *, path: str) -> None:
        self.deleted_folders.add(path.rstrip("/"))

    def _add(self, path: str, sha256: str, size: int) -> None:
        if path in self.added:
            raise InvalidInput(f"{path} appears twice in the commit")
        self.added[path] = (sha256, size)

    def finish(self, *, summary: str, description: str = "") -> Version:
        """Draft = the branch head's files + these operations, then verify → sign → publish.
        Returns the new published version, or the head itself when nothing changes (which also
        makes a retried commit idempotent). Raises without changing anything visible."""
        with _repository_lock(self.repository.pk):
            return self._finish(summary=summary, description=description)

    def _finish(self, *, summary: str, description: str) -> Version:
        access.require_write(repository=self.repository, user=self.user)
        head = (
            Ref.objects.filter(repository=self.repository, name=self.branch).select_related("version").first()
        )
        if head is None and (
            self.branch != "main" or Ref.objects.filter(repository=self.repository).exists()
        ):
            raise RevisionNotFound(f"branch {self.branch!r} not found in {self.repository.repo_id}")
        parent = head.version if head else None
        if head is not None and head.kind != Ref.Kind.BRANCH:
            raise InvalidInput(f"{self.branch!r} is a tag; commit to a branch")
        if self.parent_commit and (parent is None or parent.commit_id != self.parent_commit.lower()):
            raise PreconditionFailed(
                f"parentCommit {self.parent_commit} is not the head of {self.branch} "
                f"({parent.commit_id if parent else 'empty'}); pull the latest state and retry"
            )
        current = {f.path: (f.sha256, f.size) for f in parent.files.all()} if parent else {}
        result = dict(current)
        for path in self.deleted_files:
            if path not in result:
                raise EntryNotFound(f"{path}: A file with this name doesn't exist")
            del result[path]
        for folder in self.deleted_folders:
            matched = [p for p in result if p.startswith(folder + "/")]
            if not matched:
                raise EntryNotFound(f"{folder}: A file with this name doesn't exist")
            for path in matched:
                del result[path]
        result.update(self.added)
        if parent is not None and result == current:
            return parent  # nothing changes: the head is the answer (and a retry is harmless)
        if not result:
            raise InvalidInput("the commit would leave the repository without files")
        new_bytes = sum(
            size for sha, size in self.added.values() if not Blob.objects.filter(sha256=sha).exists()
        )
        check_quota(repository=self.repository, new_bytes=new_bytes)
        message = summary if not description else f"{summary}\n\n{description}"
        draft = ingest.start_draft(
            repository=self.repository, actor=self.user, message=message or "Upload files", branch=self.branch
        )
        if parent is not None:
            ingest.copy_files_from(
                draft=draft, source=parent, exclude=set(current) - set(result) | set(self.added)
            )
        try:
            for path, (sha256, size) in sorted(self.added.items()):
                ingest.add_stored_file(draft=draft, path=path, sha256=sha256, size=size)
        except IngestError as exc:
            ingest.mark_failed(draft, exc.message)
            raise
        return ingest.ingest(version=draft, actor=self.user)


@contextlib.contextmanager
def _repository_lock(repository_id: int) -> Iterator[None]:
    """One commit at a time per repository, so each is built on the head it publishes onto
    (a PostgreSQL advisory lock, held outside any transaction; SQLite serialises writers anyway)."""
    if connection.vendor != "postgresql":
        yield
        return
    key = zlib.crc32(f"repository-commit:{repository_id}".encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def upload_mode(*, path: str, size: int) -> str:
    """'regular' (inline in the commit: works with every client, Xet or not) below the
    threshold, 'lfs' above it."""
    return "regular" if size < settings.REGISTRY_INLINE_UPLOAD_THRESHOLD else "lfs"


def current_oid(*, repository: ModelRepository, branch: str, path: str, mode: str) -> str | None:
    """What the client compares with its local file to skip unchanged ones: the git blob sha1
    for regular files, the sha256 for LFS files."""
    head = Ref.objects.filter(repository=repository, name=branch).first()
    if head is None:
        return None
    file = VersionFile.objects.filter(version_id=head.version_id, path=path).select_related("blob").first()
    if file is None:
        return None
    if mode == "lfs":
        return file.sha256
    return file.blob.git_sha1 or None


# --- the browser portal ------------------------------------------------------------------------


@dataclass(frozen=True)
class PortalUpload:
    session: UploadSession
    part_urls: dict[int, str]  # parts still to send
    done_parts: dict[int, str]  # part number -> ETag, already in storage (a resumed upload)


def start_portal_draft(
    *, repository: ModelRepository, user: AbstractBaseUser, message: str = "", branch: str = "main"
) -> Version:
    access.require_write(repository=repository, user=user)
    check_rate(user=user)
    ingest.load_pipeline_in_background()
    return ingest.start_draft(
        repository=repository, actor=user, message=message or "Upload from the portal", branch=branch
    )


def portal_draft(*, draft_id: int, user: AbstractBaseUser) -> Version:
    draft = Version.objects.select_related("repository__namespace").filter(pk=draft_id).first()
    if draft is None or access.role_of(user, draft.repository) not in access.WRITE_ROLES:
        raise NotFound(f"upload {draft_id} not found")
    return draft


def start_file_upload(
    *, draft: Version, user: AbstractBaseUser, path: str, size: int, part_checksums: Sequence[str] = ()
) -> PortalUpload:
    """Presigned part URLs for one file of a portal draft; asking again for the same path and
    size resumes: the parts storage already holds are listed and not sent again."""
    if draft.status not in (Version.Status.DRAFT, Version.Status.FAILED):
        raise InvalidInput(f"this upload is {draft.status}; start a new one")
    check_declared_file(path=path, size=size)
    check_rate(user=user)
    store = get_store()
    session = (
        UploadSession.objects.filter(draft=draft, path=path, size=size)
        .exclude(status=UploadSession.Status.ABORTED)
        .first()
    )
    if session is None:
        if draft.upload_sessions.exclude(status=UploadSession.Status.ABORTED).count() >= (
            settings.REGISTRY_MAX_FILES_PER_VERSION
        ):
            raise InvalidInput(f"an upload may hold at most {settings.REGISTRY_MAX_FILES_PER_VERSION} files")
        check_quota(repository=draft.repository, new_bytes=size)
        session = UploadSession(
            repository=draft.repository,
            draft=draft,
            user=user,
            path=path,
            size=size,
            part_size=part_size_for(size),
        )
        session.save()
        session.storage_key = f"uploads/portal-{session.pk}-{uuid.uuid4().hex[:12]}"
        session.upload_id = store.start_multipart(session.storage_key)
        session.save(update_fields=["storage_key", "upload_id"])
    if session.status == UploadSession.Status.COMPLETED:
        return PortalUpload(session=session, part_urls={}, done_parts={})
    done = {
        number: etag
        for number, etag, stored_size in store.list_parts(session.storage_key, session.upload_id)
        if stored_size == min(session.part_size, session.size - (number - 1) * session.part_size)
    }
    checksums = dict(enumerate(part_checksums, start=1))
    urls = {
        n: store.presign_upload_part(
            session.storage_key,
            session.upload_id,
            n,
            ttl=settings.S3_PRESIGN_TTL * 12,
            checksum_sha256=checksums.get(n),
        )
        for n in range(1, session.part_count + 1)
        if n not in done
    }
    return PortalUpload(session=session, part_urls=urls, done_parts=done)


def complete_file_upload(
    *, session_id: int, user: AbstractBaseUser, parts: Sequence[tuple[int, str]]
) -> VersionFile:
    """Assemble the file, hash the stored bytes, and add it to its draft (stored once per sha256)."""
    session = UploadSession.objects.select_related("draft").filter(pk=session_id, user=user).first()
    if session is None or session.draft is None:
        raise NotFound(f"upload session {session_id} not found")
    if session.status != UploadSession.Status.COMPLETED:
        _assemble(session, parts)
    existing = VersionFile.objects.filter(version=session.draft, path=session.path).first()
    if existing is not None and session.sha256:
        return existing
    store = get_store()
    digest = digest_chunks(store.iter_chunks(session.storage_key))
    files.check_content_head(session.path, digest.head)
    UploadSession.objects.filter(pk=session.pk).update(sha256=digest.sha256)
    if Blob.objects.filter(sha256=digest.sha256, verified_at__isnull=False).exists():
        store.delete(session.storage_key)  # already stored once: keep one copy
        return ingest.add_stored_file(
            draft=session.draft, path=session.path, sha256=digest.sha256, size=digest.size
        )
    return ingest.add_stored_file(
        draft=session.draft,
        path=session.path,
        sha256=digest.sha256,
        size=digest.size,
        storage_key=session.storage_key,
    )


def add_generated_file(*, draft: Version, user: AbstractBaseUser, path: str, data: bytes) -> VersionFile:
    """A small file written by the portal itself (the model card from the editor)."""
    access.require_write(repository=draft.repository, user=user)
    check_declared_file(path=path, size=len(data))
    sha256 = hashlib.sha256(data).hexdigest()
    if not _stored_verified(sha256, len(data)):
        get_store().put_bytes(blob_key(sha256), data)
    return ingest.add_stored_file(draft=draft, path=path, sha256=sha256, size=len(data))


def publish_draft(*, draft: Version, user: AbstractBaseUser) -> Version:
    """Verify (sha256 recomputed from storage), sign and publish the portal's draft."""
    access.require_write(repository=draft.repository, user=user)
    unfinished = draft.upload_sessions.filter(status=UploadSession.Status.OPEN).values_list("path", flat=True)
    if unfinished:
        raise InvalidInput(
            f"{len(unfinished)} file(s) are still uploading: {', '.join(list(unfinished)[:5])}"
        )
    with _repository_lock(draft.repository_id):
        return ingest.ingest(version=draft, actor=user)


def cancel_draft(*, draft: Version, user: AbstractBaseUser) -> None:
    """Abort the draft's unfinished multipart uploads and drop the draft (never a published one)."""
    access.require_write(repository=draft.repository, user=user)
    if draft.is_published:
        raise InvalidInput("a published version cannot be cancelled; yank it instead")
    for session in draft.upload_sessions.filter(status=UploadSession.Status.OPEN):
        _abort(session)
    AuditEvent.record("upload.cancelled", actor=user, repository=draft.repository, draft=draft.pk)
    ingest.mark_failed(draft, "cancelled by the publisher")


def _abort(session: UploadSession) -> None:
    with contextlib.suppress(Exception):  # already gone from storage is fine
        get_store().abort_multipart(session.storage_key, session.upload_id)
    UploadSession.objects.filter(pk=session.pk).update(
        status=UploadSession.Status.ABORTED, updated_at=timezone.now()
    )


def abort_abandoned_uploads(*, older_than: timedelta | None = None) -> int:
    """Abort multipart uploads nobody touched for REGISTRY_UPLOAD_SESSION_TTL (the beat task)."""
    age = older_than if older_than is not None else timedelta(seconds=settings.REGISTRY_UPLOAD_SESSION_TTL)
    stale = UploadSession.objects.filter(
        status=UploadSession.Status.OPEN, updated_at__lt=timezone.now() - age
    )
    count = 0
    for session in stale.iterator():
        _abort(session)
        count += 1
    return count


def touch(session: UploadSession) -> None:
    UploadSession.objects.filter(pk=session.pk).update(updated_at=timezone.now())


def as_parts(raw: Iterable[dict]) -> list[tuple[int, str]]:
    """`[{"partNumber"|"number": n, "etag": "..."}]` from a JSON body, checked."""
    parts = []
    try:
        for item in raw:
            number = int(item.get("partNumber", item.get("number")))
            etag = str(item["etag"])
            if number < 1 or not etag:
                raise ValueError
            parts.append((number, etag))
    except (AttributeError, KeyError, TypeError, ValueError):
        raise InvalidInput('parts must be a list of {"partNumber": n, "etag": "..."}') from None
    return parts


# --- the portal's model card editor ------------------------------------------------------------

CARD_LIST_FIELDS = ("tags", "datasets", "language")


def card_from_form(
    *, metadata: dict, compliance: dict, body: str, intended_use: str = "", limitations: str = ""
) -> bytes:
    """README.md from the editor's fields: YAML metadata (lists split on commas, empty values
    left out, the compliance answers under `compliance:`) and the markdown body, checked by the
    same parser as any uploaded card. Raises InvalidModelCard naming the problem."""
    import yaml

    clean: dict = {}
    for key, value in metadata.items():
        if key in CARD_LIST_FIELDS and isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if value not in ("", None, []):
            clean[key] = value
    answers = {k: v for k, v in compliance.items() if v not in ("", None, [])}
    if intended_use and "intended_uses" not in answers:
        answers["intended_uses"] = intended_use
    if answers:
        clean["compliance"] = answers
    text = body.strip() or "# Model card"
    for title, section in (("Intended use", intended_use), ("Limitations", limitations)):
        if section.strip() and f"## {title}" not in text:
            text += f"\n\n## {title}\n\n{section.strip()}"
    header = yaml.safe_dump(clean, sort_keys=False, allow_unicode=True) if clean else ""
    raw = f"---\n{header}---\n{text}\n".encode()
    from registry.formats import cards

    cards.parse_card(raw)
    return raw
