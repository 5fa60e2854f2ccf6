"""The storage protocol and the content-addressed key scheme."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def blob_key(sha256: str) -> str:
    """Where the blob with this digest lives: stored once, whoever uploads it."""
    if not _SHA256.match(sha256):
        raise ValueError(f"not a lowercase hex sha256: {sha256!r}")
    return f"blobs/sha256/{sha256}"


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str


class BlobStore(Protocol):
    def ensure_bucket(self) -> None: ...

    def ping(self) -> None:
        """Raise unless the bucket answers (readiness probe)."""

    def head(self, key: str) -> ObjectInfo | None: ...

    def put_bytes(self, key: str, data: bytes, *, content_type: str = "application/octet-stream") -> None: ...

    def upload_file(self, key: str, path: Path, *, progress: Callable[[int], None] | None = None) -> None:
        """Stream a local file up (multipart above one chunk); memory stays bounded by the parts in flight."""

    def upload_stream(
        self, key: str, stream: BinaryIO, *, progress: Callable[[int], None] | None = None
    ) -> None:
        """Stream a non-seekable reader up in order (multipart); memory bounded by the parts in flight."""

    def upload_file_checksummed(
        self,
        key: str,
        path: Path,
        *,
        each_part: Callable[[bytes], None],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Upload reading the file once, `each_part` seeing the bytes in order; storage checks each
        part against its SHA-256."""

    def iter_chunks(self, key: str, *, chunk_size: int = 8 << 20) -> Iterator[bytes]:
        """Stream an object's bytes in order."""

    def read_range(self, key: str, start: int, length: int) -> bytes: ...

    def presign_get(self, key: str, *, filename: str | None = None, ttl: int = 300) -> str: ...

    def start_multipart(self, key: str) -> str: ...

    def presign_upload_part(
        self,
        key: str,
        upload_id: str,
        part_number: int,
        *,
        ttl: int = 3600,
        checksum_sha256: str | None = None,
    ) -> str: ...

    def complete_multipart(self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]) -> None: ...

    def abort_multipart(self, key: str, upload_id: str) -> None: ...

    def delete(self, key: str) -> None: ...

    def presign_put(self, key: str, *, ttl: int = 3600) -> str: ...

    def list_parts(self, key: str, upload_id: str) -> list[tuple[int, str, int]]: ...

    def allow_browser_uploads(self, origins: Sequence[str]) -> None: ...
