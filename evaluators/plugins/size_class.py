"""Size class: parameter count, dtypes and the memory the weights need at common precisions.

From the safetensors headers the registry verified at ingest (no weights are read): float
tensors count as parameters, integer buffers (BERT's position_ids) do not.
"""

from __future__ import annotations

from pathlib import Path

from evaluators.scoring import human_bytes, human_count, size_class
from registry.formats.safetensors import DTYPE_BITS

from .base import BadgeSpec, EvaluatorResult, MetricValue, ModelFacts

# Bytes per parameter; int8/int4 estimates add nothing for quantisation scales (< 1 % at group 128).
PRECISIONS = {"fp32": 4.0, "bf16": 2.0, "int8": 1.0, "int4": 0.5}


class SizeClass:
    name = "size"
    version = "1"
    title = "Size class"
    isolated = False
    needs_weights = False
    timeout_s = 60
    headline_metric = None

    def unsupported_reason(self, facts: ModelFacts) -> str | None:
        if not facts.parameters_by_dtype:
            return "the version has no safetensors weights to count"
        return None

    def run(self, model_dir: Path, facts: ModelFacts, *, seed: int) -> EvaluatorResult:
        params = facts.float_parameters
        other = sum(n for dtype, n in facts.parameters_by_dtype.items() if dtype not in facts.FLOAT_DTYPES)
        other_bytes = sum(
            n * DTYPE_BITS.get(dtype, 64) / 8
            for dtype, n in facts.parameters_by_dtype.items()
            if dtype not in facts.FLOAT_DTYPES
        )
        metrics = [
            MetricValue("parameters", float(params), unit="parameters", higher_is_better=False),
            MetricValue("non_float_elements", float(other), unit="elements", higher_is_better=False),
            MetricValue("weight_bytes", float(facts.weight_bytes), unit="bytes", higher_is_better=False),
        ]
        metrics += [
            MetricValue(
                f"memory_{precision}_bytes",
                params * per_parameter + other_bytes,
                unit="bytes",
                higher_is_better=False,
                details={"estimate": f"{per_parameter} bytes per parameter, weights only"},
            )
            for precision, per_parameter in PRECISIONS.items()
        ]
        klass = size_class(params)
        dominant = max(facts.parameters_by_dtype, key=facts.parameters_by_dtype.__getitem__)
        evidence = {
            "parameters_by_dtype": facts.parameters_by_dtype,
            "size_class": klass,
            "dominant_dtype": dominant,
            "weight_files": {path: facts.files[path] for path in facts.weight_files},
            "memory_estimates": {m.key: human_bytes(m.value) for m in metrics if m.key.startswith("memory_")},
            "note": "Weights only: activations and the KV cache come on top and grow with context length.",
        }
        return EvaluatorResult(
            status="passed",
            metrics=metrics,
            badge=BadgeSpec("size", f"{human_count(params)} params · {klass}", "info"),
            evidence=evidence,
        )
