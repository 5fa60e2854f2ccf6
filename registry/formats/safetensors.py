"""Safetensors header validation and metadata extraction, without loading any tensor.

The layout: 8 bytes little-endian header length N, N bytes of JSON, then the data section.
Every tensor's `data_offsets` are relative to the data section; together they must tile it
exactly (no overlap, no gap, nothing out of range), as the reference implementation requires.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field

from registry.errors import InvalidSafetensors

# The Hub client refuses headers above 25,000,000 bytes (hf-hub-protocol.md §5); so do we.
MAX_HEADER_SIZE = 25_000_000
HEADER_PREFIX_SIZE = 8

DTYPE_BITS = {
    "BOOL": 8,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "C64": 64,
    "F64": 64,
    "I64": 64,
    "U64": 64,
}


@dataclass(frozen=True)
class SafetensorsSummary:
    header_size: int
    tensor_count: int
    parameter_count: int
    parameters_by_dtype: dict[str, int]
    metadata: dict[str, str]
    tensor_names: frozenset[str] = field(repr=False)


def header_length(prefix: bytes, *, file_size: int) -> int:
    """Read and bound-check the 8-byte header length at the start of a file of `file_size` bytes."""
    if file_size < HEADER_PREFIX_SIZE or len(prefix) < HEADER_PREFIX_SIZE:
        raise InvalidSafetensors(f"file of {file_size} bytes is too short to hold the 8-byte header length")
    (length,) = struct.unpack("<Q", prefix[:HEADER_PREFIX_SIZE])
    if length > MAX_HEADER_SIZE:
        raise InvalidSafetensors(f"header of {length} bytes exceeds the {MAX_HEADER_SIZE}-byte limit")
    if HEADER_PREFIX_SIZE + length > file_size:
        raise InvalidSafetensors(
            f"header length {length} reaches beyond the end of the file ({file_size} bytes)"
        )
    if length < 2:
        raise InvalidSafetensors(f"header length {length} is too small for a JSON object")
    return length


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise InvalidSafetensors(f"duplicate tensor name {key!r} in the header")
        seen[key] = value
    return seen


def parse_header(header: bytes, *, file_size: int) -> SafetensorsSummary:
    """Validate the JSON header (the bytes after the 8-byte length) against the file size."""
    data_size = file_size - HEADER_PREFIX_SIZE - len(header)
    try:
        parsed = json.loads(header.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError as exc:
        raise InvalidSafetensors(f"header is not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise InvalidSafetensors(f"header is not valid JSON ({exc.msg} at byte {exc.pos})") from exc
    if not isinstance(parsed, dict):
        raise InvalidSafetensors("header must be a JSON object mapping tensor names to their entries")

    metadata = parsed.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise InvalidSafetensors("__metadata__ must map strings to strings")

    spans: list[tuple[int, int, str]] = []
    by_dtype: dict[str, int] = {}
    for name, entry in parsed.items():
        dtype, numel, start, end = _check_entry(name, entry)
        if end > data_size:
            raise InvalidSafetensors(
                f"tensor {name!r} data_offsets [{start}, {end}] are out of range: "
                f"the data section holds {data_size} bytes"
            )
        spans.append((start, end, name))
        by_dtype[dtype] = by_dtype.get(dtype, 0) + numel

    _check_tiling(spans, data_size)
    return SafetensorsSummary(
        header_size=len(header),
        tensor_count=len(spans),
        parameter_count=sum(by_dtype.values()),
        parameters_by_dtype=by_dtype,
        metadata=metadata,
        tensor_names=frozenset(parsed),
    )


def _check_entry(name: str, entry: object) -> tuple[str, int, int, int]:
    if not isinstance(entry, dict):
        raise InvalidSafetensors(f"tensor {name!r}: entry must be an object with dtype, shape, data_offsets")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if dtype not in DTYPE_BITS:
        raise InvalidSafetensors(f"tensor {name!r} has unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise InvalidSafetensors(
            f"tensor {name!r}: shape must be a list of non-negative integers, got {shape!r}"
        )
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in offsets)
        or offsets[0] > offsets[1]
    ):
        raise InvalidSafetensors(f"tensor {name!r}: data_offsets must be [start, end] with 0 <= start <= end")
    numel = math.prod(shape)
    bits = numel * DTYPE_BITS[dtype]
    start, end = offsets
    if bits % 8 or bits // 8 != end - start:
        raise InvalidSafetensors(
            f"tensor {name!r}: shape {shape} of {dtype} needs {bits / 8:g} bytes "
            f"but data_offsets [{start}, {end}] span {end - start}"
        )
    return dtype, numel, start, end


def _check_tiling(spans: list[tuple[int, int, str]], data_size: int) -> None:
    position, previous = 0, None
    for start, end, name in sorted(spans):
        if start < position:
            raise InvalidSafetensors(
                f"tensors {previous!r} and {name!r} overlap at byte {start} of the data section"
            )
        if start > position:
            where = f"after tensor {previous!r}" if previous else "at the start of the data section"
            raise InvalidSafetensors(f"gap of {start - position} bytes {where} (before tensor {name!r})")
        position, previous = end, name
    if position != data_size:
        raise InvalidSafetensors(
            f"the tensors cover {position} bytes but the data section holds {data_size}: "
            f"{data_size - position} trailing bytes belong to no tensor"
        )


def check_index(index: bytes, *, shard_tensors: dict[str, frozenset[str]]) -> dict[str, str]:
    """Validate a `*.safetensors.index.json` against the shards of the same version.

    `shard_tensors` maps each safetensors path (relative to the index's folder) to its tensor
    names. Returns the weight map.
    """
    try:
        parsed = json.loads(index)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidSafetensors(f"index is not valid JSON ({exc})") from exc
    weight_map = parsed.get("weight_map") if isinstance(parsed, dict) else None
    if not isinstance(weight_map, dict) or not weight_map:
        raise InvalidSafetensors("index must contain a non-empty 'weight_map' object")
    for tensor, shard in weight_map.items():
        if not isinstance(shard, str) or shard not in shard_tensors:
            raise InvalidSafetensors(
                f"index maps tensor {tensor!r} to {shard!r}, which is not in this version"
            )
        if tensor not in shard_tensors[shard]:
            raise InvalidSafetensors(
                f"index maps tensor {tensor!r} to {shard!r}, whose header has no such tensor"
            )
    listed = set(weight_map.values())
    for shard in listed:
        missing = shard_tensors[shard] - set(weight_map)
        if missing:
            raise InvalidSafetensors(
                f"shard {shard!r} holds tensors the index does not list: {sorted(missing)[:5]}"
            )
    return weight_map
