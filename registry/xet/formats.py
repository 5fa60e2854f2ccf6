"""Xet formats: hash strings, the keyed BLAKE3 hashes, chunk decoding, xorb and shard parsing.

Pure functions over bytes, no Django. Every rule here was checked against the real client
(`hf_xet` 1.8); the aggregation's grouping rule comes from xet-core's `aggregated_hashes.rs`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import lz4.frame
from blake3 import blake3

DATA_KEY = bytes(
    [102, 151, 245, 119, 91, 149, 80, 222, 49, 53, 203, 172, 165, 151, 24, 28,
     157, 228, 33, 16, 155, 235, 43, 88, 180, 208, 176, 75, 147, 173, 242, 41]
)  # fmt: skip
INTERNAL_NODE_KEY = bytes(
    [1, 126, 197, 199, 165, 71, 41, 150, 253, 148, 102, 102, 180, 138, 2, 230,
     93, 221, 83, 111, 55, 199, 109, 210, 248, 99, 82, 230, 74, 83, 113, 63]
)  # fmt: skip
VERIFICATION_KEY = bytes(
    [127, 24, 87, 214, 206, 86, 237, 102, 18, 127, 249, 19, 231, 165, 195, 243,
     164, 205, 38, 213, 181, 219, 73, 230, 65, 36, 152, 127, 40, 251, 148, 195]
)  # fmt: skip
ZERO_KEY = bytes(32)

CHUNK_HEADER_SIZE = 8
MAX_CHUNK_SIZE = 128 << 10  # the client's largest chunk; twice that is refused as malformed
MAX_XORB_SIZE = (64 << 20) + (1 << 20)  # 64 MiB of data + per-chunk headers (seen: 64 MiB + 8,001)
RECORD = 48
SHARD_MAGIC = bytes(
    [0x48, 0x46, 0x52, 0x65, 0x70, 0x6F, 0x4D, 0x65, 0x74, 0x61, 0x44, 0x61, 0x74, 0x61, 0x00, 0x55,
     0x69, 0x67, 0x45, 0x6A, 0x7B, 0x81, 0x57, 0x83, 0xA5, 0xBD, 0xD9, 0x5C, 0xCD, 0xD1, 0x4A, 0xA9]
)  # fmt: skip
BOOKEND = b"\xff" * 32
WITH_VERIFICATION = 1 << 31
WITH_METADATA = 1 << 30


class FormatError(ValueError):
    """Bytes that do not follow the Xet format; the message names what is wrong."""


# --- hashes ------------------------------------------------------------------------------------


def hash_string(raw: bytes) -> str:
    """Xet's text form of a 32-byte hash: each 8-byte word read little-endian, then hex."""
    return "".join(raw[i : i + 8][::-1].hex() for i in range(0, 32, 8))


def parse_hash(text: str) -> bytes:
    if len(text) != 64:
        raise FormatError(f"{text[:80]!r} is not a 64-character Xet hash")
    try:
        words = bytes.fromhex(text)
    except ValueError:
        raise FormatError(f"{text[:80]!r} is not a hex Xet hash") from None
    return b"".join(words[i : i + 8][::-1] for i in range(0, 32, 8))


def chunk_hash(data: bytes) -> bytes:
    return blake3(data, key=DATA_KEY).digest()


def _group_end(entries: Sequence[tuple[bytes, int]], start: int) -> int:
    remaining = len(entries) - start
    if remaining <= 2:
        return len(entries)
    limit = start + min(9, remaining)
    for i in range(start + 2, limit):
        if int.from_bytes(entries[i][0][24:32], "little") % 4 == 0:
            return i + 1
    return limit


def aggregate(entries: Sequence[tuple[bytes, int]]) -> bytes:
    """The Merkle root over (hash, length) pairs: the xorb hash, and the core of the file hash."""
    if not entries:
        return bytes(32)
    level = list(entries)
    while len(level) > 1:
        parents, start = [], 0
        while start < len(level):
            end = _group_end(level, start)
            group = level[start:end]
            text = "".join(f"{hash_string(h)} : {n}\n" for h, n in group)
            parents.append((blake3(text.encode(), key=INTERNAL_NODE_KEY).digest(), sum(n for _, n in group)))
            start = end
        level = parents
    return level[0][0]


def file_hash(entries: Sequence[tuple[bytes, int]]) -> bytes:
    if not entries:
        return bytes(32)
    return blake3(aggregate(entries), key=ZERO_KEY).digest()


def verification_hash(chunk_hashes: Sequence[bytes]) -> bytes:
    return blake3(b"".join(chunk_hashes), key=VERIFICATION_KEY).digest()


# --- chunks and xorbs --------------------------------------------------------------------------


def _bg4_ungroup(data: bytes) -> bytes:
    """Undo the byte grouping by position modulo 4 (scheme 2, before LZ4)."""
    n = len(data)
    out = bytearray(n)
    base, extra, pos = n // 4, n % 4, 0
    for group in range(4):
        size = base + (1 if group < extra else 0)
        out[group::4] = data[pos : pos + size]
        pos += size
    return bytes(out)


def decode_chunk(header: bytes, payload: bytes) -> bytes:
    scheme, raw_size = header[4], int.from_bytes(header[5:8], "little")
    try:
        if scheme == 0:
            raw = payload
        elif scheme == 1:
            raw = lz4.frame.decompress(payload)
        elif scheme == 2:
            raw = _bg4_ungroup(lz4.frame.decompress(payload))
        else:
            raise FormatError(f"unknown compression scheme {scheme}")
    except RuntimeError as exc:  # lz4 reports corrupt frames this way
        raise FormatError(f"chunk does not decompress: {exc}") from exc
    if len(raw) != raw_size:
        raise FormatError(f"chunk decodes to {len(raw)} bytes, its header says {raw_size}")
    return raw


