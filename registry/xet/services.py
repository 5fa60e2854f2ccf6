"""The CAS's rules: verify and store xorbs, accept shards (rebuilding every file they describe),
answer reconstruction queries, and decide who may commit a file uploaded through Xet.

Nothing the client claims is trusted: chunk hashes, xorb hashes, verification hashes, file ids,
sizes and sha256 are all recomputed here from bytes the server holds.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from registry.errors import NotFound, PermissionDenied, RegistryError
from registry.models import ApiToken, Blob, ModelRepository, Version, VersionFile
from registry.services import access
from registry.storage import blob_key, get_store

from . import formats
from .models import XetFile, XetFileXorb, Xorb
from .tokens import WRITE, Grant

XORB_PREFIX = "xet/xorbs/"
SPOOL_TTL = 3600.0  # seconds a local copy of a received xorb waits for its shard
logger = logging.getLogger(__name__)


class XetRejected(RegistryError):
    """Bytes or a manifest that fail verification: 400, which the client does not retry."""

    status = 400
    code = "XetRejected"


class RangeNotSatisfiable(RegistryError):
    status = 416
    code = "RangeNotSatisfiable"


def xorb_key(hash_text: str) -> str:
    return f"{XORB_PREFIX}{hash_text}"


# --- xorbs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedXorb:
    entries: list[formats.ChunkEntry]
    size: int


def _verified_pieces(hash_text: str, read: formats.Reader, out: list[VerifiedXorb]) -> Iterator[bytes]:
    """The serialized chunks of a xorb as they are read and checked. The xorb hash is checked
    before the end of the stream is reported, so a storage upload fed from this generator is
    aborted, never completed, when the xorb does not match its name."""
    expected = formats.parse_hash(hash_text)
    entries, size = [], 0
    try:
        for entry, _raw, serialized in formats.iter_chunks(read):
            entries.append(entry)
            size += len(serialized)
            yield serialized
    except formats.FormatError as exc:
        raise XetRejected(f"xorb {hash_text}: {exc}; nothing was stored") from exc
    if not entries:
        raise XetRejected(f"xorb {hash_text} is empty")
    computed = formats.aggregate([(e.hash, e.raw_size) for e in entries])
    if computed != expected:
        raise XetRejected(
            f"xorb {hash_text}: its chunks hash to {formats.hash_string(computed)}, not to the hash in the "
            "URL (corrupted or tampered in transit); nothing was stored"
        )
    out.append(VerifiedXorb(entries=entries, size=size))


def _verify_stream(hash_text: str, read: formats.Reader) -> VerifiedXorb:
    out: list[VerifiedXorb] = []
    for _ in _verified_pieces(hash_text, read, out):
        pass
    return out[0]


def _stream(pieces: Iterator[bytes]) -> io.BufferedReader:
    return io.BufferedReader(_IterReader(pieces), buffer_size=1 << 20)


def _record_xorb(hash_text: str, verified: VerifiedXorb) -> Xorb:
    try:
        with transaction.atomic():
            return Xorb.objects.create(
                hash=hash_text,
                storage_key=xorb_key(hash_text),
                size=verified.size,
                raw_size=sum(e.raw_size for e in verified.entries),
                chunk_count=len(verified.entries),
                index=formats.pack_index(verified.entries),
            )
    except IntegrityError:  # a concurrent upload of the same xorb won
        return Xorb.objects.get(hash=hash_text)


def _spool_dir() -> Path:
    """Local copies of recently received xorbs: the shard that follows is rebuilt from them instead
    of reading the xorbs back from S3 (any process on this host; other hosts fall back to S3)."""
    folder = Path(tempfile.gettempdir()) / "registry-xet-xorbs"
    folder.mkdir(exist_ok=True)
    return folder


def _sweep_spool(folder: Path, *, older_than: float = SPOOL_TTL) -> None:
    limit = time.time() - older_than
    for path in folder.iterdir():
        with contextlib.suppress(OSError):  # a concurrent sweep or shard removed it first
            if path.stat().st_mtime < limit:
                path.unlink()


def store_xorb(*, hash_text: str, read: formats.Reader) -> bool:
    """Verify a serialized xorb read from `read`, spooled to a local file (kept for the shard's
    rebuild), then store it; False when it was already stored (the body is still read and
    checked, so a bad body never passes as "already stored"). Spooling rather than streaming
    keeps the web worker's memory flat whatever the number of xorbs in flight."""
    hash_text, started, folder = hash_text.lower(), time.perf_counter(), _spool_dir()
    if Xorb.objects.filter(hash=hash_text).exists():
        _verify_stream(hash_text, read)
        Xorb.objects.filter(hash=hash_text).update(times_received=F("times_received") + 1)
        return False
    _sweep_spool(folder)
    spool_path, out = folder / f"incoming-{uuid.uuid4().hex}", []
    try:
        with open(spool_path, "wb") as spool:
            for piece in _verified_pieces(hash_text, read, out):
                spool.write(piece)
        checked = time.perf_counter()
        get_store().upload_file(xorb_key(hash_text), spool_path)
        os.replace(spool_path, folder / hash_text)
    finally:
        with contextlib.suppress(FileNotFoundError):
            spool_path.unlink()
    _record_xorb(hash_text, out[0])
    logger.info(
        "xorb %s: %d bytes received and verified in %.2f s, stored in %.2f s",
        hash_text[:12], out[0].size, checked - started, time.perf_counter() - checked,
    )  # fmt: skip
    return True


