"""Memory footprint of a version's weights, from the dtype counts of its safetensors headers.

Computed at ingest (no tensor is read) and stored on the version, so that the catalog can filter
on "fits in N GiB" and a family can be compared side by side. Figures are weights only:
activations and the KV cache come on top and grow with the context length.
"""

from __future__ import annotations

from typing import Any

from .safetensors import DTYPE_BITS

# Element types that hold parameters: floats of every width and the 8-bit integers quantized
# weights are stored as. Wider integers and booleans are buffers (position ids, masks).
WEIGHT_DTYPES = frozenset(
    {"F64", "F32", "F16", "BF16", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "I8", "U8"}
)
# Bytes per parameter at the precisions buyers deploy at; int8/int4 add nothing for the
# quantization scales (< 1 % at group size 128).
PRECISIONS = {"bf16": 2.0, "int8": 1.0, "int4": 0.5}
# Precisions a "fits in" filter may ask about: as stored, or re-quantized to one of PRECISIONS.
FIT_PRECISIONS = ("stored", *PRECISIONS)
DTYPE_LABELS = {
    "F64": "fp64",
    "F32": "fp32",
    "F16": "fp16",
    "BF16": "bf16",
    "F8_E5M2": "fp8",
    "F8_E4M3": "fp8",
    "F8_E8M0": "fp8",
    "F6_E2M3": "fp6",
    "F6_E3M2": "fp6",
    "F4": "fp4",
    "I8": "int8",
    "U8": "uint8",
}


def footprint(parameters_by_dtype: dict[str, int]) -> dict[str, Any]:
    """`{"parameters", "dtype", "stored", "bf16", "int8", "int4"}` (bytes, rounded up), or `{}` for
    a version without weights. `dtype` is the weights' dominant element type, as a short label."""
    weights = {d: n for d, n in parameters_by_dtype.items() if d in WEIGHT_DTYPES and n}
    if not weights:
        return {}
    parameters = sum(weights.values())
    buffers = sum(
        n * DTYPE_BITS.get(d, 64) / 8 for d, n in parameters_by_dtype.items() if d not in WEIGHT_DTYPES
    )
    stored = sum(n * DTYPE_BITS.get(d, 64) / 8 for d, n in parameters_by_dtype.items())
    dominant = max(weights, key=weights.__getitem__)
    result: dict[str, Any] = {
        "parameters": parameters,
        "dtype": DTYPE_LABELS.get(dominant, dominant.lower()),
        "stored": _bytes(stored),
    }
    result.update({name: _bytes(parameters * per + buffers) for name, per in PRECISIONS.items()})
    return result


def _bytes(value: float) -> int:
    return int(-(-value // 1))
