"""The bundle's on-disk shape: a plain (PAX) tar, written and read as a stream.

Layout, in this order, so an importer can check everything it is promised before the bytes come:

    bundle.json                                       the manifest (format below)
    bundle.sig                                        model-signing bundle over bundle.json, by the
                                                      exporting registry's key
    versions/NS/NAME/COMMIT/compliance-report.json    per version: card, license, findings, evals
    blobs/sha256/SHA256                               every file's bytes, once per digest

`tar tf bundle.tar` lists it and `tar xf` unpacks it with no tool of ours. Headers are written with
`tarfile.TarInfo.tobuf`; the data goes out chunk by chunk, so no member is ever held whole.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterable, Iterator

FORMAT = "slm-registry/bundle/v1"
MANIFEST = "bundle.json"
MANIFEST_SIGNATURE = "bundle.sig"
BLOB_PREFIX = "blobs/sha256/"
MAX_MANIFEST_SIZE = 64 << 20  # ~300 bytes per file: far above any bundle we would make
MAX_REPORT_SIZE = 16 << 20
READ_CHUNK = 8 << 20
RECORD = tarfile.RECORDSIZE  # tar pads the archive to whole records, as GNU tar does
_BLOB_NAME = re.compile(r"^blobs/sha256/([0-9a-f]{64})$")


def report_name(repo_id: str, commit_id: str) -> str:
    return f"versions/{repo_id}/{commit_id}/compliance-report.json"


def blob_name(sha256: str) -> str:
    return BLOB_PREFIX + sha256


def blob_digest(name: str) -> str | None:
    """The sha256 a blob member is named after, or None for any other name."""
    match = _BLOB_NAME.match(name)
    return match.group(1) if match else None


class TarWriter:
    """Produces the archive's bytes member by member; `written` counts them (for the padding)."""

    def __init__(self, mtime: float):
        self.mtime = int(mtime)
        self.written = 0

    def member(self, name: str, size: int, chunks: Iterable[bytes]) -> Iterator[bytes]:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode, info.type = size, self.mtime, 0o644, tarfile.REGTYPE
        yield self._count(info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8"))
        sent = 0
        for chunk in chunks:
            sent += len(chunk)
            if sent > size:
                raise ValueError(f"{name}: more than the {size} bytes announced")
            yield self._count(chunk)
        if sent != size:
            raise ValueError(f"{name}: {sent} bytes read, {size} announced (storage changed?)")
        remainder = size % tarfile.BLOCKSIZE
        if remainder:
            yield self._count(b"\0" * (tarfile.BLOCKSIZE - remainder))

    def end(self) -> bytes:
        """Two zero blocks, then zeros up to a whole record."""
        tail = 2 * tarfile.BLOCKSIZE
        tail += (-(self.written + tail)) % RECORD
        return self._count(b"\0" * tail)

    def _count(self, data: bytes) -> bytes:
        self.written += len(data)
        return data