def _stored_xorb(hash_text: str) -> Xorb | None:
    """The xorb's record; a xorb whose bytes are in storage without a record (a lost database
    row) is verified again from storage and re-indexed, since clients reference it from cache."""
    xorb = Xorb.objects.filter(hash=hash_text).first()
    if xorb is not None:
        return xorb
    store = get_store()
    if store.head(xorb_key(hash_text)) is None:
        return None
    stream = _stream(store.iter_chunks(xorb_key(hash_text)))
    try:
        verified = _verify_stream(hash_text, stream.read)
    except XetRejected:
        return None
    return _record_xorb(hash_text, verified)


class _IterReader(io.RawIOBase):
    def __init__(self, chunks):
        self._chunks, self._left = iter(chunks), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            self._left = next(self._chunks, b"")
            if not self._left:
                return 0
        n = min(len(buffer), len(self._left))
        buffer[:n], self._left = self._left[:n], self._left[n:]
        return n


def _chunk_bytes(xorb: Xorb, index: list[formats.ChunkEntry], start: int, end: int) -> tuple[int, int]:
    """Inclusive serialized byte range of chunks start..end (exclusive) inside the stored xorb."""
    stop = index[end].offset if end < len(index) else xorb.size
    return index[start].offset, stop - 1


def _read_terms(terms: list[list], xorbs: dict[str, tuple[Xorb, list[formats.ChunkEntry]]]):
    """The decoded bytes of a file, term by term, read back from the stored xorbs."""
    store, folder = get_store(), _spool_dir()
    for xorb_hash, start, end, _raw in terms:
        xorb, index = xorbs[xorb_hash]
        first, last = _chunk_bytes(xorb, index, start, end)
        try:
            with open(folder / xorb_hash, "rb") as local:
                local.seek(first)
                data = io.BytesIO(local.read(last - first + 1))
        except FileNotFoundError:
            data = io.BytesIO(store.read_range(xorb.storage_key, first, last - first + 1))
        for entry, raw, _ in formats.iter_chunks(data.read):
            if entry.hash != index[start].hash:
                raise XetRejected(f"stored xorb {xorb_hash} no longer matches its index")
            start += 1
            yield raw


# --- shards ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShardResult:
    files: list[XetFile]
    new: int  # files not known before for this repository and token


def _indexed(raw_hash: bytes, cache: dict) -> tuple[Xorb, list[formats.ChunkEntry]]:
    text = formats.hash_string(raw_hash)
    if text not in cache:
        xorb = _stored_xorb(text)
        if xorb is None:
            raise XetRejected(
                f"the shard names xorb {text}, which this registry does not hold; upload the xorb first "
                "(if your client cached it from an earlier upload, delete the `xet` folder under HF_HOME)"
            )
        cache[text] = (xorb, formats.unpack_index(bytes(xorb.index)))
    return cache[text]


def _check_xorb_section(shard: formats.Shard, cache: dict) -> None:
    for described in shard.xorbs:
        xorb, index = _indexed(described.hash, cache)
        ours = [(e.hash, e.raw_size) for e in index]
        theirs = [(h, size) for h, _offset, size in described.chunks]
        offsets, total = [], 0
        for _h, size in theirs:
            offsets.append(total)
            total += size
        if ours != theirs or [o for _h, o, _s in described.chunks] != offsets or described.raw_size != total:
            raise XetRejected(f"the shard's description of xorb {xorb.hash} does not match the stored xorb")