@dataclass(frozen=True)
class ChunkEntry:
    offset: int  # where the chunk's header starts in the serialized xorb
    raw_size: int
    hash: bytes


Reader = Callable[[int], bytes]


def _read_exact(read: Reader, size: int) -> bytes:
    data = b""
    while len(data) < size:
        piece = read(size - len(data))
        if not piece:
            break
        data += piece
    return data


def iter_chunks(read: Reader, *, limit: int = MAX_XORB_SIZE) -> Iterator[tuple[ChunkEntry, bytes, bytes]]:
    """(entry, raw bytes, serialized bytes) of each chunk read from a serialized xorb stream."""
    offset = 0
    while True:
        header = _read_exact(read, CHUNK_HEADER_SIZE)
        if not header:
            return
        if len(header) < CHUNK_HEADER_SIZE:
            raise FormatError(f"xorb ends inside a chunk header at byte {offset}")
        if header[0] != 0:
            raise FormatError(f"chunk at byte {offset} has header version {header[0]}, expected 0")
        size, raw_size = int.from_bytes(header[1:4], "little"), int.from_bytes(header[5:8], "little")
        if raw_size == 0 or raw_size > 2 * MAX_CHUNK_SIZE or size > 2 * MAX_CHUNK_SIZE:
            raise FormatError(f"chunk at byte {offset} declares {raw_size} raw / {size} stored bytes")
        if offset + CHUNK_HEADER_SIZE + size > limit:
            raise FormatError(f"xorb is larger than {limit} bytes")
        payload = _read_exact(read, size)
        if len(payload) < size:
            raise FormatError(f"xorb ends inside the chunk at byte {offset}")
        raw = decode_chunk(header, payload)
        yield ChunkEntry(offset=offset, raw_size=raw_size, hash=chunk_hash(raw)), raw, header + payload
        offset += CHUNK_HEADER_SIZE + size


# Per-chunk index kept for each stored xorb: header offset, raw size, chunk hash (40 bytes).
_INDEX = struct.Struct("<II32s")


def pack_index(entries: Sequence[ChunkEntry]) -> bytes:
    return b"".join(_INDEX.pack(e.offset, e.raw_size, e.hash) for e in entries)


def unpack_index(data: bytes) -> list[ChunkEntry]:
    return [ChunkEntry(offset=o, raw_size=r, hash=h) for o, r, h in _INDEX.iter_unpack(data)]


# --- shards ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    xorb: bytes
    raw_size: int
    start: int
    end: int  # exclusive
    verification: bytes | None


@dataclass(frozen=True)
class ShardFile:
    file_id: bytes
    terms: list[Term]
    sha256: str | None  # hex, decoded with the hash-string rule like every other hash

    @property
    def size(self) -> int:
        return sum(t.raw_size for t in self.terms)


@dataclass(frozen=True)
class ShardXorb:
    hash: bytes
    chunks: list[tuple[bytes, int, int]]  # (chunk hash, raw offset in the xorb, raw size)
    raw_size: int


@dataclass(frozen=True)
class Shard:
    files: list[ShardFile]
    xorbs: list[ShardXorb]


class _Records:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def next(self, what: str) -> bytes:
        if self.pos + RECORD > len(self.data):
            raise FormatError(f"shard ends inside {what} (byte {self.pos})")
        record = self.data[self.pos : self.pos + RECORD]
        self.pos += RECORD
        return record


def parse_shard(data: bytes) -> Shard:
    """A shard as uploaded (header, file section, xorb section; no footer)."""
    if len(data) < RECORD or data[:32] != SHARD_MAGIC:
        raise FormatError("not a Xet shard: the magic header is missing")
    version, _footer = struct.unpack_from("<QQ", data, 32)
    if version != 2:
        raise FormatError(f"shard version {version} is not supported (2 is)")
    records = _Records(data)
    records.pos = RECORD
    files = []
    while True:
        header = records.next("a file header")
        if header[:32] == BOOKEND:
            break
        flags, count = struct.unpack_from("<II", header, 32)
        terms = []
        for _ in range(count):
            record = records.next("a file term")
            _flags, raw, start, end = struct.unpack_from("<IIII", record, 32)
            if end <= start:
                raise FormatError(f"a term has an empty chunk range {start}..{end}")
            terms.append((record[:32], raw, start, end))
        checks: list[bytes | None] = [None] * count
        if flags & WITH_VERIFICATION:
            checks = [records.next("a verification record")[:32] for _ in range(count)]
        sha256 = None
        if flags & WITH_METADATA:
            sha256 = hash_string(records.next("a metadata record")[:32])
        files.append(
            ShardFile(
                file_id=header[:32],
                terms=[Term(x, r, s, e, v) for (x, r, s, e), v in zip(terms, checks, strict=True)],
                sha256=sha256,
            )
        )
    xorbs = []
    while True:
        header = records.next("a xorb header")
        if header[:32] == BOOKEND:
            break
        _flags, count, raw_size, _on_disk = struct.unpack_from("<IIII", header, 32)
        chunks = []
        for _ in range(count):
            record = records.next("a xorb chunk record")
            offset, size = struct.unpack_from("<II", record, 32)
            chunks.append((record[:32], offset, size))
        xorbs.append(ShardXorb(hash=header[:32], chunks=chunks, raw_size=raw_size))
    return Shard(files=files, xorbs=xorbs)
