"""Streaming digests: sha256 (identity) and the git blob sha1 Hub clients use as an ETag.

Reading and hashing overlap: a thread pulls the next chunk while this one is hashed
(hashlib releases the GIL on large buffers), so a stored object is verified at close to
the speed of the slower of the two.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 8 << 20
HEAD_BYTES = 16
LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"


@dataclass(frozen=True)
class Digest:
    sha256: str
    size: int
    git_sha1: str | None  # only computed when asked (small, non-LFS files)
    head: bytes  # the first bytes, to recognise pickle or executables under another name


def secret_digest(raw: str) -> str:
    """What the database keeps of a bearer secret (API token, invitation link): its sha256."""
    return hashlib.sha256(raw.encode()).hexdigest()


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def lfs_pointer(sha256: str, size: int) -> str:
    return LFS_POINTER.format(sha256=sha256, size=size)


def lfs_pointer_oid(sha256: str, size: int) -> str:
    """The git blob id of the LFS pointer file: what the Hub reports as `oid` for LFS files."""
    return git_blob_sha1(lfs_pointer(sha256, size).encode())


def _prefetch(chunks: Iterable[bytes], depth: int) -> Iterator[bytes]:
    buffer: queue.Queue[object] = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def pump() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                buffer.put(chunk)
            buffer.put(done)
        except BaseException as exc:  # handed to the consumer, re-raised there
            buffer.put(exc)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():  # unblock a pump waiting on a full queue
            try:
                buffer.get_nowait()
            except queue.Empty:
                thread.join(0.05)


class Digester:
    """The `Digest` of bytes fed in order: sha256, and the git blob sha1 when `git_size` (the
    expected size) is given."""

    def __init__(self, *, git_size: int | None = None):
        self._sha256 = hashlib.sha256()
        self._git_size = git_size
        self._sha1 = (
            hashlib.sha1(b"blob %d\0" % git_size, usedforsecurity=False) if git_size is not None else None
        )
        self.size, self._head = 0, b""

    def update(self, chunk: bytes) -> None:
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
        self._sha256.update(chunk)
        if self._sha1 is not None:
            self._sha1.update(chunk)
        self.size += len(chunk)

    def digest(self) -> Digest:
        complete = self._sha1 is not None and self.size == self._git_size
        return Digest(
            sha256=self._sha256.hexdigest(),
            size=self.size,
            git_sha1=self._sha1.hexdigest() if complete else None,
            head=self._head,
        )


def digest_chunks(
    chunks: Iterable[bytes],
    *,
    git_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    prefetch: int = 2,
) -> Digest:
    """Hash a stream; pass `git_size` (the expected size) to also compute the git blob sha1."""
    digester = Digester(git_size=git_size)
    for chunk in _prefetch(chunks, prefetch):
        digester.update(chunk)
        if progress is not None:
            progress(len(chunk))
    return digester.digest()


def read_file_chunks(path: Path, chunk_size: int = CHUNK) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            yield chunk


def digest_file(
    path: Path, *, git_size: int | None = None, progress: Callable[[int], None] | None = None
) -> Digest:
    return digest_chunks(read_file_chunks(path), git_size=git_size, progress=progress)