def _verified_terms(file: formats.ShardFile, cache: dict) -> tuple[list[list], list[tuple[bytes, int]]]:
    name = formats.hash_string(file.file_id)
    terms, chunks = [], []
    for number, term in enumerate(file.terms, start=1):
        xorb, index = _indexed(term.xorb, cache)
        if term.end > len(index):
            raise XetRejected(
                f"file {name}, term {number}: chunks {term.start}..{term.end} are outside xorb {xorb.hash} "
                f"({len(index)} chunks)"
            )
        segment = index[term.start : term.end]
        if sum(e.raw_size for e in segment) != term.raw_size:
            raise XetRejected(f"file {name}, term {number}: the declared size does not match the chunks")
        if term.verification is None:
            raise XetRejected(f"file {name}, term {number}: the verification hash is missing")
        if formats.verification_hash([e.hash for e in segment]) != term.verification:
            raise XetRejected(f"file {name}, term {number}: the verification hash is wrong")
        terms.append([xorb.hash, term.start, term.end, term.raw_size])
        chunks.extend((e.hash, e.raw_size) for e in segment)
    if formats.file_hash(chunks) != file.file_id:
        raise XetRejected(f"file {name}: its chunks hash to another file id")
    return terms, chunks


def _rebuild(terms: list[list], cache: dict, *, sha256: str, size: int) -> None:
    """Rebuild the file from the stored xorbs, hashing it (sha256, and the git sha1 of small files)
    while it streams to its content address, and record the blob as verified: its digest was
    computed here from the very bytes stored. The digest is compared before the end of the stream,
    so a file that is not what the shard claims never completes in storage."""
    if Blob.objects.filter(sha256=sha256, size=size, verified_at__isnull=False).exists():
        stored = None  # only the digest is needed: the bytes are already at their address
    else:
        stored = blob_key(sha256)
    sha = hashlib.sha256()
    git = (
        hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False)
        if size < settings.REGISTRY_LFS_THRESHOLD
        else None
    )
    length = 0

    def hashed() -> Iterator[bytes]:
        nonlocal length
        for raw in _read_terms(terms, cache):
            sha.update(raw)
            if git is not None:
                git.update(raw)
            length += len(raw)
            yield raw
        if sha.hexdigest() != sha256 or length != size:
            raise XetRejected(
                f"the file rebuilt from its xorbs has sha256 {sha.hexdigest()} ({length} bytes), "
                f"not the shard's {sha256}"
            )

    if stored is None:
        for _ in hashed():
            pass
        return
    get_store().upload_stream(stored, _stream(hashed()))
    Blob.objects.update_or_create(
        sha256=sha256,
        defaults={
            "size": size,
            "storage_key": stored,
            "git_sha1": git.hexdigest() if git is not None else "",
            "verified_at": timezone.now(),
        },
    )


def accept_shard(*, data: bytes, grant: Grant) -> ShardResult:
    """Verify a shard against the stored xorbs, rebuild each file it describes (once per file id,
    ever) and bind the files to the grant's repository and API token."""
    try:
        shard = formats.parse_shard(data)
    except formats.FormatError as exc:
        raise XetRejected(f"shard: {exc}") from exc
    repository = ModelRepository.objects.filter(pk=grant.repository_id).first()
    if repository is None:
        raise NotFound("the repository of this Xet token no longer exists")
    cache: dict = {}
    _check_xorb_section(shard, cache)
    accepted, new = [], 0
    for file in shard.files:
        name = formats.hash_string(file.file_id)
        terms, _ = _verified_terms(file, cache)
        if file.sha256 is None:
            raise XetRejected(f"file {name}: the shard carries no sha256 metadata record")
        if file.size > settings.REGISTRY_MAX_FILE_SIZE:
            raise XetRejected(f"file {name}: {file.size} bytes exceed the per-file limit")
        known = XetFile.objects.filter(file_id=name).first()
        stored = Blob.objects.filter(sha256=file.sha256, size=file.size, verified_at__isnull=False).exists()
        if known is None or known.sha256 != file.sha256 or known.size != file.size or not stored:
            started = time.perf_counter()
            _rebuild(terms, cache, sha256=file.sha256, size=file.size)
            logger.info("xet file %s: %d bytes rebuilt, sha256 checked and stored in %.2f s",
                        name[:12], file.size, time.perf_counter() - started)  # fmt: skip
        with transaction.atomic():
            xet_file, created = XetFile.objects.get_or_create(
                file_id=name,
                repository=repository,
                token_id=grant.token_id,
                defaults={"sha256": file.sha256, "size": file.size, "terms": terms},
            )
            if created:
                XetFileXorb.objects.bulk_create(
                    [XetFileXorb(file=xet_file, xorb_id=h) for h in {t[0] for t in terms}],
                    ignore_conflicts=True,
                )
                new += 1
        accepted.append(xet_file)
    for xorb_hash in cache:  # rebuilt: the local copies have served their purpose
        with contextlib.suppress(FileNotFoundError):
            (_spool_dir() / xorb_hash).unlink()
    return ShardResult(files=accepted, new=new)


