"""Int8 row-wise quantization of a built demo checkpoint: what a quantized variant looks like on disk.

Every matrix becomes I8 values plus one F32 scale per row (`NAME_scale`, absmax / 127); vectors
(norms, biases) stay as they were. The numbers are real quantized weights of the base checkpoint,
so the variant's safetensors headers say exactly what an int8 release says: about a quarter of
the fp32 bytes. Loading it needs a quantization-aware loader, as with any int8 release.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

QUANTIZATION_CONFIG = {"quant_method": "int8-rowwise", "bits": 8, "scale_suffix": "_scale"}


def quantize_int8_rowwise(folder: Path) -> None:
    """Rewrite `folder/model.safetensors` (a single-file checkpoint) as int8 with row scales, and
    record the scheme in config.json."""
    path = folder / "model.safetensors"
    tensors = load_file(path)
    quantized: dict[str, np.ndarray] = {}
    for name, array in tensors.items():
        if array.ndim != 2 or not np.issubdtype(array.dtype, np.floating):
            quantized[name] = array
            continue
        values = array.astype(np.float32)
        scale = np.abs(values).max(axis=1) / 127.0
        scale[scale == 0] = 1.0
        quantized[name] = np.clip(np.rint(values / scale[:, None]), -127, 127).astype(np.int8)
        quantized[f"{name}_scale"] = scale.astype(np.float32)
    save_file(quantized, path, metadata={"format": "pt"})
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text())
    config["quantization_config"] = QUANTIZATION_CONFIG
    config_path.write_text(json.dumps(config, indent=2) + "\n")
