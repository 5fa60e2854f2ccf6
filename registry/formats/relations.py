"""What a card says a model derives from: `base_model` plus `base_model_relation`, as on the Hub.

The base model list is read by the license lineage's own parser (registry.compliance.lineage), so
both features agree on what a card names. The relation takes the Hub's values (adapter, merge,
quantized, finetune) plus `distilled`; common spellings are accepted, anything else is refused at
ingest with the list of values. A card naming a base model without a relation gets the one the
Hub would infer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.compliance.lineage import base_models

RELATIONS = ("quantized", "distilled", "finetune", "adapter", "merge")
ALIASES = {
    "quantization": "quantized",
    "quantised": "quantized",
    "quant": "quantized",
    "distillation": "distilled",
    "distill": "distilled",
    "fine-tune": "finetune",
    "fine-tuned": "finetune",
    "finetuned": "finetune",
    "fine_tune": "finetune",
    "merged": "merge",
    "lora": "adapter",
}
QUANTIZED_DTYPES = frozenset({"int8", "uint8", "fp8", "fp6", "fp4"})


@dataclass(frozen=True)
class Derivation:
    base_model: str  # the first base model named; "" when the card names none
    relation: str  # one of RELATIONS, or "" without a base model


def normalize_relation(value: object) -> str:
    """The canonical relation for a card value; "" for none. Raises ValueError naming the values."""
    if value is None or value == "":
        return ""
    text = str(value).strip().lower()
    text = ALIASES.get(text, text)
    if text not in RELATIONS:
        raise ValueError(f"base_model_relation {value!r} is not one of {', '.join(RELATIONS)}")
    return text


def derivation(
    metadata: dict[str, Any], *, paths: frozenset[str] = frozenset(), dtype: str = ""
) -> Derivation:
    """The card's base model and relation; `paths` (the version's files) and `dtype` (its weights'
    dominant type) let a missing relation be inferred as the Hub does."""
    bases = base_models(metadata)
    if not bases:
        return Derivation(base_model="", relation="")
    relation = normalize_relation(metadata.get("base_model_relation"))
    if not relation:
        if len(bases) > 1:
            relation = "merge"
        elif "adapter_config.json" in paths:
            relation = "adapter"
        elif dtype in QUANTIZED_DTYPES:
            relation = "quantized"
        else:
            relation = "finetune"
    return Derivation(base_model=bases[0], relation=relation)