# --- reconstruction (downloads through the CAS) ------------------------------------------------


def _readable_file(file_id: str, grant: Grant) -> XetFile:
    """A file that a published version of the grant's repository holds; a write grant also reads
    what it uploaded there. Drafts stay unreadable to readers, even to one who knows the file id."""
    for candidate in XetFile.objects.filter(file_id=file_id.lower()):
        if (
            grant.scope == WRITE and candidate.repository_id == grant.repository_id
        ) or VersionFile.objects.filter(
            version__repository_id=grant.repository_id,
            version__status=Version.Status.PUBLISHED,
            sha256=candidate.sha256,
        ).exists():
            return candidate
    raise NotFound(f"no file {file_id} in this repository")


def file_id_for(*, sha256: str) -> str | None:
    """The Xet file id to advertise for a file with this sha256 (rebuilt and verified), if any."""
    file = XetFile.objects.filter(sha256=sha256).only("file_id").first()
    return file.file_id if file else None


def reconstruction(*, file_id: str, grant: Grant, byte_range: tuple[int, int] | None = None) -> dict:
    """The v1 reconstruction answer: terms in file order and presigned byte ranges of the stored
    xorbs (S3 serves the bytes; `Range` is added by the client and is not signed)."""
    file = _readable_file(file_id, grant)
    first, last = byte_range or (0, max(file.size - 1, 0))
    if byte_range is not None and first >= file.size:
        raise RangeNotSatisfiable(f"range starts at {first}, the file has {file.size} bytes")
    last = min(last, file.size - 1)
    xorbs = {x.hash: (x, formats.unpack_index(bytes(x.index))) for x in file.xorbs.all()}
    store, ttl = get_store(), settings.S3_PRESIGN_TTL
    terms, fetch, skip, position = [], {}, 0, 0
    for xorb_hash, start, end, _raw in file.terms:
        _xorb, index = xorbs[xorb_hash]
        keep: list[int] = []
        for i in range(start, end):
            size = index[i].raw_size
            if position + size > first and position <= last:
                if not terms and not keep:
                    skip = first - position
                keep.append(i)
            position += size
        if not keep:
            continue
        lo, hi = keep[0], keep[-1] + 1
        terms.append(
            {
                "hash": xorb_hash,
                "unpacked_length": sum(index[i].raw_size for i in range(lo, hi)),
                "range": {"start": lo, "end": hi},
            }
        )
        entry = {"range": {"start": lo, "end": hi}}
        if entry not in [{"range": e["range"]} for e in fetch.get(xorb_hash, [])]:
            xorb, _ = xorbs[xorb_hash]
            begin, stop = _chunk_bytes(xorb, index, lo, hi)
            entry["url"] = store.presign_get(xorb.storage_key, ttl=ttl)
            entry["url_range"] = {"start": begin, "end": stop}
            fetch.setdefault(xorb_hash, []).append(entry)
    return {"offset_into_first_range": skip, "terms": terms, "fetch_info": fetch}


# --- commits -----------------------------------------------------------------------------------


def check_committable(
    *, sha256: str, repository: ModelRepository, token: ApiToken | None, user: AbstractBaseUser
) -> bool:
    """A file uploaded through Xet is committed only by the repository and token that uploaded it,
    unless its bytes are already linkable by the user (`access.may_link_digest`). True when this
    caller sent it through Xet."""
    uploads = XetFile.objects.filter(sha256=sha256)
    if not uploads.exists():
        return False
    if token is not None and uploads.filter(repository=repository, token=token).exists():
        return True
    if not access.may_link_digest(sha256=sha256, repository=repository, user=user):
        raise PermissionDenied(
            f"the file with sha256 {sha256} was uploaded through Xet for another repository or token; "
            f"upload it again with a write token of {repository.repo_id}"
        )
    return False


def storage_cost() -> dict[str, int]:
    """Bytes held for Xet: stored xorbs, and the rebuilt files (ordinary blobs) they duplicate."""
    from django.db.models import Sum

    xorbs = Xorb.objects.aggregate(total=Sum("size"))["total"] or 0
    shas = XetFile.objects.values("sha256").distinct()
    blobs = Blob.objects.filter(sha256__in=shas).aggregate(total=Sum("size"))["total"] or 0
    return {"xorb_bytes": xorbs, "rebuilt_blob_bytes": blobs}
