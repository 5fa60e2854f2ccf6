"""Every malformed-safetensors case is refused with its own message; valid files pass."""

import json
import struct

import numpy as np
import pytest
from safetensors.numpy import save

from registry.errors import InvalidSafetensors
from registry.formats import safetensors
from tests.fixtures.models import raw_safetensors


def check(blob: bytes):
    length = safetensors.header_length(blob[:8], file_size=len(blob))
    return safetensors.parse_header(blob[8 : 8 + length], file_size=len(blob))


def test_valid_file_summary():
    blob = save({"a": np.zeros((2, 3), np.float32), "b": np.zeros(4, np.int64)}, metadata={"format": "pt"})
    summary = check(blob)
    assert summary.tensor_count == 2
    assert summary.parameter_count == 10
    assert summary.parameters_by_dtype == {"F32": 6, "I64": 4}
    assert summary.metadata == {"format": "pt"}
    assert summary.tensor_names == {"a", "b"}


def test_empty_tensor_and_padding_spaces_are_valid():
    header = json.dumps({"e": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}).encode() + b"   "
    assert check(raw_safetensors(header)).tensor_count == 1


F32_2 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}

CASES = [
    pytest.param(b"\x01\x02", "too short to hold the 8-byte header length", id="too-short"),
    pytest.param(
        raw_safetensors({"a": F32_2}, bytes(8), length=10_000),
        "reaches beyond the end of the file",
        id="header-length-beyond-file",
    ),
    pytest.param(
        struct.pack("<Q", 30_000_000) + b"{}", "exceeds the 25000000-byte limit", id="oversized-header"
    ),
    pytest.param(raw_safetensors(b"{not json}", bytes(8)), "header is not valid JSON", id="non-json"),
    pytest.param(raw_safetensors(b"\xff\xfe{}", bytes(8)), "header is not UTF-8", id="non-utf8"),
    pytest.param(raw_safetensors(b"[1, 2]"), "header must be a JSON object", id="not-an-object"),
    pytest.param(
        raw_safetensors(
            b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},'
            b' "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}',
            bytes(8),
        ),
        "duplicate tensor name 'a'",
        id="duplicate-names",
    ),
    pytest.param(
        raw_safetensors({"a": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}}, bytes(8)),
        "unknown dtype 'Q7'",
        id="unknown-dtype",
    ),
    pytest.param(
        raw_safetensors({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8)),
        "shape [3] of F32 needs 12 bytes but data_offsets [0, 8] span 8",
        id="size-mismatch",
    ),
    pytest.param(
        raw_safetensors(
            {"a": F32_2, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12)
        ),
        "tensors 'a' and 'b' overlap at byte 4",
        id="overlap",
    ),
    pytest.param(
        raw_safetensors(
            {"a": F32_2, "b": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]}}, bytes(20)
        ),
        "gap of 4 bytes after tensor 'a'",
        id="gap",
    ),
    pytest.param(
        raw_safetensors({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}, bytes(8)),
        "data_offsets [8, 16] are out of range",
        id="out-of-range",
    ),
    pytest.param(
        raw_safetensors({"a": F32_2}, bytes(12)), "4 trailing bytes belong to no tensor", id="trailing"
    ),
    pytest.param(
        raw_safetensors({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, bytes(8)),
        "shape must be a list of non-negative integers",
        id="negative-shape",
    ),
    pytest.param(
        raw_safetensors({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, bytes(8)),
        "data_offsets must be [start, end]",
        id="reversed-offsets",
    ),
    pytest.param(
        raw_safetensors({"__metadata__": {"k": 1}, "a": F32_2}, bytes(8)),
        "__metadata__ must map strings to strings",
        id="bad-metadata",
    ),
]


@pytest.mark.parametrize(("blob", "message"), CASES)
def test_malformed_files_refused_with_a_clear_message(blob, message):
    with pytest.raises(InvalidSafetensors) as error:
        check(blob)
    assert message in error.value.message


def test_index_must_match_shard_headers():
    shards = {"a.safetensors": frozenset({"x", "y"}), "b.safetensors": frozenset({"z"})}
    good = {"weight_map": {"x": "a.safetensors", "y": "a.safetensors", "z": "b.safetensors"}}
    assert safetensors.check_index(json.dumps(good).encode(), shard_tensors=shards)["z"] == "b.safetensors"
    with pytest.raises(InvalidSafetensors, match=r"'c\.safetensors', which is not in this version"):
        safetensors.check_index(
            json.dumps({"weight_map": {"x": "c.safetensors"}}).encode(), shard_tensors=shards
        )
    with pytest.raises(InvalidSafetensors, match="whose header has no such tensor"):
        safetensors.check_index(
            json.dumps({"weight_map": {"q": "a.safetensors"}}).encode(), shard_tensors=shards
        )
    with pytest.raises(InvalidSafetensors, match="holds tensors the index does not list"):
        safetensors.check_index(
            json.dumps({"weight_map": {"x": "a.safetensors"}}).encode(), shard_tensors=shards
        )
