"""Xet formats (registry/xet/formats.py) on hand-made bytes; the real client's bytes are checked
end to end in tests/compat/test_xet.py."""

from __future__ import annotations

import io
import os
import struct

import lz4.frame
import pytest

from registry.xet import formats


def _chunk(raw: bytes, scheme: int = 0) -> bytes:
    if scheme == 0:
        payload = raw
    elif scheme == 1:
        payload = lz4.frame.compress(raw)
    else:  # BG4: bytes grouped by position modulo 4, then LZ4
        payload = lz4.frame.compress(b"".join(raw[g::4] for g in range(4)))
    return (
        b"\0"
        + len(payload).to_bytes(3, "little")
        + bytes([scheme])
        + len(raw).to_bytes(3, "little")
        + payload
    )


def test_hash_strings_reverse_each_eight_byte_word():
    raw = bytes(range(32))
    text = formats.hash_string(raw)
    assert text.startswith("0706050403020100") and formats.parse_hash(text) == raw
    with pytest.raises(formats.FormatError, match="64-character"):
        formats.parse_hash("abc")


@pytest.mark.parametrize("length", [1, 5, 4096, 4099])
@pytest.mark.parametrize("scheme", [0, 1, 2])
def test_every_compression_scheme_decodes_to_the_raw_chunk(scheme, length):
    raw = os.urandom(length // 2) * 2 + b"x" * (length % 2)
    ((entry, decoded, serialized),) = list(formats.iter_chunks(io.BytesIO(_chunk(raw, scheme)).read))
    assert decoded == raw and entry.raw_size == length and entry.hash == formats.chunk_hash(raw)
    assert serialized == _chunk(raw, scheme)


def test_malformed_xorbs_name_the_problem():
    good = _chunk(b"hello world")
    for body, message in (
        (b"\1" + good[1:], "header version 1"),
        (good[:-2], "ends inside the chunk"),
        (good[:5], "ends inside a chunk header"),
        (good[:5] + (99).to_bytes(3, "little") + good[8:], "decodes to 11 bytes"),
    ):
        with pytest.raises(formats.FormatError, match=message):
            list(formats.iter_chunks(io.BytesIO(body).read))


def test_aggregation_groups_and_file_hash_differ_from_the_xorb_hash():
    entries = [(formats.chunk_hash(bytes([i])), 1) for i in range(40)]
    root = formats.aggregate(entries)
    assert len(root) == 32 and root != formats.aggregate(entries[:-1])
    assert formats.file_hash(entries) != root and formats.file_hash([]) == bytes(32)
    single = formats.aggregate(entries[:1])
    assert single == entries[0][0]  # one chunk: the root is the chunk hash itself


def test_shards_are_parsed_and_truncated_ones_refused():
    xorb, sha = os.urandom(32), os.urandom(32)
    record = xorb + struct.pack("<IIII", 0, 10, 0, 2)
    shard = (
        formats.SHARD_MAGIC + struct.pack("<QQ", 2, 0)
        + os.urandom(32) + struct.pack("<IIQ", formats.WITH_VERIFICATION | formats.WITH_METADATA, 1, 0)
        + record + os.urandom(32) + bytes(16) + sha + bytes(16)
        + formats.BOOKEND + bytes(16)
        + xorb + struct.pack("<IIII", 0, 1, 10, 0) + os.urandom(32) + struct.pack("<IIQ", 0, 10, 0)
        + formats.BOOKEND + bytes(16)
    )  # fmt: skip
    parsed = formats.parse_shard(shard)
    (file,) = parsed.files
    assert file.size == 10 and file.sha256 == formats.hash_string(sha) and file.terms[0].end == 2
    assert parsed.xorbs[0].hash == xorb and parsed.xorbs[0].raw_size == 10
    with pytest.raises(formats.FormatError, match="shard ends inside"):
        formats.parse_shard(shard[:-20])
    with pytest.raises(formats.FormatError, match="magic"):
        formats.parse_shard(b"x" * 100)
