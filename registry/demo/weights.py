"""Random weights for a blueprint, written as one safetensors file or as a sharded checkpoint.

Values come from one `np.random.default_rng(seed)` stream drawn in blueprint order, so the same
seed gives the same bytes; safetensors' own serialisation is deterministic (tensors sorted
in the header). The layout of sharded checkpoints is the one transformers writes and reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from registry.demo.jsonfile import write_json
from registry.demo.layout import TensorSpec

DTYPES = ("float32", "float16")  # numpy has no bfloat16, and we build without torch
_STD = 0.02  # transformers' initializer_range for every demo architecture
_METADATA = {"format": "pt"}  # transformers only loads safetensors files marked as PyTorch's


def materialise(tensors: tuple[TensorSpec, ...], *, seed: int, dtype: str) -> dict[str, np.ndarray]:
    """Arrays for `tensors`: normal(0, 0.02) matrices, ones and zeros as each tensor asks."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for tensor in tensors:
        if tensor.init == "normal":
            array = rng.standard_normal(tensor.shape, dtype=np.float32) * np.float32(_STD)
        else:
            array = (np.ones if tensor.init == "ones" else np.zeros)(tensor.shape, dtype=np.float32)
        arrays[tensor.name] = array.astype(dtype)
    return arrays


def write_checkpoint(out_dir: Path, arrays: dict[str, np.ndarray], *, shards: int) -> None:
    """Write `model.safetensors`, or `shards` files plus `model.safetensors.index.json`."""
    if shards == 1:
        save_file(arrays, out_dir / "model.safetensors", metadata=_METADATA)
        return
    weight_map = {}
    for number, group in enumerate(_partition(arrays, shards), start=1):
        name = f"model-{number:05d}-of-{shards:05d}.safetensors"
        save_file(group, out_dir / name, metadata=_METADATA)
        weight_map.update(dict.fromkeys(group, name))
    metadata = {
        "total_parameters": sum(array.size for array in arrays.values()),
        "total_size": sum(array.nbytes for array in arrays.values()),
    }
    write_json(out_dir / "model.safetensors.index.json", {"metadata": metadata, "weight_map": weight_map})


def _partition(arrays: dict[str, np.ndarray], shards: int) -> list[dict[str, np.ndarray]]:
    """Split into `shards` non-empty runs of consecutive tensors of roughly equal bytes."""
    if not 1 < shards <= len(arrays):
        raise ValueError(f"shards must be between 1 and the number of tensors ({len(arrays)}), not {shards}")
    total = sum(array.nbytes for array in arrays.values())
    groups: list[dict[str, np.ndarray]] = [{} for _ in range(shards)]
    index = written = 0
    for position, (name, array) in enumerate(arrays.items()):
        empty_after = shards - 1 - index  # shards still waiting for their first tensor
        if (
            groups[index]
            and empty_after
            and (written >= total * (index + 1) / shards or len(arrays) - position == empty_after)
        ):
            index += 1
        groups[index][name] = array
        written += array.nbytes
    return groups
